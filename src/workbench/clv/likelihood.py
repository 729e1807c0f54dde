"""BG/NBD and Gamma-Gamma negative log-likelihoods: lifetimes' sums, each term computed once per value.

lifetimes evaluates five ``gammaln`` (BG/NBD) or three (Gamma-Gamma) and several
logarithms per pattern at every optimizer step, and autograd differentiates each
of them per pattern (``digamma`` of every pattern in the gradient).  A term that
depends only on the frequency (all the ``gammaln``), only on the recency or only on
T takes far fewer distinct values than there are patterns (a million customers
have a few hundred frequencies and a few thousand ages), so it is evaluated once
per distinct value and gathered.

The formulas and the order of the operations are lifetimes'
(``BetaGeoFitter._negative_log_likelihood``,
``GammaGammaFitter._negative_log_likelihood``): the value is the same to the last
bit, the gradient (summed in another order) to rounding.  Both are written with
autograd's numpy, as lifetimes', so lifetimes' own ``fit`` differentiates them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .inputs import _collapse

__all__ = ["bgnbd_nll_factory", "gammagamma_nll_factory"]


class _Distinct:
    """Distinct values of data columns, kept while the same arrays are passed.

    The arrays themselves are held (not their ids), so a new array is never taken
    for an old one.
    """

    def __init__(self) -> None:
        self.arrays: tuple[Any, ...] = ()
        self.values: dict[str, Any] = {}

    def get(self, *arrays: Any) -> dict[str, Any] | None:
        if len(arrays) == len(self.arrays) and all(
                a is b for a, b in zip(arrays, self.arrays, strict=True)):
            return self.values
        return None

    def put(self, arrays: tuple[Any, ...], values: dict[str, Any]) -> dict[str, Any]:
        self.arrays, self.values = arrays, values
        return values


def bgnbd_nll_factory() -> Callable[..., Any]:
    """A function with the signature and value of ``BetaGeoFitter._negative_log_likelihood``.

    ``(log_params, freq, rec, T, weights, penalizer_coef)``; terms of the frequency alone,
    of the recency alone and of T alone are computed once per distinct value.
    """
    # autograd comes with lifetimes; imported on first fit (slow to import)
    import autograd.numpy as anp
    from autograd.scipy.special import gammaln

    cache = _Distinct()

    def prepare(freq: Any, rec: Any, T: Any) -> dict[str, Any]:
        found = cache.get(freq, rec, T)
        if found is not None:
            return found
        (ux,), _, ix = _collapse(np.asarray(freq, dtype=float))
        (ur,), _, ir = _collapse(np.asarray(rec, dtype=float))
        (ut,), _, it = _collapse(np.asarray(T, dtype=float))
        ux_int = ux.astype(np.asarray(freq).dtype)
        return cache.put((freq, rec, T), {
            "ux": ux_int, "ix": ix, "ur": ur, "ir": ir, "ut": ut, "it": it,
            "ux1": np.maximum(ux_int, 1), "repeat": np.asarray(freq) > 0})

    def nll(log_params, freq, rec, T, weights, penalizer_coef):
        c = prepare(freq, rec, T)
        params = anp.exp(log_params)
        r, alpha, a, b = params
        ux, ix = c["ux"], c["ix"]
        a_1 = gammaln(r + ux) - gammaln(r) + r * anp.log(alpha)
        a_2 = gammaln(a + b) + gammaln(b + ux) - gammaln(b) - gammaln(a + b + ux)
        rf = (r + ux)[ix]
        a_3 = -rf * anp.log(alpha + c["ut"])[c["it"]]
        a_4 = (anp.log(a) - anp.log(b + c["ux1"] - 1))[ix] - rf * anp.log(c["ur"] + alpha)[c["ir"]]
        max_a = anp.maximum(a_3, a_4)
        penalizer_term = penalizer_coef * sum(params ** 2)
        ll = weights * ((a_1 + a_2)[ix] + anp.log(anp.exp(a_3 - max_a)
                                                  + anp.exp(a_4 - max_a) * c["repeat"]) + max_a)
        return -ll.sum() / weights.sum() + penalizer_term

    return nll


def gammagamma_nll_factory() -> Callable[..., Any]:
    """A function with the signature and value of ``GammaGammaFitter._negative_log_likelihood``.

    ``(log_params, frequency, avg_monetary_value, weights, penalizer_coef)``; the
    ``gammaln`` and the logarithm of the frequency are computed once per distinct
    frequency, the logarithms of the spend (which do not depend on the parameters) once.
    """
    # autograd comes with lifetimes; imported on first fit (slow to import)
    import autograd.numpy as anp
    from autograd.scipy.special import gammaln

    cache = _Distinct()

    def prepare(x: Any, m: Any) -> dict[str, Any]:
        found = cache.get(x, m)
        if found is not None:
            return found
        xv, mv = np.asarray(x), np.asarray(m)
        (ux,), _, ix = _collapse(xv.astype(float))
        ux = ux.astype(xv.dtype)
        return cache.put((x, m), {"ux": ux, "ix": ix, "log_x": np.log(ux), "log_m": np.log(mv),
                                  "xm": xv * mv})

    def nll(log_params, frequency, avg_monetary_value, weights, penalizer_coef):
        c = prepare(frequency, avg_monetary_value)
        params = anp.exp(log_params)
        p, q, v = params
        ux, ix = c["ux"], c["ix"]
        px = p * ux
        per_x = gammaln(px + q) - gammaln(px) - gammaln(q) + q * anp.log(v)
        px_i = px[ix]
        values = (per_x[ix] + (px_i - 1) * c["log_m"] + (px * c["log_x"])[ix]
                  - (px_i + q) * anp.log(c["xm"] + v)) * weights
        penalizer_term = penalizer_coef * sum(params ** 2)
        return -values.sum() / weights.sum() + penalizer_term

    return nll
