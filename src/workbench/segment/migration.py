"""Tier migration between two as-of dates: transition matrices of customers and revenue."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import polars as pl

from ..errors import DataError
from ..frames import as_polars
from ..periods import add_months, month_end, parse_date

__all__ = ["Migration", "migration_as_of", "tier_migration"]


@dataclass
class Migration:
    """Tier migration between two as-of dates.

    Attributes:
        counts: rows = state at the earlier date (tiers, ``prospect``, ``new``), columns =
            state at the later date (tiers, ``prospect``, ``gone``); first column ``from``.
        revenue: the same cells holding the revenue earned *between* the dates
            (later cumulative net revenue minus earlier; 0 for ``gone``).
        moved_up, slipped: customers tiered at both dates whose tier improved / worsened.
        transitions: one row per customer with both states.
    """

    counts: pl.DataFrame
    revenue: pl.DataFrame
    moved_up: pl.DataFrame
    slipped: pl.DataFrame
    transitions: pl.DataFrame


def migration_as_of(as_of: Any, months: int = 3) -> date:
    """The earlier date of a tier migration: the month end ``months`` months before
    ``as_of``'s month end.

    ``as_of`` 2026-10-31 with 3 months gives 2026-07-31; with 1 month, 2026-09-30.
    """
    return month_end(add_months(month_end(parse_date(as_of, "as_of")), -int(months)))


def _states(frame: Any, what: str, customer_id_col: str, tier_col: str, value_col: str,
            tiers: Sequence[str], suffix: str) -> pl.DataFrame:
    df = as_polars(frame, what, [customer_id_col, tier_col, value_col]).select(
        customer_id_col, pl.col(tier_col).alias(f"_t{suffix}"),
        pl.col(value_col).cast(pl.Float64).alias(f"monetary_{what}"))
    dup = df.filter(pl.col(customer_id_col).is_duplicated())
    if dup.height:
        raise DataError(f"tier_migration: {what} table repeats customer "
                        f"{dup.get_column(customer_id_col)[0]}; give one row per customer.")
    tier = pl.col(f"_t{suffix}")
    bad = df.filter(tier.is_not_null() & ~tier.is_in(list(tiers)))
    if bad.height:
        raise DataError(f"tier_migration: {what} table has tier "
                        f"{bad.get_column(f'_t{suffix}')[0]!r} not in {list(tiers)}.")
    return df.with_columns(pl.lit(True).alias(f"_in{suffix}"))


def tier_migration(before: Any, after: Any, *, tiers: Sequence[str] = ("A", "B", "C"),
                   customer_id_col: str = "customer_id", tier_col: str = "tier",
                   value_col: str = "monetary") -> Migration:
    """Transition matrices of counts and revenue between two per-customer tables.

    States at the earlier date: the customer's tier; ``prospect`` if in the table
    without a tier (no purchase yet); ``new`` if absent (not yet in the archive).
    States at the later date: the tier; ``prospect``; ``gone`` if absent (e.g. merged
    into another id or removed from the archive).  A customer *moved up* when both
    states are tiers and the later is better (earlier in ``tiers``); *slipped* when worse.
    """
    b = _states(before, "before", customer_id_col, tier_col, value_col, tiers, "0")
    a = _states(after, "after", customer_id_col, tier_col, value_col, tiers, "1")
    j = b.join(a, on=customer_id_col, how="full", coalesce=True)
    # 'new' / 'gone' come from absence from a table, 'prospect' from a row without a tier
    j = j.with_columns(
        pl.when(pl.col("_in0").fill_null(False)).then(pl.col("_t0").fill_null("prospect"))
        .otherwise(pl.lit("new")).alias("tier_before"),
        pl.when(pl.col("_in1").fill_null(False)).then(pl.col("_t1").fill_null("prospect"))
        .otherwise(pl.lit("gone")).alias("tier_after"),
    ).with_columns(
        pl.when(pl.col("tier_after") == "gone").then(0.0).otherwise(
            pl.col("monetary_after").fill_null(0.0) - pl.col("monetary_before").fill_null(0.0)
        ).alias("period_revenue"),
    ).drop("_t0", "_t1", "_in0", "_in1").sort(customer_id_col)
    rows = [*tiers, "prospect", "new"]
    cols = [*tiers, "prospect", "gone"]

    def matrix(agg: pl.Expr, dtype: type[pl.DataType]) -> pl.DataFrame:
        g = j.group_by("tier_before", "tier_after").agg(agg.alias("_v"))
        d = {(r["tier_before"], r["tier_after"]): r["_v"] for r in g.iter_rows(named=True)}
        data: dict[str, list[Any]] = {"from": rows}
        for c in cols:
            data[c] = [d.get((r, c), 0) for r in rows]
        return pl.DataFrame(data, schema={"from": pl.String, **{c: dtype for c in cols}})

    counts = matrix(pl.len(), pl.Int64)
    revenue = matrix(pl.col("period_revenue").sum(), pl.Float64)
    rank = {t: i for i, t in enumerate(tiers)}
    both = j.filter(pl.col("tier_before").is_in(list(tiers))
                    & pl.col("tier_after").is_in(list(tiers)))
    both = both.with_columns(
        pl.col("tier_before").replace_strict(rank, return_dtype=pl.Int64).alias("_r0"),
        pl.col("tier_after").replace_strict(rank, return_dtype=pl.Int64).alias("_r1"),
    )
    show = [customer_id_col, "tier_before", "tier_after", "monetary_before", "monetary_after",
            "period_revenue"]
    moved_up = both.filter(pl.col("_r1") < pl.col("_r0")).sort(
        ["period_revenue", customer_id_col], descending=[True, False]).select(show)
    slipped = both.filter(pl.col("_r1") > pl.col("_r0")).sort(
        ["monetary_before", customer_id_col], descending=[True, False]).select(show)
    return Migration(counts=counts, revenue=revenue, moved_up=moved_up, slipped=slipped,
                     transitions=j.select(show))
