"""Tests of workbench.segment: hand-made tables with answers worked out by hand."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import polars as pl
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from workbench import frames, i18n, rfm, transactions
from workbench import segment as sg
from workbench.errors import DataError, UsageError
from workbench.transactions import TransactionSettings

AS_OF = date(2024, 6, 30)


# --------------------------------------------------------------------------- metrics


def _orders() -> pl.DataFrame:
    rows = [
        # id, customer, date, amount, status
        ("o1", "A", date(2024, 1, 1), 100.0, "completed"),
        ("o2", "A", date(2024, 1, 1), 50.0, "completed"),    # same day: one purchase day
        ("o3", "A", date(2024, 3, 1), 200.0, "completed"),
        ("o4", "A", date(2024, 3, 5), -50.0, "returned"),    # return, netted
        ("o5", "A", date(2024, 4, 1), 999.0, "cancelled"),   # not a purchase
        ("o6", "A", date(2024, 7, 1), 500.0, "completed"),   # after as_of
        ("o7", "B", date(2024, 6, 20), 80.0, "completed"),
        ("o8", "B", date(2024, 6, 25), 40.0, "returned"),    # returned with a positive amount
    ]
    return pl.DataFrame(rows, schema=["order_id", "customer_id", "order_date", "amount", "status"],
                        orient="row")


def test_customer_metrics_rules():
    customers = pl.DataFrame({"customer_id": ["A", "B", "P"]})
    m = sg.customer_metrics(_orders(), customers, as_of=AS_OF)
    a, b, p = (m.filter(pl.col("customer_id") == k).row(0, named=True) for k in "ABP")
    assert (a["n_orders"], a["purchase_days"], a["frequency"]) == (3, 2, 2)
    assert a["monetary"] == 300.0 and a["returns"] == 50.0
    assert (a["first_order_date"], a["last_order_date"]) == (date(2024, 1, 1), date(2024, 3, 1))
    assert (a["recency_days"], a["tenure_days"]) == (121, 181)
    assert a["mean_gap_days"] == 60.0 and a["avg_order_value"] == 100.0
    assert (b["monetary"], b["returns"], b["n_orders"], b["recency_days"]) == (40.0, 40.0, 1, 10)
    assert b["mean_gap_days"] is None
    assert (p["n_orders"], p["frequency"], p["monetary"]) == (0, 0, 0.0)
    assert p["recency_days"] is None and p["first_order_date"] is None and p["avg_order_value"] is None


def test_customer_metrics_orders_basis_pandas_and_outlier_policy():
    o = _orders().with_columns((pl.col("order_id") == "o3").alias("is_outlier"))
    m = sg.customer_metrics(o.to_pandas(), as_of="2024-06-30", frequency_basis="orders")
    assert m.filter(pl.col("customer_id") == "A").get_column("frequency").item() == 3
    # The flagged order o3 (200) is a purchase whatever the policy (it used to be left out:
    # n_orders 2, last order 2024-01-01); only its amount follows transactions.outlier_amounts.
    by_policy = {}
    for policy in ("exclude", "keep", "cap"):
        ex = sg.customer_metrics(o, as_of=AS_OF, transaction_settings=TransactionSettings(
            outlier_amounts=policy))
        a = ex.filter(pl.col("customer_id") == "A").row(0, named=True)
        assert (a["n_orders"], a["purchase_days"], a["last_order_date"]) == (3, 2, date(2024, 3, 1))
        assert a["outlier_orders"] == 1
        by_policy[policy] = a["monetary"]
    # exclude: 100 + 50 + 0 - 50; keep: 100 + 50 + 200 - 50; cap: o3 capped at the 0.99 quantile
    # of the unflagged purchases (50, 80, 100): 80 + 0.98 * 20 = 99.6
    assert by_policy == pytest.approx({"exclude": 100.0, "keep": 300.0, "cap": 199.6})


def test_customer_metrics_bad_input():
    with pytest.raises(DataError, match=r"'amount'"):
        sg.customer_metrics(_orders().drop("amount"), as_of=AS_OF)
    holed = _orders().with_columns(
        pl.when(pl.col("order_id") == "o3").then(None).otherwise(pl.col("customer_id")).alias("customer_id"))
    for orders in (holed, holed.lazy()):  # a lazy scan is checked by a query, the same words
        with pytest.raises(DataError, match=r"orders.customer_id: 1 row\(s\) are empty \(first at row 2\)"):
            sg.customer_metrics(orders, as_of=AS_OF)
        with pytest.raises(DataError, match=r"'amount'"):
            sg.build_segments(orders.drop("amount"), as_of=AS_OF)
    with pytest.raises(UsageError, match="not a date"):
        sg.customer_metrics(_orders(), as_of="30/06/2024")


def test_latest_nps_skips_empty_answers_and_future():
    s = pl.DataFrame({
        "survey_id": ["s1", "s2", "s3", "s4"], "customer_id": ["A", "A", "A", "B"],
        "survey_date": [date(2024, 1, 1), date(2024, 5, 1), date(2024, 8, 1), date(2024, 2, 1)],
        "nps": [3, None, 10, 8],
    })
    out = sg.latest_nps(s, as_of=AS_OF)
    assert out.rows() == [("A", 3.0), ("B", 8.0)]


# --------------------------------------------------------------------------- ABC


def _ten() -> pl.DataFrame:
    return pl.DataFrame({
        "customer_id": [f"c{i:02d}" for i in range(1, 13)],
        "monetary": [500.0, 200, 100, 80, 50, 30, 20, 10, 6, 4, -20, 0],
        "frequency": [1] * 11 + [0],
    })


def test_abc_exact_cut():
    out = sg.abc_classify(_ten())
    assert out.get_column("abc_class").to_list() == ["A", "A", "B", "B", "B", "C", "C", "C", "C", "C", "C", None]
    assert out.get_column("revenue_rank").to_list()[:3] == [1, 2, 3]
    # other shares: 50/30/20 -> A until 50% reached
    out2 = sg.abc_classify(_ten(), shares=(0.5, 0.3, 0.2))
    assert out2.get_column("abc_class").to_list()[:5] == ["A", "B", "B", "C", "C"]
    with pytest.raises(UsageError, match="add up to 1"):
        sg.abc_classify(_ten(), shares=(0.7, 0.2))


def test_pareto_curve_and_cut_points():
    p = sg.pareto_curve(_ten().head(10))
    assert p.height == 11
    assert p.get_column("customer_share").to_list()[:3] == [0.0, 0.1, 0.2]
    assert np.allclose(p.get_column("revenue_share").to_list()[:6], [0, 0.5, 0.7, 0.8, 0.88, 0.93])
    cuts = sg.pareto_cut_points(p)
    assert cuts.rows() == [("A", 0.7, 0.2, 2), ("B", 0.9, 0.5, 5)]


# --------------------------------------------------------------------------- RFM


def test_rfm_scores_known_ranking_and_ties():
    m = pl.DataFrame({
        "customer_id": [f"c{i}" for i in range(10)],
        "recency_days": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
        "frequency": [1, 1, 1, 1, 1, 1, 2, 2, 3, 4],
        "monetary": [10.0, 20, 30, 40, 50, 60, 70, 80, 90, 100],
    })
    s = sg.rfm_scores(m)
    assert s.get_column("r_score").to_list() == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]
    assert s.get_column("f_score").to_list() == [1, 1, 1, 1, 1, 1, 4, 4, 5, 5]
    assert s.get_column("m_score").to_list() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert s.get_column("fm_score").to_list() == [1, 1, 2, 2, 2, 2, 4, 4, 5, 5]
    prospect = pl.DataFrame({"customer_id": ["p"], "recency_days": [None], "frequency": [0], "monetary": [0.0]},
                            schema=m.schema)
    s2 = sg.rfm_scores(pl.concat([m, prospect]), n=3)
    assert s2.get_column("r_score").to_list()[-1] is None
    assert s2.get_column("m_score").to_list()[:10] == [1, 1, 1, 1, 2, 2, 2, 3, 3, 3]


GRID = {  # R row -> segments for FM = 1..5 (the documented map)
    5: ["new", "potential_loyalist", "potential_loyalist", "champions", "champions"],
    4: ["promising", "potential_loyalist", "loyal", "champions", "champions"],
    3: ["promising", "need_attention", "need_attention", "loyal", "loyal"],
    2: ["about_to_sleep", "about_to_sleep", "at_risk", "at_risk", "cant_lose"],
    1: ["lost", "hibernating", "at_risk", "cant_lose", "cant_lose"],
}


def test_default_segment_map():
    cells = pl.DataFrame({"r_score": [r for r in range(1, 6) for _ in range(5)],
                          "fm_score": [fm for _ in range(5) for fm in range(1, 6)]})
    out = sg.assign_segments(cells)
    got = {(r, fm): s for r, fm, s in out.iter_rows()}
    assert got == {(r, fm + 1): GRID[r][fm] for r in GRID for fm in range(5)}
    assert set(got.values()) == set(sg.SEGMENT_ORDER)
    assert i18n.t("segment.champions", "zh") == "重要价值客户"
    assert i18n.t("treatment.lost", "en", room="segment").startswith("Low-cost")


def test_segment_rules_are_checked():
    with pytest.raises(UsageError, match=r"leave 1 \(R, FM\) cell"):
        sg.segment_rules([{"segment": "champions", "r_min": 1, "r_max": 5, "fm_min": 2, "fm_max": 5},
                          {"segment": "lost", "r_min": 2, "r_max": 5, "fm_min": 1, "fm_max": 1}])
    with pytest.raises(UsageError, match="needs 'label_zh'"):
        sg.segment_rules([{"segment": "vip", "r_min": 1, "r_max": 5, "fm_min": 1, "fm_max": 5}])
    with pytest.raises(UsageError, match="for 5 score levels"):
        sg.segment_rules(None, n=4)
    two = sg.segment_rules([
        {"segment": "good", "r_min": 2, "r_max": 3, "fm_min": 1, "fm_max": 3, "label_zh": "好", "label_en": "Good",
         "treatment_zh": "保持", "treatment_en": "Keep"},
        {"segment": "lost", "r_min": 1, "r_max": 3, "fm_min": 1, "fm_max": 3},
    ], n=3)
    out = sg.assign_segments(pl.DataFrame({"r_score": [3, 1, None], "fm_score": [1, 3, None]}), two, n=3)
    assert out.get_column("rfm_segment").to_list() == ["good", "lost", None]
    assert i18n.t("segment.good", "zh") == "好"


# --------------------------------------------------------------------------- lifecycle


def test_lifecycle_stages_on_crafted_customers():
    m = pl.DataFrame({
        "customer_id": ["P", "N", "N90", "CH", "R180", "OWN", "OWNOK", "POP", "POPOK", "ONE"],
        "purchase_days": [0, 1, 1, 5, 1, 4, 4, 2, 2, 1],
        "recency_days": [None, 10, 90, 400, 200, 25, 20, 100, 35, 100],
        "tenure_days": [None, 10, 90, 900, 200, 100, 100, 130, 95, 100],
        "mean_gap_days": [None, None, None, 50.0, None, 10.0, 10.0, 30.0, 30.0, None],
    })
    out = sg.lifecycle_stage(m)
    assert out.get_column("lifecycle_stage").to_list() == [
        "prospect", "new", "new", "churned", "at_risk", "at_risk", "active", "at_risk", "active", "at_risk"]
    # population gap = median(50, 10, 10, 30, 30) = 30; own gap for 3+ purchase days
    assert out.get_column("typical_gap_days").to_list()[5:] == [10.0, 10.0, 30.0, 30.0, 30.0]
    assert out.get_column("at_risk_after_days").to_list()[3:] == [100.0, 60.0, 20.0, 20.0, 60.0, 60.0, 60.0]
    # a longer window for 'new' turns ONE (first purchase 100 days ago) new
    assert sg.lifecycle_stage(m, new_days=100).get_column("lifecycle_stage")[9] == "new"
    with pytest.raises(UsageError, match="at_risk_days"):
        sg.lifecycle_stage(m, at_risk_days=400, churned_days=365)


# --------------------------------------------------------------------------- tiers


def _features() -> pl.DataFrame:
    return pl.DataFrame({
        "customer_id": ["c1", "c2", "c3", "c4", "c5"],
        "monetary": [100.0, 200, 300, 400, 500],
        "recency_days": [50, 10, 40, 20, 30],
    })


W = {"monetary": 0.6, "recency_days": 0.4}
CUTS = {"A": 0.2, "B": 0.4, "C": 0.4}


def test_tier_scorer_weights_and_share_thresholds():
    scorer = sg.TierScorer(W, CUTS).fit(_features())
    out = scorer.transform(_features())
    assert out.get_column("score_monetary").to_list() == [10.0, 30.0, 50.0, 70.0, 90.0]
    assert out.get_column("score_recency_days").to_list() == [10.0, 90.0, 30.0, 70.0, 50.0]
    assert np.allclose(out.get_column("tier_score").to_list(), [10, 54, 42, 70, 74])
    assert out.get_column("tier").to_list() == ["C", "B", "C", "B", "A"]
    assert scorer.thresholds_ == pytest.approx({"A": 74.0, "B": 54.0, "C": 0.0})
    # weights are normalised: 3:2 is the same as 0.6:0.4
    same = sg.TierScorer({"monetary": 3, "recency_days": 2}, CUTS).fit_transform(_features())
    assert same.get_column("tier").to_list() == out.get_column("tier").to_list()


def test_tier_scorer_score_cuts_and_missing_indicators():
    out = sg.TierScorer(W, {"A": 70, "B": 50, "C": 0}, method="score").fit_transform(_features())
    assert out.get_column("tier").to_list() == ["C", "B", "C", "A", "A"]
    f = _features().with_columns(pl.Series("nps", [None, None, None, None, 10.0]))
    scorer = sg.TierScorer({"monetary": 0.5, "recency_days": 0.25, "gross_margin": 0.1, "nps": 0.25}, CUTS)
    out = scorer.fit_transform(f)
    assert scorer.dropped_ == ["gross_margin"]
    # 0.5 : 0.25 : 0.1 : 0.25 normalised, then margin drops out and the rest renormalise
    assert scorer.weights_ == pytest.approx({"monetary": 0.5, "recency_days": 0.25, "nps": 0.25})
    s = out.get_column("tier_score").to_list()
    # c2 has no NPS: scored on monetary (30) and recency (90) only, weights 0.5 : 0.25
    assert s[1] == pytest.approx((0.5 * 30 + 0.25 * 90) / 0.75)
    # c5: monetary 90, recency 50, nps 50 (the only answer)
    assert s[4] == pytest.approx(0.5 * 90 + 0.25 * 50 + 0.25 * 50)
    with pytest.raises(UsageError, match="add up to 1"):
        sg.TierScorer(W, {"A": 0.5, "B": 0.6}).fit(_features())
    with pytest.raises(DataError, match="none of the weighted indicators"):
        sg.TierScorer({"nps": 1.0}).fit(_features())


def test_tier_sensitivity_counts():
    table = sg.tier_sensitivity(_features(), weights=W, cuts=CUTS, delta=0.2)
    rows = {r["indicator"]: r for r in table.iter_rows(named=True)}
    # monetary 0.8 : 0.4 -> scores 10, 50, 43.3, 70, 76.7: same tiers as the baseline
    # monetary 0.4 : 0.4 -> 10, 60, 40, 70, 70: c4 ties c5 for A (ties go up), so 1 change
    assert (rows["monetary"]["changed_up"], rows["monetary"]["changed_down"]) == (0, 1)
    # recency 0.6 : 0.6 -> as above (1); recency 0.2 : 0.6 -> 10, 45, 45, 70, 80: c3 joins B (1)
    assert (rows["recency_days"]["changed_up"], rows["recency_days"]["changed_down"]) == (1, 1)
    assert rows["monetary"]["weight_up"] == pytest.approx(0.8 / 1.2)
    assert rows["recency_days"]["weight_up"] == pytest.approx(0.5)
    assert rows["recency_days"]["changed_up_share"] == pytest.approx(0.2)


# --------------------------------------------------------------------------- clusters


def test_clusters_find_three_separated_blobs():
    rng = np.random.default_rng(3)
    groups = [(5, 50, 100_000.0), (100, 5, 1_000.0), (700, 1, 20.0)]
    rows = []
    for g, (r, f, m) in enumerate(groups):
        for i in range(30):
            rows.append((f"g{g}-{i}", max(1, int(r * rng.uniform(0.9, 1.1))), max(1, round(f * rng.uniform(0.9, 1.1))),
                         m * rng.uniform(0.9, 1.1), g))
    t = pl.DataFrame(rows, schema=["customer_id", "recency_days", "frequency", "monetary", "group"], orient="row")
    c = sg.RFMClusterer(k_range=range(2, 6), random_state=0).fit(t)
    assert c.k_ == 3
    assert c.labels_.tolist() == t.get_column("group").to_list()  # cluster 0 = highest spend
    assert c.predict(t.head(3)).tolist() == [0, 0, 0]
    prof = sg.cluster_profiles(t.with_columns(pl.Series("cluster", c.labels_)), lang="en")
    assert prof.get_column("customers").to_list() == [30, 30, 30]
    d = prof.get_column("description").to_list()
    assert d[0] == "very high spend, very recent, very frequent: 30 customers, 99% of revenue"
    assert d[1].startswith("average spend, a while since last purchase, regular: 30 customers, 1% of revenue")
    assert d[2] == "very low spend, long lapsed, rare: 30 customers, 0% of revenue"


# --------------------------------------------------------------------------- migration


def test_tier_migration_matrices_exact():
    before = pl.DataFrame({"customer_id": ["c1", "c2", "c3", "c4", "c5"],
                           "tier": ["A", "B", "C", None, "B"],
                           "monetary": [100.0, 50.0, 10.0, 0.0, 40.0]})
    after = pl.DataFrame({"customer_id": ["c1", "c2", "c3", "c4", "c6", "c7"],
                          "tier": ["B", "A", "C", "C", "A", None],
                          "monetary": [130.0, 150.0, 10.0, 20.0, 300.0, 0.0]})
    mig = sg.tier_migration(before, after)
    assert mig.counts.columns == ["from", "A", "B", "C", "prospect", "gone"]
    assert mig.counts.rows() == [
        ("A", 0, 1, 0, 0, 0),
        ("B", 1, 0, 0, 0, 1),
        ("C", 0, 0, 1, 0, 0),
        ("prospect", 0, 0, 1, 0, 0),
        ("new", 1, 0, 0, 1, 0),
    ]
    assert mig.revenue.rows() == [
        ("A", 0.0, 30.0, 0.0, 0.0, 0.0),
        ("B", 100.0, 0.0, 0.0, 0.0, 0.0),
        ("C", 0.0, 0.0, 0.0, 0.0, 0.0),
        ("prospect", 0.0, 0.0, 20.0, 0.0, 0.0),
        ("new", 300.0, 0.0, 0.0, 0.0, 0.0),
    ]
    assert mig.moved_up.get_column("customer_id").to_list() == ["c2"]
    assert mig.slipped.get_column("customer_id").to_list() == ["c1"]
    with pytest.raises(DataError, match="repeats customer c1"):
        sg.tier_migration(pl.concat([before, before.head(1)]), after)


# --------------------------------------------------------------------------- profiles


def _profiled() -> pl.DataFrame:
    return pl.DataFrame({
        "customer_id": ["a", "b", "c", "d", "e"],
        "tier": ["A", "A", "B", "C", None],
        "monetary": [600.0, 200.0, 150.0, 50.0, 0.0],
        "n_orders": [6, 2, 3, 1, 0],
        "frequency": [5, 2, 3, 1, 0],
        "recency_days": [10, 20, 30, 300, None],
    })


def test_segment_profile_and_crosstab():
    p = sg.segment_profile(_profiled(), "tier", order=["A", "B", "C"])
    assert p.get_column("tier").to_list() == ["A", "B", "C"]
    assert p.get_column("customers").to_list() == [2, 1, 1]
    assert p.get_column("revenue_share").to_list() == [0.8, 0.15, 0.05]
    assert p.get_column("avg_order_value").to_list() == [100.0, 50.0, 50.0]
    assert p.get_column("mean_frequency").to_list() == [3.5, 3.0, 1.0]
    customers = pd.DataFrame({"customer_id": ["a", "b", "c", "d", "e"],
                              "province": ["广东", "浙江", "广东", None, "广东"]})
    t = sg.with_attributes(_profiled(), customers, ["province"], missing="(missing)")
    ct = sg.profile_crosstab(t, "tier", "province", value="revenue")
    assert ct.columns == ["tier", "广东", "浙江", "(missing)", "total"]
    assert ct.rows() == [("A", 600.0, 200.0, 0.0, 800.0), ("B", 150.0, 0.0, 0.0, 150.0),
                         ("C", 0.0, 0.0, 50.0, 50.0)]
    top1 = sg.profile_crosstab(t, "tier", "province", top=1, other="other")
    assert top1.rows() == [("A", 1, 1, 2), ("B", 1, 0, 1), ("C", 0, 1, 1)]


# --------------------------------------------------------------------------- build


def test_settings_from_mapping():
    st = sg.SegmentSettings.from_mapping({"abc_shares": [0.8, 0.15, 0.05], "n_scores": 5, "new_days": 60})
    assert st.abc_shares == (0.8, 0.15, 0.05) and st.new_days == 60
    with pytest.raises(UsageError, match="unknown key"):
        sg.SegmentSettings.from_mapping({"abc_cuts": [0.7]})
    with pytest.raises(UsageError, match="churned_days"):
        sg.SegmentSettings.from_mapping({"at_risk_days": 400})
    with pytest.raises(UsageError, match="moved to transactions.outlier_amounts"):
        sg.SegmentSettings.from_mapping({"exclude_outliers": True})
    with pytest.raises(UsageError, match="segmentation.frequency_basis"):
        sg.SegmentSettings.from_mapping({"frequency_basis": "weeks"})


def test_build_segments_on_the_small_demo(small_processed, monkeypatch):
    from workbench import context

    ctx = context.resolve(small_processed, results_dir=small_processed.parent / "seg_results")
    orders, customers = ctx.load("orders"), ctx.load("customers")
    seg = sg.build_segments(orders, customers, as_of=ctx.as_of, surveys=ctx.load("surveys"),
                            settings=sg.SegmentSettings(k_max=4))
    t = seg.table
    assert t.columns[:13] == list(sg.SEGMENT_COLUMNS)
    assert t.height == customers.height == seg.results["customers"]
    assert t.get_column("customer_id").is_unique().all()
    r = seg.results
    assert sum(r["tiers"].values()) == r["buyers"] == t.filter(pl.col("frequency") > 0).height
    assert sum(r["lifecycle"].values()) == t.height
    assert r["lifecycle"]["prospect"] == r["prospects"] == t.height - r["buyers"]
    assert sum(r["abc"].values()) == sum(r["segments"].values()) == r["buyers"]
    assert abs(sum(r["abc_revenue_share"].values()) - 1) < 1e-5
    # every buyer's revenue is accounted for: the sum of the transaction log's value (a flagged
    # order is a purchase, its amount capped); the flagged purchases are reported
    log = transactions.transactions(orders, ctx.as_of, ctx.transaction_settings).collect()
    assert t.get_column("monetary").sum() == pytest.approx(log.get_column("value").sum())
    # the order columns the segmentation declares it reads are all it reads: the same table
    narrow = ctx.loader(sg.READS)("orders")
    assert narrow.width < orders.width
    again = sg.build_segments(narrow, customers, as_of=ctx.as_of, surveys=ctx.load("surveys"),
                              settings=sg.SegmentSettings(k_max=4))
    assert again.table.equals(t)
    # the orders scanned (the notebook's way), and the per-customer tables summarised in
    # hash partitions of the customers (as at tens of millions of orders): the same table
    monkeypatch.setattr(frames, "ROWS_PER_PART", 500)
    parted = sg.build_segments(ctx.loader(sg.READS, lazy=["orders"])("orders"), customers,
                               as_of=ctx.as_of, surveys=ctx.load("surveys"),
                               settings=sg.SegmentSettings(k_max=4))
    assert parted.table.equals(t)
    flagged = transactions.purchases(log).filter(pl.col("is_outlier")).collect()
    assert r["outliers"]["orders"] == flagged.height == t.get_column("outlier_orders").sum()
    assert r["outliers"]["amount"] == pytest.approx(flagged.get_column("amount").sum())
    assert r["outliers"]["counted"] == pytest.approx(flagged.get_column("value").sum())
    assert t.filter(pl.col("lifecycle_stage") == "prospect").get_column("tier").null_count() == r["prospects"]


# --------------------------------------------------------------------------- presentation


def test_migration_as_of_month_ends():
    assert sg.migration_as_of("2026-10-31", 3) == date(2026, 7, 31)
    assert sg.migration_as_of(date(2026, 3, 31), 1) == date(2026, 2, 28)
    assert sg.migration_as_of(date(2026, 2, 15), 3) == date(2025, 11, 30)


def test_localize_labels_and_percents():
    p = sg.segment_profile(_profiled().with_columns(
        pl.Series("rfm_segment", ["champions", "champions", "lost", "lost", None])), "rfm_segment")
    zh = sg.localize(p, "zh")
    assert list(zh.columns[:3]) == ["RFM分群", "客户", "客户占比"]
    assert zh["RFM分群"].tolist() == ["重要价值客户", "已流失客户"]
    assert zh["销售额占比"].tolist() == ["80.0%", "20.0%"]
    guide = sg.segment_guide(p, None, "en")
    assert guide.get_column("label").to_list()[:2] == ["Champions", "Loyal"]
    assert guide.get_column("customers").to_list()[:2] == [2, 0]
    assert guide.get_column("treatment")[0].startswith("Dedicated account manager")


def test_build_narrative_and_migration_on_hand_made_data():
    orders = pl.DataFrame({
        "order_id": [f"o{i}" for i in range(12)],
        "customer_id": ["a", "a", "a", "b", "b", "c", "d", "e", "e", "f", "g", "h"],
        "order_date": [date(2024, 1, 5), date(2024, 3, 5), date(2024, 6, 1), date(2024, 2, 1), date(2024, 6, 10),
                       date(2023, 5, 1), date(2024, 6, 20), date(2023, 9, 1), date(2024, 1, 1), date(2024, 4, 1),
                       date(2024, 5, 15), date(2024, 6, 28)],
        "amount": [500.0, 700, 900, 200, 300, 50, 120, 80, 60, 400, 30, 1000],
        "status": ["completed"] * 12,
    })
    customers = pl.DataFrame({"customer_id": list("abcdefghp")})
    st = sg.SegmentSettings(k_min=2, k_max=3)
    seg = sg.build_segments(orders, customers, as_of=AS_OF, settings=st)
    assert seg.results["customers"] == 9 and seg.results["buyers"] == 8 and seg.results["prospects"] == 1
    assert seg.results["outliers"] == {"orders": 0, "customers": 0, "amount": 0.0, "counted": 0.0}
    assert seg.results["dropped_indicators"] == ["gross_margin", "nps"]
    text = sg.narrative(seg, "en")
    assert set(text) == {"scope", "abc", "rfm", "lifecycle", "tiers", "clusters"}
    assert "**9** customers in the archive, **8** with a purchase and **1** without" in text["scope"]
    assert "The data has no Gross margin, NPS" in text["tiers"]

    def load(table):
        frames = {"orders": orders.filter(pl.col("order_date") <= date(2024, 3, 31)), "customers": customers}
        if table not in frames:
            raise DataError("no surveys")
        return frames[table]

    mig = sg.migration_since(load, date(2024, 3, 31), seg)
    assert mig.counts.filter(pl.col("from") == "prospect").get_column("prospect").item() == 1  # p
    moved = mig.transitions.filter(pl.col("tier_before") == "prospect").get_column("customer_id").to_list()
    assert moved == ["d", "f", "g", "h", "p"]  # first purchases after March, and p still without one
    assert "Compared with **2024-03-31**" in sg.migration_text(mig, date(2024, 3, 31), "en")
    assert sg.migration_since(load, date(2022, 12, 31), seg) is None
    assert "no purchases on or before 2022-12-31" in sg.migration_text(None, date(2022, 12, 31), "en")
    with pytest.raises(UsageError, match="must be before"):
        sg.migration_since(load, AS_OF, seg)


# --------------------------------------------------------------------------- the transaction model


def test_estimators_follow_scikit_learn():
    scorer = sg.TierScorer(W, CUTS, method="share")
    copy = clone(scorer)
    assert copy.get_params() == scorer.get_params() and copy.weights is not scorer.weights
    assert scorer.get_params()["weights"] is W  # stored untouched
    with pytest.raises(NotFittedError):
        scorer.transform(_features())
    assert scorer.set_params(method="score", cuts={"A": 70, "B": 50, "C": 0}) is scorer
    assert scorer.fit(_features()) is scorer and hasattr(scorer, "thresholds_")
    assert not hasattr(clone(scorer), "thresholds_")
    bad = sg.TierScorer(W, {"A": 0.5, "B": 0.6})  # checked in fit, not in __init__
    with pytest.raises(UsageError, match="add up to 1"):
        bad.fit(_features())
    clusterer = sg.RFMClusterer(k_range=range(2, 4), random_state=1)
    assert clone(clusterer).get_params() == clusterer.get_params()
    with pytest.raises(NotFittedError):
        clusterer.predict(_features().with_columns(frequency=pl.lit(1)))
    with pytest.raises(UsageError, match="cluster counts of 2 or more"):
        sg.RFMClusterer(k_range=[1, 2]).fit(_features().with_columns(frequency=pl.lit(1)))


def test_key_account_with_flagged_orders_is_not_a_prospect():
    orders = pl.DataFrame({
        "order_id": ["k1", "k2", "a1", "b1", "b2", "c1"],
        "customer_id": ["K", "K", "a", "b", "b", "c"],
        "order_date": [date(2024, 3, 1), date(2024, 6, 1), date(2024, 5, 1), date(2024, 1, 1),
                       date(2024, 6, 1), date(2023, 2, 1)],
        "amount": [5_000_000.0, 4_000_000.0, 100.0, 200.0, 300.0, 50.0],
        "status": ["completed"] * 6,
        "is_outlier": [True, True, False, False, False, False],
    })
    customers = pl.DataFrame({"customer_id": ["K", "a", "b", "c", "p"]})
    seg = sg.build_segments(orders, customers, as_of=AS_OF, settings=sg.SegmentSettings(k_min=2, k_max=2),
                            cluster=False)
    k = seg.table.filter(pl.col("customer_id") == "K").row(0, named=True)
    assert (k["purchase_days"], k["outlier_orders"], k["lifecycle_stage"]) == (2, 2, "active")
    assert k["tier"] is not None and k["rfm_segment"] is not None
    # cap: each flagged amount is capped at the 0.99 quantile of 100, 200, 300, 50 (297)
    assert k["monetary"] == pytest.approx(2 * 297.0)
    assert seg.results["prospects"] == 1 and seg.results["outliers"]["orders"] == 2
    assert seg.results["outliers"]["amount"] == 9_000_000.0
    assert "2 order(s) flagged as outliers" in sg.narrative(seg, "en", "USD")["scope"]
    excluded = sg.build_segments(orders, customers, as_of=AS_OF, cluster=False,
                                 transaction_settings=TransactionSettings(outlier_amounts="exclude"))
    k2 = excluded.table.filter(pl.col("customer_id") == "K").row(0, named=True)
    assert (k2["monetary"], k2["lifecycle_stage"], k2["purchase_days"]) == (0.0, "active", 2)


def test_purchase_days_match_clv_and_net_revenue_matches_the_model(small_processed):
    from workbench import context

    ctx = context.resolve(small_processed, results_dir=small_processed.parent / "seg_results")
    orders, customers = ctx.load("orders"), ctx.load("customers")
    seg = sg.build_segments(orders, customers, as_of=ctx.as_of, settings=sg.SegmentSettings(k_max=4),
                            transaction_settings=ctx.transaction_settings, cluster=False)
    t = seg.table
    log = transactions.transactions(orders, ctx.as_of, ctx.transaction_settings)
    # THE acceptance criterion: no customer with a purchase on or before as_of is a prospect ...
    buyers = transactions.purchases(log).select("customer_id").unique().collect()
    stages = buyers.join(t, on="customer_id", how="left").get_column("lifecycle_stage")
    assert stages.null_count() == 0 and "prospect" not in stages.to_list()
    assert t.filter(pl.col("lifecycle_stage") == "prospect").height == t.height - buyers.height
    # ... and segmentation's purchase days are CLV's repeat purchases + 1 (rfm.summary, period D)
    clv = rfm.summary(transactions.purchases(log).collect(), "customer_id", "day",
                      observation_period_end=ctx.as_of, freq="D")
    both = clv.join(t.select("customer_id", "purchase_days"), on="customer_id", how="left")
    assert both.height == buyers.height
    assert (both.get_column("purchase_days") == both.get_column("frequency") + 1).all()
    # the 12-month net revenue is the transaction model's number (0 without a transaction in it)
    net = transactions.net_revenue(log, ctx.as_of, 12).collect()
    joined = t.select("customer_id", "net_revenue_12m").join(net, on="customer_id", how="left",
                                                             suffix="_model")
    assert np.allclose(joined.get_column("net_revenue_12m").to_numpy(),
                       joined.get_column("net_revenue_12m_model").fill_null(0.0).to_numpy())
    prof = sg.segment_profile(t, "tier", order=["A", "B", "C"])
    assert prof.get_column("net_revenue_12m").sum() == pytest.approx(
        t.filter(pl.col("tier").is_not_null()).get_column("net_revenue_12m").sum())
