"""The transaction model: what a purchase, a return and net revenue are, written once.

Every room (segmentation, CLV, churn, service, the report) reads orders through
this module; none re-derives these rules.  The functions are polars expressions
over lazy frames (nothing eager).  The rule helpers (:func:`is_cancelled`,
:func:`is_return`, :func:`is_purchase`, :func:`signed_amount`, the outlier policy,
the as-of bound, the window and the money sum) take the expression namespace as
``ns``: ``polars`` by default, or ``narwhals``, whose expression API mirrors
polars', so the very same function body builds the expression that
:mod:`workbench.engine` runs on DuckDB or Spark (``docs/scale.md``).

Definitions (canonical ``orders`` columns, ``docs/data-model.md``)
------------------------------------------------------------------
- **Cancelled order**: ``status == "cancelled"``.  Not a transaction at all: it is
  neither a purchase nor a return and carries no money.  (The cleaning step
  quarantines cancelled orders; a table built elsewhere may still hold them.)
- **Return**: not cancelled, and ``status == "returned"`` or ``amount < 0``.  Its
  money is always negative (a positive return amount is negated).
- **Purchase**: not cancelled, not a return, and ``amount > 0``.  An order with
  amount 0 (a free sample) is neither; a missing status reads as ``completed``.
- **Purchase day**: the calendar day of a purchase (``order_date`` as a date).
  Two purchases on one day are one purchase occasion (lifetimes' definition,
  used for frequency, recency and the lifecycle).
- **Outlier policy** (``transactions.outlier_amounts`` in ``workbench.yaml``): an
  order the cleaning flagged ``is_outlier`` **is still a purchase everywhere**
  (frequency, recency, lifecycle, tier, churn).  Only its *amount* in money
  metrics follows the policy, the same in every room:

  - ``cap`` (default): the amount is capped at the ``outlier_cap_quantile``
    (default 0.99) quantile of the unflagged purchase amounts known at the as-of
    date, so one mistyped amount cannot make a customer worth millions while a
    genuinely big buyer still ranks at the top;
  - ``keep``: the amount counts as booked;
  - ``exclude``: the amount counts as 0.

  Column ``amount`` keeps the booked (signed) amount; column ``value`` is the
  signed amount after the policy, to the cent.  Every money metric sums ``value``,
  in whole cents, so a figure is the same to the last bit on every run.
- **Net revenue over a window**: the sum of ``value`` of the transactions dated
  in the window (purchases positive, returns negative), per customer.  The
  window of the last 12 months at ``as_of`` is ``add_months(as_of, -12) < day <=
  as_of`` (:func:`workbench.periods.trailing_window`).
- **As of a date**: a table is known at ``as_of`` up to and including that day,
  by the date column in :data:`DATE_COLUMNS` (for a datetime column, strictly
  before the next midnight).  A complaint opened by ``as_of`` but resolved after
  it is *open* at ``as_of``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, ClassVar, Literal

import polars as pl

from . import periods
from .errors import UsageError
from .frames import as_lazy, by_customer
from .settings import Settings

__all__ = [
    "DATE_COLUMNS",
    "KINDS",
    "ORDER_COLUMNS",
    "TransactionSettings",
    "as_of_filter",
    "customer_activity",
    "first_purchases",
    "is_open_at",
    "is_cancelled",
    "is_normal_purchase",
    "is_purchase",
    "is_return",
    "known_by",
    "log_columns",
    "cents_sum",
    "from_cents",
    "money_sum",
    "net_revenue",
    "policy_value",
    "purchases",
    "returns",
    "signed_amount",
    "transaction_kind",
    "transactions",
    "window_filter",
]

#: The date column that places each canonical table in time.
DATE_COLUMNS = {
    "customers": "signup_date",
    "orders": "order_date",
    "visits": "visit_date",
    "complaints": "opened_at",
    "surveys": "survey_date",
}

#: The canonical order columns :func:`transactions` reads (``order_id`` is carried along
#: when present): a room that builds the log from the orders and nothing else reads these
#: columns of ``orders.parquet`` only (:meth:`workbench.context.Context.loader`).
ORDER_COLUMNS = ("order_id", "customer_id", "order_date", "amount", "status", "is_outlier")

#: The kinds of transaction in :func:`transactions` (cancelled orders are dropped).
KINDS = ("purchase", "return", "other")


@dataclass(frozen=True)
class TransactionSettings(Settings):
    """The ``transactions:`` section of ``workbench.yaml``: the house's outlier policy.

    Attributes:
        outlier_amounts: how the amount of an order flagged ``is_outlier`` enters
            money metrics: ``cap`` (default), ``keep`` or ``exclude``.  The order
            is a purchase in every case.
        outlier_cap_quantile: with ``cap``, the quantile of the unflagged purchase
            amounts used as the cap (default 0.99).
    """

    SECTION: ClassVar[str] = "transactions"

    outlier_amounts: Literal["cap", "keep", "exclude"] = "cap"
    outlier_cap_quantile: float = 0.99

    def check(self) -> None:
        if not 0.5 <= self.outlier_cap_quantile <= 1.0:
            self.fail("outlier_cap_quantile", self.outlier_cap_quantile,
                      "a quantile between 0.5 and 1 (e.g. 0.99)")


# --------------------------------------------------------------------------- rules


def _status(status: str | None, ns: Any = pl) -> Any:
    if status is None:
        return ns.lit("completed")
    return ns.col(status).cast(ns.String).fill_null("completed")


def is_cancelled(status: str | None = "status", *, ns: Any = pl) -> pl.Expr:
    """True for a cancelled order (see the module's definitions).

    ``ns`` is the expression namespace (``polars`` or ``narwhals``), for every rule here.
    """
    return _status(status, ns) == "cancelled"


def is_return(amount: str = "amount", status: str | None = "status", *,
              ns: Any = pl) -> pl.Expr:
    """True for a return: not cancelled, and status ``returned`` or a negative amount."""
    return ~is_cancelled(status, ns=ns) & ((_status(status, ns) == "returned")
                                           | (ns.col(amount) < 0))


def is_purchase(amount: str = "amount", status: str | None = "status", *,
                ns: Any = pl) -> pl.Expr:
    """True for a purchase: not cancelled, not a return, amount above 0."""
    return (~is_cancelled(status, ns=ns) & ~is_return(amount, status, ns=ns)
            & (ns.col(amount) > 0))


def signed_amount(amount: str = "amount", status: str | None = "status", *,
                  ns: Any = pl) -> pl.Expr:
    """The booked amount with returns negative (a positive return amount is negated)."""
    return (ns.when(is_return(amount, status, ns=ns)).then(-ns.col(amount).abs())
            .otherwise(ns.col(amount))).cast(ns.Float64)


def transaction_kind(amount: str = "amount", status: str | None = "status", *,
                     ns: Any = pl) -> pl.Expr:
    """``return``, ``purchase`` or ``other`` (an order that is neither, e.g. amount 0)."""
    return (ns.when(is_return(amount, status, ns=ns)).then(ns.lit("return"))
            .otherwise(ns.when(is_purchase(amount, status, ns=ns)).then(ns.lit("purchase"))
                       .otherwise(ns.lit("other"))))


def _day(column: str, dtype: Any, ns: Any = pl) -> pl.Expr:
    if dtype == ns.Date:
        return ns.col(column)
    if isinstance(dtype, ns.Datetime):
        return ns.col(column).dt.date()
    return ns.col(column).cast(ns.Date)


def known_by(column: str, dtype: Any, as_of: date, ns: Any = pl) -> pl.Expr:
    """True for a row dated on or before ``as_of`` (a datetime: before the next midnight)."""
    if ns is pl and isinstance(dtype, pl.Datetime):  # compares the raw column: pushed down
        return pl.col(column) < pl.lit(as_of + timedelta(days=1)).cast(dtype)
    if dtype == ns.Date or isinstance(dtype, ns.Datetime):
        return _day(column, dtype, ns) <= ns.lit(as_of)
    return ns.col(column).cast(ns.Date) <= ns.lit(as_of)


def as_of_filter(frame: Any, table: str, as_of: date | None, *,
                 column: str | None = None) -> pl.LazyFrame:
    """The rows of a canonical ``table`` known at ``as_of`` (that day included).

    ``column`` overrides the table's date column (:data:`DATE_COLUMNS`).
    """
    if table not in DATE_COLUMNS and column is None:
        raise UsageError(f"no date column is known for table '{table}'; "
                         f"tables are {sorted(DATE_COLUMNS)}.")
    col = column or DATE_COLUMNS[table]
    lf = as_lazy(frame, table, [col])
    if as_of is None:
        return lf
    return lf.filter(known_by(col, lf.collect_schema()[col], as_of))


_MICROSECONDS = pl.Datetime("us")


def is_open_at(as_of: date, dtype: pl.DataType = _MICROSECONDS, *,
               opened: str = "opened_at", resolved: str = "resolved_at") -> pl.Expr:
    """True for a complaint open at the end of ``as_of``: opened by then, not resolved by then.

    ``dtype`` is the type of the ``resolved`` column (Date or Datetime).
    """
    end = (pl.lit(as_of) if dtype == pl.Date
           else pl.lit(as_of + timedelta(days=1)).cast(dtype))
    opened_by = (pl.col(opened).cast(pl.Date) <= as_of)
    resolved_by = (pl.col(resolved) <= end) if dtype == pl.Date else (pl.col(resolved) < end)
    return opened_by & ~resolved_by.fill_null(False)


# --------------------------------------------------------------------------- the log


def transactions(orders: Any, as_of: date | None = None,
                 settings: TransactionSettings | None = None, *,
                 customer_id_col: str = "customer_id", date_col: str = "order_date",
                 amount_col: str = "amount", status_col: str | None = "status",
                 outlier_col: str | None = "is_outlier",
                 order_id_col: str | None = "order_id",
                 carry: Sequence[str] = ()) -> pl.LazyFrame:
    """The transaction log known at ``as_of``: every order that is not cancelled.

    Args:
        orders: canonical orders (polars, lazy or eager, or pandas).
        as_of: keep orders dated on or before this day (None: all).
        settings: the outlier policy (default :class:`TransactionSettings`).
        *_col: column names; ``status_col``, ``outlier_col`` and ``order_id_col``
            may be absent from ``orders`` (every order is then completed, none
            flagged, and no order id is carried).
        carry: other columns of ``orders`` each row keeps, as they are (e.g. the
            ``product_category`` of management's category shares).

    Returns:
        A LazyFrame with ``customer_id, order_id`` (when present), ``order_date``
        (as given), ``day`` (Date), ``kind`` (``purchase``, ``return`` or
        ``other``), ``is_outlier``, ``amount`` (booked, signed) and ``value``
        (signed, after the outlier policy), whatever the input's names, then the
        ``carry`` columns.
    """
    settings = settings or TransactionSettings()
    lf = as_lazy(orders, "orders", [customer_id_col, date_col, amount_col, *carry])
    schema = lf.collect_schema()
    keep, cols = log_columns(schema, customer_id_col=customer_id_col, date_col=date_col,
                             amount_col=amount_col, status_col=status_col,
                             outlier_col=outlier_col, order_id_col=order_id_col)
    lf = as_of_filter(lf, "orders", as_of, column=date_col)
    log = lf.filter(keep).select(*cols, *carry)
    return log.with_columns(policy_value(settings).round(2).alias("value"))


def log_at(log: pl.LazyFrame | pl.DataFrame, as_of: date,
           settings: TransactionSettings | None = None) -> pl.LazyFrame:
    """The transaction log known at ``as_of``, cut from a :func:`transactions` log known at a
    later day, without reading the orders again.

    The same rows and values as ``transactions(orders, as_of, settings)``: the rows dated on
    or before ``as_of``, their ``value`` derived again by the outlier policy over those rows
    only (the cap is the one known at ``as_of``).  Extra columns of ``log`` are kept.  With
    the ``cap`` policy the cap is computed first (one aggregate query), so each row's value
    depends on that row alone and the cut can be summarised per partition of the customers
    (:func:`workbench.frames.by_customer`).
    """
    ts = settings or TransactionSettings()
    cut = (as_lazy(log, "transactions", ["day", "amount", "kind", "is_outlier"])
           .filter(pl.col("day") <= as_of))
    if ts.outlier_amounts != "cap":
        return cut.with_columns(policy_value(ts).round(2).alias("value"))
    cap = cut.select(_log_cap(ts)).collect().item()
    return cut.with_columns(policy_value(ts, None if cap is None else float(cap)).round(2)
                            .alias("value"))


def log_columns(schema: Any, *, customer_id_col: str = "customer_id",
                date_col: str = "order_date", amount_col: str = "amount",
                status_col: str | None = "status", outlier_col: str | None = "is_outlier",
                order_id_col: str | None = "order_id", ns: Any = pl) -> tuple[Any, list[Any]]:
    """The rows and columns of the log before the outlier policy, for orders of ``schema``.

    Returns ``(keep, columns)``: the filter that drops cancelled orders, and the
    expressions of ``customer_id[, order_id], order_date, day, kind, is_outlier, amount``
    (:func:`transactions` then adds ``value`` with :func:`policy_value`).
    """
    names = list(schema.keys()) if hasattr(schema, "keys") else list(schema)
    status = status_col if status_col and status_col in names else None
    flag = (ns.col(outlier_col).fill_null(False) if outlier_col and outlier_col in names
            else ns.lit(False))
    cols = [ns.col(customer_id_col).cast(ns.String).alias("customer_id")]
    if order_id_col and order_id_col in names:
        cols.append(ns.col(order_id_col).cast(ns.String).alias("order_id"))
    cols += [
        ns.col(date_col).alias("order_date"),
        _day(date_col, schema[date_col], ns).alias("day"),
        transaction_kind(amount_col, status, ns=ns).alias("kind"),
        flag.alias("is_outlier"),
        signed_amount(amount_col, status, ns=ns).alias("amount"),
    ]
    return ~is_cancelled(status, ns=ns), cols


#: :func:`policy_value` with ``cap`` left out: the cap is the quantile over the log itself.
_FROM_LOG: Any = object()


def is_normal_purchase(ns: Any = pl) -> pl.Expr:
    """A purchase of the log that the cleaning did not flag: the basis of the outlier cap."""
    return (ns.col("kind") == "purchase") & ~ns.col("is_outlier")


def _log_cap(settings: TransactionSettings) -> pl.Expr:
    """The cap of the ``cap`` policy over a log: the ``outlier_cap_quantile`` quantile
    (linear) of its unflagged purchase amounts."""
    return pl.col("amount").filter(is_normal_purchase()).quantile(
        settings.outlier_cap_quantile, "linear")


def policy_value(settings: TransactionSettings, cap: Any = _FROM_LOG, *,
                 ns: Any = pl) -> pl.Expr:
    """A log's ``value`` before rounding to the cent: ``amount`` after the outlier policy.

    ``cap`` (policy ``cap`` only): default the ``outlier_cap_quantile`` quantile
    (linear) of the log's unflagged purchase amounts, computed in the same query;
    an engine that computes it apart passes the number (or None: no unflagged
    purchase, nothing is capped).
    """
    amount, flagged = ns.col("amount"), ns.col("is_outlier")
    if settings.outlier_amounts == "keep":
        return amount
    if settings.outlier_amounts == "exclude":
        return ns.when(flagged).then(ns.lit(0.0)).otherwise(amount)
    if cap is None:
        return amount
    if cap is _FROM_LOG:
        cap = _log_cap(settings)
    gate = flagged & cap.is_not_null() if isinstance(cap, pl.Expr) else flagged
    return ns.when(gate).then(amount.clip(-cap, cap)).otherwise(amount)


def purchases(log: pl.LazyFrame | pl.DataFrame) -> pl.LazyFrame:
    """The purchases of a :func:`transactions` log."""
    return as_lazy(log, "transactions").filter(pl.col("kind") == "purchase")


def first_purchases(log: pl.LazyFrame | pl.DataFrame, *,
                    rows_per_part: int | None = None) -> pl.DataFrame:
    """``customer_id, first_purchase``: the day of each buyer's first purchase in ``log``
    (the ``first_purchase`` of :func:`customer_activity`), sorted by customer.

    A buyer's first purchase is the same in any log cut at a later day, so one table serves
    every cut-off.  The purchases are read per hash partition of the customers
    (:func:`workbench.frames.by_customer`), so a scan of millions of orders is never held.
    """
    buys = purchases(as_lazy(log, "transactions", ["customer_id", "day", "kind"]))
    return by_customer(buys.select("customer_id", "day"),
                       lambda part: part.group_by("customer_id")
                       .agg(pl.col("day").min().alias("first_purchase")),
                       rows_per_part=rows_per_part)


def returns(log: pl.LazyFrame | pl.DataFrame) -> pl.LazyFrame:
    """The returns of a :func:`transactions` log (``value`` and ``amount`` negative)."""
    return as_lazy(log, "transactions").filter(pl.col("kind") == "return")


def window_filter(start: date | None, end: date | None, *, ns: Any = pl) -> Any:
    """True for a transaction with ``start < day <= end`` (open ends where None)."""
    keep = ns.lit(True)
    if start is not None:
        keep = keep & (ns.col("day") > ns.lit(start))
    if end is not None:
        keep = keep & (ns.col("day") <= ns.lit(end))
    return keep


def _window(log: pl.LazyFrame | pl.DataFrame, start: date | None,
            end: date | None) -> pl.LazyFrame:
    """Rows with ``start < day <= end`` (open ends where None)."""
    log = as_lazy(log, "transactions", ["customer_id", "day", "kind", "value"])
    if start is None and end is None:
        return log
    return log.filter(window_filter(start, end))


def cents_sum(values: Any, *, ns: Any = pl) -> pl.Expr:
    """The sum of money ``values`` as a whole number of cents (see :func:`money_sum`)."""
    return (values * 100).round(0).cast(ns.Int64).sum()


def from_cents(cents: Any, *, ns: Any = pl) -> pl.Expr:
    """Whole cents back to money.  Engines hand their :func:`cents_sum` to the driver,
    which divides with polars, so a figure is the same to the last bit on every engine."""
    return cents.cast(ns.Float64) / 100


def money_sum(values: Any, *, ns: Any = pl) -> pl.Expr:
    """A money sum that is the same to the last bit on every run and every engine: the
    values are added in whole cents (integers), so neither the order of the rows nor how
    a parallel group-by splits them can change a figure."""
    return from_cents(cents_sum(values, ns=ns), ns=ns)


_sum = money_sum


def net_revenue(log: pl.LazyFrame | pl.DataFrame, as_of: date, months: int = 12, *,
                name: str | None = None) -> pl.LazyFrame:
    """Net revenue per customer over the trailing ``months`` months at ``as_of``.

    Returns ``customer_id, <name>`` (default ``net_revenue_<months>m``) for every
    customer with a transaction in the window.
    """
    start, end = periods.trailing_window(as_of, months)
    col = name or f"net_revenue_{months}m"
    return (_window(log, start, end).group_by("customer_id")
            .agg(_sum(pl.col("value")).alias(col)).sort("customer_id"))


def customer_activity(log: pl.LazyFrame | pl.DataFrame, start: date | None = None,
                      end: date | None = None) -> pl.LazyFrame:
    """What each customer did in ``start < day <= end`` (open ends where None).

    Returns one row per customer with a transaction in the window:
    ``customer_id, n_orders`` (purchases), ``purchase_days, first_purchase,
    last_purchase`` (null without a purchase), ``gross`` (money of purchases),
    ``returns`` (money returned, positive), ``net`` (``gross - returns``),
    ``outlier_orders`` (flagged purchases).
    """
    w = _window(log, start, end)
    buy = pl.col("kind") == "purchase"
    ret = pl.col("kind") == "return"
    return (w.group_by("customer_id").agg(
        buy.sum().cast(pl.Int64).alias("n_orders"),
        pl.col("day").filter(buy).n_unique().cast(pl.Int64).alias("purchase_days"),
        pl.col("day").filter(buy).min().alias("first_purchase"),
        pl.col("day").filter(buy).max().alias("last_purchase"),
        _sum(pl.col("value").filter(buy)).alias("gross"),
        (-_sum(pl.col("value").filter(ret))).alias("returns"),
        _sum(pl.col("value")).alias("net"),
        (buy & pl.col("is_outlier")).sum().cast(pl.Int64).alias("outlier_orders"),
    ).sort("customer_id"))
