"""One call for notebook 05: every service figure at an as-of date, in one result object."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import polars as pl

from .. import periods, transactions
from ..errors import UsageError
from ..frames import as_polars
from ..transactions import TransactionSettings
from .cohorts import churned_last_active, cohort_tables
from .common import attach_tiers, transaction_log, within
from .complaints import (
    aftermath_summary,
    backlog_ages,
    complaint_aftermath,
    complaint_rates,
    complaint_status,
    open_backlog,
    repeat_complainers,
    resolution_summary,
)
from .satisfaction import detractors_with_open_complaints, latest_responses, satisfaction_by
from .scorecard import scorecard
from .settings import ServiceSettings
from .visits import overdue_visits, visit_cadence, visit_differentiation

__all__ = ["READS", "TABLES", "ServiceAnalysis", "analyse"]

#: The canonical tables :func:`analyse` reads.
TABLES = ("customers", "orders", "complaints", "visits", "surveys")
#: The columns of them it reads, by table (a table not named is read whole): of the orders,
#: the transaction model's, without the order id.  For ``Context.loader``.
READS: dict[str, tuple[str, ...]] = {
    "orders": tuple(c for c in transactions.ORDER_COLUMNS if c != "order_id"),
}


@dataclass(frozen=True)
class ServiceAnalysis:
    """Every figure of the service step at ``as_of`` (tables are polars DataFrames).

    ``window`` is the trailing window ``(start, end)``: ``start < day <= end``
    (``periods.trailing_window(as_of, settings.window_months)``); the breakdowns
    (``rates``, ``resolution``, ``cadence``, ``satisfaction``, ``trend``) cover it.
    """

    as_of: date
    window: tuple[date, date]
    settings: ServiceSettings
    transaction_settings: TransactionSettings
    freq: str
    customers: pl.DataFrame
    status: pl.DataFrame
    recent_status: pl.DataFrame
    rates: dict[str, pl.DataFrame]
    resolution: dict[str, Any]
    resolution_by_severity: pl.DataFrame
    backlog: pl.DataFrame
    backlog_ages: pl.DataFrame
    repeat_complainers: pl.DataFrame
    aftermath_detail: pl.DataFrame
    aftermath: pl.DataFrame
    cadence: dict[str, pl.DataFrame]
    differentiation: dict[str, Any]
    overdue: pl.DataFrame
    satisfaction: dict[str, Any]
    satisfaction_by: dict[str, pl.DataFrame]
    trend: pl.DataFrame
    detractors: pl.DataFrame
    cohorts: pl.DataFrame
    new_vs_returning: pl.DataFrame
    churned: pl.DataFrame
    scorecard: pl.DataFrame
    net_revenue_12m: pl.DataFrame
    outlier_orders: int

    @property
    def first_day(self) -> date:
        """The first day inside the window."""
        return self.window[0] + timedelta(days=1)

    @property
    def recent_cohorts(self) -> pl.DataFrame:
        """The cohorts acquired inside the window."""
        return self.cohorts.filter(pl.col("cohort") >= periods.period_of(self.first_day, "month"))


def analyse(tables: Mapping[str, Any], segments: Any, as_of: date,
            settings: ServiceSettings | None = None,
            transaction_settings: TransactionSettings | None = None,
            freq: str = "month") -> ServiceAnalysis:
    """Compute the service step at ``as_of``.

    Args:
        tables: the canonical ``customers, orders, complaints, visits, surveys`` known at
            ``as_of`` (``ctx.load``); ``orders`` may be a scan (``ctx.loader(READS,
            lazy=["orders"])``, never held whole) or the transaction log instead
            (``ctx.transactions()``).
        segments: ``customer_id, tier`` (``segments.parquet`` of step 02).
        as_of: the as-of date.
        settings: the ``service:`` settings (defaults when None).
        transaction_settings: the house's outlier policy (``ctx.transaction_settings``).
        freq: the scorecard's period (``month``, ``quarter`` or ``week``).
    """
    missing = [t for t in TABLES if t not in tables]
    if missing:
        raise UsageError(f"service.analyse: table(s) {missing} missing; pass {list(TABLES)}.")
    st = settings or ServiceSettings()
    ts = transaction_settings or TransactionSettings()
    # lazy: every figure reads the log on the streaming engine, and only per-customer,
    # per-period or per-cohort tables are held (the orders may be a scan)
    log = transaction_log(tables["orders"], as_of, ts)
    customers = attach_tiers(tables["customers"], segments)
    complaints = as_polars(tables["complaints"], "complaints")
    visits, surveys = tables["visits"], tables["surveys"]
    start, end = periods.trailing_window(as_of, st.window_months)

    recent = within(complaints, "opened_at", start, end)
    status = complaint_status(complaints, as_of, st.sla_hours)
    recent_status = within(status, "opened_at", start, end)
    rates = {key: complaint_rates(recent, customers, by=by, end=as_of)
             for key, by in (("all", None), ("tier", "tier"), ("category", "category"),
                             ("severity", "severity"))}
    backlog = open_backlog(status, customers)
    detail = complaint_aftermath(log, complaints, customers, as_of, st.aftermath_days, st.seed)

    net12 = transactions.net_revenue(log, as_of, 12).collect(engine="streaming")
    cadence = {by: visit_cadence(visits, customers, start, end, by=by) for by in ("tier", "owner")}
    latest = latest_responses(within(surveys, "survey_date", start, end), None)
    sat_by: dict[str, pl.DataFrame] = {by: satisfaction_by(latest, customers, by, st.confidence)
              for by in ("tier", "channel", "province") if by in customers.columns}
    cohorts, new_returning = cohort_tables(log, "month", as_of)
    trend = satisfaction_by(latest_responses(within(surveys, "survey_date", start, end), "month"),
                            by="period", confidence=st.confidence)
    return ServiceAnalysis(
        as_of=as_of, window=(start, end), settings=st, transaction_settings=ts, freq=freq,
        customers=customers, status=status, recent_status=recent_status, rates=rates,
        resolution=resolution_summary(recent_status, by=None).row(0, named=True),
        resolution_by_severity=resolution_summary(recent_status, by="severity"),
        backlog=backlog, backlog_ages=backlog_ages(backlog),
        repeat_complainers=repeat_complainers(complaints, customers),
        aftermath_detail=detail, aftermath=aftermath_summary(detail),
        cadence=cadence,
        differentiation=visit_differentiation(visits, customers, net12, start, end),
        overdue=overdue_visits(visits, customers, as_of, st.visit_policy_days),
        satisfaction=satisfaction_by(latest, by=None, confidence=st.confidence).row(0, named=True),
        satisfaction_by=sat_by, trend=trend,
        detractors=detractors_with_open_complaints(surveys, status, customers),
        cohorts=cohorts,
        new_vs_returning=new_returning,
        churned=churned_last_active(log, as_of, st.churn_days),
        scorecard=scorecard(log, tables["customers"], complaints, surveys, segments, as_of, freq,
                            st.min_base),
        net_revenue_12m=net12,
        outlier_orders=int(log.filter((pl.col("kind") == "purchase") & pl.col("is_outlier"))
                           .select(pl.len()).collect(engine="streaming").item()),
    )
