"""The Pareto/NBD likelihood terms: a faster exact sum for fitting, stable terms for predicting.

Both follow lifetimes' formulas (Fader & Hardie 2005, note 009, eq. 18-20) term
for term; tests compare them with lifetimes' own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .inputs import _collapse


def _log_hyp2f1(rsf: Any, t: Any, z: Any) -> Any:
    """``log 2F1(rsf, t; rsf + 1; z)`` of the Pareto/NBD likelihood, finite for every customer.

    scipy's ``hyp2f1`` as lifetimes calls it, and where that overflows (a customer with
    hundreds of purchases: the value is far beyond a double, its logarithm is not) the
    same value through Euler's transformation ``2F1(a, b; c; z) = (1 - z)^(c - a - b)
    2F1(c - a, c - b; c; z)``: with ``c = a + 1`` the remaining series is
    ``2F1(1, rsf + 1 - t; rsf + 1; z)``, whose terms fall at least as fast as ``z^n``.
    Only the overflowing values take the second route, so every other value is lifetimes'
    own.  Used for predicting; the fit keeps lifetimes' formula: along the optimiser's
    path many more values overflow, and scipy's second series is slow for some of them
    (measured: a fit on 100,000 customers of a five-year dataset ran more than ten
    minutes instead of 35 s).
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
            out[bad] = (1.0 - tb) * np.log1p(-zb) + np.log(hyp2f1(1.0, rb + 1.0 - tb, rb + 1.0, zb))
    return out


def _pareto_nll_factory() -> Callable[..., Any]:
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
    # imported on first use, not with the package: scipy takes a second or two to import
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


