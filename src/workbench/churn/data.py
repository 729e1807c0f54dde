"""What churn reads: the transaction log and the tables as known at a cut-off.

Purchases, returns, cancelled orders, the outlier policy and the as-of bounds are
the house's transaction model (:mod:`workbench.transactions`,
``docs/architecture.md#the-transaction-model``); this module only turns that log
into the churn room's money view and truncates the other tables.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import polars as pl

from .. import transactions as tx
from ..errors import DataError
from ..frames import as_polars, null_counts, require_columns
from ..segment.metrics import READS as SEGMENT_READS

__all__ = ["READS", "OrderColumns", "available_tables", "order_log", "purchases", "split",
           "truncate"]

#: The columns of the clean tables churn reads, by table (a table not named is read
#: whole): of the orders, the segmentation's (the features' log is the segmentation's, so
#: the tiers at each cut-off read it too).  For ``Context.loader``; a custom segmenter that
#: reads other order columns needs the orders whole.
READS: dict[str, tuple[str, ...]] = {"orders": SEGMENT_READS["orders"]}


@dataclass(frozen=True)
class OrderColumns:
    """Names of the order columns (canonical by default; a CDNOW-like log can rename them)."""

    customer_id: str = "customer_id"
    date: str = "order_date"
    amount: str = "amount"
    status: str | None = "status"


def order_log(orders: Any, as_of: date | None = None,
              settings: tx.TransactionSettings | None = None,
              columns: OrderColumns | None = None) -> pl.DataFrame:
    """The transaction log known at ``as_of`` (:func:`workbench.transactions.transactions`), eager.

    Raises:
        DataError: a named column is missing, or a customer id, date or amount is empty.
    """
    c = columns or OrderColumns()
    frame = checked_orders(orders, c)
    return tx.transactions(frame, as_of, settings, customer_id_col=c.customer_id, date_col=c.date,
                           amount_col=c.amount, status_col=c.status).collect()


def checked_orders(orders: Any, columns: OrderColumns | None = None) -> pl.DataFrame | pl.LazyFrame:
    """``orders`` as polars, once checked to have a customer id, a date and an amount on every
    row; a LazyFrame stays lazy (checked by one aggregate query, its rows never held).

    Raises:
        DataError: a named column is missing, or a customer id, date or amount is empty.
    """
    c = columns or OrderColumns()
    need = [c.customer_id, c.date, c.amount]
    if isinstance(orders, pl.LazyFrame):
        require_columns(orders, need, "orders")
        frame: pl.DataFrame | pl.LazyFrame = orders
    else:
        frame = as_polars(orders, "orders", need)
    for col, n in null_counts(frame, need).items():
        if n:
            raise DataError(f"orders: {n} row(s) have an empty '{col}' column; clean the orders first "
                            f"(workbench clean quarantines such rows).")
    return frame


def split(log: pl.DataFrame | pl.LazyFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The churn room's money view of a log: ``(purchases, returns)``.

    Each has ``customer_id, day, amount``; ``amount`` is the ``value`` of the
    transaction model (after the outlier policy), positive for returns too.
    """
    rows = log.lazy()  # lazy: only the three columns are gathered, not every column filtered
    buys = rows.filter(pl.col("kind") == "purchase").select("customer_id", "day",
                                                            pl.col("value").alias("amount"))
    rets = rows.filter(pl.col("kind") == "return").select("customer_id", "day",
                                                          (-pl.col("value")).alias("amount"))
    return buys.collect(), rets.collect()


def purchases(orders: Any, as_of: date | None = None,
              settings: tx.TransactionSettings | None = None,
              columns: OrderColumns | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``split(order_log(orders, as_of, settings, columns))``: purchases and returns of an order table."""
    return split(order_log(orders, as_of, settings, columns))


def truncate(tables: Mapping[str, pl.DataFrame | pl.LazyFrame | None], cutoff: date,
             orders_date_col: str = "order_date") -> dict[str, Any]:
    """What was known at the end of ``cutoff`` (:func:`workbench.transactions.as_of_filter`);
    a LazyFrame (e.g. the orders' scan) stays lazy.

    A complaint resolved after the cut-off is kept with an empty ``resolved_at``
    (it was still open).  :func:`workbench.churn.build_features` applies the same rule.
    """
    out: dict[str, Any] = {}
    for name, df in tables.items():
        col = orders_date_col if name == "orders" else tx.DATE_COLUMNS.get(name)
        if df is None or col is None or col not in df.lazy().collect_schema().names():
            out[name] = df
            continue
        if isinstance(df, pl.LazyFrame):  # a scan stays lazy: filtered as it is read
            out[name] = tx.as_of_filter(df, name, cutoff, column=col)
            continue
        kept = tx.as_of_filter(df, name, cutoff, column=col).collect()
        if kept.height == df.height and name != "complaints":
            kept = df  # nothing after the cut-off: the table itself, not a second copy
        if name == "complaints" and "resolved_at" in kept.columns:
            out[name] = open_at(kept, cutoff)
        else:
            out[name] = kept
    return out


def open_at(complaints: pl.DataFrame, cutoff: date) -> pl.DataFrame:
    """Complaints with ``resolved_at`` emptied where the resolution came after ``cutoff``."""
    bound = pl.lit(cutoff + timedelta(days=1)).cast(complaints.schema["resolved_at"])
    return complaints.with_columns(
        pl.when(pl.col("resolved_at") < bound).then(pl.col("resolved_at"))
        .otherwise(None).alias("resolved_at"))


def available_tables(loader: Callable[[str], pl.DataFrame | pl.LazyFrame],
                     names: Sequence[str] = ("orders", "customers", "visits", "complaints", "surveys"),
                     ) -> tuple[dict[str, Any], dict[str, str]]:
    """Load the tables that exist with ``loader`` (e.g. ``ctx.load``, or ``ctx.loader(READS,
    lazy=["orders"])``: the orders as a scan, which :func:`workbench.churn.analyse` reads once
    on the streaming engine); missing ones become None.

    Returns:
        ``(tables, notes)`` where ``notes`` maps a missing table to the loader's message.
    """
    tables: dict[str, Any] = {}
    notes: dict[str, str] = {}
    for name in names:
        try:
            tables[name] = loader(name)
        except DataError as exc:
            tables[name] = None
            notes[name] = str(exc)
    return tables, notes
