"""Visits: cadence per tier or owner, key customers overdue for a visit, visits against value.

Windows are the house's trailing windows ``start < day <= end``
(:func:`workbench.periods.trailing_window`); customer value is the transaction
model's net revenue (``docs/architecture.md#the-transaction-model``).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from datetime import date
from typing import Any

import polars as pl
from scipy import stats

from .. import transactions
from ..frames import as_polars
from ..transactions import TransactionSettings
from .common import customers_on_file, known_customers, transaction_log, window_months, within
from .settings import DEFAULT_VISIT_POLICY_DAYS

__all__ = ["customer_value", "overdue_visits", "visit_cadence", "visit_differentiation"]


def visit_cadence(visits: Any, customers: Any, start: date, end: date, by: str = "tier"
                  ) -> pl.DataFrame:
    """Visit cadence per group over the window ``start < day <= end``.

    Args:
        visits: canonical visits.
        customers: customers with the grouping column (``tier``, ``owner`` ... from
            :func:`~.common.attach_tiers`).  Visits are grouped by the customer's group
            (for ``owner``: the customer's account manager, whoever made the visit).
        start, end: the window (``periods.trailing_window(as_of, months)``).
        by: grouping column of ``customers``.

    Returns:
        ``by, customers, visited_customers, visits, visits_per_customer_month`` (visits /
        customers / months in the window, months = days / ``periods.DAYS_PER_MONTH``),
        ``visited_share`` and ``median_days_between`` (median gap in days between
        consecutive visit days of the same customer, gaps of all the group's customers
        pooled; null with fewer than two visit days).
    """
    everyone = as_polars(customers, "customers", ["customer_id", by])
    v = within(as_polars(visits, "visits", ["visit_id", "customer_id", "visit_date"]),
               "visit_date", start, end)
    known_customers(v, everyone, "visits", "visit_id")
    v = v.join(everyone.select("customer_id", by), on="customer_id", how="left")
    months = window_months(start, end)
    base = customers_on_file(everyone, end).group_by(by).agg(pl.len().alias("customers"))
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


def overdue_visits(visits: Any, customers: Any, as_of: date,
                   policy_days: Mapping[str, int] | None = None) -> pl.DataFrame:
    """Customers of the tiers in ``policy_days`` not visited for longer than their policy.

    Days without a visit count from the last visit on or before ``as_of``; a customer
    never visited counts from the signup date (``never_visited`` is true).

    Args:
        visits: canonical visits.
        customers: customers with ``tier``, ``owner`` and ``signup_date``
            (:func:`~.common.attach_tiers`).
        as_of: the as-of date.
        policy_days: ``{tier: days}``, e.g. ``{"A": 30, "B": 90}``.

    Returns:
        ``customer_id, name, company, tier, owner, last_visit, days_without_visit,
        policy_days, overdue_days, never_visited``, most overdue first (top tier first on ties).
    """
    policy = dict(DEFAULT_VISIT_POLICY_DAYS if policy_days is None else policy_days)
    vis = as_polars(visits, "visits", ["customer_id", "visit_date"])
    people = as_polars(customers, "customers", ["customer_id", "tier", "owner", "signup_date"])
    pol = pl.DataFrame({"tier": list(policy), "policy_days": [int(d) for d in policy.values()]},
                       schema={"tier": pl.String, "policy_days": pl.Int64})
    c = customers_on_file(people, as_of).join(pol, on="tier", how="inner")
    last = (within(vis, "visit_date", None, as_of).group_by("customer_id")
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


def customer_value(orders: Any, start: date | None = None, end: date | None = None, *,
                   settings: TransactionSettings | None = None) -> pl.DataFrame:
    """Net revenue per customer in ``start < day <= end``: ``customer_id, value``.

    The transaction model's net revenue (``net`` of
    :func:`workbench.transactions.customer_activity`: purchases minus returns, amounts
    after the outlier policy).  Over ``periods.trailing_window(as_of, 12)`` it equals
    ``transactions.net_revenue(log, as_of, 12)``, the 12-month net revenue of the churn
    warning list and the segment profiles.
    """
    log = transaction_log(orders, end, settings)
    return (transactions.customer_activity(log, start, end)
            .select("customer_id", pl.col("net").alias("value")).collect())


def visit_differentiation(visits: Any, customers: Any, value: Any, start: date, end: date, *,
                          value_col: str | None = None) -> dict[str, Any]:
    """Are visits following customer value?  Spearman rank correlation, in plain words.

    Every customer on file at ``end`` counts (no value = 0, no visit = 0 visits).

    Args:
        visits: canonical visits.
        customers: customers with ``tier`` (:func:`~.common.attach_tiers`).
        value: ``customer_id`` and a value column: normally
            ``transactions.net_revenue(log, as_of, 12)`` (``net_revenue_12m``), or
            :func:`customer_value` (``value``).
        start, end: the window ``start < day <= end`` in which visits are counted.
        value_col: the value column (default ``net_revenue_12m`` when present, else ``value``).

    Returns:
        ``{"n", "rho", "p_value", "verdict", "tier_order_ok", "visits_per_customer"}``:
        ``verdict`` is ``follows_value`` (rho >= 0.3 and p < 0.05), ``weakly_follows``
        (rho >= 0.1 and p < 0.05) or ``not_following``; ``tier_order_ok`` is true when
        visits per customer fall from tier A to B to C; ``visits_per_customer`` maps tier
        to visits per customer in the window.  ``rho`` is null when fewer than 3
        customers or no variation.
    """
    vis = as_polars(visits, "visits", ["customer_id", "visit_date"])
    people = customers_on_file(as_polars(customers, "customers", ["customer_id", "tier"]), end)
    val = as_polars(value, "value", ["customer_id"])
    col = value_col or ("net_revenue_12m" if "net_revenue_12m" in val.columns else "value")
    val = as_polars(val, "value", [col]).select("customer_id", pl.col(col).alias("value"))
    counts = (within(vis, "visit_date", start, end).group_by("customer_id")
              .agg(pl.len().alias("visits")))
    d = (people.select("customer_id", "tier")
         .join(val, on="customer_id", how="left")
         .join(counts, on="customer_id", how="left")
         .with_columns(pl.col("value").fill_null(0.0), pl.col("visits").fill_null(0)))
    rho = p = None
    if (d.height >= 3 and d.get_column("value").n_unique() > 1
            and d.get_column("visits").n_unique() > 1):
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
