"""Robust lifetimes fits: when lifetimes' optimiser gives up, check its point and restart.

lifetimes' BG/NBD, MBG/NBD and Gamma-Gamma fitters run scipy's BFGS and raise
ConvergenceError whenever BFGS reports "precision loss", even when the gradient is
already tiny and the likelihood at its optimum; whether that happens depends on the
machine (BLAS, CPU).  When lifetimes gives up, :func:`_fit_robust` takes lifetimes'
own negative log-likelihood, checks the best point lifetimes reached and restarts
from fixed starting values; a point is used only when it is a real optimum.  The
routes a fit can take are :data:`ROUTES` (``docs/clv.md``, "Robust fits").
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .backend import _lifetimes
from .inputs import MODEL_NAMES
from .likelihood import bgnbd_nll_factory, gammagamma_nll_factory
from .pareto import _ParetoLikelihood

__all__ = ["FTOL", "GRAD_TOL", "LOG_BOUND", "PARETO_MAX_EVALUATIONS", "RESTART_SEED", "ROUTES",
           "SAME_POINT"]

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

#: The Pareto/NBD fit evaluates its likelihood (a value with its gradient counts once) at
#: most this many times, restarts and penalised refit included; when the limit is reached
#: the best point so far is used with route "budget" and a note.  A fit normally takes
#: 30 to 60 (``docs/clv.md``, "Pareto/NBD").
PARETO_MAX_EVALUATIONS = 1500
#: Newton steps (numerical Hessian of the exact gradient) that finish the Pareto/NBD fit.
NEWTON_STEPS = 4
#: The Pareto/NBD fit keeps the dropout shape s at most this.  When customers' dropout
#: rates are alike the likelihood keeps rising as s and beta grow together (its limit is
#: one common rate) and scipy's hyp2f1 slows down as s grows; at s = 50 the rates' spread
#: is 14 % of their mean.  A fit that ends there takes route "budget", with a note.
PARETO_MAX_S = 50.0

ROUTES = ("lifetimes", "lifetimes+check", "restart:L-BFGS-B", "restart:Nelder-Mead", "penalizer",
          "gradient", "budget")


class _NoOptimum(Exception):
    """Neither lifetimes nor the restarts found an optimum, even with the retry penalizer."""


class _Budget(Exception):
    """The Pareto/NBD fit reached :data:`PARETO_MAX_EVALUATIONS` (``args[0]`` "evaluations")
    or still rose at :data:`PARETO_MAX_S` ("shape")."""


def _failures() -> tuple[type[BaseException], ...]:
    """The exceptions with which a lifetimes fit gives up."""
    return (_lifetimes().utils.ConvergenceError, np.linalg.LinAlgError, FloatingPointError)


class _Recorder:
    """Wraps a negative log-likelihood and remembers the lowest finite point it was evaluated at.

    lifetimes differentiates it with autograd, so arguments and results may be
    autograd boxes; their values are unboxed for the record.
    """

    def __init__(self, fn):
        # autograd comes with lifetimes; imported on first fit, like lifetimes (slow to import)
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
            self.nll = gammagamma_nll_factory()  # lifetimes' sum, terms once per frequency
        elif kind == "paretonbd":
            self.cls = lt.ParetoNBDFitter
            self.lik = _ParetoLikelihood()  # same sum as lifetimes', distinct pairs, with gradient
            self.nll = self.lik.value
            self.log_space = False
            self.pen_scale = len(self.w) / n_customers
            self.norm = 1.0 / len(self.w)
            self.x0 = np.zeros(4)  # the start fit uses: parameters (1, 1, 1, 1)
            self.kwargs = {"initial_params": np.ones(4),
                           "tol": (tol if tol is not None else 1e-9) * self.pen_scale,
                           "maxiter": maxiter or 20000}
        else:
            self.cls = {"bgnbd": lt.BetaGeoFitter, "mbgnbd": lt.ModifiedBetaGeoFitter}[kind]
            # BG/NBD: lifetimes' sum, each term once per distinct frequency, recency or T
            self.nll = (bgnbd_nll_factory() if kind == "bgnbd"
                        else self.cls._negative_log_likelihood)
        self.k = len(self.x0)
        #: log-parameters of the best point the last lifetimes fit evaluated (None: none finite)
        self.last: np.ndarray | None = None
        #: Pareto/NBD: evaluations so far, their limit, and the best point per penalizer
        self.evaluations, self.limit = 0, math.inf
        self.best: dict[float, tuple[float, np.ndarray]] = {}

    def _count(self, penalizer: float, theta: np.ndarray, value: float) -> None:
        """Count one evaluation (raise :class:`_Budget` beyond the limit) and keep the best point."""
        self.evaluations += 1
        if math.isfinite(value) and value < self.best.get(penalizer, (math.inf,))[0]:
            self.best[penalizer] = (value, np.array(theta, dtype=float))
        if self.evaluations >= self.limit:
            raise _Budget("evaluations")

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
            value = value if math.isfinite(value) else math.inf
            if self.kind == "paretonbd":
                self._count(penalizer, x, value)
            return value

        return fun

    def value_and_grad(self, penalizer: float):
        """Objective and its gradient for L-BFGS-B: autograd (as lifetimes) or central differences."""
        fun = self.objective(penalizer)
        if self.log_space:
            # autograd comes with lifetimes; imported on first fit (slow to import)
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

        if self.kind == "paretonbd":
            args, lik, norm = self.args(penalizer), self.lik, self.norm

            def pareto(theta: np.ndarray) -> tuple[float, np.ndarray]:
                x = np.asarray(theta, dtype=float)
                p = np.exp(x)
                v, g = lik.value_and_grad(p, *args)
                v, g = float(v) * norm, np.asarray(g, dtype=float) * p * norm  # d/d log p
                if not (math.isfinite(v) and np.all(np.isfinite(g))):
                    v, g = math.inf, np.zeros(len(x))
                self._count(penalizer, x, v)
                return v, g

            return pareto

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
            # autograd comes with lifetimes; imported on first fit (slow to import)
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


def _num_hess(fun, theta: np.ndarray, h: float = 1e-4, grad=None) -> np.ndarray:
    """Central-difference Hessian of ``fun`` at ``theta`` (symmetrised): differences of
    ``grad`` (a gradient function: ``2 k`` evaluations) when given, else of :func:`_num_grad`."""
    if grad is None:
        def grad(t: np.ndarray) -> np.ndarray:
            return _num_grad(fun, t, h)
    k = len(theta)
    hess = np.empty((k, k))
    for j in range(k):
        e = np.zeros(k)
        e[j] = h
        hess[:, j] = (grad(theta + e) - grad(theta - e)) / (2 * h)
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
    # imported only when lifetimes gave up: scipy.optimize takes a second or two to import
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
    evaluations: int = 0  # Pareto/NBD: evaluations of the likelihood
    limit: str = ""  # route "budget": which limit ("evaluations" or "shape")


def _pareto_start(problem: _Problem) -> np.ndarray:
    """Log-parameters to start the Pareto/NBD fit from, after a BG/NBD fit on the same patterns.

    The two models share the gamma-distributed purchase rates (r, alpha); the BG/NBD
    mean dropout per purchase ``a / (a + b)`` times the mean rate ``r / alpha`` gives a
    mean dropout rate ``s / beta``, taken with ``s = 1``.  lifetimes' start (1, 1, 1, 1)
    when the BG/NBD fit gives nothing finite.
    """
    # autograd comes with lifetimes, scipy.optimize is slow to import: both on first fit
    from autograd import value_and_grad
    from scipy.optimize import minimize

    f, r, t, w, _ = problem.args(0.0)
    nll = bgnbd_nll_factory()
    vg = value_and_grad(lambda th: nll(th, f, r, t, w, 0.0))

    def fun(theta: np.ndarray) -> tuple[float, np.ndarray]:
        v, g = vg(np.asarray(theta, dtype=float))
        v, g = float(v), np.asarray(g, dtype=float)
        return (v, g) if math.isfinite(v) and np.all(np.isfinite(g)) else (math.inf, np.zeros(4))

    with np.errstate(all="ignore"):
        res = minimize(fun, np.full(4, 0.1), jac=True, method="L-BFGS-B",
                       bounds=[(-LOG_BOUND, LOG_BOUND)] * 4, options={"maxiter": 200})
        rr, alpha, a, b = np.exp(res.x)
        start = np.log([rr, alpha, 1.0, alpha * (a + b) / (rr * a)])
    return start if np.all(np.isfinite(start)) and np.max(np.abs(start)) < LOG_BOUND - 1 else problem.x0


def _gradient_fit(problem: _Problem, penalizer: float, x0: np.ndarray) -> tuple[np.ndarray, float, bool]:
    """L-BFGS-B on the log-parameters with the exact gradient, then Newton steps.

    Returns the end point, its largest gradient component per customer and whether it
    is an optimum: gradient at most ``GRAD_TOL / sqrt(customers)``, positive definite
    Hessian, inside the search box.
    """
    # imported on first fit: scipy.optimize takes a second or two to import
    from scipy.optimize import minimize

    vg = problem.value_and_grad(penalizer)
    tol = GRAD_TOL / math.sqrt(problem.n)
    bounds = [(-LOG_BOUND, LOG_BOUND)] * problem.k
    bounds[2] = (-LOG_BOUND, math.log(PARETO_MAX_S))
    x0 = np.minimum(x0, [b[1] for b in bounds])
    with np.errstate(all="ignore"):
        res = minimize(vg, x0, jac=True, method="L-BFGS-B", bounds=bounds,
                       options={"maxiter": 500, "ftol": 1e-15, "gtol": 1e-3 * tol, "maxcor": 20})
        theta = np.asarray(res.x, dtype=float)
        v, g = vg(theta)
        if theta[2] >= math.log(PARETO_MAX_S) - 1e-9 and g[2] < 0:
            raise _Budget("shape")  # the likelihood still rises beyond the largest s: no optimum inside
        hess = None
        for _ in range(NEWTON_STEPS):
            if np.max(np.abs(g)) <= 1e-3 * tol or not math.isfinite(v):
                break
            hess = _num_hess(None, theta, grad=lambda t: vg(t)[1])
            try:
                step = np.linalg.solve(hess, g)
            except np.linalg.LinAlgError:
                break
            cand = theta - step
            vc, gc = vg(cand)
            if not (vc <= v + 1e-13 * abs(v) and np.max(np.abs(gc)) < np.max(np.abs(g))):
                break
            theta, v, g, hess = cand, vc, gc, None
        grad = float(np.max(np.abs(g)))
        if not (math.isfinite(v) and grad <= tol and np.max(np.abs(theta)) < LOG_BOUND - 1):
            return theta, grad, False
        if hess is None:
            hess = _num_hess(None, theta, grad=lambda t: vg(t)[1])
        return theta, grad, bool(np.all(np.linalg.eigvalsh(hess) > 0))


def _fit_pareto(problem: _Problem, penalizer: float, retry_penalizer: float) -> _Outcome:
    """The Pareto/NBD fit: :func:`_gradient_fit` from :func:`_pareto_start`, within a budget.

    lifetimes runs Nelder-Mead on the parameters: hundreds of evaluations of the
    likelihood, and on heavy buyers it never stops (the likelihood overflows to a
    spurious ``-inf``).  Here the same likelihood, finite everywhere, is minimised with
    its gradient from the BG/NBD start (route "gradient"); when that end point is no
    optimum, the restarts of :func:`_search`; then the retry penalizer.  At most
    :data:`PARETO_MAX_EVALUATIONS` evaluations in all: when they are spent, the best
    point so far is used with route "budget".
    """
    problem.evaluations, problem.limit, problem.best = 0, PARETO_MAX_EVALUATIONS, {}
    tol = GRAD_TOL / math.sqrt(problem.n)
    pen = penalizer
    try:
        x0 = _pareto_start(problem)
        for pen, penalised in ((penalizer, False), (retry_penalizer, True)):
            theta, grad, ok = _gradient_fit(problem, pen, x0)
            route = "penalizer" if penalised else "gradient"
            if not ok:
                found = _search(problem, pen, None)
                if found is None:
                    continue
                end, grad = found
                theta, route = end.theta, "penalizer" if penalised else end.route
            problem.limit = math.inf
            return _Outcome(problem.build(theta, pen), route, pen, "no optimum" if penalised else "",
                            grad, tol, problem.evaluations)
    except _Budget as stop:
        spent = problem.evaluations
        problem.limit = math.inf
        if pen not in problem.best:
            raise _NoOptimum("budget") from None
        theta = problem.best[pen][1]
        grad = float(np.max(np.abs(problem.value_and_grad(pen)(theta)[1])))
        return _Outcome(problem.build(theta, pen), "budget", pen, "", grad, tol, spent, stop.args[0])
    raise _NoOptimum("no optimum")


def _fit_robust(problem: _Problem, penalizer: float, retry_penalizer: float) -> _Outcome:
    """lifetimes' fit; when it gives up, the checked or restarted optimum; a penalizer last.

    Routes (:data:`ROUTES`): "lifetimes" (lifetimes converged), "lifetimes+check"
    (lifetimes gave up at a point that is the optimum), "restart:L-BFGS-B" /
    "restart:Nelder-Mead" (a restart found it), "penalizer" (no optimum without
    the penalty: lifetimes, or the same check and restarts, with ``retry_penalizer``).
    Raises :class:`_NoOptimum` when even that fails.  Pareto/NBD: :func:`_fit_pareto`.
    """
    if problem.kind == "paretonbd":
        return _fit_pareto(problem, penalizer, retry_penalizer)
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
