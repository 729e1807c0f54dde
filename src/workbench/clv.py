"""Customer lifetime value: lifetimes' purchase and spend models, fitted fast and validated out of sample.

The workflow follows Fader, Hardie and Lee:

1. an RFM summary per customer (:func:`workbench.rfm.summary`: ``frequency``
   = repeat purchase periods, ``recency`` and ``T`` in periods since the first
   purchase, ``monetary_value`` = mean value of the repeat purchases);
2. :func:`fit`: a purchase model (BG/NBD ``"bgnbd"``, Pareto/NBD
   ``"paretonbd"`` or MBG/NBD ``"mbgnbd"``) and the Gamma-Gamma spend model,
   both from ``lifetimes``, fitted on *collapsed* data: customers with the same
   (frequency, recency, T) share one likelihood term, passed to lifetimes as
   ``weights``, which gives the same parameters as the customer-level fit in a
   fraction of the time;
3. :func:`predict`: expected purchases over a horizon in months, probability
   alive, expected spend per purchase and the discounted CLV;
4. :func:`validate`: calibration/holdout comparison of BG/NBD, Pareto/NBD and
   the naive "repeat the calibration rate" baseline.

Time units
----------
A summary counts time in *periods*: ``period="D", freq_multiplier=7`` means one
period is 7 days (weeks built from daily data, as in the CDNOW literature).
:class:`CLVFit` records ``period_days``.  A month is ``365.25 / 12 = 30.4375``
days (:data:`DAYS_PER_MONTH`), so a horizon of ``h`` months is
``h * 30.4375 / period_days`` periods.  CLV discounts month by month:
``sum_{m=1..h} spend * (E[N(m)] - E[N(m-1)]) / (1 + d) ** m`` where ``E[N(m)]``
is the expected number of purchases in the first ``m`` months.  This is the sum
lifetimes' ``customer_lifetime_value`` computes, with the month expressed in
the summary's own period (lifetimes hard-codes 30 periods per month for
``freq="D"`` and 4.345 for ``"W"``, which is wrong for any other period length).

Analytics only: nothing here reads or writes files.
"""

from __future__ import annotations

import contextlib
import io as _io
import math
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
import polars as pl

from . import i18n, rfm
from .errors import DataError, ModelError, UsageError

__all__ = [
    "DAYS_PER_MONTH",
    "MODELS",
    "PERIOD_DAYS",
    "CLVFit",
    "CLVSettings",
    "Validation",
    "alive_history",
    "cumulative_tracking",
    "expected_purchases_matrix",
    "fit",
    "frequency_bin",
    "holdout_predictions",
    "holdout_table",
    "key_results",
    "localize",
    "narrative",
    "net_of_returns",
    "params_table",
    "period_transactions",
    "predict",
    "probability_alive_matrix",
    "spend_correlation",
    "summary_from_orders",
    "validate",
    "valuable_at_risk",
    "value_by_group",
]

MODELS = ("bgnbd", "paretonbd", "mbgnbd")
MODEL_NAMES = {"bgnbd": "BG/NBD", "paretonbd": "Pareto/NBD", "mbgnbd": "MBG/NBD",
               "baseline": "Baseline"}
DAYS_PER_MONTH = 365.25 / 12
PERIOD_DAYS = {"D": 1.0, "W": 7.0, "M": 365.2425 / 12, "h": 1 / 24, "H": 1 / 24}
#: Pearson correlation between frequency and spend (repeat customers) above
#: which the Gamma-Gamma independence assumption is reported as doubtful.
CORRELATION_THRESHOLD = 0.3
#: Penalizer used for the retry after a lifetimes ConvergenceError.
RETRY_PENALIZER = 0.001

# frequency, recency, T, monetary_value and the *_cal / *_holdout columns are labelled by rfm.
i18n.register({
    "expected_purchases": {"zh": "预期购买次数", "en": "Expected purchases"},
    "p_alive": {"zh": "活跃概率", "en": "Probability alive"},  # same text as churn's
    "expected_avg_spend": {"zh": "预期单次消费", "en": "Expected spend per purchase"},
    "clv_model": {"zh": "模型", "en": "Model"},
    "clv_parameter": {"zh": "参数", "en": "Parameter"},
    "actual": {"zh": "实际", "en": "Actual"},
    "predicted": {"zh": "预测", "en": "Predicted"},
    "actual_total": {"zh": "实际合计", "en": "Actual total"},
    "predicted_total": {"zh": "预测合计", "en": "Predicted total"},
    "mae_customer": {"zh": "平均绝对误差(每客户)", "en": "MAE per customer"},
    "mae_bin": {"zh": "平均绝对误差(每频次组)", "en": "MAE per frequency bin"},
    "bgnbd": {"zh": "BG/NBD模型", "en": "BG/NBD"},
    "paretonbd": {"zh": "Pareto/NBD模型", "en": "Pareto/NBD"},
    "mbgnbd": {"zh": "MBG/NBD模型", "en": "MBG/NBD"},
    "baseline": {"zh": "朴素基准(沿用校准期频率)", "en": "Naive baseline (calibration rate)"},
})


# --------------------------------------------------------------------------- inputs

@dataclass(frozen=True)
class _Arrays:
    ids: np.ndarray
    frequency: np.ndarray
    recency: np.ndarray
    T: np.ndarray
    monetary: np.ndarray | None
    id_name: str
    kind: str  # "pandas" | "polars"


def _to_arrays(summary, id_col: str, frequency_col: str, recency_col: str, T_col: str,
               monetary_value_col: str | None, need_monetary: bool, what: str = "summary") -> _Arrays:
    """Pull the RFM columns out of a pandas (id = index or ``id_col``) or polars (``id_col``) frame."""
    if isinstance(summary, pl.DataFrame):
        kind = "polars"
        if id_col not in summary.columns:
            raise DataError(f"{what}: column '{id_col}' (customer id) is missing; "
                            f"the columns are {summary.columns}. Pass id_col=... to name it.")
        ids = summary.get_column(id_col).to_numpy()
        cols = summary.columns

        def get(c: str) -> np.ndarray:
            return summary.get_column(c).cast(pl.Float64).to_numpy()

        def nulls(c: str) -> int:
            return summary.get_column(c).null_count()

        id_name = id_col
    elif isinstance(summary, pd.DataFrame):
        kind = "pandas"
        if id_col in summary.columns:
            ids = summary[id_col].to_numpy()
        else:
            ids = summary.index.to_numpy()
        cols = list(summary.columns)

        def get(c: str) -> np.ndarray:
            return pd.to_numeric(summary[c], errors="coerce").to_numpy(dtype=float)

        def nulls(c: str) -> int:
            return int(summary[c].isna().sum())

        id_name = id_col
    else:
        raise UsageError(f"{what} must be a pandas or polars DataFrame, got {type(summary).__name__}.")
    wanted: list[Any] = [frequency_col, recency_col, T_col] + ([monetary_value_col] if need_monetary else [])
    missing = [c for c in wanted if c not in cols]
    if missing:
        raise DataError(f"{what}: column(s) {missing} missing; the columns are {cols}. "
                        f"Build the summary with workbench.rfm.summary or name the columns "
                        f"(frequency_col=..., recency_col=..., T_col=..., monetary_value_col=...).")
    if len(ids) == 0:
        raise ModelError(f"{what} has no customers; there is nothing to fit.")
    out = {}
    for c in wanted:
        n_null = nulls(c)
        arr = get(c)
        bad = ~np.isfinite(arr)
        if n_null or bad.any():
            ex = ", ".join(map(str, ids[bad][:3]))
            raise DataError(f"{what}.{c}: {int(bad.sum())} customer(s) have no number (e.g. {ex}); "
                            f"every customer needs a value.")
        out[c] = arr
    f, r, t = out[frequency_col], out[recency_col], out[T_col]
    checks = [
        ((f < 0) | (f != np.round(f)), frequency_col, "is not a whole number >= 0"),
        (r < 0, recency_col, "is negative"),
        (t < 0, T_col, "is negative (the customer's age cannot be below 0 periods)"),
        (r > t + 1e-9, recency_col, f"is larger than {T_col}"),
        ((f == 0) & (r != 0), recency_col, f"is not 0 although {frequency_col} is 0"),
    ]
    for mask, col, problem in checks:
        if mask.any():
            ex = ", ".join(map(str, ids[mask][:3]))
            raise DataError(f"{what}.{col}: {int(mask.sum())} customer(s) where {col} {problem} "
                            f"(e.g. {ex}); rebuild the summary with workbench.rfm.summary.")
    m = out.get(monetary_value_col) if need_monetary else None
    return _Arrays(ids=ids, frequency=f.astype(np.int64).astype(float), recency=r, T=t,
                   monetary=m, id_name=id_name, kind=kind)


def _collapse(*columns: np.ndarray) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """Distinct rows of the given columns (sorted), their counts, and the row -> pattern index.

    A lexicographic sort (``np.lexsort``) rather than ``np.unique(axis=0)``,
    which is ten times slower on half a million rows.
    """
    cols = [np.asarray(c, dtype=float) for c in columns]
    n = len(cols[0])
    order = np.lexsort(cols[::-1])
    change = np.zeros(max(n - 1, 0), dtype=bool)
    for c in cols:
        sc = c[order]
        change |= sc[1:] != sc[:-1]
    starts = np.concatenate([[0], np.flatnonzero(change) + 1]).astype(np.int64)
    counts = np.diff(np.append(starts, n))
    group = np.concatenate([[0], np.cumsum(change)]).astype(np.int64)
    inverse = np.empty(n, dtype=np.int64)
    inverse[order] = group
    first = order[starts]
    return [c[first] for c in cols], counts, inverse


def _period_days(period: str, freq_multiplier: float) -> float:
    if period not in PERIOD_DAYS:
        raise UsageError(f"period '{period}' is not supported; use one of {sorted(PERIOD_DAYS)} "
                         f"(with freq_multiplier, e.g. period='D', freq_multiplier=7 for weeks).")
    if not (isinstance(freq_multiplier, (int, float)) and freq_multiplier > 0):
        raise UsageError(f"freq_multiplier must be a positive number, got {freq_multiplier!r}.")
    return PERIOD_DAYS[period] * float(freq_multiplier)


# --------------------------------------------------------------------------- fitting

_NOTE_TEXT = {
    "retry": {
        "en": "The {model} fit did not converge without a penalty ({error}) and restarts from other "
              "starting values found no optimum; it was refitted with penalizer {pen:g}, which shrinks "
              "the parameters slightly towards 0.",
        "zh": "{model} 模型在不加惩罚项时没有收敛({error}),从其他起点重新优化也没有找到最优点,"
              "已用惩罚系数 {pen:g} 重新拟合,参数会略向 0 收缩。",
    },
    "checked": {
        "en": "lifetimes stopped the {model} fit with {error}, but at the optimum: the gradient there is "
              "{grad:.1e} per customer (tolerance {tol:.1e}) and restarts from other starting values "
              "found no better point, so its parameters are used, without a penalty.",
        "zh": "lifetimes 在拟合 {model} 模型时报告 {error},但停在了最优点:该点每位客户的梯度为 {grad:.1e}"
              "(容差 {tol:.1e}),从其他起点重新优化也没有找到更好的点,因此采用该点的参数,不加惩罚项。",
    },
    "restarted": {
        "en": "lifetimes did not finish the {model} fit ({error}); a restart with {method} from fixed "
              "starting values reached the optimum (gradient {grad:.1e} per customer, tolerance {tol:.1e}; "
              "no other start found a better point), without a penalty.",
        "zh": "lifetimes 没有完成 {model} 模型的拟合({error});用 {method} 从固定起点重新优化后到达最优点"
              "(每位客户的梯度 {grad:.1e},容差 {tol:.1e};其他起点没有找到更好的点),不加惩罚项。",
    },
    "spend_excluded": {
        "en": "{n} repeat customer(s) have no positive average spend (their repeat purchases net to 0 or "
              "less); the spend model was fitted on the other {m}, and their expected spend is shrunk "
              "from 0 towards the average.",
        "zh": "{n} 位重复购买客户的平均消费金额不为正(重复购买被退货抵消),消费金额模型只用其余 {m} 位客户拟合,"
              "这些客户的预期单次消费由 0 向平均值收缩。",
    },
    "spend_retry": {
        "en": "The Gamma-Gamma fit did not converge without a penalty ({error}) and restarts from other "
              "starting values found no optimum; it was refitted with penalizer {pen:g}.",
        "zh": "Gamma-Gamma 模型在不加惩罚项时没有收敛({error}),从其他起点重新优化也没有找到最优点,"
              "已用惩罚系数 {pen:g} 重新拟合。",
    },
    "correlation": {
        "en": "Warning: among repeat customers, purchase frequency and average spend are correlated "
              "(r = {corr:.2f}). The Gamma-Gamma model assumes they are unrelated, so spend forecasts may "
              "be biased: customers who buy often {more_en} per purchase than the model assumes.",
        "zh": "注意:重复购买客户的购买频率与平均消费金额相关(r = {corr:.2f})。Gamma-Gamma 模型假设两者无关,"
              "因此消费金额预测可能有偏:常买的客户每次{more_zh},与模型假设不符。",
    },
}


def _note(notes: list[str], items: list[tuple[str, dict]], key: str, **values: Any) -> None:
    """Record a remark in English (``notes``) and as a key with values (for other languages)."""
    items.append((key, values))
    notes.append(_NOTE_TEXT[key]["en"].format(**values))


def _lifetimes():
    """Import lifetimes without its import-time pandas deprecation warning (it sets a removed option)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import lifetimes
        import lifetimes.utils
    return lifetimes


def _pareto_nll_factory():
    """Pareto/NBD negative log-likelihood, the same sum as lifetimes', computed faster.

    lifetimes evaluates two ``hyp2f1`` and a dozen logarithms per (frequency,
    recency, T) pattern at every optimizer step.  The first ``hyp2f1`` depends
    only on (frequency, recency), the second only on (frequency, T), and each
    logarithm on one of frequency, recency or T alone; far fewer distinct
    values exist than patterns, so each is evaluated once per distinct value
    and broadcast.  The formulas are lifetimes' ``_log_A_0`` /
    ``_conditional_log_likelihood`` (Fader & Hardie 2005, note 009, eq. 18-20)
    term for term; the result agrees with lifetimes' own to rounding (see
    tests/test_clv.py).
    """
    from scipy.special import gammaln, hyp2f1

    cache: dict[str, Any] = {}

    def _prepare(freq, rec, T) -> None:
        (xr_f, xr_r), _, inv_r = _collapse(freq, rec)
        (xt_f, xt_t), _, inv_t = _collapse(freq, T)
        (ux,), _, inv_x = _collapse(freq)
        (ur,), _, inv_rr = _collapse(rec)
        (ut,), _, inv_tt = _collapse(T)
        cache.update(key=(id(freq), id(rec), id(T)), xr_f=xr_f, xr_r=xr_r, inv_r=inv_r,
                     xt_f=xt_f, xt_t=xt_t, inv_t=inv_t, ux=ux, inv_x=inv_x, ur=ur, inv_rr=inv_rr,
                     ut=ut, inv_tt=inv_tt)

    def nll(params, freq, rec, T, weights, penalizer_coef):
        params = np.asarray(params, dtype=float)
        if np.any(params <= 0.0):
            return np.inf
        if cache.get("key") != (id(freq), id(rec), id(T)):
            _prepare(freq, rec, T)
        c = cache
        r, alpha, s, beta = params
        if alpha < beta:
            lo, hi = alpha, beta
            t_r, t_t = r + c["xr_f"], r + c["xt_f"]
        else:
            lo, hi = beta, alpha
            t_r = t_t = s + 1
        diff = hi - lo
        rsf_r = r + s + c["xr_f"]
        rsf_t = r + s + c["xt_f"]
        log_p1 = np.log(hyp2f1(rsf_r, t_r, rsf_r + 1.0, diff / (hi + c["xr_r"])))[c["inv_r"]]
        log_p2 = np.log(hyp2f1(rsf_t, t_t, rsf_t + 1.0, diff / (hi + c["xt_t"])))[c["inv_t"]]
        ix, irr, itt = c["inv_x"], c["inv_rr"], c["inv_tt"]
        rsf = r + s + c["ux"]
        rsf_i = rsf[ix]
        log_q1 = np.log(hi + c["ur"])[irr]
        log_q2 = np.log(hi + c["ut"])[itt]
        a1 = log_p1 + rsf_i * log_q2
        a2 = log_p2 + rsf_i * log_q1
        # A_0 = 0 when recency = T; clip rounding so it gives -inf, never NaN (see _pareto_terms)
        log_a0 = a1 + np.log1p(-np.exp(np.minimum(a2 - a1, 0.0))) - rsf_i * (log_q1 + log_q2)
        a_1 = (gammaln(r + c["ux"]) - gammaln(r) + r * np.log(alpha) + s * np.log(beta))[ix]
        first = (-(r + c["ux"]))[ix] * np.log(alpha + c["ut"])[itt] - s * np.log(beta + c["ut"])[itt]
        a_2 = np.logaddexp(first, np.log(s) + log_a0 - np.log(rsf)[ix])
        ll = a_1 + a_2
        return -(weights * ll).sum() / weights.mean() + penalizer_coef * float((params ** 2).sum())

    return nll


def _new_model(model: str, penalizer: float):
    lt = _lifetimes()
    BetaGeoFitter, ModifiedBetaGeoFitter, ParetoNBDFitter = (
        lt.BetaGeoFitter, lt.ModifiedBetaGeoFitter, lt.ParetoNBDFitter)
    cls = {"bgnbd": BetaGeoFitter, "paretonbd": ParetoNBDFitter, "mbgnbd": ModifiedBetaGeoFitter}[model]
    return cls(penalizer_coef=penalizer)


@contextlib.contextmanager
def _quiet():
    """lifetimes prints the optimizer output on failure and raises numpy warnings; keep reports clean."""
    buf = _io.StringIO()
    with warnings.catch_warnings(), np.errstate(all="ignore"), contextlib.redirect_stdout(buf):
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", FutureWarning)
        yield buf


# --------------------------------------------------------------------------- robust fitting
#
# lifetimes' BG/NBD, MBG/NBD and Gamma-Gamma fitters run scipy's BFGS and raise
# ConvergenceError whenever BFGS reports "precision loss", even when the gradient is
# already tiny and the likelihood at its optimum; whether that happens depends on the
# machine (BLAS, CPU).  When lifetimes gives up, :func:`_fit_robust` takes lifetimes'
# own negative log-likelihood, checks the best point lifetimes reached and restarts
# from fixed starting values; a point is used only when it is a real optimum.

#: Gradient tolerance: a point is an optimum only when every component of the gradient
#: of the negative log-likelihood *per customer*, with respect to the log-parameters
#: (central differences), is at most ``GRAD_TOL / sqrt(customers)``.  The parameters'
#: sampling error shrinks as ``1 / sqrt(customers)``; this keeps the optimisation
#: error about 1e-4 of it (2e-6 on CDNOW's 2,357 customers).
GRAD_TOL = 1e-4
#: A start that ends lower than a candidate by more than this (per customer) is a better point.
FTOL = 1e-9
#: End points of two different starts closer than this (largest log-parameter difference)
#: are the same optimum; an optimum must be reached from at least two starts.
SAME_POINT = 1e-3
#: Restarts search log-parameters in [-LOG_BOUND, LOG_BOUND]; a point within 1 of it is no optimum.
LOG_BOUND = 30.0
#: Seed of the one random starting point of the restarts (the others are fixed).
RESTART_SEED = 20240612

ROUTES = ("lifetimes", "lifetimes+check", "restart:L-BFGS-B", "restart:Nelder-Mead", "penalizer")


class _NoOptimum(Exception):
    """Neither lifetimes nor the restarts found an optimum, even with the retry penalizer."""


def _failures() -> tuple[type[BaseException], ...]:
    """The exceptions with which a lifetimes fit gives up."""
    return (_lifetimes().utils.ConvergenceError, np.linalg.LinAlgError, FloatingPointError)


class _Recorder:
    """Wraps a negative log-likelihood and remembers the lowest finite point it was evaluated at.

    lifetimes differentiates it with autograd, so arguments and results may be
    autograd boxes; their values are unboxed for the record.
    """

    def __init__(self, fn):
        from autograd.tracer import getval

        self.fn, self._getval = fn, getval
        self.x: np.ndarray | None = None
        self.value = math.inf

    def __call__(self, x, *args):
        out = self.fn(x, *args)
        try:
            xv = np.array(self._getval(x), dtype=float)
            fv = float(self._getval(out))
        except (TypeError, ValueError):
            return out
        if math.isfinite(fv) and fv < self.value and np.all(np.isfinite(xv)):
            self.x, self.value = xv.copy(), fv
        return out


class _Problem:
    """One lifetimes fit: running lifetimes, its objective on log-parameters, building the fitter.

    ``kind`` is a purchase model ("bgnbd", "paretonbd", "mbgnbd") with ``data`` =
    (frequency, recency, T), or "gammagamma" with ``data`` = (frequency,
    monetary_value); ``w`` are the pattern counts (lifetimes' ``weights``).

    The objective is lifetimes' own negative log-likelihood with the arguments
    lifetimes passes to it (recency and T scaled by ``1 / max(T)``, the weights, the
    penalizer), as a function of the log-parameters lifetimes optimises (BG/NBD,
    MBG/NBD and Gamma-Gamma optimise log-parameters; Pareto/NBD optimises the
    parameters, and ``exp`` maps to them), divided so that it is the mean per customer
    (Pareto/NBD divides by ``mean(weights)``, the others by ``sum(weights)``).
    """

    def __init__(self, kind: str, data: tuple[np.ndarray, ...], w: np.ndarray, n_customers: int,
                 tol: float | None = None, maxiter: int | None = None):
        lt = _lifetimes()
        self.kind, self.data, self.w = kind, data, np.asarray(w)
        self.n = float(np.sum(self.w))
        self.name = "Gamma-Gamma" if kind == "gammagamma" else MODEL_NAMES[kind]
        self.kwargs: dict[str, Any] = {}
        if tol is not None:
            self.kwargs["tol"] = tol
        if maxiter is not None:
            self.kwargs["maxiter"] = maxiter
        self.pen_scale, self.norm, self.log_space = 1.0, 1.0, True
        self.x0 = np.full(3 if kind == "gammagamma" else 4, 0.1)  # lifetimes' BFGS start
        self.nll: Any
        if kind == "gammagamma":
            self.cls = lt.GammaGammaFitter
            self.nll = lt.GammaGammaFitter._negative_log_likelihood
        elif kind == "paretonbd":
            self.cls = lt.ParetoNBDFitter
            self.nll = _pareto_nll_factory()  # same sum as lifetimes', distinct pairs only
            self.log_space = False
            self.pen_scale = len(self.w) / n_customers
            self.norm = 1.0 / len(self.w)
            self.x0 = np.zeros(4)  # the start fit uses: parameters (1, 1, 1, 1)
            self.kwargs = {"initial_params": np.ones(4),
                           "tol": (tol if tol is not None else 1e-9) * self.pen_scale,
                           "maxiter": maxiter or 20000}
        else:
            self.cls = {"bgnbd": lt.BetaGeoFitter, "mbgnbd": lt.ModifiedBetaGeoFitter}[kind]
            self.nll = self.cls._negative_log_likelihood
        self.k = len(self.x0)
        #: log-parameters of the best point the last lifetimes fit evaluated (None: none finite)
        self.last: np.ndarray | None = None

    def args(self, penalizer: float) -> tuple:
        """The arguments lifetimes passes to its negative log-likelihood."""
        pen = penalizer * self.pen_scale
        if self.kind == "gammagamma":
            f, m = self.data
            return (np.asarray(f, dtype=float), np.asarray(m, dtype=float), self.w, pen)
        f, r, t = self.data
        scale = 1.0 / np.max(t)  # lifetimes' _scale_time
        return (np.asarray(f).astype(int), np.asarray(r) * scale, np.asarray(t) * scale, self.w, pen)

    def objective(self, penalizer: float):
        """Negative log-likelihood per customer as a function of the log-parameters."""
        args, nll, norm, log_space = self.args(penalizer), self.nll, self.norm, self.log_space

        def fun(theta: np.ndarray) -> float:
            x = np.asarray(theta, dtype=float)
            value = float(nll(x if log_space else np.exp(x), *args)) * norm
            return value if math.isfinite(value) else math.inf

        return fun

    def value_and_grad(self, penalizer: float):
        """Objective and its gradient for L-BFGS-B: autograd (as lifetimes) or central differences."""
        fun = self.objective(penalizer)
        if self.log_space:
            from autograd import value_and_grad

            args, nll = self.args(penalizer), self.nll
            vg = value_and_grad(lambda th: nll(th, *args))

            def exact(theta: np.ndarray) -> tuple[float, np.ndarray]:
                v, g = vg(np.asarray(theta, dtype=float))
                v, g = float(v), np.asarray(g, dtype=float)
                if not (math.isfinite(v) and np.all(np.isfinite(g))):
                    return math.inf, np.zeros_like(g)
                return v, g

            return exact

        def numeric(theta: np.ndarray) -> tuple[float, np.ndarray]:
            v = fun(theta)
            g = _num_grad(fun, theta, 1e-6)
            if not (math.isfinite(v) and np.all(np.isfinite(g))):
                return math.inf, np.zeros(len(theta))
            return v, g

        return numeric

    def fit_lifetimes(self, penalizer: float):
        """lifetimes' own fit; raises one of :func:`_failures` when it gives up."""
        m = self.cls(penalizer_coef=penalizer * self.pen_scale)
        rec = _Recorder(self.nll)
        m._negative_log_likelihood = rec  # lifetimes calls self._negative_log_likelihood
        self.last = None
        try:
            m.fit(*self.data, weights=self.w, **self.kwargs)
        finally:
            del m._negative_log_likelihood  # back to lifetimes' own (kept out of pickles)
            if rec.x is not None:
                self.last = rec.x if self.log_space else np.log(rec.x)
        m.penalizer_coef = penalizer  # report the customer-level penalizer
        p = m.params_.to_numpy(dtype=float)
        if not np.all(np.isfinite(p)) or not np.isfinite(m._negative_log_likelihood_):
            raise _lifetimes().utils.ConvergenceError(
                f"{self.name}: the optimizer ended without finite parameters")
        return m

    def build(self, theta: np.ndarray, penalizer: float):
        """A lifetimes fitter at the log-parameters ``theta``, set up by lifetimes' own ``fit``.

        lifetimes' ``fit`` is run with its optimizer step (``_fit``) replaced by the
        known optimum, so it sets ``params_`` (unscaled), ``_scale``, ``data``,
        ``predict``, ``generate_new_data``, the Hessian and the standard errors
        exactly as after its own optimisation.
        """
        theta = np.asarray(theta, dtype=float)
        m = self.cls(penalizer_coef=penalizer * self.pen_scale)
        args = self.args(penalizer)
        if self.log_space:
            from autograd import hessian

            result: tuple = (theta, float(self.nll(theta, *args)), hessian(self.nll)(theta, *args))
        else:
            result = (np.exp(theta), float(self.nll(np.exp(theta), *args)))

        def known_optimum(*_args, **_kwargs):
            return result

        m._fit = known_optimum
        try:
            m.fit(*self.data, weights=self.w)
        finally:
            del m._fit
        m.penalizer_coef = penalizer
        return m


def _num_grad(fun, theta: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Central-difference gradient of ``fun`` at ``theta``."""
    theta = np.asarray(theta, dtype=float)
    g = np.empty(len(theta))
    for i in range(len(theta)):
        e = np.zeros(len(theta))
        e[i] = h
        g[i] = (fun(theta + e) - fun(theta - e)) / (2 * h)
    return g


def _num_hess(fun, theta: np.ndarray, h: float = 1e-4) -> np.ndarray:
    """Central-difference Hessian of ``fun`` at ``theta`` (symmetrised)."""
    k = len(theta)
    hess = np.empty((k, k))
    for j in range(k):
        e = np.zeros(k)
        e[j] = h
        hess[:, j] = (_num_grad(fun, theta + e, h) - _num_grad(fun, theta - e, h)) / (2 * h)
    return (hess + hess.T) / 2


@dataclass
class _End:
    theta: np.ndarray
    value: float
    route: str
    origin: int  # which start it descends from


def _accept(ends: list[_End], fun, tol: float) -> tuple[_End, float] | None:
    """The first end point, in route order, that is a real optimum, with its gradient norm.

    A real optimum: finite, inside the search box, no end point lower by more than
    :data:`FTOL`, reached (within :data:`SAME_POINT`) from another start too, every
    gradient component at most ``tol`` and a positive definite Hessian.
    """
    ok = [e for e in ends if math.isfinite(e.value) and np.all(np.isfinite(e.theta))]
    if not ok:
        return None
    best = min(e.value for e in ok)
    for route in ROUTES[1:4]:
        for e in sorted((e for e in ok if e.route == route), key=lambda e: e.value):
            if e.value > best + FTOL:
                break
            if np.max(np.abs(e.theta)) > LOG_BOUND - 1:
                continue
            if not any(o.origin != e.origin and np.max(np.abs(o.theta - e.theta)) <= SAME_POINT
                       for o in ok):
                continue
            grad = float(np.max(np.abs(_num_grad(fun, e.theta))))
            if not grad <= tol:
                continue
            if not np.all(np.linalg.eigvalsh(_num_hess(fun, e.theta)) > 0):
                continue
            return e, grad
    return None


def _search(problem: _Problem, penalizer: float, last: np.ndarray | None) -> tuple[_End, float] | None:
    """Check lifetimes' last point and restart from fixed starts; the accepted optimum or None.

    L-BFGS-B from lifetimes' last point, lifetimes' own start, log-parameters all
    -1, all 1 and one seeded random start; if none of the end points is an
    optimum (see :func:`_accept`), Nelder-Mead from the two lowest.
    """
    from scipy.optimize import minimize

    fun = problem.objective(penalizer)
    vg = problem.value_and_grad(penalizer)
    tol = GRAD_TOL / math.sqrt(problem.n)
    k = problem.k
    starts = [] if last is None else [np.asarray(last, dtype=float)]
    starts += [problem.x0, -np.ones(k), np.ones(k),
               np.random.default_rng(RESTART_SEED).normal(0.0, 1.0, k)]
    ends: list[_End] = []
    if last is not None:
        ends.append(_End(np.asarray(last, dtype=float), fun(last), "lifetimes+check", 0))
    bounds = [(-LOG_BOUND, LOG_BOUND)] * k
    for i, x0 in enumerate(starts):
        if not math.isfinite(fun(x0)):
            continue
        res = minimize(vg, x0, jac=True, method="L-BFGS-B", bounds=bounds,
                       options={"maxiter": 1000, "ftol": 1e-15, "gtol": 1e-11, "maxcor": 20})
        ends.append(_End(np.asarray(res.x, dtype=float), fun(res.x), "restart:L-BFGS-B", i))
    found = _accept(ends, fun, tol)
    if found is not None:
        return found
    lowest = sorted((e for e in ends if math.isfinite(e.value)), key=lambda e: e.value)[:2]
    for e in lowest:
        res = minimize(fun, e.theta, method="Nelder-Mead",
                       options={"xatol": 1e-9, "fatol": 1e-14, "maxiter": 300 * k, "adaptive": True})
        ends.append(_End(np.asarray(res.x, dtype=float), fun(res.x), "restart:Nelder-Mead", e.origin))
    return _accept(ends, fun, tol)


@dataclass
class _Outcome:
    model: Any
    route: str
    penalizer: float
    error: str = ""  # why lifetimes gave up (exception class name)
    grad: float = float("nan")  # largest gradient component per customer at the accepted point
    tol: float = float("nan")


def _fit_robust(problem: _Problem, penalizer: float, retry_penalizer: float) -> _Outcome:
    """lifetimes' fit; when it gives up, the checked or restarted optimum; a penalizer last.

    Routes (:data:`ROUTES`): "lifetimes" (lifetimes converged), "lifetimes+check"
    (lifetimes gave up at a point that is the optimum), "restart:L-BFGS-B" /
    "restart:Nelder-Mead" (a restart found it), "penalizer" (no optimum without
    the penalty: lifetimes, or the same check and restarts, with ``retry_penalizer``).
    Raises :class:`_NoOptimum` when even that fails.
    """
    failures = _failures()
    tol = GRAD_TOL / math.sqrt(problem.n)
    try:
        return _Outcome(problem.fit_lifetimes(penalizer), "lifetimes", penalizer)
    except failures as exc:
        error = type(exc).__name__
    for pen, penalised in ((penalizer, False), (retry_penalizer, True)):
        if penalised:
            try:
                return _Outcome(problem.fit_lifetimes(pen), "penalizer", pen, error, tol=tol)
            except failures:
                pass
        found = _search(problem, pen, problem.last)
        if found is not None:
            end, grad = found
            try:
                model = problem.build(end.theta, pen)
            except failures:
                continue
            return _Outcome(model, "penalizer" if penalised else end.route, pen, error, grad, tol)
    raise _NoOptimum(error)


def _route_note(notes: list[str], items: list[tuple[str, dict]], out: _Outcome, name: str,
                penalizer_key: str) -> None:
    """The note that says how a fit was made when lifetimes gave up (none for "lifetimes")."""
    if out.route == "penalizer":
        values: dict[str, Any] = {"error": out.error, "pen": out.penalizer}
        if penalizer_key == "retry":
            values["model"] = name
        _note(notes, items, penalizer_key, **values)
    elif out.route == "lifetimes+check":
        _note(notes, items, "checked", model=name, error=out.error, grad=out.grad, tol=out.tol)
    elif out.route != "lifetimes":
        _note(notes, items, "restarted", model=name, error=out.error, method=out.route.split(":")[1],
              grad=out.grad, tol=out.tol)


def spend_correlation(frequency, monetary_value) -> float:
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
            penalty; refitted with ``penalizer``).  Anything but "lifetimes" has a note.
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
    note_items: list[tuple[str, dict]] = field(default_factory=list)
    route: str = "lifetimes"
    spend_route: str = ""
    spend_penalizer: float = 0.0

    def notes_in(self, lang: str = "en") -> list[str]:
        """The notes in ``lang`` ("zh" or "en")."""
        if lang not in i18n.LANGS:
            raise UsageError(f"lang '{lang}' is not supported; use one of {i18n.LANGS}.")
        return [_NOTE_TEXT[k][lang].format(**v) for k, v in self.note_items]

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


def fit(summary, model: str = "bgnbd", *, spend: bool = True, period: str = "D",
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
        tol, maxiter: optimizer settings passed to lifetimes (defaults: lifetimes' own
            for BG/NBD and MBG/NBD; 1e-9 and 20000 for the Nelder-Mead of Pareto/NBD).

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
    items: list[tuple[str, dict]] = []
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


# --------------------------------------------------------------------------- prediction

def _check_horizon(horizon_months, discount_rate_monthly) -> None:
    if isinstance(horizon_months, bool) or not isinstance(horizon_months, (int, np.integer)) \
            or not 1 <= horizon_months <= 600:
        raise UsageError(f"horizon_months must be a whole number of months from 1 to 600, "
                         f"got {horizon_months!r}.")
    if isinstance(discount_rate_monthly, bool) or not isinstance(discount_rate_monthly, (int, float)) \
            or not math.isfinite(discount_rate_monthly) or not 0 <= discount_rate_monthly < 1:
        raise UsageError(f"discount_rate_monthly must be a monthly rate from 0 to below 1 "
                         f"(0.01 = 1% a month), got {discount_rate_monthly!r}.")


def _pareto_terms(pm, f, r, T):
    """Pareto/NBD log A_0 and log-likelihood per customer (note 009 eq. 18-20), stable at recency = T.

    lifetimes computes ``log A_0`` with ``logsumexp(b=[1, -1])`` of two equal
    terms when recency equals T (a purchase in the last period); current scipy
    returns NaN there instead of -inf (A_0 = 0), so lifetimes' probability alive
    and expected purchases are NaN for those customers.  Same formulas, with
    ``log(e^a1 - e^a2) = a1 + log1p(-e^(a2 - a1))`` and the difference clipped at 0.
    """
    from scipy.special import gammaln, hyp2f1

    rr, alpha, s, beta = (float(pm.params_[k]) for k in ("r", "alpha", "s", "beta"))
    x, t_x, T = (np.asarray(v, dtype=float) for v in (f, r, T))
    if alpha < beta:
        lo, hi, t = alpha, beta, rr + x
    else:
        lo, hi, t = beta, alpha, s + 1
    rsf = rr + s + x
    q1, q2 = hi + t_x, hi + T
    a1 = np.log(hyp2f1(rsf, t, rsf + 1.0, (hi - lo) / q1)) + rsf * np.log(q2)
    a2 = np.log(hyp2f1(rsf, t, rsf + 1.0, (hi - lo) / q2)) + rsf * np.log(q1)
    log_a0 = a1 + np.log1p(-np.exp(np.minimum(a2 - a1, 0.0))) - rsf * np.log(q1 * q2)
    a_1 = gammaln(rr + x) - gammaln(rr) + rr * np.log(alpha) + s * np.log(beta)
    ll = a_1 + np.logaddexp(-(rr + x) * np.log(alpha + T) - s * np.log(beta + T),
                            np.log(s) + log_a0 - np.log(rsf))
    return log_a0, ll


def _cond_expected(pm, t, f, r, T) -> np.ndarray:
    with _quiet():
        if isinstance(pm, _lifetimes().ParetoNBDFitter):
            # lifetimes' eq. (41) with the stable likelihood
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


def _p_alive(pm, f, r, T) -> np.ndarray:
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


def predict(fit: CLVFit, summary, horizon_months: int = 12, discount_rate_monthly: float = 0.01, *,
            id_col: str = "customer_id", frequency_col: str = "frequency", recency_col: str = "recency",
            T_col: str = "T", monetary_value_col: str = "monetary_value"):
    """Expected purchases, probability alive, expected spend and discounted CLV per customer.

    Args:
        fit: the result of :func:`fit` (its time unit must be the summary's).
        summary: customers to score (pandas indexed by id or with ``id_col``; polars with ``id_col``).
        horizon_months: whole months ahead (1-600); converted to periods with
            ``months * 30.4375 / fit.period_days``.
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


# --------------------------------------------------------------------------- validation

def frequency_bin(frequency, max_frequency: int = 7) -> np.ndarray:
    """Bin labels '0', '1', ..., 'max+' for calibration frequencies."""
    f = np.asarray(frequency, dtype=float).astype(int)
    labels = np.array([str(i) for i in range(max_frequency)] + [f"{max_frequency}+"], dtype=object)
    return labels[np.clip(f, 0, max_frequency)]


def holdout_predictions(fits: dict[str, CLVFit], cal_hold, *, id_col: str = "customer_id",
                        frequency_cal: str = "frequency_cal", recency_cal: str = "recency_cal",
                        T_cal: str = "T_cal", frequency_holdout: str = "frequency_holdout",
                        duration_holdout: str = "duration_holdout") -> pd.DataFrame:
    """Per customer: actual holdout purchases and each model's prediction, plus the naive baseline.

    ``cal_hold`` is :func:`workbench.rfm.calibration_holdout`'s output (lifetimes'
    column names).  Columns of the result: ``frequency_cal, recency_cal, T_cal,
    duration_holdout, actual`` and one column per model name in ``fits`` plus
    ``baseline`` = ``frequency_cal / T_cal * duration_holdout`` (repeat the
    calibration purchase rate).  pandas, indexed by customer id.
    """
    a = _to_arrays(cal_hold, id_col, frequency_cal, recency_cal, T_cal, None, False, "calibration/holdout")
    if isinstance(cal_hold, pl.DataFrame):
        actual = cal_hold.get_column(frequency_holdout).cast(pl.Float64).to_numpy()
        dur = cal_hold.get_column(duration_holdout).cast(pl.Float64).to_numpy()
    else:
        for c in (frequency_holdout, duration_holdout):
            if c not in cal_hold.columns:
                raise DataError(f"calibration/holdout: column '{c}' is missing; build it with "
                                f"workbench.rfm.calibration_holdout.")
        actual = cal_hold[frequency_holdout].to_numpy(dtype=float)
        dur = cal_hold[duration_holdout].to_numpy(dtype=float)
    if not np.all(np.isfinite(dur)) or np.any(dur <= 0):
        raise DataError("calibration/holdout: duration_holdout must be a positive number of periods; "
                        "the holdout period is empty.")
    out = pd.DataFrame({"frequency_cal": a.frequency, "recency_cal": a.recency, "T_cal": a.T,
                        "duration_holdout": dur, "actual": actual},
                       index=pd.Index(a.ids, name=id_col))
    (f, r, T, d), _, inv = _collapse(a.frequency, a.recency, a.T, dur)
    for name, ft in fits.items():
        pred = _cond_expected(ft.purchase_model, d, f, r, T)[inv]
        if not np.all(np.isfinite(pred)):
            raise ModelError(f"the {name} model gave no finite holdout prediction for some customers.")
        out[name] = pred
    out["baseline"] = a.frequency / a.T * dur
    return out


def holdout_table(per_customer: pd.DataFrame, models: Sequence[str], max_frequency: int = 7) -> pd.DataFrame:
    """Mean actual vs predicted holdout purchases by calibration frequency ('0' ... '7+').

    One row per bin with ``customers``, ``actual`` and one column per model (mean
    holdout purchases per customer in the bin).  Bins with no customers are left out.
    """
    df = per_customer.assign(bin=frequency_bin(per_customer["frequency_cal"], max_frequency))
    cols = ["actual", *models]
    g = df.groupby("bin", sort=False)
    table = g[cols].mean()
    table.insert(0, "customers", g.size())
    order = [str(i) for i in range(max_frequency)] + [f"{max_frequency}+"]
    table = table.reindex([b for b in order if b in table.index])
    table.index.name = "frequency_cal"
    return table


@dataclass
class Validation:
    """Out-of-sample comparison of purchase models (see :func:`validate`).

    Attributes:
        per_customer: actual and predicted holdout purchases per customer.
        by_frequency: mean actual vs predicted by calibration-frequency bin.
        comparison: one row per model (and the baseline): totals and errors.
        fits: the calibration fits, by model name.
        holdout_periods: the holdout length in periods (the longest when it varies).
    """

    per_customer: pd.DataFrame
    by_frequency: pd.DataFrame
    comparison: pd.DataFrame
    fits: dict[str, CLVFit]
    holdout_periods: float

    def summary(self, model: str) -> dict[str, float]:
        """Key figures of one model: totals, MAEs, and the baseline's MAE."""
        row = self.comparison.loc[model]
        base = self.comparison.loc["baseline"]
        return {"holdout_actual": float(row["actual_total"]),
                "holdout_predicted": float(row["predicted_total"]),
                "holdout_mae": float(row["mae_customer"]),
                "holdout_mae_bin": float(row["mae_bin"]),
                "baseline_predicted": float(base["predicted_total"]),
                "baseline_mae": float(base["mae_customer"]),
                "baseline_mae_bin": float(base["mae_bin"])}


def validate(cal_hold, models: Iterable[str] = ("bgnbd", "paretonbd"), *, period: str = "D",
             freq_multiplier: float = 1, max_frequency: int = 7, penalizer: float = 0.0,
             min_repeat_customers: int = 10, id_col: str = "customer_id") -> Validation:
    """Fit each purchase model on the calibration period and compare holdout purchases.

    Error measures (all in purchases per customer over the holdout):

    - ``mae_customer``: mean over customers of ``|actual - predicted|``;
    - ``mae_bin``: mean over the calibration-frequency bins (0 ... 7+) of
      ``|mean actual - mean predicted|`` in the bin (each bin counts once, as in
      the calibration-vs-holdout chart);
    - ``actual_total`` / ``predicted_total``: purchases summed over customers and
      ``total_error`` = predicted / actual - 1.

    The naive ``baseline`` predicts ``frequency_cal / T_cal * duration_holdout``.
    """
    models = list(models)
    for m in models:
        if m not in MODELS:
            raise UsageError(f"model '{m}' is not supported; choose from {', '.join(MODELS)}.")
    cal = cal_hold
    if isinstance(cal_hold, pl.DataFrame):
        cal_summary = cal_hold.select(id_col, pl.col("frequency_cal").alias("frequency"),
                                      pl.col("recency_cal").alias("recency"), pl.col("T_cal").alias("T"))
    else:
        cal_summary = cal_hold.rename(columns={"frequency_cal": "frequency", "recency_cal": "recency",
                                               "T_cal": "T"})
    fits = {m: fit(cal_summary, m, spend=False, period=period, freq_multiplier=freq_multiplier,
                   penalizer=penalizer, min_repeat_customers=min_repeat_customers, id_col=id_col)
            for m in models}
    per = holdout_predictions(fits, cal, id_col=id_col)
    names = [*models, "baseline"]
    table = holdout_table(per, names, max_frequency)
    rows = []
    actual_total = float(per["actual"].sum())
    for name in names:
        pred_total = float(per[name].sum())
        rows.append({
            "model": name,
            "actual_total": actual_total,
            "predicted_total": pred_total,
            "total_error": pred_total / actual_total - 1 if actual_total > 0 else float("nan"),
            "mae_customer": float((per["actual"] - per[name]).abs().mean()),
            "mae_bin": float((table["actual"] - table[name]).abs().mean()),
        })
    comparison = pd.DataFrame(rows).set_index("model")
    return Validation(per_customer=per, by_frequency=table, comparison=comparison, fits=fits,
                      holdout_periods=float(per["duration_holdout"].max()))


# --------------------------------------------------------------------------- diagnostics

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


def _matrix(fit: CLVFit, T, max_frequency, n_recency, fn) -> pd.DataFrame:
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


def period_transactions(fit: CLVFit, summary, max_frequency: int = 7, *,
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
        for j, t in enumerate(uniq_T):
            if t <= 0:  # no time to repeat yet (lifetimes' Pareto/NBD gives 0 for every n here)
                probs[j, 0] = 1.0
                continue
            for x in range(max_frequency):
                if fit.model == "paretonbd":
                    probs[j, x] = pm.conditional_probability_of_n_purchases_up_to_time(x, float(t), 0, 0, 0)
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


def _columns(df) -> list[str]:
    return list(df.columns)


def _column(df, name: str) -> np.ndarray:
    if name not in _columns(df):
        raise DataError(f"column '{name}' is missing; the columns are {_columns(df)}.")
    if isinstance(df, pl.DataFrame):
        return df.get_column(name).cast(pl.Float64).to_numpy()
    return df[name].to_numpy(dtype=float)


def _daily_purchases(transactions, id_col: str, date_col: str) -> pl.DataFrame:
    """Distinct (customer, day) purchases as polars, with a clear error for missing columns."""
    df = transactions if isinstance(transactions, pl.DataFrame) else pl.from_pandas(transactions)
    for c in (id_col, date_col):
        if c not in df.columns:
            raise DataError(f"transactions: column '{c}' is missing; the columns are {df.columns}.")
    d = df.select(pl.col(id_col).cast(pl.String), pl.col(date_col).cast(pl.Date))
    if d.get_column(date_col).null_count() or d.get_column(id_col).null_count():
        raise DataError(f"transactions: {date_col} or {id_col} is empty on some rows; clean the data first.")
    return d.unique().sort([id_col, date_col])


def cumulative_tracking(fit: CLVFit, transactions, calibration_end, end, *, id_col: str = "customer_id",
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
    d = _daily_purchases(transactions, id_col, date_col)
    d = d.filter(pl.col(date_col) <= last)
    first = d.group_by(id_col).agg(pl.col(date_col).min().alias("first"))
    first = first.filter(pl.col("first") <= cal_end)
    if first.height == 0:
        raise DataError(f"transactions: no customer bought on or before {cal_end}.")
    rep = d.join(first, on=id_col).filter(pl.col(date_col) > pl.col("first"))
    start = first.get_column("first").min()
    cohorts = first.group_by("first").len().sort("first")
    fdays = np.array([(x - start).days for x in cohorts.get_column("first").to_list()], dtype=float)
    fcount = cohorts.get_column("len").to_numpy().astype(float)
    rep_days = np.sort(np.array([(x - start).days for x in rep.get_column(date_col).to_list()], dtype=float))
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
    actual = np.searchsorted(rep_days, ends, side="right").astype(float)
    dates = [start + timedelta(days=int(e)) for e in ends]
    return pd.DataFrame({"date": pd.to_datetime(dates), "actual": actual, "predicted": pred,
                         "holdout": [x > cal_end for x in dates]})


def alive_history(fit: CLVFit, purchase_dates, end, *, step_days: int = 1) -> pd.DataFrame:
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


def _as_date(value, what: str) -> date:
    if isinstance(value, pd.Timestamp):
        return value.date()
    if hasattr(value, "date") and callable(value.date) and not isinstance(value, date):
        return value.date()
    if isinstance(value, date):
        return value.date() if hasattr(value, "hour") else value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise UsageError(f"{what} '{value}' is not a date; write it as YYYY-MM-DD.") from None


# --------------------------------------------------------------------------- business views

def net_of_returns(summary, transactions, *, id_col: str = "customer_id", amount_col: str = "amount",
                   monetary_value_col: str = "monetary_value"):
    """Scale each customer's average repeat spend by the share of their purchases they kept.

    The purchase process counts completed purchases (amount > 0); returns
    (negative amounts) do not undo a purchase occasion, but they take money
    back.  ``return_rate`` = returned amount / purchased amount of the customer
    over the same rows (clipped to [0, 1]); the new ``monetary_value`` is
    ``monetary_value * (1 - return_rate)``, the net value the customer leaves
    per repeat purchase.  Customers with no returns keep their value.

    Args:
        summary: RFM summary (pandas indexed by id or with ``id_col``; polars with ``id_col``).
        transactions: the orders over the same period, with ``id_col`` and
            ``amount_col`` (positive = purchase, negative = return).

    Returns:
        The summary (same kind) with ``monetary_value`` replaced and a ``return_rate`` column.
    """
    tx = transactions if isinstance(transactions, pl.DataFrame) else pl.from_pandas(transactions)
    for c in (id_col, amount_col):
        if c not in tx.columns:
            raise DataError(f"transactions: column '{c}' is missing; the columns are {tx.columns}.")
    if tx.get_column(amount_col).null_count():
        raise DataError(f"transactions.{amount_col}: some rows have no amount; clean the data first.")
    rates = (tx.lazy().group_by(pl.col(id_col).cast(pl.String))
             .agg(pl.col(amount_col).clip(lower_bound=0).sum().alias("__bought"),
                  (-pl.col(amount_col).clip(upper_bound=0)).sum().alias("__returned"))
             .with_columns(pl.when(pl.col("__bought") > 0)
                           .then((pl.col("__returned") / pl.col("__bought")).clip(0, 1))
                           .otherwise(0.0).alias("return_rate"))
             .select(id_col, "return_rate").collect())
    if isinstance(summary, pl.DataFrame):
        if id_col not in summary.columns:
            raise DataError(f"summary: column '{id_col}' is missing; the columns are {summary.columns}.")
        key = summary.get_column(id_col).dtype
        out = summary.join(rates.with_columns(pl.col(id_col).cast(key)), on=id_col, how="left")
        out = out.with_columns(pl.col("return_rate").fill_null(0.0))
        return out.with_columns((pl.col(monetary_value_col) * (1 - pl.col("return_rate")))
                                .alias(monetary_value_col))
    if not isinstance(summary, pd.DataFrame):
        raise UsageError(f"summary must be a pandas or polars DataFrame, got {type(summary).__name__}.")
    out = summary.copy()
    keys = out[id_col] if id_col in out.columns else pd.Series(out.index, index=out.index)
    lookup = dict(zip(rates.get_column(id_col).to_list(), rates.get_column("return_rate").to_list(), strict=True))
    out["return_rate"] = keys.astype(str).map(lookup).fillna(0.0).to_numpy(dtype=float)
    out[monetary_value_col] = out[monetary_value_col] * (1 - out["return_rate"])
    return out


def value_by_group(predictions, groups, by: str, *, id_col: str = "customer_id") -> pd.DataFrame:
    """Customers, total and mean CLV, expected purchases and share of total CLV per group.

    Args:
        predictions: :func:`predict`'s output (pandas indexed by id or polars with ``id_col``).
        groups: a frame with ``id_col`` and ``by`` (e.g. segments.parquet: tier, rfm_segment).
        by: the grouping column.

    Every customer of ``predictions`` must appear in ``groups``; missing ones
    raise a DataError naming them (so no customer silently drops out of a total).
    """
    pred = predictions if isinstance(predictions, pl.DataFrame) else \
        pl.from_pandas(predictions.reset_index() if id_col not in predictions.columns else predictions)
    grp = groups if isinstance(groups, pl.DataFrame) else pl.from_pandas(groups)
    for c in (id_col, by):
        if c not in grp.columns:
            raise DataError(f"groups: column '{c}' is missing; the columns are {grp.columns}.")
    for c in (id_col, "clv", "expected_purchases"):
        if c not in pred.columns:
            raise DataError(f"predictions: column '{c}' is missing; pass workbench.clv.predict's output.")
    joined = pred.with_columns(pl.col(id_col).cast(pl.String)).join(
        grp.select(pl.col(id_col).cast(pl.String), by), on=id_col, how="left")
    missing = joined.filter(pl.col(by).is_null())
    if missing.height:
        ex = ", ".join(map(str, missing.get_column(id_col).head(3).to_list()))
        raise DataError(f"{missing.height} customer(s) with a CLV have no '{by}' (e.g. {ex}); "
                        f"re-run the segmentation step (02) for the same as-of date.")
    total = float(joined.get_column("clv").sum())
    out = (joined.group_by(by)
           .agg(pl.len().alias("customers"), pl.col("clv").sum().alias("total_clv"),
                pl.col("clv").mean().alias("mean_clv"),
                pl.col("expected_purchases").sum().alias("expected_purchases"),
                pl.col("p_alive").mean().alias("mean_p_alive"))
           .with_columns((pl.col("total_clv") / total if total else pl.lit(0.0)).alias("share_clv"))
           .sort("total_clv", descending=True))
    return out.to_pandas().set_index(by)


# --------------------------------------------------------------------------- notebook helpers

i18n.register({
    "total_clv": {"zh": "CLV合计", "en": "Total CLV"},
    "mean_clv": {"zh": "平均CLV", "en": "Mean CLV"},
    "share_clv": {"zh": "CLV占比", "en": "Share of CLV"},
    "mean_p_alive": {"zh": "平均活跃概率", "en": "Mean probability alive"},
    "total_error": {"zh": "合计偏差", "en": "Total error"},
    "clv_parameter_value": {"zh": "估计值", "en": "Estimate"},
    "clv_purchase_model": {"zh": "购买模型", "en": "Purchase model"},
    "clv_spend_model": {"zh": "消费金额模型(Gamma-Gamma)", "en": "Spend model (Gamma-Gamma)"},
    "clv_needs_02": {"zh": "本报告需要报告 02(客户分类与分级)生成的 segments.parquet,请先运行 02。",
                     "en": "This report needs segments.parquet from report 02 (segmentation); run 02 first."},
})


@dataclass(frozen=True)
class CLVSettings:
    """The ``clv:`` section of ``workbench.yaml`` (every key optional).

    Attributes:
        period, freq_multiplier: time unit of the RFM summary (default ``"D"``, 7:
            daily purchase periods counted in weeks, as in the literature).
        net_of_returns: scale spend by the share each customer kept (default True;
            see :func:`net_of_returns`).
        cap_outliers: orders the cleaning flagged ``is_outlier`` still count as
            purchases, but their amount is capped at the 99th percentile of the
            unflagged purchase amounts (default True), so one mistyped amount
            cannot make a customer worth millions.
        penalizer: lifetimes' penalizer (default 0; a retry with 0.001 happens on failure).
        compare: purchase models compared out of sample (default bgnbd, paretonbd).
    """

    period: str = "D"
    freq_multiplier: float = 7
    net_of_returns: bool = True
    cap_outliers: bool = True
    penalizer: float = 0.0
    compare: tuple[str, ...] = ("bgnbd", "paretonbd")

    @classmethod
    def from_mapping(cls, section: dict[str, Any] | None) -> CLVSettings:
        """Build from ``cfg.section("clv")`` with clear errors for unknown keys or values."""
        section = dict(section or {})
        known = {"period", "freq_multiplier", "net_of_returns", "cap_outliers", "penalizer", "compare"}
        unknown = set(section) - known - {"horizon_months", "discount_rate_monthly", "model",
                                          "holdout_months"}
        if unknown:
            raise UsageError(f"workbench.yaml clv: unknown key(s) {sorted(unknown)}; "
                             f"known keys are {sorted(known)}.")
        out = cls(**{k: (tuple(v) if k == "compare" else v) for k, v in section.items() if k in known})
        _period_days(out.period, out.freq_multiplier)
        for m in out.compare:
            if m not in MODELS:
                raise UsageError(f"workbench.yaml clv.compare: model '{m}' is not one of {MODELS}.")
        return out


def summary_from_orders(orders, as_of, settings: CLVSettings | None = None, *,
                        id_col: str = "customer_id", date_col: str = "order_date",
                        amount_col: str = "amount"):
    """RFM summary of completed purchases up to ``as_of``, spend net of returns.

    Purchases are the orders with ``amount > 0`` (returns, with negative
    amounts, are not purchase occasions); :func:`workbench.rfm.summary` counts
    them per period.  With ``settings.cap_outliers`` (and an ``is_outlier``
    column, as the cleaning writes) flagged amounts are capped first.  With ``settings.net_of_returns`` the average spend is
    then scaled by :func:`net_of_returns` over the same orders.  Returns a
    polars frame with ``id_col, frequency, recency, T, monetary_value`` (and
    ``return_rate``).
    """
    settings = settings or CLVSettings()
    day = _as_date(as_of, "as_of")
    df = orders if isinstance(orders, pl.DataFrame) else pl.from_pandas(orders)
    for c in (id_col, date_col, amount_col):
        if c not in df.columns:
            raise DataError(f"orders: column '{c}' is missing; the columns are {df.columns}.")
    known = df.filter(pl.col(date_col).cast(pl.Date) <= day)
    if settings.cap_outliers and "is_outlier" in known.columns:
        normal = known.filter(~pl.col("is_outlier").fill_null(False) & (pl.col(amount_col) > 0))
        if normal.height:
            cap = float(normal.get_column(amount_col).quantile(0.99, "linear"))
            known = known.with_columns(
                pl.when(pl.col("is_outlier").fill_null(False))
                .then(pl.col(amount_col).clip(-cap, cap)).otherwise(pl.col(amount_col)).alias(amount_col))
    purchases = known.filter(pl.col(amount_col) > 0)
    if purchases.height == 0:
        raise DataError(f"orders: no purchase (amount > 0) on or before {day}; nothing to value.")
    s = rfm.summary(purchases, id_col, date_col, amount_col, day, settings.period, settings.freq_multiplier)
    if settings.net_of_returns:
        return net_of_returns(s, known, id_col=id_col, amount_col=amount_col)
    return s.with_columns(pl.lit(0.0).alias("return_rate"))


def params_table(fit: CLVFit, lang: str = "en") -> pd.DataFrame:
    """The fitted parameters of both models as a small table for reports."""
    rows = [(i18n.t("clv_purchase_model", lang) + f" ({MODEL_NAMES[fit.model]})", k, v)
            for k, v in fit.params.items()]
    rows += [(i18n.t("clv_spend_model", lang), k, v) for k, v in fit.spend_params.items()]
    return pd.DataFrame(rows, columns=[i18n.t("clv_model", lang), i18n.t("clv_parameter", lang),
                                       i18n.t("clv_parameter_value", lang)]).round(4)


def localize(df: pd.DataFrame, lang: str = "en", digits: int = 2) -> pd.DataFrame:
    """Headers and model names in ``lang``; shares as percents; floats rounded."""
    out = df.copy()
    for col in out.columns:
        if col in ("share_clv", "total_error", "p_alive", "mean_p_alive"):
            out[col] = out[col].map(lambda v: f"{100 * v:.1f}%")
        elif pd.api.types.is_float_dtype(out[col]):
            out[col] = out[col].round(digits)
    if out.index.name == "model" or set(out.index.astype(str)) & set(MODEL_NAMES):
        out.index = [i18n.t(str(i), lang) for i in out.index]
    name = df.index.name
    out.index.name = i18n.t("clv_model" if name == "model" else name, lang) if name else None
    return out.rename(columns=i18n.column_labels(out.columns, lang))


def key_results(fit: CLVFit, validation: Validation, predictions, horizon_months: int,
                discount_rate_monthly: float, calibration_end) -> dict[str, Any]:
    """The ``clv`` step results (``results/clv.json``) as plain values."""
    pred = predictions if isinstance(predictions, pl.DataFrame) else pl.from_pandas(predictions)
    model_key = fit.model if fit.model in validation.comparison.index else "bgnbd"
    v = validation.summary(model_key)
    clv_col = pred.get_column("clv")
    total = float(clv_col.sum())
    top = clv_col.sort(descending=True).head(max(1, round(pred.height * 0.2)))
    return {
        **fit.to_dict(),
        "horizon_months": horizon_months, "discount_rate_monthly": discount_rate_monthly,
        "calibration_end": _as_date(calibration_end, "calibration_end").isoformat(),
        "holdout_periods": validation.holdout_periods, **v,
        "comparison": {m: {k: float(x) for k, x in row.items()}
                       for m, row in validation.comparison.to_dict(orient="index").items()},
        "total_clv": total, "mean_clv": float(clv_col.mean()),
        "top20_share": float(top.sum() / total) if total else 0.0,
        "expected_purchases": float(pred.get_column("expected_purchases").sum()),
        "mean_p_alive": float(pred.get_column("p_alive").mean()),
    }


_TEXT = {
    "fit": {
        "zh": "模型基于 {customers:,} 位客户(其中 {repeat:,} 位有重复购买)拟合,时间单位:1 个周期 = {days:g} 天。{notes}",
        "en": "The models were fitted on {customers:,} customers ({repeat:,} with a repeat purchase); "
              "time unit: 1 period = {days:g} days. {notes}",
    },
    "validation": {
        "zh": "把 {cal_end} 之前的数据作为校准期拟合模型,预测之后 {months} 个月(验证期)每位客户的购买次数,再与实际对比:"
              "实际 {actual:,.0f} 次,{model} 预测 {predicted:,.0f} 次(偏差 {err:+.1%});"
              "平均每位客户的绝对误差为 {mae:.2f} 次,朴素基准(沿用校准期购买频率)为 {base:.2f} 次。{verdict}",
        "en": "The models were fitted on the data up to {cal_end} and predicted each customer's purchases in the "
              "following {months} months (the holdout): actual {actual:,.0f}, {model} predicted {predicted:,.0f} "
              "({err:+.1%}); the mean absolute error per customer is {mae:.2f} purchases against {base:.2f} for "
              "the naive baseline that repeats each customer's calibration rate. {verdict}",
    },
    "better": {"zh": "模型比朴素基准更准,可以用于预测。", "en": "The model beats the naive baseline and can be used for forecasts."},
    "worse": {"zh": "注意:模型没有胜过朴素基准,预测结果只能作参考。",
              "en": "Caution: the model does not beat the naive baseline; treat its forecasts as indicative only."},
    "value": {
        "zh": "未来 {months} 个月(按每月 {rate:.1%} 折现)预计客户总价值 {total},平均每位客户 {mean};"
              "价值最高的 20% 客户贡献 {top:.0%}。",
        "en": "Over the next {months} months (discounted at {rate:.1%} a month) the customers are expected to be "
              "worth {total} in total, {mean} on average; the top 20% of customers hold {top:.0%} of that value.",
    },
    "allocation": {
        "zh": "资源配置建议:{tier_line}把客户经理的时间和专属服务优先投向高 CLV 客户;"
              "对 CLV 高但活跃概率低于 50% 的 {risky:,} 位客户(合计 {risky_value})尽快回访挽留;"
              "对 CLV 很低的客户以低成本的线上触达为主。",
        "en": "For resource allocation: {tier_line}put account managers' time and dedicated service on the "
              "high-CLV customers first; call the {risky:,} customers with a high CLV but a probability alive "
              "below 50% (worth {risky_value} together) soon to win them back; serve the low-CLV customers "
              "through low-cost online channels.",
    },
    "tier_line": {
        "zh": "A 级客户占 {share:.0%} 的未来价值,",
        "en": "tier A holds {share:.0%} of the future value; ",
    },
}


def narrative(key: str, lang: str = "en", **values: Any) -> str:
    """Plain-language sentences of the CLV report (``key`` in fit, validation, value, allocation)."""
    if key not in _TEXT:
        raise UsageError(f"unknown narrative '{key}'; choose from {sorted(_TEXT)}.")
    return _TEXT[key][lang].format(**values)


def valuable_at_risk(predictions, *, top_share: float = 0.2, p_alive_below: float = 0.5,
                     id_col: str = "customer_id") -> pl.DataFrame:
    """Customers in the top ``top_share`` by CLV whose probability alive is below ``p_alive_below``.

    They are worth most and are the likeliest to have lapsed: the first to call.
    Returns polars rows of ``predictions`` (with ``id_col``), highest CLV first.
    """
    if not 0 < top_share <= 1 or not 0 < p_alive_below <= 1:
        raise UsageError("top_share and p_alive_below must be in (0, 1].")
    pred = predictions if isinstance(predictions, pl.DataFrame) else \
        pl.from_pandas(predictions.reset_index() if id_col not in predictions.columns else predictions)
    n_top = max(1, round(pred.height * top_share))
    top = pred.sort("clv", descending=True).head(n_top)
    return top.filter(pl.col("p_alive") < p_alive_below)
