"""Prediction: expected purchases over a horizon, probability alive, expected spend and CLV.

A horizon of ``h`` months is ``h * DAYS_PER_MONTH / period_days`` periods
(:data:`workbench.periods.DAYS_PER_MONTH`); CLV discounts month by month.
lifetimes' Pareto/NBD terms are NaN at recency = T on current scipy, so its
expected purchases and probability alive use the stable terms of
:mod:`workbench.clv.pareto`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import polars as pl

from ..errors import ModelError, UsageError
from .backend import _lifetimes, _quiet
from .fit import CLVFit
from .inputs import MODEL_NAMES, _collapse, _to_arrays
from .pareto import _pareto_terms

__all__ = ["predict"]


def _check_horizon(horizon_months: Any, discount_rate_monthly: Any) -> None:
    if isinstance(horizon_months, bool) or not isinstance(horizon_months, (int, np.integer)) \
            or not 1 <= horizon_months <= 600:
        raise UsageError(f"horizon_months must be a whole number of months from 1 to 600, "
                         f"got {horizon_months!r}.")
    if isinstance(discount_rate_monthly, bool) or not isinstance(discount_rate_monthly, (int, float)) \
            or not math.isfinite(discount_rate_monthly) or not 0 <= discount_rate_monthly < 1:
        raise UsageError(f"discount_rate_monthly must be a monthly rate from 0 to below 1 "
                         f"(0.01 = 1% a month), got {discount_rate_monthly!r}.")


def _cond_expected(pm: Any, t: Any, f: Any, r: Any, T: Any) -> np.ndarray:
    with _quiet():
        if isinstance(pm, _lifetimes().ParetoNBDFitter):
            # lifetimes' eq. (41) with the stable likelihood
            # imported on first use, not with the package: scipy takes a second or two to import
            from scipy.special import gammaln

            rr, alpha, s, beta = (float(pm.params_[k]) for k in ("r", "alpha", "s", "beta"))
            x, T_ = np.asarray(f, dtype=float), np.asarray(T, dtype=float)
            _, ll = _pareto_terms(pm, f, r, T)
            first = (gammaln(rr + x) - gammaln(rr) + rr * np.log(alpha) + s * np.log(beta)
                     - (rr + x) * np.log(alpha + T_) - s * np.log(beta + T_))
            second = np.log(rr + x) + np.log(beta + T_) - np.log(alpha + T_)
            third = np.log((1 - ((beta + T_) / (beta + T_ + t)) ** (s - 1)) / (s - 1))
            out = np.exp(first + second + third - ll)
        else:
            out = pm.conditional_expected_number_of_purchases_up_to_time(t, f, r, T)
    return np.asarray(out, dtype=float)


def _p_alive(pm: Any, f: Any, r: Any, T: Any) -> np.ndarray:
    with _quiet():
        if isinstance(pm, _lifetimes().ParetoNBDFitter):
            rr, s = float(pm.params_["r"]), float(pm.params_["s"])
            alpha, beta = float(pm.params_["alpha"]), float(pm.params_["beta"])
            x, T_ = np.asarray(f, dtype=float), np.asarray(T, dtype=float)
            log_a0, _ = _pareto_terms(pm, f, r, T)
            out = 1.0 / (1.0 + np.exp(np.log(s) - np.log(rr + s + x) + (rr + x) * np.log(alpha + T_)
                                      + s * np.log(beta + T_) + log_a0))
        else:
            out = pm.conditional_probability_alive(f, r, T)
    return np.asarray(out, dtype=float)


def predict(fit: CLVFit, summary: Any, horizon_months: int = 12, discount_rate_monthly: float = 0.01, *,
            id_col: str = "customer_id", frequency_col: str = "frequency", recency_col: str = "recency",
            T_col: str = "T", monetary_value_col: str = "monetary_value") -> Any:
    """Expected purchases, probability alive, expected spend and discounted CLV per customer.

    Args:
        fit: the result of :func:`fit` (its time unit must be the summary's).
        summary: customers to score (pandas indexed by id or with ``id_col``; polars with ``id_col``).
        horizon_months: whole months ahead (1-600); converted to periods with
            ``months * DAYS_PER_MONTH / fit.period_days`` (30.4375 days a month).
        discount_rate_monthly: discount per month (0 <= d < 1); month ``m``'s
            expected spend is divided by ``(1 + d) ** m``.

    Returns:
        The summary's columns (frequency, recency, T, monetary_value) plus
        ``expected_purchases`` (over the horizon), ``p_alive``,
        ``expected_avg_spend`` (Gamma-Gamma conditional mean spend per purchase;
        repeat customers with spend <= 0 count as 0 before shrinkage) and ``clv``
        (discounted expected spend over the horizon).  pandas in -> pandas indexed
        by customer id; polars in -> polars with ``id_col`` first.  Without a spend
        model, ``expected_avg_spend`` and ``clv`` are omitted.

    Raises:
        UsageError: horizon or discount rate out of range.
        ModelError: a prediction is not a finite number (names the customers).
    """
    if not isinstance(fit, CLVFit):
        raise UsageError(f"predict needs the result of workbench.clv.fit, got {type(fit).__name__}.")
    _check_horizon(horizon_months, discount_rate_monthly)
    has_spend = fit.spend_model is not None
    a = _to_arrays(summary, id_col, frequency_col, recency_col, T_col, monetary_value_col, has_spend)
    pm = fit.purchase_model
    (f, r, T), _, inv = _collapse(a.frequency, a.recency, a.T)
    step = fit.months_to_periods(1)
    cum = np.zeros((horizon_months + 1, len(f)))
    for mth in range(1, horizon_months + 1):
        cum[mth] = _cond_expected(pm, mth * step, f, r, T)
    alive = _p_alive(pm, f, r, T)
    expected = cum[-1][inv]
    p_alive = alive[inv]
    cols: dict[str, np.ndarray] = {
        frequency_col: a.frequency, recency_col: a.recency, T_col: a.T,
    }
    if has_spend:
        assert a.monetary is not None  # read with need_monetary=has_spend
        cols[monetary_value_col] = a.monetary
    cols["expected_purchases"] = expected
    cols["p_alive"] = p_alive
    if has_spend:
        assert a.monetary is not None
        m = np.where(a.frequency > 0, np.clip(a.monetary, 0, None), 0.0)
        with _quiet():
            spend = np.asarray(fit.spend_model.conditional_expected_average_profit(a.frequency, m),
                               dtype=float)
        disc = (1 + discount_rate_monthly) ** -np.arange(1, horizon_months + 1)
        monthly = np.diff(cum, axis=0)  # purchases expected in each month, per pattern
        discounted_purchases = (disc[:, None] * monthly).sum(axis=0)[inv]
        cols["expected_avg_spend"] = spend
        cols["clv"] = spend * discounted_purchases
    for name in ("expected_purchases", "p_alive", "expected_avg_spend", "clv"):
        if name in cols:
            bad = ~np.isfinite(cols[name])
            if bad.any():
                ex = ", ".join(map(str, a.ids[bad][:3]))
                raise ModelError(f"{name} could not be computed for {int(bad.sum())} customer(s) "
                                 f"(e.g. {ex}) with the {MODEL_NAMES[fit.model]} parameters "
                                 f"{fit.params}; refit with a penalizer or another model.")
    if a.kind == "polars":
        return pl.DataFrame({id_col: a.ids, **cols})
    out = pd.DataFrame(cols, index=pd.Index(a.ids, name=id_col if id_col else None))
    return out


