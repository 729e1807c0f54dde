"""Lifecycle stage at the as-of date (潜在、新、活跃、风险、流失)."""

from __future__ import annotations

from typing import Any

import polars as pl

from ..errors import UsageError
from ..frames import as_polars

__all__ = ["lifecycle_stage"]


def lifecycle_stage(metrics: Any, *, new_days: int = 90, at_risk_days: int = 180,
                    churned_days: int = 365, gap_multiplier: float = 2.0,
                    min_purchases_own_gap: int = 3) -> pl.DataFrame:
    """Lifecycle stage at the as-of date of ``metrics`` (潜在、新、活跃、风险、流失).

    Rules, applied in this order (first match wins):

    1. ``prospect``: no purchase yet (purchase_days = 0).  A flagged (outlier) order
       is a purchase, so its customer is never a prospect.
    2. ``churned``: no purchase for more than ``churned_days`` (recency_days > 365).
    3. ``new``: first purchase at most ``new_days`` ago (tenure_days <= 90).
    4. ``at_risk``: recency_days > ``at_risk_days`` (180), or recency_days >
       ``gap_multiplier`` (2) x the typical purchase gap.  The typical gap is the
       customer's own mean gap when they have at least ``min_purchases_own_gap`` (3)
       purchase days, else the population's median of mean gaps (over customers with
       two or more purchase days).
    5. ``active``: everyone else.

    Needs ``purchase_days, recency_days, tenure_days, mean_gap_days`` (from
    :func:`customer_metrics`).  Adds ``typical_gap_days``, ``at_risk_after_days``
    (the recency beyond which the customer counts as at risk) and ``lifecycle_stage``.
    """
    m = as_polars(metrics, "metrics",
                  ["purchase_days", "recency_days", "tenure_days", "mean_gap_days"])
    if not 0 < at_risk_days < churned_days:
        raise UsageError(f"need 0 < at_risk_days ({at_risk_days}) < churned_days "
                         f"({churned_days}).")
    pop_gap = m.filter(pl.col("purchase_days") >= 2).get_column("mean_gap_days").median()
    own = pl.col("purchase_days") >= min_purchases_own_gap
    typical = pl.when(own).then(pl.col("mean_gap_days")).otherwise(
        pl.lit(pop_gap, dtype=pl.Float64))
    m = m.with_columns(typical.alias("typical_gap_days"))
    limit = pl.min_horizontal(pl.lit(float(at_risk_days)),
                              gap_multiplier * pl.col("typical_gap_days"))
    m = m.with_columns(
        pl.when(pl.col("purchase_days") > 0).then(limit).otherwise(None)
        .alias("at_risk_after_days"))
    stage = (
        pl.when(pl.col("purchase_days") == 0).then(pl.lit("prospect"))
        .when(pl.col("recency_days") > churned_days).then(pl.lit("churned"))
        .when(pl.col("tenure_days") <= new_days).then(pl.lit("new"))
        .when(pl.col("recency_days") > pl.col("at_risk_after_days")).then(pl.lit("at_risk"))
        .otherwise(pl.lit("active"))
    )
    return m.with_columns(stage.alias("lifecycle_stage"))
