"""Cohorts: acquisition cohorts and their retention, new vs returning customers, churned customers.

Purchases, returns and money come from the transaction model
(``docs/architecture.md#the-transaction-model``): a customer is *active* in a period
when they have a purchase (``kind == "purchase"``) in it, the first purchase dates a
customer's cohort, and revenue is net ``value`` (purchases minus returns, amounts after
the house's outlier policy ``transactions.outlier_amounts``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pandas as pd
import polars as pl

from .. import periods, transactions
from ..frames import as_polars, by_customer, customer_partitions
from ..transactions import TransactionSettings
from .common import period_labels, transaction_log

__all__ = ["churned_last_active", "cohort_table", "cohort_tables", "new_vs_returning",
           "retention_matrix"]

_IS_PURCHASE = pl.col("kind") == "purchase"

_COHORT_SCHEMA = pl.Schema({"cohort": pl.String(), "periods_since": pl.Int64(), "cohort_size": pl.Int64(),
                  "active": pl.Int64(), "revenue": pl.Float64(), "retention": pl.Float64(),
                  "revenue_retention": pl.Float64()})


@dataclass(frozen=True)
class _Activity:
    """What the cohort and new-vs-returning tables count (:func:`_period_activity`)."""

    sizes: pl.DataFrame      # _c, cohort_size: customers by the period of their first purchase
    grid: pl.DataFrame       # _c, _pi, active, revenue
    labels: dict[int, str]   # period index -> label


def _period_activity(log: pl.LazyFrame, freq: str, *,
                     rows_per_part: int | None = None) -> _Activity:
    """Customers by first-purchase period, and per first-purchase period (``_c``; null for
    customers who never bought) and period (``_pi``) the customers with a purchase in it
    (``active``) and the net ``value`` of all their transactions in it (``revenue``).

    Only those small tables are held.  The log is read on the streaming engine, once per
    hash partition of the customers (:func:`workbench.frames.customer_partitions`); in a
    partition the customers are coded as integers once their first purchase is known, so
    the distinct (customer, period) pairs are counted on integers.
    """
    pi = periods.period_index("day", freq)
    days = (log.select(pl.col("day").unique()).drop_nulls().collect(engine="streaming")
            .with_columns(pi.alias("_pi")))
    labels = dict(period_labels(days, "day", freq, "_label").select("_pi", "_label").unique()
                  .iter_rows())
    n = int(log.select(pl.len()).collect(engine="streaming").item())
    sizes, revenue, active = [], [], []
    for part in customer_partitions(n, rows_per_part=rows_per_part):
        rows = log if part is None else log.filter(part)
        first = (rows.filter(_IS_PURCHASE).group_by("customer_id")
                 .agg(pi.min().alias("_c")).collect(engine="streaming")
                 .with_row_index("_code"))
        sizes.append(first.group_by("_c").agg(pl.len().cast(pl.Int64).alias("cohort_size")))
        coded = (rows.select("customer_id", "day", "kind", "value")
                 .join(first.lazy(), on="customer_id", how="left")
                 .select("_code", "_c", pi.alias("_pi"), _IS_PURCHASE.alias("_buy"), "value"))
        rev, act = pl.collect_all([
            coded.group_by("_c", "_pi").agg(transactions.money_sum(pl.col("value"))
                                            .alias("revenue")),
            coded.filter(pl.col("_buy")).select("_code", "_c", "_pi").unique()
            .group_by("_c", "_pi").agg(pl.len().cast(pl.Int64).alias("active"))],
            engine="streaming")
        revenue.append(rev)
        active.append(act)
        del first
    keys = ["_c", "_pi"]
    grid = (pl.concat(revenue).group_by(keys).agg(transactions.money_sum(pl.col("revenue")))
            .join(pl.concat(active).group_by(keys).agg(pl.col("active").sum()), on=keys,
                  how="full", coalesce=True, nulls_equal=True)
            .with_columns(pl.col("active").fill_null(0), pl.col("revenue").fill_null(0.0)))
    return _Activity(pl.concat(sizes).group_by("_c").agg(pl.col("cohort_size").sum()), grid,
                     labels)


def cohort_tables(orders: Any, freq: str = "month", as_of: date | None = None, *,
                  settings: TransactionSettings | None = None
                  ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """:func:`cohort_table` and :func:`new_vs_returning` of the same log, read once for both."""
    act = _period_activity(transaction_log(orders, as_of, settings), freq)
    return _cohorts(act, freq, as_of), _new_returning(act)


def cohort_table(orders: Any, freq: str = "month", as_of: date | None = None, *,
                 settings: TransactionSettings | None = None) -> pl.DataFrame:
    """Acquisition cohorts (period of the first purchase) and their activity afterwards.

    Every observed period of every cohort is present (0 when nobody bought), up to the
    period of ``as_of`` (default: of the last transaction).  The log is read lazily, on
    the streaming engine: only per-customer and per-cohort tables are held.

    Args:
        orders: canonical orders or a transaction log (:func:`~.common.transaction_log`),
            eager or lazy.
        freq: ``month``, ``quarter`` or ``week``.
        as_of: transactions after this day are ignored.
        settings: the outlier policy used when ``orders`` are canonical orders.

    Returns:
        Long table: ``cohort, periods_since`` (0 = the acquisition period),
        ``cohort_size, active, revenue, retention`` (active / cohort size) and
        ``revenue_retention`` (revenue / the cohort's revenue in period 0; null when
        that is not positive).
    """
    return _cohorts(_period_activity(transaction_log(orders, as_of, settings), freq), freq,
                    as_of)


def _cohorts(activity: _Activity, freq: str, as_of: date | None) -> pl.DataFrame:
    sizes, grid, labels = activity.sizes, activity.grid, activity.labels
    if sizes.height == 0:
        return pl.DataFrame(schema=_COHORT_SCHEMA)
    last = (pl.select(periods.period_index(pl.lit(as_of), freq)).item() if as_of is not None
            else max(labels))
    act = (grid.filter(pl.col("_c").is_not_null() & (pl.col("_pi") >= pl.col("_c")))
           .select("_c", (pl.col("_pi") - pl.col("_c")).alias("periods_since"), "active",
                   "revenue"))
    out = (sizes.with_columns(pl.int_ranges(0, pl.lit(last) - pl.col("_c") + 1)
                              .alias("periods_since"))
           .explode("periods_since")
           .join(act, on=["_c", "periods_since"], how="left")
           .with_columns(pl.col("_c").replace_strict(labels, return_dtype=pl.String)
                         .alias("cohort"),
                         pl.col("active").fill_null(0), pl.col("revenue").fill_null(0.0)))
    base_rev = out.filter(pl.col("periods_since") == 0).select("_c",
                                                                pl.col("revenue").alias("_r0"))
    out = out.join(base_rev, on="_c", how="left").with_columns(
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
    The log is read lazily, on the streaming engine.

    Returns:
        ``period, new_customers, returning_customers, new_revenue, returning_revenue,
        returning_revenue_share``.
    """
    return _new_returning(_period_activity(transaction_log(orders, as_of, settings), freq))


def _new_returning(activity: _Activity) -> pl.DataFrame:
    grid, labels = activity.grid, activity.labels
    new = (pl.col("_c") == pl.col("_pi")).fill_null(False)
    out = (grid.group_by("_pi").agg(
        pl.col("active").filter(new).sum().cast(pl.UInt32).alias("new_customers"),
        pl.col("active").filter(~new).sum().cast(pl.UInt32).alias("returning_customers"),
        transactions.money_sum(pl.col("revenue").filter(new)).alias("new_revenue"),
        transactions.money_sum(pl.col("revenue").filter(~new)).alias("returning_revenue"))
        .with_columns(pl.col("_pi").replace_strict(labels, return_dtype=pl.String)
                      .alias("period"))
        .drop("_pi").select("period", pl.exclude("period")).sort("period"))
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
    gone = pl.col("last_purchase") <= as_of - timedelta(days=churn_days)
    last = by_customer(log, lambda part: transactions.customer_activity(part, None, as_of)
                       .filter(gone).select("customer_id", "last_purchase"))
    out = (period_labels(last, "last_purchase", freq)
           .group_by("period").agg(pl.len().alias("customers")).sort("period"))
    return out.with_columns((pl.col("customers") / pl.col("customers").sum()).alias("share"))
