"""Notebook 06 in one call: owner scorecard, care plan, order forecast, pool, CRM table, alerts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import polars as pl

from .. import clv, periods
from .. import transactions as tx
from ..errors import UsageError
from ..formatting import fmt_money
from ..frames import as_lazy, as_polars, by_customer
from ..service import ServiceSettings, complaint_status, latest_responses, nps_score, overdue_visits
from ..transactions import TransactionSettings
from .alerts import check_alerts
from .book import book_of_business
from .care import care_plan
from .crm import customer_360
from .forecast import Backtest, backtest, forecast_customers
from .performance import owner_scorecard
from .pool import claim_list, reclaim_candidates
from .settings import ManagementSettings

__all__ = ["READS", "TABLES", "ManagementAnalysis", "analyse", "rollup"]

#: The canonical tables :func:`analyse` reads.
TABLES = ("customers", "orders", "visits", "complaints", "surveys")
#: The columns of them it reads, by table (a table not named is read whole): of the orders,
#: the transaction model's and the product category (:func:`category_shares`).  For
#: ``Context.loader``.
READS: dict[str, tuple[str, ...]] = {"orders": (*tx.ORDER_COLUMNS, "product_category")}


@dataclass
class ManagementAnalysis:
    """Every figure of the management step at ``as_of`` (tables are polars DataFrames)."""

    as_of: date
    freq: str
    settings: ManagementSettings
    book: pl.DataFrame
    performance: dict[str, pl.DataFrame]
    care_plan: pl.DataFrame
    backtest: Backtest
    forecast: pl.DataFrame
    forecast_new_buyers: float
    forecast_detail: dict[str, Any]
    rollups: dict[str, pl.DataFrame]
    tracking: dict[str, Any] | None
    reclaim: pl.DataFrame
    claim: pl.DataFrame
    crm: pl.DataFrame
    figures: dict[str, Any]
    alerts: dict[str, Any] = field(default_factory=dict)

    @property
    def forecast_total(self) -> float:
        """Next period's forecast revenue: customers known today plus first-time buyers."""
        return float(self.forecast.get_column("forecast").sum()) + self.forecast_new_buyers


def rollup(forecast: pl.DataFrame, book: pl.DataFrame, by: str,
           categories: pl.DataFrame | None = None) -> pl.DataFrame:
    """Forecast revenue and purchases summed by a book column, or by product category.

    By ``category`` each customer's forecast is split by their share of net revenue per
    ``product_category`` (``categories``: ``customer_id, category, share``); customers with
    no category history are ``unknown``.
    """
    f = forecast.select("customer_id", "forecast", "expected_purchases")
    if by == "category":
        if categories is None:
            raise UsageError("rollup by category needs the customers' category shares.")
        j = f.join(categories, on="customer_id", how="left").with_columns(
            pl.col("category").fill_null("unknown"), pl.col("share").fill_null(1.0))
        return (j.group_by("category").agg((pl.col("forecast") * pl.col("share")).sum(),
                                           (pl.col("expected_purchases") * pl.col("share")).sum())
                .sort("forecast", descending=True))
    j = f.join(book.select("customer_id", by), on="customer_id", how="left").with_columns(
        pl.col(by).fill_null("unknown"))
    return (j.group_by(by).agg(pl.col("forecast").sum(), pl.col("expected_purchases").sum(),
                               pl.len().alias("customers"))
            .sort("forecast", descending=True))


def category_shares(log: pl.LazyFrame | pl.DataFrame, as_of: date) -> pl.DataFrame | None:
    """``customer_id, category, share`` of each customer's positive net revenue in the last
    12 months, from a log that carries its orders' ``product_category``
    (``transactions(orders, ..., carry=["product_category"])``); None when it does not.
    Read per hash partition of the customers (:func:`workbench.frames.by_customer`)."""
    lf = as_lazy(log, "transactions", ["customer_id", "day", "value"])
    if "product_category" not in lf.collect_schema().names():
        return None
    start, end = periods.trailing_window(as_of, 12)
    w = lf.filter((pl.col("day") > start) & (pl.col("day") <= end)).select(
        "customer_id", pl.col("product_category").cast(pl.String).fill_null("unknown")
        .alias("category"), "value")

    def shares(part: pl.LazyFrame) -> pl.LazyFrame:
        g = (part.group_by("customer_id", "category")
             .agg(pl.col("value").sum().clip(lower_bound=0)).filter(pl.col("value") > 0))
        return g.with_columns((pl.col("value") / pl.col("value").sum().over("customer_id"))
                              .alias("share")).select("customer_id", "category", "share")
    out = by_customer(w, shares)
    return out.sort("customer_id", "category")


def _company_nps(surveys: pl.DataFrame, end: date, months: int, confidence: float) -> float | None:
    start, stop = periods.trailing_window(end, months)
    s = surveys.filter((pl.col("survey_date").cast(pl.Date) > start)
                       & (pl.col("survey_date").cast(pl.Date) <= stop))
    return nps_score(latest_responses(s, None).get_column("nps").to_list(), confidence)["nps"]


def analyse(tables: Mapping[str, Any], segments: Any, as_of: date,
            settings: ManagementSettings | None = None, *,
            service_settings: ServiceSettings | None = None,
            transaction_settings: TransactionSettings | None = None,
            clv_settings: clv.CLVSettings | None = None, clv_table: Any = None,
            churn_scores: Any = None, warning: Any = None, segments_before: Any = None,
            previous: Mapping[str, Any] | None = None, freq: str = "month",
            lang: str = "en") -> ManagementAnalysis:
    """The management step at ``as_of``.

    Args:
        tables: canonical ``customers, orders, visits, complaints, surveys`` known at ``as_of``.
        segments: step 02's ``segments.parquet``.
        settings, service_settings, transaction_settings, clv_settings: the sections.
        clv_table, churn_scores, warning: steps 03 and 04's outputs (optional).
        segments_before: ``customer_id, tier`` at the previous period end (tier migration).
        previous: the previous period's ``management`` key results (forecast tracking and
            alerts); None or empty when there is no previous report.
    """
    missing = [t for t in TABLES if t not in tables]
    if missing:
        raise UsageError(f"manage.analyse: table(s) {missing} missing; pass {list(TABLES)}.")
    st = settings or ManagementSettings()
    sv = service_settings or ServiceSettings()
    ts = transaction_settings or TransactionSettings()
    orders = as_lazy(tables["orders"], "orders")
    # lazy, its outlier cap computed once (log_at): every figure reads the log on the
    # streaming engine, and only per-customer or per-period tables are held
    carry = [c for c in ("product_category",) if c in orders.collect_schema().names()]
    log = tx.log_at(tx.transactions(orders, as_of, ts, carry=carry), as_of, ts)
    book = book_of_business(tables["customers"], segments, st.owners)
    status = complaint_status(tables["complaints"], as_of, sv.sla_hours)
    policy = st.visit_policy_days()
    overdue = overdue_visits(tables["visits"], book, as_of, policy)
    surveys = as_polars(tables["surveys"], "surveys")
    min_base = st.min_base or sv.min_base
    perf = {by: owner_scorecard(book, log, as_of, freq=freq, by=by, complaint_status=status,
                                surveys=surveys, overdue=overdue, visit_policy=list(policy),
                                warning=warning, segments_before=segments_before,
                                min_base=min_base, window_months=sv.window_months,
                                confidence=sv.confidence)
            for by in ("owner", "team", "region")}
    first = tx.first_purchases(log)  # the same days at every cut-off of the backtest
    bt = backtest(orders, as_of, st.forecast_cutoffs, freq, model=st.forecast_model,
                  clv_settings=clv_settings, transaction_settings=ts,
                  seasonal_years=st.seasonal_years, sample=st.forecast_sample, log=log,
                  first=first)
    pred, new, detail = forecast_customers(log, as_of, freq, model=st.forecast_model,
                                           clv_settings=clv_settings,
                                           seasonal_years=st.seasonal_years,
                                           sample=st.forecast_sample, first=first)
    del first
    # after the forecast: its queries' working memory is not taken beside the plan's rows
    plan = care_plan(book, as_of, st.care_policy, visits=tables["visits"],
                     complaint_status=status, warning=warning, freq=freq, lang=lang)
    shares = category_shares(log, as_of)
    rollups = {by: rollup(pred, book, by) for by in ("owner", "team", "region")}
    if shares is not None:
        rollups["category"] = rollup(pred, book, "category", shares)
    cur0, cur1 = periods.period_bounds(as_of, freq)
    in_period = (log.filter((pl.col("day") >= cur0) & (pl.col("day") <= min(cur1, as_of)))
                 .select("customer_id", "value").collect(engine="streaming"))
    actual = float(in_period.get_column("value").sum()) if in_period.height else 0.0
    prev = dict(previous or {})
    tracking = _tracking(prev, in_period, book, actual, periods.period_of(as_of, freq))
    period_status = status.filter((pl.col("opened_at").cast(pl.Date) >= cur0)
                                  & (pl.col("opened_at").cast(pl.Date) <= as_of))
    risk_a = (float(perf["owner"].get_column("revenue_at_risk_A").sum())
              if warning is not None else None)
    figures = {
        "tier_a_revenue_at_risk": risk_a,
        "nps": _company_nps(surveys, as_of, sv.window_months, sv.confidence),
        "sla_breach_share": (float(period_status.get_column("breached").mean())  # type: ignore[arg-type]
                             if period_status.height else None),
        "sla_complaints": period_status.height,
        "revenue_actual": actual,
    }
    prev_figures = dict(prev.get("figures") or {})
    next_fc = (prev.get("forecast") or {}).get("next") or {}
    if prev_figures or next_fc:
        prev_figures["forecast_next"] = next_fc.get("total") if next_fc.get(
            "period") == periods.period_of(as_of, freq) else None
    alerts = check_alerts(figures, prev_figures, st.alerts, lang=lang,
                          money=lambda v: fmt_money(v, lang))
    reclaim = reclaim_candidates(book, log, tables["visits"], as_of, st.reclaim_days,
                                 clv=clv_table, lang=lang)
    claim = claim_list(book, log, as_of, clv=clv_table, top=st.claim_top)
    crm = customer_360(book, as_of, clv=clv_table, churn_scores=churn_scores, warning=warning,
                       care_plan=plan, lang=lang)
    return ManagementAnalysis(as_of=as_of, freq=freq, settings=st, book=book, performance=perf,
                              care_plan=plan, backtest=bt, forecast=pred,
                              forecast_new_buyers=new, forecast_detail=detail, rollups=rollups,
                              tracking=tracking, reclaim=reclaim, claim=claim, crm=crm,
                              figures=figures, alerts=alerts)


def _tracking(prev: Mapping[str, Any], in_period: pl.DataFrame, book: pl.DataFrame,
              actual: float, label: str) -> dict[str, Any] | None:
    """Last period's forecast of this period against what happened (None without one)."""
    nxt = (prev.get("forecast") or {}).get("next") or {}
    if nxt.get("period") != label or nxt.get("total") is None:
        return None
    fc = float(nxt["total"])
    by_owner = (in_period.join(book.select("customer_id", "owner"), on="customer_id", how="left")
                .group_by("owner").agg(pl.col("value").sum()))
    act_owner = dict(by_owner.iter_rows())
    owners = []
    for owner, f in (nxt.get("by_owner") or {}).items():
        a = float(act_owner.get(owner, 0.0))
        owners.append({"owner": owner, "forecast": f, "actual": a,
                       "miss": (a - f) / abs(a) if a else None})
    return {"period": label, "forecast": fc, "actual": actual,
            "miss": (actual - fc) / abs(actual) if actual else None, "by_owner": owners}
