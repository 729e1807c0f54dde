"""The Pareto/NBD likelihood: lifetimes' formula per distinct value, stable where it overflows, with its gradient.

Every term follows lifetimes' formulas (Fader & Hardie 2005, note 009, eq. 18-20);
tests compare the values with lifetimes' own and the fit with lifetimes' fit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .inputs import _collapse
from .likelihood import _Distinct

#: The Euler series below stops when its remaining terms are below this share of its sum.
SERIES_EPS = 1e-17
#: At most this many terms of the Euler series; a value that needs more takes scipy's.
SERIES_MAX_TERMS = 20_000
#: Relative step of the central differences of ``log 2F1`` in its first two arguments.
DIFF_STEP = 1e-5


def _log_euler_series(beta: np.ndarray, gamma: np.ndarray, z: np.ndarray) -> np.ndarray:
    """``log 2F1(1, beta; gamma; z)`` for ``0 <= beta < gamma``, ``0 <= z < 1``, summed term by term.

    The terms ``prod_k (beta + k) / (gamma + k) z^n`` fall at least as fast as ``z^n``;
    the sum stops when the next terms' geometric bound is below :data:`SERIES_EPS` of
    it.  A value whose series needs more than :data:`SERIES_MAX_TERMS` terms is scipy's.
    """
    from scipy.special import hyp2f1

    n_all = len(z)
    total = np.ones(n_all)
    idx = np.arange(n_all)
    term, tot = np.ones(n_all), np.ones(n_all)
    b, g, zz = beta.astype(float), gamma.astype(float), z.astype(float)
    k = 0
    while idx.size and k < SERIES_MAX_TERMS:
        ratio = (b + k) / (g + k) * zz
        term = term * ratio
        tot = tot + term
        k += 1
        go = term > SERIES_EPS * tot * (1.0 - ratio)
        if not go.all():
            done = ~go
            total[idx[done]] = tot[done]
            idx, term, tot, b, g, zz = idx[go], term[go], tot[go], b[go], g[go], zz[go]
    out = np.log(total)
    if idx.size:  # too slow a series: scipy's value
        out[idx] = np.log(hyp2f1(1.0, beta[idx], gamma[idx], z[idx]))
    return out


def _log_hyp2f1(rsf: Any, t: Any, z: Any) -> Any:
    """``log 2F1(rsf, t; rsf + 1; z)`` of the Pareto/NBD likelihood, finite for every customer.

    scipy's ``hyp2f1`` as lifetimes calls it, and where that overflows (a customer with
    hundreds of purchases: the value is far beyond a double, its logarithm is not) the
    same value through Euler's transformation ``2F1(a, b; c; z) = (1 - z)^(c - a - b)
    2F1(c - a, c - b; c; z)``: with ``c = a + 1`` the remaining series is
    ``2F1(1, rsf + 1 - t; rsf + 1; z)``, whose terms fall at least as fast as ``z^n``,
    summed here term by term (:func:`_log_euler_series`; scipy's own evaluation of it
    is slow for some of the values an optimiser visits).  Only the overflowing values
    take the second route, so every other value is lifetimes' own.  The one definition
    used by the fit and the predictions.
    """
    # imported on first use, not with the package: scipy takes a second or two to import
    from scipy.special import hyp2f1

    rsf, t, z = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (rsf, t, z)))
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        out = np.log(hyp2f1(rsf, t, rsf + 1.0, z))
        bad = ~np.isfinite(out)
        if bad.any():
            rb, tb, zb = rsf[bad], t[bad], z[bad]
            out = np.array(out, dtype=float, copy=True)
            out[bad] = (1.0 - tb) * np.log1p(-zb) + _log_euler_series(rb + 1.0 - tb, rb + 1.0, zb)
    return out


def _log_hyp2f1_grad(a: np.ndarray, b: np.ndarray, z: np.ndarray, value: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Derivatives of ``L = log 2F1(a, b; a + 1; z)`` in ``a``, ``b`` and ``z``.

    In ``z`` exact: with ``c = a + 1``, ``z dF/dz = a ((1 - z)^-b - F)`` (compare the
    series term by term), so ``dL/dz = a / z ((1 - z)^-b / F - 1)`` (``a b / (a + 1)``
    at ``z = 0``).  In ``a`` and ``b`` (no closed form) central differences of
    :func:`_log_hyp2f1` with the relative step :data:`DIFF_STEP`.
    """
    ha, hb = DIFF_STEP * a, DIFF_STEP * b
    d_a = (_log_hyp2f1(a + ha, b, z) - _log_hyp2f1(a - ha, b, z)) / (2.0 * ha)
    d_b = (_log_hyp2f1(a, b + hb, z) - _log_hyp2f1(a, b - hb, z)) / (2.0 * hb)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        d_z = np.where(z > 0.0, a / z * np.expm1(-b * np.log1p(-z) - value), a * b / (a + 1.0))
    return d_a, d_b, d_z


class _ParetoLikelihood:
    """lifetimes' Pareto/NBD negative log-likelihood, its terms once per distinct value, and its gradient.

    lifetimes evaluates two ``hyp2f1`` and a dozen logarithms per (frequency,
    recency, T) pattern at every optimizer step.  The first ``hyp2f1`` depends
    only on (frequency, recency), the second only on (frequency, T), and each
    logarithm on one of frequency, recency or T alone; far fewer distinct values
    exist than patterns, so each is evaluated once per distinct value and gathered.
    The formulas are lifetimes' ``_log_A_0`` / ``_conditional_log_likelihood``
    term for term, with two changes where lifetimes' value is not finite: ``log
    2F1`` through :func:`_log_hyp2f1` where scipy's ``hyp2f1`` overflows (lifetimes
    then returns ``-inf``, a spurious best value on which Nelder-Mead never stops),
    and ``log A_0`` stable at recency = T.  Where lifetimes' value is finite the
    two agree to rounding (tests).

    :meth:`value` has the signature of ``ParetoNBDFitter._negative_log_likelihood``;
    :meth:`value_and_grad` gives it with its gradient in the parameters: every term
    differentiated in closed form except ``log 2F1`` in its first two arguments
    (:func:`_log_hyp2f1_grad`).
    """

    def __init__(self) -> None:
        self._cache = _Distinct()

    def _prepare(self, freq: Any, rec: Any, T: Any) -> dict[str, Any]:
        found = self._cache.get(freq, rec, T)
        if found is not None:
            return found
        x, tx, tt = (np.asarray(v, dtype=float) for v in (freq, rec, T))
        (xr_f, xr_r), _, inv_r = _collapse(x, tx)
        (xt_f, xt_t), _, inv_t = _collapse(x, tt)
        (ux,), _, inv_x = _collapse(x)
        (ur,), _, inv_rr = _collapse(tx)
        (ut,), _, inv_tt = _collapse(tt)
        return self._cache.put((freq, rec, T), dict(
            xr_f=xr_f, xr_r=xr_r, inv_r=inv_r, xt_f=xt_f, xt_t=xt_t, inv_t=inv_t, ux=ux,
            inv_x=inv_x, ur=ur, inv_rr=inv_rr, ut=ut, inv_tt=inv_tt))

    def _terms(self, params: np.ndarray, freq: Any, rec: Any, T: Any, grad: bool):
        """Per pattern: the log-likelihood and (with ``grad``) its derivatives in (r, alpha, s, beta)."""
        from scipy.special import digamma, gammaln

        c = self._prepare(freq, rec, T)
        r, alpha, s, beta = (float(p) for p in params)
        swap = not alpha < beta  # lifetimes' branch: alpha < beta, else the roles swap
        lo, hi = (beta, alpha) if swap else (alpha, beta)
        diff = hi - lo
        ix, irr, itt = c["inv_x"], c["inv_rr"], c["inv_tt"]
        pairs = []
        for f_, q_, inv in ((c["xr_f"], c["xr_r"], c["inv_r"]), (c["xt_f"], c["xt_t"], c["inv_t"])):
            a_ = r + s + f_
            b_ = np.full_like(f_, s + 1.0) if swap else r + f_
            z_ = diff / (hi + q_)
            pairs.append((a_, b_, z_, q_, inv, _log_hyp2f1(a_, b_, z_)))
        (_, _, _, _, inv_r, lp1), (_, _, _, _, inv_t, lp2) = pairs
        ux = c["ux"]
        rsf_u = r + s + ux
        rsf = rsf_u[ix]
        log_q1 = np.log(hi + c["ur"])[irr]
        log_q2 = np.log(hi + c["ut"])[itt]
        a1 = lp1[inv_r] + rsf * log_q2
        a2 = lp2[inv_t] + rsf * log_q1
        with np.errstate(divide="ignore"):
            e_d = np.exp(np.minimum(a2 - a1, 0.0))
            # A_0 = 0 when recency = T; clip rounding so it gives -inf, never NaN (see _pareto_terms)
            log_a0 = a1 + np.log1p(-e_d) - rsf * (log_q1 + log_q2)
        a_1 = (gammaln(r + ux) - gammaln(r) + r * np.log(alpha) + s * np.log(beta))[ix]
        la_t, lb_t = np.log(alpha + c["ut"]), np.log(beta + c["ut"])
        first = (-(r + ux))[ix] * la_t[itt] - s * lb_t[itt]
        second = np.log(s) + log_a0 - np.log(rsf_u)[ix]
        m = np.logaddexp(first, second)
        ll = a_1 + m
        if not grad:
            return ll, None
        # d/d(r, alpha, s, beta) of each log 2F1 term (per distinct pair), then per pattern
        d_lp = []
        for a_, b_, z_, q_, inv, lp in pairs:
            da, db, dz = _log_hyp2f1_grad(a_, b_, z_, lp)
            # dz/d(hi) = (lo + q) / (hi + q)^2, dz/d(lo) = -1 / (hi + q)
            dz_hi, dz_lo = (lo + q_) / (hi + q_) ** 2, -1.0 / (hi + q_)
            dz_alpha, dz_beta = (dz_hi, dz_lo) if swap else (dz_lo, dz_hi)
            d_r = da + (0.0 if swap else db)
            d_s = da + (db if swap else 0.0)
            d_lp.append(np.stack([d_r, dz * dz_alpha, d_s, dz * dz_beta])[:, inv])
        dq1 = (1.0 / (hi + c["ur"]))[irr]  # d log q1 / d hi
        dq2 = (1.0 / (hi + c["ut"]))[itt]
        hi_row = 1 if swap else 3  # hi is alpha when swapped, else beta
        d_rsf = np.array([1.0, 0.0, 1.0, 0.0])[:, None]
        d_a1 = d_lp[0] + d_rsf * log_q2
        d_a2 = d_lp[1] + d_rsf * log_q1
        d_a1[hi_row] += rsf * dq2
        d_a2[hi_row] += rsf * dq1
        with np.errstate(divide="ignore", invalid="ignore"):
            d_log_a0 = (d_a1 - e_d * d_a2) / (1.0 - e_d) - d_rsf * (log_q1 + log_q2)
        d_log_a0[hi_row] -= rsf * (dq1 + dq2)
        d_second = d_log_a0 - d_rsf / rsf
        d_second[2] += 1.0 / s
        ux_i = ux[ix]
        d_a_1 = np.stack([(digamma(r + ux) - digamma(r) + np.log(alpha))[ix],
                          np.full_like(rsf, r / alpha), np.full_like(rsf, np.log(beta)),
                          np.full_like(rsf, s / beta)])
        d_first = np.stack([-la_t[itt], -(r + ux_i) / (alpha + c["ut"])[itt], -lb_t[itt],
                            -s / (beta + c["ut"])[itt]])
        w_first = np.exp(first - m)
        w_second = np.exp(second - m)
        # A_0 = 0 (recency = T): the second term has weight 0 and no derivative
        d_second = np.where(w_second > 0.0, d_second, 0.0)
        return ll, d_a_1 + w_first * d_first + w_second * d_second

    def value(self, params, freq, rec, T, weights, penalizer_coef):
        """``ParetoNBDFitter._negative_log_likelihood``: the weighted sum over ``mean(weights)``."""
        params = np.asarray(params, dtype=float)
        if np.any(params <= 0.0):
            return np.inf
        ll, _ = self._terms(params, freq, rec, T, False)
        out = -(weights * ll).sum() / weights.mean() + penalizer_coef * float((params ** 2).sum())
        return out if np.isfinite(out) else np.inf

    def value_and_grad(self, params, freq, rec, T, weights, penalizer_coef):
        """:meth:`value` and its gradient in the parameters (inf and NaN where not finite)."""
        params = np.asarray(params, dtype=float)
        if np.any(params <= 0.0):
            return np.inf, np.full(4, np.nan)
        ll, d_ll = self._terms(params, freq, rec, T, True)
        wm = weights.mean()
        out = -(weights * ll).sum() / wm + penalizer_coef * float((params ** 2).sum())
        g = -(d_ll @ weights) / wm + 2.0 * penalizer_coef * params
        if not (np.isfinite(out) and np.all(np.isfinite(g))):
            return np.inf, np.full(4, np.nan)
        return out, g


def _pareto_nll_factory() -> Callable[..., Any]:
    """A function with the signature and value of ``ParetoNBDFitter._negative_log_likelihood``
    (see :class:`_ParetoLikelihood`), computed once per distinct value."""
    return _ParetoLikelihood().value


def _pareto_terms(pm: Any, f: Any, r: Any, T: Any) -> tuple[np.ndarray, np.ndarray]:
    """Pareto/NBD log A_0 and log-likelihood per customer (note 009 eq. 18-20), stable at recency = T.

    lifetimes computes ``log A_0`` with ``logsumexp(b=[1, -1])`` of two equal
    terms when recency equals T (a purchase in the last period); current scipy
    returns NaN there instead of -inf (A_0 = 0), so lifetimes' probability alive
    and expected purchases are NaN for those customers.  Same formulas, with
    ``log(e^a1 - e^a2) = a1 + log1p(-e^(a2 - a1))`` and the difference clipped at 0.
    """
    # imported on first use, not with the package: scipy takes a second or two to import
    from scipy.special import gammaln

    rr, alpha, s, beta = (float(pm.params_[k]) for k in ("r", "alpha", "s", "beta"))
    x, t_x, T = (np.asarray(v, dtype=float) for v in (f, r, T))
    t: np.ndarray | float
    if alpha < beta:
        lo, hi, t = alpha, beta, rr + x
    else:
        lo, hi, t = beta, alpha, s + 1
    rsf = rr + s + x
    q1, q2 = hi + t_x, hi + T
    a1 = _log_hyp2f1(rsf, t, (hi - lo) / q1) + rsf * np.log(q2)
    a2 = _log_hyp2f1(rsf, t, (hi - lo) / q2) + rsf * np.log(q1)
    log_a0 = a1 + np.log1p(-np.exp(np.minimum(a2 - a1, 0.0))) - rsf * np.log(q1 * q2)
    a_1 = gammaln(rr + x) - gammaln(rr) + rr * np.log(alpha) + s * np.log(beta)
    ll = a_1 + np.logaddexp(-(rr + x) * np.log(alpha + T) - s * np.log(beta + T),
                            np.log(s) + log_a0 - np.log(rsf))
    return log_a0, ll


