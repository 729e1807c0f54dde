"""Cohorts: acquisition cohorts and their retention, new vs returning customers, churned customers.

Purchases, returns and money come from the transaction model
(``docs/architecture.md#the-transaction-model``): a customer is *active* in a period
when they have a purchase (``kind == "purchase"``) in it, the first purchase dates a
customer's cohort, and revenue is net ``value`` (purchases minus returns, amounts after
the house's outlier policy ``transactions.outlier_amounts``).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pandas as pd
import polars as pl

from .. import periods, transactions
from ..frames import as_polars
from ..transactions import TransactionSettings
from .common import period_labels, transaction_log

__all__ = ["churned_last_active", "cohort_table", "new_vs_returning", "retention_matrix"]

_IS_PURCHASE = pl.col("kind") == "purchase"

_COHORT_SCHEMA = pl.Schema({"cohort": pl.String(), "periods_since": pl.Int64(), "cohort_size": pl.Int64(),
                  "active": pl.Int64(), "revenue": pl.Float64(), "retention": pl.Float64(),
                  "revenue_retention": pl.Float64()})


def _indexed(log: pl.DataFrame, freq: str) -> pl.DataFrame:
    """The log with ``_pi`` (``periods.period_index``) and ``_label`` of each day's period."""
    return period_labels(log.with_columns(periods.period_index("day", freq).alias("_pi")),
                         "day", freq, "_label")


def cohort_table(orders: Any, freq: str = "month", as_of: date | None = None, *,
                 settings: TransactionSettings | None = None) -> pl.DataFrame:
    """Acquisition cohorts (period of the first purchase) and their activity afterwards.

    Every observed period of every cohort is present (0 when nobody bought), up to the
    period of ``as_of`` (default: of the last transaction).

    Args:
        orders: canonical orders or a transaction log (:func:`~.common.transaction_log`).
        freq: ``month``, ``quarter`` or ``week``.
        as_of: transactions after this day are ignored.
        settings: the outlier policy used when ``orders`` are canonical orders.

    Returns:
        Long table: ``cohort, periods_since`` (0 = the acquisition period),
        ``cohort_size, active, revenue, retention`` (active / cohort size) and
        ``revenue_retention`` (revenue / the cohort's revenue in period 0; null when
        that is not positive).
    """
    log = transaction_log(orders, as_of, settings).collect()
    if log.filter(_IS_PURCHASE).height == 0:
        return pl.DataFrame(schema=_COHORT_SCHEMA)
    o = _indexed(log, freq)
    last = (pl.select(periods.period_index(pl.lit(as_of), freq)).item() if as_of is not None
            else o.get_column("_pi").max())
    first = (o.filter(_IS_PURCHASE).group_by("customer_id")
             .agg(pl.col("_pi").min().alias("_c"),
                  pl.col("_label").sort_by("_pi").first().alias("cohort")))
    o = o.join(first, on="customer_id", how="inner").filter(pl.col("_pi") >= pl.col("_c"))
    o = o.with_columns((pl.col("_pi") - pl.col("_c")).alias("periods_since"))
    act = (o.group_by("cohort", "periods_since")
           .agg(pl.col("customer_id").filter(_IS_PURCHASE).n_unique().alias("active"),
                pl.col("value").sum().alias("revenue")))
    size = first.group_by("cohort", "_c").agg(pl.len().alias("cohort_size"))
    grid = (size.with_columns(pl.int_ranges(0, pl.lit(last) - pl.col("_c") + 1)
                              .alias("periods_since"))
            .explode("periods_since"))
    out = (grid.join(act, on=["cohort", "periods_since"], how="left")
           .with_columns(pl.col("active").fill_null(0), pl.col("revenue").fill_null(0.0)))
    base_rev = out.filter(pl.col("periods_since") == 0).select("cohort",
                                                                pl.col("revenue").alias("_r0"))
    out = out.join(base_rev, on="cohort", how="left").with_columns(
        (pl.col("active") / pl.col("cohort_size")).alias("retention"),
        pl.when(pl.col("_r0") > 0).then(pl.col("revenue") / pl.col("_r0")).otherwise(None)
        .alias("revenue_retention"))
    return out.select(list(_COHORT_SCHEMA)).cast(_COHORT_SCHEMA).sort("cohort", "periods_since")


def retention_matrix(cohorts: Any, value: str = "retention", max_periods: int | None = None
                     ) -> pd.DataFrame:
    """Pivot :func:`cohort_table` into a cohort x periods-since matrix (pandas, for heatmaps).

    Cells after a cohort's last observed period are NaN (the future, not zero).
    """
    coh = as_polars(cohorts, "cohorts", ["cohort", "periods_since", value])
    c = coh if max_periods is None else coh.filter(pl.col("periods_since") <= max_periods)
    m = (c.select("cohort", "periods_since", value).to_pandas()
         .pivot(index="cohort", columns="periods_since", values=value).sort_index())
    m.columns.name = "periods_since"
    return m


def new_vs_returning(orders: Any, freq: str = "month", as_of: date | None = None, *,
                     settings: TransactionSettings | None = None) -> pl.DataFrame:
    """New vs returning customers and revenue per period.

    A customer is *new* in the period of their first purchase and *returning* in any
    later period in which they make a purchase.  Revenue is net ``value``; a return in
    the first purchase's period counts to new revenue, a later one to returning revenue.

    Returns:
        ``period, new_customers, returning_customers, new_revenue, returning_revenue,
        returning_revenue_share``.
    """
    o = _indexed(transaction_log(orders, as_of, settings).collect(), freq).rename(
        {"_label": "period"})
    first = o.filter(_IS_PURCHASE).group_by("customer_id").agg(pl.col("_pi").min().alias("_c"))
    o = o.join(first, on="customer_id", how="left").with_columns(
        (pl.col("_pi") == pl.col("_c")).fill_null(False).alias("_new"))
    out = o.group_by("period").agg(
        pl.col("customer_id").filter(pl.col("_new") & _IS_PURCHASE).n_unique()
        .alias("new_customers"),
        pl.col("customer_id").filter(~pl.col("_new") & _IS_PURCHASE).n_unique()
        .alias("returning_customers"),
        pl.col("value").filter(pl.col("_new")).sum().alias("new_revenue"),
        pl.col("value").filter(~pl.col("_new")).sum().alias("returning_revenue"),
    ).sort("period")
    total = pl.col("new_revenue") + pl.col("returning_revenue")
    return out.with_columns(pl.when(total != 0).then(pl.col("returning_revenue") / total)
                            .otherwise(None).alias("returning_revenue_share"))


def churned_last_active(orders: Any, as_of: date, churn_days: int = 90, freq: str = "month", *,
                        settings: TransactionSettings | None = None) -> pl.DataFrame:
    """When churned customers were last active.

    Churned: made a purchase at least once but none in the ``churn_days`` days up to
    ``as_of`` (the window ``as_of - churn_days < day <= as_of``).

    Returns:
        ``period`` of the last purchase, ``customers`` churned whose last purchase falls in
        it and ``share`` of all churned customers.
    """
    log = transaction_log(orders, as_of, settings)
    last = (transactions.customer_activity(log, None, as_of)
            .filter(pl.col("last_purchase") <= as_of - timedelta(days=churn_days))
            .select("customer_id", "last_purchase").collect())
    out = (period_labels(last, "last_purchase", freq)
           .group_by("period").agg(pl.len().alias("customers")).sort("period"))
    return out.with_columns((pl.col("customers") / pl.col("customers").sum()).alias("share"))
