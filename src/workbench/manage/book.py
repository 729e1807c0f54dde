"""The book of each owner: customers with their owner, team, region, tier and segment.

The owner is ``customers.sales_rep`` (an empty one is the shared pool, 公海:
:data:`workbench.service.SHARED_POOL`); team and region come from
``management.owners`` (a rep not listed is in team and region :data:`UNASSIGNED`).
Tiers and RFM segments are step 02's (``segments.parquet``); a customer without a
tier (no purchase yet) has tier :data:`workbench.service.NO_TIER`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

from ..frames import as_polars
from ..service import NO_TIER, SHARED_POOL, attach_tiers

__all__ = ["BOOK_SEGMENT_COLUMNS", "NO_TIER", "SHARED_POOL", "UNASSIGNED", "book_of_business",
           "owners_table"]

UNASSIGNED = "unassigned"
"""Team and region of a rep missing from ``management.owners``."""

#: The columns of ``segments.parquet`` the book reads (a reader may load only these).
BOOK_SEGMENT_COLUMNS = ("customer_id", "tier", "rfm_segment", "lifecycle_stage", "abc_class")


def owners_table(owners: Mapping[str, Mapping[str, str]] | Any) -> pl.DataFrame:
    """``owner, team, region`` from the ``management.owners`` mapping or a table with those columns."""
    if isinstance(owners, Mapping):
        rows = [{"owner": str(rep), "team": info.get("team"), "region": info.get("region")}
                for rep, info in owners.items()]
        return pl.DataFrame(rows, schema={"owner": pl.String, "team": pl.String,
                                          "region": pl.String})
    t = as_polars(owners, "owners", ["owner"])
    for c in ("team", "region"):
        if c not in t.columns:
            t = t.with_columns(pl.lit(None, pl.String).alias(c))
    return t.select(pl.col("owner").cast(pl.String), pl.col("team").cast(pl.String),
                    pl.col("region").cast(pl.String)).unique("owner", keep="first")


def book_of_business(customers: Any, segments: Any,
                     owners: Mapping[str, Mapping[str, str]] | Any = None) -> pl.DataFrame:
    """Every customer with ``owner, team, region, tier, rfm_segment, lifecycle_stage``.

    No customer row is lost: customers missing from ``segments`` get tier ``none`` and a
    null segment.  The shared pool's team and region are the pool itself.
    """
    seg = as_polars(segments, "segments", ["customer_id", "tier"])
    people = attach_tiers(customers, seg)
    extra = [c for c in BOOK_SEGMENT_COLUMNS[2:] if c in seg.columns]
    if extra:
        people = people.drop(extra, strict=False).join(
            seg.select("customer_id", *[pl.col(c).cast(pl.String) for c in extra]),
            on="customer_id", how="left")
    for c in BOOK_SEGMENT_COLUMNS[2:]:
        if c not in people.columns:
            people = people.with_columns(pl.lit(None, pl.String).alias(c))
    own = owners_table(owners or {})
    people = people.drop("team", "region", strict=False).join(own, on="owner", how="left")
    pool = pl.col("owner") == SHARED_POOL
    return people.with_columns(
        pl.when(pool).then(pl.lit(SHARED_POOL)).otherwise(pl.col("team").fill_null(UNASSIGNED))
        .alias("team"),
        pl.when(pool).then(pl.lit(SHARED_POOL)).otherwise(pl.col("region").fill_null(UNASSIGNED))
        .alias("region"),
        pl.col("tier").fill_null(NO_TIER))
