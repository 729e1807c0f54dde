"""The care plan and pool reasons computed column-wise: the same rows and words as row by row."""

from __future__ import annotations

from datetime import date, datetime

import polars as pl

from workbench import i18n, manage
from workbench.manage.care import anniversaries, care_plan
from workbench.manage.text import ROOM, say_column

AS_OF = date(2026, 10, 31)


def test_say_column_fills_each_row_like_i18n_say():
    frame = pl.DataFrame({"gap": [40, 40, 200], "days": [30, 30, 90], "tier": ["A", "A", "B"],
                          "seen": [True, True, False],
                          "last": [date(2026, 9, 21), date(2026, 9, 21), date(2026, 4, 14)]})
    key = pl.when(pl.col("seen")).then(pl.lit("visit_overdue")).otherwise(
        pl.lit("visit_overdue_never"))
    got = say_column(frame, key, "en", {
        "days": pl.col("gap"), "policy": pl.col("days"), "tier": pl.col("tier"),
        "late": pl.col("gap") - pl.col("days"), "last": pl.col("last").dt.to_string("%Y-%m-%d")})
    assert got.to_list() == [
        "Tier A: last visit 2026-09-21 (40 days ago) on a 30-day cadence, 10 days overdue",
        "Tier A: last visit 2026-09-21 (40 days ago) on a 30-day cadence, 10 days overdue",
        i18n.say("reason.visit_overdue_never", "en", room=ROOM, days=200, policy=90, tier="B",
                 late=110, last="2026-04-14")]
    assert say_column(frame.head(0), "visit_due", "en", {"policy": pl.col("days")}).len() == 0


def test_anniversaries_in_the_next_period_and_the_29th_of_february():
    days = pl.DataFrame({"d": [date(2024, 11, 15), date(2025, 11, 30), date(2026, 11, 3),
                               date(2020, 2, 29), date(2019, 12, 1), None]})
    got = days.select(anniversaries(pl.col("d"), AS_OF, date(2026, 11, 30))).to_series().to_list()
    # 2026-11-03 is the signup itself (no anniversary yet); December is after the period
    assert got == [date(2026, 11, 15), date(2026, 11, 30), None, None, None, None]
    feb = days.select(anniversaries(pl.col("d"), date(2027, 1, 31), date(2027, 2, 28)))
    assert feb.to_series().to_list()[3] == date(2027, 2, 28)  # Feb 29 falls on Feb 28


def test_care_plan_rows_kinds_and_order():
    cust = pl.DataFrame({
        "customer_id": ["C1", "C2", "C3", "C4"], "sales_rep": ["Wang", "Wang", "Li", "Li"],
        "signup_date": [date(2025, 1, 1), date(2024, 11, 20), date(2026, 10, 1), date(2027, 1, 1)],
        "tier": ["A", "B", "A", "A"]})
    seg = cust.select("customer_id", "tier").with_columns(
        pl.Series("rfm_segment", ["cant_lose", "at_risk", None, None]))
    book = manage.book_of_business(cust, seg)
    visits = pl.DataFrame({"customer_id": ["C1", "C2"],
                           "visit_date": [date(2026, 9, 1), date(2026, 8, 20)]})
    status = pl.DataFrame({"complaint_id": ["T2", "T1", "T3"], "customer_id": ["C1", "C1", "C2"],
                           "opened_at": [datetime(2026, 10, 25), datetime(2026, 10, 20),
                                         datetime(2026, 10, 2)],
                           "resolved_at": [None, None, datetime(2026, 10, 5)],
                           "is_open": [True, True, False]})
    warning = pl.DataFrame({"customer_id": ["C2"], "churn_probability": [0.55], "reasons": [None]},
                           schema_overrides={"reasons": pl.String})
    policy = manage.ManagementSettings().care_policy
    plan = care_plan(book, AS_OF, policy, visits=visits, complaint_status=status,
                     warning=warning, lang="en")
    rows = [(r["owner"], r["customer_id"], r["kind"], r["due_date"])
            for r in plan.iter_rows(named=True)]
    assert rows == [
        ("Li", "C3", "visit_due", date(2026, 10, 31)),          # signed up 30 days ago, cadence 30
        ("Wang", "C1", "complaint_follow_up", date(2026, 11, 1)),  # T1 (opened first) then T2
        ("Wang", "C1", "complaint_follow_up", date(2026, 11, 1)),
        ("Wang", "C2", "complaint_follow_up", date(2026, 11, 1)),  # resolved this month, no visit
        ("Wang", "C2", "win_back_call", date(2026, 11, 3)),        # tier B: 3 days; at_risk not twice
        ("Wang", "C1", "retention_call", date(2026, 11, 1)),       # cant_lose, tier A: 1 day
        ("Wang", "C1", "visit_overdue", date(2026, 11, 1)),        # 60 days on a 30-day cadence
        ("Wang", "C2", "visit_due", date(2026, 11, 18)),           # 2026-08-20 + 90 days
        ("Wang", "C2", "anniversary", date(2026, 11, 20)),
    ]
    reasons = plan.get_column("reason").to_list()
    assert "T1" in reasons[1] and "T2" in reasons[2] and "T3" in reasons[3]
    assert reasons[4] == "Churn warning (probability 55%): -"
    assert reasons[6] == ("Tier A: last visit 2026-09-01 (60 days ago) on a 30-day cadence, "
                          "30 days overdue")
    assert reasons[8] == "2-year anniversary of signup (2024-11-20)"
    assert plan.filter(pl.col("customer_id") == "C4").height == 0  # signs up after the as-of date


def test_reclaim_reasons_say_days_and_rule():
    cust = pl.DataFrame({"customer_id": ["C1", "C2"], "sales_rep": ["Wang", "Wang"],
                         "signup_date": [date(2025, 1, 1), date(2025, 1, 1)], "tier": ["A", "A"]})
    book = manage.book_of_business(cust, cust.select("customer_id", "tier"))
    log = pl.DataFrame({"customer_id": ["C1"], "day": [date(2026, 1, 10)], "kind": ["purchase"],
                        "value": [100.0]})
    visits = pl.DataFrame({"customer_id": ["C1"], "visit_date": [date(2026, 2, 1)]})
    out = manage.reclaim_candidates(book, log, visits, AS_OF, 180, lang="en")
    got = dict(zip(out.get_column("customer_id").to_list(), out.get_column("reason").to_list(),
                   strict=True))
    assert got == {"C1": "No visit and no order for 272 days (rule: 180 days)",
                   "C2": "No visit and no order ever (668 days on file, rule: 180 days)"}
