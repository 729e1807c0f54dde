"""Service analytics on small hand-made tables whose right answers are worked out by hand."""

from __future__ import annotations

import math
from datetime import date, datetime

import numpy as np
import polars as pl
import pytest

from workbench import schema, service
from workbench.errors import DataError, UsageError
from workbench.transactions import TransactionSettings

AS_OF = date(2025, 6, 30)


def _customers(ids, signup=date(2025, 1, 1), reps=None) -> pl.DataFrame:
    return schema.conform(pl.DataFrame({
        "customer_id": list(ids),
        "name": [f"客户{i}" for i in ids],
        "sales_rep": reps if reps is not None else ["王芳"] * len(ids),
        "signup_date": [signup] * len(ids),
    }), "customers")


def _tiers(mapping: dict[str, str]) -> pl.DataFrame:
    return pl.DataFrame({"customer_id": list(mapping), "tier": list(mapping.values())})


def _orders(rows) -> pl.DataFrame:
    """rows: (customer_id, date, amount)."""
    return schema.conform(pl.DataFrame({
        "order_id": [f"o{i}" for i in range(len(rows))],
        "customer_id": [r[0] for r in rows],
        "order_date": [r[1] for r in rows],
        "amount": [float(r[2]) for r in rows],
        "status": ["completed" if r[2] > 0 else "returned" for r in rows],
    }, schema_overrides={"order_date": pl.Date}), "orders")


def _complaints(rows) -> pl.DataFrame:
    """rows: (id, customer_id, opened_at, resolved_at, severity, category)."""
    return schema.conform(pl.DataFrame({
        "complaint_id": [r[0] for r in rows],
        "customer_id": [r[1] for r in rows],
        "opened_at": [r[2] for r in rows],
        "resolved_at": [r[3] for r in rows],
        "severity": [r[4] for r in rows],
        "category": [r[5] for r in rows],
    }, schema_overrides={"opened_at": pl.Datetime("us"), "resolved_at": pl.Datetime("us")}),
        "complaints")


def _surveys(rows) -> pl.DataFrame:
    """rows: (survey_id, customer_id, date, nps, csat)."""
    return schema.conform(pl.DataFrame({
        "survey_id": [r[0] for r in rows],
        "customer_id": [r[1] for r in rows],
        "survey_date": [r[2] for r in rows],
        "nps": [r[3] for r in rows],
        "csat": [r[4] for r in rows],
    }, schema_overrides={"survey_date": pl.Date, "nps": pl.Int64, "csat": pl.Int64}), "surveys")


def _visits(rows) -> pl.DataFrame:
    """rows: (customer_id, date)."""
    return schema.conform(pl.DataFrame({
        "visit_id": [f"v{i}" for i in range(len(rows))],
        "customer_id": [r[0] for r in rows],
        "visit_date": [r[1] for r in rows],
    }, schema_overrides={"visit_date": pl.Date}), "visits")


# Six customers: c1, c2 tier A; c3, c4 tier B; c5 tier C; c6 has no tier yet.
CUST = service.attach_tiers(_customers(["c1", "c2", "c3", "c4", "c5", "c6"]),
                            _tiers({"c1": "A", "c2": "A", "c3": "B", "c4": "B", "c5": "C"}))

COMPLAINTS = _complaints([
    # 4 h, high (SLA 24): fine
    ("k1", "c1", datetime(2025, 6, 1, 10), datetime(2025, 6, 1, 14), "high", "delivery"),
    # 48 h, high: breach
    ("k2", "c1", datetime(2025, 6, 2), datetime(2025, 6, 4), "high", "quality"),
    # 24 h, medium (SLA 72): fine
    ("k3", "c2", datetime(2025, 6, 10), datetime(2025, 6, 11), "medium", "billing"),
    # open, 36 h old at the cut-off 2025-07-01 00:00, critical (SLA 8): breach
    ("k4", "c3", datetime(2025, 6, 29, 12), None, "critical", "quality"),
    # resolved after the as-of date, so open at as-of; 4 h old, low (SLA 168): fine
    ("k5", "c5", datetime(2025, 6, 30, 20), datetime(2025, 7, 2), "low", "delivery"),
    # 180 h, low (SLA 168): breach
    ("k6", "c3", datetime(2025, 5, 1), datetime(2025, 5, 8, 12), "low", "delivery"),
])


def test_attach_tiers_keeps_every_customer_and_names_the_shared_pool():
    cust = service.attach_tiers(_customers(["a", "b"], reps=["李雷", None]), _tiers({"a": "A"}))
    assert cust.select("customer_id", "tier", "owner").rows() == [
        ("a", "A", "李雷"), ("b", service.NO_TIER, service.SHARED_POOL)]
    with pytest.raises(DataError, match="repeats"):
        service.attach_tiers(_customers(["a"]), pl.DataFrame({"customer_id": ["a", "a"],
                                                              "tier": ["A", "B"]}))


def test_complaint_rate_per_100_customers_by_tier_and_by_category():
    by_tier = service.complaint_rates(COMPLAINTS, CUST, by="tier")
    assert by_tier.select("tier", "customers", "complaints", "complainants", "rate").rows() == [
        ("A", 2, 3, 2, 150.0), ("B", 2, 2, 1, 100.0), ("C", 1, 1, 1, 100.0),
        ("none", 1, 0, 0, 0.0)]
    by_cat = service.complaint_rates(COMPLAINTS, CUST, by="category")
    assert by_cat.select("category", "customers", "complaints").rows() == [
        ("billing", 6, 1), ("delivery", 6, 3), ("quality", 6, 2)]
    assert by_cat.get_column("rate").to_list() == pytest.approx([100 / 6, 50.0, 200 / 6])


def test_complaint_rate_overall_and_late_signups_still_counted():
    overall = service.complaint_rates(COMPLAINTS, CUST, by=None)
    assert overall.select("all", "customers", "complaints", "rate").rows() == [("all", 6, 6, 100.0)]
    # on 2024-12-31 nobody had signed up yet: the complaints stay visible, the rate has no base
    early = service.complaint_rates(COMPLAINTS, CUST, by="tier", end=date(2024, 12, 31))
    assert early.get_column("complaints").sum() == 6
    assert early.get_column("customers").sum() == 0 and early.get_column("rate").null_count() == 3


def test_rows_of_unknown_customers_are_an_error_not_dropped():
    bad = _complaints([("k9", "zz", datetime(2025, 6, 1), None, "low", "x")])
    with pytest.raises(DataError, match="k9"):
        service.complaint_rates(bad, CUST, by="tier")
    with pytest.raises(DataError, match="visits.*v0"):
        service.visit_cadence(_visits([("zz", date(2025, 6, 1))]), CUST, date(2025, 1, 1), AS_OF)


def test_resolution_times_and_sla_breaches_counted_by_hand():
    st = service.complaint_status(COMPLAINTS, AS_OF)
    got = {r["complaint_id"]: (r["is_open"], r["hours_to_resolve"], r["age_hours"], r["breached"])
           for r in st.iter_rows(named=True)}
    assert got == {"k1": (False, 4.0, None, False), "k2": (False, 48.0, None, True),
                   "k3": (False, 24.0, None, False), "k4": (True, None, 36.0, True),
                   "k5": (True, None, 4.0, False), "k6": (False, 180.0, None, True)}
    total = service.resolution_summary(st, by=None).row(0, named=True)
    # resolved hours 4, 24, 48, 180: median 36; p90 = 48 + 0.7 * (180 - 48) = 140.4
    assert total["median_hours"] == 36.0
    assert total["p90_hours"] == pytest.approx(140.4)
    assert (total["complaints"], total["resolved"], total["open"]) == (6, 4, 2)
    assert (total["breaches_resolved"], total["breaches_open"], total["breaches"]) == (2, 1, 3)
    sev = service.resolution_summary(st, by="severity")
    assert sev.get_column("severity").to_list() == ["low", "medium", "high", "critical"]
    assert sev.select("severity", "median_hours", "breaches", "sla_hours").rows() == [
        ("low", 180.0, 1, 168.0), ("medium", 24.0, 0, 72.0), ("high", 26.0, 1, 24.0),
        ("critical", None, 1, 8.0)]


def test_configurable_sla_changes_the_breach_count():
    st = service.complaint_status(COMPLAINTS, AS_OF, {"low": 200, "medium": 12, "high": 48,
                                                      "critical": 48})
    # low 180 h now fine, medium 24 h now late, high 48 h not > 48, critical 36 h open: fine
    assert st.filter(pl.col("breached")).get_column("complaint_id").to_list() == ["k3"]


def test_bad_complaints_raise_clear_errors():
    backwards = _complaints([("k1", "c1", datetime(2025, 6, 2), datetime(2025, 6, 1), "low", "x")])
    with pytest.raises(DataError, match="resolved before they were opened.*k1"):
        service.complaint_status(backwards, AS_OF)
    no_sev = _complaints([("k1", "c1", datetime(2025, 6, 2), None, None, "x")])
    with pytest.raises(DataError, match="severity"):
        service.complaint_status(no_sev, AS_OF)


def test_open_backlog_oldest_first_with_age_bands_and_owner():
    st = service.complaint_status(COMPLAINTS, AS_OF)
    backlog = service.open_backlog(st, CUST)
    assert backlog.select("complaint_id", "age_days", "age_band", "tier", "owner").rows() == [
        ("k4", 1.5, "1_3d", "B", "王芳"), ("k5", 4 / 24, "lt_1d", "C", "王芳")]
    ages = service.backlog_ages(backlog)
    assert ages.rows() == [("lt_1d", 1, 0), ("1_3d", 1, 1), ("3_7d", 0, 0), ("7_30d", 0, 0),
                           ("gt_30d", 0, 0)]


def test_repeat_complainers():
    rep = service.repeat_complainers(COMPLAINTS, CUST)
    assert rep.select("customer_id", "complaints", "categories", "tier").rows() == [
        ("c1", 2, "delivery, quality", "A"), ("c3", 2, "delivery, quality", "B")]


def test_complaint_aftermath_against_a_matched_non_complainer():
    cust = service.attach_tiers(_customers(["x1", "x2", "x3", "y1", "y2"]),
                                _tiers({"x1": "A", "x2": "A", "x3": "B", "y1": "A", "y2": "A"}))
    orders = _orders([
        ("x1", date(2025, 6, 1), 100),   # before its complaint on 06-15, then nothing
        ("y1", date(2025, 6, 1), 40),    # the only eligible control: bought before 06-15
        ("y1", date(2025, 7, 1), 50),    # and again within 30 days after
        ("y2", date(2025, 7, 1), 70),    # first purchase after 06-15: not eligible
        ("x2", date(2025, 1, 1), 10),
    ])
    complaints = _complaints([
        ("k1", "x1", datetime(2025, 6, 15, 9), datetime(2025, 6, 16), "low", "q"),
        ("k2", "x2", datetime(2025, 12, 20), None, "low", "q"),   # window not complete
        ("k3", "x3", datetime(2025, 3, 1), None, "low", "q"),     # never bought before
    ])
    detail = service.complaint_aftermath(orders, complaints, cust, date(2025, 12, 31),
                                         window_days=30, seed=3)
    rows = {r["group"]: r for r in detail.iter_rows(named=True)}
    assert rows["control"]["customer_id"] == "y1" and rows["control"]["pair"] == "x1"
    assert (rows["complainer"]["spend_before"], rows["complainer"]["spend_after"],
            rows["complainer"]["bought_after"]) == (100.0, 0.0, False)
    assert (rows["control"]["spend_before"], rows["control"]["spend_after"],
            rows["control"]["bought_after"]) == (40.0, 50.0, True)
    assert rows["excluded_window_incomplete"]["customer_id"] == "x2"
    assert rows["excluded_no_prior_purchase"]["customer_id"] == "x3"
    summary = service.aftermath_summary(detail)
    assert summary.select("group", "customers", "no_purchase_share", "spend_change").rows() == [
        ("complainer", 1, 1.0, -1.0), ("control", 1, 0.0, 0.25),
        ("excluded_no_prior_purchase", 1, None, None), ("excluded_window_incomplete", 1, None, None)]


def test_aftermath_matching_is_deterministic_given_the_seed():
    ids = [f"n{i}" for i in range(20)]
    cust = service.attach_tiers(_customers(["x"] + ids), _tiers({i: "A" for i in ["x"] + ids}))
    orders = _orders([("x", date(2025, 1, 5), 10)] + [(i, date(2025, 1, 1), 5) for i in ids])
    complaints = _complaints([("k", "x", datetime(2025, 2, 1), None, "low", "q")])
    picks = {service.complaint_aftermath(orders, complaints, cust, AS_OF, 30, seed=s)
             .filter(pl.col("group") == "control").get_column("customer_id").item()
             for s in (1, 1, 1)}
    assert len(picks) == 1
    many = {service.complaint_aftermath(orders, complaints, cust, AS_OF, 30, seed=s)
            .filter(pl.col("group") == "control").get_column("customer_id").item()
            for s in range(10)}
    assert len(many) > 1


VISITS = _visits([("c1", date(2025, 6, 1)), ("c1", date(2025, 6, 11)), ("c1", date(2025, 6, 21)),
                  ("c2", date(2025, 5, 1)), ("c2", date(2025, 5, 31)),
                  ("c4", date(2025, 4, 15))])


def test_visit_cadence_by_tier():
    start, end = date(2025, 1, 1), AS_OF
    months = 180 / (365.25 / 12)   # the window 2025-01-01 < day <= 2025-06-30
    cad = service.visit_cadence(VISITS, CUST, start, end, by="tier")
    a = cad.filter(pl.col("tier") == "A").row(0, named=True)
    # gaps c1: 10, 10; c2: 30 -> pooled median 10
    assert (a["customers"], a["visits"], a["visited_customers"], a["median_days_between"]) == (
        2, 5, 2, 10.0)
    assert a["visits_per_customer_month"] == pytest.approx(5 / 2 / months)
    c = cad.filter(pl.col("tier") == "C").row(0, named=True)
    assert (c["visits"], c["visits_per_customer_month"], c["median_days_between"]) == (0, 0.0, None)


def test_overdue_visits_follow_the_policy_per_tier():
    over = service.overdue_visits(VISITS, CUST, AS_OF, {"A": 20, "B": 90})
    # c1 (A) 9 days: fine; c2 (A) 30 days: 10 over; c3 (B) never visited, 180 days
    # since signup: 90 over; c4 (B) 76 days: fine; C has no policy
    assert over.select("customer_id", "days_without_visit", "overdue_days", "never_visited",
                       "owner").rows() == [("c3", 180, 90, True, "王芳"), ("c2", 30, 10, False, "王芳")]
    # exactly at the policy is not overdue
    assert service.overdue_visits(VISITS, CUST, AS_OF, {"A": 30}).height == 0


def test_visit_differentiation_perfectly_following_value():
    value = pl.DataFrame({"customer_id": ["c1", "c2", "c3", "c4", "c5", "c6"],
                          "value": [600.0, 500, 400, 300, 200, 100]})
    visits = _visits([(c, date(2025, 6, d)) for c, n in
                      (("c1", 6), ("c2", 5), ("c3", 4), ("c4", 3), ("c5", 2), ("c6", 1))
                      for d in range(1, n + 1)])
    res = service.visit_differentiation(visits, CUST, value, date(2025, 1, 1), AS_OF)
    assert res["rho"] == pytest.approx(1.0)
    assert res["verdict"] == "follows_value" and res["tier_order_ok"] is True
    assert res["visits_per_customer"] == {"A": 5.5, "B": 3.5, "C": 2.0, "none": 1.0}
    reversed_visits = _visits([(c, date(2025, 6, d)) for c, n in
                               (("c1", 1), ("c2", 2), ("c3", 3), ("c4", 4), ("c5", 5), ("c6", 6))
                               for d in range(1, n + 1)])
    res = service.visit_differentiation(reversed_visits, CUST, value, date(2025, 1, 1), AS_OF)
    assert res["rho"] == pytest.approx(-1.0)
    assert res["verdict"] == "not_following" and res["tier_order_ok"] is False


def test_nps_of_ten_known_answers_is_20_with_its_interval():
    r = service.nps_score([10, 9, 9, 10, 7, 8, 7, 8, 3, 5])
    assert (r["n"], r["promoters"], r["passives"], r["detractors"]) == (10, 4, 4, 2)
    assert r["nps"] == pytest.approx(20.0)
    se = math.sqrt((0.4 + 0.2 - 0.2 ** 2) / 10)
    assert r["se"] == pytest.approx(100 * se)
    assert r["ci_low"] == pytest.approx(20 - 1.959964 * 100 * se, abs=1e-4)
    assert r["ci_high"] == pytest.approx(20 + 1.959964 * 100 * se, abs=1e-4)
    assert service.nps_score([])["nps"] is None
    assert service.nps_score([10] * 5)["ci_high"] == 100.0
    with pytest.raises(DataError, match="0-10"):
        service.nps_score([11])


def test_latest_response_per_customer_per_month_and_satisfaction_by_tier():
    surveys = _surveys([
        ("s1", "c1", date(2025, 6, 2), 3, 2),    # replaced by s2, same month
        ("s2", "c1", date(2025, 6, 20), 10, 5),
        ("s3", "c2", date(2025, 6, 5), 6, 4),
        ("s4", "c3", date(2025, 6, 5), 9, 3),
        ("s5", "c3", date(2025, 5, 5), 0, 1),    # another month: kept
        ("s6", "c4", date(2025, 6, 7), 8, None),
    ])
    latest = service.latest_responses(surveys, "month")
    assert latest.select("period", "customer_id", "survey_id").rows() == [
        ("2025-05", "c3", "s5"), ("2025-06", "c1", "s2"), ("2025-06", "c2", "s3"),
        ("2025-06", "c3", "s4"), ("2025-06", "c4", "s6")]
    june = latest.filter(pl.col("period") == "2025-06")
    by_tier = service.satisfaction_by(june, CUST, "tier")
    assert by_tier.select("tier", "n_nps", "nps", "n_csat", "csat_share", "csat_mean").rows() == [
        ("A", 2, 0.0, 2, 1.0, 4.5), ("B", 2, 50.0, 1, 0.0, 3.0)]
    trend = service.satisfaction_by(latest, by="period")
    assert trend.select("period", "nps").rows() == [("2025-05", -100.0), ("2025-06", 25.0)]


def test_detractors_with_open_complaints():
    surveys = _surveys([("s1", "c3", date(2025, 6, 20), 4, 2), ("s2", "c5", date(2025, 6, 1), 9, 5),
                        ("s3", "c1", date(2025, 6, 1), 2, 1)])
    st = service.complaint_status(COMPLAINTS, AS_OF)
    out = service.detractors_with_open_complaints(surveys, st, CUST)
    # c3 is a detractor with open k4; c5 has an open complaint but is a promoter; c1's are closed
    assert out.select("customer_id", "nps", "open_complaints", "breached_open", "tier").rows() == [
        ("c3", 4, 1, 1, "B")]


COHORT_ORDERS = _orders([
    ("c1", date(2025, 1, 5), 100), ("c1", date(2025, 2, 10), 50), ("c1", date(2025, 3, 1), 30),
    ("c2", date(2025, 1, 20), 200), ("c2", date(2025, 3, 15), -20),
    ("c3", date(2025, 2, 3), 80), ("c3", date(2025, 3, 3), 40),
    ("c4", date(2025, 3, 10), 60),
])


def test_cohort_retention_matrix_computed_by_hand():
    coh = service.cohort_table(COHORT_ORDERS, "month")
    assert coh.select("cohort", "periods_since", "cohort_size", "active", "revenue").rows() == [
        ("2025-01", 0, 2, 2, 300.0), ("2025-01", 1, 2, 1, 50.0), ("2025-01", 2, 2, 1, 10.0),
        ("2025-02", 0, 1, 1, 80.0), ("2025-02", 1, 1, 1, 40.0), ("2025-03", 0, 1, 1, 60.0)]
    m = service.retention_matrix(coh, "retention")
    expected = np.array([[1.0, 0.5, 0.5], [1.0, 1.0, np.nan], [1.0, np.nan, np.nan]])
    np.testing.assert_allclose(m.to_numpy(), expected)
    rr = service.retention_matrix(coh, "revenue_retention")
    np.testing.assert_allclose(rr.loc["2025-01"].to_numpy(), [1.0, 1 / 6, 1 / 30])
    # a month with no purchase at all is a 0, not a gap
    coh2 = service.cohort_table(COHORT_ORDERS, "month", as_of=date(2025, 4, 30))
    assert coh2.filter(pl.col("cohort") == "2025-03").get_column("active").to_list() == [1, 0]


def test_new_vs_returning_customers_and_revenue():
    nvr = service.new_vs_returning(COHORT_ORDERS, "month")
    assert nvr.select("period", "new_customers", "returning_customers", "new_revenue",
                      "returning_revenue").rows() == [
        ("2025-01", 2, 0, 300.0, 0.0), ("2025-02", 1, 1, 80.0, 50.0),
        ("2025-03", 1, 2, 60.0, 50.0)]


def test_churned_customers_last_active_month():
    out = service.churned_last_active(COHORT_ORDERS, AS_OF, churn_days=90)
    assert out.rows() == [("2025-01", 1, 0.25), ("2025-03", 3, 0.75)]
    # with a one-year window nobody counts as churned
    assert service.churned_last_active(COHORT_ORDERS, AS_OF, churn_days=200).height == 0


def _scorecard_tables():
    ids = [f"u{i:02d}" for i in range(1, 31)]
    customers = _customers(ids, signup=date(2024, 6, 1))
    tiers = _tiers({u: ("A" if int(u[1:]) <= 15 else "B") for u in ids})
    rows = [(u, date(2025, 6, 10), 100) for u in ids]                 # June 2025: 30 x 100
    rows += [(u, date(2025, 5, 10), 50) for u in ids[:20]]           # May 2025: 20 x 50
    rows += [(u, date(2024, 6, 10), 80) for u in ids[:10]]           # June 2024: 10 x 80
    comp = [(f"j{i}", ids[i], datetime(2025, 6, 3), datetime(2025, 6, 3, 2 * (i + 1)), "low", "q")
            for i in range(3)]                                       # June: 3, 2/4/6 h
    comp += [(f"m{i}", ids[i], datetime(2025, 5, 3), datetime(2025, 5, 4), "low", "q")
             for i in range(6)]                                      # May: 6, 24 h
    surveys = _surveys([(f"s{i}", ids[i], date(2025, 5, 20), 10 if i < 12 else 5, 4)
                        for i in range(20)])                         # May: 12 promoters, 8 det.
    return _orders(rows), customers, _complaints(comp), surveys, tiers


def test_scorecard_values_deltas_direction_and_small_number_guard():
    orders, customers, complaints, surveys, tiers = _scorecard_tables()
    sc = service.scorecard(orders, customers, complaints, surveys, tiers, AS_OF, "month",
                           min_base=20)
    assert sc.columns[:12] == ["kpi", "label_zh", "label_en", "unit", "delta_kind", "current",
                               "previous", "prev_delta", "last_year", "yoy_delta", "direction",
                               "good"]
    r = {row["kpi"]: row for row in sc.iter_rows(named=True)}
    assert r["active_customers"]["period"] == "2025-06"
    assert r["active_customers"]["last_year_period"] == "2024-06"
    assert (r["active_customers"]["current"], r["active_customers"]["previous"],
            r["active_customers"]["last_year"]) == (30, 20, 10)
    assert r["active_customers"]["prev_delta"] == pytest.approx(0.5)
    assert r["active_customers"]["yoy_delta"] is None
    assert r["active_customers"]["yoy_note"] == "too_few"          # 10 customers last year
    assert (r["new_customers"]["current"], r["new_customers"]["previous"]) == (10, 10)
    assert r["new_customers"]["prev_note"] == "too_few"
    assert r["retention_rate"]["current"] == 1.0 and r["retention_rate"]["previous"] is None
    assert r["revenue"]["current"] == 3000 and r["revenue"]["prev_delta"] == pytest.approx(2.0)
    assert (r["revenue"]["direction"], r["revenue"]["good"]) == ("up", True)
    assert r["revenue_share_A"]["current"] == pytest.approx(0.5)
    assert r["revenue_share_A"]["previous"] == pytest.approx(0.75)   # 15 x 50 / 1000
    assert r["revenue_share_A"]["good"] is None                      # neutral
    assert (r["aov"]["current"], r["aov"]["previous"]) == (100.0, 50.0)
    assert r["repeat_rate"]["current"] == pytest.approx(20 / 30)
    assert r["repeat_rate"]["prev_delta"] == pytest.approx(20 / 30 - 0.5)
    # complaint rate: 3 and 6 per 30 customers on file -> 10 and 20 per 100; down is good
    assert (r["complaint_rate"]["current"], r["complaint_rate"]["previous"]) == (10.0, 20.0)
    assert r["complaint_rate"]["prev_delta"] == pytest.approx(-10.0)
    assert (r["complaint_rate"]["direction"], r["complaint_rate"]["good"]) == ("down", True)
    assert (r["complaint_rate"]["yoy_direction"], r["complaint_rate"]["yoy_good"]) == ("up", False)
    # resolution: median of 2, 4, 6 h = 4 h, but only 3 complaints -> no change given
    assert r["median_resolution_hours"]["current"] == 4.0
    assert r["median_resolution_hours"]["previous"] == 24.0
    assert r["median_resolution_hours"]["prev_note"] == "too_few"
    # NPS: none in June; May = 100 x (12 - 8) / 20 = 20
    assert r["nps"]["current"] is None and r["nps"]["previous"] == pytest.approx(20.0)
    assert r["nps"]["prev_note"] == "no_data"
    d = service.scorecard_dict(sc)
    assert d["revenue"] == {"current": 3000.0, "previous": 1000.0, "last_year": 800.0,
                            "prev_delta": pytest.approx(2.0), "yoy_delta": None, "good": True}
    # a stricter guard removes the revenue change (May had 20 orders)
    strict = service.scorecard(orders, customers, complaints, surveys, tiers, AS_OF, "month",
                               min_base=25)
    assert strict.filter(pl.col("kpi") == "revenue").get_column("prev_note").item() == "too_few"
    shown = service.format_scorecard(sc, "en")
    row = shown[shown["KPI"] == "Median resolution time (hours)"].iloc[0]
    assert row["vs previous"] == "n/a (too few)"
    zh = service.format_scorecard(sc, "zh")
    assert zh[zh["指标"] == "销售额"].iloc[0]["环比"] == "▲ +200.0% ✓"


def test_settings_from_config_defaults_overrides_and_errors():
    settings = service.ServiceSettings.from_mapping
    s = settings(None)
    assert s.sla_hours == service.DEFAULT_SLA_HOURS and s.visit_policy_days == {"A": 30, "B": 90}
    s = settings({"sla_hours": {"critical": 4}, "visit_policy_days": {"A": 14}, "min_base": 50})
    assert s.sla_hours["critical"] == 4.0 and s.sla_hours["low"] == 168.0
    assert s.visit_policy_days == {"A": 14} and s.min_base == 50
    with pytest.raises(UsageError, match="sla_hour"):
        settings({"sla_hour": {}})
    with pytest.raises(UsageError, match="urgent"):
        settings({"sla_hours": {"urgent": 2}})
    with pytest.raises(UsageError, match="visit_policy_days.B"):
        settings({"visit_policy_days": {"B": -1}})
    with pytest.raises(UsageError, match="moved to transactions.outlier_amounts"):
        settings({"exclude_outliers": True})


def test_localize_uses_the_registered_labels():
    shown = service.localize(service.complaint_rates(COMPLAINTS, CUST, by="tier"), "zh")
    assert list(shown.columns) == ["客户等级", "客户", "投诉", "投诉客户数", "每百客户投诉数",
                                   "投诉客户占比"]
    assert shown["客户等级"].tolist() == ["A", "B", "C", "未分级"]


def test_scorecard_money_kpis_follow_the_house_outlier_policy_and_show_the_count():
    orders, customers, complaints, surveys, tiers = _scorecard_tables()
    huge = _orders([("u01", date(2025, 6, 20), 1_000_000)]).with_columns(
        pl.lit("big").alias("order_id"))
    orders = pl.concat([orders.with_columns(pl.lit(False).alias("is_outlier")),
                        huge.with_columns(pl.lit(True).alias("is_outlier"))])

    def kpis(policy=None):
        ts = None if policy is None else TransactionSettings(outlier_amounts=policy)
        sc = service.scorecard(orders, customers, complaints, surveys, tiers, AS_OF, settings=ts)
        return {row["kpi"]: row for row in sc.iter_rows(named=True)}

    # cap (the default): the flagged order counts at the 0.99 quantile of normal purchases, 100
    r = kpis()
    assert (r["revenue"]["current"], r["aov"]["current"]) == (3100.0, 100.0)
    assert r["outlier_orders"]["current"] == 1 and r["active_customers"]["current"] == 30
    assert kpis("keep")["revenue"]["current"] == 1_003_000.0
    # exclude: the amount counts as 0, the order is still a purchase (31 purchases)
    r = kpis("exclude")
    assert r["revenue"]["current"] == 3000.0
    assert r["aov"]["current"] == pytest.approx(3000 / 31)


def test_on_the_cleaned_demo_data_the_pieces_add_up(small_processed):
    """Real demo data through the real cleaning: totals agree however they are cut."""
    from workbench import context

    ctx = context.resolve(small_processed, "2026-06-30")
    orders, complaints, visits, surveys = (ctx.load(t) for t in
                                           ("orders", "complaints", "visits", "surveys"))
    raw = ctx.load("customers")
    ids = sorted(raw.get_column("customer_id").to_list())
    tiers = _tiers({c: "ABC"[i % 3] for i, c in enumerate(ids)})
    cust = service.attach_tiers(raw, tiers)
    by_tier = service.complaint_rates(complaints, cust, "tier")
    assert by_tier.get_column("complaints").sum() == complaints.height
    assert by_tier.get_column("customers").sum() == raw.height
    status = service.complaint_status(complaints, ctx.as_of)
    total = service.resolution_summary(status, None).row(0, named=True)
    sev = service.resolution_summary(status, "severity")
    assert sev.get_column("breaches").sum() == total["breaches"]
    assert total["open"] == service.open_backlog(status).height
    coh = service.cohort_table(orders, "month", ctx.as_of)
    buyers = orders.filter(pl.col("amount") > 0).get_column("customer_id").n_unique()
    assert coh.filter(pl.col("periods_since") == 0).get_column("cohort_size").sum() == buyers
    nvr = service.new_vs_returning(orders)
    assert nvr.get_column("new_customers").sum() == buyers
    log = ctx.transactions().collect()   # money is the transaction model's value
    assert (nvr.get_column("new_revenue").sum() + nvr.get_column("returning_revenue").sum()
            == pytest.approx(log.get_column("value").sum()))
    cad = service.visit_cadence(visits, cust, date(2025, 7, 1), ctx.as_of, "owner")
    in_window = service.within(visits, "visit_date", date(2025, 7, 1), ctx.as_of)
    assert cad.get_column("visits").sum() == in_window.height
    sc = service.scorecard(orders, cust, complaints, surveys, tiers, ctx.as_of)
    shares = sc.filter(pl.col("kpi").str.starts_with("revenue_share_")).get_column("current")
    assert shares.sum() == pytest.approx(1.0)
    # the order columns the service step declares it reads are all it reads
    whole = {t: ctx.load(t) for t in service.TABLES}
    narrow = {t: ctx.loader(service.READS)(t) for t in service.TABLES}
    assert narrow["orders"].width < whole["orders"].width
    a, b = (service.analyse(t, tiers, ctx.as_of) for t in (whole, narrow))
    assert service.key_results(a) == service.key_results(b)
    assert a.scorecard.equals(b.scorecard)


def _same_analysis(a, b) -> None:
    """Every table and figure of two service analyses is equal: exactly, since money is
    summed in whole cents (transactions.money_sum) whatever the order of the rows."""
    import dataclasses

    from polars.testing import assert_frame_equal

    def same(x, y, what) -> None:
        if isinstance(x, pl.DataFrame):
            assert_frame_equal(x, y, check_exact=True), what
        elif isinstance(x, dict):
            assert x.keys() == y.keys(), what
            for k in x:
                same(x[k], y[k], (what, k))
        else:
            assert x == y, what

    for f in dataclasses.fields(a):
        same(getattr(a, f.name), getattr(b, f.name), f.name)


def test_service_from_a_scan_and_in_partitions_of_the_customers_is_the_same(small_processed,
                                                                             monkeypatch):
    """The orders as a scan (what notebook 05 passes) or as a frame, and the log summarised
    in one piece or per hash partition of the customers (frames.by_customer and the cohorts'
    partitions): every table of the analysis is the same."""
    from polars.testing import assert_frame_equal

    from workbench import context, frames

    ctx = context.resolve(small_processed, "2026-06-30")
    tiers = ctx.load("customers").select("customer_id", pl.lit("A").alias("tier"))
    frame = {t: ctx.loader(service.READS)(t) for t in service.TABLES}
    scan = {t: ctx.loader(service.READS, lazy=["orders"])(t) for t in service.TABLES}
    assert isinstance(scan["orders"], pl.LazyFrame)
    whole = service.analyse(frame, tiers, ctx.as_of)
    assert whole.cohorts.height > 0 and whole.new_vs_returning.height > 0
    _same_analysis(whole, service.analyse(scan, tiers, ctx.as_of))
    monkeypatch.setattr(frames, "ROWS_PER_PART", 300)
    assert frame["orders"].height > 5 * 300                   # several partitions
    _same_analysis(whole, service.analyse(scan, tiers, ctx.as_of))
    cohorts = service.cohort_table(frame["orders"], "quarter", ctx.as_of)
    monkeypatch.setattr(frames, "ROWS_PER_PART", frames.ROWS_PER_PART * 10**5)
    assert_frame_equal(cohorts, service.cohort_table(frame["orders"], "quarter", ctx.as_of),
                       check_exact=False, rel_tol=1e-9)


def test_localize_prints_dates_plainly_and_missing_values_empty():
    df = pl.DataFrame({"last_visit": [date(2025, 1, 2), None],
                       "opened_at": [datetime(2025, 1, 1, 10, 30), None],
                       "rate": [1.2345, None], "mystery": [1, 2]})
    shown = service.localize(df, "en")
    assert list(shown.columns) == ["Last visit", "Opened", "Complaints per 100 customers", "mystery"]
    assert shown.iloc[:, 0].tolist() == ["2025-01-02", ""]
    assert shown.iloc[:, 1].tolist() == ["2025-01-01 10:30", ""]
    assert shown.iloc[:, 2].tolist() == [1.23, ""]
