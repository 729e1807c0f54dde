"""Churn trained on a stratified sample of the training rows: as accurate, seeded, and every customer scored."""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl
import pytest

from workbench import churn, config, demo
from workbench.errors import UsageError
from workbench.report import validation
from workbench.sampling import stratified_rows

DEMO_END = date(2026, 10, 31)
#: A sampled fit's test ROC AUC stays within this of the fit on every training row.
AUC_TOLERANCE = 0.03


@pytest.fixture(scope="module")
def tables():
    return demo.generate(3000, seed=5)


def _analyse(tables, train_sample, seed=7):
    st = churn.ChurnSettings(importance_repeats=1, train_sample=train_sample)
    return churn.analyse(tables, DEMO_END, st, seed=seed)


@pytest.fixture(scope="module")
def full(tables):
    return _analyse(tables, None)


@pytest.fixture(scope="module")
def sampled(tables, full):
    return _analyse(tables, full.train_size // 2)


def test_stratified_rows_keep_the_base_rate_and_are_seeded():
    y = np.r_[np.ones(300, dtype=int), np.zeros(700, dtype=int)]
    rows = stratified_rows(y, 101, seed=1)
    assert rows.size == 101 and np.all(np.diff(rows) > 0)
    assert int(y[rows].sum()) == 30                       # 30.3 churned rows round to 30
    np.testing.assert_array_equal(rows, stratified_rows(y, 101, seed=1))
    assert not np.array_equal(rows, stratified_rows(y, 101, seed=2))
    np.testing.assert_array_equal(stratified_rows(y, None, seed=1), np.arange(1000))
    np.testing.assert_array_equal(stratified_rows(y, 5000, seed=1), np.arange(1000))
    small = np.array([1] * 10 + [0] * 30)
    assert int(small[stratified_rows(small, 7, seed=3)].sum()) == 2   # 1.75 rounds to 2, 5.25 to 5


def test_a_sampled_fit_is_as_accurate_as_the_full_one(full, sampled):
    assert full.train_fitted == full.train_size > 2000
    assert sampled.train_fitted == full.train_size // 2
    assert sampled.train_size == full.train_size and sampled.test_size == full.test_size
    assert abs(sampled.train_churn_rate - full.train_churn_rate) < 1e-9   # same stacked rows
    for model in ("hgb", "logreg"):
        a, b = full.metric(model, "roc_auc"), sampled.metric(model, "roc_auc")
        assert a is not None and b is not None
        assert abs(a - b) < AUC_TOLERANCE, (model, a, b)
        assert b > sampled.metric("recency", "roc_auc") + 0.02
    window = sampled.metadata["training_window"]
    assert window["rows_fitted"] == min(window["rows"], full.train_size // 2)


def test_every_customer_is_scored_whatever_the_sample(full, sampled):
    assert sampled.scores.height == full.scores.height == full.features.frame.height
    assert sampled.scores.get_column("churn_probability").null_count() == 0
    assert set(sampled.scores.get_column("customer_id")) == set(full.scores.get_column("customer_id"))
    assert int(sampled.scores.get_column("flagged").sum()) == int(np.ceil(0.2 * sampled.scores.height))
    # The sampled model ranks customers much like the full one (fitted on half of ~4,000
    # training rows here).
    joined = full.scores.select("customer_id", pl.col("churn_probability").alias("a")).join(
        sampled.scores.select("customer_id", pl.col("churn_probability").alias("b")), on="customer_id")
    assert joined.select(pl.corr("a", "b", method="spearman")).item() > 0.8


def test_the_same_seed_gives_the_same_scores(tables, sampled):
    again = _analyse(tables, sampled.train_fitted)
    assert again.scores.equals(sampled.scores)
    assert again.evaluation.equals(sampled.evaluation)


def test_train_sample_setting_is_checked_up_front(tmp_path):
    assert churn.ChurnSettings().train_sample == 100_000
    assert churn.ChurnSettings.from_mapping({"train_sample": None}).train_sample is None
    with pytest.raises(UsageError, match="churn.train_sample"):
        churn.ChurnSettings.from_mapping({"train_sample": 10})
    cfg = tmp_path / "workbench.yaml"
    cfg.write_text("churn:\n  train_sample: 5\n", encoding="utf-8")
    assert validation.config_problems(config.load(cfg)) == [
        "workbench.yaml churn.train_sample: 5 must be at least 100 (e.g. 100000), or null."]


def test_p_alive_fitted_on_a_sample_of_customers(tables):
    buys = churn.purchases(tables["orders"], DEMO_END)[0]
    full = churn.p_alive_at(buys, DEMO_END)
    part = churn.p_alive_at(buys, DEMO_END, sample=1000, seed=7)
    assert full.height > 2000 and part.height == full.height      # every customer gets one
    assert part.get_column("customer_id").equals(full.get_column("customer_id"))
    diff = (part.get_column("p_alive") - full.get_column("p_alive")).abs()
    assert diff.mean() < 0.03 and diff.max() < 0.15
    assert part.equals(churn.p_alive_at(buys, DEMO_END, sample=1000, seed=7))
    assert not part.equals(churn.p_alive_at(buys, DEMO_END, sample=1000, seed=8))


def test_training_sample_builds_the_sampled_rows_of_the_stacked_frame(tables):
    """Features built for the sampled customers only are the whole stacked frame's rows at the
    sampled positions, row for row; a cut-off already computed is read from the cache."""
    builder = churn.FeatureBuilder(tables, DEMO_END, p_alive_sample=None, seed=3)
    buys = builder.buys
    cutoffs = [date(2026, 2, 28), date(2026, 4, 30)]
    whole, y = churn.training_frame(tables, cutoffs, 90, 365, buys=buys, builder=builder)
    rows = stratified_rows(y, y.size // 3, seed=11)
    cache = {cutoffs[1]: builder.at(cutoffs[1], 365)}
    part, y_part, y_all = churn.training_sample(cutoffs, 90, 365, builder=builder, buys=buys,
                                                sample=y.size // 3, seed=11, feature_cache=cache)
    assert np.array_equal(y_all, y) and np.array_equal(y_part, y[rows])
    assert part.frame.height == rows.size < whole.frame.height
    assert part.frame.equals(whole.frame[rows])
    assert part.features == whole.features and part.groups == whole.groups
    # no sample: every row, the same frame
    every, y_every, _ = churn.training_sample(cutoffs, 90, 365, builder=builder, buys=buys,
                                              sample=None, seed=11)
    assert every.frame.equals(whole.frame) and np.array_equal(y_every, y)
