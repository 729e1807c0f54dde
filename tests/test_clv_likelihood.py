"""The BG/NBD and Gamma-Gamma likelihoods computed once per distinct value, the vectorised
purchase-count probabilities and the seeded fitting sample, against lifetimes' own."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest
from autograd import value_and_grad

from workbench import clv, rfm
from workbench.clv.inputs import sample_customers
from workbench.clv.likelihood import bgnbd_nll_factory, gammagamma_nll_factory
from workbench.clv.tracking import bgnbd_count_probabilities
from workbench.datasets import CDNOW_CALIBRATION_END, load_cdnow

LT = clv._lifetimes()


@pytest.fixture(scope="module")
def cdnow_cal() -> pl.DataFrame:
    return rfm.summary(load_cdnow(), "customer_id", "date", "amount", CDNOW_CALIBRATION_END,
                       "D", 7)


def _patterns(cdnow_cal):
    (f, r, t), w, _ = clv._collapse(*(cdnow_cal.get_column(c).to_numpy()
                                      for c in ("frequency", "recency", "T")))
    return f.astype(int), r / t.max(), t / t.max(), w


@pytest.mark.parametrize("log_params", [[0.1, 0.1, 0.1, 0.1], [-0.6, 1.4, -0.3, 0.9],
                                        [0.5, -2.0, 1.5, 2.5]])
def test_bgnbd_likelihood_is_lifetimes_to_the_last_bit(cdnow_cal, log_params):
    args = (*_patterns(cdnow_cal), 0.01)
    theta = np.array(log_params)
    v0, g0 = value_and_grad(LT.BetaGeoFitter._negative_log_likelihood)(theta, *args)
    v1, g1 = value_and_grad(bgnbd_nll_factory())(theta, *args)
    assert v1 == v0
    np.testing.assert_allclose(g1, g0, rtol=1e-10)


@pytest.mark.parametrize("log_params", [[0.1, 0.1, 0.1], [1.8, 1.3, 2.4], [-0.5, 3.0, 5.0]])
def test_gamma_gamma_likelihood_is_lifetimes_to_the_last_bit(cdnow_cal, log_params):
    rep = cdnow_cal.filter((pl.col("frequency") > 0) & (pl.col("monetary_value") > 0))
    (x, m), w, _ = clv._collapse(rep.get_column("frequency").to_numpy(),
                                 rep.get_column("monetary_value").to_numpy())
    theta = np.array(log_params)
    v0, g0 = value_and_grad(LT.GammaGammaFitter._negative_log_likelihood)(theta, x, m, w, 0.0)
    v1, g1 = value_and_grad(gammagamma_nll_factory())(theta, x, m, w, 0.0)
    assert v1 == v0
    np.testing.assert_allclose(g1, g0, rtol=1e-10)


def test_likelihood_recomputes_for_new_data(cdnow_cal):
    f, r, t, w = _patterns(cdnow_cal)
    nll = bgnbd_nll_factory()
    theta = np.zeros(4)
    first = nll(theta, f, r, t, w, 0.0)
    half = slice(0, len(w) // 2)
    args = (f[half].copy(), r[half].copy(), t[half].copy(), w[half].copy(), 0.0)
    assert nll(theta, *args) == LT.BetaGeoFitter._negative_log_likelihood(theta, *args)
    assert nll(theta, f, r, t, w, 0.0) == first


def test_fit_still_reproduces_the_published_cdnow_parameters(cdnow_cal):
    # Fader, Hardie & Lee (2005): r = 0.243, alpha = 4.414, a = 0.793, b = 2.426
    p = clv.fit(cdnow_cal, "bgnbd", period="D", freq_multiplier=7).params
    assert p["r"] == pytest.approx(0.243, abs=5e-4) and p["alpha"] == pytest.approx(4.414, abs=5e-3)
    assert p["a"] == pytest.approx(0.793, abs=5e-3) and p["b"] == pytest.approx(2.426, abs=5e-3)


def test_count_probabilities_equal_lifetimes_one_age_at_a_time():
    m = LT.BetaGeoFitter()
    m.params_ = pd.Series({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
    ages = np.array([0.3, 1.0, 12.5, 39.0, 78.0])
    got = bgnbd_count_probabilities(m.params_.to_dict(), ages, 7)
    want = np.array([[m.probability_of_n_purchases_up_to_time(float(t), n) for n in range(7)]
                     for t in ages])
    np.testing.assert_array_equal(got, want)
    assert np.all(got.sum(axis=1) < 1) and got[0, 0] > 0.9


def test_sample_customers_is_seeded_and_independent_of_row_order():
    s = pl.DataFrame({"customer_id": [f"C{i:04d}" for i in range(1000)],
                      "frequency": np.arange(1000)})
    a = sample_customers(s, 100, seed=3)
    b = sample_customers(s.reverse(), 100, seed=3)
    assert a.height == 100 and a.equals(b)
    assert a.get_column("customer_id").is_sorted() and a.get_column("customer_id").n_unique() == 100
    assert not a.equals(sample_customers(s, 100, seed=4))
    assert sample_customers(s, 1000) is s and sample_customers(s, None) is s
    p = sample_customers(s.to_pandas().set_index("customer_id"), 100, seed=3)
    assert list(p.index) == a.get_column("customer_id").to_list()


def test_validation_fits_on_a_sample_and_predicts_everyone(cdnow_cal):
    hold = rfm.calibration_holdout(load_cdnow(), "customer_id", "date", CDNOW_CALIBRATION_END,
                                   pd.Timestamp("1998-06-30").date(), "D", 7)
    full = clv.validate(hold, ("bgnbd",), period="D", freq_multiplier=7)
    part = clv.validate(hold, ("bgnbd",), period="D", freq_multiplier=7, sample=1500, seed=0)
    assert part.fits["bgnbd"].n_customers == 1500 and full.fits["bgnbd"].n_customers == 2357
    assert len(part.per_customer) == len(full.per_customer) == 2357
    # half the customers give a holdout total within 5% of the full fit's
    tot = part.comparison.loc["bgnbd", "predicted_total"] / full.comparison.loc["bgnbd",
                                                                                 "predicted_total"]
    assert tot == pytest.approx(1.0, abs=0.05) and tot != 1.0
