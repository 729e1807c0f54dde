"""The care plan: what each owner owes their customers in the next period, and why.

For the next period ``(as_of, next_period_end]`` (``periods.next_period_end``), per owner:

- ``visit_overdue``: a customer of a tier with a visit cadence (``care_policy.<tier>.visit_days``)
  whose last visit (or signup, never visited) is more than ``visit_days`` days before
  ``as_of`` (the rule of :func:`workbench.service.overdue_visits`): a visit 31 days ago on a 30-day cadence is overdue by 1 day.  Due at once.
- ``visit_due``: the next visit falls due inside the next period (last visit + cadence).
- ``complaint_follow_up``: a complaint open at ``as_of`` (due ``response_days`` after it was
  opened, or at once when that has passed), or one resolved in the current period with no
  visit since (due ``response_days`` after resolution).
- ``win_back_call``: on the churn warning list (step 04), with its reasons; due within
  ``response_days``.
- the tier's ``segment_actions`` (e.g. ``cant_lose: retention_call``): customers of those RFM
  segments not already called back from the warning list.
- ``anniversary`` / ``birthday``: the signup anniversary (whole years) or the birthday (a
  ``birthday`` / ``birth_date`` column, when the customers table has one) inside the next period.

Each row says why it is on the list (``reason``, in the report language) and by when
(``due_date``); the list is sorted by owner, priority and due date.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

import polars as pl

from .. import i18n, periods
from ..frames import as_polars
from ..segment import ROOM as SEGMENT_ROOM
from .text import ROOM

__all__ = ["ACTION_KINDS", "BIRTHDAY_COLUMNS", "care_plan"]

#: Kinds of action, most urgent first (``priority`` is the position).
ACTION_KINDS = ("complaint_follow_up", "win_back_call", "retention_call", "visit_overdue",
                "visit_due", "anniversary", "birthday")
BIRTHDAY_COLUMNS = ("birthday", "birth_date", "date_of_birth")

_COLUMNS = {"owner": pl.String, "team": pl.String, "region": pl.String,
            "customer_id": pl.String, "tier": pl.String, "kind": pl.String, "priority": pl.Int64,
            "due_date": pl.Date, "reason": pl.String}


def _policy(policy: Mapping[str, Mapping[str, Any]], tier: str, key: str, default: int) -> int:
    return int((policy.get(tier) or {}).get(key, default))


def _say(key: str, lang: str, **values: Any) -> str:
    return i18n.say(f"reason.{key}", lang, room=ROOM, **values)


def _anniversary(day: date, start: date, end: date) -> date | None:
    """The anniversary of ``day`` in ``start < d <= end`` (Feb 29 falls on Feb 28), or None."""
    for year in range(start.year, end.year + 1):
        try:
            d = day.replace(year=year)
        except ValueError:
            d = date(year, 2, 28)
        if start < d <= end and d.year > day.year:
            return d
    return None


def care_plan(book: Any, as_of: date, policy: Mapping[str, Mapping[str, Any]], *,
              visits: Any = None, complaint_status: Any = None, warning: Any = None,
              freq: str = "month", lang: str = "en") -> pl.DataFrame:
    """The action list of the next period, one row per action (see the module's rules).

    Args:
        book: :func:`~.book.book_of_business` (``customer_id, owner, team, region, tier,
            rfm_segment, signup_date``).
        as_of: the as-of date; the next period ends at ``periods.next_period_end(as_of, freq)``.
        policy: ``ManagementSettings.care_policy``.
        visits: canonical visits known at ``as_of``.
        complaint_status: :func:`workbench.service.complaint_status` at ``as_of``.
        warning: the churn warning list (``customer_id, reasons``).
        lang: language of ``reason``.

    Returns:
        ``owner, team, region, customer_id, tier, kind, priority, due_date, reason``.
    """
    people = as_polars(book, "book", ["customer_id", "owner", "tier"])
    if "signup_date" in people.columns:
        people = people.filter(pl.col("signup_date").cast(pl.Date) <= as_of)
    end = periods.next_period_end(as_of, freq)
    info = {r["customer_id"]: r for r in people.iter_rows(named=True)}
    rows: list[dict[str, Any]] = []

    def add(cid: str, kind: str, due: date, reason: str) -> None:
        p = info[cid]
        rows.append({"owner": p["owner"], "team": p.get("team"), "region": p.get("region"),
                     "customer_id": cid, "tier": p["tier"], "kind": kind,
                     "priority": ACTION_KINDS.index(kind) + 1, "due_date": due, "reason": reason})

    last_visit: dict[str, date] = {}
    if visits is not None:
        v = as_polars(visits, "visits", ["customer_id", "visit_date"]).filter(
            pl.col("visit_date").cast(pl.Date) <= as_of)
        last_visit = dict(v.group_by("customer_id").agg(pl.col("visit_date").cast(pl.Date).max())
                          .iter_rows())
    for cid, p in info.items():
        days = (policy.get(p["tier"]) or {}).get("visit_days")
        if not days:
            continue
        seen = last_visit.get(cid)
        since = seen or (p["signup_date"] if "signup_date" in p else None)
        if since is None:
            continue
        since = since if isinstance(since, date) else since.date()
        due = since + timedelta(days=int(days))
        gap = (as_of - since).days
        if gap > int(days):
            key = "visit_overdue" if seen else "visit_overdue_never"
            add(cid, "visit_overdue", as_of + timedelta(days=1),
                _say(key, lang, days=gap, policy=int(days), tier=p["tier"], late=gap - int(days),
                     last=since.isoformat()))
        elif due <= end:
            add(cid, "visit_due", due, _say("visit_due", lang, policy=int(days), tier=p["tier"],
                                             last=since.isoformat()))
    start_period = periods.period_bounds(as_of, freq, 0)[0]
    if complaint_status is not None:
        st = as_polars(complaint_status, "complaint status",
                       ["complaint_id", "customer_id", "opened_at", "resolved_at", "is_open"])
        for r in st.sort("opened_at").iter_rows(named=True):
            cid = r["customer_id"]
            if cid not in info:
                continue
            resp = _policy(policy, info[cid]["tier"], "response_days", 3)
            opened = r["opened_at"].date() if hasattr(r["opened_at"], "date") else r["opened_at"]
            if r["is_open"]:
                due = max(opened + timedelta(days=resp), as_of + timedelta(days=1))
                add(cid, "complaint_follow_up", due,
                    _say("complaint_open", lang, id=r["complaint_id"], opened=opened.isoformat(),
                         days=(as_of - opened).days))
                continue
            res = r["resolved_at"]
            res_day = res.date() if hasattr(res, "date") else res
            seen = last_visit.get(cid)
            if start_period <= res_day <= as_of and (seen is None or seen < res_day):
                add(cid, "complaint_follow_up", max(res_day + timedelta(days=resp),
                                                    as_of + timedelta(days=1)),
                    _say("complaint_resolved", lang, id=r["complaint_id"],
                         resolved=res_day.isoformat()))
    called: set[str] = set()
    if warning is not None:
        w = as_polars(warning, "warning list", ["customer_id"])
        has_reasons = "reasons" in w.columns
        for r in w.iter_rows(named=True):
            cid = r["customer_id"]
            if cid not in info:
                continue
            resp = _policy(policy, info[cid]["tier"], "response_days", 3)
            prob = r.get("churn_probability")
            add(cid, "win_back_call", as_of + timedelta(days=resp),
                _say("win_back", lang, p=prob if prob is not None else float("nan"),
                     why=(r["reasons"] if has_reasons and r["reasons"] else "-")))
            called.add(cid)
    if "rfm_segment" in people.columns:
        for cid, p in info.items():
            actions = (policy.get(p["tier"]) or {}).get("segment_actions") or {}
            act = actions.get(p.get("rfm_segment") or "")
            if not act or cid in called:
                continue
            kind = act if act in ACTION_KINDS else "retention_call"
            if kind == "win_back_call":
                called.add(cid)
            resp = _policy(policy, p["tier"], "response_days", 3)
            add(cid, kind, as_of + timedelta(days=resp),
                _say("segment", lang, segment=i18n.t(str(p["rfm_segment"]), lang,
                                                    room=SEGMENT_ROOM)))
    bcol = next((c for c in BIRTHDAY_COLUMNS if c in people.columns), None)
    for cid, p in info.items():
        sd = p.get("signup_date")
        if sd is not None:
            sd = sd if not hasattr(sd, "date") or type(sd) is date else sd.date()
            d = _anniversary(sd, as_of, end)
            if d is not None:
                add(cid, "anniversary", d, _say("anniversary", lang, years=d.year - sd.year,
                                                since=sd.isoformat()))
        if bcol and p.get(bcol) is not None:
            bd = p[bcol] if type(p[bcol]) is date else p[bcol].date()
            d = _anniversary(bd, as_of, end)
            if d is not None:
                add(cid, "birthday", d, _say("birthday", lang, day=d.isoformat()))
    out = pl.DataFrame(rows, schema=_COLUMNS)
    return out.sort(["owner", "priority", "due_date", "customer_id"])
