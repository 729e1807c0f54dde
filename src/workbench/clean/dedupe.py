"""Customer de-duplication: customers sharing a normalised phone, e-mail or company name
are one customer (transitively); the earliest signup survives, the others go to the merge
log, and the other tables' customer ids are re-pointed to the survivor.

The normalisers are :func:`workbench.ingest.normalize_phone`,
:func:`~workbench.ingest.normalize_email` and :func:`~workbench.ingest.normalize_company`.
"""

from __future__ import annotations

import polars as pl

from ..ingest import (
    DEFAULT_SUFFIXES,
    LINE,
    SOURCE,
    normalize_company,
    normalize_email,
    normalize_phone,
)
from .rules import DUPLICATE_KEYS

__all__ = ["M_SCHEMA", "find_duplicate_customers", "merge_customers", "repoint"]

#: The columns of the merge log.
M_SCHEMA = pl.Schema({"table": pl.String, "duplicate_id": pl.String, "kept_id": pl.String,
                      "matched_on": pl.String, "source": pl.String, "line": pl.Int64})
_ID_MAP = {"duplicate_id": pl.String, "kept_id": pl.String}


def find_duplicate_customers(customers: pl.DataFrame, keys: tuple[str, ...] = DUPLICATE_KEYS,
                             suffixes: tuple[str, ...] = DEFAULT_SUFFIXES,
                             id_col: str = "customer_id",
                             date_col: str = "signup_date") -> pl.DataFrame:
    """Group customers that share a normalised phone, e-mail or company name.

    Customers are linked when any of ``keys`` matches (transitively).  In each group
    the survivor is the earliest ``date_col``, ties broken by the smallest id.

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
                    suffixes: tuple[str, ...] = DEFAULT_SUFFIXES
                    ) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Merge the duplicate customers of a typed customer table (with ``_source``, ``_line``).

    Returns:
        ``(survivors, merge_log, id_map)``: the customers that are not duplicates, the
        merge log (:data:`M_SCHEMA`, in source and line order) and ``duplicate_id, kept_id``.
    """
    dups = find_duplicate_customers(customers, keys, suffixes)
    if dups.height == 0:
        return customers, pl.DataFrame(schema=M_SCHEMA), pl.DataFrame(schema=_ID_MAP)
    where = customers.select(pl.col("customer_id").alias("duplicate_id"), SOURCE, LINE)
    log = (dups.join(where, on="duplicate_id", how="left")
           .select(pl.lit("customers").alias("table"), "duplicate_id", "kept_id", "matched_on",
                   pl.col(SOURCE).alias("source"), pl.col(LINE).alias("line"))
           .sort(["source", "line"]))
    kept = customers.filter(~pl.col("customer_id").is_in(dups.get_column("duplicate_id")
                                                         .implode()))
    return kept, log, dups.select("duplicate_id", "kept_id")


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
