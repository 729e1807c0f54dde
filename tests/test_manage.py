"""workbench.manage on hand-made tables with answers worked out by hand."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import polars as pl
import pytest

from workbench import exports, manage, plots
from workbench.errors import ConfigError
from workbench.transactions import transactions

AS_OF = date(2026, 10, 31)


def _customers(n: int, rep: str, tier_of=lambda i: "A", prefix: str = "C") -> pl.DataFrame:
    return pl.DataFrame({"customer_id": [f"{prefix}{i:03d}" for i in range(n)],
                         "sales_rep": [rep] * n, "signup_date": [date(2025, 1, 1)] * n,
                         "tier": [tier_of(i) for i in range(n)]})


def _orders(rows: list[tuple[str, date, float]]) -> pl.DataFrame:
    return pl.DataFrame({"order_id": [f"O{i}" for i in range(len(rows))],
                         "customer_id": [r[0] for r in rows], "order_date": [r[1] for r in rows],
                         "amount": [r[2] for r in rows], "status": ["completed"] * len(rows)})


def test_owner_with_ten_customers_two_lost_has_80_percent_retention():
    cust = _customers(10, "Wang")
    rows = [(f"C{i:03d}", date(2026, 9, 10), 100.0) for i in range(10)]
    rows += [(f"C{i:03d}", date(2026, 10, 10), 50.0) for i in range(8)]  # C008, C009 lost
    log = transactions(_orders(rows), AS_OF)
    book = manage.book_of_business(cust, cust.select("customer_id", "tier"))
    sc = manage.owner_scorecard(book, log, AS_OF, min_base=5)
    row = sc.filter(pl.col("owner") == "Wang").row(0, named=True)
    assert row["prev_active"] == 10 and row["retained"] == 8
    assert row["retention"] == pytest.approx(0.8)
    assert row["revenue"] == pytest.approx(400.0) and row["revenue_prev"] == pytest.approx(1000.0)
    assert row["revenue_change"] == pytest.approx(-0.6)
    # the only book: its expected retention is the company's, so the lift is 0
    assert row["expected_retention"] == pytest.approx(0.8) and row["retention_lift"] == pytest.approx(0)
    assert row["rank"] == 1


def test_fairness_compares_each_book_with_its_tier_mix():
    # A tier keeps 90 % company-wide, C keeps 50 %; Li owns only C customers and keeps 60 %.
    a = _customers(10, "Wang", prefix="A")
    c = _customers(10, "Li", tier_of=lambda i: "C", prefix="K")
    c2 = _customers(10, "Zhao", tier_of=lambda i: "C", prefix="Z")
    cust = pl.concat([a, c, c2])
    rows = [(cid, date(2026, 9, 5), 10.0) for cid in cust.get_column("customer_id")]
    kept = [f"A{i:03d}" for i in range(9)] + [f"K{i:03d}" for i in range(6)] + \
        [f"Z{i:03d}" for i in range(4)]
    rows += [(cid, date(2026, 10, 5), 10.0) for cid in kept]
    book = manage.book_of_business(cust, cust.select("customer_id", "tier"))
    sc = manage.owner_scorecard(book, transactions(_orders(rows), AS_OF), AS_OF, min_base=5)
    by = {r["owner"]: r for r in sc.iter_rows(named=True)}
    assert by["Li"]["expected_retention"] == pytest.approx(0.5)
    assert by["Li"]["retention_lift"] == pytest.approx(0.1)
    assert by["Wang"]["retention_lift"] == pytest.approx(0.0)
    assert by["Li"]["rank"] == 1 and by["Wang"]["rank"] == 2 and by["Zhao"]["rank"] == 3
    assert manage.expected_by_mix({"A": 10, "C": 10}, {"A": 0.9, "C": 0.5}) == pytest.approx(0.7)


def test_small_books_get_no_rank_and_no_change():
    cust = _customers(3, "Few")
    rows = [(f"C{i:03d}", date(2026, 9, 10), 100.0) for i in range(3)]
    book = manage.book_of_business(cust, cust.select("customer_id", "tier"))
    sc = manage.owner_scorecard(book, transactions(_orders(rows), AS_OF), AS_OF, min_base=20)
    row = sc.row(0, named=True)
    assert row["rank"] is None and row["note"] == "too_few" and row["revenue_change"] is None
    assert row["retention"] == pytest.approx(0.0)


def test_visit_31_days_ago_on_a_30_day_policy_is_overdue_30_days_is_due():
    cust = _customers(2, "Wang")
    visits = pl.DataFrame({"visit_id": ["V1", "V2"], "customer_id": ["C000", "C001"],
                           "visit_date": [AS_OF - timedelta(days=31), AS_OF - timedelta(days=30)]})
    book = manage.book_of_business(cust, cust.select("customer_id", "tier"))
    policy = {"A": {"visit_days": 30, "response_days": 1}}
    plan = manage.care_plan(book, AS_OF, policy, visits=visits)
    kinds = dict(zip(plan.get_column("customer_id"), plan.get_column("kind"), strict=True))
    assert kinds == {"C000": "visit_overdue", "C001": "visit_due"}
    reason = plan.filter(pl.col("customer_id") == "C000").get_column("reason").item()
    assert "31 days ago" in reason and "1 days overdue" in reason


def test_care_plan_follow_ups_win_back_and_anniversary_with_reasons():
    cust = _customers(3, "Wang").with_columns(
        pl.Series("signup_date", [date(2024, 11, 15), date(2025, 1, 1), date(2025, 1, 1)]))
    status = pl.DataFrame({"complaint_id": ["T1"], "customer_id": ["C001"],
                           "opened_at": [datetime(2026, 10, 20, 9)], "resolved_at": [None],
                           "is_open": [True]}, schema_overrides={"resolved_at": pl.Datetime})
    warning = pl.DataFrame({"customer_id": ["C002"], "churn_probability": [0.7],
                            "reasons": ["no order for 90 days"]})
    book = manage.book_of_business(cust, cust.select("customer_id", "tier"))
    plan = manage.care_plan(book, AS_OF, {"A": {"response_days": 2}}, complaint_status=status,
                            warning=warning)
    got = {(r["customer_id"], r["kind"]): r for r in plan.iter_rows(named=True)}
    assert got[("C000", "anniversary")]["due_date"] == date(2026, 11, 15)
    assert "2-year" in got[("C000", "anniversary")]["reason"]
    assert got[("C001", "complaint_follow_up")]["due_date"] == date(2026, 11, 1)
    assert "T1" in got[("C001", "complaint_follow_up")]["reason"]
    assert got[("C002", "win_back_call")]["due_date"] == date(2026, 11, 2)
    assert "70%" in got[("C002", "win_back_call")]["reason"]


def test_wape_bias_and_baselines_by_hand():
    assert manage.wape([100, 50], [90, 70]) == pytest.approx(30 / 150)
    assert manage.bias([100, 50], [90, 70]) == pytest.approx(10 / 150)
    assert manage.wape([0, 0], [1, 2]) is None
    monthly = pl.DataFrame({"month": [date(2026, 7, 31), date(2026, 8, 31), date(2026, 9, 30),
                                      date(2025, 10, 31), date(2026, 6, 30)],
                            "customer_id": ["X"] * 5, "revenue": [30.0, 60.0, 90.0, 40.0, 999.0]})
    practice = manage.practice_baseline(monthly, date(2026, 9, 30))
    assert practice.get_column("practice").item() == pytest.approx(60.0)  # (30 + 60 + 90) / 3
    naive = manage.seasonal_naive(monthly, [date(2026, 10, 31)])
    assert naive.get_column("seasonal_naive").item() == pytest.approx(40.0)


def test_seasonal_index_finds_a_peak_month():
    months = [date(2022, 12, 31)]
    for _ in range(47):
        d = months[-1] + timedelta(days=1)
        months.append(date(d.year + d.month // 12, d.month % 12 + 1, 1) - timedelta(days=1))
    revenue = [200.0 if m.month == 11 else 100.0 for m in months]
    idx = manage.seasonal_index(pl.DataFrame({"month": months, "revenue": revenue}),
                                date(2026, 10, 31))
    assert idx[11] == pytest.approx(max(idx.values()))
    assert sum(idx.values()) / 12 == pytest.approx(1.0)
    assert idx[11] / idx[5] == pytest.approx(200 / 100, rel=0.05)


def test_reclaim_and_claim_lists():
    cust = pl.DataFrame({"customer_id": ["A", "B", "P1", "P2"],
                         "sales_rep": ["Wang", "Wang", None, ""],
                         "signup_date": [date(2025, 1, 1)] * 4, "tier": ["A"] * 4})
    rows = [("A", date(2026, 1, 1), 100.0), ("B", date(2026, 10, 1), 100.0),
            ("P1", date(2026, 10, 1), 10.0), ("P2", date(2026, 10, 1), 500.0)]
    log = transactions(_orders(rows), AS_OF)
    book = manage.book_of_business(cust, cust.select("customer_id", "tier"))
    visits = pl.DataFrame({"visit_id": ["V"], "customer_id": ["A"], "visit_date": [date(2026, 3, 1)]})
    rec = manage.reclaim_candidates(book, log, visits, AS_OF, 180)
    assert rec.get_column("customer_id").to_list() == ["A"]
    assert rec.get_column("days_idle").item() == (AS_OF - date(2026, 3, 1)).days
    claim = manage.claim_list(book, log, AS_OF)
    assert claim.get_column("customer_id").to_list() == ["P2", "P1"]


def test_customer_360_export_is_formula_safe(tmp_path):
    cust = pl.DataFrame({"customer_id": ["C1"], "company": ["=HYPERLINK(\"http://x\")"],
                         "name": ["+Zhang"], "sales_rep": ["@rep"], "signup_date": [date(2025, 1, 1)],
                         "tier": ["A"]})
    book = manage.book_of_business(cust, cust.select("customer_id", "tier"))
    crm = manage.customer_360(book, AS_OF)
    frame, heads = manage.preset_frame(crm, "fxiaoke")
    assert "客户名称" in heads
    paths = exports.write_table(frame, tmp_path / "crm", headers=heads)
    text = paths["csv"].read_bytes().decode("utf-8")
    assert text.startswith("\ufeff")
    assert "'=HYPERLINK" in text and "'+Zhang" in text and "'@rep" in text


def test_alerts_fire_above_their_thresholds_only():
    figures = {"tier_a_revenue_at_risk": 130.0, "nps": 30.0, "sla_breach_share": 0.05,
               "sla_complaints": 20, "revenue_actual": 100.0}
    previous = {"tier_a_revenue_at_risk": 100.0, "nps": 36.0, "forecast_next": 120.0}
    out = manage.check_alerts(figures, previous, manage.DEFAULT_ALERTS)
    assert sorted(a["key"] for a in out["fired"]) == ["forecast_miss", "nps_down", "tier_a_risk_up"]
    quiet = manage.check_alerts(figures, {}, manage.DEFAULT_ALERTS)
    assert quiet["fired"] == [] and "tier_a_risk_up" in quiet["skipped"]


def test_interactive_table_escapes_and_masks():
    df = pl.DataFrame({"name": ["张伟"], "note": ["<script>alert(1)</script>"], "v": [1.5]})
    markup = plots.tables.interactive_table(df).markup
    assert "<script>alert" not in markup and "&lt;script&gt;" in markup
    assert "张*" in markup and 'data-sort="1.5"' in markup
    assert len(plots.tables.SCRIPT_SHA256) == 44


def test_settings_refuse_bad_values():
    with pytest.raises(ConfigError, match="care_policy.A"):
        manage.ManagementSettings.from_mapping({"care_policy": {"A": {"visits": 3}}})
    with pytest.raises(ConfigError, match="alerts.unknown"):
        manage.ManagementSettings.from_mapping({"alerts": {"unknown": 1}})
    s = manage.ManagementSettings.from_mapping({"alerts": {"nps_down": None}})
    assert s.alerts["nps_down"] is None and s.alerts["forecast_miss"] == 0.15


def test_analyse_on_the_small_demo(small_processed):
    from workbench import context, io, segment

    ctx = context.resolve(small_processed)
    tables = {n: ctx.load(n) for n in manage.TABLES}
    seg = segment.build_segments(tables["orders"], tables["customers"], as_of=ctx.as_of,
                                 cluster=False).table
    a = manage.analyse(tables, seg, ctx.as_of, manage.ManagementSettings(forecast_cutoffs=2))
    kr = manage.key_results(a)
    owners = a.book.get_column("owner").n_unique()
    assert len(kr["performance"]) == owners
    assert set(kr["care_plan"]["per_kind"]) == set(manage.ACTION_KINDS)
    bt = kr["forecast"]["backtest"]
    assert set(bt) == {"total", "customer"} and set(bt["total"]) == set(manage.METHODS)
    assert bt["total"]["model"]["wape"] is not None
    assert isinstance(kr["alerts"], list)
    assert a.crm.height == tables["customers"].height
    # the order columns the step declares it reads are all it reads: the same results
    narrow = {n: ctx.loader(manage.READS)(n) for n in manage.TABLES}
    assert narrow["orders"].width < tables["orders"].width
    b = manage.analyse(narrow, seg, ctx.as_of, manage.ManagementSettings(forecast_cutoffs=2))
    assert manage.key_results(b) == kr and b.crm.equals(a.crm) and b.book.equals(a.book)
    path = io.save_step_results(ctx.results_dir, "management", kr)
    assert io.load_step_results(ctx.results_dir, "management")["forecast"]["next"]["period"]
    assert path.is_file()


def test_analyse_from_a_scan_and_in_partitions_of_the_customers_is_the_same(small_processed,
                                                                             monkeypatch):
    """The orders as a scan (what notebook 06 passes) or as a frame, and the log summarised
    in one piece or per hash partition of the customers (first purchases, category shares,
    the CLV summaries of the forecast): the same results, table by table."""
    from polars.testing import assert_frame_equal

    from workbench import context, frames, segment

    ctx = context.resolve(small_processed)
    frame = {n: ctx.loader(manage.READS)(n) for n in manage.TABLES}
    scan = {n: ctx.loader(manage.READS, lazy=["orders"])(n) for n in manage.TABLES}
    assert isinstance(scan["orders"], pl.LazyFrame)
    seg = segment.build_segments(frame["orders"], frame["customers"], as_of=ctx.as_of,
                                 cluster=False).table
    st = manage.ManagementSettings(forecast_cutoffs=2)

    def same(a, b) -> None:
        ka, kb = manage.key_results(a), manage.key_results(b)
        assert ka.keys() == kb.keys()
        assert ka["care_plan"] == kb["care_plan"] and ka["performance"] == kb["performance"]
        for t in ("book", "care_plan", "forecast", "reclaim", "claim", "crm"):
            assert_frame_equal(getattr(a, t), getattr(b, t), check_exact=False, rel_tol=1e-9)
        for by in a.rollups:
            assert_frame_equal(a.rollups[by], b.rollups[by], check_exact=False, rel_tol=1e-9)
        assert_frame_equal(a.backtest.totals, b.backtest.totals, check_exact=False,
                           rel_tol=1e-9)
        assert a.forecast_total == pytest.approx(b.forecast_total, rel=1e-9)

    whole = manage.analyse(frame, seg, ctx.as_of, st)
    assert "category" in whole.rollups and whole.rollups["category"].height > 1
    same(whole, manage.analyse(scan, seg, ctx.as_of, st))
    monkeypatch.setattr(frames, "ROWS_PER_PART", 300)
    assert frame["orders"].height > 5 * 300                   # several partitions
    same(whole, manage.analyse(scan, seg, ctx.as_of, st))
