"""Diagnostics over time and over the (frequency, recency) grid: what the charts of notebook 03 draw.

- :func:`expected_purchases_matrix`, :func:`probability_alive_matrix`: heat maps;
- :func:`period_transactions`: customers per number of repeat purchases, actual vs model;
- :func:`cumulative_tracking`: cumulative repeat purchases week by week, actual vs model;
- :func:`alive_history`: one customer's probability alive day by day.

The purchases they read are the transaction model's (a purchase day is a
calendar day with a purchase, ``docs/architecture.md#the-transaction-model``):
pass ``transactions.purchases(log)`` with ``date_col="day"``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
import polars as pl

from ..errors import DataError, ModelError, UsageError
from ..frames import as_lazy, customer_parts
from .backend import _quiet
from .fit import CLVFit
from .inputs import _as_date, _column
from .predict import _cond_expected, _p_alive
from .validate import frequency_bin

__all__ = ["alive_history", "bgnbd_count_probabilities", "cumulative_tracking",
           "expected_purchases_matrix", "period_transactions", "probability_alive_matrix"]


def expected_purchases_matrix(fit: CLVFit, horizon_periods: float = 1.0, T: float | None = None,
                              max_frequency: int | None = None, n_recency: int = 40) -> pd.DataFrame:
    """Expected purchases in the next ``horizon_periods`` by frequency (rows) and recency (columns).

    For a customer of age ``T`` (default: the oldest customer in the fit), frequencies
    0 to ``max_frequency`` (default: the 99th percentile in the fit).
    Cells with frequency 0 and recency > 0 cannot occur and are left empty.
    """
    return _matrix(fit, T, max_frequency, n_recency,
                   lambda f, r, t: _cond_expected(fit.purchase_model, horizon_periods, f, r, t))


def probability_alive_matrix(fit: CLVFit, T: float | None = None, max_frequency: int | None = None,
                             n_recency: int = 40) -> pd.DataFrame:
    """Probability alive by frequency (rows) and recency (columns) at age ``T`` (default: oldest)."""
    return _matrix(fit, T, max_frequency, n_recency,
                   lambda f, r, t: _p_alive(fit.purchase_model, f, r, t))


def _matrix(fit: CLVFit, T: float | None, max_frequency: int | None, n_recency: int,
            fn: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]) -> pd.DataFrame:
    T = float(T if T is not None else fit.T_max)
    if T <= 0:
        raise UsageError(f"T must be positive, got {T}.")
    mf = int(max_frequency if max_frequency is not None else max(fit.frequency_q99, 1))
    rec = np.linspace(0, T, n_recency)
    ff, rr = np.meshgrid(np.arange(mf + 1, dtype=float), rec, indexing="ij")
    vals = fn(ff.ravel(), rr.ravel(), np.full(ff.size, T)).reshape(ff.shape)
    vals[0, 1:] = np.nan
    out = pd.DataFrame(vals, index=pd.Index(np.arange(mf + 1), name="frequency"),
                       columns=pd.Index(np.round(rec, 2), name="recency"))
    return out


def bgnbd_count_probabilities(params: dict[str, float], t: Any, max_n: int) -> np.ndarray:
    """BG/NBD ``P(X(t) = n)`` for every ``t`` and ``n = 0 .. max_n - 1`` (rows: t, columns: n).

    lifetimes' ``BetaGeoFitter.probability_of_n_purchases_up_to_time`` (Fader, Hardie &
    Lee 2005, eq. 8), the same operations for a whole array of ages at once (lifetimes'
    takes one age at a time).
    """
    from scipy.special import beta, gamma

    r, alpha, a, b = (params[k] for k in ("r", "alpha", "a", "b"))
    t = np.asarray(t, dtype=float)
    out = np.empty((len(t), max_n))
    p0 = (alpha / (alpha + t)) ** r
    q = t / (alpha + t)
    for n in range(max_n):
        first = (beta(a, b + n) / beta(a, b) * gamma(r + n) / gamma(r) / gamma(n + 1)
                 * p0 * q ** n)
        if n > 0:
            finite = np.zeros(len(t))
            for j in range(n):
                finite = finite + gamma(r + j) / gamma(r) / gamma(j + 1) * q ** j
            first = first + beta(a + 1, b + n - 1) / beta(a, b) * (1 - p0 * finite)
        out[:, n] = first
    return out


def period_transactions(fit: CLVFit, summary: Any, max_frequency: int = 7, *,
                        frequency_col: str = "frequency", T_col: str = "T",
                        id_col: str = "customer_id") -> pd.DataFrame:
    """Customers by number of repeat purchases: actual vs the model's expected count.

    The expected count in bin ``x`` is ``sum_i P(X(T_i) = x)`` over customers
    (exact model probabilities at each customer's own age, no simulation); the
    last bin is ``max_frequency`` or more.  Returns a pandas frame indexed by
    bin with ``actual`` and ``model``.
    """
    f = _column(summary, frequency_col)
    T = _column(summary, T_col)
    if not (np.all(np.isfinite(f)) and np.all(np.isfinite(T)) and np.all(T >= 0)):
        raise DataError(f"summary: {frequency_col} and {T_col} need a number for every customer "
                        f"and {T_col} must not be negative.")
    pm = fit.purchase_model
    uniq_T, counts = np.unique(T, return_counts=True)
    probs = np.zeros((len(uniq_T), max_frequency))
    with _quiet():
        if fit.model == "bgnbd":
            pos = uniq_T > 0
            probs[pos] = bgnbd_count_probabilities(fit.params, uniq_T[pos], max_frequency)
            probs[~pos, 0] = 1.0
        else:
            for j, t in enumerate(uniq_T):
                if t <= 0:  # no time to repeat yet (lifetimes' Pareto/NBD gives 0 for every n here)
                    probs[j, 0] = 1.0
                    continue
                for x in range(max_frequency):
                    if fit.model == "paretonbd":
                        probs[j, x] = pm.conditional_probability_of_n_purchases_up_to_time(
                            x, float(t), 0, 0, 0)
                    else:
                        probs[j, x] = pm.probability_of_n_purchases_up_to_time(float(t), x)
    expected = (probs * counts[:, None]).sum(axis=0)
    expected = np.append(expected, len(T) - expected.sum())
    labels = [str(i) for i in range(max_frequency)] + [f"{max_frequency}+"]
    actual = pd.Series(frequency_bin(f, max_frequency)).value_counts().reindex(labels, fill_value=0)
    out = pd.DataFrame({"actual": actual.to_numpy(dtype=float), "model": expected},
                       index=pd.Index(labels, name="frequency"))
    if not np.all(np.isfinite(out["model"])):
        raise ModelError("the model's purchase-count probabilities are not finite for these ages.")
    return out


def _tracking_counts(transactions: Any, id_col: str, date_col: str, calibration_end: date,
                     end: date) -> tuple[pl.DataFrame, pl.DataFrame]:
    """What :func:`cumulative_tracking` counts, from distinct (customer, day) purchases up to
    ``end``: ``first, len`` (customers by first purchase day, for those whose first is on or
    before ``calibration_end``) and ``day, len`` (their repeat purchase days by day), sorted.
    Per hash partition of the customers when the purchases are many
    (:func:`workbench.frames.customer_parts`), the partitions' counts added up.
    """
    lf = as_lazy(transactions, "transactions", [id_col, date_col]).select(
        pl.col(id_col).cast(pl.String).alias("_id"), pl.col(date_col).cast(pl.Date).alias("day"))
    nulls = lf.select(pl.col("day").null_count(), pl.col("_id").null_count()).collect().row(0)
    if any(nulls):
        raise DataError(f"transactions: {date_col} or {id_col} is empty on some rows; clean the data first.")
    cohorts, repeats = [], []
    for part in customer_parts(lf.filter(pl.col("day") <= end), id_col="_id"):
        days = part.unique()
        first = (days.group_by("_id").agg(pl.col("day").min().alias("first"))
                 .filter(pl.col("first") <= calibration_end))
        by_first, by_day = pl.collect_all([
            first.group_by("first").len(),
            days.join(first, on="_id").filter(pl.col("day") > pl.col("first")).group_by("day").len()])
        cohorts.append(by_first)
        repeats.append(by_day)
    return _summed(cohorts, "first"), _summed(repeats, "day")


def _summed(parts: list[pl.DataFrame], key: str) -> pl.DataFrame:
    """The partitions' counts (``key, len``) added up by ``key``, sorted."""
    return pl.concat(parts).group_by(key).agg(pl.col("len").sum()).sort(key)


def cumulative_tracking(fit: CLVFit, transactions: Any, calibration_end: Any, end: Any, *, id_col: str = "customer_id",
                        date_col: str = "date", step_days: int = 7) -> pd.DataFrame:
    """Cumulative repeat transactions, actual vs model, week by week over calibration + holdout.

    The customers are those whose first purchase is on or before
    ``calibration_end`` (the ones the model was fitted on).  A repeat
    transaction is a purchase day after the customer's first (several
    purchases on one day count once, as in the RFM summary).  At each step end
    ``E`` the model's value is ``sum_i E[X((E - first_i) / period_days)]``, the
    unconditional expected repeat purchases of each customer since their first
    purchase (Fader, Hardie & Lee's tracking plot).

    The steps end every ``step_days`` days after the first purchase date, plus
    one at ``calibration_end`` and one at ``end``; each counts purchases up to
    and including its last day (lifetimes' ``expected_cumulative_transactions``
    counts up to the day before, with the same model values).

    Returns:
        pandas with ``date`` (step end), ``actual``, ``predicted`` (cumulative)
        and ``holdout`` (bool: the step ends after ``calibration_end``).
    """
    cal_end = _as_date(calibration_end, "calibration_end")
    last = _as_date(end, "end")
    if last <= cal_end:
        raise UsageError(f"end ({last}) must be after calibration_end ({cal_end}).")
    cohorts, repeats = _tracking_counts(transactions, id_col, date_col, cal_end, last)
    if cohorts.height == 0:
        raise DataError(f"transactions: no customer bought on or before {cal_end}.")
    start = _as_date(cohorts.get_column("first").min(), "first purchase")
    fdays = np.array([(x - start).days for x in cohorts.get_column("first").to_list()], dtype=float)
    fcount = cohorts.get_column("len").to_numpy().astype(float)
    rep_days = np.array([(x - start).days for x in repeats.get_column("day").to_list()], dtype=float)
    rep_cum = np.concatenate([[0.0], np.cumsum(repeats.get_column("len").to_numpy().astype(float))])
    total_days = (last - start).days
    cal_day = (cal_end - start).days
    ends = np.unique(np.concatenate([np.arange(step_days, total_days + 1, step_days, dtype=float),
                                     [float(cal_day), float(total_days)]]))
    pm = fit.purchase_model
    pred = np.empty(len(ends))
    with _quiet():
        for k, e in enumerate(ends):
            t = np.clip(e - fdays, 0, None) / fit.period_days
            pred[k] = float((np.asarray(pm.expected_number_of_purchases_up_to_time(t)) * fcount).sum())
    actual = rep_cum[np.searchsorted(rep_days, ends, side="right")]
    dates = [start + timedelta(days=int(e)) for e in ends]
    return pd.DataFrame({"date": pd.to_datetime(dates), "actual": actual, "predicted": pred,
                         "holdout": [x > cal_end for x in dates]})


def alive_history(fit: CLVFit, purchase_dates: Iterable[Any], end: Any, *, step_days: int = 1) -> pd.DataFrame:
    """One customer's probability alive day by day from the first purchase to ``end``.

    A replacement for lifetimes' ``calculate_alive_path`` (which breaks on
    pandas 3).  ``purchase_dates`` are the customer's purchase dates (any
    order; repeats on one day count once).  At each day the RFM values are
    recomputed from the purchases up to that day, in the fit's periods.

    Returns:
        pandas with ``date``, ``T``, ``frequency``, ``recency``, ``p_alive``.
    """
    days = sorted({_as_date(x, "purchase date") for x in purchase_dates})
    if not days:
        raise DataError("alive_history needs at least one purchase date.")
    last = _as_date(end, "end")
    if last < days[0]:
        raise UsageError(f"end ({last}) is before the first purchase ({days[0]}).")
    first = days[0]
    offsets = np.array([(x - first).days for x in days], dtype=float)
    grid = np.arange(0, (last - first).days + 1, step_days, dtype=float)
    idx = np.searchsorted(offsets, grid, side="right") - 1  # last purchase on or before the day
    freq = idx.astype(float)
    rec = offsets[idx] / fit.period_days
    T = grid / fit.period_days
    p = np.ones(len(grid))
    ok = T > 0
    p[ok] = _p_alive(fit.purchase_model, freq[ok], rec[ok], T[ok])
    return pd.DataFrame({"date": pd.to_datetime([first + timedelta(days=int(g)) for g in grid]),
                         "T": T, "frequency": freq, "recency": rec, "p_alive": p})
