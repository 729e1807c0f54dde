"""Order forecast: next period's purchases and revenue per customer, backtested out of time.

**The model.**  At a cut-off ``c`` (a period end) the CLV models are fitted on what was
known at ``c`` (:func:`workbench.clv.summary_from_orders`, :func:`workbench.clv.fit`,
:func:`workbench.clv.predict`; BG/NBD or Pareto/NBD with Gamma-Gamma): a customer's
expected purchases in the next period (a horizon of whole months scaled to the period's
days, ``periods.DAYS_PER_MONTH``) times the expected spend per purchase, times the
**seasonal index** of the period's months.  Customers who have not bought by ``c`` cannot
be scored one by one; the total adds the revenue of first-time buyers: their mean
de-seasonalised revenue over the last three months, times the season.

**The seasonal index** (:func:`seasonal_index`) of a calendar month is the mean ratio of the
month's net revenue to its centred 12-month moving average (the classical 2x12
ratio-to-moving-average), over the months known at ``c`` (``seasonal_years`` years), scaled to
average 1.  Spring Festival (Jan/Feb), 618 (June) and Double 11 (November) show in it.

**Baselines.**  *Practice*: the mean monthly revenue of the previous three months, times
the months of the period (the house's old way).  *Seasonal naive*: the same period a year
earlier.  Both per customer and in total.

**Backtest** (:func:`backtest`): at ``cutoffs`` past period ends, each forecast is compared
with the actual net revenue (the transaction model's ``value``) of the period after the
cut-off.  ``WAPE = sum |actual - forecast| / sum |actual|`` and ``bias = sum (forecast -
actual) / sum actual``, at the total level (one figure per cut-off) and at the customer level
(every customer of every cut-off).  The model is **useful** only when its total WAPE is below
both baselines'.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import polars as pl

from .. import clv, periods
from .. import transactions as tx
from ..clv.inputs import sample_customers
from ..errors import DataError, ModelError
from ..frames import as_lazy
from ..transactions import TransactionSettings

__all__ = ["Backtest", "backtest", "bias", "forecast_customers",
           "last_month_ends", "monthly_revenue", "period_months", "practice_baseline",
           "seasonal_index", "seasonal_naive", "wape"]

METHODS = ("model", "practice", "seasonal_naive")


def wape(actual: Sequence[float] | np.ndarray, forecast: Sequence[float] | np.ndarray
         ) -> float | None:
    """Weighted absolute percentage error, ``sum |a - f| / sum |a|`` (None when ``sum |a|`` is 0).

    >>> wape([100, 50], [90, 70])
    0.2
    """
    a, f = np.asarray(actual, dtype=float), np.asarray(forecast, dtype=float)
    den = np.abs(a).sum()
    return None if den == 0 else round(float(np.abs(a - f).sum() / den), 12)


def bias(actual: Sequence[float] | np.ndarray, forecast: Sequence[float] | np.ndarray
         ) -> float | None:
    """``sum (f - a) / sum a``: above 0 the forecast is too high (None when ``sum a`` is 0).

    >>> bias([100, 50], [90, 70])
    0.066666666667
    """
    a, f = np.asarray(actual, dtype=float), np.asarray(forecast, dtype=float)
    den = a.sum()
    return None if den == 0 else round(float((f - a).sum() / den), 12)


def period_months(end: date, freq: str = "month") -> list[date]:
    """The month ends of the period that ends at ``end`` (one for a month, three for a quarter)."""
    first, last = periods.period_bounds(end, freq)
    n = periods.months_between(first, last) + 1
    return [periods.month_end(periods.add_months(first, i)) for i in range(n)]


def last_month_ends(cutoff: date, n: int = 3) -> list[date]:
    """The ``n`` month ends to ``cutoff``'s month end, latest first (the baselines' months).

    >>> last_month_ends(date(2026, 10, 31))
    [datetime.date(2026, 10, 31), datetime.date(2026, 9, 30), datetime.date(2026, 8, 31)]
    """
    return [periods.month_end(periods.add_months(cutoff, -k)) for k in range(n)]


def monthly_revenue(log: Any, by_customer: bool = False) -> pl.DataFrame:
    """Net revenue (sum of ``value``) per calendar month: ``month`` (month end) [, customer_id], revenue."""
    lf = as_lazy(log, "transactions", ["customer_id", "day", "value"])
    keys = ["month", "customer_id"] if by_customer else ["month"]
    return (lf.with_columns(pl.col("day").dt.month_end().alias("month"))
            .group_by(keys).agg(tx.money_sum(pl.col("value")).alias("revenue")).sort(keys)
            .collect(engine="streaming"))


def seasonal_index(monthly: pl.DataFrame, as_of: date, years: int = 3) -> dict[int, float]:
    """Calendar month (1-12) -> seasonal index from months ending on or before ``as_of``.

    Ratio to the centred 2x12 moving average, averaged per calendar month over the last
    ``years`` years, scaled to mean 1.  Months without a full centred window are skipped;
    with no usable month at all every index is 1.
    """
    m = monthly.filter(pl.col("month") <= as_of).sort("month")
    if m.height == 0:
        return dict.fromkeys(range(1, 13), 1.0)
    first = m.get_column("month").min()
    assert isinstance(first, date)
    n = periods.months_between(first, as_of) + 1
    months = [periods.month_end(periods.add_months(first, i)) for i in range(n)]
    rev = dict(m.select("month", "revenue").iter_rows())
    y = np.array([float(rev.get(d, 0.0)) for d in months])
    ratios: dict[int, list[float]] = {k: [] for k in range(1, 13)}
    start = periods.add_months(as_of, -12 * years)
    for i in range(6, len(y) - 6):
        ma = (0.5 * y[i - 6] + y[i - 5:i + 6].sum() + 0.5 * y[i + 6]) / 12
        if ma > 0 and months[i] > start:
            ratios[months[i].month].append(y[i] / ma)
    raw = {k: float(np.mean(v)) if v else None for k, v in ratios.items()}
    known = [v for v in raw.values() if v is not None]
    if len(known) < 12:
        return dict.fromkeys(range(1, 13), 1.0)
    scale = float(np.mean(known))
    return {k: round((v or scale) / scale, 12) for k, v in raw.items()}


def _season(index: dict[int, float], months: Sequence[date]) -> float:
    return float(np.mean([index[d.month] for d in months]))


def practice_baseline(monthly_by_customer: pl.DataFrame, cutoff: date, n_months: int = 1
                      ) -> pl.DataFrame:
    """Per customer: mean monthly revenue of the three months ending at ``cutoff`` x ``n_months``."""
    first = periods.month_end(periods.add_months(cutoff, -2))
    w = monthly_by_customer.filter((pl.col("month") >= first) & (pl.col("month") <= cutoff))
    return w.group_by("customer_id").agg(
        (pl.col("revenue").sum() / 3 * n_months).alias("practice"))


def seasonal_naive(monthly_by_customer: pl.DataFrame, target: Sequence[date]) -> pl.DataFrame:
    """Per customer: revenue of the same months a year earlier."""
    year_ago = [periods.month_end(periods.add_months(d, -12)) for d in target]
    w = monthly_by_customer.filter(pl.col("month").is_in(year_ago))
    return w.group_by("customer_id").agg(pl.col("revenue").sum().alias("seasonal_naive"))


def _new_buyer_rate(log: pl.LazyFrame, cutoff: date, index: dict[int, float],
                    first: pl.DataFrame | None = None) -> float:
    """Mean de-seasonalised monthly revenue of first-time buyers over the 3 months to ``cutoff``.

    ``first``: :func:`workbench.transactions.first_purchases` of this log or of a log known
    later (the same days for every buyer of this one); None: computed here.
    """
    if first is None:
        first = tx.first_purchases(log)
    months = last_month_ends(cutoff)
    start = periods.month_end(periods.add_months(cutoff, -3))
    new = (log.filter(pl.col("day") > start)  # only these three months are read
           .join(first.lazy(), on="customer_id")
           .filter(pl.col("day").dt.month_end() == pl.col("first_purchase").dt.month_end()))
    by = dict(monthly_revenue(new).iter_rows())
    return float(np.mean([float(by.get(d, 0.0)) / index[d.month] for d in months]))


def forecast_customers(log: pl.LazyFrame | pl.DataFrame, cutoff: date, freq: str = "month", *,
                       model: str = "bgnbd", clv_settings: clv.CLVSettings | None = None,
                       index: dict[int, float] | None = None, seasonal_years: int = 3,
                       sample: int | None = None, seed: int = 0,
                       first: pl.DataFrame | None = None
                       ) -> tuple[pl.DataFrame, float, dict[str, Any]]:
    """The model's forecast of the period after ``cutoff``, from the log known at ``cutoff``.

    With ``sample``, the models are fitted on a seeded sample of that many customers
    (:func:`workbench.clv.inputs.sample_customers`); every customer is forecast with them.
    ``first``: the buyers' first purchase days (:func:`workbench.transactions.first_purchases`,
    of this log or a later one), to save computing them again.  The log may be lazy (a scan):
    each figure reads it on the streaming engine and only per-customer tables are held.

    Returns:
        ``(per customer: customer_id, expected_purchases, expected_avg_spend, p_alive,
        forecast; new buyers' expected revenue; details {period, months, season, params})``.
    """
    s = clv_settings or clv.CLVSettings()
    # the columns the models, the season and the new buyers read
    log = (as_lazy(log, "transactions", ["customer_id", "day", "kind", "value"])
           .select("customer_id", "day", "kind", "value").filter(pl.col("day") <= cutoff))
    target_end = periods.next_period_end(cutoff, freq)
    months = period_months(target_end, freq)
    monthly = monthly_revenue(log)
    idx = index or seasonal_index(monthly, cutoff, seasonal_years)
    summary = clv.summary_from_orders(log, cutoff, s).drop("return_rate")
    try:
        fitted = clv.fit(sample_customers(summary, sample, seed), model, period=s.period,
                         freq_multiplier=s.freq_multiplier, penalizer=s.penalizer)
    except ModelError as exc:
        raise ModelError(f"order forecast at {cutoff}: {exc}") from exc
    horizon = len(months)
    pred = clv.predict(fitted, summary, horizon, 0.0)
    days = (target_end - cutoff).days
    scale = days / (horizon * periods.DAYS_PER_MONTH)
    season = _season(idx, months)
    pred = pred.with_columns((pl.col("expected_purchases") * scale).alias("expected_purchases"))
    pred = pred.with_columns((pl.col("expected_purchases") * pl.col("expected_avg_spend") * season)
                             .alias("forecast"))
    new = _new_buyer_rate(log, cutoff, idx, first) * horizon * season
    detail = {"cutoff": cutoff, "period": periods.period_of(target_end, freq),
              "start": periods.period_bounds(target_end, freq)[0], "end": target_end,
              "season": season, "model": model, "params": fitted.params}
    return (pred.select("customer_id", "expected_purchases", "expected_avg_spend", "p_alive",
                        "forecast"), new, detail)


@dataclass(frozen=True)
class Backtest:
    """The out-of-time backtest: per cut-off totals and the error table.

    ``totals``: ``cutoff, period, actual, model, practice, seasonal_naive`` (model with new
    buyers).  ``errors``: ``level (total|customer), method, wape, bias``.  ``useful``: the
    model's total WAPE is below both baselines'.
    """

    totals: pl.DataFrame
    errors: pl.DataFrame
    useful: bool
    cutoffs: list[date]

    def figure(self, level: str, method: str, metric: str = "wape") -> float | None:
        row = self.errors.filter((pl.col("level") == level) & (pl.col("method") == method))
        return row.get_column(metric).item() if row.height else None


def _actual(log: pl.LazyFrame, start: date, end: date) -> pl.DataFrame:
    w = log.filter((pl.col("day") >= start) & (pl.col("day") <= end))
    return w.group_by("customer_id").agg(
        tx.money_sum(pl.col("value")).alias("actual")).collect(engine="streaming")


def backtest(orders: Any, as_of: date, cutoffs: int = 4, freq: str = "month", *,
             model: str = "bgnbd", clv_settings: clv.CLVSettings | None = None,
             transaction_settings: TransactionSettings | None = None,
             seasonal_years: int = 3, sample: int | None = None, seed: int = 0,
             log: pl.LazyFrame | pl.DataFrame | None = None,
             first: pl.DataFrame | None = None) -> Backtest:
    """Forecast each of the ``cutoffs`` periods before ``as_of`` from what was known before it.

    Each cut-off reads the log *at that cut-off* (:func:`workbench.transactions.log_at`: the rows and values of
    ``transactions(orders, c, settings)``), so the outlier cap and the models know nothing
    later; the actuals come from the log at ``as_of``.  ``sample``, ``seed``: see
    :func:`forecast_customers`.  ``log``: ``transactions(orders, as_of, settings)`` when the
    caller has it (then ``orders`` is not read); ``first``: its
    :func:`workbench.transactions.first_purchases`.  Lazy throughout: a cut-off's log is a
    query over ``log`` (or the orders' scan), never collected whole.
    """
    ts = transaction_settings or TransactionSettings()
    full = (as_lazy(log, "transactions") if log is not None else
            tx.log_at(tx.transactions(orders, as_of, ts), as_of, ts))
    first = first if first is not None else tx.first_purchases(full)
    # what a cut-off's log needs (log_at re-derives value from amount), not the order ids
    known = full.select("customer_id", "day", "kind", "is_outlier", "amount")
    last = periods.period_bounds(as_of, freq)[1]
    ends = [periods.period_bounds(last, freq, -k)[1] for k in range(1, cutoffs + 1)]
    ends = [e for e in ends if periods.next_period_end(e, freq) <= as_of]
    rows, cust_rows = [], []
    for c in sorted(ends):
        log_c = tx.log_at(known, c, ts)
        if tx.purchases(log_c).head(1).collect().height == 0:
            continue
        try:
            pred, new, d = forecast_customers(log_c, c, freq, model=model,
                                              clv_settings=clv_settings,
                                              seasonal_years=seasonal_years, sample=sample,
                                              seed=seed, first=first)
        except (DataError, ModelError):
            continue
        months = period_months(d["end"], freq)
        # the months the two baselines read: three to the cut-off, the target's a year earlier
        needed = last_month_ends(c) + [periods.month_end(periods.add_months(m, -12))
                                       for m in months]
        by_cust = monthly_revenue(log_c.filter(pl.col("day").dt.month_end().is_in(needed)),
                                  by_customer=True)
        del log_c
        act = _actual(full, d["start"], d["end"])
        j = (pred.select("customer_id", pl.col("forecast").alias("model"))
             .join(practice_baseline(by_cust, c, len(months)), on="customer_id", how="full",
                   coalesce=True)
             .join(seasonal_naive(by_cust, months), on="customer_id", how="full", coalesce=True)
             .join(act, on="customer_id", how="full", coalesce=True)
             .with_columns(pl.col(*METHODS, "actual").fill_null(0.0)))
        cust_rows.append(j.select("actual", *METHODS))  # the customer-level errors read these
        rows.append({"cutoff": c, "period": d["period"], "actual": float(j["actual"].sum()),
                     "model": float(j["model"].sum()) + new,
                     "practice": float(j["practice"].sum()),
                     "seasonal_naive": float(j["seasonal_naive"].sum()),
                     "season": d["season"]})
    totals = pl.DataFrame(rows, schema={"cutoff": pl.Date, "period": pl.String,
                                        "actual": pl.Float64, "model": pl.Float64,
                                        "practice": pl.Float64, "seasonal_naive": pl.Float64,
                                        "season": pl.Float64})
    err: list[dict[str, Any]] = []
    cust = pl.concat(cust_rows) if cust_rows else None
    for m in METHODS:
        for level, frame in (("total", totals), ("customer", cust)):
            if frame is None or frame.height == 0:
                err.append({"level": level, "method": m, "wape": None, "bias": None})
                continue
            a, f = frame.get_column("actual").to_numpy(), frame.get_column(m).to_numpy()
            err.append({"level": level, "method": m, "wape": wape(a, f), "bias": bias(a, f)})
    errors = pl.DataFrame(err, schema={"level": pl.String, "method": pl.String,
                                       "wape": pl.Float64, "bias": pl.Float64})
    bt = Backtest(totals=totals, errors=errors, useful=False, cutoffs=sorted(ends))
    w = {m: bt.figure("total", m) for m in METHODS}
    model_w = w["model"]
    useful = model_w is not None and all(
        (base := w[b]) is None or model_w < base for b in ("practice", "seasonal_naive"))
    return Backtest(totals=totals, errors=errors, useful=useful, cutoffs=bt.cutoffs)
