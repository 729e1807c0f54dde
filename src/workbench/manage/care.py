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
from .settings import DEFAULT_RESPONSE_DAYS, visit_cadence
from .text import say_column

__all__ = ["ACTION_KINDS", "BIRTHDAY_COLUMNS", "anniversaries", "care_plan"]

#: Kinds of action, most urgent first (``priority`` is the position).
ACTION_KINDS = ("complaint_follow_up", "win_back_call", "retention_call", "visit_overdue",
                "visit_due", "anniversary", "birthday")
BIRTHDAY_COLUMNS = ("birthday", "birth_date", "date_of_birth")

_COLUMNS = {"owner": pl.String, "team": pl.String, "region": pl.String,
            "customer_id": pl.String, "tier": pl.String, "kind": pl.String, "priority": pl.Int64,
            "due_date": pl.Date, "reason": pl.String}


def _iso(col: str) -> pl.Expr:
    return pl.col(col).dt.to_string("%Y-%m-%d")


def anniversaries(days: pl.Expr, start: date, end: date) -> pl.Expr:
    """The first anniversary of each date of ``days`` in ``start < d <= end`` (whole years
    after the date; a 29 February falls on 28 February in other years), or null."""
    cands = []
    for year in range(start.year, end.year + 1):
        d = days.dt.offset_by(pl.concat_str((pl.lit(year) - days.dt.year()).cast(pl.String),
                                            pl.lit("y")))
        cands.append(pl.when((d > pl.lit(start)) & (d <= pl.lit(end))
                             & (pl.lit(year) > days.dt.year())).then(d))
    return pl.coalesce(cands) if cands else pl.lit(None, pl.Date)


def _policy_frame(policy: Mapping[str, Mapping[str, Any]]) -> pl.DataFrame:
    """``tier, visit_days, response_days`` of the policy's tiers (null where a tier sets none)."""
    cadence = visit_cadence(policy)
    rows = [{"tier": str(t), "visit_days": cadence.get(str(t)),
             "response_days": (p or {}).get("response_days")} for t, p in policy.items()]
    return pl.DataFrame(rows, schema={"tier": pl.String, "visit_days": pl.Int64,
                                      "response_days": pl.Int64})


def _rows(frame: pl.DataFrame, kind: str, due: pl.Expr, reason: pl.Series) -> pl.DataFrame:
    """The plan's columns of ``frame`` (people columns joined) for one kind of action."""
    return frame.select(
        pl.col("owner"), pl.col("team"), pl.col("region"), pl.col("customer_id"), pl.col("tier"),
        pl.lit(kind).alias("kind"), pl.lit(ACTION_KINDS.index(kind) + 1, pl.Int64).alias("priority"),
        due.cast(pl.Date).alias("due_date"), reason.alias("reason"))


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
    bcol = next((c for c in BIRTHDAY_COLUMNS if c in people.columns), None)
    # only the columns the plan reads: the book holds every customer attribute
    people = people.select(c for c in ("customer_id", "owner", "team", "region", "tier",
                                       "rfm_segment", "signup_date", bcol)
                           if c and c in people.columns)
    if "signup_date" in people.columns:
        people = people.with_columns(pl.col("signup_date").cast(pl.Date).alias("_signup")
                                     ).filter(pl.col("_signup") <= as_of).drop("signup_date")
    else:
        people = people.with_columns(pl.lit(None, pl.Date).alias("_signup"))
    people = people.unique("customer_id", keep="last", maintain_order=True)
    for c in ("team", "region"):
        if c not in people.columns:
            people = people.with_columns(pl.lit(None, pl.String).alias(c))
    end = periods.next_period_end(as_of, freq)
    tomorrow = pl.lit(as_of + timedelta(days=1))
    pol = _policy_frame(policy)
    people = (people.with_columns(pl.col("tier").cast(pl.String))
              .join(pol, on="tier", how="left", maintain_order="left")
              .with_columns(pl.col("response_days").fill_null(DEFAULT_RESPONSE_DAYS)))
    base = ["owner", "team", "region", "customer_id", "tier"]
    blocks: list[pl.DataFrame] = []

    last_visit = pl.DataFrame(schema={"customer_id": pl.String, "_seen": pl.Date})
    if visits is not None:
        v = as_polars(visits, "visits", ["customer_id", "visit_date"]).filter(
            pl.col("visit_date").cast(pl.Date) <= as_of)
        last_visit = v.group_by("customer_id").agg(
            pl.col("visit_date").cast(pl.Date).max().alias("_seen")).with_columns(
            pl.col("customer_id").cast(pl.String))
    people = people.join(last_visit, on="customer_id", how="left", maintain_order="left")

    # visits: overdue (due at once) or falling due inside the next period
    vd = people.filter(pl.col("visit_days").is_not_null() & (pl.col("visit_days") != 0)
                       ).with_columns(pl.coalesce("_seen", "_signup").alias("_since")
                                      ).filter(pl.col("_since").is_not_null())
    vd = vd.with_columns((pl.lit(as_of) - pl.col("_since")).dt.total_days().alias("_gap"),
                         (pl.col("_since") + pl.duration(days=pl.col("visit_days"))).alias("_due"))
    over = vd.filter(pl.col("_gap") > pl.col("visit_days"))
    blocks.append(_rows(over, "visit_overdue", tomorrow, say_column(
        over, pl.when(pl.col("_seen").is_not_null()).then(pl.lit("visit_overdue"))
        .otherwise(pl.lit("visit_overdue_never")), lang,
        {"days": pl.col("_gap"), "policy": pl.col("visit_days"), "tier": pl.col("tier"),
         "late": pl.col("_gap") - pl.col("visit_days"), "last": _iso("_since")})))
    due = vd.filter((pl.col("_gap") <= pl.col("visit_days")) & (pl.col("_due") <= end))
    blocks.append(_rows(due, "visit_due", pl.col("_due"), say_column(
        due, "visit_due", lang, {"policy": pl.col("visit_days"), "tier": pl.col("tier"),
                                 "last": _iso("_since")})))

    # complaints: open at as_of, or resolved this period with no visit since
    start_period = periods.period_bounds(as_of, freq, 0)[0]
    if complaint_status is not None:
        st = as_polars(complaint_status, "complaint status",
                       ["complaint_id", "customer_id", "opened_at", "resolved_at", "is_open"])
        st = st.sort("opened_at", maintain_order=True).select(
            pl.col("complaint_id"), pl.col("customer_id").cast(pl.String),
            pl.col("opened_at").cast(pl.Date).alias("_opened"),
            pl.col("resolved_at").cast(pl.Date).alias("_resolved"), pl.col("is_open"),
        ).join(people.select(*base, "response_days", "_seen"), on="customer_id", how="inner",
               maintain_order="left")
        resp = pl.duration(days=pl.col("response_days"))
        is_open = st.filter(pl.col("is_open"))
        resolved = st.filter(~pl.col("is_open") & (pl.col("_resolved") >= start_period)
                             & (pl.col("_resolved") <= as_of)
                             & (pl.col("_seen").is_null() | (pl.col("_seen") < pl.col("_resolved"))))
        open_rows = _rows(is_open, "complaint_follow_up",
                          pl.max_horizontal(pl.col("_opened") + resp, tomorrow),
                          say_column(is_open, "complaint_open", lang,
                                     {"id": pl.col("complaint_id"), "opened": _iso("_opened"),
                                      "days": (pl.lit(as_of) - pl.col("_opened")).dt.total_days()}))
        res_rows = _rows(resolved, "complaint_follow_up",
                         pl.max_horizontal(pl.col("_resolved") + resp, tomorrow),
                         say_column(resolved, "complaint_resolved", lang,
                                    {"id": pl.col("complaint_id"),
                                     "resolved": _iso("_resolved")}))
        # in the order the complaints were opened, as they are followed up
        order = pl.concat([is_open.select("complaint_id", pl.lit(0).alias("_b"),
                                          pl.int_range(pl.len()).alias("_r")),
                           resolved.select("complaint_id", pl.lit(1).alias("_b"),
                                           pl.int_range(pl.len()).alias("_r"))])
        both = pl.concat([open_rows, res_rows])
        if both.height:
            pos = st.select(pl.col("complaint_id"), pl.int_range(pl.len()).alias("_p"))
            both = (both.with_columns(order.get_column("_b"), order.get_column("_r"))
                    .with_columns(order.join(pos, on="complaint_id", how="left",
                                             maintain_order="left").get_column("_p"))
                    .sort("_p", maintain_order=True).drop("_b", "_r", "_p"))
        blocks.append(both)

    # the churn warning list, then the tiers' RFM segment actions
    called = pl.DataFrame(schema={"customer_id": pl.String})
    if warning is not None:
        w = as_polars(warning, "warning list", ["customer_id"])
        prob = (pl.col("churn_probability").cast(pl.Float64).fill_null(float("nan"))
                if "churn_probability" in w.columns else pl.lit(float("nan")))
        why = (pl.when(pl.col("reasons").cast(pl.String).fill_null("") != "")
               .then(pl.col("reasons").cast(pl.String)).otherwise(pl.lit("-"))
               if "reasons" in w.columns else pl.lit("-"))
        w = w.select(pl.col("customer_id").cast(pl.String), prob.alias("_p"), why.alias("_why")
                     ).join(people.select(*base, "response_days"), on="customer_id",
                            how="inner", maintain_order="left")
        blocks.append(_rows(w, "win_back_call",
                            pl.lit(as_of) + pl.duration(days=pl.col("response_days")),
                            say_column(w, "win_back", lang, {"p": pl.col("_p"),
                                                             "why": pl.col("_why")})))
        called = w.select("customer_id").unique()
    if "rfm_segment" in people.columns:
        acts = [{"tier": str(t), "_seg": str(s), "_act": str(a)}
                for t, p in policy.items()
                for s, a in ((p or {}).get("segment_actions") or {}).items() if a]
        if acts:
            seg = (people.with_columns(pl.col("rfm_segment").cast(pl.String).fill_null("")
                                       .alias("_seg"))
                   .join(pl.DataFrame(acts, schema={"tier": pl.String, "_seg": pl.String,
                                                    "_act": pl.String}),
                         on=["tier", "_seg"], how="inner", maintain_order="left")
                   .join(called, on="customer_id", how="anti", maintain_order="left")
                   .with_columns(pl.when(pl.col("_act").is_in(list(ACTION_KINDS)))
                                 .then(pl.col("_act")).otherwise(pl.lit("retention_call"))
                                 .alias("_kind")))
            labels = {s: i18n.t(s, lang, room=SEGMENT_ROOM)
                      for s in seg.get_column("_seg").unique().to_list()}
            for kind in ACTION_KINDS:
                part = seg.filter(pl.col("_kind") == kind)
                if part.height:
                    blocks.append(_rows(part, kind,
                                        pl.lit(as_of) + pl.duration(days=pl.col("response_days")),
                                        say_column(part, "segment", lang, {
                                            "segment": pl.col("_seg").replace_strict(
                                                labels, return_dtype=pl.String)})))

    # signup anniversaries and birthdays inside the next period
    ann = people.with_columns(anniversaries(pl.col("_signup"), as_of, end).alias("_d")
                              ).filter(pl.col("_d").is_not_null())
    blocks.append(_rows(ann, "anniversary", pl.col("_d"), say_column(
        ann, "anniversary", lang, {"years": pl.col("_d").dt.year() - pl.col("_signup").dt.year(),
                                   "since": _iso("_signup")})))
    if bcol:
        bd = people.with_columns(anniversaries(pl.col(bcol).cast(pl.Date), as_of, end)
                                 .alias("_d")).filter(pl.col("_d").is_not_null())
        blocks.append(_rows(bd, "birthday", pl.col("_d"),
                            say_column(bd, "birthday", lang, {"day": _iso("_d")})))
    out = pl.concat([b.cast(pl.Schema(_COLUMNS)) for b in blocks]) if blocks else pl.DataFrame(
        schema=_COLUMNS)
    return out.select(list(_COLUMNS)).sort(["owner", "priority", "due_date", "customer_id"],
                                           maintain_order=True)
