"""Presentation of the segmentation: key results, plain-language sentences, display tables.

The house convention (``docs/architecture.md``): :func:`key_results` (JSON-able values
for the manifest), :func:`narrative` (named sentences for the notebook's markdown) and
:func:`localize` (a display table with localised headers).  Text lives in
:mod:`workbench.i18n` under room ``segment`` (:mod:`workbench.segment.labels`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pandas as pd
import polars as pl

from .. import i18n
from ..formatting import fmt_money
from ..frames import as_polars
from ..periods import parse_date
from . import labels, text  # noqa: F401  (text: the narrative's words, registered)
from .abc import class_names
from .labels import LIFECYCLE_STAGES, ROOM, say
from .migration import Migration
from .profiles import segment_profile
from .result import Segmentation
from .rfm_scores import segment_rules

__all__ = ["key_results", "localize", "migration_summary", "migration_text", "narrative",
           "segment_guide", "sensitivity_text"]



# --------------------------------------------------------------------------- key results


def _counts(table: pl.DataFrame, col: str, keys: Sequence[str]) -> dict[str, int]:
    vc = {r[col]: r["n"]
          for r in table.group_by(col).agg(pl.len().alias("n")).iter_rows(named=True)}
    out = {k: int(vc.get(k, 0)) for k in keys}
    out.update({str(k): int(v) for k, v in vc.items() if k is not None and k not in out})
    return out


def _shares(table: pl.DataFrame, col: str, keys: Sequence[str]) -> dict[str, float]:
    t = table.filter(pl.col(col).is_not_null())
    total = float(t.get_column("monetary").sum()) or 1.0
    vs = {r[col]: r["v"] for r in
          t.group_by(col).agg(pl.col("monetary").sum().alias("v")).iter_rows(named=True)}
    return {k: round(float(vs.get(k, 0.0)) / total, 6) for k in keys}


def key_results(seg: Segmentation, *, migration: Migration | None = None,
                migration_from: Any = None) -> dict[str, Any]:
    """The key results of the step (``results/segmentation.json``).

    ``customers`` (rows, prospects included), ``buyers``, ``prospects``, ``revenue``
    (net to date), ``net_revenue_12m``, ``tiers{A,B,C}``, ``tier_revenue_share``,
    ``tier_thresholds``, ``tier_weights``, ``dropped_indicators``, ``abc{A,B,C}``,
    ``abc_revenue_share``, ``segments{key: customers}``, ``lifecycle{stage: customers}``,
    ``clusters{k, silhouette, sizes}``, ``as_of``, ``frequency_basis``,
    ``outlier_policy``, ``outliers{orders, customers, amount, counted}`` (flagged
    purchases, counted as purchases), and ``migration`` when ``migration`` is given.
    """
    # the few columns counted here, not the whole wide table, go through the filters
    used = ("frequency", "lifecycle_stage", "monetary", "net_revenue_12m", "tier", "abc_class",
            "rfm_segment", "cluster")
    t = seg.table.select([c for c in used if c in seg.table.columns])
    tier_keys = list(seg.scorer.thresholds_)
    abc_keys = class_names(len(seg.settings.abc_shares))
    seg_keys = list(dict.fromkeys(seg.rules.get_column("segment").to_list()))
    out: dict[str, Any] = {
        "as_of": seg.as_of.isoformat(),
        "customers": t.height,
        "buyers": int(t.filter(pl.col("frequency") > 0).height),
        "prospects": int(t.filter(pl.col("lifecycle_stage") == "prospect").height),
        "revenue": float(t.get_column("monetary").sum()),
        "net_revenue_12m": (float(t.get_column("net_revenue_12m").sum())
                            if "net_revenue_12m" in t.columns else None),
        "frequency_basis": seg.settings.frequency_basis,
        "outlier_policy": seg.transaction_settings.outlier_amounts,
        "outliers": dict(seg.outliers) or {"orders": 0, "customers": 0, "amount": 0.0,
                                           "counted": 0.0},
        "tiers": _counts(t.filter(pl.col("tier").is_not_null()), "tier", tier_keys),
        "tier_revenue_share": _shares(t, "tier", tier_keys),
        "tier_thresholds": {k: (None if math.isinf(v) else round(v, 4))
                            for k, v in seg.scorer.thresholds_.items()},
        "tier_weights": {k: round(v, 6) for k, v in seg.scorer.weights_.items()},
        "dropped_indicators": list(seg.scorer.dropped_),
        "abc": _counts(t.filter(pl.col("abc_class").is_not_null()), "abc_class", abc_keys),
        "abc_revenue_share": _shares(t, "abc_class", abc_keys),
        "segments": _counts(t.filter(pl.col("rfm_segment").is_not_null()), "rfm_segment",
                            seg_keys),
        "lifecycle": _counts(t, "lifecycle_stage", LIFECYCLE_STAGES),
    }
    if seg.clusterer is not None:
        c = seg.clusterer
        sizes = _counts(t.filter(pl.col("cluster").is_not_null())
                        .with_columns(pl.col("cluster").cast(pl.String)),
                        "cluster", [str(i) for i in range(c.k_)])
        out["clusters"] = {"k": c.k_, "silhouette": round(c.silhouettes_[c.k_], 6),
                           "sizes": sizes}
    if migration is not None:
        out["migration"] = migration_summary(migration, migration_from)
    return out


def migration_summary(mig: Migration, before: Any) -> dict[str, Any]:
    """Key numbers of a migration: ``from, moved_up, slipped, counts{from: {to: n}}``."""
    counts = {row["from"]: {k: int(v) for k, v in row.items() if k != "from"}
              for row in mig.counts.iter_rows(named=True)}
    return {"from": parse_date(before, "before").isoformat(), "moved_up": mig.moved_up.height,
            "slipped": mig.slipped.height, "counts": counts}


# --------------------------------------------------------------------------- sentences


def _pct(v: float | None) -> str:
    return "-" if v is None else f"{100 * v:.0f}%"


def narrative(seg: Segmentation, lang: str = "en", currency: str = "CNY", *,
              sensitivity: pl.DataFrame | None = None,
              migration: Migration | None = None,
              migration_from: Any = None) -> dict[str, str]:
    """Plain-language paragraphs (markdown) for the segmentation report.

    Keys: ``scope, abc, rfm, lifecycle, tiers`` and ``clusters`` (when clustered);
    ``sensitivity`` with a :func:`tier_sensitivity` table; ``migration`` when
    ``migration_from`` is given (``migration`` None: there was nothing to compare).
    """
    r = seg.results
    st = seg.settings
    t = seg.table
    out_info = r.get("outliers") or {}
    outliers = ""
    if out_info.get("orders"):
        outliers = say("outliers", lang, orders=out_info["orders"],
                       customers=out_info["customers"],
                       amount=fmt_money(out_info["amount"], lang, currency),
                       counted=fmt_money(out_info["counted"], lang, currency),
                       policy=r.get("outlier_policy", ""))
    texts = {"scope": say("scope", lang, as_of=r["as_of"], customers=r["customers"],
                          buyers=r["buyers"], prospects=r["prospects"],
                          revenue=fmt_money(r["revenue"], lang, currency), outliers=outliers)}
    abc, share = r["abc"], r["abc_revenue_share"]
    names = list(abc)
    if len(names) >= 3:
        a, b = names[0], names[1]
        buyers = r["buyers"] or 1
        texts["abc"] = say(
            "abc", lang, a=abc[a], b=abc[b], c=sum(abc[k] for k in names[2:]),
            a_share=_pct(abc[a] / buyers), ab_share=_pct((abc[a] + abc[b]) / buyers),
            a_rev=_pct(share[a]), ab_rev=_pct(share[a] + share[b]),
            c_rev=_pct(sum(share[k] for k in names[2:])))
    prof = segment_profile(t, "rfm_segment")
    if prof.height:
        top = prof.row(0, named=True)
        risk = prof.filter(pl.col("rfm_segment").is_in(["at_risk", "cant_lose"]))
        texts["rfm"] = say(
            "rfm", lang, n=st.n_scores, top=labels.t(top["rfm_segment"], lang),
            top_n=top["customers"], top_rev=_pct(top["revenue_share"]),
            risk=labels.t("at_risk", lang), cant=labels.t("cant_lose", lang),
            risk_n=int(risk.get_column("customers").sum()),
            risk_rev=_pct(float(risk.get_column("revenue_share").sum())))
    pop_gap = t.filter(pl.col("purchase_days") >= 2).get_column("mean_gap_days").median()
    texts["lifecycle"] = say(
        "lifecycle", lang, **r["lifecycle"], new_days=st.new_days, churned_days=st.churned_days,
        at_risk_days=st.at_risk_days, mult=f"{st.gap_multiplier:g}",
        gap="-" if not isinstance(pop_gap, (int, float)) else f"{pop_gap:.0f}")
    tiers, tshare = r["tiers"], r["tier_revenue_share"]
    tk = list(tiers)
    dropped = ""
    if r["dropped_indicators"]:
        names_ = labels.t("list_sep", lang).join(labels.t(f"ind.{k}", lang)
                                                 for k in r["dropped_indicators"])
        dropped = say("dropped", lang, names=names_)
    texts["tiers"] = say("tiers", lang, a=tiers[tk[0]], a_rev=_pct(tshare[tk[0]]),
                         c=tiers[tk[-1]], c_rev=_pct(tshare[tk[-1]]), dropped=dropped)
    if seg.clusterer is not None:
        c = seg.clusterer
        texts["clusters"] = say("clusters", lang, kmin=st.k_min, kmax=st.k_max, k=c.k_,
                                sil=c.silhouettes_[c.k_])
    if sensitivity is not None:
        texts["sensitivity"] = sensitivity_text(sensitivity, st.sensitivity_delta, lang)
    if migration_from is not None:
        texts["migration"] = migration_text(migration, migration_from, lang, currency)
    return texts


def sensitivity_text(table: Any, delta: float, lang: str = "en") -> str:
    """One paragraph on :func:`tier_sensitivity`: the largest number of customers changing tier."""
    t = as_polars(table, "sensitivity", ["indicator", "changed_up", "changed_down"]).with_columns(
        pl.max_horizontal("changed_up", "changed_down").alias("_max"),
        pl.max_horizontal("changed_up_share", "changed_down_share").alias("_share"))
    worst = t.sort(["_max", "indicator"], descending=[True, False]).row(0, named=True)
    return say("sensitivity", lang, delta=f"{100 * delta:g}", max_n=worst["_max"],
               max_share=_pct(worst["_share"]), worst=labels.t(f"ind.{worst['indicator']}", lang))


def migration_text(mig: Migration | None, before: Any, lang: str = "en",
                   currency: str = "CNY") -> str:
    """One paragraph on a :class:`Migration` (None: no purchase by ``before``)."""
    day = parse_date(before, "before").isoformat()
    if mig is None:
        return say("no_migration", lang, before=day)
    tr = mig.transitions
    tiers = [c for c in mig.counts.columns[1:] if c not in ("prospect", "gone")]
    first = tr.filter((pl.col("tier_before") == "prospect")
                      & pl.col("tier_after").is_in(tiers)).height
    new = tr.filter(pl.col("tier_before") == "new").height
    down_rev = float(mig.slipped.get_column("monetary_before").sum())
    return say("migration", lang, before=day, up=mig.moved_up.height, down=mig.slipped.height,
               new=new, first=first, down_rev=fmt_money(down_rev, lang, currency))


# --------------------------------------------------------------------------- tables


_VALUE_PREFIX = {"rfm_segment": "", "segment": "", "lifecycle_stage": "lifecycle.",
                 "indicator": "ind."}
_STATES = ("prospect", "new", "gone")


def localize(df: Any, lang: str = "en", digits: int = 1) -> pd.DataFrame:
    """A table ready to show a business reader: pandas, headers and known values in ``lang``.

    Segment keys, lifecycle stages and indicator names become their labels; columns
    ending in ``_share`` and weights become percents; other floats are rounded to
    ``digits``.
    """
    pdf = df.to_pandas() if isinstance(df, pl.DataFrame) else pd.DataFrame(df).copy()
    for col, prefix in _VALUE_PREFIX.items():
        if col in pdf.columns:
            pdf[col] = pdf[col].map(
                lambda v, p=prefix: labels.t(f"{p}{v}", lang) if isinstance(v, str) else v)
    if "from" in pdf.columns:
        pdf["from"] = pdf["from"].map(
            lambda v: labels.t(f"state.{v}", lang) if v in _STATES else v)
        pdf = pdf.rename(columns={c: labels.t(f"state.{c}", lang) for c in ("prospect", "gone")})
    for col in pdf.columns:
        name = str(col)
        if name.endswith("_share") or name == "weight" or name.startswith("weight_"):
            pdf[col] = pdf[col].map(
                lambda v: "" if v is None or math.isnan(v) else f"{100 * v:.1f}%")
        elif pdf[col].dtype.kind == "f":
            values = pdf[col].round(digits)
            pdf[col] = (values.astype(object).where(values.notna(), "") if values.isna().any()
                        else values)
    return pdf.rename(columns=i18n.column_labels(pdf.columns, lang, ROOM))


def segment_guide(profile: Any, rules: Any = None, lang: str = "en", *,
                  by: str = "rfm_segment") -> pl.DataFrame:
    """The segment profile with each segment's name and recommended treatment, in rule order.

    ``profile``: :func:`segment_profile` by ``rfm_segment``; ``rules``: the rule table
    (default rules when None).  Columns: ``label, customers, customer_share,
    revenue_share, avg_order_value, mean_frequency, mean_recency_days, treatment``.
    """
    p = as_polars(profile, "profile", [by])
    table = rules if isinstance(rules, pl.DataFrame) else segment_rules(rules)
    keys = list(dict.fromkeys(table.get_column("segment").to_list()))
    out = pl.DataFrame({by: keys}).join(p, on=by, how="left").with_columns(
        pl.col("customers").fill_null(0), pl.col("customer_share").fill_null(0.0),
        pl.col("revenue_share").fill_null(0.0),
        pl.Series("label", [labels.t(k, lang) for k in keys], dtype=pl.String),
        pl.Series("treatment", [labels.t(f"treatment.{k}", lang) for k in keys],
                  dtype=pl.String),
    )
    return out.select("label", "customers", "customer_share", "revenue_share",
                      "avg_order_value", "mean_frequency", "mean_recency_days", "treatment")
