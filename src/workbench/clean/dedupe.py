"""Customer de-duplication (``docs/dedupe.md``): :func:`dedupe_customers` runs the configured
method, ``probabilistic`` (record linkage, :mod:`.linkage`, decisions in :mod:`.decide`) or
``exact`` (customers sharing a normalised phone, e-mail or company name are one customer,
transitively: :func:`find_duplicate_customers`).  Either way placeholder keys are not
evidence (:func:`.features.placeholder_keys`), the earliest signup survives, the others go to
the merge log, and the other tables' customer ids are re-pointed to the survivor.

The normalisers are :func:`workbench.ingest.normalize_phone`,
:func:`~workbench.ingest.normalize_email` and :func:`~workbench.ingest.normalize_company`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from ..ingest import (
    DEFAULT_SUFFIXES,
    LINE,
    SOURCE,
    normalize_company,
    normalize_email,
    normalize_phone,
)
from .decide import decide
from .features import linkage_features, placeholder_keys
from .linkage import FIELDS, score_pairs
from .rules import DUPLICATE_KEYS, CleaningRules

__all__ = ["M_SCHEMA", "R_SCHEMA", "DedupeResult", "dedupe_customers",
           "find_duplicate_customers", "merge_customers", "repoint"]

#: The columns of the merge log (``match_probability`` is null for an exact-key merge).
M_SCHEMA = pl.Schema({"table": pl.String, "duplicate_id": pl.String, "kept_id": pl.String,
                      "matched_on": pl.String, "source": pl.String, "line": pl.Int64,
                      "match_probability": pl.Float64, "decided_by": pl.String})
#: The columns of the review queue (``review_pairs.parquet``): per field the comparison level
#: (``level_<field>``: -1 missing, 0 different, higher more alike) and its match weight.
R_SCHEMA = pl.Schema({"customer_id_l": pl.String, "customer_id_r": pl.String,
                      "match_probability": pl.Float64, "why": pl.String,
                      **{f"level_{f}": pl.Int64 for f in FIELDS},
                      **{f"weight_{f}": pl.Float64 for f in FIELDS}})
_PLACEHOLDER_FIELDS = ("phone", "email")
_ID_MAP = {"duplicate_id": pl.String, "kept_id": pl.String}


def find_duplicate_customers(customers: pl.DataFrame, keys: tuple[str, ...] = DUPLICATE_KEYS,
                             suffixes: tuple[str, ...] = DEFAULT_SUFFIXES,
                             id_col: str = "customer_id",
                             date_col: str = "signup_date",
                             placeholders: dict[str, pl.Series] | None = None) -> pl.DataFrame:
    """Group customers that share a normalised phone, e-mail or company name.

    Customers are linked when any of ``keys`` matches (transitively).  In each group
    the survivor is the earliest ``date_col``, ties broken by the smallest id.
    ``placeholders``: per key the normalised values that link nobody.

    Returns:
        One row per duplicate: ``duplicate_id, kept_id, matched_on`` (the keys the
        duplicate shares with the survivor, or with another member when linked
        through a third record).  Empty when there are no duplicates.
    """
    out_schema = {"duplicate_id": pl.String, "kept_id": pl.String, "matched_on": pl.String}
    # A key with no value at all is not even normalised.
    keys = tuple(k for k in keys if k in customers.columns
                 and customers.get_column(k).null_count() < customers.height)
    if not keys or customers.height == 0:
        return pl.DataFrame(schema=out_schema)
    def company(e: pl.Expr) -> pl.Expr:
        return normalize_company(e, suffixes)

    norm = {"phone": normalize_phone, "email": normalize_email, "company": company}
    df = (customers.select(pl.col(id_col), pl.col(date_col),
                           *[norm[k](pl.col(k).cast(pl.String)).alias(f"_k_{k}") for k in keys])
          .sort([date_col, id_col], nulls_last=True)
          .with_columns(*[pl.when(~pl.col(f"_k_{k}").is_in(bad.implode()))
                          .then(pl.col(f"_k_{k}")).alias(f"_k_{k}")
                          for k, bad in (placeholders or {}).items() if k in keys])
          .with_row_index("_rank")
          .with_columns(pl.col("_rank").cast(pl.Int64).alias("_label")))
    # A key that is empty for every customer links nobody: leave it out of the search.
    keys = tuple(k for k in keys if df.get_column(f"_k_{k}").null_count() < df.height)
    if not keys:
        return pl.DataFrame(schema=out_schema)
    kcols = [f"_k_{k}" for k in keys]
    for _ in range(10_000):
        new = df.with_columns(pl.min_horizontal(
            [pl.col("_label")] + [pl.when(pl.col(k).is_not_null())
                                  .then(pl.col("_label").min().over(k)) for k in kcols]
        ).alias("_label"))
        if new.get_column("_label").equals(df.get_column("_label")):
            break
        df = new
    surv = df.filter(pl.col("_rank") == pl.col("_label")).select(
        pl.col("_label"), pl.col(id_col).alias("kept_id"),
        *[pl.col(k).alias(f"{k}_s") for k in kcols])
    dups = df.filter(pl.col("_rank") != pl.col("_label")).join(surv, on="_label", how="left")
    if dups.height == 0:
        return pl.DataFrame(schema=out_schema)
    dups = dups.with_columns(
        *[pl.when(pl.col(f"_k_{k}") == pl.col(f"_k_{k}_s")).then(pl.lit(k)).alias(f"_s_{k}")
          for k in keys])
    shared = df.select(pl.col("_rank"), *[
        pl.when(pl.col(f"_k_{k}").is_not_null() & (pl.len().over(["_label", f"_k_{k}"]) > 1))
        .then(pl.lit(k)).alias(f"_o_{k}") for k in keys])
    dups = dups.join(shared, on="_rank", how="left")
    direct = pl.concat_str([pl.col(f"_s_{k}") for k in keys], separator=",", ignore_nulls=True)
    other = pl.concat_str([pl.col(f"_o_{k}") for k in keys], separator=",", ignore_nulls=True)
    return (dups.with_columns(pl.when(direct != "").then(direct).otherwise(other)
                              .alias("matched_on"))
            .sort("_rank")
            .select(pl.col(id_col).alias("duplicate_id"), "kept_id", "matched_on"))


def merge_customers(customers: pl.DataFrame, keys: tuple[str, ...] = DUPLICATE_KEYS,
                    suffixes: tuple[str, ...] = DEFAULT_SUFFIXES,
                    placeholders: dict[str, pl.Series] | None = None,
                    ) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Merge the duplicate customers of a typed customer table (with ``_source``, ``_line``)
    that share an exact key (the ``exact`` method).

    Returns:
        ``(survivors, merge_log, id_map)``: the customers that are not duplicates, the
        merge log (:data:`M_SCHEMA`, in source and line order) and ``duplicate_id, kept_id``.
    """
    dups = find_duplicate_customers(customers, keys, suffixes, placeholders=placeholders)
    return _merge(customers, dups.with_columns(
        pl.lit(None, dtype=pl.Float64).alias("match_probability"),
        pl.col("matched_on").alias("decided_by")))


def _merge(customers: pl.DataFrame, dups: pl.DataFrame
           ) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Survivors, merge log and id map of ``dups`` (``duplicate_id, kept_id, matched_on,
    match_probability, decided_by``)."""
    if dups.height == 0:
        return customers, pl.DataFrame(schema=M_SCHEMA), pl.DataFrame(schema=_ID_MAP)
    # A table without source and line (not read by ingest) logs them as missing.
    where = customers.select(pl.col("customer_id").alias("duplicate_id"),
                             *[pl.col(c) if c in customers.columns
                               else pl.lit(None, dtype=t).alias(c)
                               for c, t in ((SOURCE, pl.String), (LINE, pl.Int64))])
    log = (dups.join(where, on="duplicate_id", how="left")
           .select(pl.lit("customers").alias("table"), "duplicate_id", "kept_id", "matched_on",
                   pl.col(SOURCE).alias("source"), pl.col(LINE).alias("line"),
                   "match_probability", "decided_by")
           .sort(["source", "line"]).cast(M_SCHEMA))
    kept = customers.filter(~pl.col("customer_id").is_in(dups.get_column("duplicate_id")
                                                         .implode()))
    return kept, log, dups.select("duplicate_id", "kept_id")


@dataclass
class DedupeResult:
    """What :func:`dedupe_customers` found.

    Attributes:
        kept, merge_log, id_map: as :func:`merge_customers` returns them.
        review: the review queue (:data:`R_SCHEMA`), strongest pair first.
        placeholders: per field (phone, email) the normalised values treated as missing.
        info: counts for the ledger (``dedupe``, ``candidate_pairs``, ``review_pairs``,
            ``weak_chains``, ``placeholders``).
    """

    kept: pl.DataFrame
    merge_log: pl.DataFrame
    id_map: pl.DataFrame
    review: pl.DataFrame
    placeholders: dict[str, list[str]]
    info: dict[str, Any] = field(default_factory=dict)


def _pairs_by_id(pairs: list[tuple[str, ...]], position: dict[str, int]) -> list[tuple[int, int]]:
    """Configured id pairs as record positions (ids not in the archive are ignored)."""
    return [(position[a], position[b]) for a, b in pairs if a in position and b in position]


#: Fewer customers than this are too few to estimate the match model (its u and m
#: probabilities): such an archive is de-duplicated on exact keys, and the ledger says so.
MIN_CUSTOMERS_FOR_MODEL = 200


def dedupe_customers(customers: pl.DataFrame, rules: CleaningRules | None = None,
                     spark: Any = None) -> DedupeResult:
    """De-duplicate a typed customer table with ``rules.dedupe`` (module doc).

    ``spark``: a Spark session, for ``cleaning.linkage_backend: spark``.
    """
    rules = rules or CleaningRules()
    norm = {"phone": normalize_phone, "email": normalize_email}
    keys = customers.select(*[norm[f](pl.col(f).cast(pl.String)).alias(f"{f}_n")
                              if f in customers.columns else pl.lit(None, dtype=pl.String)
                              .alias(f"{f}_n") for f in _PLACEHOLDER_FIELDS])
    bad = {f: placeholder_keys(keys.get_column(f"{f}_n"), f, rules.placeholder_min_customers)
           for f in _PLACEHOLDER_FIELDS}
    listed = {f: v.to_list() for f, v in bad.items()}
    info: dict[str, Any] = {"dedupe": rules.dedupe, "placeholders": listed}
    empty_review = pl.DataFrame(schema=R_SCHEMA)
    small = rules.dedupe != "exact" and customers.height < MIN_CUSTOMERS_FOR_MODEL
    if small:
        info.update(dedupe="exact", fallback=(
            f"{customers.height} customers are too few to estimate the match model "
            f"(it needs {MIN_CUSTOMERS_FOR_MODEL}); duplicates were found on exact keys"))
    if rules.dedupe == "exact" or small:
        kept, log, id_map = merge_customers(customers, rules.duplicate_keys, rules.suffixes, bad)
        return DedupeResult(kept, log, id_map, empty_review, listed, info)
    feats = linkage_features(customers, rules.suffixes).with_columns(*[pl.when(~pl.col(f"{f}_n").is_in(v.implode()))
                               .then(pl.col(f"{f}_n")).alias(f"{f}_n")
                               for f, v in bad.items() if v.len()])
    ids = feats.get_column("customer_id")
    position = {c: i for i, c in enumerate(ids.to_list())}
    always = _pairs_by_id(list(rules.always_merge), position)
    low = rules.review_band[0]
    # Only the pairs the decisions read leave the engine: those from the review band's low
    # bound up (a hair below, so a pair at the bound is not lost to rounding), and the weaker
    # pairs between records that a link (or an always_merge pair) touches, which are the
    # chain guard's contradictions (decide() reads no others).
    pairs, model = score_pairs(feats, seed=rules.linkage_seed, backend=rules.linkage_backend,
                               spark=spark, min_probability=low * (1 - 1e-9),
                               context_probability=rules.match_probability,
                               context_ids=[x for pair in always for x in pair])
    rank = (feats.select("unique_id", "customer_id", "signup_date")
            .sort(["signup_date", "customer_id"], nulls_last=True)
            .with_row_index("_rank").sort("unique_id").get_column("_rank").to_list())
    d = decide(pairs, rank, rules.match_probability, (low, rules.review_band[1]),
               rules.chain_probability, _pairs_by_id(list(rules.never_merge), position),
               always)
    dups = d.links.select(ids.gather(d.links.get_column("duplicate")).alias("duplicate_id"),
                          ids.gather(d.links.get_column("survivor")).alias("kept_id"),
                          "matched_on", pl.col("match_probability").round(9), "decided_by")
    kept, log, id_map = _merge(customers, dups)
    review = d.review.select(
        ids.gather(d.review.get_column("a")).alias("customer_id_l"),
        ids.gather(d.review.get_column("b")).alias("customer_id_r"),
        "match_probability", "why",
        *[pl.col(f"gamma_{f}").alias(f"level_{f}") for f in FIELDS],
        # the model's sums run in parallel: figures rounded so a rerun writes the same bits
        *[pl.col(f"mw_{f}").round(6).alias(f"weight_{f}") for f in FIELDS]).cast(R_SCHEMA)
    review = review.with_columns(pl.col("match_probability").round(9))
    # three merges explained field by field (the weakest merged pairs: the closest calls)
    merged = pairs.join(d.links.select(pl.min_horizontal("duplicate", "survivor").alias("unique_id_l"),
                                       pl.max_horizontal("duplicate", "survivor").alias("unique_id_r")),
                        on=["unique_id_l", "unique_id_r"], how="semi").sort("match_probability")
    info["explained"] = [{"customer_id_l": ids[r["unique_id_l"]], "customer_id_r": ids[r["unique_id_r"]],
                          "match_probability": round(r["match_probability"], 9),
                          "weights": {f: round(r[f"mw_{f}"], 6) for f in FIELDS}}
                         for r in merged.head(3).iter_rows(named=True)]
    info["prior_weight"] = (round(math.log2(model.prior / (1 - model.prior)), 6)
                            if 0 < model.prior < 1 else 0.0)
    info.update({"candidate_pairs": model.candidate_pairs, "review_pairs": review.height,
                 "weak_chains": int((review.get_column("why") == "weak_chain").sum()),
                 "match_probability": rules.match_probability,
                 "review_band": list(rules.review_band)})
    return DedupeResult(kept, log, id_map, review, listed, info)


def repoint(typed: pl.DataFrame, id_map: pl.DataFrame) -> tuple[pl.DataFrame, pl.Series | None]:
    """``typed`` with the ids of merged customers replaced by the survivors' ids, and which
    rows moved (None when no id was merged)."""
    if id_map.height == 0:
        return typed, None
    old = id_map.get_column("duplicate_id")
    ids = typed.get_column("customer_id")
    moved = ids.is_in(old.implode())
    if moved.any():
        ids = ids.replace(old, id_map.get_column("kept_id"))
        # Columns, not with_columns: that would first copy every column into one chunk.
        typed = pl.DataFrame([ids if c == "customer_id" else typed.get_column(c)
                              for c in typed.columns])
    return typed, moved
