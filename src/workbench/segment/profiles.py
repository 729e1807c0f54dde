"""Size and value of groups of customers (segment, tier, cluster, lifecycle, province...)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl

from ..errors import DataError, UsageError
from ..frames import as_polars

__all__ = ["profile_crosstab", "segment_profile", "with_attributes"]


def with_attributes(table: Any, customers: Any, columns: Sequence[str] = ("province", "channel"),
                    *, customer_id_col: str = "customer_id",
                    missing: str = "(missing)") -> pl.DataFrame:
    """Join customer attributes (province, channel...) onto a per-customer table.

    Empty attributes and customers absent from the archive get ``missing`` (say which
    label to show), so group totals still add up to all customers.
    """
    t = as_polars(table, "table", [customer_id_col])
    c = as_polars(customers, "customers", [customer_id_col])
    absent = [x for x in columns if x not in c.columns]
    if absent:
        raise DataError(f"customers: column(s) {absent} missing; the archive has {c.columns}.")
    attrs = (c.select(pl.col(customer_id_col).cast(t.schema[customer_id_col]), *columns)
             .unique(customer_id_col, keep="first"))
    out = t.join(attrs, on=customer_id_col, how="left")
    return out.with_columns([pl.col(x).cast(pl.String).fill_null(missing) for x in columns])


def _order_by(frame: pl.DataFrame, by: str, order: Sequence[str],
              then: list[str], descending: list[bool]) -> pl.DataFrame:
    pos = {g: i for i, g in enumerate(order)}
    rank = (pl.col(by).cast(pl.String)
            .replace_strict(pos, default=len(pos), return_dtype=pl.Int64).alias("_o"))
    return (frame.with_columns(rank).sort(["_o", *then], descending=[False, *descending])
            .drop("_o"))


def segment_profile(table: Any, by: str = "rfm_segment", *, customer_id_col: str = "customer_id",
                    order: Sequence[str] | None = None) -> pl.DataFrame:
    """Size and value of each group of ``by`` (segment, tier, cluster, lifecycle...).

    Columns: ``customers, customer_share, revenue, revenue_share, orders,
    avg_order_value`` (revenue / orders), ``mean_frequency``, ``mean_recency_days``, and
    ``net_revenue_12m`` (the group's net revenue over the last 12 months,
    :func:`workbench.transactions.net_revenue`) when the table has that column.
    ``revenue`` is net revenue to date (``monetary``).  Rows with a null group (e.g.
    prospects for RFM segments) are left out and shares are of the grouped customers.
    ``order`` sorts the groups (others follow, by revenue); by default groups are sorted
    by revenue, largest first.
    """
    t = as_polars(table, "table", [by, "monetary", "n_orders", "frequency", "recency_days"])
    has_12m = "net_revenue_12m" in t.columns
    used = [by, "monetary", "n_orders", "frequency", "recency_days"]
    # only the columns used go through the filter, not the whole per-customer table
    t = t.select(list(dict.fromkeys([*used, *(["net_revenue_12m"] if has_12m else [])])))
    t = t.filter(pl.col(by).is_not_null())
    n = t.height or 1
    total = float(t.get_column("monetary").sum()) or 1.0
    p = t.group_by(by).agg(
        pl.len().cast(pl.Int64).alias("customers"),
        pl.col("monetary").sum().alias("revenue"),
        pl.col("n_orders").sum().cast(pl.Int64).alias("orders"),
        pl.col("frequency").mean().alias("mean_frequency"),
        pl.col("recency_days").mean().alias("mean_recency_days"),
        *([pl.col("net_revenue_12m").fill_null(0.0).sum()] if has_12m else []),
    ).with_columns(
        (pl.col("customers") / n).alias("customer_share"),
        (pl.col("revenue") / total).alias("revenue_share"),
        pl.when(pl.col("orders") > 0).then(pl.col("revenue") / pl.col("orders")).otherwise(None)
        .alias("avg_order_value"),
    )
    if order:
        p = _order_by(p, by, order, ["revenue"], [True])
    else:
        p = p.sort(["revenue", by], descending=[True, False])
    return p.select(by, "customers", "customer_share", "revenue", "revenue_share", "orders",
                    "avg_order_value", "mean_frequency", "mean_recency_days",
                    *(["net_revenue_12m"] if has_12m else []))


def profile_crosstab(table: Any, by: str, dim: str, *, value: str = "customers",
                     order: Sequence[str] | None = None, top: int | None = None,
                     other: str = "other") -> pl.DataFrame:
    """A ``by`` x ``dim`` table (e.g. tier x province) of customers or revenue.

    ``value``: ``"customers"`` (count) or ``"revenue"`` (sum of monetary).  ``top`` keeps
    the ``top`` largest ``dim`` values (by the same measure) and sums the rest into
    ``other``; no row is dropped.  Columns: ``by``, one per ``dim`` value, ``total``.
    """
    t = as_polars(table, "table", [by, dim, "monetary"])
    if value not in ("customers", "revenue"):
        raise UsageError(f"profile_crosstab value '{value}' must be 'customers' or 'revenue'.")
    t = t.select(list(dict.fromkeys([by, dim, "monetary"]))).filter(pl.col(by).is_not_null())
    measure = pl.len().cast(pl.Float64) if value == "customers" else pl.col("monetary").sum()
    ranks = t.group_by(dim).agg(measure.alias("_v")).sort(["_v", dim], descending=[True, False])
    if top is not None:
        keep = ranks.get_column(dim).head(top).to_list()
        t = t.with_columns(pl.when(pl.col(dim).is_in(keep)).then(pl.col(dim))
                           .otherwise(pl.lit(other)).alias(dim))
        dims = keep + ([other] if ranks.height > top else [])
    else:
        dims = ranks.get_column(dim).to_list()
    g = t.group_by(by, dim).agg(measure.alias("_v"))
    wide = g.pivot(on=dim, index=by, values="_v").fill_null(0)
    for d in dims:
        if d not in wide.columns:
            wide = wide.with_columns(pl.lit(0.0).alias(d))
    wide = wide.select(by, *dims).with_columns(pl.sum_horizontal(dims).alias("total"))
    if value == "customers":
        wide = wide.with_columns([pl.col(c).cast(pl.Int64) for c in [*dims, "total"]])
    if order:
        return _order_by(wide, by, order, [by], [False])
    return wide.sort(by)
