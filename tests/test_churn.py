"""Tests of the churn warning model (workbench.churn): labels, leak-free features, models, outputs."""

from __future__ import annotations

import functools
import json
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import polars as pl
import pytest

from workbench import churn, datasets, demo, schema, segment, transactions
from workbench.churn import importance
from workbench.errors import DataError, ModelError, UsageError
from workbench.transactions import TransactionSettings

DEMO_END = date(2026, 10, 31)


def _orders(rows):
    """Canonical orders from (customer_id, date, amount[, status]) tuples."""
    out = []
    for i, r in enumerate(rows):
        cid, d, amt = r[:3]
        status = r[3] if len(r) > 3 else "completed"
        out.append({"order_id": f"o{i}", "customer_id": cid, "order_date": d, "amount": float(amt),
                    "quantity": 1, "gross_margin": None, "product_category": None, "channel": None,
                    "status": status})
    return pl.DataFrame(out, schema=schema.get("orders").polars_schema, orient="row")


# ------------------------------------------------------------------ window, population, labels


def test_fit_window_uses_a_high_quantile_of_gaps_rounded_up():
    # One customer with gaps 1, 2, ..., 25 days between purchases.
    days = np.cumsum([0] + list(range(1, 26)))
    start = date(2024, 1, 1)
    orders = _orders([("c1", start + timedelta(days=int(d)), 10) for d in days])
    w = churn.fit_window(orders, quantile=0.9, round_to=30)
    assert w.n_gaps == 25
    assert w.gap_quantile_days == pytest.approx(22.6)
    assert w.median_gap_days == 13.0
    assert w.days == 30 and w.fitted
    assert churn.fit_window(orders, quantile=0.9, round_to=7).days == 28
    assert "22.6" not in w.explain("en") and "23 days" in w.explain("en")
    assert "30 天" in w.explain("zh")
    given = churn.fit_window(orders, days=45)
    assert given.days == 45 and not given.fitted and "45 days" in given.explain("en")


def test_fit_window_refuses_too_few_repeat_purchases_and_bad_arguments():
    orders = _orders([("c1", date(2024, 1, 1), 5), ("c1", date(2024, 2, 1), 5)])
    with pytest.raises(DataError, match="churn_window_days"):
        churn.fit_window(orders)
    with pytest.raises(UsageError):
        churn.fit_window(orders, quantile=1.2)
    with pytest.raises(UsageError):
        churn.fit_window(orders, days=0)


def test_population_and_labels_on_a_hand_made_log():
    c = date(2024, 6, 30)
    orders = _orders([
        ("a", date(2024, 6, 1), 10), ("a", date(2024, 7, 15), 10),     # active, buys again: stays
        ("b", date(2024, 5, 15), 10),                                     # active, silent: churns
        ("c", date(2024, 1, 1), 10), ("c", date(2024, 7, 2), 10),       # lapsed at c: not in population
        ("d", date(2024, 7, 1), 10),                                      # first purchase after c: not in
        ("e", date(2024, 6, 30), 10), ("e", date(2024, 8, 29), 10),     # buys on day c + 60: stays
        ("f", date(2024, 6, 20), 10), ("f", date(2024, 7, 5), -10, "returned"),  # a return is no purchase
        ("g", date(2024, 6, 25), 10), ("g", date(2024, 7, 3), 10, "cancelled"),  # cancelled is no purchase
    ])
    buys, rets = churn.purchases(orders)
    assert rets.height == 1 and rets.item(0, "amount") == 10.0
    pop = churn.population(buys, c, lapsed_days=60)
    assert pop.get_column("customer_id").to_list() == ["a", "b", "e", "f", "g"]
    lab = churn.labels(buys, pop.get_column("customer_id"), c, 60)
    assert lab.get_column("churned").to_list() == [0, 1, 0, 1, 1]
    # The window end is inclusive, the cut-off day itself is not in it.
    assert churn.labels(buys, ["e"], c, 59).item(0, "churned") == 1


def test_outlier_orders_count_as_purchases_with_the_house_policy_amount():
    # The house's outlier policy (workbench.transactions): a flagged order is a purchase;
    # its amount is capped (default: at the 0.99 quantile of the unflagged purchases, 10 here),
    # kept or excluded.  Before the one transaction model churn left the amount empty.
    orders = _orders([("a", date(2024, 6, 1), 10), ("a", date(2024, 6, 20), 99999)]).with_columns(
        pl.Series("is_outlier", [False, True]))
    buys, _ = churn.purchases(orders)
    assert buys.get_column("amount").to_list() == [10.0, 10.0]
    for policy, amounts in (("keep", [10.0, 99999.0]), ("exclude", [10.0, 0.0])):
        st = TransactionSettings(outlier_amounts=policy)
        assert churn.purchases(orders, settings=st)[0].get_column("amount").to_list() == amounts
    fs = churn.build_features({"orders": orders}, date(2024, 6, 30), 90, segmenter=None, with_p_alive=False)
    row = fs.frame.row(0, named=True)
    assert (row["recency_days"], row["purchase_days"], row["monetary_total"]) == (10, 2, 20.0)


def test_the_outlier_cap_of_a_cutoff_sees_only_amounts_known_then():
    # With the cap policy the cap is a quantile of the unflagged purchases known at the
    # cut-off: later amounts (here 100x bigger) do not move a flagged order's value.
    rows = [("a", date(2024, 5, 1) + timedelta(days=d), 10 + d) for d in range(0, 40, 4)]
    rows += [("a", date(2024, 6, 20), 99999), ("a", date(2024, 8, 1), 5000)]
    orders = _orders(rows).with_columns(pl.Series("is_outlier", [False] * (len(rows) - 2) + [True, False]))
    cut = date(2024, 6, 30)
    kw = {"segmenter": None, "with_p_alive": False}
    ref = churn.build_features({"orders": orders}, cut, 90, **kw).frame
    later = orders.with_columns(pl.when(pl.col("order_date") > cut).then(pl.col("amount") * 100)
                                .otherwise(pl.col("amount")).alias("amount"))
    assert churn.build_features({"orders": later}, cut, 90, **kw).frame.equals(ref)
    cap = np.quantile([10.0 + d for d in range(0, 40, 4)], 0.99)
    assert ref.item(0, "monetary_total") == pytest.approx(sum(10 + d for d in range(0, 40, 4)) + cap)


# ------------------------------------------------------------------ features: no leakage


@pytest.fixture(scope="module")
def small_tables():
    return demo.generate(600, seed=3)


def test_features_never_see_data_after_the_cutoff(small_tables):
    cut = date(2026, 3, 31)
    full = churn.build_features(small_tables, cut, lapsed_days=180)
    trunc = churn.build_features(churn.truncate(small_tables, cut), cut, lapsed_days=180)
    assert full.groups == ["rfm", "returns", "complaints", "visits", "satisfaction", "profile",
                           "segment", "clv"]
    assert full.frame.height > 50
    assert full.frame.equals(trunc.frame)

    # Perturb everything after the cut-off: amounts, new orders, complaints, resolutions, visits.
    t = dict(small_tables)
    o = t["orders"]
    after = pl.col("order_date") > cut
    t["orders"] = pl.concat([
        o.with_columns(pl.when(after).then(pl.col("amount") * 7).otherwise(pl.col("amount")).alias("amount")),
        o.filter(after).head(200).with_columns((pl.col("order_id") + "x"),
                                               pl.lit("completed").alias("status")),
    ])
    k = t["complaints"]
    t["complaints"] = k.with_columns(
        pl.when(pl.col("resolved_at") > datetime(2026, 4, 1)).then(pl.lit(None, pl.Datetime("us")))
        .otherwise(pl.col("resolved_at")).alias("resolved_at"),
        pl.when(pl.col("opened_at") > datetime(2026, 4, 1)).then(pl.lit("critical"))
        .otherwise(pl.col("severity")).alias("severity"))
    v = t["visits"]
    t["visits"] = v.with_columns(pl.when(pl.col("visit_date") > cut).then(pl.col("visit_date") - timedelta(days=0))
                                 .otherwise(pl.col("visit_date")).alias("visit_date"),
                                 pl.when(pl.col("visit_date") > cut).then(pl.lit("on-site"))
                                 .otherwise(pl.col("kind")).alias("kind"))
    perturbed = churn.build_features(t, cut, lapsed_days=180)
    assert perturbed.frame.equals(full.frame)
    # ... while perturbing a row before the cut-off does change them (the test can fail).
    t2 = dict(small_tables)
    t2["orders"] = o.with_columns(pl.when(pl.col("order_date") <= cut).then(pl.col("amount") * 2)
                                  .otherwise(pl.col("amount")).alias("amount"))
    assert not churn.build_features(t2, cut, lapsed_days=180).frame.equals(full.frame)


def test_features_do_not_depend_on_the_order_of_rows(small_tables):
    # Float sums per customer are order-independent (polars' parallel sums are not): the
    # same data in another row order gives bit-identical features, so the same scores.
    cut = date(2026, 3, 31)
    ref = churn.build_features(small_tables, cut, lapsed_days=180).frame
    shuffled = {k: v.sample(fraction=1.0, shuffle=True, seed=1) for k, v in small_tables.items()}
    assert churn.build_features(shuffled, cut, lapsed_days=180).frame.equals(ref)


def test_money_features_in_cents_and_the_order_value_spread():
    # Sums in whole cents; the spread (sample standard deviation / mean) from sums of cents
    # and of squared cents: 10, 20, 30.10 -> mean 20.0333..., std 10.0501...
    orders = _orders([("a", date(2024, 6, 1), 10), ("a", date(2024, 6, 11), 20),
                      ("a", date(2024, 6, 21), 30.10), ("b", date(2024, 6, 25), 7.35),
                      ("b", date(2024, 6, 26), 2.0, "returned")])
    fs = churn.build_features({"orders": orders}, date(2024, 6, 30), 90, segmenter=None, with_p_alive=False)
    a, b = fs.frame.row(0, named=True), fs.frame.row(1, named=True)
    amounts = np.array([10.0, 20.0, 30.10])
    # Cents back to money as the house does it (workbench.transactions.from_cents): to the last bit
    # or one unit in the last place of the decimal amount.
    assert a["monetary_total"] == pytest.approx(60.1, rel=1e-15)
    assert a["avg_order_value"] == pytest.approx(60.1 / 3, rel=1e-15)
    assert a["order_value_cv"] == pytest.approx(amounts.std(ddof=1) / amounts.mean(), rel=1e-12)
    assert (a["typical_gap_days"], a["purchase_days"]) == (10.0, 3.0)
    assert a["spend_90d"] == a["monetary_total"] == a["spend_365d"]
    assert b["order_value_cv"] is None   # one purchase: no spread
    assert b["monetary_total"] == pytest.approx(7.35, rel=1e-15)
    assert b["return_share"] == pytest.approx(2.0 / 7.35, rel=1e-15) and a["return_share"] == 0.0


def test_customer_codes_sort_like_the_ids_and_drop_customers_without_orders():
    codes = churn.CustomerCodes(pl.Series(["c2", "a9", "b1", "a9"]))
    assert codes.ids.to_list() == ["a9", "b1", "c2"] and len(codes) == 3
    assert codes.codes(pl.Series(["b1", "zz", "a9", None, "c2", "a"])).to_list() == [1, None, 0, None, 2, None]
    visits = pl.DataFrame({"customer_id": ["c2", "x", "a9"], "n": [1, 2, 3]})
    coded = codes.encode(visits)
    assert coded.get_column("customer_id").to_list() == [2, 0] and coded.get_column("n").to_list() == [1, 3]
    assert codes.decode(coded).get_column("customer_id").to_list() == ["c2", "a9"]
    assert churn.CustomerCodes(pl.Series([], dtype=pl.String)).codes(pl.Series(["a"])).to_list() == [None]


def test_the_builders_log_at_an_earlier_cutoff_is_the_log_built_then(small_tables):
    """The log at a cut-off is cut from the builder's log (read once): the rows and values of the
    segmentation's log built from the orders at that cut-off, its customers coded; with the
    cap policy, the cap (and the capped values and margins) are the ones known then."""
    orders = small_tables["orders"]
    late, early = date(2026, 10, 31), date(2026, 3, 31)
    flagged = orders.with_columns(pl.col("order_id").is_in(orders.get_column("order_id").head(3).implode())
                                  .alias("is_outlier"),
                                  (pl.col("amount") * 40).alias("amount"),
                                  (pl.col("amount") * 0.3).alias("gross_margin"))
    for policy in (None, TransactionSettings(outlier_amounts="keep")):
        default = functools.partial(churn.default_segmenter, transaction_settings=policy)
        builder = churn.FeatureBuilder({"orders": flagged}, late, settings=policy, segmenter=default)
        assert builder._segments_from_log
        assert builder.log.get_column("customer_id").dtype == pl.UInt32
        for cut in (late, early):
            want = segment.transaction_log(flagged, cut, policy).collect()
            got = builder.codes.decode(builder.log_at(cut).collect())
            assert builder.log.columns == ["customer_id", "day", "kind", "is_outlier", "amount",
                                           "order_margin"]
            assert got.columns == ["customer_id", "day", "kind", "is_outlier", "value", "margin"]
            assert got.height == want.height > 0
            assert got.with_columns(pl.col("kind").cast(pl.String)).equals(want.select(got.columns))
    # no until: every order, the same log as at the last order's day
    last = flagged.get_column("order_date").max()
    assert churn.FeatureBuilder({"orders": flagged}).log.equals(
        churn.FeatureBuilder({"orders": flagged}, last).log)
    with pytest.raises(UsageError, match="up to 2026-03-31"):
        churn.FeatureBuilder({"orders": flagged}, early).log_at(late)
    # a lazy scan gives the same log
    lazy = churn.FeatureBuilder({"orders": flagged.lazy()}, late)
    assert lazy.log.equals(churn.FeatureBuilder({"orders": flagged}, late).log)


def test_one_feature_builder_gives_each_cutoffs_features(small_tables):
    cuts = [date(2026, 3, 31), date(2026, 1, 30)]
    builder = churn.FeatureBuilder(small_tables, cuts[0])
    for c in cuts:
        one = churn.build_features(small_tables, c, lapsed_days=180)
        fs = builder.at(c, 180)
        assert fs.frame.equals(one.frame) and fs.features == one.features and fs.groups == one.groups
        assert fs.frame.get_column("customer_id").dtype == pl.String
        assert fs.frame.get_column("customer_id").is_sorted()


def test_the_tiers_read_from_the_features_log_are_the_segmentations(small_tables):
    cut = date(2026, 3, 31)
    for policy in (None, TransactionSettings(outlier_amounts="keep")):
        # The default segmenter (under the builder's outlier policy) reads the features' own
        # log; any other segmenter runs build_segments on the tables truncated at the cut-off.
        default = (churn.default_segmenter if policy is None
                   else functools.partial(churn.default_segmenter, transaction_settings=policy))

        def rebuilt(tables, cutoff, p=policy):
            return churn.default_segmenter(tables, cutoff, transaction_settings=p)

        assert churn.FeatureBuilder(small_tables, cut, segmenter=default, settings=policy)._segments_from_log
        assert not churn.FeatureBuilder(small_tables, cut, segmenter=rebuilt, settings=policy)._segments_from_log
        fast = churn.build_features(small_tables, cut, 180, segmenter=default, settings=policy)
        slow = churn.build_features(small_tables, cut, 180, segmenter=rebuilt, settings=policy)
        assert "segment" in fast.groups and fast.groups == slow.groups
        assert fast.frame.equals(slow.frame)
        tiers = fast.frame.get_column("tier")
        assert tiers.null_count() == 0 and set(tiers.unique()) <= {"A", "B", "C"}


def test_segments_from_log_are_build_segments_tiers_segments_and_stages(small_tables):
    cut = date(2026, 3, 31)
    orders, surveys = small_tables["orders"], small_tables["surveys"]
    table = segment.build_segments(orders, small_tables["customers"], as_of=cut, surveys=surveys,
                                   cluster=False).table
    expected = table.filter(pl.col("tier").is_not_null()).select(
        "customer_id", "tier", "rfm_segment", "lifecycle_stage")
    got = churn.segments_from_log(segment.transaction_log(orders, cut).collect(), surveys, cut)
    assert got is not None and got.height == expected.height > 300
    assert got.equals(expected)
    nobody = segment.transaction_log(orders, date(2000, 1, 1)).collect()
    assert churn.segments_from_log(nobody, surveys, date(2000, 1, 1)) is None


def test_complaint_features_treat_later_resolutions_as_open():
    cut = date(2024, 6, 30)
    orders = _orders([("a", date(2024, 6, 1), 10), ("b", date(2024, 6, 2), 10)])
    complaints = pl.DataFrame({
        "complaint_id": ["k1", "k2", "k3", "k4"],
        "customer_id": ["a", "a", "a", "b"],
        "opened_at": [datetime(2024, 1, 1, 8), datetime(2024, 6, 1, 8), datetime(2024, 6, 30, 23),
                      datetime(2024, 7, 1, 0)],
        "resolved_at": [datetime(2024, 1, 2, 8), datetime(2024, 7, 3, 8), None, None],
        "category": [None] * 4,
        "severity": ["low", "high", "medium", "critical"],
    }, schema=schema.get("complaints").polars_schema)
    fs = churn.build_features({"orders": orders, "complaints": complaints}, cut, lapsed_days=90,
                              segmenter=None, with_p_alive=False)
    row = fs.frame.filter(pl.col("customer_id") == "a").row(0, named=True)
    assert row["complaints_count"] == 3
    assert row["complaints_180d"] == 2
    assert row["unresolved_complaints"] == 2          # k2 resolved only after the cut-off
    assert row["max_severity"] == 3                   # high
    assert row["mean_resolution_hours"] == 24.0       # only k1 was resolved by then
    assert row["days_since_complaint"] == 0
    b = fs.frame.filter(pl.col("customer_id") == "b").row(0, named=True)
    assert b["complaints_count"] == 0 and b["max_severity"] == 0 and b["days_since_complaint"] is None
    assert fs.missing["visits"] == "no visits table"
    assert fs.missing["clv"] == "probability alive switched off"


# ------------------------------------------------------------------ metrics and reasons


def test_lift_and_gains_exact():
    y = [1, 0, 1, 0, 0, 0, 0, 0, 0, 1]
    s = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.0]
    assert churn.lift_at(y, s, 0.1) == pytest.approx(1 / 0.3)
    assert churn.lift_at(y, s, 0.3) == pytest.approx((2 / 3) / 0.3)
    g = churn.gains_table(y, s, shares=(0.2, 0.5))
    assert g["customers"].tolist() == [2, 5]
    assert g["churners"].tolist() == [1, 2]
    assert g["gain"].tolist() == pytest.approx([1 / 3, 2 / 3])
    m = churn.evaluate_scores(y, s)
    assert m["roc_auc"] == pytest.approx(13 / 21)
    assert m["brier"] == pytest.approx(np.mean((np.array(s) - np.array(y)) ** 2))
    assert churn.evaluate_scores(y, s, is_probability=False)["brier"] is None
    assert churn.threshold_max_f1(y, s) == pytest.approx(0.7)


def test_permutation_importance_preprocessing_once_equals_shuffling_raw_columns(small_tables):
    fs = churn.build_features(small_tables, date(2026, 3, 31), 180, segmenter=None)
    y = churn.labels(churn.purchases(small_tables["orders"])[0], fs.frame.get_column("customer_id"),
                     date(2026, 3, 31), 180).get_column("churned").to_numpy()
    X = fs.to_pandas()
    assert len(y) > 150 and 0.2 < y.mean() < 0.8
    for kind, repeats in (("hgb", 2), ("logreg", 1)):
        with churn.one_thread():  # as in analyse (speed only)
            pipe = churn.build_pipeline(kind, fs.numeric, fs.categorical, seed=1).fit(X, y)
        # The fast path is really taken: every preprocessed column belongs to one feature,
        # categoricals to several columns (one-hot), some numerics to two (missing indicator).
        blocks = importance._preprocessed_blocks(pipe, list(X.columns))
        width = pipe[0].transform(X.head(2)).shape[1]
        assert sorted(np.concatenate(blocks).tolist()) == list(range(width))
        assert len(blocks[list(X.columns).index("province")]) > 1
        assert len(blocks[list(X.columns).index("days_since_complaint")]) == 2
        kw = {"seed": 4, "n_repeats": repeats, "max_rows": 150}
        fast = churn.permutation_importances(pipe, X, y, **kw)
        slow = churn.permutation_importances(pipe, X, y, preprocess_once=False, **kw)
        pd.testing.assert_frame_equal(fast, slow, check_exact=True)
        assert fast["importance"].max() > 0.01 and set(fast["feature"]) == set(X.columns)
    other = churn.permutation_importances(pipe, X, y, **{**kw, "seed": 5})
    assert not other["importance"].equals(fast["importance"])


def test_reasons_and_actions_in_both_languages():
    frame = pl.DataFrame({
        "customer_id": ["a", "b"], "recency_days": [120.0, 5.0], "typical_gap_days": [30.0, 10.0],
        "unresolved_complaints": [2.0, 0.0], "max_severity": [1.0, 0.0], "complaints_180d": [2.0, 0.0],
        "complaints_count": [2.0, 0.0], "latest_nps": [9.0, None], "purchase_days": [4.0, 3.0],
        "tenure_days": [400.0, 300.0],
    })
    fs = churn.FeatureSet(date(2024, 6, 30), frame, [c for c in frame.columns if c != "customer_id"],
                          [], ["rfm", "complaints"], {})
    imp = pd.DataFrame({"feature": ["recency_days", "unresolved_complaints"], "importance": [0.02, 0.05]})
    r = churn.explain(fs, imp, median_gap_days=20.0)
    a = r.row(0, named=True)
    assert a["reason_codes"] == ["unresolved_complaints", "overdue", "recent_complaints"]
    assert a["reasons_en"].startswith("2 unresolved complaints; no order for 120 days, usually orders every 30")
    assert a["reasons_zh"].startswith("2 条投诉未解决；已 120 天未下单(通常每 30 天一次)")
    b = r.row(1, named=True)
    assert b["reason_codes"] == [] and b["reasons_en"].startswith("overall pattern")
    assert churn.suggest_action("A", a["reason_codes"], "en") == \
        "account manager calls within 48h and escalates the open complaint"
    assert churn.suggest_action("A", a["reason_codes"], "zh") == "客户经理48小时内致电,并升级处理未决投诉"
    assert churn.suggest_action("C", ["overdue"], "en") == "automated win-back coupon by SMS/WeChat"
    assert churn.suggest_action("B", ["few_visits", "overdue"], "en") == "schedule an on-site visit within 2 weeks"


# ------------------------------------------------------------------ the whole analysis on demo data


@pytest.fixture(scope="module")
def demo_tables():
    return demo.generate(3000, seed=5)


@pytest.fixture(scope="module")
def demo_analysis(demo_tables):
    return churn.analyse(demo_tables, DEMO_END, churn.ChurnSettings(importance_repeats=2), seed=7)


def test_the_order_columns_churn_declares_are_all_it_reads(demo_tables, demo_analysis):
    orders = demo_tables["orders"]
    narrow = orders.select(c for c in orders.columns if c in churn.READS["orders"])
    assert narrow.width < orders.width
    a = churn.analyse({**demo_tables, "orders": narrow}, DEMO_END,
                      churn.ChurnSettings(importance_repeats=2), seed=7)
    assert a.scores.equals(demo_analysis.scores)
    assert a.evaluation.equals(demo_analysis.evaluation)


def test_model_beats_both_baselines_out_of_time(demo_analysis):
    a = demo_analysis
    assert a.window.fitted and a.window.days == 180
    assert a.test_cutoff == DEMO_END - timedelta(days=180)
    assert a.train_cutoffs[0] == a.test_cutoff - timedelta(days=180)
    assert max(a.train_cutoffs) + timedelta(days=a.window.days) <= a.test_cutoff
    assert a.missing == {}
    for base in ("recency", "p_alive"):
        assert a.metric("hgb", "roc_auc") > a.metric(base, "roc_auc") + 0.02, base
        assert a.metric("hgb", "lift_at_10") > a.metric(base, "lift_at_10"), base
    assert int(a.confusion.to_numpy().sum()) == a.test_size
    # Capacity rule: the riskiest 20 % are flagged, at the test cut-off and today.
    assert int(a.confusion.to_numpy()[:, 1].sum()) == int(np.ceil(0.2 * a.test_size))
    assert int(a.scores.get_column("flagged").sum()) == int(np.ceil(0.2 * a.scores.height))
    assert a.scores.filter(pl.col("flagged")).get_column("churn_probability").min() == a.threshold
    assert list(a.importance.columns) == ["feature", "group", "importance", "importance_std"]
    assert set(a.importance["feature"]) == set(a.features_list)


def test_warning_list_ranks_revenue_at_risk_with_owner_reasons_and_action(demo_analysis, demo_tables):
    a = demo_analysis
    clv = a.scores.select("customer_id", pl.lit(1000.0).alias("clv")).head(10)
    w = churn.warning_list(a, demo_tables["customers"], clv=clv, lang="zh")
    assert w.height == int(a.scores.get_column("flagged").sum()) > 0
    risk = w.get_column("revenue_at_risk").to_list()
    assert risk == sorted(risk, reverse=True)
    assert w.get_column("rank").to_list() == list(range(1, w.height + 1))
    got = w.filter(pl.col("value_source") == "clv")
    assert (got.get_column("revenue_at_risk") == got.get_column("churn_probability") * 1000.0).all()
    assert w.get_column("action").null_count() == 0 and w.get_column("reasons").null_count() == 0
    assert set(w.get_column("tier").unique()) <= {"A", "B", "C"}
    owners = demo_tables["customers"].select("customer_id", "sales_rep")
    joined = w.select("customer_id", "sales_rep").join(owners, on="customer_id", suffix="_src")
    assert ((joined["sales_rep"] == joined["sales_rep_src"]) | joined["sales_rep_src"].is_null()).all()
    # Without CLV the value is the house's 12-month net revenue (workbench.transactions).
    net = transactions.net_revenue(transactions.transactions(demo_tables["orders"], DEMO_END), DEMO_END, 12)
    rev = w.filter(pl.col("value_source") == "net_revenue_12m").join(net.collect(), on="customer_id",
                                                                    how="left", suffix="_tx")
    assert rev.height > 0
    assert (rev["value"] == rev["net_revenue_12m"]).all()
    assert rev["net_revenue_12m"].to_list() == pytest.approx(rev["net_revenue_12m_tx"].fill_null(0.0).to_list())
    by_tier = churn.revenue_at_risk_by(w, "tier")
    assert by_tier.get_column("revenue_at_risk").sum() == pytest.approx(sum(risk))
    res = churn.key_results(a, w)
    assert res["flagged"] == w.height and res["churn_window_days"] == 180
    assert res["baselines"]["recency"]["roc_auc"] == a.metric("recency", "roc_auc")


def test_model_saved_with_metadata_and_refused_for_other_features(demo_analysis, tmp_path):
    a = demo_analysis
    path, side = churn.save_model(a, tmp_path / "churn_model.joblib")
    meta = json.loads(side.read_text(encoding="utf-8"))
    assert meta["features"]["numeric"] == a.numeric
    assert meta["training_window"]["labels_until"] == DEMO_END.isoformat()
    assert "scikit-learn" in meta["versions"]
    model, _meta2 = churn.load_model(path, features=a.features_list)
    X = a.features.to_pandas()
    np.testing.assert_array_equal(model.predict_proba(X)[:, 1],
                                  a.scores.sort("customer_id").get_column("churn_probability").to_numpy())
    with pytest.raises(ModelError, match="different features"):
        churn.load_model(path, features=a.features_list[:-1])
    with pytest.raises(ModelError, match="missing"):
        churn.load_model(tmp_path / "nothing.joblib")


def test_exports_open_in_excel_with_chinese(demo_analysis, demo_tables, tmp_path):
    w = churn.warning_list(demo_analysis, demo_tables["customers"], lang="zh")
    csv, xlsx = churn.export_warning_list(w, tmp_path / "warning_list.parquet", lang="zh")
    raw = csv.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(csv, encoding="utf-8-sig", dtype={"客户编号": str})
    assert list(back.columns)[:2] == ["排名", "客户编号"] and len(back) == w.height
    assert back["客户编号"].tolist() == w.get_column("customer_id").to_list()
    x = pd.read_excel(xlsx, sheet_name="流失预警", dtype={"客户编号": str})
    assert x["建议措施"].tolist() == w.get_column("action").to_list()


# ------------------------------------------------------------------ transactions only (CDNOW)


def test_cdnow_runs_with_the_features_it_has_and_is_reproducible():
    tx = datasets.load_cdnow()
    st = churn.ChurnSettings(window_days=90, importance_repeats=1)
    kw = {"columns": churn.OrderColumns(date="date"), "seed": 3}
    a = churn.analyse({"orders": tx}, date(1998, 6, 30), st, **kw)
    assert a.groups == ["rfm", "clv"]
    assert set(a.missing) == {"returns", "complaints", "visits", "satisfaction", "profile", "segment"}
    assert "complaints (no complaints table)" in a.missing_groups_text()
    assert a.categorical == [] and "p_alive" in a.numeric
    assert a.scores.height > 0 and a.scores.get_column("churn_probability").null_count() == 0
    b = churn.analyse({"orders": tx}, date(1998, 6, 30), st, **kw)
    assert a.scores.equals(b.scores)
    assert a.evaluation.equals(b.evaluation)
    w = churn.warning_list(a)
    assert set(w.get_column("value_source").unique()) == {"net_revenue_12m"}


def test_max_f1_threshold_when_no_capacity_is_given():
    tx = datasets.load_cdnow()
    st = churn.ChurnSettings(window_days=90, importance_repeats=1, flag_share=None)
    a = churn.analyse({"orders": tx}, date(1998, 6, 30), st, columns=churn.OrderColumns(date="date"), seed=3)
    assert a.flag_share is None and 0 < a.threshold < 1
    flagged = a.scores.filter(pl.col("flagged"))
    assert flagged.height > 0 and flagged.get_column("churn_probability").min() >= a.threshold
    assert a.scores.filter(~pl.col("flagged")).get_column("churn_probability").max() < a.threshold
    assert "F1" in churn.narrative(a, "en")["threshold"] or "balanced" in churn.narrative(a, "en")["threshold"]


def test_settings_from_the_configuration():
    st = churn.ChurnSettings.from_mapping({"window_days": 90, "flag_share": 0.1, "lapsed_days": None})
    assert (st.window_days, st.flag_share, st.lapsed_days, st.n_train_cutoffs) == (90, 0.1, None, 3)
    assert st.importance_max_rows == 5000
    assert churn.ChurnSettings.from_mapping({"importance_max_rows": None}).importance_max_rows is None
    assert churn.ChurnSettings.from_mapping(None) == churn.ChurnSettings()
    with pytest.raises(UsageError, match="unknown key"):
        churn.ChurnSettings.from_mapping({"windw_days": 90})
    with pytest.raises(UsageError, match="churn.window_days: 'three months' is not a whole number"):
        churn.ChurnSettings.from_mapping({"window_days": "three months"})
    with pytest.raises(UsageError, match="churn.flag_share"):
        churn.ChurnSettings.from_mapping({"flag_share": 1.5})
    assert churn.ChurnSettings().with_window(None).window_days is None
    assert churn.ChurnSettings().with_window(120).window_days == 120


def test_too_short_history_is_a_clear_usage_error():
    tx = datasets.load_cdnow()
    with pytest.raises(UsageError, match="shorter churn_window_days"):
        churn.analyse({"orders": tx}, date(1998, 6, 30), churn.ChurnSettings(window_days=250),
                      columns=churn.OrderColumns(date="date"))


def test_features_and_window_are_the_same_summarised_in_partitions_of_the_customers(
        small_tables, monkeypatch):
    """A long log is summarised per hash partition of the customers (frames.by_customer): the
    features (tiers included) and the purchase cycle are the same, from a frame or a scan."""
    from workbench import frames
    cut = date(2026, 3, 31)
    whole = churn.build_features(small_tables, cut, lapsed_days=180)
    log = churn.order_log(small_tables["orders"], cut)
    window = churn.window_from_log(log, cut)
    monkeypatch.setattr(frames, "ROWS_PER_PART", 300)
    assert small_tables["orders"].height > 5 * 300            # several partitions
    parts = churn.build_features(small_tables, cut, lapsed_days=180)
    assert parts.groups == whole.groups and "segment" in parts.groups
    assert parts.frame.equals(whole.frame)
    assert churn.window_from_log(log, cut) == window
    scanned = churn.build_features({**small_tables, "orders": small_tables["orders"].lazy()}, cut,
                                   lapsed_days=180)
    assert scanned.frame.equals(whole.frame)
