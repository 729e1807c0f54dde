"""The segmentation's fast paths give the answers of the plain definitions, to the last bit."""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl
import pytest

from workbench import segment as sg
from workbench import transactions as tx
from workbench.segment.clusters import _distinct_rows
from workbench.segment.metrics import spread
from workbench.segment.tiers import _percentile_scores


def test_percentile_scores_by_rank_worked_by_hand():
    s = sg.percentile_scores(pl.Series("x", [10.0, 20.0, 20.0, 30.0, None, float("nan")]))
    # four values: 10 has 0 below and 1 equal -> 100 * 0.5 / 4; 20: 1 below, 2 equal -> 50
    assert s.to_list() == [12.5, 50.0, 50.0, 87.5, None, None]
    assert sg.percentile_scores(pl.Series("x", [None, None], dtype=pl.Float64)).to_list() == [None, None]


def test_percentile_scores_equal_the_search_against_the_sorted_reference():
    rng = np.random.default_rng(5)
    x = np.round(rng.gamma(1.5, 300.0, 50_000), 0)  # many ties
    x[rng.integers(0, len(x), 500)] = np.nan
    ok = ~np.isnan(x)
    search = _percentile_scores(np.sort(x[ok]), x[ok])
    ranked = sg.percentile_scores(pl.Series(x)).to_numpy()
    assert np.array_equal(ranked[ok], search)  # bit for bit
    assert np.isnan(ranked[~ok]).all()


def _features(n: int = 5000, seed: int = 1) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    nps = rng.integers(0, 11, n).astype(float)
    nps[rng.random(n) < 0.7] = np.nan
    return pl.DataFrame({
        "customer_id": [f"c{i:05d}" for i in range(n)],
        "monetary": np.round(rng.gamma(1.2, 500.0, n), 2),
        "frequency": rng.integers(1, 12, n),
        "recency_days": rng.integers(0, 900, n),
        "tenure_days": rng.integers(0, 1200, n),
        "gross_margin": np.round(rng.normal(100.0, 80.0, n), 2),
        "nps": nps,
    }).with_columns(pl.col("nps").fill_nan(None))


def test_fit_transform_by_rank_equals_fit_then_transform_by_search():
    f = _features()
    ranked = sg.TierScorer().fit_transform(f)
    scorer = sg.TierScorer().fit(f)
    searched = scorer.transform(f)
    assert ranked.equals(searched)
    assert ranked.get_column("tier").value_counts().sort("tier").get_column("count").to_list() == [
        1000, 1500, 2500]
    # the references are the sorted values (recency negated), empty answers left out
    assert np.array_equal(scorer.references_["recency_days"],
                          np.sort(-f.get_column("recency_days").to_numpy().astype(float)))
    assert len(scorer.references_["nps"]) == f.get_column("nps").count()


def test_tier_sensitivity_equals_refitting_every_scorer():
    f = _features(3000, seed=2)
    table = sg.tier_sensitivity(f, delta=0.1)
    base = sg.TierScorer().fit(f)
    base_tiers = base.transform(f).get_column("tier")
    for row in table.iter_rows(named=True):
        for name, sign in (("up", 1), ("down", -1)):
            moved = dict(base.weights_)
            moved[row["indicator"]] = max(moved[row["indicator"]] + sign * 0.1, 0.0)
            tiers = sg.TierScorer(moved).fit(f).transform(f).get_column("tier")
            assert row[f"changed_{name}"] == int((tiers != base_tiers).sum())
    assert table.get_column("changed_up").sum() > 0


def test_spread_puts_rows_back_in_place():
    mask = np.array([True, False, True, False, True])
    cols = spread(mask, pl.DataFrame({"a": [1, 2, 3], "s": ["x", "y", "z"]}))
    assert [c.to_list() for c in cols] == [[1, None, 2, None, 3], ["x", None, "y", None, "z"]]
    assert [c.name for c in cols] == ["a", "s"]


@pytest.mark.parametrize("sorted_ids", [True, False])
def test_abc_and_pareto_share_one_sort(sorted_ids):
    ids = ["c1", "c2", "c3", "c4", "c5", "c6"]
    m = pl.DataFrame({"customer_id": ids, "monetary": [50.0, 200.0, 50.0, 0.0, 700.0, -10.0],
                      "frequency": [1, 2, 1, 0, 3, 1]})
    if not sorted_ids:
        m = m.reverse()
    table, curve = sg.abc_and_pareto(m)
    assert table.equals(sg.abc_classify(m)) and curve.equals(sg.pareto_curve(m))
    got = {r["customer_id"]: (r["abc_class"], r["revenue_rank"]) for r in table.iter_rows(named=True)}
    # 700 of 1000 reaches 70% (A); 200 reaches 90% (B); the tie at 50 goes by id: c1 before c3
    assert got == {"c5": ("A", 1), "c2": ("B", 2), "c1": ("C", 3), "c3": ("C", 4),
                   "c6": ("C", 5), "c4": (None, None)}
    assert curve.get_column("revenue_share").to_list() == [0.0, 0.7, 0.9, 0.95, 1.0, 1.0]


def test_transaction_log_rows_are_the_transaction_models():
    orders = pl.DataFrame({
        "customer_id": ["A", "A", "B", "B", "C", "C"],
        "order_date": [date(2024, 1, 2), date(2024, 2, 1), date(2024, 1, 5), date(2024, 1, 9),
                       date(2024, 3, 1), date(2024, 9, 1)],
        "amount": [100.0, -40.0, 10_000.0, 60.0, 80.0, 50.0],
        "status": ["completed", "returned", "completed", "cancelled", "completed", "completed"],
        "is_outlier": [False, False, True, False, False, False],
        "gross_margin": [30.0, 12.0, 2_000.0, 9.0, None, 5.0],
    })
    log = sg.transaction_log(orders, date(2024, 6, 30)).collect()
    model = tx.transactions(orders, date(2024, 6, 30), order_id_col=None).collect()
    assert log.drop("margin").equals(model)
    # the return's margin is negative; the outlier's margin scales like its capped amount
    cap = model.get_column("value")[2]
    assert cap < 10_000.0
    assert log.get_column("margin").to_list() == pytest.approx(
        [30.0, -12.0, 2_000.0 * cap / 10_000.0, 0.0])


def test_distinct_rows_like_numpy_unique():
    rng = np.random.default_rng(0)
    x = np.round(rng.random((2000, 3)), 1)
    x[0, 0], x[1, 0] = -0.0, 0.0
    assert _distinct_rows(x) == len(np.unique(x, axis=0))


def test_gross_margin_is_added_in_whole_cents():
    # 0.1 + 0.2 - 0.3 is 5.6e-17 in floating point: a customer whose margins cancel must tie
    # with the customers at 0, not rank above them
    orders = pl.DataFrame({
        "customer_id": ["A", "A", "A", "B", "C"],
        "order_date": [date(2024, 1, d) for d in (2, 3, 4, 5, 6)],
        "amount": [10.0, 20.0, 30.0, 10.0, 10.0],
        "status": ["completed"] * 5,
        "gross_margin": [0.1, 0.2, -0.3, 0.0, 1.0],
    })
    m = sg.customer_metrics(orders, as_of=date(2024, 6, 30))
    assert m.get_column("gross_margin").to_list() == [0.0, 0.0, 1.0]
    scores = sg.TierScorer({"gross_margin": 1.0}).fit_transform(m)
    assert scores.get_column("score_gross_margin").to_list() == pytest.approx([100 / 3, 100 / 3, 250 / 3])
