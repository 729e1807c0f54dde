"""Leak-free features: every customer who can churn at a cut-off, from data on or before it.

The orders enter as the transaction log known at the cut-off
(:func:`workbench.transactions.transactions` at the cut-off, see ``analysis``):
money features sum ``value`` (the house's outlier policy), and a flagged order
is a purchase like any other.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

import numpy as np
import polars as pl

from .. import transactions as tx
from ..errors import DataError, ModelError
from .alive import default_segmenter, p_alive_at
from .data import OrderColumns, open_at, order_log, split
from .groups import CATEGORICAL, GROUP_FEATURES, RFM_FEATURES, SEVERITY_RANK, FeatureSet
from .window import labels, population

__all__ = ["Segmenter", "build_features", "training_frame"]

#: ``f(tables, cutoff) -> customer_id, tier, rfm_segment, lifecycle_stage`` at the cut-off, or None.
Segmenter = Callable[[Mapping[str, pl.DataFrame | None], date], pl.DataFrame | None]


def _has(tables: Mapping[str, pl.DataFrame | None], name: str, needed: Sequence[str]) -> str | None:
    df = tables.get(name)
    if df is None:
        return f"no {name} table"
    if df.height == 0:
        return f"the {name} table is empty"
    lacking = [c for c in needed if c not in df.columns]
    if lacking:
        return f"the {name} table lacks column(s) {', '.join(lacking)}"
    return None


def _trend(last: str, prev: str) -> pl.Expr:
    tot = pl.col(last) + pl.col(prev)
    return pl.when(tot > 0).then((pl.col(last) - pl.col(prev)) / tot).otherwise(0.0)


def _days_between(cutoff: date, col: str) -> pl.Expr:
    return (pl.lit(cutoff) - pl.col(col)).dt.total_days().cast(pl.Float64)


def _as_date(name: str, dtype: pl.DataType) -> pl.Expr:
    return pl.col(name).cast(pl.Date) if isinstance(dtype, pl.Datetime) else pl.col(name)


# Float sums, means and standard deviations per customer are taken over the customer's
# values *sorted*: polars' parallel group-by adds partial sums in an order that depends on
# threads and chunking, which changes the last bits from run to run (and between the full and
# the truncated tables).  Sorted first, the result depends on the values only.
def _fsum(expr: pl.Expr) -> pl.Expr:
    return expr.sort().sum()


def _fmean(expr: pl.Expr) -> pl.Expr:
    return expr.sort().mean()


def _fstd(expr: pl.Expr) -> pl.Expr:
    return expr.sort().std()


def _rfm_features(buys: pl.DataFrame, ids: pl.DataFrame, cutoff: date) -> pl.DataFrame:
    b = buys.filter(pl.col("day") <= cutoff)
    d90, d180, d365 = (cutoff - timedelta(days=k) for k in (90, 180, 365))
    per_day = b.select("customer_id", "day").unique().sort("customer_id", "day")
    gaps = (per_day.with_columns(
        (pl.col("day") - pl.col("day").shift(1).over("customer_id")).dt.total_days().alias("gap"))
        .group_by("customer_id").agg(pl.col("gap").drop_nulls().median().alias("typical_gap_days")))
    last90 = pl.col("day") > d90
    prev90 = (pl.col("day") > d180) & (pl.col("day") <= d90)
    agg = b.group_by("customer_id").agg(
        _days_between(cutoff, "day").min().alias("recency_days"),
        pl.len().cast(pl.Float64).alias("frequency"),
        pl.col("day").n_unique().cast(pl.Float64).alias("purchase_days"),
        _days_between(cutoff, "day").max().alias("tenure_days"),
        _fsum(pl.col("amount")).alias("monetary_total"),
        _fmean(pl.col("amount")).alias("avg_order_value"),
        (_fstd(pl.col("amount")) / _fmean(pl.col("amount"))).alias("order_value_cv"),
        last90.sum().cast(pl.Float64).alias("orders_90d"),
        prev90.sum().cast(pl.Float64).alias("orders_prev_90d"),
        _fsum(pl.col("amount").filter(last90)).alias("spend_90d"),
        _fsum(pl.col("amount").filter(prev90)).alias("spend_prev_90d"),
        _fsum(pl.col("amount").filter(pl.col("day") > d365)).alias("spend_365d"),
    )
    out = ids.join(agg, on="customer_id", how="left").join(gaps, on="customer_id", how="left")
    return out.with_columns(
        pl.col("typical_gap_days").cast(pl.Float64),
        (pl.col("recency_days") / pl.col("typical_gap_days")).alias("recency_vs_cycle"),
        _trend("orders_90d", "orders_prev_90d").alias("order_trend"),
        _trend("spend_90d", "spend_prev_90d").alias("spend_trend"),
    ).select(["customer_id", *RFM_FEATURES])


def _returns_features(buys: pl.DataFrame, rets: pl.DataFrame, ids: pl.DataFrame,
                      cutoff: date) -> pl.DataFrame:
    d180 = cutoff - timedelta(days=180)
    r = rets.filter(pl.col("day") <= cutoff).group_by("customer_id").agg(
        pl.len().cast(pl.Float64).alias("returns_count"),
        (pl.col("day") > d180).sum().cast(pl.Float64).alias("returns_180d"),
        _fsum(pl.col("amount")).alias("_returned"))
    gross = buys.filter(pl.col("day") <= cutoff).group_by("customer_id").agg(
        _fsum(pl.col("amount")).alias("_gross"))
    out = ids.join(r, on="customer_id", how="left").join(gross, on="customer_id", how="left")
    return out.with_columns(
        pl.col("returns_count").fill_null(0.0), pl.col("returns_180d").fill_null(0.0),
        pl.when(pl.col("_gross") > 0).then(pl.col("_returned").fill_null(0.0) / pl.col("_gross"))
        .otherwise(0.0).alias("return_share"),
    ).select("customer_id", "returns_count", "returns_180d", "return_share")


def _complaint_features(df: pl.DataFrame, ids: pl.DataFrame, cutoff: date) -> pl.DataFrame:
    c = tx.as_of_filter(df, "complaints", cutoff).collect()
    if "resolved_at" in c.columns:
        c = open_at(c, cutoff)
    opened = pl.col("opened_at").cast(pl.Datetime("us"))
    resolved = (pl.col("resolved_at").cast(pl.Datetime("us")) if "resolved_at" in c.columns
                else pl.lit(None, pl.Datetime("us")))
    sev = (pl.col("severity").cast(pl.String).replace_strict(SEVERITY_RANK, default=None,
                                                           return_dtype=pl.Float64)
           if "severity" in c.columns else pl.lit(None, pl.Float64))
    d180 = cutoff - timedelta(days=180)
    c = c.select(pl.col("customer_id").cast(pl.String), opened.alias("o"), resolved.alias("r"),
                 sev.alias("sev"))
    agg = c.group_by("customer_id").agg(
        pl.len().cast(pl.Float64).alias("complaints_count"),
        (pl.col("o").cast(pl.Date) > d180).sum().cast(pl.Float64).alias("complaints_180d"),
        pl.col("r").is_null().sum().cast(pl.Float64).alias("unresolved_complaints"),
        pl.col("sev").max().alias("max_severity"),
        _fmean((pl.col("r") - pl.col("o")).dt.total_seconds() / 3600.0).alias("mean_resolution_hours"),
        _days_between(cutoff, "o").min().alias("days_since_complaint"),
    )
    out = ids.join(agg, on="customer_id", how="left")
    counts = ("complaints_count", "complaints_180d", "unresolved_complaints", "max_severity")
    return out.with_columns(
        [pl.col(k).fill_null(0.0) for k in counts]
        + [pl.col("mean_resolution_hours").cast(pl.Float64),
           pl.col("days_since_complaint").cast(pl.Float64)]
    ).select(["customer_id", *GROUP_FEATURES["complaints"]])


def _visit_features(df: pl.DataFrame, ids: pl.DataFrame, cutoff: date) -> pl.DataFrame:
    v = tx.as_of_filter(df, "visits", cutoff).collect()
    d90, d180 = cutoff - timedelta(days=90), cutoff - timedelta(days=180)
    kind = pl.col("kind").cast(pl.String) if "kind" in v.columns else pl.lit(None, pl.String)
    v = v.select(pl.col("customer_id").cast(pl.String),
                 _as_date("visit_date", v.schema["visit_date"]).alias("d"),
                 kind.alias("kind")).sort("customer_id", "d", "kind", nulls_last=True)
    agg = v.group_by("customer_id").agg(
        pl.len().cast(pl.Float64).alias("visits_count"),
        (pl.col("d") > d90).sum().cast(pl.Float64).alias("visits_90d"),
        (pl.col("d") > d180).sum().cast(pl.Float64).alias("visits_180d"),
        _days_between(cutoff, "d").min().alias("days_since_visit"),
        (pl.col("kind") == "on-site").mean().cast(pl.Float64).alias("onsite_share"),
        pl.col("kind").last().alias("last_visit_kind"),
    )
    out = ids.join(agg, on="customer_id", how="left")
    return out.with_columns(
        pl.col("visits_count").fill_null(0.0), pl.col("visits_90d").fill_null(0.0),
        pl.col("visits_180d").fill_null(0.0), pl.col("onsite_share").fill_null(0.0),
        pl.col("last_visit_kind").fill_null("none"),
    ).select(["customer_id", *GROUP_FEATURES["visits"]])


def _survey_features(df: pl.DataFrame, ids: pl.DataFrame, cutoff: date) -> pl.DataFrame:
    s = tx.as_of_filter(df, "surveys", cutoff).collect()
    nps = pl.col("nps").cast(pl.Float64) if "nps" in s.columns else pl.lit(None, pl.Float64)
    csat = pl.col("csat").cast(pl.Float64) if "csat" in s.columns else pl.lit(None, pl.Float64)
    sid = pl.col("survey_id").cast(pl.String) if "survey_id" in s.columns else pl.lit("")
    s = s.select(pl.col("customer_id").cast(pl.String),
                 _as_date("survey_date", s.schema["survey_date"]).alias("d"),
                 nps.alias("nps"), csat.alias("csat"), sid.alias("sid")).sort("customer_id", "d", "sid")
    agg = s.group_by("customer_id").agg(
        pl.col("nps").drop_nulls().last().alias("latest_nps"),
        pl.col("csat").drop_nulls().last().alias("latest_csat"),
        _days_between(cutoff, "d").min().alias("days_since_survey"),
    )
    return ids.join(agg, on="customer_id", how="left").select(
        ["customer_id", *GROUP_FEATURES["satisfaction"]])


def _profile_features(df: pl.DataFrame, ids: pl.DataFrame, cutoff: date) -> pl.DataFrame:
    prof = df.select(
        pl.col("customer_id").cast(pl.String),
        *[(pl.col(c).cast(pl.String) if c in df.columns else pl.lit(None, pl.String)).alias(c)
          for c in ("province", "channel", "industry", "customer_type")],
        _as_date("signup_date", df.schema["signup_date"]).alias("_signup"),
    ).unique("customer_id", keep="first", maintain_order=True)
    out = ids.join(prof, on="customer_id", how="left").with_columns(
        pl.when(pl.col("_signup") <= cutoff).then(_days_between(cutoff, "_signup"))
        .otherwise(None).alias("account_age_days"))
    return out.select(["customer_id", *GROUP_FEATURES["profile"]])


_TABLE_GROUPS: tuple[tuple[str, str, list[str], Callable[..., pl.DataFrame]], ...] = (
    ("complaints", "complaints", ["customer_id", "opened_at"], _complaint_features),
    ("visits", "visits", ["customer_id", "visit_date"], _visit_features),
    ("satisfaction", "surveys", ["customer_id", "survey_date"], _survey_features),
    ("profile", "customers", ["customer_id", "signup_date"], _profile_features),
)


def _segment_group(frame: pl.DataFrame, seg: pl.DataFrame | None, switched_on: bool,
                   groups: list[str], missing: dict[str, str]) -> pl.DataFrame:
    if seg is None:
        missing["segment"] = ("no tiers/segments at the cut-off (workbench.segment needs canonical "
                              "orders with a status column)" if switched_on else "segmentation switched off")
        return frame
    cols = [c for c in GROUP_FEATURES["segment"] if c in seg.columns]
    if not cols:
        missing["segment"] = "the segmenter returned none of tier, rfm_segment, lifecycle_stage"
        return frame
    groups.append("segment")
    return frame.join(seg.select(pl.col("customer_id").cast(pl.String),
                                 *[pl.col(c).cast(pl.String) for c in cols]),
                      on="customer_id", how="left")


def build_features(tables: Mapping[str, pl.DataFrame | None], cutoff: date, lapsed_days: int, *,
                   segmenter: Segmenter | None = default_segmenter, with_p_alive: bool = True,
                   p_alive_sample: int | None = None, seed: int = 0,
                   settings: tx.TransactionSettings | None = None,
                   columns: OrderColumns | None = None) -> FeatureSet:
    """Features of every customer who can churn at ``cutoff``, from data on or before it.

    Args:
        tables: canonical tables by name; only ``orders`` is required.  A table that
            is absent, ``None`` or empty drops its feature group (see ``missing``).
        cutoff: features see only rows dated on or before this day.
        lapsed_days: customers silent for longer are outside the population.
        segmenter: tiers, RFM segments and lifecycle stages at the cut-off, or None.
        with_p_alive: add the BG/NBD probability alive (feature group ``clv``).
        p_alive_sample, seed: the BG/NBD parameters are fitted on a seeded sample of at most
            this many customers (None: all); every customer gets its probability.
        settings: the house's outlier policy (default :class:`TransactionSettings`).
        columns: order column names (canonical by default).

    The orders are read as the transaction log *at the cut-off*: with the ``cap``
    policy the cap is the quantile of the purchase amounts known then, so no amount
    after the cut-off moves a feature.

    Returns:
        A :class:`FeatureSet`; its frame is sorted by customer id.

    Raises:
        DataError: no orders table, or no customer in the population.
    """
    orders = tables.get("orders")
    if orders is None or orders.height == 0:
        raise DataError("churn features need the orders table and it is missing or empty; "
                        "run `workbench clean` or pass the transactions as tables['orders'].")
    cols = columns or OrderColumns()
    buys, rets = split(order_log(orders, cutoff, settings, cols))
    pop = population(buys, cutoff, lapsed_days)
    if pop.height == 0:
        raise DataError(f"orders: no customer bought in the {lapsed_days} days up to {cutoff}; "
                        f"nobody can churn. Choose a later date or a longer window.")
    ids = pop.select("customer_id")
    frame = _rfm_features(buys, ids, cutoff)
    groups, missing = ["rfm"], {}

    if (cols.status and cols.status in orders.columns) or rets.height > 0:
        frame = frame.join(_returns_features(buys, rets, ids, cutoff), on="customer_id", how="left")
        groups.append("returns")
    else:
        missing["returns"] = "the orders have no status column and no negative amounts (no return records)"

    for group, table, needed, fn in _TABLE_GROUPS:
        why = _has(tables, table, needed)
        if why:
            missing[group] = why
            continue
        frame = frame.join(fn(tables[table], ids, cutoff), on="customer_id", how="left")
        groups.append(group)

    seg = segmenter(tables, cutoff) if segmenter is not None else None
    frame = _segment_group(frame, seg, segmenter is not None, groups, missing)

    if with_p_alive:
        try:
            frame = frame.join(p_alive_at(buys, cutoff, sample=p_alive_sample, seed=seed),
                               on="customer_id", how="left")
            groups.append("clv")
        except ModelError as exc:
            missing["clv"] = f"the BG/NBD model could not be fitted at {cutoff}: {exc}"
    else:
        missing["clv"] = "probability alive switched off"

    frame = frame.sort("customer_id")
    feats = [c for c in frame.columns if c != "customer_id"]
    categorical = [c for c in feats if c in CATEGORICAL]
    numeric = [c for c in feats if c not in CATEGORICAL]
    return FeatureSet(cutoff, frame, numeric, categorical, groups, missing)


def training_frame(tables: Mapping[str, pl.DataFrame | None], cutoffs: Sequence[date],
                   window_days: int, lapsed_days: int, *, buys: pl.DataFrame | None = None,
                   feature_cache: dict[date, FeatureSet] | None = None,
                   **kwargs: Any) -> tuple[FeatureSet, np.ndarray]:
    """Features and labels stacked over several cut-offs (labels from ``(c, c + window_days]``).

    Args:
        buys: the purchases the labels are read from (``customer_id, day``), e.g. of
            the analysis' transaction log; None: every purchase of ``tables["orders"]``.
        feature_cache: a dict of :class:`FeatureSet` by cut-off, read and filled, so a
            cut-off shared by several calls (with the same tables and arguments) is
            computed once -- segments and the BG/NBD fit included.
        kwargs: passed to :func:`build_features`.

    Returns:
        A :class:`FeatureSet` whose frame also has ``cutoff`` (one row per customer
        and cut-off), and the label vector.
    """
    if buys is None:
        buys = split(order_log(tables["orders"], None, kwargs.get("settings"), kwargs.get("columns")))[0]
    sets, ys = [], []
    for c in cutoffs:
        if feature_cache is not None and c in feature_cache:
            fs = feature_cache[c]
        else:
            fs = build_features(tables, c, lapsed_days, **kwargs)
            if feature_cache is not None:
                feature_cache[c] = fs
        lab = labels(buys, fs.frame.get_column("customer_id"), c, window_days)
        sets.append(fs)
        ys.append(lab.get_column("churned").to_numpy())
    first = sets[0]
    for fs in sets[1:]:
        if fs.features != first.features:
            raise DataError(
                f"feature groups differ between cut-offs {first.cutoff} ({first.groups}) and "
                f"{fs.cutoff} ({fs.groups}); the data is too thin early on. Use fewer training cut-offs."
            )
    frame = pl.concat([fs.frame.with_columns(pl.lit(fs.cutoff).alias("cutoff")) for fs in sets])
    return (FeatureSet(first.cutoff, frame, first.numeric, first.categorical, first.groups,
                       first.missing), np.concatenate(ys))
