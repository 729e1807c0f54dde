"""The churn label: the churn window, who can churn at a cut-off, and who did.

A customer *churns* at a cut-off ``c`` when they make no purchase (a purchase of
the transaction model, outlier orders included) in ``(c, c + N]``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, TypeVar

import numpy as np
import polars as pl

from .. import i18n
from .. import transactions as tx
from ..errors import DataError, UsageError
from ..frames import customer_parts
from .data import OrderColumns, order_log
from .text import ROOM

__all__ = ["ChurnWindow", "fit_window", "labels", "population", "purchase_gaps", "window_from_log"]


@dataclass(frozen=True)
class ChurnWindow:
    """The churn window and why it was chosen.

    Attributes:
        days: the window ``N``: no purchase in ``N`` days after a date means churned.
        quantile: the quantile of inter-purchase gaps used.
        gap_quantile_days: that quantile, before rounding.
        median_gap_days: the median gap between purchases.
        n_gaps: how many gaps (repeat purchases) it rests on.
        fitted: False when ``days`` was given by the user.
    """

    days: int
    quantile: float
    gap_quantile_days: float
    median_gap_days: float
    n_gaps: int
    fitted: bool = True

    def explain(self, lang: str = "en") -> str:
        """The choice in plain words (zh or en)."""
        core = i18n.say("window_core", lang, room=ROOM, n_gaps=self.n_gaps, median=self.median_gap_days,
                        q=round(100 * self.quantile), gap_q=self.gap_quantile_days)
        rest = i18n.say("window_fitted" if self.fitted else "window_given", lang, room=ROOM, days=self.days)
        return core + rest


Rows = TypeVar("Rows", pl.DataFrame, pl.LazyFrame)


def purchase_gaps(buys: Rows) -> Rows:
    """Each customer's purchase days, sorted by customer and day, with ``gap``: the days since
    the customer's previous purchase day (null on their first).

    ``buys``: purchases with ``customer_id, day`` (eager, or lazy: the result is lazy too).
    Returns ``customer_id, day, gap``.
    """
    days = buys.select("customer_id", "day").unique().sort("customer_id", "day")
    same = pl.col("customer_id") == pl.col("customer_id").shift(1)
    return days.with_columns(
        pl.when(same).then((pl.col("day") - pl.col("day").shift(1)).dt.total_days()).alias("gap"))


def _gaps(buys: pl.DataFrame | pl.LazyFrame) -> np.ndarray:
    """Every gap between consecutive purchase days (:func:`purchase_gaps`), as floats, in no
    particular order: read per hash partition of the customers when there are many purchases
    (:func:`workbench.frames.customer_parts`: a customer's days are never split)."""
    parts = [purchase_gaps(part).select(pl.col("gap").drop_nulls().cast(pl.Float64))
             .collect().get_column("gap").to_numpy()
             for part in customer_parts(buys.lazy().select("customer_id", "day"))]
    return np.concatenate(parts) if parts else np.zeros(0)


def window_from_log(log: pl.DataFrame, as_of: date | None = None, quantile: float = 0.9,
                    round_to: int = 30, days: int | None = None) -> ChurnWindow:
    """Choose the churn window from the purchase cycle of a transaction log (or describe a given one).

    Args:
        log: a :func:`workbench.transactions.transactions` log (collected).
        as_of: only purchases on or before this date count (None: all).
        quantile: the quantile of inter-purchase gaps (0.9: 90 % of repeat
            purchases come sooner than the window).
        round_to: round the quantile up to a multiple of this many days.
        days: a window chosen by the user; it is kept and only described.

    Raises:
        DataError: fewer than 20 repeat purchases, too few to read a cycle from.
        UsageError: ``quantile`` outside (0, 1) or ``days`` not positive.
    """
    if not 0 < quantile < 1:
        raise UsageError(f"quantile {quantile} must lie strictly between 0 and 1 (e.g. 0.9).")
    if days is not None and int(days) <= 0:
        raise UsageError(f"churn_window_days {days} must be a positive number of days (e.g. 90).")
    buys = tx.purchases(log)
    if as_of is not None:
        buys = buys.filter(pl.col("day") <= as_of)
    gaps = _gaps(buys)
    if gaps.size < 20 and days is None:
        raise DataError(
            f"orders: only {gaps.size} repeat purchases up to {as_of}; too few to read a purchase "
            f"cycle from. Set churn_window_days explicitly (e.g. 90)."
        )
    gq = float(np.quantile(gaps, quantile)) if gaps.size else float("nan")
    med = float(np.median(gaps)) if gaps.size else float("nan")
    if days is None:
        n = int(max(round_to, math.ceil(gq / round_to) * round_to))
        return ChurnWindow(n, quantile, gq, med, int(gaps.size), fitted=True)
    return ChurnWindow(int(days), quantile, gq, med, int(gaps.size), fitted=False)


def fit_window(orders: Any, as_of: date | None = None, quantile: float = 0.9, round_to: int = 30,
               days: int | None = None, settings: tx.TransactionSettings | None = None,
               columns: OrderColumns | None = None) -> ChurnWindow:
    """:func:`window_from_log` on the log of an order table (rows after ``as_of`` ignored)."""
    return window_from_log(order_log(orders, as_of, settings, columns), as_of, quantile, round_to, days)


def population(buys: pl.DataFrame, cutoff: date, lapsed_days: int) -> pl.DataFrame:
    """Customers who can churn at ``cutoff``.

    At least one purchase on or before ``cutoff`` and the last one no more than
    ``lapsed_days`` before it.  ``buys``: purchases with ``customer_id, day``
    (:func:`workbench.churn.split` or :func:`workbench.transactions.purchases`).

    Returns:
        ``customer_id, last_purchase`` sorted by customer id.
    """
    return (buys.lazy().filter(pl.col("day") <= cutoff)
            .group_by("customer_id").agg(pl.col("day").max().alias("last_purchase"))
            .filter((pl.lit(cutoff) - pl.col("last_purchase")).dt.total_days() <= lapsed_days)
            .sort("customer_id").collect())


def labels(buys: pl.DataFrame, customers: Sequence[str] | pl.Series, cutoff: date,
           window_days: int) -> pl.DataFrame:
    """The churn label: 1 when the customer makes no purchase in ``(cutoff, cutoff + window_days]``.

    Returns:
        ``customer_id, churned`` (Int8) for every id in ``customers``, in that order.
    """
    end = cutoff + timedelta(days=window_days)
    bought = (buys.filter((pl.col("day") > cutoff) & (pl.col("day") <= end))
              .get_column("customer_id").unique())
    ids = (customers.rename("customer_id") if isinstance(customers, pl.Series)
           else pl.Series("customer_id", list(customers), dtype=pl.String))
    bought = bought.cast(ids.dtype)
    return pl.DataFrame({"customer_id": ids}).with_columns(
        (~pl.col("customer_id").is_in(bought.implode())).cast(pl.Int8).alias("churned"))
