"""The whole classification in one call: :func:`build_segments` builds ``segments.parquet``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import polars as pl

from .. import transactions as tx
from ..errors import DataError, UsageError
from ..frames import by_customer
from ..periods import parse_date
from .abc import abc_and_pareto
from .clusters import RFMClusterer
from .lifecycle import lifecycle_stage
from .metrics import latest_nps, metrics_from_log, spread, transaction_log
from .migration import Migration, tier_migration
from .present import key_results
from .result import Segmentation
from .rfm_scores import assign_segments, rfm_scores, segment_rules
from .settings import SegmentSettings
from .tiers import TierScorer

__all__ = ["SEGMENT_COLUMNS", "Segmentation", "build_segments", "classify", "migration_since",
           "segments_at", "with_nps"]


SEGMENT_COLUMNS = ("customer_id", "recency_days", "frequency", "monetary", "abc_class", "r_score",
                   "f_score", "m_score", "rfm_segment", "lifecycle_stage", "tier_score", "tier",
                   "cluster")


def _outliers(log: pl.LazyFrame) -> dict[str, Any]:
    """The flagged purchases known at the as-of date: how many, whose, booked and counted."""
    flagged = tx.purchases(log).filter(pl.col("is_outlier"))
    row = flagged.select(
        pl.len().alias("orders"), pl.col("customer_id").n_unique().alias("customers"),
        pl.col("amount").sum().alias("amount"), pl.col("value").sum().alias("counted"),
    ).collect().row(0, named=True)
    return {"orders": int(row["orders"]), "customers": int(row["customers"]),
            "amount": float(row["amount"] or 0.0), "counted": float(row["counted"] or 0.0)}


def with_nps(metrics: pl.DataFrame, surveys: Any, as_of: Any, *,
             customer_id_col: str = "customer_id") -> pl.DataFrame:
    """``metrics`` with ``nps``: each customer's latest NPS answer known at ``as_of``
    (:func:`.metrics.latest_nps`; null without one, or for all when ``surveys`` is None)."""
    if surveys is None:
        return metrics.with_columns(pl.lit(None, dtype=pl.Float64).alias("nps"))
    nps = latest_nps(surveys, as_of=as_of, customer_id_col=customer_id_col)
    return metrics.join(nps.with_columns(pl.col(customer_id_col).cast(metrics.schema[customer_id_col])),
                        on=customer_id_col, how="left", maintain_order="left")


def classify(metrics: pl.DataFrame, settings: SegmentSettings | None = None, *,
             customer_id_col: str = "customer_id"
             ) -> tuple[pl.DataFrame, pl.DataFrame, TierScorer]:
    """The classification's rules, in their order, on per-customer ``metrics``
    (:func:`.metrics.metrics_from_log` with ``nps``): R/F/M scores, RFM segments,
    lifecycle stages, and the weighted-score tiers fitted on the customers with a purchase.

    :func:`build_segments` and the churn warning's tiers at each cut-off both call it, so a
    tier means the same in every room.  Customers without a purchase (prospects) take part
    in no ranking: their scores, segment and tier are null, and leaving them out of
    ``metrics`` changes no buyer's.

    Returns:
        ``(table, rules, scorer)``: ``metrics`` with ``r_score, f_score, m_score,
        rfm_segment, lifecycle_stage, tier_score, tier`` and the scorer's indicator
        columns; the segment rule table applied; the fitted :class:`.tiers.TierScorer`.
    """
    st = settings or SegmentSettings()
    m = rfm_scores(metrics, n=st.n_scores, customer_id_col=customer_id_col)
    rules = segment_rules(st.rules, st.n_scores)
    m = assign_segments(m, rules, n=st.n_scores)
    m = lifecycle_stage(m, new_days=st.new_days, at_risk_days=st.at_risk_days,
                        churned_days=st.churned_days, gap_multiplier=st.gap_multiplier,
                        min_purchases_own_gap=st.min_purchases_own_gap)
    bought = (m.get_column("frequency") > 0).fill_null(False).to_numpy()
    scorer = TierScorer(st.tier_weights, st.tier_cuts, st.tier_method, customer_id_col)
    tiers = scorer.fit_transform(m.filter(pl.Series(bought))).drop(customer_id_col)
    return m.with_columns(spread(bought, tiers)), rules, scorer


def build_segments(orders: Any, customers: Any = None, *, as_of: Any, surveys: Any = None,
                   settings: SegmentSettings | None = None,
                   transaction_settings: tx.TransactionSettings | None = None,
                   cluster: bool = True, customer_id_col: str = "customer_id") -> Segmentation:
    """Run the whole classification and build the ``segments.parquet`` table.

    Columns (contract first, then extras): ``customer_id, recency_days, frequency,
    monetary, abc_class, r_score, f_score, m_score, rfm_segment, lifecycle_stage,
    tier_score, tier, cluster, n_orders, purchase_days, returns, first_order_date,
    last_order_date, tenure_days, mean_gap_days, avg_order_value, outlier_orders,
    [gross_margin], net_revenue_12m, nps, revenue_rank, cum_revenue_share, fm_score,
    typical_gap_days, at_risk_after_days, score_<indicator>...``.

    Purchases, returns and money come from the transaction model
    (:mod:`workbench.transactions` with ``transaction_settings``, default ``cap``): a
    flagged order is a purchase, only its amount follows the outlier policy.
    ``net_revenue_12m`` is :func:`workbench.transactions.net_revenue` over 12 months
    (0 without a transaction in the window), the number the churn warning list and the
    service scorecard show.  Prospects (no purchase by ``as_of``) are rows with
    lifecycle ``prospect`` and null class, scores, segment, tier and cluster.  Tiers and
    clusters are computed over customers with a purchase.  ``cluster=False`` skips
    clustering (column is null), e.g. for the earlier date of a migration.
    """
    st = settings or SegmentSettings()
    ts = transaction_settings or tx.TransactionSettings()
    day = parse_date(as_of, "as_of")
    # from a lazy scan, the log is read in batches (streaming): the orders are never held
    query = transaction_log(orders, day, ts, customer_id_col=customer_id_col)
    log = (query.collect(engine="streaming") if isinstance(orders, pl.LazyFrame)
           else query.collect())
    m = metrics_from_log(log, customers, as_of=day, frequency_basis=st.frequency_basis,
                         customer_id_col=customer_id_col)
    if m.filter(pl.col("frequency") > 0).height == 0:
        raise DataError(f"no customer has a purchase on or before {day}; choose a later as_of "
                        f"date.")
    net12 = by_customer(log.lazy(), lambda rows: tx.net_revenue(rows, day, 12)).lazy().rename(
        {"customer_id": customer_id_col})
    m = (m.lazy().join(net12, on=customer_id_col, how="left", maintain_order="left")
         .with_columns(pl.col("net_revenue_12m").fill_null(0.0)).collect())
    outliers = _outliers(log.lazy())
    del log  # the log's rows are not needed past here: memory for the tiers and clusters
    m = with_nps(m, surveys, day, customer_id_col=customer_id_col)
    m, pareto = abc_and_pareto(m, shares=st.abc_shares, customer_id_col=customer_id_col)
    m, rules, scorer = classify(m, st, customer_id_col=customer_id_col)
    bought = (m.get_column("frequency") > 0).fill_null(False).to_numpy()
    buyers = m.filter(pl.Series(bought))
    clusterer = None
    if cluster:
        clusterer = RFMClusterer(range(st.k_min, st.k_max + 1), st.random_state,
                                 st.silhouette_sample, fit_sample=st.cluster_sample).fit(buyers)
        m = m.with_columns(spread(bought, pl.DataFrame({"cluster": clusterer.labels_})))
    else:
        m = m.with_columns(pl.lit(None, dtype=pl.Int64).alias("cluster"))
    first = [customer_id_col if c == "customer_id" else c for c in SEGMENT_COLUMNS]
    rest = [c for c in m.columns if c not in first]
    table = m.select(*first, *rest)
    if not table.get_column(customer_id_col).is_sorted():
        table = table.sort(customer_id_col)
    seg = Segmentation(table=table, results={}, pareto=pareto, rules=rules,
                       scorer=scorer, clusterer=clusterer, settings=st, as_of=day,
                       transaction_settings=ts, outliers=outliers)
    seg.results = key_results(seg)
    return seg


def segments_at(load: Callable[[str], Any], day: Any, settings: SegmentSettings | None = None,
                transaction_settings: tx.TransactionSettings | None = None
                ) -> Segmentation | None:
    """The segmentation at an earlier ``day`` (a tier migration's starting point), or None
    when nothing was bought by then.

    ``load(table)`` returns a clean table as of ``day`` (in a notebook:
    ``lambda t: ctx.load(t, as_of=day)``); this function itself reads nothing.  Surveys
    count as in the report's own segmentation when there are any; no clustering.
    """
    day = parse_date(day, "day")
    ts = transaction_settings or tx.TransactionSettings()
    orders = load("orders")
    log = transaction_log(orders, day, ts)
    if tx.purchases(log).select(pl.len()).collect().item() == 0:
        return None
    try:
        surveys = load("surveys")
    except DataError:
        surveys = None
    try:
        return build_segments(orders, load("customers"), as_of=day, surveys=surveys,
                              settings=settings, transaction_settings=ts, cluster=False)
    except DataError as exc:
        if "no customer has a purchase" in str(exc):
            return None
        raise


def migration_since(load: Callable[[str], Any], before: Any,
                    current: Segmentation) -> Migration | None:
    """Tier migration from ``before`` to the date of ``current``, or None when nothing was
    bought by then.

    ``load(table)`` returns a clean table as of ``before`` (in a notebook:
    ``lambda t: ctx.load(t, as_of=before)``); this function itself reads nothing.  The
    earlier segmentation (:func:`segments_at`) uses ``current``'s settings and outlier
    policy, without clustering.
    """
    day = parse_date(before, "migration_from")
    if day >= current.as_of:
        raise UsageError(f"migration_from {day} must be before the as-of date {current.as_of}.")
    earlier = segments_at(load, day, current.settings, current.transaction_settings)
    if earlier is None:
        return None
    return tier_migration(earlier.table, current.table, tiers=list(current.scorer.thresholds_))
