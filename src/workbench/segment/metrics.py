"""Customer metrics from the transaction log: frequency, recency, tenure, monetary, NPS.

What a purchase, a return, a purchase day and an order's money are is the
transaction model's (:mod:`workbench.transactions`, ``docs/architecture.md#the-transaction-model``);
this module only summarises the log per customer.  An order the cleaning flagged
``is_outlier`` is a purchase like any other (frequency, recency, tenure, lifecycle,
tier); only its amount in ``monetary`` follows ``transactions.outlier_amounts``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import numpy as np
import polars as pl

from .. import transactions as tx
from ..errors import DataError, UsageError
from ..frames import as_polars, by_customer, null_counts, require_columns
from ..periods import parse_date

__all__ = ["READS", "customer_metrics", "latest_nps", "log_at", "metrics_from_log",
           "transaction_log"]

#: The columns of the clean tables the segmentation reads, by table (a table not named is
#: read whole): of the orders, what :func:`transaction_log` reads (the transaction model's
#: columns without the order id, plus the margin); of the customers, the ids (every
#: customer of the archive has a row; the attributes a page shows beside the tiers come
#: from the archive itself, :func:`with_attributes`).  For ``Context.loader``.
READS: dict[str, tuple[str, ...]] = {
    "orders": (*(c for c in tx.ORDER_COLUMNS if c != "order_id"), "gross_margin"),
    "customers": ("customer_id",),
}

#: Columns of :func:`customer_metrics`, in order (``gross_margin`` follows when known).
METRIC_COLUMNS = ("n_orders", "purchase_days", "frequency", "monetary", "returns",
                  "first_order_date", "last_order_date", "recency_days", "tenure_days",
                  "mean_gap_days", "avg_order_value", "outlier_orders")


def no_nulls(df: pl.DataFrame | pl.LazyFrame, cols: Sequence[str], what: str) -> None:
    """DataError naming the column, the number of empty rows and the first one (a lazy
    frame is checked by one aggregate query, its rows never held)."""
    counts = null_counts(df, cols)
    for c in cols:
        n = counts[c]
        if n:
            first = (df.lazy().with_row_index("_row").filter(pl.col(c).is_null())
                     .select("_row").head(1).collect().item())
            raise DataError(
                f"{what}.{c}: {n} row(s) are empty (first at row {first}); every row needs a "
                f"value. Run `workbench clean` or fill the column."
            )


def spread(mask: np.ndarray, frame: pl.DataFrame) -> list[pl.Series]:
    """The columns of ``frame`` (one row per True of ``mask``, in order) spread over all
    rows of ``mask``, null where it is False: the result of a join on row position,
    without the join and the sort back."""
    index = np.cumsum(mask) - 1
    idx = pl.Series(np.where(mask, index, 0), dtype=pl.UInt32)
    take = pl.DataFrame({"_i": idx, "_m": mask}).select(
        pl.when(pl.col("_m")).then(pl.col("_i")).alias("_i")).to_series()
    return [frame.get_column(c).gather(take) for c in frame.columns]


def transaction_log(orders: Any, as_of: Any, settings: tx.TransactionSettings | None = None, *,
                    customer_id_col: str = "customer_id", date_col: str = "order_date",
                    amount_col: str = "amount", status_col: str = "status",
                    outlier_col: str = "is_outlier",
                    margin_col: str = "gross_margin",
                    order_margin: bool = False) -> pl.LazyFrame:
    """:func:`workbench.transactions.transactions` of ``orders`` at ``as_of``, plus ``margin``.

    Empty customer ids, dates or amounts are a DataError naming the first row.  When
    ``orders`` has ``margin_col``, the log gains ``margin``: the order's gross margin,
    negative for a return, scaled like its amount by the outlier policy
    (``margin * value / amount``), 0 where empty.  ``order_margin``: keep that margin before
    the scaling as ``order_margin`` too, so :func:`log_at` can cut the log known at an
    earlier day from this one.
    """
    day = parse_date(as_of, "as_of")
    # a lazy scan stays lazy (checked by one query; the caller collects the log itself,
    # so the orders are never held beside it); anything else is converted once
    o = orders if isinstance(orders, pl.LazyFrame) else as_polars(orders, "orders")
    require_columns(o, [customer_id_col, date_col, amount_col], "orders")
    no_nulls(o, [customer_id_col, date_col, amount_col], "orders")
    if margin_col not in o.collect_schema().names():
        return tx.transactions(o, day, settings, customer_id_col=customer_id_col,
                               date_col=date_col, amount_col=amount_col, status_col=status_col,
                               outlier_col=outlier_col, order_id_col=None)
    # The rows and columns of tx.transactions (its own expressions), with the order's margin
    # carried along the same rows: no order id to make up and join back.
    keep, cols = tx.log_columns(o.collect_schema(), customer_id_col=customer_id_col, date_col=date_col,
                                amount_col=amount_col, status_col=status_col,
                                outlier_col=outlier_col, order_id_col=None)
    lf = tx.as_of_filter(o.lazy(), "orders", day, column=date_col)
    signed = (pl.when(pl.col("kind") == "return").then(-pl.col("_margin").abs())
              .otherwise(pl.col("_margin")))
    log = (lf.filter(keep).select(*cols, pl.col(margin_col).cast(pl.Float64).alias("_margin"))
           .with_columns(signed.alias("_margin"),
                         tx.policy_value(settings or tx.TransactionSettings()).round(2)
                         .alias("value"))
           .with_columns(_scaled_margin("_margin")))
    return (log.rename({"_margin": "order_margin"}) if order_margin else log.drop("_margin"))


def _scaled_margin(signed: str) -> pl.Expr:
    """``margin``: the order's signed margin (column ``signed``) scaled like its amount by the
    outlier policy (``* value / amount``), 0 where empty."""
    factor = (pl.when(pl.col("amount") != 0).then(pl.col("value") / pl.col("amount"))
              .otherwise(1.0))
    return (pl.col(signed) * factor).fill_null(0.0).alias("margin")


def log_at(log: pl.LazyFrame | pl.DataFrame, as_of: date,
           settings: tx.TransactionSettings | None = None) -> pl.LazyFrame:
    """The segmentation's log known at ``as_of``, cut from a :func:`transaction_log` known at a
    later day without reading the orders again: the rows and values of
    ``transaction_log(orders, as_of, settings)``
    (:func:`workbench.transactions.log_at`), with ``margin`` scaled again from
    ``order_margin`` when the log has it (``transaction_log(..., order_margin=True)``).
    Extra columns are kept."""
    cut = tx.log_at(log, as_of, settings)
    if "order_margin" in cut.collect_schema().names():
        cut = cut.with_columns(_scaled_margin("order_margin"))
    return cut


def _all_customers(act: pl.DataFrame, customers: Any, customer_id_col: str) -> pl.DataFrame:
    """``act`` (one row per active customer, sorted by id) with a row for every customer
    of the archive besides, sorted by id: the archive's ids in order, the activity
    joined on, and any customer known only from the orders added."""
    c = as_polars(customers, "customers", [customer_id_col])
    no_nulls(c, [customer_id_col], "customers")
    ids = c.get_column(customer_id_col).cast(pl.String).alias("customer_id")
    ids = (ids if ids.is_sorted() else ids.sort()).set_sorted().unique(maintain_order=True)
    frame = ids.to_frame()
    out = frame.join(act, on="customer_id", how="left", maintain_order="left")
    extra = act.join(frame, on="customer_id", how="anti")
    if extra.height:
        out = pl.concat([out, extra.select(out.columns)]).sort("customer_id")
    return out


def metrics_from_log(log: pl.LazyFrame | pl.DataFrame, customers: Any = None, *, as_of: Any,
                     frequency_basis: str = "days",
                     customer_id_col: str = "customer_id",
                     partitioned: bool | None = None) -> pl.DataFrame:
    """Per-customer metrics of a :func:`transaction_log` (see :func:`customer_metrics`).

    ``partitioned``: summarise the log per hash partition of the customers when it is long
    (:func:`workbench.frames.by_customer`); None: when the log is in memory.  A lazy log may
    compute its values over all its rows (the outlier cap of
    :func:`workbench.transactions.transactions`), which a partition would change; pass True
    for one whose values are row by row (:func:`log_at`'s, whose cap is computed first)."""
    if frequency_basis not in ("days", "orders"):
        raise UsageError(f"frequency_basis '{frequency_basis}' must be 'days' or 'orders'.")
    day = parse_date(as_of, "as_of")
    lf = tx.as_of_filter(log, "transactions", day, column="day")
    has_margin = "margin" in lf.collect_schema().names()

    def activity(rows: pl.LazyFrame) -> pl.LazyFrame:
        act = tx.customer_activity(rows, None, day)
        if not has_margin:
            return act
        # added in whole cents like every money sum (tx.money_sum): a float sum's last bits
        # depend on the rows' order, and a margin of exactly 0 that came out as -1e-14
        # would drop from the middle of the (large) tie at 0 to the bottom of the ranking
        margins = rows.group_by("customer_id").agg(
            tx.money_sum(pl.col("margin")).alias("gross_margin"))
        return act.join(margins, on="customer_id", how="left", maintain_order="left")

    # A log in memory (its values fixed) of many millions of rows is summarised in
    # partitions of the customers (frames.by_customer); a lazy log in one query.
    if partitioned is None:
        partitioned = isinstance(log, pl.DataFrame)
    act = by_customer(lf, activity) if partitioned else activity(lf).collect()
    if customers is not None:
        act = _all_customers(act, customers, customer_id_col)
    as_of_lit = pl.lit(day)
    m = act.with_columns(
        pl.col("n_orders", "purchase_days", "outlier_orders").fill_null(0),
        pl.col("net").fill_null(0.0).alias("monetary"),
        pl.col("returns").fill_null(0.0),
        pl.col("first_purchase").alias("first_order_date"),
        pl.col("last_purchase").alias("last_order_date"),
        *([pl.col("gross_margin").fill_null(0.0)] if has_margin else []),
    ).with_columns(
        pl.col("purchase_days" if frequency_basis == "days" else "n_orders").alias("frequency"),
        (as_of_lit - pl.col("last_order_date")).dt.total_days().cast(pl.Int64)
        .alias("recency_days"),
        (as_of_lit - pl.col("first_order_date")).dt.total_days().cast(pl.Int64)
        .alias("tenure_days"),
        pl.when(pl.col("purchase_days") >= 2)
        .then((pl.col("last_order_date") - pl.col("first_order_date")).dt.total_days()
              / (pl.col("purchase_days") - 1))
        .otherwise(None).alias("mean_gap_days"),
        pl.when(pl.col("n_orders") > 0).then(pl.col("monetary") / pl.col("n_orders"))
        .otherwise(None).alias("avg_order_value"),
    )
    cols = ["customer_id", *METRIC_COLUMNS, *(["gross_margin"] if has_margin else [])]
    m = m.select(cols)
    if not m.get_column("customer_id").is_sorted():
        m = m.sort("customer_id")
    return m.rename({"customer_id": customer_id_col})


def customer_metrics(
    orders: Any,
    customers: Any = None,
    *,
    as_of: Any,
    transaction_settings: tx.TransactionSettings | None = None,
    customer_id_col: str = "customer_id",
    date_col: str = "order_date",
    amount_col: str = "amount",
    status_col: str = "status",
    outlier_col: str = "is_outlier",
    margin_col: str = "gross_margin",
    frequency_basis: str = "days",
) -> pl.DataFrame:
    """Business RFM per customer as of a date, from the transaction model.

    Rules (the definitions are :mod:`workbench.transactions`'):

    - the transactions known at ``as_of`` count; cancelled orders are none;
    - ``n_orders`` counts purchases, ``purchase_days`` distinct purchase days;
      ``frequency`` is ``purchase_days`` (``frequency_basis="days"``, the default, like
      lifetimes, so it equals CLV's repeat purchases + 1) or ``n_orders`` (``"orders"``);
    - ``recency_days`` = as_of - last purchase day; ``tenure_days`` = as_of - first
      purchase day; ``mean_gap_days`` = (last - first) / (purchase_days - 1) for two or
      more purchase days;
    - ``monetary`` = net revenue to date: the sum of ``value`` (purchases minus returns,
      each flagged order's amount after ``transactions.outlier_amounts``); ``returns`` the
      money returned (positive); ``avg_order_value`` = monetary / n_orders;
      ``outlier_orders`` the flagged purchases; ``gross_margin`` (returns subtracted,
      added in whole cents like every money sum,
      flagged orders scaled like their amount) when the column exists;
    - with ``customers``, every customer in it is kept; customers without a purchase
      (prospects) get frequency, n_orders and monetary 0 and null dates and recency.
      Customers that appear only in ``orders`` are kept as well.

    Args:
        orders: order rows (polars or pandas).
        customers: the customer archive, to keep prospects (optional).
        as_of: the date of the analysis.
        transaction_settings: the outlier policy (default: ``cap``).
        *_col: column names (``status_col``, ``outlier_col``, ``margin_col`` may be absent).
        frequency_basis: ``"days"`` or ``"orders"``.

    Returns:
        One row per customer, sorted by customer id (as text): ``customer_id, n_orders,
        purchase_days, frequency, monetary, returns, first_order_date, last_order_date,
        recency_days, tenure_days, mean_gap_days, avg_order_value, outlier_orders``
        (+ ``gross_margin``).
    """
    day = parse_date(as_of, "as_of")
    log = transaction_log(orders, day, transaction_settings, customer_id_col=customer_id_col,
                          date_col=date_col, amount_col=amount_col, status_col=status_col,
                          outlier_col=outlier_col, margin_col=margin_col)
    return metrics_from_log(log, customers, as_of=day, frequency_basis=frequency_basis,
                            customer_id_col=customer_id_col)


def latest_nps(surveys: Any, *, as_of: Any = None, customer_id_col: str = "customer_id",
               date_col: str = "survey_date", nps_col: str = "nps") -> pl.DataFrame:
    """The latest NPS answer (0-10) of each customer on or before ``as_of``.

    Empty NPS answers are skipped (the latest *given* answer counts); on one date with
    several answers their mean is taken.  Returns ``customer_id, nps`` (float).
    """
    s = as_polars(surveys, "surveys", [customer_id_col, date_col, nps_col])
    day: date | None = parse_date(as_of, "as_of") if as_of is not None else None
    lf = tx.as_of_filter(s, "surveys", day, column=date_col)
    lf = lf.with_columns(pl.col(date_col).cast(pl.Date)).filter(pl.col(nps_col).is_not_null())
    last = pl.col(date_col) == pl.col(date_col).max().over(customer_id_col)
    return (lf.filter(last)
            .group_by(customer_id_col).agg(pl.col(nps_col).cast(pl.Float64).mean().alias("nps"))
            .sort(customer_id_col).collect())
