"""Net revenue per period and customer tier: the summary's revenue trend.

Money follows the transaction model (:mod:`workbench.transactions`): a period's
revenue is the sum of ``value`` (purchases positive, returns negative, cancelled
orders left out, flagged orders' amounts after the house's outlier policy).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl

from .. import periods as periods_mod
from .. import transactions
from ..errors import UsageError
from ..frames import as_polars
from ..transactions import TransactionSettings

__all__ = ["revenue_by_tier"]


def revenue_by_tier(orders: Any, tiers: Any, as_of: date, freq: str = "month", periods: int = 12,
                    outlier_col: str | None = "is_outlier", *,
                    settings: TransactionSettings | None = None) -> pl.DataFrame:
    """Net revenue per period and tier over the ``periods`` periods ending at ``as_of``.

    Args:
        orders: clean orders (``customer_id``, ``order_date``, ``amount``; ``status`` and
            ``is_outlier`` when present), polars (eager or a scan) or pandas.
        tiers: ``customer_id, tier`` (``segments.parquet``); customers without a tier count
            as tier ``-``.
        as_of: end of the last period (orders after it are ignored).
        freq: ``month`` or ``quarter``.
        periods: how many periods.
        outlier_col: the column flagging outlier orders (cleaning's ``is_outlier``; None or
            absent: no order is flagged).
        settings: the outlier policy (``Context.transaction_settings``; default: cap).

    Returns:
        polars DataFrame ``period, start, tier, revenue`` with a row for every period and
        tier (0 where a tier sold nothing), sorted by period start then tier.
    """
    if freq not in ("month", "quarter"):
        raise UsageError(f"freq '{freq}' is not supported; use month or quarter.")
    # the outlier cap computed first (log_at): the sums then stream over a scan of the orders
    log = transactions.log_at(transactions.transactions(orders, as_of, settings,
                                                        outlier_col=outlier_col), as_of, settings)
    tier_map = as_polars(tiers, "tiers", ["customer_id", "tier"]).select(
        pl.col("customer_id").cast(pl.String), pl.col("tier").cast(pl.String))
    bounds = [periods_mod.period_bounds(as_of, freq, -k) for k in range(periods - 1, -1, -1)]
    grid = pl.DataFrame({"period": [periods_mod.period_of(end, freq) for _, end in bounds],
                         "start": [start for start, _ in bounds]}).with_columns(
        periods_mod.period_index("start", freq).alias("index"))
    sums = (log.filter((pl.col("day") >= bounds[0][0]) & (pl.col("day") <= as_of))
            .with_columns(periods_mod.period_index("day", freq).alias("index"))
            .join(grid.lazy(), on="index", how="inner")
            .join(tier_map.lazy(), on="customer_id", how="left")
            .with_columns(pl.col("tier").fill_null("-"))
            .group_by("period", "start", "tier").agg(pl.col("value").sum().alias("revenue"))
            .collect(engine="streaming"))
    tier_names = sorted(set(tier_map.get_column("tier").drop_nulls().to_list())
                        | set(sums.get_column("tier").to_list()))
    full = grid.drop("index").join(pl.DataFrame({"tier": tier_names}, schema={"tier": pl.String}),
                                 how="cross")
    return (full.join(sums, on=["period", "start", "tier"], how="left")
            .with_columns(pl.col("revenue").fill_null(0.0))
            .sort("start", "tier"))
