"""Account pool rules (公海规则): owned accounts to reclaim, unowned accounts to claim.

- **Reclaim candidates**: accounts with an owner whose last visit and last purchase (or, with
  neither, their signup) are more than ``reclaim_days`` days before ``as_of``; with owner and
  value, most valuable first.
- **Claim list**: accounts without an owner (empty ``sales_rep``), ranked by CLV (step 03),
  else by 12-month net revenue.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl

from .. import transactions as tx
from ..frames import as_lazy, as_polars
from .book import SHARED_POOL
from .text import say_column

__all__ = ["claim_list", "reclaim_candidates"]


def _value(people: pl.DataFrame, log: Any, as_of: date, clv_table: Any) -> pl.DataFrame:
    # only these people's rows are grouped (the shared pool is a small part of the log)
    lg = (as_lazy(log, "transactions", ["customer_id", "day", "kind", "value"])
          .filter(pl.col("day") <= as_of)
          .join(people.lazy().select(pl.col("customer_id").cast(pl.String)).unique(),
                on="customer_id", how="semi"))
    net = tx.net_revenue(lg, as_of, 12).collect(engine="streaming")
    last = (tx.purchases(lg).group_by("customer_id")
            .agg(pl.col("day").max().alias("last_purchase")).collect(engine="streaming"))
    out = (people.join(net, on="customer_id", how="left").join(last, on="customer_id", how="left")
           .with_columns(pl.col("net_revenue_12m").fill_null(0.0)))
    if clv_table is not None:
        c = as_polars(clv_table, "clv.parquet", ["customer_id", "clv"]).select(
            "customer_id", pl.col("clv").cast(pl.Float64))
        out = out.drop("clv", strict=False).join(c, on="customer_id", how="left")
    else:
        out = out.with_columns(pl.lit(None, pl.Float64).alias("clv"))
    return out.with_columns(pl.coalesce("clv", "net_revenue_12m").alias("value"))


def reclaim_candidates(book: Any, log: Any, visits: Any, as_of: date, reclaim_days: int, *,
                       clv: Any = None, lang: str = "en") -> pl.DataFrame:
    """Owned accounts with no visit and no purchase in more than ``reclaim_days`` days.

    Returns ``owner, team, region, customer_id, tier, last_visit, last_purchase, days_idle,
    clv, net_revenue_12m, value, reason``, most valuable first.
    """
    people = as_polars(book, "book", ["customer_id", "owner", "tier", "signup_date"]).filter(
        (pl.col("owner") != SHARED_POOL) & (pl.col("signup_date").cast(pl.Date) <= as_of))
    v = as_polars(visits, "visits", ["customer_id", "visit_date"]).filter(
        pl.col("visit_date").cast(pl.Date) <= as_of)
    lv = v.group_by("customer_id").agg(pl.col("visit_date").cast(pl.Date).max().alias("last_visit"))
    d = _value(people, log, as_of, clv).join(lv, on="customer_id", how="left")
    touched = pl.max_horizontal("last_visit", "last_purchase")
    d = d.with_columns(touched.is_null().alias("_never"),
                       (pl.lit(as_of) - pl.coalesce(touched, pl.col("signup_date").cast(pl.Date)))
                       .dt.total_days().alias("days_idle"))
    d = d.filter(pl.col("days_idle") > reclaim_days)
    reasons = say_column(d, pl.when(pl.col("_never")).then(pl.lit("reclaim_never"))
                         .otherwise(pl.lit("reclaim")), lang,
                         {"days": pl.col("days_idle"), "limit": pl.lit(reclaim_days)})
    d = d.with_columns(reasons.alias("reason"))
    cols = ["owner", "team", "region", "customer_id", "tier", "last_visit", "last_purchase",
            "days_idle", "clv", "net_revenue_12m", "value", "reason"]
    return d.select([c for c in cols if c in d.columns]).sort(
        ["value", "customer_id"], descending=[True, False])


def claim_list(book: Any, log: Any, as_of: date, *, clv: Any = None, top: int | None = None
               ) -> pl.DataFrame:
    """Unowned accounts ranked by CLV (else 12-month net revenue): ``rank, customer_id, tier,
    last_purchase, clv, net_revenue_12m, value``."""
    people = as_polars(book, "book", ["customer_id", "owner", "tier"]).filter(
        pl.col("owner") == SHARED_POOL)
    if "signup_date" in people.columns:
        people = people.filter(pl.col("signup_date").cast(pl.Date) <= as_of)
    d = _value(people, log, as_of, clv).sort(["value", "customer_id"], descending=[True, False])
    if top is not None:
        d = d.head(top)
    d = d.with_columns(pl.int_range(1, d.height + 1).alias("rank"))
    cols = ["rank", "customer_id", "tier", "rfm_segment", "last_purchase", "clv",
            "net_revenue_12m", "value"]
    return d.select([c for c in cols if c in d.columns])
