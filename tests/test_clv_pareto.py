"""The Pareto/NBD fit: lifetimes' likelihood, finite where lifetimes' overflows, its gradient,
and a fit that reaches lifetimes' optimum or stops within its limits with a note."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

from workbench import clv, rfm
from workbench.clv import robust
from workbench.clv.pareto import _log_euler_series, _log_hyp2f1, _ParetoLikelihood
from workbench.datasets import CDNOW_CALIBRATION_END, load_cdnow

LT = clv._lifetimes()
PARAMS = ("r", "alpha", "s", "beta")


@pytest.fixture(scope="module")
def cdnow_cal() -> pd.DataFrame:
    return rfm.summary(load_cdnow(), "customer_id", "date", "amount", CDNOW_CALIBRATION_END,
                       "D", 7).to_pandas()


@pytest.fixture(scope="module")
def heavy() -> pd.DataFrame:
    """3,000 simulated Pareto/NBD customers, up to ~250 purchases each (heavy buyers)."""
    from lifetimes.generate_data import pareto_nbd_model

    np.random.seed(5)
    T = np.random.uniform(20, 250, 3000)
    df = pareto_nbd_model(T, 1.5, 0.5, 1.2, 60.0, size=3000)[["frequency", "recency", "T"]]
    df.index = pd.Index([f"c{i}" for i in range(len(df))], name="customer_id")
    return df


def _lifetimes_fit(s: pd.DataFrame):
    """lifetimes' own Pareto/NBD fit, customer by customer (Nelder-Mead from (1, 1, 1, 1))."""
    with clv._quiet(), warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return LT.ParetoNBDFitter().fit(s["frequency"], s["recency"], s["T"],
                                        initial_params=np.ones(4), tol=1e-9, maxiter=20000)


def _customer_nll(s: pd.DataFrame, params: dict) -> float:
    """lifetimes' own negative log-likelihood of every customer at ``params`` (unscaled)."""
    scale = 1.0 / s["T"].max()
    p = np.array([params["r"], params["alpha"] * scale, params["s"], params["beta"] * scale])
    args = (s["frequency"].to_numpy().astype(int), s["recency"].to_numpy() * scale,
            s["T"].to_numpy() * scale, np.ones(len(s)), 0.0)
    return float(LT.ParetoNBDFitter._negative_log_likelihood(p, *args))


def _patterns(s: pd.DataFrame):
    (f, r, t), w, _ = clv._collapse(*(s[c].to_numpy() for c in ("frequency", "recency", "T")))
    return f.astype(int), r / t.max(), t / t.max(), w


@pytest.mark.parametrize("params", [[0.55, 0.27, 0.6, 0.3], [0.5, 0.5, 0.3, 0.1], [1.0, 1.0, 1.0, 1.0],
                                    [0.2, 2.0, 2.0, 0.02], [0.7, 0.03, 7.0, 4.0]])
def test_value_is_lifetimes_and_gradient_is_its_derivative(cdnow_cal, params):
    args = (*_patterns(cdnow_cal), 0.01)
    p = np.array(params)
    lik = _ParetoLikelihood()
    expected = LT.ParetoNBDFitter._negative_log_likelihood(p, *args)
    assert lik.value(p, *args) == pytest.approx(expected, rel=1e-13)
    v, g = lik.value_and_grad(p, *args)
    assert v == lik.value(p, *args)
    h = 1e-5
    num = [(lik.value(p * np.exp(h * e), *args) - lik.value(p * np.exp(-h * e), *args)) / (2 * h)
           for e in np.eye(4)]
    np.testing.assert_allclose(g * p, num, rtol=1e-6, atol=1e-7 * abs(v))


def test_likelihood_is_finite_where_lifetimes_overflows(heavy):
    """At a point an optimiser visits on heavy buyers scipy's hyp2f1 overflows: lifetimes' sum is
    not finite (on the generated data Nelder-Mead took -inf for the best value and never
    stopped); ours is."""
    args = (*_patterns(heavy), 0.0)
    p = np.array([0.7, 0.01, 7.0, 20.0])
    with np.errstate(all="ignore"):
        assert not math.isfinite(LT.ParetoNBDFitter._negative_log_likelihood(p, *args))
    v, g = _ParetoLikelihood().value_and_grad(p, *args)
    assert math.isfinite(v) and np.all(np.isfinite(g))


def test_euler_series_equals_scipy_where_scipy_is_finite():
    from scipy.special import hyp2f1

    rng = np.random.default_rng(0)
    a = rng.uniform(0.5, 300, 400)
    b = np.where(rng.random(400) < 0.5, rng.uniform(0.2, 1.0, 400) + a * rng.random(400), 1.5)
    z = rng.uniform(0.0, 0.97, 400)
    direct = np.log(hyp2f1(a, b, a + 1, z))
    keep = np.isfinite(direct)
    euler = (1 - b) * np.log1p(-z) + _log_euler_series(a + 1 - b, a + 1, z)
    np.testing.assert_allclose(euler[keep], direct[keep], rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(_log_hyp2f1(a, b, z)[keep], direct[keep])
    assert np.all(np.isfinite(_log_hyp2f1(a, b, z)))


def test_fit_is_lifetimes_fit_on_cdnow(cdnow_cal):
    """The gradient fit reaches lifetimes' Nelder-Mead optimum: parameters to 1e-6, likelihood equal."""
    ours = clv.fit(cdnow_cal, "paretonbd", period="D", freq_multiplier=7, spend=False)
    assert ours.route == "gradient" and ours.notes == []
    theirs = _lifetimes_fit(cdnow_cal)
    for k in PARAMS:
        assert ours.params[k] == pytest.approx(float(theirs.params_[k]), rel=1e-6), k
    mine, best = _customer_nll(cdnow_cal, ours.params), float(theirs._negative_log_likelihood_)
    assert mine == pytest.approx(best, rel=1e-12) and mine <= best + 1e-9


def test_fit_on_heavy_buyers_is_lifetimes_fit_at_a_genuine_optimum(heavy):
    ours = clv.fit(heavy, "paretonbd", spend=False)
    assert ours.route == "gradient"
    theirs = _lifetimes_fit(heavy)
    for k in PARAMS:
        assert ours.params[k] == pytest.approx(float(theirs.params_[k]), rel=1e-6), k
    assert _customer_nll(heavy, ours.params) <= float(theirs._negative_log_likelihood_) + 1e-9
    # the gradient per customer in the log-parameters, at the fitted (scaled) parameters
    f, r, t, w = _patterns(heavy)
    scale = 1.0 / heavy["T"].max()
    p = np.array([ours.params["r"], ours.params["alpha"] * scale, ours.params["s"],
                  ours.params["beta"] * scale])
    _, g = _ParetoLikelihood().value_and_grad(p, f, r, t, w, 0.0)
    assert np.max(np.abs(g * p)) * len(w) / len(heavy) < clv.GRAD_TOL / math.sqrt(len(heavy))


def test_fit_stops_at_its_evaluation_limit_with_a_note(cdnow_cal, monkeypatch):
    monkeypatch.setattr(robust, "PARETO_MAX_EVALUATIONS", 6)
    res = clv.fit(cdnow_cal, "paretonbd", period="D", freq_multiplier=7, spend=False)
    assert res.route == "budget" and res.to_dict()["route"] == "budget"
    assert res.notes[0].startswith("The Pareto/NBD fit stopped after 6 evaluations of the likelihood")
    assert res.notes_in("zh")[0].startswith("Pareto/NBD 模型的拟合在计算 6 次似然函数")
    assert all(np.isfinite(list(res.params.values())))


def test_fit_stops_at_the_largest_shape_with_a_note(cdnow_cal, monkeypatch):
    """The likelihood still rising at the largest s (as when every customer's dropout rate is the
    same): the fit ends there, route "budget", with a note that says why."""
    monkeypatch.setattr(robust, "PARETO_MAX_S", 0.3)  # CDNOW's optimum is s = 0.606
    res = clv.fit(cdnow_cal, "paretonbd", period="D", freq_multiplier=7, spend=False)
    assert res.route == "budget"
    assert res.params["s"] == pytest.approx(0.3)
    assert "keeps rising as its dropout parameters s and beta grow together" in res.notes[0]
    assert "The fit stopped at s = 0.3 " in res.notes[0]
