"""What every service concept shares: tiers and owners, day windows, the transaction log.

- **Trailing windows** follow the house definition (:func:`workbench.periods.trailing_window`):
  ``start < day <= end``.  :func:`within` filters rows that way, so
  ``within(df, col, *periods.trailing_window(as_of, 12))`` is "the last 12 months".
- **Calendar periods** (:func:`workbench.periods.period_bounds`) are given by their first
  and last day, both included (:func:`in_period`).
- **Orders** are read through the transaction model (:func:`transaction_log`): purchases,
  returns and money (``value``, after the house's outlier policy) are never re-derived here.
"""

from __future__ import annotations

from datetime import date
from typing import Any, overload

import polars as pl

from .. import periods, transactions
from ..errors import DataError
from ..frames import as_lazy, as_polars
from ..transactions import TransactionSettings

__all__ = ["NO_TIER", "SHARED_POOL", "attach_tiers", "in_period", "transaction_log", "within"]

NO_TIER = "none"
"""Tier given to customers missing from the segments table (no purchase yet)."""

SHARED_POOL = "shared_pool"
"""Owner shown for customers with no sales rep (公海, the shared account pool)."""

_LOG_COLUMNS = {"customer_id", "day", "kind", "is_outlier", "amount", "value"}


def transaction_log(orders: Any, as_of: date | None = None,
                    settings: TransactionSettings | None = None) -> pl.LazyFrame:
    """``orders`` as the house's transaction log (:func:`workbench.transactions.transactions`).

    A log already (``ctx.transactions()``, columns ``kind`` and ``value``) passes through,
    cut at ``as_of`` (``settings`` is then ignored: its policy was applied when it was
    built); canonical orders are read with ``transactions(orders, as_of, settings)``
    (lazily; with ``as_of``, the outlier cap known then is computed at once, by
    ``transactions.log_at``).
    """
    lf = as_lazy(orders, "orders")
    if _LOG_COLUMNS <= set(lf.collect_schema().names()):
        return lf if as_of is None else lf.filter(pl.col("day") <= as_of)
    log = transactions.transactions(lf, as_of, settings)
    # at a date the cap is computed here, once: each row's value then depends on that row
    # alone, so the callers' queries over the log run on the streaming engine
    return log if as_of is None else transactions.log_at(log, as_of, settings)


def _day(column: str) -> pl.Expr:
    return pl.col(column).cast(pl.Date)


def within(df: Any, column: str, start: date | None = None, end: date | None = None
           ) -> pl.DataFrame:
    """Rows whose ``column`` (date or datetime) falls in the window ``start < day <= end``.

    The house's trailing window (``periods.trailing_window``); open ends where None.
    """
    out = as_polars(df, "table", [column])
    if start is not None:
        out = out.filter(_day(column) > start)
    if end is not None:
        out = out.filter(_day(column) <= end)
    return out


def in_period(df: Any, column: str, first: date, last: date) -> pl.DataFrame:
    """Rows whose ``column`` falls on ``first`` .. ``last`` (a calendar period, both included)."""
    out = as_polars(df, "table", [column])
    return out.filter((_day(column) >= first) & (_day(column) <= last))


def window_months(start: date, end: date) -> float:
    """The length of the window ``start < day <= end`` in months (``periods.DAYS_PER_MONTH``)."""
    return (end - start).days / periods.DAYS_PER_MONTH


@overload
def period_labels(frame: pl.DataFrame, column: str, freq: str, name: str = ...
                  ) -> pl.DataFrame: ...
@overload
def period_labels(frame: pl.LazyFrame, column: str, freq: str, name: str = ...
                  ) -> pl.LazyFrame: ...
def period_labels(frame: pl.DataFrame | pl.LazyFrame, column: str, freq: str,
                  name: str = "period") -> pl.DataFrame | pl.LazyFrame:
    """``frame`` with ``name`` = the label of the period (``periods.period_of``) of ``column``.

    A LazyFrame stays lazy: only its distinct days are read (on the streaming engine).
    """
    distinct = frame.select(_day(column).alias("_d")).unique().drop_nulls()
    days = (distinct.collect(engine="streaming") if isinstance(distinct, pl.LazyFrame)
            else distinct).get_column("_d").to_list()
    labels = {d: periods.period_of(d, freq) for d in days}
    return frame.with_columns(_day(column).replace_strict(
        labels, default=None, return_dtype=pl.String).alias(name))


def attach_tiers(customers: Any, tiers: Any, tier_col: str = "tier") -> pl.DataFrame:
    """Customers with their tier; customers missing from ``tiers`` get tier :data:`NO_TIER`.

    Args:
        customers: canonical customers table.
        tiers: table with ``customer_id`` and ``tier_col`` (``segments.parquet``).
        tier_col: the tier column of ``tiers``.

    Returns:
        ``customers`` with a ``tier`` column and ``owner`` (``sales_rep`` or
        :data:`SHARED_POOL`).  Every customer row is kept.
    """
    people = as_polars(customers, "customers", ["customer_id"])
    seg = as_polars(tiers, "segments", ["customer_id", tier_col])
    dup = seg.filter(pl.col("customer_id").is_duplicated())
    if dup.height:
        ex = ", ".join(dup.get_column("customer_id").unique().sort().head(3).to_list())
        raise DataError(
            f"segments: customer_id repeats ({ex}); each customer needs exactly one tier. "
            f"Re-run notebook 02.")
    t = seg.select("customer_id", pl.col(tier_col).cast(pl.String).alias("tier"))
    out = people.drop("tier", strict=False).join(t, on="customer_id", how="left")
    out = out.with_columns(pl.col("tier").fill_null(NO_TIER))
    if "sales_rep" in out.columns:
        out = out.with_columns(
            pl.when(pl.col("sales_rep").is_null() | (pl.col("sales_rep").cast(pl.String) == ""))
            .then(pl.lit(SHARED_POOL)).otherwise(pl.col("sales_rep")).alias("owner"))
    else:
        out = out.with_columns(pl.lit(SHARED_POOL).alias("owner"))
    return out


def known_customers(df: pl.DataFrame, customers: pl.DataFrame, table: str, key: str) -> None:
    """Raise a DataError when rows of ``df`` belong to customers missing from ``customers``."""
    unknown = df.join(customers.select("customer_id"), on="customer_id", how="anti")
    if unknown.height:
        ex = ", ".join(map(str, unknown.get_column(key).head(3).to_list()))
        raise DataError(
            f"{table}: {unknown.height} row(s) (e.g. {key} {ex}) belong to customers missing from "
            f"the customers table; re-run `workbench clean`, which quarantines them as "
            f"unknown_customer.")


def customers_on_file(customers: pl.DataFrame, end: date | None) -> pl.DataFrame:
    """Customers signed up on or before ``end`` (all of them without a signup date)."""
    if end is None or "signup_date" not in customers.columns:
        return customers
    return customers.filter(_day("signup_date") <= end)


def customer_columns(out: pl.DataFrame, customers: Any) -> pl.DataFrame:
    """``out`` with the customers' ``name, company, tier, owner`` (those present) joined on."""
    if customers is None:
        return out
    people = as_polars(customers, "customers", ["customer_id"])
    extra = [c for c in ("name", "company", "tier", "owner") if c in people.columns]
    return out.join(people.select("customer_id", *extra), on="customer_id", how="left")
