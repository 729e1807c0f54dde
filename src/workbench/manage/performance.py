"""The owner scorecard: each rep's (team's, region's) book, measured fairly against its tier mix.

Definitions (``docs/management.md``):

- **Period**: the reporting period holding ``as_of`` (``periods.period_bounds``, cut at
  ``as_of``) and the one before it (``shift=-1``).
- **Revenue**: net revenue of the book's customers in the period (the transaction model's
  ``value``: purchases minus returns after the outlier policy).
- **Retention of the book**: of the book's customers with a purchase in the previous
  period, the share with a purchase in this period (the service scorecard's
  ``retention_rate``, per book).
- **Fairness**: a book is compared with what its tier mix predicts.  Expected retention =
  sum over tiers of the book's previous-period actives of that tier x the company-wide
  retention of that tier, divided by the book's previous-period actives; expected revenue
  = sum over tiers of the book's previous-period revenue of that tier x the company-wide
  revenue growth of that tier.  ``retention_lift`` = retention - expected and
  ``revenue_lift`` = revenue / expected - 1 rank the books, so owning C-tier customers is
  not ranked as poor work.
- **Tier migration**: customers tiered at both dates whose tier improved (upgrades) or
  worsened (downgrades); ``net_migration`` = upgrades - downgrades.
- **Visit compliance**: share of the book's customers under a visit policy who are not
  overdue (:func:`workbench.service.overdue_visits`).
- **Complaint SLA compliance**: share of the book's complaints opened in the trailing
  window that did not breach their SLA (:func:`workbench.service.complaint_status`);
  median hours to resolve of the resolved ones.
- **NPS**: latest answer per customer in the trailing window, with its interval
  (:func:`workbench.service.nps_score`).
- **Small-number guard** (``min_base``): no change and no rank when the count behind it is
  below ``min_base``; ``note`` says ``too_few``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import polars as pl

from .. import periods
from .. import transactions as tx
from ..errors import UsageError
from ..frames import as_lazy, as_polars
from ..service import latest_responses, nps_score
from .book import NO_TIER, SHARED_POOL

__all__ = ["GROUPS", "expected_by_mix", "owner_scorecard"]

GROUPS = ("owner", "team", "region")


def _period_sums(log: pl.LazyFrame, first: date, last: date, name: str) -> pl.DataFrame:
    """Each customer's net revenue and whether they bought in ``first .. last`` (only the
    period's rows are read, on the streaming engine)."""
    w = log.filter((pl.col("day") >= first) & (pl.col("day") <= last))
    return w.group_by("customer_id").agg(
        tx.money_sum(pl.col("value")).alias(f"revenue_{name}"),
        (pl.col("kind") == "purchase").any().alias(f"active_{name}")).collect(engine="streaming")


def expected_by_mix(book_counts: dict[str, float], company_rates: dict[str, float | None]
                    ) -> float | None:
    """Sum over tiers of ``count x company rate``, divided by the counts (None without counts).

    >>> expected_by_mix({"A": 10, "C": 10}, {"A": 0.9, "C": 0.5})
    0.7
    """
    total = sum(n for t, n in book_counts.items() if company_rates.get(t) is not None)
    if not total:
        return None
    return round(sum(n * (company_rates[t] or 0.0) for t, n in book_counts.items()
                     if company_rates.get(t) is not None) / total, 12)


def _tier_rates(cust: pl.DataFrame) -> tuple[dict[str, float | None], dict[str, float | None]]:
    """Company-wide retention and revenue growth per tier."""
    g = cust.group_by("tier").agg(
        pl.col("active_prev").sum().alias("prev"),
        (pl.col("active_prev") & pl.col("active_cur")).sum().alias("kept"),
        pl.col("revenue_prev").sum().alias("rp"), pl.col("revenue_cur").sum().alias("rc"))
    ret: dict[str, float | None] = {}
    growth: dict[str, float | None] = {}
    for r in g.iter_rows(named=True):
        ret[r["tier"]] = r["kept"] / r["prev"] if r["prev"] else None
        growth[r["tier"]] = r["rc"] / r["rp"] if r["rp"] else None
    return ret, growth


def owner_scorecard(book: Any, log: Any, as_of: date, *, freq: str = "month", by: str = "owner",
                    complaint_status: Any = None, surveys: Any = None, overdue: Any = None,
                    visit_policy: Sequence[str] = (), warning: Any = None,
                    segments_before: Any = None, tiers: Sequence[str] = ("A", "B", "C"),
                    min_base: int = 20, window_months: int = 12, confidence: float = 0.95
                    ) -> pl.DataFrame:
    """One row per owner (or team, region): book, revenue, retention, fairness, service.

    Args:
        book: :func:`~.book.book_of_business` (``customer_id, owner, team, region, tier``,
            ``signup_date``).
        log: the transaction log at ``as_of`` (``ctx.transactions()``).
        as_of: the as-of date; the period is ``periods.period_bounds(as_of, freq)``.
        by: ``owner``, ``team`` or ``region``.
        complaint_status: :func:`workbench.service.complaint_status` at ``as_of`` (optional).
        surveys: canonical surveys (optional).
        overdue: :func:`workbench.service.overdue_visits` at ``as_of`` (optional), with
            ``visit_policy`` the tiers that have a cadence.
        warning: the churn warning list (``customer_id, tier, revenue_at_risk``; optional).
        segments_before: ``customer_id, tier`` at the previous period end (optional).
        min_base: the small-number guard.
        window_months: the trailing window of complaints and NPS.

    Returns:
        ``<by>, customers, customers_<tier>..., revenue, revenue_prev, revenue_change,
        prev_active, retained, retention, expected_retention, retention_lift,
        expected_revenue, revenue_lift, upgrades, downgrades, net_migration,
        revenue_at_risk, revenue_at_risk_A, visit_covered, visits_overdue,
        visit_compliance, complaints, sla_compliance, median_resolution_hours, n_nps, nps,
        nps_low, nps_high, nps_prev, nps_change, rank, note`` sorted by rank (unranked last).
    """
    if by not in GROUPS:
        raise UsageError(f"owner_scorecard: by='{by}' is not one of {GROUPS}.")
    people = as_polars(book, "book", ["customer_id", by, "tier"])
    if "signup_date" in people.columns:
        people = people.filter(pl.col("signup_date").cast(pl.Date) <= as_of)
    lg = as_lazy(log, "transactions", ["customer_id", "day", "kind", "value"]).filter(
        pl.col("day") <= as_of)
    c0, c1 = periods.period_bounds(as_of, freq, 0)
    p0, p1 = periods.period_bounds(as_of, freq, -1)
    cust = (people.select("customer_id", by, "tier")
            .join(_period_sums(lg, c0, min(c1, as_of), "cur"), on="customer_id", how="left")
            .join(_period_sums(lg, p0, p1, "prev"), on="customer_id", how="left")
            .with_columns(pl.col("revenue_cur", "revenue_prev").fill_null(0.0),
                          pl.col("active_cur", "active_prev").fill_null(False)))
    ret_rate, growth = _tier_rates(cust)
    tier_list = [*tiers, NO_TIER]
    agg = cust.group_by(by).agg(
        pl.len().alias("customers"),
        *[(pl.col("tier") == t).sum().alias(f"customers_{t}") for t in tier_list],
        pl.col("revenue_cur").sum().round(2).alias("revenue"),
        pl.col("revenue_prev").sum().round(2).alias("revenue_prev"),
        pl.col("active_prev").sum().alias("prev_active"),
        (pl.col("active_prev") & pl.col("active_cur")).sum().alias("retained"))
    mix = {k: v for k, v in _mix(cust, by, "active_prev", tier_list).items()}
    rev_mix = _mix(cust, by, "revenue_prev", tier_list)
    rows = []
    for r in agg.iter_rows(named=True):
        key = r[by]
        exp_ret = expected_by_mix(mix.get(key, {}), ret_rate)
        exp_rev = sum(v * (growth.get(t) or 0.0) for t, v in rev_mix.get(key, {}).items())
        rows.append({by: key, "expected_retention": exp_ret,
                     "expected_revenue": round(exp_rev, 2) if rev_mix.get(key) else None})
    out = agg.join(pl.DataFrame(rows, schema={by: pl.String, "expected_retention": pl.Float64,
                                             "expected_revenue": pl.Float64}), on=by, how="left")
    guard = pl.col("prev_active") >= min_base
    out = out.with_columns(
        pl.when(pl.col("prev_active") > 0).then(pl.col("retained") / pl.col("prev_active"))
        .alias("retention"),
        pl.when((pl.col("customers") >= min_base) & (pl.col("revenue_prev") > 0))
        .then(pl.col("revenue") / pl.col("revenue_prev") - 1).alias("revenue_change"))
    out = out.with_columns(
        pl.when(guard).then(pl.col("retention") - pl.col("expected_retention"))
        .alias("retention_lift"),
        pl.when(guard & (pl.col("expected_revenue") > 0))
        .then(pl.col("revenue") / pl.col("expected_revenue") - 1).alias("revenue_lift"))
    out = _migration(out, people, by, segments_before, tiers)
    out = _risk(out, people, by, warning)
    out = _visits(out, people, by, overdue, visit_policy)
    out = _complaints(out, people, by, complaint_status, as_of, window_months)
    out = _nps(out, people, by, surveys, as_of, window_months, min_base, confidence)
    ranked = out.filter(guard & (pl.col(by) != SHARED_POOL) & pl.col("retention_lift").is_not_null())
    order = (ranked.sort(["retention_lift", "revenue_lift", by], descending=[True, True, False],
                         nulls_last=True)
             .with_columns(pl.int_range(1, ranked.height + 1).alias("rank"))
             .select(by, "rank"))
    out = out.join(order, on=by, how="left").with_columns(
        pl.when(pl.col(by) == SHARED_POOL).then(pl.lit("shared_pool"))
        .when(~guard).then(pl.lit("too_few")).otherwise(None).alias("note"))
    return out.sort(["rank", by], nulls_last=True)


def _mix(cust: pl.DataFrame, by: str, col: str, tier_list: Sequence[str]
         ) -> dict[str, dict[str, float]]:
    g = cust.group_by(by, "tier").agg(pl.col(col).cast(pl.Float64).sum().alias("v"))
    out: dict[str, dict[str, float]] = {}
    for r in g.iter_rows(named=True):
        if r["v"]:
            out.setdefault(r[by], {})[r["tier"]] = r["v"]
    return out


def _migration(out: pl.DataFrame, people: pl.DataFrame, by: str, before: Any,
               tiers: Sequence[str]) -> pl.DataFrame:
    if before is None:
        return out.with_columns(pl.lit(None, pl.Int64).alias(c)
                                for c in ("upgrades", "downgrades", "net_migration"))
    rank = {t: i for i, t in enumerate(tiers)}
    b = as_polars(before, "segments before", ["customer_id", "tier"]).select(
        "customer_id", pl.col("tier").cast(pl.String).alias("tier_before"))
    j = (people.select("customer_id", by, "tier").join(b, on="customer_id", how="inner")
         .filter(pl.col("tier").is_in(list(tiers)) & pl.col("tier_before").is_in(list(tiers)))
         .with_columns(pl.col("tier").replace_strict(rank, return_dtype=pl.Int64).alias("r1"),
                       pl.col("tier_before").replace_strict(rank, return_dtype=pl.Int64).alias("r0")))
    g = j.group_by(by).agg((pl.col("r1") < pl.col("r0")).sum().cast(pl.Int64).alias("upgrades"),
                           (pl.col("r1") > pl.col("r0")).sum().cast(pl.Int64).alias("downgrades"))
    out = out.join(g, on=by, how="left").with_columns(
        pl.col("upgrades", "downgrades").fill_null(0))
    return out.with_columns((pl.col("upgrades") - pl.col("downgrades")).alias("net_migration"))


def _risk(out: pl.DataFrame, people: pl.DataFrame, by: str, warning: Any) -> pl.DataFrame:
    if warning is None:
        return out.with_columns(pl.lit(None, pl.Float64).alias("revenue_at_risk"),
                                pl.lit(None, pl.Float64).alias("revenue_at_risk_A"))
    w = as_polars(warning, "warning list", ["customer_id", "revenue_at_risk"]).select(
        "customer_id", "revenue_at_risk")
    j = people.select("customer_id", by, "tier").join(w, on="customer_id", how="inner")
    g = j.group_by(by).agg(pl.col("revenue_at_risk").sum().round(2),
                           pl.col("revenue_at_risk").filter(pl.col("tier") == "A").sum().round(2)
                           .alias("revenue_at_risk_A"))
    return out.join(g, on=by, how="left").with_columns(
        pl.col("revenue_at_risk", "revenue_at_risk_A").fill_null(0.0))


def _visits(out: pl.DataFrame, people: pl.DataFrame, by: str, overdue: Any,
            policy: Sequence[str]) -> pl.DataFrame:
    if overdue is None:
        return out.with_columns(pl.lit(None, pl.Int64).alias("visit_covered"),
                                pl.lit(None, pl.Int64).alias("visits_overdue"),
                                pl.lit(None, pl.Float64).alias("visit_compliance"))
    od = as_polars(overdue, "overdue visits", ["customer_id"]).select("customer_id").unique()
    p = people.filter(pl.col("tier").is_in(list(policy))).with_columns(
        pl.col("customer_id").is_in(od.get_column("customer_id").implode()).alias("_od"))
    g = p.group_by(by).agg(pl.len().cast(pl.Int64).alias("visit_covered"),
                           pl.col("_od").sum().cast(pl.Int64).alias("visits_overdue"))
    out = out.join(g, on=by, how="left").with_columns(
        pl.col("visit_covered", "visits_overdue").fill_null(0))
    return out.with_columns(pl.when(pl.col("visit_covered") > 0).then(
        1 - pl.col("visits_overdue") / pl.col("visit_covered")).alias("visit_compliance"))


def _complaints(out: pl.DataFrame, people: pl.DataFrame, by: str, status: Any, as_of: date,
                months: int) -> pl.DataFrame:
    if status is None:
        return out.with_columns(pl.lit(None, pl.Int64).alias("complaints"),
                                pl.lit(None, pl.Float64).alias("sla_compliance"),
                                pl.lit(None, pl.Float64).alias("median_resolution_hours"))
    start, end = periods.trailing_window(as_of, months)
    st = as_polars(status, "complaint status",
                   ["customer_id", "opened_at", "breached", "hours_to_resolve"])
    st = st.filter((pl.col("opened_at").cast(pl.Date) > start)
                   & (pl.col("opened_at").cast(pl.Date) <= end))
    j = people.select("customer_id", by).join(st, on="customer_id", how="inner")
    g = j.group_by(by).agg(pl.len().cast(pl.Int64).alias("complaints"),
                           (1 - pl.col("breached").cast(pl.Float64).mean()).alias("sla_compliance"),
                           pl.col("hours_to_resolve").median().alias("median_resolution_hours"))
    return out.join(g, on=by, how="left").with_columns(pl.col("complaints").fill_null(0))


def _nps_rows(people: pl.DataFrame, by: str, surveys: pl.DataFrame, start: date, end: date,
              confidence: float) -> dict[str, dict[str, Any]]:
    s = surveys.filter((pl.col("survey_date").cast(pl.Date) > start)
                       & (pl.col("survey_date").cast(pl.Date) <= end))
    latest = latest_responses(s, None).join(people.select("customer_id", by), on="customer_id",
                                            how="inner")
    return {k[0]: nps_score(g.get_column("nps").to_list(), confidence)
            for k, g in latest.group_by(by)}


def _nps(out: pl.DataFrame, people: pl.DataFrame, by: str, surveys: Any, as_of: date,
         months: int, min_base: int, confidence: float) -> pl.DataFrame:
    cols = {"n_nps": pl.Int64, "nps": pl.Float64, "nps_low": pl.Float64, "nps_high": pl.Float64,
            "nps_prev": pl.Float64, "nps_change": pl.Float64}
    if surveys is None:
        return out.with_columns(pl.lit(None, t).alias(c) for c, t in cols.items())
    surv = as_polars(surveys, "surveys", ["survey_id", "customer_id", "survey_date", "nps"])
    start, end = periods.trailing_window(as_of, months)
    prev_end = periods.period_bounds(as_of, "month", -1)[1]
    cur = _nps_rows(people, by, surv, start, end, confidence)
    prev = _nps_rows(people, by, surv, *periods.trailing_window(prev_end, months), confidence)
    rows = []
    for key in out.get_column(by).to_list():
        c, p = cur.get(key, {}), prev.get(key, {})
        n, pn = c.get("n", 0), p.get("n", 0)
        change = (c["nps"] - p["nps"]) if (n >= min_base and pn >= min_base
                                           and c.get("nps") is not None
                                           and p.get("nps") is not None) else None
        rows.append({by: key, "n_nps": n, "nps": c.get("nps"), "nps_low": c.get("ci_low"),
                     "nps_high": c.get("ci_high"), "nps_prev": p.get("nps"), "nps_change": change})
    return out.join(pl.DataFrame(rows, schema={by: pl.String, **cols}), on=by, how="left")
