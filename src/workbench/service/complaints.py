"""Complaints: rates, resolution against the SLA, the open backlog, repeat complainers, aftermath.

As of a date (the transaction model's rule, ``docs/architecture.md#the-transaction-model``):
a complaint is known at ``as_of`` when opened by the end of that day, and a complaint
resolved after that cut-off is *open* at ``as_of``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np
import polars as pl

from .. import transactions
from ..errors import DataError, UsageError
from ..frames import as_polars
from ..transactions import TransactionSettings
from .common import (
    NO_TIER,
    customer_columns,
    customers_on_file,
    known_customers,
    transaction_log,
)
from .settings import DEFAULT_SLA_HOURS

__all__ = [
    "aftermath_summary",
    "backlog_ages",
    "complaint_aftermath",
    "complaint_rates",
    "complaint_status",
    "open_backlog",
    "repeat_complainers",
    "resolution_summary",
]

AGE_BANDS = ((24, "lt_1d"), (72, "1_3d"), (168, "3_7d"), (720, "7_30d"), (math.inf, "gt_30d"))
"""Upper bounds in hours of the backlog's age bands."""


def complaint_rates(complaints: Any, customers: Any, by: str | None = "tier", per: int = 100,
                    end: date | None = None) -> pl.DataFrame:
    """Complaint volume and rate per ``per`` customers, by a customer attribute or a complaint field.

    Args:
        complaints: complaints in the window of interest (see :func:`~.common.within`).
        customers: customers with the grouping column (e.g. from :func:`~.common.attach_tiers`).
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
    comp = as_polars(complaints, "complaints", ["complaint_id", "customer_id"])
    everyone = as_polars(customers, "customers", ["customer_id"])
    if by is None:
        by = "all"
        everyone = everyone.with_columns(pl.lit("all").alias("all"))
    known_customers(comp, everyone, "complaints", "complaint_id")
    base_customers = customers_on_file(everyone, end)
    if by in base_customers.columns and by != "customer_id":
        base = base_customers.group_by(pl.col(by).cast(pl.String)).agg(pl.len().alias("customers"))
        c = comp.join(everyone.select("customer_id", pl.col(by).cast(pl.String)),
                      on="customer_id", how="left")
        vol = c.group_by(by).agg(pl.len().alias("complaints"),
                                 pl.col("customer_id").n_unique().alias("complainants"))
        out = base.join(vol, on=by, how="full", coalesce=True).with_columns(
            pl.col("customers").fill_null(0))
    elif by in comp.columns:
        vol = comp.group_by(pl.col(by).cast(pl.String).fill_null("unknown")).agg(
            pl.len().alias("complaints"), pl.col("customer_id").n_unique().alias("complainants"))
        out = vol.with_columns(pl.lit(base_customers.height, dtype=pl.UInt32).alias("customers"))
    else:
        raise UsageError(
            f"complaint_rates: '{by}' is neither a customers column ({base_customers.columns}) "
            f"nor a complaints column ({comp.columns}).")
    out = out.with_columns(pl.col("complaints").fill_null(0), pl.col("complainants").fill_null(0))
    has_base = pl.col("customers") > 0
    out = out.with_columns(
        pl.when(has_base).then(pl.col("complaints") * per / pl.col("customers")).alias("rate"),
        pl.when(has_base).then(pl.col("complainants") / pl.col("customers"))
        .alias("complainant_share"),
    )
    return out.select(by, "customers", "complaints", "complainants", "rate",
                      "complainant_share").sort(by)


def _cutoff(as_of: date) -> datetime:
    """The end of the as-of day, as a naive datetime (exclusive bound)."""
    return datetime.combine(as_of + timedelta(days=1), time())


def _hours(e: pl.Expr) -> pl.Expr:
    return e.dt.total_microseconds() / 3.6e9


def complaint_status(complaints: Any, as_of: date, sla_hours: Mapping[str, float] | None = None
                     ) -> pl.DataFrame:
    """Per complaint known at ``as_of``: open or resolved then, hours to resolve, age, SLA breach.

    Complaints opened after the as-of day are left out
    (:func:`workbench.transactions.as_of_filter`).  A complaint resolved after the as-of
    cut-off (end of the ``as_of`` day) is open at ``as_of``
    (:func:`workbench.transactions.is_open_at`).  A resolved complaint breaches
    its SLA when it took longer than the SLA hours of its severity; an open complaint
    breaches when it is already older than that.

    Returns:
        The complaints with ``is_open`` (bool), ``hours_to_resolve`` (null while open),
        ``age_hours`` (hours open at the cut-off, null when resolved), ``sla_hours`` and
        ``breached`` (bool).

    Raises:
        DataError: a complaint resolved before it was opened, or a severity with no SLA.
    """
    comp = as_polars(complaints, "complaints",
                     ["complaint_id", "customer_id", "opened_at", "resolved_at", "severity"])
    comp = transactions.as_of_filter(comp, "complaints", as_of).collect()
    sla = dict(DEFAULT_SLA_HOURS if sla_hours is None else sla_hours)
    cut = _cutoff(as_of)
    bad = comp.filter(pl.col("resolved_at") < pl.col("opened_at"))
    if bad.height:
        ex = ", ".join(bad.get_column("complaint_id").head(3).to_list())
        raise DataError(
            f"complaints: {bad.height} complaint(s) were resolved before they were opened "
            f"(e.g. {ex}); fix resolved_at in the source and re-run `workbench clean`.")
    sev = comp.get_column("severity")
    missing = sorted(set(sev.drop_nulls().unique().to_list()) - set(sla))
    if sev.null_count():
        missing.append("<empty>")
    if missing:
        raise DataError(
            f"complaints.severity: value(s) {missing} have no SLA; give every complaint a severity "
            f"({', '.join(sla)}) or add the value to service.sla_hours in workbench.yaml.")
    out = comp.with_columns(
        transactions.is_open_at(as_of, comp.schema["resolved_at"]).alias("is_open"),
        pl.col("severity").replace_strict(sla, return_dtype=pl.Float64).alias("sla_hours"),
    )
    out = out.with_columns(
        pl.when(~pl.col("is_open")).then(_hours(pl.col("resolved_at") - pl.col("opened_at")))
        .otherwise(None).alias("hours_to_resolve"),
        pl.when(pl.col("is_open")).then(_hours(pl.lit(cut) - pl.col("opened_at")))
        .otherwise(None).alias("age_hours"),
    )
    return out.with_columns(
        (pl.coalesce("hours_to_resolve", "age_hours") > pl.col("sla_hours")).alias("breached"))


def resolution_summary(status: Any, by: str | None = "severity") -> pl.DataFrame:
    """Resolution time and SLA breaches from :func:`complaint_status`, by ``by`` (None: overall).

    Returns:
        ``by`` (if given), ``complaints, resolved, open, median_hours, p90_hours``
        (of resolved complaints; the 90th percentile uses linear interpolation, like
        ``numpy.percentile``), ``breaches_resolved, breaches_open, breaches, breach_rate``
        and ``sla_hours`` (when grouping by severity).
    """
    st = as_polars(status, "complaint status", ["is_open", "hours_to_resolve", "breached"])
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
        out = st.select(aggs)
    else:
        if by == "severity":
            aggs.append(pl.col("sla_hours").first())
        out = st.group_by(by).agg(aggs)
        if by == "severity":
            order = {s: i for i, s in enumerate(DEFAULT_SLA_HOURS)}
            out = out.sort(pl.col(by).replace_strict(order, default=99, return_dtype=pl.Int64))
        else:
            out = out.sort(by)
    return out.with_columns(pl.when(pl.col("complaints") > 0)
                            .then(pl.col("breaches") / pl.col("complaints")).alias("breach_rate"))


def open_backlog(status: Any, customers: Any = None) -> pl.DataFrame:
    """Complaints open at the as-of date, oldest first, with their age and owner.

    Args:
        status: output of :func:`complaint_status`.
        customers: optional customers (from :func:`~.common.attach_tiers`) to add
            ``name, tier, owner``.

    Returns:
        Open complaints: ``complaint_id, customer_id, opened_at, category, severity,
        age_hours, age_days, sla_hours, breached, age_band`` (+ customer columns).
    """
    st = as_polars(status, "complaint status", ["is_open", "age_hours"])
    out = st.filter(pl.col("is_open")).with_columns((pl.col("age_hours") / 24).alias("age_days"))
    band = pl.lit(AGE_BANDS[-1][1])
    for limit, name in reversed(AGE_BANDS[:-1]):
        band = pl.when(pl.col("age_hours") < limit).then(pl.lit(name)).otherwise(band)
    out = out.with_columns(band.alias("age_band"))
    cols = [c for c in ("complaint_id", "customer_id", "opened_at", "category", "severity",
                        "age_hours", "age_days", "sla_hours", "breached", "age_band")
            if c in out.columns]
    out = customer_columns(out.select(cols), customers)
    return out.sort(["age_hours", "complaint_id"], descending=[True, False])


def backlog_ages(backlog: Any) -> pl.DataFrame:
    """Count of open complaints per age band (all five bands, zero when empty)."""
    bl = as_polars(backlog, "backlog", ["age_band", "breached"])
    bands = pl.DataFrame({"age_band": [b for _, b in AGE_BANDS]})
    counts = bl.group_by("age_band").agg(pl.len().alias("open"),
                                         pl.col("breached").sum().alias("breached"))
    return bands.join(counts, on="age_band", how="left").with_columns(
        pl.col("open").fill_null(0), pl.col("breached").fill_null(0))


def repeat_complainers(complaints: Any, customers: Any = None, min_complaints: int = 2
                       ) -> pl.DataFrame:
    """Customers with at least ``min_complaints`` complaints, most complaints first.

    Returns:
        ``customer_id, complaints, first_complaint, last_complaint, categories`` (distinct,
        sorted, joined with ", ") and, when ``customers`` is given, ``name, tier, owner``.
    """
    comp = as_polars(complaints, "complaints", ["complaint_id", "customer_id", "opened_at"])
    cat = (pl.col("category").drop_nulls().unique().sort().str.join(", ")
           if "category" in comp.columns else pl.lit(""))
    out = (comp.group_by("customer_id")
           .agg(pl.len().alias("complaints"),
                pl.col("opened_at").min().alias("first_complaint"),
                pl.col("opened_at").max().alias("last_complaint"),
                cat.alias("categories"))
           .filter(pl.col("complaints") >= min_complaints))
    out = customer_columns(out, customers)
    return out.sort(["complaints", "customer_id"], descending=[True, False])


def _draw_controls(keep: pl.DataFrame, candidates: pl.DataFrame, seed: int) -> list[str | None]:
    """One control per complainer: same tier, first purchase before the reference day.

    The complainers draw in their order, one uniform number each (``rng.random``), the
    control being the ``int(draw * k)``-th of the ``k`` candidates of the tier who bought
    before the reference day (sorted by first purchase and id).
    """
    rng = np.random.default_rng(seed)
    draws = rng.random(keep.height)  # the same numbers as one rng.random() per complainer
    out = np.full(keep.height, None, dtype=object)
    tiers = keep.get_column("tier")
    refs = keep.get_column("ref_date").cast(pl.Date).to_numpy()
    for (t,), g in candidates.group_by("tier"):
        rows = np.flatnonzero((tiers == t).to_numpy())
        if rows.size == 0:
            continue
        g = g.sort(["first_purchase", "customer_id"])
        firsts = g.get_column("first_purchase").cast(pl.Date).to_numpy()
        ids = np.asarray(g.get_column("customer_id").to_list(), dtype=object)
        k = np.searchsorted(firsts, refs[rows], side="left")
        pick = (draws[rows] * k).astype(np.int64)
        ok = k > 0
        out[rows[ok]] = ids[pick[ok]]
    return out.tolist()


def complaint_aftermath(orders: Any, complaints: Any, customers: Any, as_of: date,
                        window_days: int = 90, seed: int = 0, *,
                        settings: TransactionSettings | None = None) -> pl.DataFrame:
    """Do complainers stop buying or spend less?  Complainers vs matched non-complainers.

    For every customer whose **first** complaint (day ``t0``) leaves a full window
    before the as-of date (``t0 + window_days <= as_of``) and whose first purchase was
    before ``t0``, one non-complainer (never complained up to ``as_of``) of the same tier
    who had also bought before ``t0`` is drawn at random (with replacement, seeded) and
    given the same reference day.  For both we measure spend (net ``value`` of the
    transaction model, purchases minus returns) in the ``window_days`` before ``t0``
    (``t0 - window .. t0 - 1``) and after (``t0 + 1 .. t0 + window``; the reference day
    itself is in neither window) and whether they made a purchase after.

    Args:
        orders: canonical orders or a transaction log (:func:`~.common.transaction_log`).
        complaints: canonical complaints (as of ``as_of``).
        customers: customers with ``tier`` (:func:`~.common.attach_tiers`).
        as_of: the as-of date.
        window_days: length of the before/after windows.
        seed: seed of the random matching.
        settings: the outlier policy used when ``orders`` are canonical orders.

    Returns:
        One row per compared customer: ``group`` (``complainer``/``control``), ``pair``
        (the complainer's id, shared by its control), ``customer_id, tier, ref_date,
        spend_before, spend_after, bought_after``; plus rows with ``group`` =
        ``excluded_no_prior_purchase``, ``excluded_window_incomplete`` or ``unmatched``
        for complainers left out (spend columns null), so nobody disappears silently.
    """
    log = transaction_log(orders, as_of, settings)  # lazy: read on the streaming engine
    comp_tbl = as_polars(complaints, "complaints", ["customer_id", "opened_at"])
    people = as_polars(customers, "customers", ["customer_id", "tier"])
    first_c = (comp_tbl.group_by("customer_id")
               .agg(pl.col("opened_at").cast(pl.Date).min().alias("ref_date")))
    fp = transactions.first_purchases(log)
    comp = (first_c.join(people.select("customer_id", "tier"), on="customer_id", how="left")
            .with_columns(pl.col("tier").fill_null(NO_TIER))
            .join(fp, on="customer_id", how="left").sort("customer_id"))
    last_ref = as_of - timedelta(days=window_days)
    comp = comp.with_columns(
        pl.when(pl.col("ref_date") > last_ref).then(pl.lit("excluded_window_incomplete"))
        .when(pl.col("first_purchase").is_null() | (pl.col("first_purchase") >= pl.col("ref_date")))
        .then(pl.lit("excluded_no_prior_purchase"))
        .otherwise(pl.lit("complainer")).alias("group"))
    cand = (people.select("customer_id", "tier")
            .join(first_c.select("customer_id"), on="customer_id", how="anti")
            .join(fp, on="customer_id", how="inner"))
    keep = comp.filter(pl.col("group") == "complainer")
    keep = keep.with_columns(pl.Series("control_id", _draw_controls(keep, cand, seed),
                                       dtype=pl.String))
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
    day, ref = pl.col("day"), pl.col("ref_date")
    before = (day >= ref - w) & (day < ref)
    after = (day > ref) & (day <= ref + w)
    pairs = compared.select("pair", "group", "customer_id", "ref_date")
    rows = log.select("customer_id", "day", "kind", "value").join(
        pairs.select("customer_id").unique().lazy(), on="customer_id", how="semi")
    spend = (pairs.lazy().join(rows, on="customer_id", how="inner")
             .group_by("pair", "group")
             .agg(transactions.money_sum(pl.col("value").filter(before)).alias("spend_before"),
                  transactions.money_sum(pl.col("value").filter(after)).alias("spend_after"),
                  ((pl.col("kind") == "purchase") & after).any().alias("bought_after"))
             .collect(engine="streaming"))
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


def aftermath_summary(detail: Any) -> pl.DataFrame:
    """Summarise :func:`complaint_aftermath`: one row per group.

    Returns:
        ``group, customers, no_purchase_share`` (share with no purchase after the
        reference day), ``mean_spend_before, mean_spend_after, spend_change`` (total
        after / total before - 1; null when nothing was spent before).  The excluded
        groups appear with their counts only.
    """
    d = as_polars(detail, "aftermath", ["group", "spend_before", "spend_after", "bought_after"])
    order = {"complainer": 0, "control": 1, "unmatched": 2, "excluded_no_prior_purchase": 3,
             "excluded_window_incomplete": 4}
    out = d.group_by("group").agg(
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
