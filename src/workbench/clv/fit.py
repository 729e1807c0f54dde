"""Fitting: a purchase model (BG/NBD, Pareto/NBD, MBG/NBD) and the Gamma-Gamma spend model.

Both are lifetimes' own fitters, fitted on collapsed patterns (customers with the
same values share one likelihood term, passed as ``weights``) and made robust to
lifetimes' optimiser failures (:mod:`workbench.clv.robust`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import i18n
from ..errors import ModelError, UsageError
from . import robust
from .backend import _quiet
from .inputs import DAYS_PER_MONTH, MODEL_NAMES, MODELS, _collapse, _period_days, _to_arrays
from .robust import _fit_robust, _NoOptimum, _Outcome, _Problem
from .text import say

__all__ = ["CORRELATION_THRESHOLD", "RETRY_PENALIZER", "CLVFit", "fit", "spend_correlation"]

#: Pearson correlation between frequency and spend (repeat customers) above
#: which the Gamma-Gamma independence assumption is reported as doubtful.
CORRELATION_THRESHOLD = 0.3
#: Penalizer used for the retry after a lifetimes ConvergenceError.
RETRY_PENALIZER = 0.001


def _note(notes: list[str], items: list[tuple[str, dict[str, Any]]], key: str, **values: Any) -> None:
    """Record a remark in English (``notes``) and as a key with values (for other languages)."""
    items.append((key, values))
    notes.append(say(f"note_{key}", "en", **values))


def _route_note(notes: list[str], items: list[tuple[str, dict[str, Any]]], out: _Outcome, name: str,
                penalizer_key: str) -> None:
    """The note that says how a fit was made when lifetimes gave up (none for "lifetimes")."""
    if out.route == "budget" and out.limit == "shape":
        _note(notes, items, "budget_shape", model=name, smax=robust.PARETO_MAX_S, grad=out.grad, tol=out.tol)
    elif out.route == "budget":
        _note(notes, items, "budget", model=name, evals=out.evaluations, grad=out.grad, tol=out.tol)
    elif out.route == "gradient":
        pass  # the Pareto/NBD fit's own way (see robust._fit_pareto)
    elif out.route == "penalizer":
        values: dict[str, Any] = {"error": out.error, "pen": out.penalizer}
        if penalizer_key == "retry":
            values["model"] = name
        _note(notes, items, penalizer_key, **values)
    elif out.route == "lifetimes+check":
        _note(notes, items, "checked", model=name, error=out.error, grad=out.grad, tol=out.tol)
    elif out.route != "lifetimes" and name == MODEL_NAMES["paretonbd"]:
        _note(notes, items, "pareto_restarted", model=name, method=out.route.split(":")[1],
              grad=out.grad, tol=out.tol)
    elif out.route != "lifetimes":
        _note(notes, items, "restarted", model=name, error=out.error, method=out.route.split(":")[1],
              grad=out.grad, tol=out.tol)




def spend_correlation(frequency: Any, monetary_value: Any) -> float:
    """Pearson correlation between frequency and average spend among repeat customers with spend > 0.

    The Gamma-Gamma model assumes the two are independent; a correlation far
    from 0 (say above 0.3 in absolute value) means its spend forecasts are biased.
    Returns NaN when fewer than 3 customers qualify or a column is constant.
    """
    f = np.asarray(frequency, dtype=float)
    m = np.asarray(monetary_value, dtype=float)
    keep = (f > 0) & (m > 0)
    if keep.sum() < 3 or np.ptp(f[keep]) == 0 or np.ptp(m[keep]) == 0:
        return float("nan")
    return float(np.corrcoef(f[keep], m[keep])[0, 1])


@dataclass
class CLVFit:
    """A fitted purchase model and spend model, with what is needed to use them correctly.

    Attributes:
        model: "bgnbd", "paretonbd" or "mbgnbd".
        purchase_model: the fitted lifetimes model (``params_`` are lifetimes' own).
        spend_model: the fitted lifetimes ``GammaGammaFitter`` (None when fitted with ``spend=False``).
        period: the time unit of the summary ("D", "W", "h").
        freq_multiplier: periods are ``freq_multiplier`` units long.
        period_days: length of one period in days.
        n_customers: customers in the summary.
        n_repeat: customers with at least one repeat purchase.
        n_patterns: distinct (frequency, recency, T) rows the purchase model was fitted on.
        n_spend_customers: repeat customers with spend > 0 the spend model was fitted on.
        n_spend_patterns: distinct (frequency, monetary_value) rows of those.
        spend_corr: correlation between frequency and spend (see :func:`spend_correlation`).
        penalizer: the penalizer finally used (0 unless a retry was needed).
        route: how the purchase model was fitted, one of :data:`ROUTES`: "lifetimes"
            (lifetimes converged), "lifetimes+check" (lifetimes gave up at a point that
            is the optimum), "restart:L-BFGS-B" / "restart:Nelder-Mead" (a restart from
            fixed starting values found the optimum), "penalizer" (no optimum without a
            penalty; refitted with ``penalizer``); Pareto/NBD: "gradient" (its own fit of
            lifetimes' likelihood, see ``docs/clv.md``) or "budget" (stopped at the fit's limit
            without an optimum).  Every route but "lifetimes" and "gradient" has a note.
        spend_route, spend_penalizer: the same for the Gamma-Gamma model ("" and 0
            without a spend model).
        T_max, frequency_max: largest age and frequency seen; frequency_q99 its 99th percentile
            (the default height of the matrices).
        notes: plain-language remarks in English (retries, excluded customers, assumption
            checks); :meth:`notes_in` gives them in Chinese too.
        note_items: the same remarks as (key, values).
    """

    model: str
    purchase_model: Any
    spend_model: Any
    period: str
    freq_multiplier: float
    period_days: float
    n_customers: int
    n_repeat: int
    n_patterns: int
    n_spend_customers: int = 0
    n_spend_patterns: int = 0
    spend_corr: float = float("nan")
    penalizer: float = 0.0
    T_max: float = 0.0
    frequency_max: int = 0
    frequency_q99: int = 0
    notes: list[str] = field(default_factory=list)
    note_items: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    route: str = "lifetimes"
    spend_route: str = ""
    spend_penalizer: float = 0.0

    def notes_in(self, lang: str = "en") -> list[str]:
        """The notes in ``lang`` ("zh" or "en")."""
        if lang not in i18n.LANGS:
            raise UsageError(f"lang '{lang}' is not supported; use one of {i18n.LANGS}.")
        return [say(f"note_{k}", lang, **v) for k, v in self.note_items]

    @property
    def params(self) -> dict[str, float]:
        """The purchase model's parameters as plain floats."""
        return {k: float(v) for k, v in self.purchase_model.params_.items()}

    @property
    def spend_params(self) -> dict[str, float]:
        """The Gamma-Gamma parameters (p, q, v) as plain floats (empty without a spend model)."""
        if self.spend_model is None:
            return {}
        return {k: float(v) for k, v in self.spend_model.params_.items()}

    @property
    def spend_assumption_ok(self) -> bool:
        """False when frequency and spend are correlated beyond :data:`CORRELATION_THRESHOLD`."""
        return not (abs(self.spend_corr) > CORRELATION_THRESHOLD)

    @property
    def time_unit(self) -> str:
        """'1 period = 7 days' style description."""
        return f"1 period = {self.period_days:g} days"

    def months_to_periods(self, months: float) -> float:
        """Convert months (30.4375 days each) to the summary's periods."""
        return months * DAYS_PER_MONTH / self.period_days

    def to_dict(self) -> dict[str, Any]:
        """Plain values for step results (JSON)."""
        return {
            "model": self.model, "params": self.params, "spend_params": self.spend_params,
            "period": self.period, "freq_multiplier": self.freq_multiplier,
            "period_days": self.period_days, "customers": self.n_customers,
            "repeat_customers": self.n_repeat, "patterns": self.n_patterns,
            "spend_customers": self.n_spend_customers,
            "spend_frequency_correlation": self.spend_corr, "penalizer": self.penalizer,
            "route": self.route, "spend_route": self.spend_route,
            "spend_penalizer": self.spend_penalizer, "notes": list(self.notes),
        }


def fit(summary: Any, model: str = "bgnbd", *, spend: bool = True, period: str = "D",
        freq_multiplier: float = 1, penalizer: float = 0.0, min_repeat_customers: int = 10,
        id_col: str = "customer_id", frequency_col: str = "frequency", recency_col: str = "recency",
        T_col: str = "T", monetary_value_col: str = "monetary_value",
        tol: float | None = None, maxiter: int | None = None) -> CLVFit:
    """Fit a purchase model and the Gamma-Gamma spend model on an RFM summary.

    Args:
        summary: one row per customer (pandas indexed by customer id or with
            ``id_col``; polars with ``id_col``) with frequency, recency, T and
            (when ``spend``) monetary_value, as :func:`workbench.rfm.summary` makes.
        model: "bgnbd" (default), "paretonbd" or "mbgnbd".
        spend: also fit the Gamma-Gamma spend model (needs monetary_value).
        period, freq_multiplier: the time unit the summary was built with
            (``"D", 7`` = weeks from daily data); recorded, used by :func:`predict`.
        penalizer: lifetimes' ``penalizer_coef`` (customer-level meaning); 0 by default.
            When lifetimes gives up (ConvergenceError, singular Hessian, floating
            point error, non-finite parameters), the point it reached is checked and
            the fit restarted from fixed starting values (L-BFGS-B, then Nelder-Mead)
            on lifetimes' own likelihood; a point is used only when it is an optimum
            (gradient per customer at most ``GRAD_TOL / sqrt(customers)``, positive
            definite Hessian, reached from two starts, no start ending lower).  Only
            when there is none is the fit retried with 0.001 (ten times ``penalizer``
            when it is already at least 0.001; Gamma-Gamma: at least 0.001).
            ``route`` / ``spend_route`` record which way and a note says so.
        min_repeat_customers: fewer repeat customers than this is a ModelError.
        id_col, frequency_col, recency_col, T_col, monetary_value_col: column names.
        tol, maxiter: optimizer settings passed to lifetimes (defaults: lifetimes' own)
            for BG/NBD and MBG/NBD; not used by Pareto/NBD, whose fit is not lifetimes'
            Nelder-Mead (its limits: ``robust.PARETO_MAX_EVALUATIONS``, ``PARETO_MAX_S``).

    Returns:
        CLVFit with the fitted lifetimes models and the bookkeeping.

    Raises:
        UsageError: unknown model or time unit.
        DataError: missing columns, missing values, impossible RFM values.
        ModelError: too few repeat customers, no positive spend, no convergence.
    """

    if model not in MODELS:
        raise UsageError(f"model '{model}' is not supported; choose one of {', '.join(MODELS)}.")
    if not (isinstance(penalizer, (int, float)) and penalizer >= 0):
        raise UsageError(f"penalizer must be a number >= 0, got {penalizer!r}.")
    period_days = _period_days(period, freq_multiplier)
    a = _to_arrays(summary, id_col, frequency_col, recency_col, T_col, monetary_value_col, spend)
    n = len(a.ids)
    n_repeat = int((a.frequency > 0).sum())
    if n_repeat < min_repeat_customers:
        raise ModelError(
            f"only {n_repeat} of {n} customers bought more than once; the {MODEL_NAMES[model]} model "
            f"needs at least {min_repeat_customers} repeat customers. Use a longer history "
            f"(earlier start or later as-of date) or more customers.")
    notes: list[str] = []
    items: list[tuple[str, dict[str, Any]]] = []
    (f, r, t), w, _ = _collapse(a.frequency, a.recency, a.T)
    retry_pen = max(float(penalizer), RETRY_PENALIZER) if penalizer < RETRY_PENALIZER else penalizer * 10
    with _quiet():
        try:
            out = _fit_robust(_Problem(model, (f, r, t), w, n, tol, maxiter), float(penalizer), retry_pen)
        except _NoOptimum:
            raise ModelError(
                f"the {MODEL_NAMES[model]} model did not converge on {n} customers "
                f"({n_repeat} repeat), even with penalizer {retry_pen:g}; try another model "
                f"({', '.join(repr(m) for m in MODELS if m != model)}) or a longer history "
                f"with more varied customers.") from None
    pm, used_pen = out.model, out.penalizer
    _route_note(notes, items, out, MODEL_NAMES[model], "retry")
    params = pm.params_.to_numpy(dtype=float)
    if not np.all(np.isfinite(params)) or np.any(params <= 0):
        raise ModelError(f"the {MODEL_NAMES[model]} fit gave unusable parameters {pm.params_.to_dict()}; "
                         f"try another model or a longer history.")

    result = CLVFit(model=model, purchase_model=pm, spend_model=None, period=period,
                    freq_multiplier=freq_multiplier, period_days=period_days, n_customers=n,
                    n_repeat=n_repeat, n_patterns=len(w), penalizer=used_pen, route=out.route,
                    T_max=float(a.T.max()), frequency_max=int(a.frequency.max()),
                    frequency_q99=int(np.ceil(np.quantile(a.frequency, 0.99))), notes=notes,
                    note_items=items)
    if not spend:
        return result

    m = a.monetary
    assert m is not None  # read with need_monetary=True
    repeat = a.frequency > 0
    positive = repeat & (m > 0)
    n_pos = int(positive.sum())
    if n_pos == 0:
        raise ModelError(
            f"none of the {n_repeat} repeat customers has a positive {monetary_value_col}; "
            f"the spend model needs purchase amounts > 0. Check that the summary was built "
            f"from completed purchases with their amounts.")
    if n_pos < min_repeat_customers:
        raise ModelError(
            f"only {n_pos} repeat customers have a positive {monetary_value_col}; the Gamma-Gamma "
            f"spend model needs at least {min_repeat_customers}.")
    if n_pos < n_repeat:
        _note(notes, items, "spend_excluded", n=n_repeat - n_pos, m=n_pos)
    (gf, gm), gw, _ = _collapse(a.frequency[positive], m[positive])
    pen = max(float(penalizer), RETRY_PENALIZER)
    with _quiet():
        try:
            sout = _fit_robust(_Problem("gammagamma", (gf, gm), gw, n_pos), float(penalizer), pen)
        except _NoOptimum:
            raise ModelError(
                f"the Gamma-Gamma spend model did not converge on {n_pos} repeat customers, "
                f"even with penalizer {pen:g}; check the amounts for extreme values.") from None
    sm = sout.model
    _route_note(notes, items, sout, "Gamma-Gamma", "spend_retry")
    p, q, v = (float(sm.params_[k]) for k in ("p", "q", "v"))
    if not all(map(math.isfinite, (p, q, v))) or q <= 1:
        raise ModelError(
            f"the Gamma-Gamma spend model gave q = {q:.3g} (it must exceed 1 for the average spend "
            f"to exist); spend per purchase is too dispersed or too few customers repeat.")
    corr = spend_correlation(a.frequency, m)
    if abs(corr) > CORRELATION_THRESHOLD:
        _note(notes, items, "correlation", corr=corr,
              more_en="spend more" if corr > 0 else "spend less",
              more_zh="花得更多" if corr > 0 else "花得更少")
    result.spend_model = sm
    result.spend_route, result.spend_penalizer = sout.route, sout.penalizer
    result.n_spend_customers = n_pos
    result.n_spend_patterns = len(gw)
    result.spend_corr = corr
    return result


