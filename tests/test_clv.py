"""Tests of workbench.clv: published CDNOW parameters, collapsed fits, time units, validation, bad input."""

from __future__ import annotations

import contextlib
import io
import math
import warnings
from datetime import date

import matplotlib
import numpy as np
import pandas as pd
import polars as pl
import pytest

from workbench import clv, rfm, transactions
from workbench.datasets import CDNOW_CALIBRATION_END, CDNOW_OBSERVATION_END, load_cdnow
from workbench.errors import DataError, ModelError, UsageError
from workbench.transactions import TransactionSettings

LT = clv._lifetimes()


# --------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def cdnow() -> pl.DataFrame:
    return load_cdnow()


@pytest.fixture(scope="module")
def cdnow_cal(cdnow) -> pl.DataFrame:
    """CDNOW calibration summary: 39 weeks to 1997-09-30, daily periods counted in weeks."""
    return rfm.summary(cdnow, "customer_id", "date", "amount", CDNOW_CALIBRATION_END, "D", 7)


@pytest.fixture(scope="module")
def bg_fit(cdnow_cal) -> clv.CLVFit:
    return clv.fit(cdnow_cal, "bgnbd", period="D", freq_multiplier=7)


@pytest.fixture(scope="module")
def pareto_fit(cdnow_cal) -> clv.CLVFit:
    return clv.fit(cdnow_cal, "paretonbd", period="D", freq_multiplier=7, spend=False)


@pytest.fixture(scope="module")
def cdnow_cal_hold(cdnow) -> pl.DataFrame:
    return rfm.calibration_holdout(cdnow, "customer_id", "date", CDNOW_CALIBRATION_END,
                                   CDNOW_OBSERVATION_END, "D", 7)


@pytest.fixture(scope="module")
def validation(cdnow_cal_hold) -> clv.Validation:
    return clv.validate(cdnow_cal_hold, ("bgnbd", "paretonbd"), period="D", freq_multiplier=7)


def _quiet_fit(model, *args, **kwargs):
    with contextlib.redirect_stdout(io.StringIO()), np.errstate(all="ignore"):
        return model.fit(*args, **kwargs)


# --------------------------------------------------------------------------- published parameters

def test_cdnow_bgnbd_reproduces_published_parameters(bg_fit):
    """Fader, Hardie & Lee (2005), CDNOW 2,357 customers, 39-week calibration: r .243 alpha 4.414 a .793 b 2.426."""
    p = bg_fit.params
    assert (round(p["r"], 3), round(p["alpha"], 3), round(p["a"], 3), round(p["b"], 3)) == \
        (0.243, 4.414, 0.793, 2.426)
    assert bg_fit.n_customers == 2357 and bg_fit.n_repeat == 946
    assert bg_fit.time_unit == "1 period = 7 days"


def test_cdnow_paretonbd_within_half_percent_of_published(pareto_fit):
    """Fader, Hardie & Lee (2005, note 008): r 0.553, alpha 10.58, s 0.606, beta 11.66."""
    published = {"r": 0.553, "alpha": 10.58, "s": 0.606, "beta": 11.66}
    for k, v in published.items():
        assert abs(pareto_fit.params[k] / v - 1) < 0.005, (k, pareto_fit.params[k])


def test_cdnow_gamma_gamma_reproduces_published_parameters(bg_fit, cdnow):
    """Fader & Hardie (2013, note 025): p 6.25, q 3.74, gamma (v) 15.44.

    Which data: the 946 customers with a repeat purchase in the 39-week
    calibration period (to 1997-09-30), with monetary_value = mean of their
    *calibration* repeat purchases (purchases on one day summed, daily periods).
    lifetimes ships that table as cdnow_customers_summary_with_transactions.csv
    (column zbar, rounded to cents); fitting the rounded file gives v = 15.4477,
    which rounds to 15.45, so the published 15.44 comes from the unrounded
    means computed here.  Spend over the full sample (to 1998-06-30) gives
    p 4.68, q 4.19, v 24.39: not the published model.
    """
    sp = bg_fit.spend_params
    assert (round(sp["p"], 2), round(sp["q"], 2), round(sp["v"], 2)) == (6.25, 3.74, 15.44)
    assert bg_fit.n_spend_customers == 946
    full = rfm.summary(cdnow, "customer_id", "date", "amount", CDNOW_OBSERVATION_END, "D", 7)
    other = clv.fit(full, "bgnbd", period="D", freq_multiplier=7).spend_params
    assert round(other["v"], 2) == 24.39


# --------------------------------------------------------------------------- collapsing

def test_collapsed_fits_equal_customer_level_fits(cdnow_cal, bg_fit, pareto_fit):
    """Weights from identical rows give lifetimes' customer-level parameters (1e-6 relative)."""
    s = cdnow_cal.to_pandas()
    assert bg_fit.n_patterns < len(s) / 2
    bg = _quiet_fit(LT.BetaGeoFitter(), s["frequency"], s["recency"], s["T"])
    for k, v in bg.params_.items():
        assert bg_fit.params[k] == pytest.approx(v, rel=1e-6)
    rep = s[s["frequency"] > 0]
    gg = _quiet_fit(LT.GammaGammaFitter(), rep["frequency"], rep["monetary_value"])
    for k, v in gg.params_.items():
        assert bg_fit.spend_params[k] == pytest.approx(v, rel=1e-6)
    pn = _quiet_fit(LT.ParetoNBDFitter(), s["frequency"], s["recency"], s["T"],
                    initial_params=np.ones(4), tol=1e-9, maxiter=20000)
    for k, v in pn.params_.items():
        assert pareto_fit.params[k] == pytest.approx(v, rel=1e-6)


def test_fast_pareto_likelihood_equals_lifetimes(cdnow_cal):
    s = cdnow_cal.to_pandas()
    (f, r, t), w, _ = clv._collapse(s["frequency"].to_numpy(), s["recency"].to_numpy(),
                                    s["T"].to_numpy())
    args = (f.astype(int), r / t.max(), t / t.max(), w, 0.01)
    fast = clv._pareto_nll_factory()
    for params in ([0.55, 0.27, 0.6, 0.3], [0.5, 0.5, 0.3, 0.1], [1.0, 1.0, 1.0, 1.0], [0.2, 2.0, 2.0, 0.02]):
        with np.errstate(all="ignore"):
            expected = LT.ParetoNBDFitter._negative_log_likelihood(np.array(params), *args)
            assert fast(np.array(params), *args) == pytest.approx(expected, rel=1e-12)
    assert fast(np.array([0.5, -1.0, 0.3, 0.1]), *args) == math.inf


def test_collapse_counts_and_inverse():
    (a, b), counts, inv = clv._collapse(np.array([2.0, 1.0, 2.0, 1.0, 2.0]), np.array([5.0, 3.0, 5.0, 4.0, 5.0]))
    assert a.tolist() == [1.0, 1.0, 2.0] and b.tolist() == [3.0, 4.0, 5.0]
    assert counts.tolist() == [1, 1, 3] and inv.tolist() == [2, 0, 2, 1, 2]


# --------------------------------------------------------------------------- prediction and time units

def test_predict_time_units_and_discounting(bg_fit, cdnow_cal):
    pred = clv.predict(bg_fit, cdnow_cal, horizon_months=12, discount_rate_monthly=0.01)
    assert isinstance(pred, pl.DataFrame)
    assert pred.columns == ["customer_id", "frequency", "recency", "T", "monetary_value",
                            "expected_purchases", "p_alive", "expected_avg_spend", "clv"]
    row = pred.filter(pl.col("customer_id") == "0001").row(0, named=True)
    pm, sm = bg_fit.purchase_model, bg_fit.spend_model
    f, r, T, m = row["frequency"], row["recency"], row["T"], row["monetary_value"]
    month = 365.25 / 12 / 7  # one month in weeks
    assert row["expected_purchases"] == pytest.approx(pm.predict(12 * month, f, r, T), rel=1e-12)
    assert row["p_alive"] == pytest.approx(pm.conditional_probability_alive(f, r, T), rel=1e-12)
    spend = sm.conditional_expected_average_profit(f, m)
    assert row["expected_avg_spend"] == pytest.approx(spend, rel=1e-12)
    manual = sum(spend * (pm.predict(k * month, f, r, T) - pm.predict((k - 1) * month, f, r, T))
                 / 1.01 ** k for k in range(1, 13))
    assert row["clv"] == pytest.approx(manual, rel=1e-10)
    undiscounted = clv.predict(bg_fit, cdnow_cal, 12, 0.0).filter(pl.col("customer_id") == "0001")
    assert undiscounted["clv"][0] == pytest.approx(spend * row["expected_purchases"], rel=1e-10)
    assert row["clv"] < undiscounted["clv"][0]


def test_predict_pandas_in_pandas_out(bg_fit, cdnow_cal):
    pd_summary = cdnow_cal.to_pandas().set_index("customer_id")
    out = clv.predict(bg_fit, pd_summary, 6, 0.02)
    assert isinstance(out, pd.DataFrame) and out.index.name == "customer_id"
    ref = clv.predict(bg_fit, cdnow_cal, 6, 0.02)
    assert out.loc["0002", "clv"] == pytest.approx(ref.filter(pl.col("customer_id") == "0002")["clv"][0])
    assert out["clv"].notna().all() and len(out) == 2357


def test_predict_bad_horizon_and_rate(bg_fit, cdnow_cal):
    for h in (0, 601, 1.5, True):
        with pytest.raises(UsageError, match="horizon_months"):
            clv.predict(bg_fit, cdnow_cal, horizon_months=h)
    for d in (-0.01, 1.0, float("nan")):
        with pytest.raises(UsageError, match="discount_rate_monthly"):
            clv.predict(bg_fit, cdnow_cal, discount_rate_monthly=d)


# --------------------------------------------------------------------------- bad input

def _toy(n_repeat: int, n_once: int = 20, spend: float = 10.0) -> pd.DataFrame:
    rng = np.random.default_rng(5)
    f = np.r_[rng.integers(1, 6, n_repeat), np.zeros(n_once)].astype(float)
    T = rng.integers(20, 61, len(f)).astype(float)
    r = np.where(f > 0, np.floor(rng.uniform(0.2, 1.0, len(f)) * T), 0).astype(float)
    m = np.where(f > 0, np.round(rng.gamma(4.0, spend / 4.0, len(f)), 2), 0.0)
    return pd.DataFrame({"frequency": f, "recency": r, "T": T, "monetary_value": m},
                        index=pd.Index([f"c{i}" for i in range(len(f))], name="customer_id"))


def test_too_few_repeat_customers():
    with pytest.raises(ModelError, match="only 3 of 23 customers bought more than once"):
        clv.fit(_toy(3))


def test_all_zero_spend():
    with pytest.raises(ModelError, match="none of the 30 repeat customers has a positive monetary_value"):
        clv.fit(_toy(30, spend=0.0))


def test_bad_summaries_name_column_and_customer():
    s = _toy(30)
    with pytest.raises(UsageError, match="model 'gamma'"):
        clv.fit(s, "gamma")
    with pytest.raises(DataError, match=r"\['T'\] missing"):
        clv.fit(s.drop(columns="T"))
    bad = s.copy()
    bad.loc["c4", "frequency"] = np.nan
    with pytest.raises(DataError, match=r"summary.frequency: 1 customer\(s\) have no number \(e.g. c4\)"):
        clv.fit(bad)
    bad = s.copy()
    bad.loc["c7", "recency"] = 99.0
    with pytest.raises(DataError, match=r"recency is larger than T \(e.g. c7\)"):
        clv.fit(bad)
    with pytest.raises(UsageError, match="period 'Q'"):
        clv.fit(s, period="Q")
    with pytest.raises(UsageError, match="pandas or polars"):
        clv.fit(s.to_dict())


def test_convergence_retry_note_and_model_error():
    """Real lifetimes failures: every customer bought in its last period (recency = T)."""
    s = pd.DataFrame({"frequency": np.arange(1, 51, dtype=float), "recency": 20.0, "T": 20.0},
                     index=pd.Index([f"c{i}" for i in range(50)], name="customer_id"))
    res = clv.fit(s, "mbgnbd", spend=False)
    assert res.penalizer == 0.001
    assert res.notes and "refitted with penalizer 0.001" in res.notes[0]
    with pytest.raises(ModelError, match="did not converge on 50 customers"):
        clv.fit(s, "bgnbd", spend=False)


def test_spend_correlation_warning(cdnow_cal):
    s = cdnow_cal.to_pandas().set_index("customer_id")
    rep = s["frequency"] > 0
    s["monetary_value"] = np.where(rep, 10.0 + 3.0 * s["frequency"] + np.arange(len(s)) % 7, 0.0)
    res = clv.fit(s, period="D", freq_multiplier=7)
    assert res.spend_corr > 0.5 and not res.spend_assumption_ok
    assert any("correlated" in n and "spend more" in n for n in res.notes)
    assert clv.spend_correlation([1, 2, 3, 0], [1.0, 2.0, 3.0, 0.0]) == pytest.approx(1.0)
    assert math.isnan(clv.spend_correlation([1, 2, 3], [5.0, 5.0, 5.0]))
    assert abs(clv.fit(cdnow_cal, period="D", freq_multiplier=7).spend_corr) < 0.3


def test_negative_spend_customers_are_excluded_with_a_note(cdnow_cal):
    s = cdnow_cal.to_pandas().set_index("customer_id")
    s.loc[["0001", "0002"], "monetary_value"] = [0.0, -5.0]
    res = clv.fit(s, period="D", freq_multiplier=7)
    assert res.n_spend_customers == 944
    assert "2 repeat customer(s) have no positive average spend" in res.notes[0]
    out = clv.predict(res, s)
    p, q, v = (res.spend_params[k] for k in "pqv")
    f = s.loc["0002", "frequency"]
    w = p * f / (p * f + q - 1)
    assert out.loc["0002", "expected_avg_spend"] == pytest.approx((1 - w) * v * p / (q - 1))


# --------------------------------------------------------------------------- validation

def test_validation_table_and_errors(validation, cdnow_cal_hold):
    per = validation.per_customer
    ch = cdnow_cal_hold.to_pandas().set_index("customer_id")
    assert len(per) == 2357 and per["actual"].sum() == ch["frequency_holdout"].sum()
    assert validation.holdout_periods == pytest.approx(273 / 7)
    t = validation.by_frequency
    assert t.index.tolist() == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    assert t.loc["0", "customers"] == 1411 and t["customers"].sum() == 2357
    seven_up = per[per["frequency_cal"] >= 7]
    assert t.loc["7+", "actual"] == pytest.approx(seven_up["actual"].mean())
    # the baseline repeats the calibration rate
    c = ch.loc["0001"]
    assert per.loc["0001", "baseline"] == pytest.approx(c["frequency_cal"] / c["T_cal"] * c["duration_holdout"])
    # a customer first seen on the calibration's last day (T_cal = 0): no repeat seen, none
    # predicted by the baseline (not 0 / 0)
    last = cdnow_cal_hold.head(1).with_columns(customer_id=pl.lit("new"), frequency_cal=0.0,
                                               recency_cal=0.0, T_cal=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        late = clv.holdout_predictions(validation.fits, pl.concat([cdnow_cal_hold, last]))
    assert late.loc["new", "baseline"] == 0.0 and late["baseline"].notna().all()
    # BG/NBD prediction is lifetimes' conditional expectation over the holdout length
    pm = validation.fits["bgnbd"].purchase_model
    assert per.loc["0001", "bgnbd"] == pytest.approx(
        pm.predict(c["duration_holdout"], c["frequency_cal"], c["recency_cal"], c["T_cal"]))
    cmp_ = validation.comparison
    assert cmp_.loc["bgnbd", "mae_customer"] == pytest.approx((per["actual"] - per["bgnbd"]).abs().mean())
    assert cmp_.loc["baseline", "mae_bin"] == pytest.approx((t["actual"] - t["baseline"]).abs().mean())
    # CDNOW weeks 40-78: 1,882 repeat purchases; both models under-predict by ~12% (the
    # holiday-free holdout), and both beat the naive baseline, which over-predicts by 56%
    assert cmp_.loc["bgnbd", "actual_total"] == 1882.0
    assert round(cmp_.loc["bgnbd", "predicted_total"], 2) == 1653.41
    assert cmp_.loc["paretonbd", "predicted_total"] == pytest.approx(1665.51, abs=0.01)
    assert round(cmp_.loc["baseline", "predicted_total"], 2) == 2930.10
    assert round(t.loc["0", "bgnbd"], 3) == 0.225 and round(t.loc["0", "actual"], 3) == 0.237
    for m in ("bgnbd", "paretonbd"):
        assert cmp_.loc[m, "mae_customer"] < cmp_.loc["baseline", "mae_customer"]
    s = validation.summary("bgnbd")
    assert s["holdout_actual"] == per["actual"].sum() and s["baseline_mae"] == cmp_.loc["baseline", "mae_customer"]


def test_cumulative_tracking_matches_lifetimes(bg_fit, cdnow):
    tr = clv.cumulative_tracking(bg_fit, cdnow, CDNOW_CALIBRATION_END, CDNOW_OBSERVATION_END)
    # 77 whole weeks from 1997-01-01, plus the calibration end and the last day
    assert len(tr) == 79 and tr["date"].iloc[-1] == pd.Timestamp("1998-06-30")
    assert tr["date"].iloc[38] == pd.Timestamp("1997-09-30") and tr["holdout"].sum() == 40
    with contextlib.redirect_stdout(io.StringIO()):
        ref = LT.utils.expected_cumulative_transactions(
            bg_fit.purchase_model, cdnow.to_pandas(), "date", "customer_id", 546, freq="D", freq_multiplier=7)
    # lifetimes' week k ends before day 7k; the model values are at the same times
    weekly = tr[(tr["date"] - pd.Timestamp("1997-01-01")).dt.days % 7 == 0]
    assert np.allclose(weekly["predicted"].to_numpy(), ref["predicted"].to_numpy()[:77], rtol=1e-9)
    # actual: distinct purchase days after the first, up to and including each week's last day
    days = cdnow.select("customer_id", "date").unique()
    first = days.group_by("customer_id").agg(pl.col("date").min().alias("first"))
    repeat = days.join(first, on="customer_id").filter(pl.col("date") > pl.col("first"))
    assert tr["actual"].iloc[-1] == repeat.height
    assert tr["actual"].iloc[38] == repeat.filter(pl.col("date") <= date(1997, 9, 30)).height


def test_cumulative_tracking_is_the_same_per_partition_of_the_customers(bg_fit, cdnow, monkeypatch):
    """Many purchases are counted per hash partition of the customers (a customer's days are
    never split); a lazy input is read as it is."""
    from workbench import frames
    whole = clv.cumulative_tracking(bg_fit, cdnow, CDNOW_CALIBRATION_END, CDNOW_OBSERVATION_END)
    monkeypatch.setattr(frames, "ROWS_PER_PART", 1_000)
    assert cdnow.height > 6 * 1_000
    for data in (cdnow, cdnow.lazy()):
        parts = clv.cumulative_tracking(bg_fit, data, CDNOW_CALIBRATION_END, CDNOW_OBSERVATION_END)
        pd.testing.assert_frame_equal(parts, whole)


def test_alive_history_recomputes_rfm_each_day(bg_fit):
    h = clv.alive_history(bg_fit, ["1997-01-01", "1997-01-15", "1997-01-15", "1997-03-01"], "1997-04-01")
    assert len(h) == 91 and h["p_alive"].iloc[0] == 1.0
    day = h[h["date"] == pd.Timestamp("1997-02-01")].iloc[0]
    assert (day["frequency"], day["recency"], day["T"]) == (1.0, 2.0, 31 / 7)
    assert day["p_alive"] == pytest.approx(
        bg_fit.purchase_model.conditional_probability_alive(1, 2.0, 31 / 7))
    last = h.iloc[-1]
    assert (last["frequency"], last["recency"]) == (2.0, 59 / 7)
    with pytest.raises(UsageError, match="before the first purchase"):
        clv.alive_history(bg_fit, ["1997-05-01"], "1997-04-01")


def test_period_transactions_and_matrices(bg_fit, pareto_fit, cdnow_cal):
    pt = clv.period_transactions(bg_fit, cdnow_cal)
    assert pt["actual"].tolist()[:2] == [1411.0, 439.0]
    assert pt["model"].sum() == pytest.approx(2357)
    assert pt.loc["0", "model"] == pytest.approx(sum(
        bg_fit.purchase_model.probability_of_n_purchases_up_to_time(t, 0) for t in cdnow_cal["T"].to_list()))
    assert clv.period_transactions(pareto_fit, cdnow_cal)["model"].sum() == pytest.approx(2357)
    m = clv.expected_purchases_matrix(bg_fit, horizon_periods=4, max_frequency=10, n_recency=5)
    assert m.shape == (11, 5) and np.isnan(m.iloc[0, 1:]).all()
    assert m.iloc[3, 4] == pytest.approx(bg_fit.purchase_model.predict(4, 3, bg_fit.T_max, bg_fit.T_max))
    a = clv.probability_alive_matrix(bg_fit, T=30.0, max_frequency=5, n_recency=4)
    assert a.iloc[2, 0] == pytest.approx(bg_fit.purchase_model.conditional_probability_alive(2, 0.0, 30.0))


# --------------------------------------------------------------------------- business views

def test_net_of_returns_and_value_by_group():
    summary = pl.DataFrame({"customer_id": ["a", "b", "c"], "frequency": [1.0, 2.0, 0.0],
                            "recency": [3.0, 5.0, 0.0], "T": [10.0, 10.0, 4.0],
                            "monetary_value": [100.0, 40.0, 0.0]})
    orders = pl.DataFrame({"customer_id": ["a", "a", "a", "b", "b", "c"],
                           "amount": [100.0, 100.0, -50.0, 40.0, 40.0, 30.0]})
    net = clv.net_of_returns(summary, orders)
    assert net["return_rate"].to_list() == [0.25, 0.0, 0.0]
    assert net["monetary_value"].to_list() == [75.0, 40.0, 0.0]
    pd_net = clv.net_of_returns(summary.to_pandas().set_index("customer_id"), orders.to_pandas())
    assert pd_net.loc["a", "monetary_value"] == 75.0
    pred = pl.DataFrame({"customer_id": ["a", "b", "c"], "clv": [30.0, 10.0, 60.0],
                         "expected_purchases": [1.0, 2.0, 3.0], "p_alive": [0.5, 0.7, 0.9]})
    groups = pl.DataFrame({"customer_id": ["a", "b", "c"], "tier": ["A", "A", "B"]})
    by = clv.value_by_group(pred, groups, "tier")
    assert by.index.tolist() == ["B", "A"]
    assert by.loc["A", "total_clv"] == 40.0 and by.loc["A", "customers"] == 2
    assert by.loc["B", "share_clv"] == 0.6 and by.loc["A", "mean_p_alive"] == pytest.approx(0.6)
    with pytest.raises(DataError, match=r"1 customer\(s\) with a CLV have no 'tier' \(e.g. c\)"):
        clv.value_by_group(pred, groups.head(2), "tier")


# --------------------------------------------------------------------------- charts

def test_charts_draw_the_tables_with_labels(bg_fit, validation, cdnow_cal):
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from workbench import plots
    from workbench.plots import clv as pc

    plots.setup("zh")
    ax = pc.calibration_holdout(validation.by_frequency, "zh")
    assert [ln.get_label() for ln in ax.get_lines()] == ["实际", "BG/NBD模型", "Pareto/NBD模型",
                                                         "朴素基准(沿用校准期频率)"]
    assert ax.get_title() == "验证期购买:实际与预测"
    ax = pc.period_transactions(clv.period_transactions(bg_fit, cdnow_cal), "en")
    assert len(ax.patches) == 16 and ax.get_xlabel() == "Repeat purchases (frequency)"
    ax = pc.probability_alive_matrix(clv.probability_alive_matrix(bg_fit, n_recency=10), "en")
    assert ax.images[0].get_array().shape == (bg_fit.frequency_q99 + 1, 10)
    plt.close("all")


# --------------------------------------------------------------------------- notebook helpers

def test_settings_from_configuration_section():
    s = clv.CLVSettings.from_mapping({"period": "W", "freq_multiplier": 1, "compare": ["bgnbd"]})
    assert (s.period, s.freq_multiplier, s.compare, s.net_of_returns) == ("W", 1, ("bgnbd",), True)
    assert clv.CLVSettings.from_mapping(None) == clv.CLVSettings()
    with pytest.raises(UsageError, match=r"unknown key\(s\) \['horizon'\]"):
        clv.CLVSettings.from_mapping({"horizon": 12})
    with pytest.raises(UsageError, match="model 'arima'"):
        clv.CLVSettings.from_mapping({"compare": ["arima"]})
    with pytest.raises(UsageError, match="freq_multiplier"):
        clv.CLVSettings.from_mapping({"freq_multiplier": 0})


def test_summary_from_orders_purchases_returns_and_outliers():
    d = date
    orders = pl.DataFrame({
        "customer_id": ["a", "a", "a", "a", "b", "b", "c"],
        "order_date": [d(2024, 1, 1), d(2024, 1, 8), d(2024, 1, 15), d(2024, 1, 20),
                       d(2024, 1, 3), d(2024, 1, 10), d(2024, 2, 1)],
        "amount": [100.0, 300.0, -150.0, 10_000.0, 50.0, 70.0, 20.0],
        "is_outlier": [False, False, False, True, False, False, False],
    })
    s = clv.summary_from_orders(orders, "2024-01-31", clv.CLVSettings(net_of_returns=False),
                                transactions=TransactionSettings(outlier_amounts="keep"))
    assert s["customer_id"].to_list() == ["a", "b"]  # c buys after the as-of date
    assert s.row(0, named=True)["frequency"] == 2.0  # the return is not a purchase
    assert s.row(0, named=True)["monetary_value"] == pytest.approx((300 + 10_000) / 2)
    assert s.row(0, named=True)["T"] == pytest.approx(30 / 7)
    # the flagged 10,000 is capped at the 99th percentile of the other purchases (100, 300, 50, 70)
    cap = float(np.quantile([100.0, 300.0, 50.0, 70.0], 0.99))
    s = clv.summary_from_orders(orders, "2024-01-31", clv.CLVSettings(net_of_returns=False))
    assert s.row(0, named=True)["monetary_value"] == pytest.approx((300 + cap) / 2)
    s = clv.summary_from_orders(orders, "2024-01-31")
    rate = 150 / (100 + 300 + cap)
    assert s.row(0, named=True)["return_rate"] == pytest.approx(rate)
    assert s.row(0, named=True)["monetary_value"] == pytest.approx((300 + cap) / 2 * (1 - rate))
    with pytest.raises(DataError, match="no purchase"):
        clv.summary_from_orders(orders, "2023-12-31")


def test_settings_moved_key_and_notebook_defaults():
    with pytest.raises(UsageError, match=r"clv.cap_outliers: this key moved to transactions.outlier_amounts"):
        clv.CLVSettings.from_mapping({"cap_outliers": True})
    s = clv.CLVSettings.from_mapping({"model": "paretonbd", "horizon_months": 24, "holdout_months": 3})
    assert (s.model, s.horizon_months, s.discount_rate_monthly, s.holdout_months) == ("paretonbd", 24, 0.01, 3)
    with pytest.raises(UsageError, match="horizon_months"):
        clv.CLVSettings.from_mapping({"horizon_months": 0})
    with pytest.raises(UsageError, match="model 'arima'"):
        clv.CLVSettings.from_mapping({"model": "arima"})
    assert clv.PERIOD_DAYS["M"] == 365.25 / 12 == clv.DAYS_PER_MONTH


def _mixed_orders() -> pl.DataFrame:
    """Hand-made orders: outlier-only key account, returns, cancellations, a free sample, two orders a day."""
    dt = __import__("datetime").datetime
    rows = [
        # key account: only flagged orders (a purchase everywhere; its amount capped in money)
        ("k", "k1", dt(2024, 1, 5, 10), 50_000.0, "completed", True),
        ("k", "k2", dt(2024, 2, 10, 9), 80_000.0, "completed", True),
        # two orders on one day are one purchase day; a negative amount and a 'returned' order are returns
        ("r", "r1", dt(2024, 1, 2, 9), 100.0, "completed", False),
        ("r", "r2", dt(2024, 1, 2, 17), 60.0, "completed", False),
        ("r", "r3", dt(2024, 1, 20, 12), -40.0, "completed", False),
        ("r", "r4", dt(2024, 1, 25, 12), 80.0, "returned", False),
        ("r", "r5", dt(2024, 2, 1, 12), 120.0, "completed", False),
        # a cancelled order is no transaction (its day is no purchase day), nor is a free sample
        ("c", "c1", dt(2024, 1, 3, 8), 90.0, "completed", False),
        ("c", "c2", dt(2024, 1, 9, 8), 95.0, "cancelled", False),
        ("c", "c3", dt(2024, 1, 12, 8), 0.0, "completed", False),
        ("c", "c4", dt(2024, 2, 14, 8), 70.0, None, False),
        ("x", "x1", dt(2024, 1, 15, 8), 300.0, "cancelled", False),  # cancelled only: no customer
        ("n", "n1", dt(2024, 1, 4, 8), 50.0, "completed", False),
        ("n", "n2", dt(2024, 3, 4, 8), 55.0, "completed", False),  # after the as-of date
    ]
    return pl.DataFrame(rows, schema=["customer_id", "order_id", "order_date", "amount", "status", "is_outlier"],
                        orient="row")


def test_purchase_days_equal_frequency_plus_one():
    """The acceptance rule of the transaction model: segmentation's purchase days = CLV's frequency + 1."""
    orders, as_of = _mixed_orders(), date(2024, 2, 29)
    log = transactions.transactions(orders, as_of)
    days = transactions.customer_activity(log).filter(pl.col("purchase_days") > 0).collect()
    weekly = clv.summary_from_orders(orders, as_of)  # period D, freq_multiplier 7 (the default)
    daily = clv.summary_from_orders(orders, as_of, clv.CLVSettings(freq_multiplier=1))
    assert weekly["customer_id"].to_list() == days["customer_id"].to_list() == ["c", "k", "n", "r"]
    for s in (weekly, daily):
        joined = days.join(s, on="customer_id")
        assert (joined["frequency"] + 1).cast(pl.Int64).to_list() == joined["purchase_days"].to_list()
    assert dict(zip(days["customer_id"], days["purchase_days"], strict=True)) == {"c": 2, "k": 2, "n": 1, "r": 2}
    assert np.allclose(weekly["T"].to_numpy() * 7, daily["T"].to_numpy())
    assert np.allclose(weekly["recency"].to_numpy() * 7, daily["recency"].to_numpy())
    # money: the flagged orders count at the policy's value (cap: the 99th percentile of the unflagged purchases)
    k = weekly.filter(pl.col("customer_id") == "k").row(0, named=True)
    cap = float(np.quantile([100.0, 60.0, 120.0, 90.0, 70.0, 50.0], 0.99))
    assert k["monetary_value"] == pytest.approx(cap) and k["return_rate"] == 0.0
    # returns: 40 and 80 of the 280 bought by r; the monetary value is the second purchase day's 120, net
    r = weekly.filter(pl.col("customer_id") == "r").row(0, named=True)
    assert r["return_rate"] == pytest.approx(120 / 280)
    assert r["monetary_value"] == pytest.approx(120 * (1 - 120 / 280))
    # a prepared log gives the same summary; its policy is set already
    assert clv.summary_from_orders(log, as_of).equals(weekly)
    with pytest.raises(UsageError, match="prepared transaction log"):
        clv.summary_from_orders(log, as_of, transactions=TransactionSettings())
    kept = clv.summary_from_orders(orders, as_of, transactions=TransactionSettings(outlier_amounts="keep"))
    assert kept.filter(pl.col("customer_id") == "k")["monetary_value"][0] == 80_000.0


def test_key_results_and_valuable_at_risk(bg_fit, cdnow_cal, validation):
    pred = clv.predict(bg_fit, cdnow_cal, 12, 0.01)
    res = clv.key_results(bg_fit, validation, pred, 12, 0.01, "1997-09-30")
    assert res["model"] == "bgnbd" and res["params"] == bg_fit.params
    assert res["spend_params"] == bg_fit.spend_params
    assert res["holdout_actual"] == 1882.0 and res["holdout_mae"] == validation.comparison.loc["bgnbd", "mae_customer"]
    assert res["baseline_mae"] == validation.comparison.loc["baseline", "mae_customer"]
    assert res["total_clv"] == pytest.approx(float(pred["clv"].sum()))
    top = pred.sort("clv", descending=True).head(471)
    assert res["top20_share"] == pytest.approx(float(top["clv"].sum() / pred["clv"].sum()))
    risky = clv.valuable_at_risk(pred)
    assert risky.height == top.filter(pl.col("p_alive") < 0.5).height
    assert risky["clv"].is_sorted(descending=True)
    table = clv.localize(validation.comparison, "zh")
    assert table.index.tolist() == ["BG/NBD模型", "Pareto/NBD模型", "朴素基准(沿用校准期频率)"]
    assert table.index.name == "模型" and table.iloc[0]["合计偏差"] == "-12.1%"
    analysis = clv.CLVAnalysis(as_of=date(1998, 6, 30), calibration_end=date(1997, 9, 30), model="bgnbd",
                               horizon_months=12, discount_rate_monthly=0.01, holdout_months=9, fit=bg_fit,
                               validation=validation, predictions=pred, at_risk=risky)
    assert clv.key_results(analysis) == res
    text = clv.narrative(analysis, "en", "USD")
    assert set(text) == {"fit", "validation", "value", "allocation"}
    assert "1,882" in text["validation"] and "beats the naive baseline" in text["validation"]
    assert "$" in text["value"] and f"call the {risky.height:,} customers" in text["allocation"]
    assert clv.narrative(analysis, "zh")["value"].count("¥") == 2


def test_pareto_predictions_equal_lifetimes_and_stay_finite_at_recency_equal_T(pareto_fit, cdnow_cal):
    pm = pareto_fit.purchase_model
    s = cdnow_cal.to_pandas()
    f, r, T = s["frequency"].to_numpy(), s["recency"].to_numpy(), s["T"].to_numpy()
    with np.errstate(all="ignore"):
        ref_e = pm.conditional_expected_number_of_purchases_up_to_time(10.0, f, r, T)
        ref_p = pm.conditional_probability_alive(f, r, T)
    assert np.allclose(clv._cond_expected(pm, 10.0, f, r, T), ref_e, rtol=1e-10)
    assert np.allclose(clv._p_alive(pm, f, r, T), ref_p, rtol=1e-10)
    # a heavy buyer whose last purchase is in the last period (weekly data, 500k-customer fit of
    # benchmarks/bench_clv.py): lifetimes gives NaN there (A_0 = 0), the stable terms do not
    pm = LT.ParetoNBDFitter()
    pm.params_ = pd.Series({"r": 0.638076, "alpha": 8.436561, "s": 0.722263, "beta": 19.662442})
    x, rec = np.array([141.0]), np.array([150.0])
    with np.errstate(all="ignore"):
        assert np.isnan(pm.conditional_probability_alive(x, rec, rec)).all()
    assert clv._p_alive(pm, x, rec, rec)[0] == pytest.approx(1.0)
    e = clv._cond_expected(pm, 10.0, x, rec, rec)[0]
    assert np.isfinite(e) and e > clv._cond_expected(pm, 10.0, np.array([100.0]), rec, rec)[0]


def test_pareto_predictions_stay_finite_where_the_series_overflows():
    """A customer with 313 purchases, the last in the last period (weekly data, a Pareto/NBD
    fitted on 100,000 customers of a five-year buy-till-you-die dataset): the likelihood's
    hypergeometric series is beyond a double there, its logarithm is not.  Customers with
    fewer purchases are predicted as before, to rounding."""
    from scipy.special import hyp2f1

    pm = LT.ParetoNBDFitter()
    pm.params_ = pd.Series({"r": 0.689022, "alpha": 5.693987, "s": 13.321042, "beta": 1768.481952})
    x, rec = np.array([313.0]), np.array([178.285714])
    with np.errstate(all="ignore"):
        assert not np.isfinite(hyp2f1(0.689022 + 13.321042 + 313.0, 0.689022 + 313.0,
                                      0.689022 + 13.321042 + 314.0,
                                      (1768.481952 - 5.693987) / (1768.481952 + 178.285714)))
    e = clv._cond_expected(pm, 26.0, x, rec, rec)[0]
    p = clv._p_alive(pm, x, rec, rec)[0]
    # alive for sure, and about 313 purchases in 178 weeks: some 40 in the next 26
    assert p == pytest.approx(1.0)
    assert 30.0 < e < 50.0
    lighter = clv._cond_expected(pm, 26.0, np.array([200.0]), rec, rec)[0]
    assert lighter < e
    # below the overflow the values are lifetimes' own
    f = np.array([0.0, 1.0, 5.0, 40.0, 120.0])
    r = np.array([0.0, 3.0, 50.0, 100.0, 150.0])
    T = np.array([10.0, 60.0, 120.0, 170.0, 178.0])
    with np.errstate(all="ignore"):
        ref = pm.conditional_expected_number_of_purchases_up_to_time(26.0, f, r, T)
    assert np.isfinite(ref).all()
    assert np.allclose(clv._cond_expected(pm, 26.0, f, r, T), ref, rtol=1e-10)


def test_notes_in_both_languages(cdnow_cal):
    s = cdnow_cal.to_pandas().set_index("customer_id")
    s.loc["0001", "monetary_value"] = 0.0
    res = clv.fit(s, period="D", freq_multiplier=7)
    assert res.notes_in("en") == res.notes
    assert res.notes_in("zh")[0].startswith("1 位重复购买客户的平均消费金额不为正")
    with pytest.raises(UsageError):
        res.notes_in("fr")


def test_period_transactions_counts_new_customers_as_zero_repeats(pareto_fit, bg_fit):
    s = pl.DataFrame({"customer_id": ["a", "b"], "frequency": [0.0, 0.0], "recency": [0.0, 0.0],
                      "T": [0.0, 10.0]})
    for f in (pareto_fit, bg_fit):
        pt = clv.period_transactions(f, s, max_frequency=3)
        p0 = (f.purchase_model.conditional_probability_of_n_purchases_up_to_time(0, 10.0, 0, 0, 0)
              if f.model == "paretonbd" else f.purchase_model.probability_of_n_purchases_up_to_time(10.0, 0))
        assert pt.loc["0", "model"] == pytest.approx(1.0 + p0)
        assert pt["model"].sum() == pytest.approx(2.0) and pt.loc["0", "actual"] == 2.0


# --------------------------------------------------------------------------- robust fits (lifetimes gives up)

def _give_up(*_args, **_kwargs):
    raise LT.utils.ConvergenceError("simulated: the optimizer reported precision loss")


def _assert_same_params(got: dict, expected: dict, rel: float = 1e-6) -> None:
    assert got.keys() == expected.keys()
    for k, v in expected.items():
        assert got[k] == pytest.approx(v, rel=rel), (k, got[k], v)


def test_fallback_restart_reaches_the_clean_optimum(cdnow_cal, bg_fit, pareto_fit, monkeypatch):
    """lifetimes' optimizer step raises ConvergenceError before any evaluation: restarts find the same optimum."""
    clean_mbg = clv.fit(cdnow_cal, "mbgnbd", period="D", freq_multiplier=7, spend=False)
    assert (bg_fit.route, bg_fit.spend_route, pareto_fit.route) == ("lifetimes", "lifetimes", "gradient")
    monkeypatch.setattr(LT.fitters.BaseFitter, "_fit", _give_up)  # BG/NBD, MBG/NBD, Gamma-Gamma
    res = clv.fit(cdnow_cal, "bgnbd", period="D", freq_multiplier=7)
    assert (res.route, res.spend_route) == ("restart:L-BFGS-B", "restart:L-BFGS-B")
    assert (res.penalizer, res.spend_penalizer) == (0.0, 0.0)
    _assert_same_params(res.params, bg_fit.params)
    _assert_same_params(res.spend_params, bg_fit.spend_params)
    assert len(res.notes) == 2 and all("a restart with L-BFGS-B" in n for n in res.notes)
    assert res.notes_in("zh")[0].startswith("lifetimes 没有完成 BG/NBD 模型的拟合")
    d = res.to_dict()
    assert (d["route"], d["spend_route"], d["penalizer"], d["spend_penalizer"]) == \
        ("restart:L-BFGS-B", "restart:L-BFGS-B", 0.0, 0.0)
    # the fitters are lifetimes' own, set up by lifetimes' fit: predictions equal the clean fit's
    ref = clv.predict(bg_fit, cdnow_cal, 12, 0.01)
    out = clv.predict(res, cdnow_cal, 12, 0.01)
    assert np.allclose(out["clv"].to_numpy(), ref["clv"].to_numpy(), rtol=1e-5)
    pm = res.purchase_model
    assert pm._scale == bg_fit.purchase_model._scale and len(pm.data) == bg_fit.n_patterns
    assert np.allclose(pm.standard_errors_, bg_fit.purchase_model.standard_errors_, rtol=1e-4)
    mbg = clv.fit(cdnow_cal, "mbgnbd", period="D", freq_multiplier=7, spend=False)
    assert mbg.route == "restart:L-BFGS-B"
    _assert_same_params(mbg.params, clean_mbg.params)
    # the Pareto/NBD fit from the BG/NBD start ends at no optimum: the restarts find it
    from workbench.clv import robust

    real = robust._gradient_fit
    monkeypatch.setattr(robust, "_gradient_fit", lambda *a: (*real(*a)[:2], False))
    pn = clv.fit(cdnow_cal, "paretonbd", period="D", freq_multiplier=7, spend=False)
    assert pn.route == "restart:L-BFGS-B" and pn.penalizer == 0.0
    assert pn.notes[0].startswith("The Pareto/NBD fit from the BG/NBD starting values did not reach")
    _assert_same_params(pn.params, pareto_fit.params)
    assert np.allclose(clv._p_alive(pn.purchase_model, *(cdnow_cal[c].to_numpy() for c in ("frequency", "recency", "T"))),
                       clv._p_alive(pareto_fit.purchase_model,
                                    *(cdnow_cal[c].to_numpy() for c in ("frequency", "recency", "T"))), rtol=1e-5)


def test_fallback_checks_lifetimes_last_point(cdnow_cal, bg_fit, monkeypatch):
    """BFGS reaches the optimum but reports failure (as on some machines): its point is checked and used."""
    import lifetimes.fitters as ltf

    real_minimize = ltf.minimize

    def minimize_reporting_precision_loss(*args, **kwargs):
        out = real_minimize(*args, **kwargs)
        out.success, out.status = False, 2
        out.message = "Desired error not necessarily achieved due to precision loss."
        return out

    monkeypatch.setattr(ltf, "minimize", minimize_reporting_precision_loss)
    res = clv.fit(cdnow_cal, "bgnbd", period="D", freq_multiplier=7)
    assert (res.route, res.spend_route) == ("lifetimes+check", "lifetimes+check")
    _assert_same_params(res.params, bg_fit.params)
    _assert_same_params(res.spend_params, bg_fit.spend_params)
    assert "lifetimes stopped the BG/NBD fit with ConvergenceError, but at the optimum" in res.notes[0]
    assert res.notes[1].startswith("lifetimes stopped the Gamma-Gamma fit")
    assert res.notes_in("zh")[0].startswith("lifetimes 在拟合 BG/NBD 模型时报告 ConvergenceError")
    with pytest.raises(LT.utils.ConvergenceError):  # lifetimes alone gives up
        _quiet_fit(LT.BetaGeoFitter(), cdnow_cal["frequency"].to_numpy(), cdnow_cal["recency"].to_numpy(),
                   cdnow_cal["T"].to_numpy())


def test_ill_conditioned_spend_has_no_unpenalised_optimum(cdnow_cal, monkeypatch):
    """Spend determined by frequency: the Gamma-Gamma likelihood keeps rising as p -> infinity.

    Outcome documented (deterministic: lifetimes is made to give up, so only the
    fixed-start restarts decide): no restart reaches an optimum without a penalty,
    so the spend model is refitted with penalizer 0.001, with a note and
    ``spend_route == "penalizer"``; the penalised optimum is a real one.  A
    purchase history without any finite optimum (every customer bought in their
    last period) stays a clear ModelError.
    """
    s = cdnow_cal.to_pandas().set_index("customer_id")
    rep = s["frequency"] > 0
    s["monetary_value"] = np.where(rep, 10.0 + 3.0 * s["frequency"] + np.arange(len(s)) % 7, 0.0)
    (gf, gm), gw, _ = clv._collapse(s.loc[rep, "frequency"].to_numpy(), s.loc[rep, "monetary_value"].to_numpy())
    nll = LT.GammaGammaFitter._negative_log_likelihood
    with np.errstate(all="ignore"):  # along the ridge log v = 5.43 - log p, log q = 2.497: always lower
        ridge = [nll(np.array([lp, 2.497, 5.435 - lp]), gf, gm, gw, 0.0) for lp in (8.0, 12.0, 16.0)]
    assert ridge[0] > ridge[1] > ridge[2]
    monkeypatch.setattr(LT.fitters.BaseFitter, "_fit", _give_up)
    res = clv.fit(s, period="D", freq_multiplier=7)
    assert res.route == "restart:L-BFGS-B"
    assert (res.spend_route, res.spend_penalizer) == ("penalizer", 0.001)
    assert res.notes[1] == ("The Gamma-Gamma fit did not converge without a penalty (ConvergenceError) and "
                            "restarts from other starting values found no optimum; it was refitted with "
                            "penalizer 0.001.")
    assert any("correlated" in n for n in res.notes) and res.to_dict()["spend_route"] == "penalizer"
    theta = np.log(np.array([res.spend_params[k] for k in "pqv"]))
    grad = clv._num_grad(lambda th: nll(th, gf, gm, gw, 0.001), theta)
    assert np.max(np.abs(grad)) < clv.GRAD_TOL / math.sqrt(946)
    assert res.spend_params["q"] > 1 and np.isfinite(clv.predict(res, s)["clv"]).all()
    last = pd.DataFrame({"frequency": np.arange(1, 51, dtype=float), "recency": 20.0, "T": 20.0},
                        index=pd.Index([f"c{i}" for i in range(50)], name="customer_id"))
    with pytest.raises(ModelError, match="did not converge on 50 customers"):
        clv.fit(last, "bgnbd", spend=False)


def test_analyse_on_the_demo_data_with_the_transaction_log(small_processed):
    """Notebook 03 in one call on the cleaned demo data: the log's purchases, validation, value by group."""
    from workbench import context

    ctx = context.resolve(small_processed, results_dir=small_processed.parent / "clv_test")
    log = ctx.transactions()
    a = clv.analyse(log, ctx.as_of, clv.CLVSettings(compare=("bgnbd",)), horizon_months=6)
    days = transactions.customer_activity(log).filter(pl.col("purchase_days") > 0).collect()
    joined = days.join(a.predictions, on="customer_id")
    assert joined.height == days.height == a.predictions.height == a.fit.n_customers
    assert ((joined["frequency"] + 1).cast(pl.Int64) == joined["purchase_days"]).all()
    assert a.calibration_end == context.period_bounds(ctx.as_of, "month", -6)[1]
    assert set(a.validation.comparison.index) == {"bgnbd", "baseline"}
    assert a.tracking is not None and a.tracking["holdout"].any()
    assert a.by_tier is None and a.at_risk is not None
    res = clv.key_results(a)
    assert res["horizon_months"] == 6 and res["customers"] == a.predictions.height
    text = clv.narrative(a, "en", ctx.currency)
    assert "tier A" not in text["allocation"] and "Over the next 6 months" in text["value"]
    assert clv.analyse(ctx.load("orders"), ctx.as_of, clv.CLVSettings(compare=("bgnbd",)),
                       horizon_months=6).predictions.equals(a.predictions)
    best = a.predictions.sort("clv", descending=True)["customer_id"][0]
    assert len(a.purchase_days(best)) == days.filter(pl.col("customer_id") == best)["purchase_days"][0]
