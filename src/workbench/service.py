"""Service and relationship analytics: complaints, visits, satisfaction, cohorts and the KPI scorecard.

Customer management is more than purchases: how complaints are handled, how
often each tier is visited and how satisfied customers are show whether the
company really serves its tiers differently (客户服务差异化), and the KPI
scorecard is how management evaluates it (绩效评估).

Every function takes canonical tables (polars or pandas DataFrames, see
:mod:`workbench.schema`) and plain values, and returns polars DataFrames,
dictionaries or numbers.  Nothing here reads or writes files.  Tables are
expected to be restricted to what was known at the as-of date already
(:meth:`workbench.context.Context.load` does that); functions that need "now"
take ``as_of`` explicitly.

Definitions used throughout (also in ``docs/service.md``):

- **as-of cut-off**: the end of the ``as_of`` day.  A complaint resolved after
  the cut-off counts as still open at the as-of date.
- **active customer** (in a period): has at least one order with a positive
  amount in the period.  Revenue is net (returns, negative amounts, subtract).
- **tiers** come from ``segments.parquet`` (step 02); customers without a tier
  (no purchase yet) are grouped as tier ``"none"``, never dropped.
- **NPS**: latest response per customer per period; promoters score 9-10,
  detractors 0-6; NPS = 100 x (share of promoters - share of detractors), with a
  normal-approximation confidence interval from the standard error of the
  difference of two proportions of one multinomial sample,
  ``se = sqrt((p+ + p- - (p+ - p-)^2) / n)``.
- **CSAT**: share of responses scoring 4-5 (and the mean on 1-5), latest
  response per customer per period.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np
import polars as pl
from scipy import stats

from . import i18n
from .context import period_bounds, period_of
from .errors import DataError, UsageError

__all__ = [
    "DEFAULT_SLA_HOURS",
    "DEFAULT_VISIT_POLICY_DAYS",
    "KPIS",
    "NO_TIER",
    "SHARED_POOL",
    "ServiceSettings",
    "aftermath_summary",
    "attach_tiers",
    "backlog_ages",
    "churned_last_active",
    "cohort_table",
    "complaint_aftermath",
    "complaint_rates",
    "complaint_status",
    "customer_value",
    "detractors_with_open_complaints",
    "format_scorecard",
    "latest_responses",
    "localize",
    "narrate",
    "new_vs_returning",
    "nps_score",
    "open_backlog",
    "overdue_visits",
    "period_kpis",
    "repeat_complainers",
    "resolution_summary",
    "retention_matrix",
    "satisfaction_by",
    "scorecard",
    "scorecard_dict",
    "settings_from_config",
    "visit_cadence",
    "visit_differentiation",
    "within",
]

NO_TIER = "none"
"""Tier given to customers missing from the segments table (no purchase yet)."""

SHARED_POOL = "shared_pool"
"""Owner shown for customers with no sales rep (公海, the shared account pool)."""

DEFAULT_SLA_HOURS: dict[str, float] = {"low": 168.0, "medium": 72.0, "high": 24.0, "critical": 8.0}
"""Hours allowed to resolve a complaint, per severity (``service.sla_hours`` overrides)."""

DEFAULT_VISIT_POLICY_DAYS: dict[str, int] = {"A": 30, "B": 90}
"""Longest gap without a visit allowed per tier (``service.visit_policy_days`` overrides)."""

FREQS = ("month", "quarter")


# --------------------------------------------------------------------------- settings

@dataclass(frozen=True)
class ServiceSettings:
    """The ``service:`` section of ``workbench.yaml``, with defaults filled in.

    Attributes:
        sla_hours: hours allowed to resolve a complaint, per severity.
        visit_policy_days: longest gap without a visit allowed, per tier (tiers not
            listed have no visit policy).
        window_months: trailing months used for rates, cadence and satisfaction
            breakdowns (the scorecard uses single periods).
        churn_days: a customer with no purchase in this many days counts as churned
            (cohort "last active" view).
        aftermath_days: window before/after a complaint for the churn and spend comparison.
        min_base: the small-number guard: no change is computed when the count behind a
            KPI is below this.
        confidence: confidence level of the NPS interval.
        seed: random seed of the complainer/non-complainer matching.
    """

    sla_hours: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_SLA_HOURS))
    visit_policy_days: Mapping[str, int] = field(
        default_factory=lambda: dict(DEFAULT_VISIT_POLICY_DAYS))
    window_months: int = 12
    churn_days: int = 90
    aftermath_days: int = 90
    min_base: int = 20
    confidence: float = 0.95
    seed: int = 0


_SETTING_KEYS = {"sla_hours", "visit_policy_days", "window_months", "churn_days",
                 "aftermath_days", "min_base", "confidence", "seed"}


def settings_from_config(section: Mapping[str, Any] | None) -> ServiceSettings:
    """Build :class:`ServiceSettings` from the ``service:`` section (``cfg.section("service")``).

    Unknown keys, non-positive thresholds and unknown severities raise
    :class:`~workbench.errors.UsageError` naming the key.
    """
    section = dict(section or {})
    unknown = set(section) - _SETTING_KEYS
    if unknown:
        raise UsageError(
            f"workbench.yaml service: unknown key(s) {sorted(unknown)}; "
            f"allowed keys are {sorted(_SETTING_KEYS)}.")
    sla = dict(DEFAULT_SLA_HOURS)
    for sev, hours in dict(section.get("sla_hours") or {}).items():
        if sev not in DEFAULT_SLA_HOURS:
            raise UsageError(
                f"workbench.yaml service.sla_hours: unknown severity '{sev}'; "
                f"use {', '.join(DEFAULT_SLA_HOURS)}.")
        if not isinstance(hours, (int, float)) or hours <= 0:
            raise UsageError(
                f"workbench.yaml service.sla_hours.{sev}: '{hours}' must be a positive number of hours.")
        sla[sev] = float(hours)
    policy_raw = section.get("visit_policy_days")
    policy = dict(DEFAULT_VISIT_POLICY_DAYS) if policy_raw is None else {}
    for tier, days in dict(policy_raw or {}).items():
        if not isinstance(days, int) or days <= 0:
            raise UsageError(
                f"workbench.yaml service.visit_policy_days.{tier}: '{days}' must be a positive "
                f"whole number of days.")
        policy[str(tier)] = days
    out: dict[str, Any] = {"sla_hours": sla, "visit_policy_days": policy}
    for key in ("window_months", "churn_days", "aftermath_days", "min_base", "seed"):
        if key in section:
            value = section[key]
            if not isinstance(value, int) or value < 0 or (value == 0 and key != "seed"):
                raise UsageError(
                    f"workbench.yaml service.{key}: '{value}' must be a positive whole number.")
            out[key] = value
    if "confidence" in section:
        c = section["confidence"]
        if not isinstance(c, (int, float)) or not 0 < c < 1:
            raise UsageError(
                f"workbench.yaml service.confidence: '{c}' must be between 0 and 1 (e.g. 0.95).")
        out["confidence"] = float(c)
    return ServiceSettings(**out)


# --------------------------------------------------------------------------- helpers

def _frame(df, table: str, columns: Iterable[str]) -> pl.DataFrame:
    """Return ``df`` as polars, checking that ``columns`` are present."""
    if df is None:
        raise UsageError(f"the {table} table is missing (None); pass the table loaded with ctx.load.")
    if not isinstance(df, pl.DataFrame):
        try:
            df = pl.from_pandas(df)
        except Exception as exc:
            raise UsageError(
                f"the {table} table must be a polars or pandas DataFrame, got {type(df).__name__}."
            ) from exc
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise DataError(
            f"{table}: column(s) {missing} are missing (found {df.columns}); "
            f"the clean canonical table has them, re-run `workbench clean`.")
    return df


def _cutoff(as_of: date) -> datetime:
    """The end of the as-of day, as a naive datetime (exclusive bound)."""
    return datetime.combine(as_of + timedelta(days=1), time())


def _check_freq(freq: str) -> None:
    if freq not in FREQS:
        raise UsageError(f"freq '{freq}' is not supported; use 'month' or 'quarter'.")


def _period_expr(col: str, freq: str) -> pl.Expr:
    """Label of the period of a date column: '2026-10' or '2026-Q3'."""
    _check_freq(freq)
    d = pl.col(col)
    if freq == "quarter":
        return pl.format("{}-Q{}", d.dt.year(), d.dt.quarter())
    return d.dt.strftime("%Y-%m")


def _period_index(col: str, freq: str) -> pl.Expr:
    """An integer that grows by one per period (months or quarters since year 0)."""
    d = pl.col(col)
    if freq == "quarter":
        return d.dt.year().cast(pl.Int64) * 4 + d.dt.quarter().cast(pl.Int64) - 1
    return d.dt.year().cast(pl.Int64) * 12 + d.dt.month().cast(pl.Int64) - 1


def _as_date(col: str) -> pl.Expr:
    return pl.col(col).cast(pl.Date)


def attach_tiers(customers, tiers, tier_col: str = "tier") -> pl.DataFrame:
    """Customers with their tier; customers missing from ``tiers`` get tier :data:`NO_TIER`.

    Args:
        customers: canonical customers table.
        tiers: table with ``customer_id`` and ``tier_col`` (``segments.parquet``).
        tier_col: the tier column of ``tiers``.

    Returns:
        ``customers`` with a ``tier`` column and ``owner`` (``sales_rep`` or
        :data:`SHARED_POOL`).  Every customer row is kept.
    """
    customers = _frame(customers, "customers", ["customer_id"])
    tiers = _frame(tiers, "segments", ["customer_id", tier_col])
    dup = tiers.filter(pl.col("customer_id").is_duplicated())
    if dup.height:
        ex = ", ".join(dup.get_column("customer_id").unique().sort().head(3).to_list())
        raise DataError(
            f"segments: customer_id repeats ({ex}); each customer needs exactly one tier. "
            f"Re-run notebook 02.")
    t = tiers.select("customer_id", pl.col(tier_col).cast(pl.String).alias("tier"))
    out = customers.drop("tier", strict=False).join(t, on="customer_id", how="left")
    out = out.with_columns(pl.col("tier").fill_null(NO_TIER))
    if "sales_rep" in out.columns:
        out = out.with_columns(
            pl.when(pl.col("sales_rep").is_null() | (pl.col("sales_rep").cast(pl.String) == ""))
            .then(pl.lit(SHARED_POOL)).otherwise(pl.col("sales_rep")).alias("owner"))
    else:
        out = out.with_columns(pl.lit(SHARED_POOL).alias("owner"))
    return out


def within(df, column: str, start: date | None = None, end: date | None = None) -> pl.DataFrame:
    """Rows whose ``column`` (date or datetime) falls on ``start`` .. ``end`` (both days included)."""
    df = _frame(df, "table", [column])
    d = _as_date(column)
    if start is not None:
        df = df.filter(d >= start)
    if end is not None:
        df = df.filter(d <= end)
    return df


def _known_customers(df: pl.DataFrame, customers: pl.DataFrame, table: str, key: str) -> None:
    """Raise a DataError when rows of ``df`` belong to customers missing from ``customers``."""
    unknown = df.join(customers.select("customer_id"), on="customer_id", how="anti")
    if unknown.height:
        ex = ", ".join(map(str, unknown.get_column(key).head(3).to_list()))
        raise DataError(
            f"{table}: {unknown.height} row(s) (e.g. {key} {ex}) belong to customers missing from "
            f"the customers table; re-run `workbench clean`, which quarantines them as "
            f"unknown_customer.")


def _customers_on_file(customers: pl.DataFrame, end: date | None) -> pl.DataFrame:
    if end is None or "signup_date" not in customers.columns:
        return customers
    return customers.filter(pl.col("signup_date").cast(pl.Date) <= end)


# --------------------------------------------------------------------------- complaints

def complaint_rates(complaints, customers, by: str | None = "tier", per: int = 100,
                    end: date | None = None) -> pl.DataFrame:
    """Complaint volume and rate per ``per`` customers, by a customer attribute or a complaint field.

    Args:
        complaints: complaints in the window of interest (see :func:`within`).
        customers: customers with the grouping column (e.g. from :func:`attach_tiers`).
        by: a customer column (``tier``, ``province``, ``channel``, ``owner``) - the rate's
            base is the customers in that group - or a complaint column
            (``category``, ``severity``) - the base is all customers; None: one row ``all``.
        per: the rate is complaints per this many customers.
        end: only customers signed up on or before ``end`` count in the base (a complaint
            from a customer who signed up later still counts, in its customer's group).

    Returns:
        One row per group: ``by, customers, complaints, complainants, rate`` (complaints per
        ``per`` customers) and ``complainant_share`` (share of the base that complained),
        sorted by ``by``.  Complaints from customers missing in ``customers`` raise a DataError.
    """
    complaints = _frame(complaints, "complaints", ["complaint_id", "customer_id"])
    everyone = _frame(customers, "customers", ["customer_id"])
    if by is None:
        by = "all"
        everyone = everyone.with_columns(pl.lit("all").alias("all"))
    _known_customers(complaints, everyone, "complaints", "complaint_id")
    customers = _customers_on_file(everyone, end)
    if by in customers.columns and by != "customer_id":
        base = customers.group_by(pl.col(by).cast(pl.String)).agg(pl.len().alias("customers"))
        c = complaints.join(everyone.select("customer_id", pl.col(by).cast(pl.String)),
                            on="customer_id", how="left")
        vol = c.group_by(by).agg(pl.len().alias("complaints"),
                                 pl.col("customer_id").n_unique().alias("complainants"))
        out = base.join(vol, on=by, how="full", coalesce=True).with_columns(
            pl.col("customers").fill_null(0))
    elif by in complaints.columns:
        total = customers.height
        vol = complaints.group_by(pl.col(by).cast(pl.String).fill_null("unknown")).agg(
            pl.len().alias("complaints"), pl.col("customer_id").n_unique().alias("complainants"))
        out = vol.with_columns(pl.lit(total, dtype=pl.UInt32).alias("customers"))
    else:
        raise UsageError(
            f"complaint_rates: '{by}' is neither a customers column ({customers.columns}) "
            f"nor a complaints column ({complaints.columns}).")
    out = out.with_columns(pl.col("complaints").fill_null(0), pl.col("complainants").fill_null(0))
    has_base = pl.col("customers") > 0
    out = out.with_columns(
        pl.when(has_base).then(pl.col("complaints") * per / pl.col("customers")).alias("rate"),
        pl.when(has_base).then(pl.col("complainants") / pl.col("customers"))
        .alias("complainant_share"),
    )
    return out.select(by, "customers", "complaints", "complainants", "rate",
                      "complainant_share").sort(by)


def complaint_status(complaints, as_of: date, sla_hours: Mapping[str, float] | None = None
                     ) -> pl.DataFrame:
    """Per complaint: open or resolved at the as-of date, hours to resolve, age, SLA breach.

    A complaint resolved after the as-of cut-off (end of the ``as_of`` day) is open at
    ``as_of``.  A resolved complaint breaches its SLA when it took longer than the SLA
    hours of its severity; an open complaint breaches when it is already older than that.

    Returns:
        The complaints with ``is_open`` (bool), ``hours_to_resolve`` (null while open),
        ``age_hours`` (hours open at the cut-off, null when resolved), ``sla_hours`` and
        ``breached`` (bool).

    Raises:
        DataError: a complaint resolved before it was opened, or a severity with no SLA.
    """
    complaints = _frame(complaints, "complaints",
                        ["complaint_id", "customer_id", "opened_at", "resolved_at", "severity"])
    sla = dict(DEFAULT_SLA_HOURS if sla_hours is None else sla_hours)
    cut = _cutoff(as_of)
    bad = complaints.filter(pl.col("resolved_at") < pl.col("opened_at"))
    if bad.height:
        ex = ", ".join(bad.get_column("complaint_id").head(3).to_list())
        raise DataError(
            f"complaints: {bad.height} complaint(s) were resolved before they were opened "
            f"(e.g. {ex}); fix resolved_at in the source and re-run `workbench clean`.")
    sev = complaints.get_column("severity")
    missing = sorted(set(sev.drop_nulls().unique().to_list()) - set(sla))
    if sev.null_count():
        missing.append("<empty>")
    if missing:
        raise DataError(
            f"complaints.severity: value(s) {missing} have no SLA; give every complaint a severity "
            f"({', '.join(sla)}) or add the value to service.sla_hours in workbench.yaml.")

    def hours(e: pl.Expr) -> pl.Expr:
        return e.dt.total_microseconds() / 3.6e9

    out = complaints.with_columns(
        (pl.col("resolved_at").is_null() | (pl.col("resolved_at") >= pl.lit(cut))).alias("is_open"),
        pl.col("severity").replace_strict(sla, return_dtype=pl.Float64).alias("sla_hours"),
    )
    out = out.with_columns(
        pl.when(~pl.col("is_open")).then(hours(pl.col("resolved_at") - pl.col("opened_at")))
        .otherwise(None).alias("hours_to_resolve"),
        pl.when(pl.col("is_open")).then(hours(pl.lit(cut) - pl.col("opened_at")))
        .otherwise(None).alias("age_hours"),
    )
    return out.with_columns(
        (pl.coalesce("hours_to_resolve", "age_hours") > pl.col("sla_hours")).alias("breached"))


def resolution_summary(status: pl.DataFrame, by: str | None = "severity") -> pl.DataFrame:
    """Resolution time and SLA breaches from :func:`complaint_status`, by ``by`` (None: overall).

    Returns:
        ``by`` (if given), ``complaints, resolved, open, median_hours, p90_hours``
        (of resolved complaints; the 90th percentile uses linear interpolation, like
        ``numpy.percentile``), ``breaches_resolved, breaches_open, breaches, breach_rate``
        and ``sla_hours`` (when grouping by severity).
    """
    status = _frame(status, "complaint status", ["is_open", "hours_to_resolve", "breached"])
    aggs = [
        pl.len().alias("complaints"),
        (~pl.col("is_open")).sum().alias("resolved"),
        pl.col("is_open").sum().alias("open"),
        pl.col("hours_to_resolve").median().alias("median_hours"),
        pl.col("hours_to_resolve").quantile(0.9, interpolation="linear").alias("p90_hours"),
        (pl.col("breached") & ~pl.col("is_open")).sum().alias("breaches_resolved"),
        (pl.col("breached") & pl.col("is_open")).sum().alias("breaches_open"),
        pl.col("breached").sum().alias("breaches"),
    ]
    if by is None:
        out = status.select(aggs)
    else:
        if by == "severity":
            aggs.append(pl.col("sla_hours").first())
        out = status.group_by(by).agg(aggs)
        if by == "severity":
            order = {s: i for i, s in enumerate(DEFAULT_SLA_HOURS)}
            out = out.sort(pl.col(by).replace_strict(order, default=99, return_dtype=pl.Int64))
        else:
            out = out.sort(by)
    return out.with_columns(pl.when(pl.col("complaints") > 0)
                            .then(pl.col("breaches") / pl.col("complaints")).alias("breach_rate"))


_AGE_BANDS = ((24, "lt_1d"), (72, "1_3d"), (168, "3_7d"), (720, "7_30d"), (math.inf, "gt_30d"))


def open_backlog(status: pl.DataFrame, customers=None) -> pl.DataFrame:
    """Complaints open at the as-of date, oldest first, with their age and owner.

    Args:
        status: output of :func:`complaint_status`.
        customers: optional customers (from :func:`attach_tiers`) to add
            ``name, tier, owner``.

    Returns:
        Open complaints: ``complaint_id, customer_id, opened_at, category, severity,
        age_hours, age_days, sla_hours, breached, age_band`` (+ customer columns).
    """
    status = _frame(status, "complaint status", ["is_open", "age_hours"])
    out = status.filter(pl.col("is_open")).with_columns(
        (pl.col("age_hours") / 24).alias("age_days"))
    band = pl.lit(_AGE_BANDS[-1][1])
    for limit, name in reversed(_AGE_BANDS[:-1]):
        band = pl.when(pl.col("age_hours") < limit).then(pl.lit(name)).otherwise(band)
    out = out.with_columns(band.alias("age_band"))
    cols = [c for c in ("complaint_id", "customer_id", "opened_at", "category", "severity",
                        "age_hours", "age_days", "sla_hours", "breached", "age_band")
            if c in out.columns]
    out = out.select(cols)
    if customers is not None:
        customers = _frame(customers, "customers", ["customer_id"])
        extra = [c for c in ("name", "company", "tier", "owner") if c in customers.columns]
        out = out.join(customers.select("customer_id", *extra), on="customer_id", how="left")
    return out.sort(["age_hours", "complaint_id"], descending=[True, False])


def backlog_ages(backlog: pl.DataFrame) -> pl.DataFrame:
    """Count of open complaints per age band (all five bands, zero when empty)."""
    backlog = _frame(backlog, "backlog", ["age_band", "breached"])
    bands = pl.DataFrame({"age_band": [b for _, b in _AGE_BANDS]})
    counts = backlog.group_by("age_band").agg(pl.len().alias("open"),
                                              pl.col("breached").sum().alias("breached"))
    return bands.join(counts, on="age_band", how="left").with_columns(
        pl.col("open").fill_null(0), pl.col("breached").fill_null(0))


def repeat_complainers(complaints, customers=None, min_complaints: int = 2) -> pl.DataFrame:
    """Customers with at least ``min_complaints`` complaints, most complaints first.

    Returns:
        ``customer_id, complaints, first_complaint, last_complaint, categories`` (distinct,
        sorted, joined with ", ") and, when ``customers`` is given, ``name, tier, owner``.
    """
    complaints = _frame(complaints, "complaints", ["complaint_id", "customer_id", "opened_at"])
    cat = (pl.col("category").drop_nulls().unique().sort().str.join(", ")
           if "category" in complaints.columns else pl.lit(""))
    out = (complaints.group_by("customer_id")
           .agg(pl.len().alias("complaints"),
                pl.col("opened_at").min().alias("first_complaint"),
                pl.col("opened_at").max().alias("last_complaint"),
                cat.alias("categories"))
           .filter(pl.col("complaints") >= min_complaints))
    if customers is not None:
        customers = _frame(customers, "customers", ["customer_id"])
        extra = [c for c in ("name", "company", "tier", "owner") if c in customers.columns]
        out = out.join(customers.select("customer_id", *extra), on="customer_id", how="left")
    return out.sort(["complaints", "customer_id"], descending=[True, False])


def _first_purchase(orders: pl.DataFrame) -> pl.DataFrame:
    return (orders.filter(pl.col("amount") > 0).group_by("customer_id")
            .agg(pl.col("order_date").min().alias("first_purchase")))


def complaint_aftermath(orders, complaints, customers, as_of: date, window_days: int = 90,
                        seed: int = 0) -> pl.DataFrame:
    """Do complainers stop buying or spend less?  Complainers vs matched non-complainers.

    For every customer whose **first** complaint (day ``t0``) leaves a full window
    before the as-of date (``t0 + window_days <= as_of``) and who had bought before
    ``t0``, one non-complainer (never complained up to ``as_of``) of the same tier who
    had also bought before ``t0`` is drawn at random (with replacement, seeded) and
    given the same reference day.  For both we measure spend in the ``window_days``
    before ``t0`` (``t0 - window .. t0 - 1``) and after (``t0 + 1 .. t0 + window``;
    the reference day itself is in neither window) and whether they bought at all after.

    Args:
        orders, complaints: canonical tables (as of ``as_of``).
        customers: customers with ``tier`` (:func:`attach_tiers`).
        as_of: the as-of date.
        window_days: length of the before/after windows.
        seed: seed of the random matching.

    Returns:
        One row per compared customer: ``group`` (``complainer``/``control``), ``pair``
        (the complainer's id, shared by its control), ``customer_id, tier, ref_date,
        spend_before, spend_after, bought_after``; plus rows with ``group`` =
        ``excluded_no_prior_purchase``, ``excluded_window_incomplete`` or ``unmatched``
        for complainers left out (spend columns null), so nobody disappears silently.
    """
    orders = _frame(orders, "orders", ["customer_id", "order_date", "amount"])
    complaints = _frame(complaints, "complaints", ["customer_id", "opened_at"])
    customers = _frame(customers, "customers", ["customer_id", "tier"])
    first_c = (complaints.group_by("customer_id")
               .agg(_as_date("opened_at").min().alias("ref_date")))
    fp = _first_purchase(orders)
    comp = (first_c.join(customers.select("customer_id", "tier"), on="customer_id", how="left")
            .with_columns(pl.col("tier").fill_null(NO_TIER))
            .join(fp, on="customer_id", how="left").sort("customer_id"))
    last_ref = as_of - timedelta(days=window_days)
    comp = comp.with_columns(
        pl.when(pl.col("ref_date") > last_ref).then(pl.lit("excluded_window_incomplete"))
        .when(pl.col("first_purchase").is_null() | (pl.col("first_purchase") >= pl.col("ref_date")))
        .then(pl.lit("excluded_no_prior_purchase"))
        .otherwise(pl.lit("complainer")).alias("group"))

    cand = (customers.select("customer_id", "tier")
            .join(first_c.select("customer_id"), on="customer_id", how="anti")
            .join(fp, on="customer_id", how="inner").sort(["tier", "first_purchase", "customer_id"]))
    rng = np.random.default_rng(seed)
    keep = comp.filter(pl.col("group") == "complainer")
    pools = {}
    for (t,), g in cand.group_by("tier"):
        g = g.sort(["first_purchase", "customer_id"])
        pools[t] = (g.get_column("first_purchase").to_numpy(), g.get_column("customer_id").to_list())
    pairs_ids: list[str | None] = []
    for tier, ref in keep.select("tier", "ref_date").iter_rows():
        firsts, ids = pools.get(tier, (np.array([], dtype="datetime64[D]"), []))
        k = int(np.searchsorted(firsts, np.datetime64(ref), side="left"))
        draw = rng.random()
        pairs_ids.append(ids[int(draw * k)] if k > 0 else None)
    keep = keep.with_columns(pl.Series("control_id", pairs_ids, dtype=pl.String))
    unmatched = keep.filter(pl.col("control_id").is_null()).with_columns(
        pl.lit("unmatched").alias("group"))
    matched = keep.filter(pl.col("control_id").is_not_null())
    compared = pl.concat([
        matched.select(pl.lit("complainer").alias("group"), pl.col("customer_id").alias("pair"),
                       "customer_id", "tier", "ref_date"),
        matched.select(pl.lit("control").alias("group"), pl.col("customer_id").alias("pair"),
                       pl.col("control_id").alias("customer_id"), "tier", "ref_date"),
    ])
    w = timedelta(days=window_days)
    spend = (compared.select("pair", "group", "customer_id", "ref_date")
             .join(orders.select("customer_id", "order_date", "amount"), on="customer_id",
                   how="inner")
             .group_by("pair", "group")
             .agg(pl.col("amount").filter((pl.col("order_date") >= pl.col("ref_date") - w)
                                          & (pl.col("order_date") < pl.col("ref_date")))
                  .sum().alias("spend_before"),
                  pl.col("amount").filter((pl.col("order_date") > pl.col("ref_date"))
                                          & (pl.col("order_date") <= pl.col("ref_date") + w))
                  .sum().alias("spend_after"),
                  ((pl.col("amount") > 0) & (pl.col("order_date") > pl.col("ref_date"))
                   & (pl.col("order_date") <= pl.col("ref_date") + w)).any().alias("bought_after")))
    compared = compared.join(spend, on=["pair", "group"], how="left").with_columns(
        pl.col("spend_before").fill_null(0.0), pl.col("spend_after").fill_null(0.0),
        pl.col("bought_after").fill_null(False))
    left_out = pl.concat([
        comp.filter(pl.col("group") != "complainer").select("group", "customer_id", "tier",
                                                             "ref_date"),
        unmatched.select("group", "customer_id", "tier", "ref_date"),
    ]).with_columns(pl.col("customer_id").alias("pair"),
                    pl.lit(None, pl.Float64).alias("spend_before"),
                    pl.lit(None, pl.Float64).alias("spend_after"),
                    pl.lit(None, pl.Boolean).alias("bought_after"))
    cols = ["group", "pair", "customer_id", "tier", "ref_date", "spend_before", "spend_after",
            "bought_after"]
    return pl.concat([compared.select(cols), left_out.select(cols)]).sort(["pair", "group"])


def aftermath_summary(detail: pl.DataFrame) -> pl.DataFrame:
    """Summarise :func:`complaint_aftermath`: one row per group.

    Returns:
        ``group, customers, no_purchase_share`` (share with no purchase after the
        reference day), ``mean_spend_before, mean_spend_after, spend_change`` (total
        after / total before - 1; null when nothing was spent before).  The excluded
        groups appear with their counts only.
    """
    detail = _frame(detail, "aftermath", ["group", "spend_before", "spend_after", "bought_after"])
    order = {"complainer": 0, "control": 1, "unmatched": 2, "excluded_no_prior_purchase": 3,
             "excluded_window_incomplete": 4}
    out = detail.group_by("group").agg(
        pl.len().alias("customers"),
        (1 - pl.col("bought_after").cast(pl.Float64).mean()).alias("no_purchase_share"),
        pl.col("spend_before").mean().alias("mean_spend_before"),
        pl.col("spend_after").mean().alias("mean_spend_after"),
        pl.col("spend_before").sum().alias("_b"), pl.col("spend_after").sum().alias("_a"),
    ).with_columns(
        pl.when(pl.col("_b") > 0).then(pl.col("_a") / pl.col("_b") - 1).otherwise(None)
        .alias("spend_change")
    ).drop("_a", "_b")
    return out.sort(pl.col("group").replace_strict(order, default=9, return_dtype=pl.Int64))


# --------------------------------------------------------------------------- visits

def _months_between(start: date, end: date) -> float:
    return ((end - start).days + 1) / (365.25 / 12)


def visit_cadence(visits, customers, start: date, end: date, by: str = "tier") -> pl.DataFrame:
    """Visit cadence per group over ``start`` .. ``end``.

    Args:
        visits: canonical visits.
        customers: customers with the grouping column (``tier``, ``owner`` ... from
            :func:`attach_tiers`).  Visits are grouped by the customer's group (for
            ``owner``: the customer's account manager, whoever made the visit).
        start, end: the window (both days included).
        by: grouping column of ``customers``.

    Returns:
        ``by, customers, visited_customers, visits, visits_per_customer_month`` (visits /
        customers / months in the window), ``visited_share`` and ``median_days_between``
        (median gap in days between consecutive visit days of the same customer, gaps of
        all the group's customers pooled; null with fewer than two visit days).
    """
    visits = _frame(visits, "visits", ["visit_id", "customer_id", "visit_date"])
    everyone = _frame(customers, "customers", ["customer_id", by])
    v = within(visits, "visit_date", start, end)
    _known_customers(v, everyone, "visits", "visit_id")
    v = v.join(everyone.select("customer_id", by), on="customer_id", how="left")
    months = _months_between(start, end)
    base = _customers_on_file(everyone, end).group_by(by).agg(pl.len().alias("customers"))
    vol = v.group_by(by).agg(pl.len().alias("visits"),
                             pl.col("customer_id").n_unique().alias("visited_customers"))
    gaps = (v.select("customer_id", by, "visit_date").unique()
            .sort(["customer_id", "visit_date"])
            .with_columns((pl.col("visit_date") - pl.col("visit_date").shift(1)
                           .over("customer_id")).dt.total_days().alias("gap"))
            .group_by(by).agg(pl.col("gap").drop_nulls().median().alias("median_days_between")))
    out = (base.join(vol, on=by, how="full", coalesce=True).join(gaps, on=by, how="left")
           .with_columns(pl.col("customers").fill_null(0), pl.col("visits").fill_null(0),
                         pl.col("visited_customers").fill_null(0)))
    has_base = pl.col("customers") > 0
    out = out.with_columns(
        pl.when(has_base).then(pl.col("visits") / pl.col("customers") / months)
        .alias("visits_per_customer_month"),
        pl.when(has_base).then(pl.col("visited_customers") / pl.col("customers"))
        .alias("visited_share"))
    return out.select(by, "customers", "visited_customers", "visits", "visits_per_customer_month",
                      "visited_share", "median_days_between").sort(by)


def overdue_visits(visits, customers, as_of: date, policy_days: Mapping[str, int] | None = None
                   ) -> pl.DataFrame:
    """Customers of the tiers in ``policy_days`` not visited for longer than their policy.

    Days without a visit count from the last visit on or before ``as_of``; a customer
    never visited counts from the signup date (``never_visited`` is true).

    Args:
        visits: canonical visits.
        customers: customers with ``tier``, ``owner`` and ``signup_date`` (:func:`attach_tiers`).
        as_of: the as-of date.
        policy_days: ``{tier: days}``, e.g. ``{"A": 30, "B": 90}``.

    Returns:
        ``customer_id, name, company, tier, owner, last_visit, days_without_visit,
        policy_days, overdue_days, never_visited``, most overdue first (top tier first on ties).
    """
    policy = dict(DEFAULT_VISIT_POLICY_DAYS if policy_days is None else policy_days)
    visits = _frame(visits, "visits", ["customer_id", "visit_date"])
    customers = _frame(customers, "customers", ["customer_id", "tier", "owner", "signup_date"])
    pol = pl.DataFrame({"tier": list(policy), "policy_days": [int(d) for d in policy.values()]},
                       schema={"tier": pl.String, "policy_days": pl.Int64})
    c = customers.filter(pl.col("signup_date").cast(pl.Date) <= as_of).join(pol, on="tier",
                                                                              how="inner")
    last = (within(visits, "visit_date", None, as_of).group_by("customer_id")
            .agg(pl.col("visit_date").max().alias("last_visit")))
    c = c.join(last, on="customer_id", how="left").with_columns(
        pl.col("last_visit").is_null().alias("never_visited"),
        (pl.lit(as_of) - pl.coalesce(pl.col("last_visit"), pl.col("signup_date").cast(pl.Date)))
        .dt.total_days().alias("days_without_visit"))
    c = c.with_columns((pl.col("days_without_visit") - pl.col("policy_days")).alias("overdue_days"))
    cols = [x for x in ("customer_id", "name", "company", "tier", "owner", "last_visit",
                        "days_without_visit", "policy_days", "overdue_days", "never_visited")
            if x in c.columns]
    return (c.filter(pl.col("overdue_days") > 0).select(cols)
            .sort(["overdue_days", "tier", "customer_id"], descending=[True, False, False]))


def customer_value(orders, start: date | None = None, end: date | None = None) -> pl.DataFrame:
    """Net revenue per customer over ``start`` .. ``end``: ``customer_id, value``."""
    orders = _frame(orders, "orders", ["customer_id", "order_date", "amount"])
    return (within(orders, "order_date", start, end).group_by("customer_id")
            .agg(pl.col("amount").sum().alias("value")).sort("customer_id"))


def visit_differentiation(visits, customers, value, start: date, end: date) -> dict[str, Any]:
    """Are visits following customer value?  Spearman rank correlation, in plain words.

    Every customer on file at ``end`` counts (no value = 0, no visit = 0 visits).

    Args:
        visits: canonical visits.
        customers: customers with ``tier`` (:func:`attach_tiers`).
        value: ``customer_id, value`` (e.g. :func:`customer_value` over the same window).
        start, end: the window in which visits are counted.

    Returns:
        ``{"n", "rho", "p_value", "verdict", "tier_order_ok", "visits_per_customer"}``:
        ``verdict`` is ``follows_value`` (rho >= 0.3 and p < 0.05), ``weakly_follows``
        (rho >= 0.1 and p < 0.05) or ``not_following``; ``tier_order_ok`` is true when
        visits per customer fall from tier A to B to C; ``visits_per_customer`` maps tier
        to visits per customer in the window.  ``rho`` is null when fewer than 3
        customers or no variation.
    """
    visits = _frame(visits, "visits", ["customer_id", "visit_date"])
    customers = _customers_on_file(_frame(customers, "customers", ["customer_id", "tier"]), end)
    value = _frame(value, "value", ["customer_id", "value"])
    counts = (within(visits, "visit_date", start, end).group_by("customer_id")
              .agg(pl.len().alias("visits")))
    d = (customers.select("customer_id", "tier")
         .join(value.select("customer_id", "value"), on="customer_id", how="left")
         .join(counts, on="customer_id", how="left")
         .with_columns(pl.col("value").fill_null(0.0), pl.col("visits").fill_null(0)))
    rho = p = None
    if d.height >= 3 and d.get_column("value").n_unique() > 1 and d.get_column("visits").n_unique() > 1:
        res = stats.spearmanr(d.get_column("value").to_numpy(), d.get_column("visits").to_numpy())
        rho, p = float(res.statistic), float(res.pvalue)
    if rho is not None and p is not None and p < 0.05 and rho >= 0.3:
        verdict = "follows_value"
    elif rho is not None and p is not None and p < 0.05 and rho >= 0.1:
        verdict = "weakly_follows"
    else:
        verdict = "not_following"
    per = dict(d.group_by("tier").agg(pl.col("visits").mean()).sort("tier").iter_rows())
    ranked = [per[t] for t in ("A", "B", "C") if t in per]
    order_ok = len(ranked) >= 2 and all(a > b for a, b in itertools.pairwise(ranked))
    return {"n": d.height, "rho": rho, "p_value": p, "verdict": verdict,
            "tier_order_ok": order_ok, "visits_per_customer": per}


# --------------------------------------------------------------------------- satisfaction

def latest_responses(surveys, freq: str | None = "month") -> pl.DataFrame:
    """The latest survey response per customer per period (``freq`` None: over the whole table).

    A customer answering twice in a month would otherwise weigh twice; the latest answer
    is their current opinion.  Ties on the same day keep the highest ``survey_id``.

    Returns:
        One row per customer and period, with a ``period`` column ('2026-10',
        '2026-Q3', or 'all').
    """
    surveys = _frame(surveys, "surveys", ["survey_id", "customer_id", "survey_date"])
    if freq is None:
        s = surveys.with_columns(pl.lit("all").alias("period"))
    else:
        s = surveys.with_columns(_period_expr("survey_date", freq).alias("period"))
    return (s.sort(["customer_id", "period", "survey_date", "survey_id"])
            .group_by(["customer_id", "period"], maintain_order=True).last()
            .sort(["period", "customer_id"]))


def nps_score(scores, confidence: float = 0.95) -> dict[str, Any]:
    """Net Promoter Score of 0-10 answers, with a normal-approximation confidence interval.

    NPS = 100 x (p+ - p-), p+ the share of promoters (9-10), p- of detractors (0-6).
    Its standard error is ``sqrt((p+ + p- - (p+ - p-)^2) / n)`` (difference of two
    proportions from one multinomial sample); the interval is NPS +- z x 100 x se,
    clipped to [-100, 100].  Missing answers are ignored.

    >>> r = nps_score([10, 9, 9, 10, 7, 8, 7, 8, 3, 5])
    >>> r["nps"], r["promoters"], r["detractors"], r["passives"]
    (20.0, 4, 2, 4)

    Returns:
        ``{"n", "promoters", "passives", "detractors", "nps", "se", "ci_low", "ci_high"}``
        (``se`` in NPS points); scores are null when ``n`` is 0.
    """
    arr = np.asarray([s for s in scores if s is not None and not (isinstance(s, float)
                                                                    and math.isnan(s))], dtype=float)
    if arr.size and ((arr < 0) | (arr > 10)).any():
        raise DataError(f"NPS answers must be 0-10; found {sorted(set(arr[(arr < 0) | (arr > 10)]))}.")
    n = int(arr.size)
    pro, det = int((arr >= 9).sum()), int((arr <= 6).sum())
    out: dict[str, Any] = {"n": n, "promoters": pro, "passives": n - pro - det, "detractors": det,
                           "nps": None, "se": None, "ci_low": None, "ci_high": None}
    if n == 0:
        return out
    pp, pm = pro / n, det / n
    diff = pp - pm
    se = math.sqrt(max(pp + pm - diff ** 2, 0.0) / n)
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    out.update(nps=100 * diff, se=100 * se, ci_low=max(-100.0, 100 * (diff - z * se)),
               ci_high=min(100.0, 100 * (diff + z * se)))
    return out


def satisfaction_by(responses, customers=None, by: str | None = "tier",
                    confidence: float = 0.95) -> pl.DataFrame:
    """NPS (with interval) and CSAT per group.

    Args:
        responses: survey responses, normally :func:`latest_responses`.
        customers: customers with the grouping column when ``by`` is a customer attribute
            (``tier``, ``channel``, ``province``); not needed for ``by="period"``.
        by: grouping column (None: one overall row).
        confidence: level of the NPS interval.

    Returns:
        ``by, n_nps, promoters, passives, detractors, nps, ci_low, ci_high, n_csat,
        csat_share`` (share of 4-5) ``, csat_mean``.
    """
    responses = _frame(responses, "surveys", ["customer_id", "nps", "csat"])
    if by is not None and by not in responses.columns:
        if customers is None:
            raise UsageError(f"satisfaction_by: '{by}' is not a survey column; pass customers.")
        customers = _frame(customers, "customers", ["customer_id", by])
        responses = responses.join(customers.select("customer_id", by), on="customer_id",
                                   how="left").with_columns(pl.col(by).fill_null("unknown"))
    groups = [("all", responses)] if by is None else [
        (k[0], g) for k, g in responses.group_by(by)]
    rows = []
    for key, g in groups:
        r = nps_score(g.get_column("nps").to_list(), confidence)
        cs = g.get_column("csat").drop_nulls()
        rows.append({by or "group": key, "n_nps": r["n"], "promoters": r["promoters"],
                     "passives": r["passives"], "detractors": r["detractors"], "nps": r["nps"],
                     "ci_low": r["ci_low"], "ci_high": r["ci_high"], "n_csat": cs.len(),
                     "csat_share": float((cs >= 4).mean()) if cs.len() else None,
                     "csat_mean": float(cs.mean()) if cs.len() else None})
    schema = {by or "group": pl.String, "n_nps": pl.Int64, "promoters": pl.Int64,
              "passives": pl.Int64, "detractors": pl.Int64, "nps": pl.Float64,
              "ci_low": pl.Float64, "ci_high": pl.Float64, "n_csat": pl.Int64,
              "csat_share": pl.Float64, "csat_mean": pl.Float64}
    return pl.DataFrame(rows, schema=schema).sort(by or "group")


def detractors_with_open_complaints(responses, status, customers=None) -> pl.DataFrame:
    """Customers whose latest NPS answer is a detractor (0-6) and who have an open complaint.

    Args:
        responses: survey responses; the latest per customer is used.
        status: :func:`complaint_status` output (open means open at the as-of date).
        customers: optional customers for ``name, tier, owner``.

    Returns:
        ``customer_id, survey_date, nps, csat, open_complaints, oldest_open_hours,
        breached_open`` (+ customer columns), oldest complaint first.
    """
    latest = latest_responses(responses, None).filter(pl.col("nps") <= 6)
    status = _frame(status, "complaint status", ["customer_id", "is_open", "age_hours", "breached"])
    opened = (status.filter(pl.col("is_open")).group_by("customer_id")
              .agg(pl.len().alias("open_complaints"),
                   pl.col("age_hours").max().alias("oldest_open_hours"),
                   pl.col("breached").sum().alias("breached_open")))
    out = latest.select("customer_id", "survey_date", "nps", "csat").join(
        opened, on="customer_id", how="inner")
    if customers is not None:
        customers = _frame(customers, "customers", ["customer_id"])
        extra = [c for c in ("name", "company", "tier", "owner") if c in customers.columns]
        out = out.join(customers.select("customer_id", *extra), on="customer_id", how="left")
    return out.sort(["oldest_open_hours", "customer_id"], descending=[True, False])


# --------------------------------------------------------------------------- cohorts

def cohort_table(orders, freq: str = "month", as_of: date | None = None) -> pl.DataFrame:
    """Acquisition cohorts (period of the first purchase) and their activity afterwards.

    A customer is active in a period when they have an order with a positive amount in
    it; the cohort's revenue in a period is the net amount (returns subtract) of its
    customers.  Every observed period of every cohort is present (0 when nobody
    bought), up to the period of ``as_of`` (default: of the last order).

    Returns:
        Long table: ``cohort, periods_since`` (0 = the acquisition period),
        ``cohort_size, active, revenue, retention`` (active / cohort size) and
        ``revenue_retention`` (revenue / the cohort's revenue in period 0; null when
        that is not positive).
    """
    orders = _frame(orders, "orders", ["customer_id", "order_date", "amount"])
    _check_freq(freq)
    schema = {"cohort": pl.String, "periods_since": pl.Int64, "cohort_size": pl.Int64,
              "active": pl.Int64, "revenue": pl.Float64, "retention": pl.Float64,
              "revenue_retention": pl.Float64}
    if as_of is not None:
        orders = within(orders, "order_date", None, as_of)
    if orders.filter(pl.col("amount") > 0).height == 0:
        return pl.DataFrame(schema=schema)
    o = orders.with_columns(_period_index("order_date", freq).alias("_pi"),
                            _period_expr("order_date", freq).alias("_label"))
    last = (pl.DataFrame({"d": [as_of]}, schema={"d": pl.Date}).select(
        _period_index("d", freq)).item() if as_of is not None else o.get_column("_pi").max())
    first = (o.filter(pl.col("amount") > 0).group_by("customer_id")
             .agg(pl.col("_pi").min().alias("_c"),
                  pl.col("_label").sort_by("_pi").first().alias("cohort")))
    o = o.join(first, on="customer_id", how="inner").filter(pl.col("_pi") >= pl.col("_c"))
    o = o.with_columns((pl.col("_pi") - pl.col("_c")).alias("periods_since"))
    act = (o.group_by("cohort", "periods_since")
           .agg(pl.col("customer_id").filter(pl.col("amount") > 0).n_unique().alias("active"),
                pl.col("amount").sum().alias("revenue")))
    size = first.group_by("cohort", "_c").agg(pl.len().alias("cohort_size"))
    grid = (size.with_columns(pl.int_ranges(0, last - pl.col("_c") + 1).alias("periods_since"))
            .explode("periods_since"))
    out = (grid.join(act, on=["cohort", "periods_since"], how="left")
           .with_columns(pl.col("active").fill_null(0), pl.col("revenue").fill_null(0.0)))
    base_rev = out.filter(pl.col("periods_since") == 0).select("cohort",
                                                                pl.col("revenue").alias("_r0"))
    out = out.join(base_rev, on="cohort", how="left").with_columns(
        (pl.col("active") / pl.col("cohort_size")).alias("retention"),
        pl.when(pl.col("_r0") > 0).then(pl.col("revenue") / pl.col("_r0")).otherwise(None)
        .alias("revenue_retention"))
    return out.select(list(schema)).cast(schema).sort("cohort", "periods_since")


def retention_matrix(cohorts: pl.DataFrame, value: str = "retention",
                     max_periods: int | None = None):
    """Pivot :func:`cohort_table` into a cohort x periods-since matrix (pandas, for heatmaps).

    Cells after a cohort's last observed period are NaN (the future, not zero).
    """
    cohorts = _frame(cohorts, "cohorts", ["cohort", "periods_since", value])
    c = cohorts if max_periods is None else cohorts.filter(pl.col("periods_since") <= max_periods)
    m = (c.select("cohort", "periods_since", value).to_pandas()
         .pivot(index="cohort", columns="periods_since", values=value).sort_index())
    m.columns.name = "periods_since"
    return m


def new_vs_returning(orders, freq: str = "month") -> pl.DataFrame:
    """New vs returning customers and revenue per period.

    A customer is *new* in the period of their first purchase and *returning* in any
    later period in which they buy.  Revenue is net of returns.

    Returns:
        ``period, new_customers, returning_customers, new_revenue, returning_revenue,
        returning_revenue_share``.
    """
    orders = _frame(orders, "orders", ["customer_id", "order_date", "amount"])
    o = orders.with_columns(_period_index("order_date", freq).alias("_pi"),
                            _period_expr("order_date", freq).alias("period"))
    first = o.filter(pl.col("amount") > 0).group_by("customer_id").agg(
        pl.col("_pi").min().alias("_c"))
    o = o.join(first, on="customer_id", how="left").with_columns(
        (pl.col("_pi") == pl.col("_c")).fill_null(False).alias("_new"))
    out = o.group_by("period").agg(
        pl.col("customer_id").filter(pl.col("_new") & (pl.col("amount") > 0)).n_unique()
        .alias("new_customers"),
        pl.col("customer_id").filter(~pl.col("_new") & (pl.col("amount") > 0)).n_unique()
        .alias("returning_customers"),
        pl.col("amount").filter(pl.col("_new")).sum().alias("new_revenue"),
        pl.col("amount").filter(~pl.col("_new")).sum().alias("returning_revenue"),
    ).sort("period")
    total = pl.col("new_revenue") + pl.col("returning_revenue")
    return out.with_columns(pl.when(total != 0).then(pl.col("returning_revenue") / total)
                            .otherwise(None).alias("returning_revenue_share"))


def churned_last_active(orders, as_of: date, churn_days: int = 90, freq: str = "month"
                        ) -> pl.DataFrame:
    """When churned customers were last active.

    Churned: bought at least once (positive amount) but not in the ``churn_days`` days up
    to ``as_of`` (``as_of - churn_days + 1`` .. ``as_of``).

    Returns:
        ``period`` of the last purchase, ``customers`` churned whose last purchase falls in
        it and ``share`` of all churned customers.
    """
    orders = _frame(orders, "orders", ["customer_id", "order_date", "amount"])
    since = as_of - timedelta(days=churn_days - 1)
    last = (within(orders, "order_date", None, as_of).filter(pl.col("amount") > 0)
            .group_by("customer_id").agg(pl.col("order_date").max().alias("last_purchase"))
            .filter(pl.col("last_purchase") < since))
    out = (last.with_columns(_period_expr("last_purchase", freq).alias("period"))
           .group_by("period").agg(pl.len().alias("customers")).sort("period"))
    return out.with_columns((pl.col("customers") / pl.col("customers").sum()).alias("share"))


# --------------------------------------------------------------------------- scorecard

@dataclass(frozen=True)
class _Kpi:
    key: str
    zh: str
    en: str
    unit: str              # count | money | share | points | per100 | hours
    delta: str             # pct (relative change) | diff (absolute change)
    higher_is_better: bool | None


KPIS: tuple[_Kpi, ...] = (
    _Kpi("active_customers", "活跃客户数", "Active customers", "count", "pct", True),
    _Kpi("new_customers", "新客户数", "New customers", "count", "pct", True),
    _Kpi("retention_rate", "客户留存率", "Retention rate", "share", "diff", True),
    _Kpi("revenue", "销售额", "Revenue", "money", "pct", True),
    _Kpi("aov", "客单价(平均订单金额)", "Average order value", "money", "pct", True),
    _Kpi("repeat_rate", "复购率", "Repeat rate", "share", "diff", True),
    _Kpi("nps", "净推荐值(NPS)", "NPS", "points", "diff", True),
    _Kpi("complaint_rate", "投诉率(每百客户)", "Complaints per 100 customers", "per100", "diff",
         False),
    _Kpi("median_resolution_hours", "投诉解决时长中位数(小时)", "Median resolution time (hours)",
         "hours", "pct", False),
    _Kpi("outlier_orders", "异常大额订单数(未计入金额指标)",
         "Outlier orders (left out of money KPIs)", "count", "diff", None),
)
"""The scorecard's KPIs (plus ``revenue_share_<tier>`` rows, one per tier, neutral)."""


def period_kpis(orders, customers, complaints, surveys, tiers, start: date, end: date,
                freq: str = "month", exclude_outliers: bool = True
                ) -> dict[str, tuple[float | None, int]]:
    """The scorecard KPIs of one period ``start`` .. ``end``, each with the count behind it.

    Definitions (documented in ``docs/service.md``):

    - ``active_customers``: customers with a positive-amount order in the period (base: itself).
    - ``new_customers``: customers whose first ever purchase falls in the period.
    - ``retention_rate``: share of the previous period's active customers active again
      (base: previous period's active customers).
    - ``revenue``: net amount of the period's orders (base: orders).
    - ``revenue_share_<tier>``: share of net revenue from each tier (tiers as of the
      as-of date; base: active customers).
    - ``aov``: mean amount of the period's positive-amount orders (base: those orders).
    - ``repeat_rate``: share of active customers who had bought before the period.
    - ``nps``: NPS of the latest response per customer in the period (base: answers).
    - ``complaint_rate``: complaints opened in the period per 100 customers on file at
      the period end (base: customers on file).
    - ``median_resolution_hours``: median hours to resolve of complaints resolved in the
      period (base: those complaints).
    - ``outlier_orders``: orders flagged ``is_outlier`` by the cleaning in the period; with
      ``exclude_outliers`` (the default) they are left out of ``revenue``,
      ``revenue_share_<tier>`` and ``aov`` (one typo-sized order can multiply a month's
      revenue) but still make their customer active.  This row makes them visible.

    Returns:
        ``{kpi: (value or None, base count)}``.
    """
    orders = _frame(orders, "orders", ["order_id", "customer_id", "order_date", "amount"])
    customers = _frame(customers, "customers", ["customer_id", "signup_date"])
    complaints = _frame(complaints, "complaints", ["complaint_id", "customer_id", "opened_at",
                                                   "resolved_at"])
    surveys = _frame(surveys, "surveys", ["survey_id", "customer_id", "survey_date", "nps"])
    tiers = _frame(tiers, "segments", ["customer_id", "tier"])
    out: dict[str, tuple[float | None, int]] = {}
    o = within(orders, "order_date", start, end)
    pos = o.filter(pl.col("amount") > 0)
    active = set(pos.get_column("customer_id").unique().to_list())
    n_active = len(active)
    out["active_customers"] = (float(n_active), n_active)
    first = _first_purchase(orders)
    new = first.filter((pl.col("first_purchase") >= start) & (pl.col("first_purchase") <= end))
    out["new_customers"] = (float(new.height), new.height)
    pstart, pend = period_bounds(end, freq, -1)
    prev_active = set(within(orders, "order_date", pstart, pend).filter(pl.col("amount") > 0)
                      .get_column("customer_id").unique().to_list())
    out["retention_rate"] = ((len(prev_active & active) / len(prev_active)) if prev_active else None,
                             len(prev_active))
    flagged = (o.get_column("is_outlier").fill_null(False) if "is_outlier" in o.columns
               else pl.Series([False] * o.height, dtype=pl.Boolean))
    out["outlier_orders"] = (float(flagged.sum()), o.height)
    if exclude_outliers:
        o = o.filter(~flagged)
        pos_money = o.filter(pl.col("amount") > 0)
    else:
        pos_money = pos
    revenue = float(o.get_column("amount").sum()) if o.height else 0.0
    out["revenue"] = (revenue, o.height)
    tiers = tiers.select("customer_id", pl.col("tier").cast(pl.String).fill_null(NO_TIER))
    tier_list = sorted(set(tiers.get_column("tier").to_list()) - {NO_TIER})
    by_tier = (o.join(tiers,
                      on="customer_id", how="left")
               .with_columns(pl.col("tier").fill_null(NO_TIER))
               .group_by("tier").agg(pl.col("amount").sum()))
    shares = dict(by_tier.iter_rows())
    if NO_TIER in shares and NO_TIER not in tier_list:
        tier_list.append(NO_TIER)
    for t in tier_list:
        out[f"revenue_share_{t}"] = ((shares.get(t, 0.0) / revenue) if revenue else None, n_active)
    out["aov"] = (float(pos_money.get_column("amount").mean()) if pos_money.height else None,
                  pos_money.height)
    before = set(first.filter(pl.col("first_purchase") < start).get_column("customer_id").to_list())
    out["repeat_rate"] = ((len(active & before) / n_active) if n_active else None, n_active)
    resp = latest_responses(within(surveys, "survey_date", start, end), None)
    r = nps_score(resp.get_column("nps").to_list())
    out["nps"] = (r["nps"], r["n"])
    on_file = _customers_on_file(customers, end).height
    n_comp = within(complaints, "opened_at", start, end).height
    out["complaint_rate"] = ((100 * n_comp / on_file) if on_file else None, on_file)
    res = complaints.filter(pl.col("resolved_at").is_not_null()
                            & (_as_date("resolved_at") >= start) & (_as_date("resolved_at") <= end))
    hrs = (res.get_column("resolved_at") - res.get_column("opened_at")).dt.total_microseconds() / 3.6e9
    out["median_resolution_hours"] = (float(hrs.median()) if res.height else None, res.height)
    return out


def _delta(kpi: _Kpi | None, cur, base_cur, ref, base_ref, min_base: int
           ) -> tuple[float | None, str | None]:
    """Change from ``ref`` to ``cur`` and a note when no change can be given."""
    if cur is None or ref is None:
        return None, "no_data"
    if base_cur < min_base or base_ref < min_base:
        return None, "too_few"
    kind = kpi.delta if kpi else "diff"
    if kind == "pct":
        if ref == 0:
            return None, "zero_base"
        return cur / ref - 1, None
    return cur - ref, None


def _direction(delta: float | None, higher_is_better: bool | None) -> tuple[str | None, bool | None]:
    if delta is None:
        return None, None
    if delta == 0:
        return "flat", None
    direction = "up" if delta > 0 else "down"
    if higher_is_better is None:
        return direction, None
    return direction, (delta > 0) == higher_is_better


def scorecard(orders, customers, complaints, surveys, tiers, as_of: date, freq: str = "month",
              min_base: int = 20, exclude_outliers: bool = True) -> pl.DataFrame:
    """The KPI scorecard (绩效评估) of the period ending at ``as_of``.

    The current period is ``context.period_bounds(as_of, freq)`` (cut at ``as_of``; use a
    period end as the as-of date for like-for-like comparisons); beside it the previous
    period (``shift=-1``) and the same period last year (``shift=-12`` months or ``-4``
    quarters).  KPI definitions: :func:`period_kpis`.

    Changes: counts, money and resolution hours change in percent (``0.1`` = +10 %);
    shares and NPS in absolute difference (share points as a fraction, NPS points).
    Small-number guard: no change is given when the count behind either value is below
    ``min_base`` (note ``too_few``, shown as "n/a (too few)").

    Args:
        orders, customers, complaints, surveys: canonical tables (restricted to ``as_of``).
        tiers: ``customer_id, tier`` (``segments.parquet``).
        as_of: the as-of date.
        freq: ``month`` or ``quarter``.
        min_base: smallest count for which a change is computed.
        exclude_outliers: leave orders flagged ``is_outlier`` out of the money KPIs (their
            count is the ``outlier_orders`` row).

    Returns:
        One row per KPI: ``kpi, label_zh, label_en, unit, delta_kind, current, previous,
        prev_delta, last_year, yoy_delta, direction, good`` (``direction`` up/down/flat and
        ``good`` true/false/null refer to the change from the previous period),
        ``yoy_direction, yoy_good, prev_note, yoy_note, n_current, n_previous, n_last_year,
        period, previous_period, last_year_period``.
    """
    _check_freq(freq)
    cur_start, cur_end = period_bounds(as_of, freq, 0)
    cur_end = min(cur_end, as_of)
    prev = period_bounds(as_of, freq, -1)
    ly = period_bounds(as_of, freq, -12 if freq == "month" else -4)
    vals = [period_kpis(orders, customers, complaints, surveys, tiers, s, e, freq,
                        exclude_outliers)
            for s, e in ((cur_start, cur_end), prev, ly)]
    spec = {k.key: k for k in KPIS}
    keys = [k.key for k in KPIS]
    for extra in vals[0]:
        if extra not in keys:
            keys.insert(keys.index("aov"), extra)
    rows = []
    for key in keys:
        kpi = spec.get(key)
        (c, nc), (p, np_), (y, ny) = (v.get(key, (None, 0)) for v in vals)
        d_prev, note_prev = _delta(kpi, c, nc, p, np_, min_base)
        d_ly, note_ly = _delta(kpi, c, nc, y, ny, min_base)
        hib = kpi.higher_is_better if kpi else None
        direction, good = _direction(d_prev, hib)
        yd, yg = _direction(d_ly, hib)
        if kpi:
            zh, en, unit, dk = kpi.zh, kpi.en, kpi.unit, kpi.delta
        else:
            tier = key.removeprefix("revenue_share_")
            zh, en = f"{tier}级客户销售额占比", f"Revenue share, tier {tier}"
            if tier == NO_TIER:
                zh, en = "未分级客户销售额占比", "Revenue share, no tier"
            unit, dk = "share", "diff"
        rows.append({"kpi": key, "label_zh": zh, "label_en": en, "unit": unit, "delta_kind": dk,
                     "current": c, "previous": p, "prev_delta": d_prev, "last_year": y,
                     "yoy_delta": d_ly, "direction": direction, "good": good,
                     "yoy_direction": yd, "yoy_good": yg, "prev_note": note_prev,
                     "yoy_note": note_ly, "n_current": nc, "n_previous": np_, "n_last_year": ny,
                     "period": period_of(as_of, freq),
                     "previous_period": period_of(prev[1], freq),
                     "last_year_period": period_of(ly[1], freq)})
    schema = {"kpi": pl.String, "label_zh": pl.String, "label_en": pl.String, "unit": pl.String,
              "delta_kind": pl.String, "current": pl.Float64, "previous": pl.Float64,
              "prev_delta": pl.Float64, "last_year": pl.Float64, "yoy_delta": pl.Float64,
              "direction": pl.String, "good": pl.Boolean, "yoy_direction": pl.String,
              "yoy_good": pl.Boolean, "prev_note": pl.String, "yoy_note": pl.String,
              "n_current": pl.Int64, "n_previous": pl.Int64, "n_last_year": pl.Int64,
              "period": pl.String, "previous_period": pl.String, "last_year_period": pl.String}
    return pl.DataFrame(rows, schema=schema)


def scorecard_dict(sc: pl.DataFrame) -> dict[str, dict[str, Any]]:
    """The scorecard for the manifest: ``{kpi: {"current", "previous", "last_year",
    "prev_delta", "yoy_delta", "good"}}``."""
    sc = _frame(sc, "scorecard", ["kpi", "current", "previous", "last_year"])
    return {r["kpi"]: {"current": r["current"], "previous": r["previous"],
                       "last_year": r["last_year"], "prev_delta": r.get("prev_delta"),
                       "yoy_delta": r.get("yoy_delta"), "good": r.get("good")}
            for r in sc.iter_rows(named=True)}


def _fmt_value(v: float | None, unit: str, lang: str) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    if unit == "count":
        return f"{v:,.0f}"
    if unit == "money":
        return f"¥{v:,.0f}"
    if unit == "share":
        return f"{100 * v:.1f}%"
    if unit == "hours":
        return f"{v:,.1f}"
    if unit == "per100":
        return f"{v:.2f}"
    return f"{v:+.1f}" if unit == "points" else f"{v:,.2f}"


def _fmt_delta(d: float | None, note: str | None, kind: str, unit: str, direction: str | None,
               good: bool | None, lang: str) -> str:
    if d is None:
        return i18n.t(f"service.note.{note or 'no_data'}", lang)
    arrow = {"up": "▲", "down": "▼", "flat": "="}.get(direction or "", "")
    if kind == "pct":
        text = f"{100 * d:+.1f}%"
    elif unit == "share":
        text = f"{100 * d:+.1f} " + ("个百分点" if lang == "zh" else "pts")
    else:
        text = f"{d:+.2f}" if unit == "per100" else f"{d:+.1f}"
    mark = "" if good is None else (" ✓" if good else " ✗")
    return f"{arrow} {text}{mark}"


def format_scorecard(sc: pl.DataFrame, lang: str = "en"):
    """The scorecard as a display table (pandas, strings), labelled in ``lang``.

    Changes carry an arrow (▲ up, ▼ down), ✓ when the change is good and ✗ when bad
    (for complaint rate and resolution time, down is good); guarded changes read
    "n/a (too few)" / "无(样本过少)".
    """
    sc = _frame(sc, "scorecard", ["kpi", "label_zh", "label_en", "unit", "delta_kind", "current"])
    rows = []
    for r in sc.iter_rows(named=True):
        rows.append({
            i18n.t("service.kpi", lang): r["label_zh"] if lang == "zh" else r["label_en"],
            f"{i18n.t('service.current', lang)} {r['period']}": _fmt_value(r["current"], r["unit"], lang),
            f"{i18n.t('service.previous', lang)} {r['previous_period']}":
                _fmt_value(r["previous"], r["unit"], lang),
            i18n.t("service.prev_delta", lang): _fmt_delta(
                r["prev_delta"], r["prev_note"], r["delta_kind"], r["unit"], r["direction"],
                r["good"], lang),
            f"{i18n.t('service.last_year', lang)} {r['last_year_period']}":
                _fmt_value(r["last_year"], r["unit"], lang),
            i18n.t("service.yoy_delta", lang): _fmt_delta(
                r["yoy_delta"], r["yoy_note"], r["delta_kind"], r["unit"], r["yoy_direction"],
                r["yoy_good"], lang),
        })
    import pandas as pd

    return pd.DataFrame(rows)


class _Missing:
    """Stands in for a missing number in a sentence: formats as '-' whatever the format spec."""

    def __format__(self, spec: str) -> str:
        return "-"


def narrate(key: str, lang: str = "en", **values: Any) -> str:
    """A sentence of the service report in ``lang`` with ``values`` filled in.

    ``key`` names a template registered as ``service.text.<key>``; missing values (None,
    NaN) print as "-" instead of failing, so a quiet period still gets its sentence.
    """
    clean = {k: _Missing() if v is None or (isinstance(v, float) and math.isnan(v)) else v
             for k, v in values.items()}
    return i18n.t(f"service.text.{key}", lang).format(**clean)


def localize(df, lang: str = "en", digits: int = 2):
    """A result table ready to display: pandas, headers (and known values) in ``lang``.

    Floating-point columns are rounded to ``digits`` decimals; dates print as
    ``YYYY-MM-DD`` (with ``HH:MM`` when they carry a time); missing values print empty.
    """
    pdf = df.to_pandas() if isinstance(df, pl.DataFrame) else df.copy()
    for col in pdf.columns:
        s = pdf[col]
        if s.dtype.kind == "f":
            s = s.round(digits)
            pdf[col] = s.astype(object).where(s.notna(), "") if s.isna().any() else s
        elif s.dtype.kind == "M":
            has_time = bool((s.dropna().dt.normalize() != s.dropna()).any())
            pdf[col] = s.dt.strftime("%Y-%m-%d %H:%M" if has_time else "%Y-%m-%d").fillna("")
        elif s.dtype.kind in "OU" or str(s.dtype) in ("str", "string"):
            pdf[col] = s.fillna("")
    for col in ("tier", "owner", "severity", "age_band", "group", "verdict"):
        if col in pdf.columns:
            pdf[col] = pdf[col].map(lambda v: i18n.t(f"service.value.{v}", lang)
                                    if isinstance(v, str) and i18n.t(f"service.value.{v}", lang)
                                    != f"service.value.{v}" else v)
    return pdf.rename(columns={c: _column_label(str(c), lang) for c in pdf.columns})


def _column_label(col: str, lang: str) -> str:
    """The service label of a column, else the shared label, else the name itself."""
    if col not in _SHARED_COLS:
        label = i18n.t(f"service.{col}", lang)
        if label != f"service.{col}":
            return label
    return i18n.t(col, lang)


_SHARED_COLS = {"customer_id", "name", "company", "tier", "province", "channel", "sales_rep",
                "revenue", "customers", "complaints", "visits"}

i18n.register({
    "service.kpi": {"zh": "指标", "en": "KPI"},
    "service.current": {"zh": "本期", "en": "Current"},
    "service.previous": {"zh": "上期", "en": "Previous"},
    "service.prev_delta": {"zh": "环比", "en": "vs previous"},
    "service.last_year": {"zh": "去年同期", "en": "Last year"},
    "service.yoy_delta": {"zh": "同比", "en": "vs last year"},
    "service.note.too_few": {"zh": "无(样本过少)", "en": "n/a (too few)"},
    "service.note.no_data": {"zh": "无(无数据)", "en": "n/a (no data)"},
    "service.note.zero_base": {"zh": "无(基数为零)", "en": "n/a (zero base)"},
    "service.value.none": {"zh": "未分级", "en": "No tier"},
    "service.value.shared_pool": {"zh": "公海", "en": "Shared pool (公海)"},
    "service.value.low": {"zh": "低", "en": "Low"},
    "service.value.medium": {"zh": "中", "en": "Medium"},
    "service.value.high": {"zh": "高", "en": "High"},
    "service.value.critical": {"zh": "紧急", "en": "Critical"},
    "service.value.lt_1d": {"zh": "不足1天", "en": "< 1 day"},
    "service.value.1_3d": {"zh": "1-3天", "en": "1-3 days"},
    "service.value.3_7d": {"zh": "3-7天", "en": "3-7 days"},
    "service.value.7_30d": {"zh": "7-30天", "en": "7-30 days"},
    "service.value.gt_30d": {"zh": "超过30天", "en": "> 30 days"},
    "service.value.complainer": {"zh": "投诉客户", "en": "Complainers"},
    "service.value.control": {"zh": "对照组(未投诉)", "en": "Matched non-complainers"},
    "service.value.unmatched": {"zh": "无可匹配对照", "en": "No match found"},
    "service.value.excluded_no_prior_purchase": {"zh": "投诉前无购买(未比较)",
                                                 "en": "No purchase before complaint (not compared)"},
    "service.value.excluded_window_incomplete": {"zh": "观察期未满(未比较)",
                                                 "en": "Window not complete yet (not compared)"},
    "service.value.follows_value": {"zh": "拜访明显跟随客户价值", "en": "Visits clearly follow value"},
    "service.value.weakly_follows": {"zh": "拜访略微跟随客户价值", "en": "Visits weakly follow value"},
    "service.value.not_following": {"zh": "拜访未跟随客户价值", "en": "Visits do not follow value"},
    "service.rate": {"zh": "每百客户投诉数", "en": "Complaints per 100 customers"},
    "service.complainants": {"zh": "投诉客户数", "en": "Complaining customers"},
    "service.complainant_share": {"zh": "投诉客户占比", "en": "Share who complained"},
    "service.category": {"zh": "投诉类别", "en": "Category"},
    "service.severity": {"zh": "严重程度", "en": "Severity"},
    "service.resolved": {"zh": "已解决", "en": "Resolved"},
    "service.open": {"zh": "未解决", "en": "Open"},
    "service.median_hours": {"zh": "解决时长中位数(小时)", "en": "Median hours to resolve"},
    "service.p90_hours": {"zh": "解决时长90分位(小时)", "en": "90th percentile hours"},
    "service.sla_hours": {"zh": "时限(小时)", "en": "SLA (hours)"},
    "service.breaches_resolved": {"zh": "超时解决", "en": "Resolved late"},
    "service.breaches_open": {"zh": "未解决且超时", "en": "Open past SLA"},
    "service.breaches": {"zh": "超时合计", "en": "SLA breaches"},
    "service.breach_rate": {"zh": "超时率", "en": "Breach rate"},
    "service.breached": {"zh": "已超时", "en": "Past SLA"},
    "service.complaint_id": {"zh": "投诉编号", "en": "Complaint ID"},
    "service.opened_at": {"zh": "受理时间", "en": "Opened"},
    "service.age_hours": {"zh": "已开启(小时)", "en": "Open for (hours)"},
    "service.age_days": {"zh": "已开启(天)", "en": "Open for (days)"},
    "service.age_band": {"zh": "积压时长", "en": "Age"},
    "service.owner": {"zh": "客户经理", "en": "Account manager"},
    "service.first_complaint": {"zh": "首次投诉", "en": "First complaint"},
    "service.last_complaint": {"zh": "最近投诉", "en": "Last complaint"},
    "service.categories": {"zh": "投诉类别", "en": "Categories"},
    "service.group": {"zh": "组别", "en": "Group"},
    "service.no_purchase_share": {"zh": "之后未再购买占比", "en": "Share with no purchase after"},
    "service.mean_spend_before": {"zh": "之前平均消费", "en": "Mean spend before"},
    "service.mean_spend_after": {"zh": "之后平均消费", "en": "Mean spend after"},
    "service.spend_change": {"zh": "消费变化", "en": "Spend change"},
    "service.visited_customers": {"zh": "被拜访客户数", "en": "Customers visited"},
    "service.visits_per_customer_month": {"zh": "每客户每月拜访次数",
                                          "en": "Visits per customer per month"},
    "service.visited_share": {"zh": "被拜访客户占比", "en": "Share visited"},
    "service.median_days_between": {"zh": "拜访间隔中位数(天)", "en": "Median days between visits"},
    "service.last_visit": {"zh": "最近拜访", "en": "Last visit"},
    "service.days_without_visit": {"zh": "未拜访天数", "en": "Days without a visit"},
    "service.policy_days": {"zh": "拜访政策(天)", "en": "Policy (days)"},
    "service.overdue_days": {"zh": "超期天数", "en": "Days overdue"},
    "service.never_visited": {"zh": "从未拜访", "en": "Never visited"},
    "service.n_nps": {"zh": "NPS样本数", "en": "NPS answers"},
    "service.promoters": {"zh": "推荐者", "en": "Promoters"},
    "service.passives": {"zh": "中立者", "en": "Passives"},
    "service.detractors": {"zh": "贬损者", "en": "Detractors"},
    "service.nps": {"zh": "净推荐值(NPS)", "en": "NPS"},
    "service.ci_low": {"zh": "置信下限", "en": "CI low"},
    "service.ci_high": {"zh": "置信上限", "en": "CI high"},
    "service.n_csat": {"zh": "CSAT样本数", "en": "CSAT answers"},
    "service.csat_share": {"zh": "满意占比(4-5分)", "en": "CSAT (share 4-5)"},
    "service.csat_mean": {"zh": "平均满意度", "en": "Mean CSAT"},
    "service.period": {"zh": "期间", "en": "Period"},
    "service.survey_date": {"zh": "调查日期", "en": "Survey date"},
    "service.csat": {"zh": "满意度(CSAT)", "en": "CSAT"},
    "service.open_complaints": {"zh": "未解决投诉", "en": "Open complaints"},
    "service.oldest_open_hours": {"zh": "最久未解决(小时)", "en": "Oldest open (hours)"},
    "service.breached_open": {"zh": "超时未解决", "en": "Open past SLA"},
    "service.cohort": {"zh": "获客批次", "en": "Cohort"},
    "service.periods_since": {"zh": "获客后期数", "en": "Periods since acquisition"},
    "service.new_customers": {"zh": "新客户", "en": "New customers"},
    "service.returning_customers": {"zh": "老客户", "en": "Returning customers"},
    "service.new_revenue": {"zh": "新客户销售额", "en": "Revenue from new"},
    "service.returning_revenue": {"zh": "老客户销售额", "en": "Revenue from returning"},
    "service.returning_revenue_share": {"zh": "老客户销售额占比", "en": "Returning revenue share"},
    "service.share": {"zh": "占比", "en": "Share"},
    "service.months_since": {"zh": "获客后月数", "en": "Months since acquisition"},
    "service.retention": {"zh": "客户留存率", "en": "Customer retention"},
    "service.revenue_retention": {"zh": "收入留存率", "en": "Revenue retention"},
    "service.last_active": {"zh": "最后购买月份", "en": "Month of last purchase"},
    "service.rho": {"zh": "秩相关系数", "en": "Rank correlation"},
    "service.text.scope": {
        "zh": "数据截至 **{as_of}**;趋势与分布看最近 {months} 个月({start} 至 {as_of});在册客户 "
              "{customers} 位。清洗标记的 {outliers} 笔异常大额订单未计入金额类指标。",
        "en": "Data as of **{as_of}**; breakdowns cover the last {months} months ({start} to "
              "{as_of}); {customers} customers on file. {outliers} order(s) flagged as outliers by "
              "the cleaning are left out of money figures."},
    "service.text.complaints": {
        "zh": "最近 {months} 个月共受理 **{n}** 起投诉,相当于每百位客户 **{rate:.1f}** 起。已解决投诉的"
              "解决时长中位数为 **{median:.1f} 小时**,90% 的投诉在 {p90:.1f} 小时内解决;"
              "**{breaches}** 起超出时限(SLA),其中 {open_breaches} 起至今仍未解决。",
        "en": "In the last {months} months **{n}** complaints were received, **{rate:.1f}** per "
              "100 customers. Resolved complaints took a median of **{median:.1f} hours** (90% "
              "within {p90:.1f} hours); **{breaches}** breached their SLA, {open_breaches} of them "
              "still open."},
    "service.text.backlog": {
        "zh": "截至 {as_of},共有 **{n}** 起投诉尚未解决,其中 **{breached}** 起已超时;最久的一起已开启 "
              "{oldest:.0f} 天。",
        "en": "At {as_of}, **{n}** complaints are still open, **{breached}** of them past their "
              "SLA; the oldest has been open for {oldest:.0f} days."},
    "service.text.aftermath": {
        "zh": "投诉后 {days} 天内,**{c_share:.1%}** 的投诉客户没有再购买;同等级、同期已有购买的未投诉客户"
              "(随机匹配的对照组)中这一比例为 **{k_share:.1%}**。消费额变化:投诉客户 {c_change:+.1%},"
              "对照组 {k_change:+.1%}。两组差距越大,越说明投诉处理关系到客户挽留。",
        "en": "Within {days} days after their first complaint **{c_share:.1%}** of complainers bought "
              "nothing, against **{k_share:.1%}** of matched non-complainers (same tier, already "
              "customers at that date, drawn at random). Spend changed by {c_change:+.1%} for "
              "complainers and {k_change:+.1%} for the matched group. The larger the gap, the more "
              "complaint handling matters for retention."},
    "service.text.visits": {
        "zh": "A 级客户每人每月平均被拜访 {a:.2f} 次,C 级 {c:.2f} 次。客户价值与拜访次数的秩相关系数为 "
              "**{rho:.2f}**(p = {p:.2g},{n} 位客户)。结论:**{verdict}**。",
        "en": "Tier A customers get {a:.2f} visits per customer per month, tier C {c:.2f}. The "
              "rank correlation between customer value and visits is **{rho:.2f}** (p = {p:.2g}, "
              "{n} customers). In plain words: **{verdict}**."},
    "service.text.overdue": {
        "zh": "**{n}** 位重点客户超过拜访政策未被拜访,其中 {never} 位从未被拜访。以下按超期天数排列,"
              "交由对应客户经理跟进。",
        "en": "**{n}** key customers have gone longer without a visit than the policy allows "
              "({never} never visited). Listed most overdue first, with their account manager."},
    "service.text.nps": {
        "zh": "最近 {months} 个月 NPS 为 **{nps:.1f}**({conf:.0%} 置信区间 {lo:.1f} 至 {hi:.1f};{n} 位"
              "客户的最新答卷;区间按正态近似计算)。CSAT(打 4-5 分的占比)为 **{csat:.1%}**,平均 {csat_mean:.2f} 分。",
        "en": "Over the last {months} months NPS is **{nps:.1f}** ({conf:.0%} interval {lo:.1f} to "
              "{hi:.1f}; latest answer of {n} customers; normal approximation). CSAT (share "
              "scoring 4-5) is **{csat:.1%}**, mean {csat_mean:.2f}."},
    "service.text.detractors": {
        "zh": "**{n}** 位贬损者(最近一次 NPS 打 0-6 分)仍有未解决的投诉,应优先处理并回访。",
        "en": "**{n}** detractors (latest NPS answer 0-6) still have an open complaint: resolve "
              "and call them first."},
    "service.text.churned": {
        "zh": "共有 {n} 位客户已超过 {days} 天未购买(视为流失)。下表为他们最后一次购买所在的月份。",
        "en": "{n} customers have not bought for more than {days} days (counted as churned). "
              "The table shows the month of their last purchase."},
})
