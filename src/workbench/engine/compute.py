"""The transaction-level work on any engine: the log, RFM, windows, cohorts and KPIs.

Every function takes a lazy narwhals frame (or a native polars, DuckDB or Spark frame)
and builds its query from the rules of :mod:`workbench.transactions` called with
``ns=narwhals``, so the engine that holds the data (polars, DuckDB, Spark) runs them;
there is no second definition here.  The heavy part runs on the engine; only
per-customer tables (and the small cohort and KPI tables) come back to the driver,
as polars through Arrow, where :mod:`workbench.rfm` finishes the RFM columns with the
same code as :func:`workbench.rfm.summary`.

Money is added in whole cents on every engine (:func:`transactions.cents_sum`) and
turned back into money on the driver (:func:`transactions.from_cents`), so the net
revenue, cohort and KPI figures are the same to the last bit on every engine;
the RFM ``monetary_value`` is the mean of cent sums (within 1e-9 of
:func:`workbench.rfm.summary`, which adds the amounts' exact binary values).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date
from typing import Any

import narwhals as nw
import polars as pl

from .. import periods, rfm
from .. import transactions as T
from ..errors import DataError, UsageError
from ..transactions import TransactionSettings
from .session import to_polars

__all__ = ["calibration_holdout", "cohort_table", "lazy", "monthly_kpis", "net_revenue",
           "outlier_cap", "purchases", "rfm_summary", "transactions"]

_CENTS = "__cents"


def _x(expr: Any) -> nw.Expr:
    """A rule of :mod:`workbench.transactions` built with ``ns=narwhals`` (typed as polars there)."""
    return expr


def lazy(frame: Any) -> nw.LazyFrame[Any]:
    """``frame`` (narwhals, polars, DuckDB relation or Spark DataFrame) as a lazy narwhals frame."""
    if isinstance(frame, nw.LazyFrame):
        return frame
    if isinstance(frame, nw.DataFrame):
        return frame.lazy()
    if isinstance(frame, pl.DataFrame):
        frame = frame.lazy()
    try:
        out = nw.from_native(frame)
    except TypeError:
        raise UsageError(f"expected a polars, DuckDB or Spark frame, got "
                         f"{type(frame).__name__}.") from None
    return out.lazy() if isinstance(out, nw.DataFrame) else out


def _require(lf: nw.LazyFrame[Any], columns: Iterable[str], what: str) -> dict[str, Any]:
    schema = dict(lf.collect_schema())
    missing = [c for c in columns if c and c not in schema]
    if missing:
        raise DataError(f"{what}: column(s) {missing} missing; the columns are {list(schema)}.")
    return schema


def _scalar(lf: nw.LazyFrame[Any]) -> dict[str, Any]:
    """The one row of an aggregate query, on the driver."""
    return to_polars(lf).row(0, named=True)


# --------------------------------------------------------------------------- the log


def outlier_cap(log: Any, settings: TransactionSettings | None = None) -> float | None:
    """The outlier cap of a log (before the policy): the policy's quantile of the unflagged
    purchase amounts, rounded to the cent; None when there is no unflagged purchase.

    The quantile is polars' linear one, computed on the driver from the two order
    statistics around its position (the engine sorts and sends only the top values), so
    every engine caps at the same number as :func:`workbench.transactions.transactions`.
    """
    q = (settings or TransactionSettings()).outlier_cap_quantile
    normal = lazy(log).filter(_x(T.is_normal_purchase(ns=nw))).select("amount")
    n = int(_scalar(normal.select(nw.len().alias("n")))["n"])
    if n == 0:
        return None
    position = (n - 1) * q
    low = math.floor(position)
    top = to_polars(normal.sort("amount", descending=True).head(n - low))
    around = top.get_column("amount").sort().head(2)
    cap = around.quantile(position - low, "linear")
    return float(pl.select(pl.lit(cap, dtype=pl.Float64).round(2)).item())


def transactions(orders: Any, as_of: date | None = None,
                 settings: TransactionSettings | None = None, *,
                 customer_id_col: str = "customer_id", date_col: str = "order_date",
                 amount_col: str = "amount", status_col: str | None = "status",
                 outlier_col: str | None = "is_outlier",
                 order_id_col: str | None = "order_id") -> nw.LazyFrame[Any]:
    """:func:`workbench.transactions.transactions` on the orders' engine (lazy).

    The same columns and rules (the same functions, built with narwhals); with the
    ``cap`` policy the cap is computed first (:func:`outlier_cap`, one small query).
    Amounts are expected to the cent, as the clean orders hold them.
    """
    settings = settings or TransactionSettings()
    lf = lazy(orders)
    schema = _require(lf, [customer_id_col, date_col, amount_col], "orders")
    keep, cols = T.log_columns(schema, customer_id_col=customer_id_col, date_col=date_col,
                               amount_col=amount_col, status_col=status_col,
                               outlier_col=outlier_col, order_id_col=order_id_col, ns=nw)
    if as_of is not None:
        lf = lf.filter(_x(T.known_by(date_col, schema[date_col], as_of, ns=nw)))
    log = lf.filter(_x(keep)).select(cols)
    cap = outlier_cap(log, settings) if settings.outlier_amounts == "cap" else None
    return log.with_columns(_x(T.policy_value(settings, cap, ns=nw)).round(2).alias("value"))


def purchases(log: Any) -> nw.LazyFrame[Any]:
    """The purchases of a log (:func:`workbench.transactions.purchases`)."""
    return lazy(log).filter(nw.col("kind") == "purchase")


def _cents(column: str) -> Any:
    return (nw.col(column) * 100).round(0).cast(nw.Int64)


# --------------------------------------------------------------------------- RFM


def _days(purch: Any, customer_id_col: str, datetime_col: str,
          monetary_value_col: str | None) -> tuple[nw.LazyFrame[Any], dict[str, Any]]:
    """``id, __day[, __cents]`` of the purchases, checked; and their profile."""
    lf = lazy(purch)
    what = "transactions"
    schema = _require(lf, [customer_id_col, datetime_col, monetary_value_col or ""], what)
    dtype = schema[datetime_col]
    if dtype == nw.Date:
        day = nw.col(datetime_col)
    elif isinstance(dtype, nw.Datetime):
        day = nw.col(datetime_col).dt.date()
    else:
        raise DataError(f"{what}: column '{datetime_col}' has type {dtype}, not dates; on an "
                        f"engine the dates must be typed (workbench clean writes them so).")
    cols = [nw.col(customer_id_col), day.alias("__day")]
    if monetary_value_col:
        if not schema[monetary_value_col].is_numeric():
            raise DataError(f"{what}: column '{monetary_value_col}' has type "
                            f"{schema[monetary_value_col]}, not numbers; convert the amounts "
                            f"to numbers first (workbench clean does).")
        cols.append(nw.col(monetary_value_col).cast(nw.Float64).alias("__m"))
    lf = lf.select(cols)
    checks = [nw.len().alias("rows"),
              nw.col(customer_id_col).is_null().cast(nw.Int64).sum().alias("id_null"),
              nw.col("__day").is_null().cast(nw.Int64).sum().alias("day_null"),
              nw.col("__day").min().alias("day_min"), nw.col("__day").max().alias("day_max")]
    if monetary_value_col:
        checks.append(nw.col("__m").is_null().cast(nw.Int64).sum().alias("m_null"))
    prof = _scalar(lf.select(checks))
    problems = [("id_null", nw.col(customer_id_col).is_null(),
                 f"have no customer id in column '{customer_id_col}'"),
                ("day_null", nw.col("__day").is_null(), f"have no date in column '{datetime_col}'"),
                ("m_null", nw.col("__m").is_null() if monetary_value_col else None,
                 f"have no amount in column '{monetary_value_col}'")]
    for key, bad, text in problems:
        if prof.get(key) and bad is not None:
            example = to_polars(lf.filter(bad).head(1)).row(0, named=True)
            raise DataError(f"{what}: {prof[key]} purchase(s) {text}, e.g. {example}; fill in "
                            f"or remove those rows (workbench clean quarantines them).")
    if not prof["rows"]:
        raise DataError(f"{what}: the transaction log is empty; there is nothing to summarise.")
    if monetary_value_col:
        lf = lf.with_columns(_cents("__m").alias(_CENTS))
    return lf, prof


def _period_aggregates(days: nw.LazyFrame[Any], id_col: str, has_m: bool) -> pl.DataFrame:
    """Per customer (on the engine): ``n_periods, first_period, last_period[, repeat_total]``."""
    per_day = days.group_by(id_col, "__day").agg(
        *([nw.col(_CENTS).sum().alias("__s")] if has_m else [nw.len().alias("__rows")]))
    aggs = [nw.len().alias("n_periods"), nw.col("__day").min().alias("first_period"),
            nw.col("__day").max().alias("last_period")]
    if has_m:
        per_day = per_day.with_columns(nw.col("__day").min().over(id_col).alias("__first"))
        aggs.append(nw.when(nw.col("__day") > nw.col("__first")).then(nw.col("__s"))
                    .otherwise(nw.lit(0)).sum().alias("__rest"))
    out = to_polars(per_day.group_by(id_col).agg(aggs))
    if has_m:
        out = out.with_columns(T.from_cents(pl.col("__rest").cast(pl.Int64))
                               .alias("repeat_total")).drop("__rest")
    return out


def _check_freq(freq: str) -> None:
    if freq != "D":
        raise UsageError(f"freq={freq!r}: on an engine the RFM summary is computed in days "
                         f"(freq='D', with freq_multiplier for weeks); use workbench.rfm "
                         f"on polars for 'W', 'M' or 'h'.")


def rfm_summary(purch: Any, customer_id_col: str = "customer_id", datetime_col: str = "day",
                monetary_value_col: str | None = "value", observation_period_end: Any = None,
                freq: str = "D", freq_multiplier: float = 1) -> pl.DataFrame:
    """:func:`workbench.rfm.summary` (lifetimes' definitions, days) on the purchases' engine.

    ``purch`` is one row per purchase, e.g. ``purchases(transactions(orders, as_of))``.
    Returns the polars DataFrame :func:`workbench.rfm.summary` returns for polars input.
    """
    _check_freq(freq)
    days, prof = _days(purch, customer_id_col, datetime_col, monetary_value_col)
    obs = prof["day_max"] if observation_period_end is None else periods.parse_date(
        observation_period_end, "observation_period_end")
    if obs < prof["day_min"]:
        raise DataError(f"observation_period_end={observation_period_end!r} comes before the "
                        f"first purchase ({prof['day_min']:%Y-%m-%d}); choose a later end date.")
    agg = _period_aggregates(days.filter(nw.col("__day") <= nw.lit(obs)), customer_id_col,
                             monetary_value_col is not None)
    return rfm.summary_from_periods(agg, customer_id_col, obs, freq, freq_multiplier)


def calibration_holdout(purch: Any, calibration_period_end: Any,
                        observation_period_end: Any = None, *,
                        customer_id_col: str = "customer_id", datetime_col: str = "day",
                        monetary_value_col: str | None = "value", freq: str = "D",
                        freq_multiplier: float = 1) -> pl.DataFrame:
    """:func:`workbench.rfm.calibration_holdout` (days) on the purchases' engine."""
    _check_freq(freq)
    cal_end = periods.parse_date(calibration_period_end, "calibration_period_end")
    days, prof = _days(purch, customer_id_col, datetime_col, monetary_value_col)
    obs_end = prof["day_max"] if observation_period_end is None else periods.parse_date(
        observation_period_end, "observation_period_end")
    if prof["day_min"] > cal_end:
        raise DataError(
            f"no purchase on or before calibration_period_end ({cal_end:%Y-%m-%d}); the first "
            f"purchase is on {prof['day_min']:%Y-%m-%d}. Choose a later calibration end.")
    has_m = monetary_value_col is not None
    cal = _period_aggregates(days.filter(nw.col("__day") <= nw.lit(cal_end)), customer_id_col,
                             has_m)
    later = days.filter((nw.col("__day") > nw.lit(cal_end)) & (nw.col("__day") <= nw.lit(obs_end)))
    per_day = later.group_by(customer_id_col, "__day").agg(
        nw.len().alias("__rows"), *([nw.col(_CENTS).sum().alias("__s")] if has_m else []))
    hold_aggs = [nw.len().alias("holdout_periods")]
    if has_m:
        hold_aggs += [nw.col("__s").sum().alias("__total"), nw.col("__rows").sum().alias("holdout_rows")]
    hold = to_polars(per_day.group_by(customer_id_col).agg(hold_aggs))
    if has_m:
        hold = hold.with_columns(T.from_cents(pl.col("__total").cast(pl.Int64))
                                 .alias("holdout_total"),
                                 pl.col("holdout_rows").cast(pl.Int64)).drop("__total")
    return rfm.calibration_holdout_from_periods(cal, hold, customer_id_col, cal_end, obs_end,
                                                freq, freq_multiplier)


# --------------------------------------------------------------------------- money over time


def net_revenue(log: Any, as_of: date, months: Iterable[int] = (12,)) -> pl.DataFrame:
    """Net revenue per customer over trailing windows (:func:`transactions.net_revenue`).

    One column ``net_revenue_<m>m`` per window; a customer appears when they have a
    transaction in the widest window, with null for a window where they have none
    (:func:`transactions.net_revenue` leaves them out).
    """
    months = sorted(set(months))
    if not months:
        raise UsageError("net_revenue needs at least one window, e.g. months=(3, 12).")
    starts = {m: periods.trailing_window(as_of, m)[0] for m in months}
    lf = lazy(log)
    _require(lf, ["customer_id", "day", "value"], "transactions")
    wide = lf.filter(_x(T.window_filter(starts[months[-1]], as_of, ns=nw)))
    aggs: list[nw.Expr] = []
    for m in months:
        inside = _x(T.window_filter(starts[m], as_of, ns=nw))
        aggs += [_x(T.cents_sum(nw.when(inside).then(nw.col("value")).otherwise(nw.lit(0.0)),
                                ns=nw)).alias(f"net_revenue_{m}m"),
                 nw.when(inside).then(nw.lit(1)).otherwise(nw.lit(0)).sum().alias(f"__n{m}")]
    out = to_polars(wide.group_by("customer_id").agg(aggs))
    return (out.with_columns(pl.when(pl.col(f"__n{m}") > 0)
                             .then(T.from_cents(pl.col(f"net_revenue_{m}m")))
                             .alias(f"net_revenue_{m}m") for m in months)
            .select("customer_id", *(f"net_revenue_{m}m" for m in months))
            .sort("customer_id"))


def _month_label(index: pl.Expr) -> pl.Expr:
    """``periods.period_of``'s month label (``2026-10``) of a month index."""
    return pl.format("{}-{}", (index // 12).cast(pl.String),
                     (index % 12 + 1).cast(pl.String).str.zfill(2))


def cohort_table(log: Any) -> pl.DataFrame:
    """Acquisition cohorts by month (:func:`workbench.service.cohort_table`'s definitions).

    Returns ``cohort`` (month of the first purchase), ``periods_since`` (months since),
    ``cohort_size``, ``active`` (customers of the cohort with a purchase that month) and
    ``revenue`` (their net ``value``), for every cell with a transaction.
    """
    lf = lazy(log).with_columns(_x(periods.period_index("day", "month", ns=nw)).alias("__m"))
    buy = nw.col("kind") == "purchase"
    first = lf.filter(buy).group_by("customer_id").agg(nw.col("__m").min().alias("__c"))
    cells = (lf.join(first, on="customer_id", how="inner").filter(nw.col("__m") >= nw.col("__c"))
             .with_columns((nw.col("__m") - nw.col("__c")).alias("periods_since")))
    keys = ["__c", "periods_since"]
    revenue = to_polars(cells.group_by(keys).agg(_x(T.cents_sum(nw.col("value"), ns=nw))
                                                 .alias("revenue")))
    active = to_polars(cells.filter(buy).group_by(keys).agg(
        nw.col("customer_id").n_unique().alias("active")))
    size = to_polars(first.group_by("__c").agg(nw.len().alias("cohort_size")))
    return (revenue.join(active, on=keys, how="left").join(size, on="__c", how="left")
            .select(_month_label(pl.col("__c").cast(pl.Int64)).alias("cohort"),
                    pl.col("periods_since").cast(pl.Int64),
                    pl.col("cohort_size").cast(pl.Int64),
                    pl.col("active").fill_null(0).cast(pl.Int64),
                    T.from_cents(pl.col("revenue")).alias("revenue"))
            .sort("cohort", "periods_since"))


def monthly_kpis(log: Any) -> pl.DataFrame:
    """Per calendar month: ``active_customers`` (with a purchase), ``orders`` (purchases)
    and ``net_revenue`` (net ``value`` of every transaction), for months with a transaction."""
    lf = lazy(log).with_columns(_x(periods.period_index("day", "month", ns=nw)).alias("__m"))
    money = to_polars(lf.group_by("__m").agg(_x(T.cents_sum(nw.col("value"), ns=nw))
                                             .alias("net_revenue")))
    buyers = to_polars(lf.filter(nw.col("kind") == "purchase").group_by("__m").agg(
        nw.col("customer_id").n_unique().alias("active_customers"),
        nw.len().alias("orders")))
    return (money.join(buyers, on="__m", how="left")
            .select(_month_label(pl.col("__m").cast(pl.Int64)).alias("month"),
                    pl.col("active_customers").fill_null(0).cast(pl.Int64),
                    pl.col("orders").fill_null(0).cast(pl.Int64),
                    T.from_cents(pl.col("net_revenue")).alias("net_revenue"))
            .sort("month"))
