"""Line-level orders sources: order lines checked one by one, then grouped into orders.

An orders source with ``lines: {order_key: order_id}`` has one row per order line (an
invoice line, a Shopify line item, a 销售订单明细 row).  :func:`build_orders`:

1. types every line (:func:`workbench.ingest.coerce` with the line schema): a line
   without a customer, with a date, amount or price that cannot be read, or a status
   outside the list is quarantined (``missing_customer_id``, ``unparseable_date``,
   ``unparseable_amount``, ``invalid_value``);
2. quarantines exact duplicate lines (``exact_duplicate``), cancelled lines
   (``cancelled_order``: not a transaction) and the lines of an order that names more than
   one customer (``invalid_value``);
3. groups the kept lines into orders, one per order key: amount = the sum of the signed
   line amounts (a return line is negative, :func:`workbench.transactions.signed_amount`),
   summed in whole cents; quantity and gross margin summed; order date = the earliest line
   date; channel and product category = the first non-empty value in file order; status =
   ``returned`` when the order's amount is negative, else ``completed``.  The order's
   source line is its first line.

The orders are handed to the usual orders rules as text (``RawTable``), so an order is
quarantined for the same reasons as an order read from an order-level export.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from .. import schema, transactions
from ..ingest import LINE, SOURCE, RawTable, coerce
from ..ingest.mapping import source_schema
from ..sources import ORDER_LINES
from .ledger import raw_signed_amounts

__all__ = ["BuiltOrders", "LINE_SCHEMA", "build_orders", "clean_lines"]

_orders = source_schema("orders", None)
#: The schema lines are typed with: the orders columns (a line's quantity may be negative)
#: and the line columns.
LINE_SCHEMA = schema.TableSchema(
    name="order_lines", key="order_id",
    columns=tuple(schema.Column(c.name, c.dtype, required=c.required, nullable=c.nullable,
                                allowed=c.allowed, label_zh=c.label_zh)
                  for c in _orders.columns)
    + tuple(c for c in ORDER_LINES.columns if c.name not in _orders.names and c.name != "line"))


@dataclass
class BuiltOrders:
    """What :func:`build_orders` gives.

    Attributes:
        orders: the orders built from the kept lines, as text (for the orders rules).
        lines: the kept lines, typed (``LINE_SCHEMA`` columns with signed amounts, ``_line``).
        quarantine: the quarantined lines: ``_source, _line, reason, detail, record, _amount``.
        ledger: the ``order_lines`` ledger entry.
    """

    orders: RawTable
    lines: pl.DataFrame
    quarantine: pl.DataFrame
    ledger: dict


def _cents(expr: pl.Expr) -> pl.Expr:
    return (expr * 100).round(0).cast(pl.Int64)


def _money_text(cents: pl.Expr) -> pl.Expr:
    """Whole cents as exact decimal text ('-12.05')."""
    a = cents.abs()
    return pl.format("{}{}.{}", pl.when(cents < 0).then(pl.lit("-")).otherwise(pl.lit("")),
                     a // 100, (a % 100).cast(pl.String).str.zfill(2))


def _records(frame: pl.DataFrame, mask: pl.Series) -> pl.DataFrame:
    names = [c for c in LINE_SCHEMA.names]
    sub = frame.filter(mask).with_columns(
        pl.lit(None, dtype=pl.String).alias(c) for c in names if c not in frame.columns)
    return sub.select(SOURCE, LINE, pl.struct(names).struct.json_encode().alias("record"),
                      *[pl.col(c) for c in ("amount", "status")])


def build_orders(rt: RawTable) -> BuiltOrders:
    """Check the lines of a line-level orders source and group them into orders."""
    key = rt.order_key or "order_id"
    frame = rt.frame
    co = coerce(rt, LINE_SCHEMA)
    typed = co.typed.with_columns(pl.Series("_i", range(frame.height), dtype=pl.Int64))
    ok = co.ok
    q: list[pl.DataFrame] = []
    if co.failed.height:
        fields = co.failed.select(pl.col("record").str.json_path_match("$.amount").alias("a"),
                                  pl.col("record").str.json_path_match("$.status").alias("s"))
        q.append(co.failed.select(SOURCE, LINE, "reason", "detail", "record").with_columns(
            raw_signed_amounts(fields.get_column("a"), fields.get_column("s"))))
    names = LINE_SCHEMA.names
    good = typed.filter(ok).with_columns(transactions.signed_amount().alias("amount"))
    # Every line's signed amount (unreadable amounts count 0), before any line is dropped.
    amount_in = int(good.select(_cents(pl.col("amount"))).to_series().sum() or 0) + sum(
        int(f.select(_cents(pl.col("_amount"))).to_series().sum() or 0) for f in q)
    drop = pl.repeat(False, good.height, dtype=pl.Boolean, eager=True)

    def quarantine(mask: pl.Series, reason: str, detail: pl.Expr) -> None:
        nonlocal drop
        mask = mask & ~drop
        if not mask.any():
            return
        idx = good.filter(mask).get_column("_i")
        at = pl.repeat(False, frame.height, dtype=pl.Boolean, eager=True).scatter(idx, True)
        recs = _records(frame, at)
        rows = good.filter(mask)
        q.append(rows.select(SOURCE, LINE, pl.lit(reason).alias("reason"),
                             detail.cast(pl.String).alias("detail"))
                 .with_columns(recs.get_column("record"), rows.get_column("amount")
                               .alias("_amount")))
        drop = drop | mask

    if good.height:
        first = good.select(pl.struct(names).is_first_distinct()).to_series()
        if not first.all():
            firsts = (good.filter(first).select(pl.struct(names).alias("_k"),
                                                pl.col(LINE).alias("_first")))
            dup = good.select(pl.struct(names).alias("_k")).join(
                firsts, on="_k", how="left", maintain_order="left").get_column("_first")
            good = good.with_columns(dup.alias("_first"))
            quarantine(~first, "exact_duplicate",
                       pl.format("same values as line {}", pl.col("_first")))
        quarantine(good.select(transactions.is_cancelled()).to_series(), "cancelled_order",
                   pl.format("line of a cancelled order (amount {})", pl.col("amount")))
        n_cust = good.with_columns(pl.Series("_keep", ~drop)).select(
            pl.col("customer_id").filter(pl.col("_keep")).n_unique().over(key)).to_series()
        quarantine(n_cust > 1, "invalid_value",
                   pl.format(f"{key} '{{}}' has lines of more than one customer", pl.col(key)))
    kept = good.filter(~drop) if drop.any() else good
    kept = kept.with_columns(_cents(pl.col("amount")).alias("_cents"))
    kept = kept.with_columns((pl.col("_cents") / 100).alias("amount"))
    attrs = [c for c in frame.columns if c.startswith("customer.")]
    if attrs:
        kept = kept.with_columns(frame.select(attrs).gather(kept.get_column("_i")))
    first_val = [pl.col(c).drop_nulls().first().alias(c)
                 for c in ("product_category", "channel", *attrs)]
    orders = (kept.group_by(key, maintain_order=True).agg(
        pl.col("customer_id").first(),
        pl.col("order_date").min(),
        pl.col("_cents").sum(),
        pl.col("quantity").sum().alias("quantity"),
        pl.when(pl.col("gross_margin").is_null().all()).then(None)
        .otherwise(pl.col("gross_margin").sum()).alias("gross_margin"),
        *first_val,
        pl.col(SOURCE).first(), pl.col(LINE).first()))
    text = orders.select(
        pl.col(key).alias("order_id"), pl.col("customer_id"),
        pl.col("order_date").dt.strftime("%Y-%m-%d"), _money_text(pl.col("_cents")).alias("amount"),
        pl.col("quantity").cast(pl.String),
        pl.col("gross_margin").round(2).cast(pl.String),
        pl.col("product_category"), pl.col("channel"),
        pl.when(pl.col("_cents") < 0).then(pl.lit("returned")).otherwise(pl.lit("completed"))
        .alias("status"), *[pl.col(c) for c in attrs], pl.col(SOURCE), pl.col(LINE))
    label = ", ".join(s["label"] for s in rt.sources)
    orders_raw = RawTable(table="orders", frame=text,
                          sources=[{"label": label, "encoding": "built from lines",
                                    "rows": text.height}],
                          ignored_columns=list(rt.ignored_columns))
    quarantined = (pl.concat(q, how="diagonal_relaxed") if q else pl.DataFrame(
        schema={SOURCE: pl.String, LINE: pl.Int64, "reason": pl.String, "detail": pl.String,
                "record": pl.String, "_amount": pl.Float64})).sort([SOURCE, LINE])
    amount_kept = int(kept.get_column("_cents").sum() or 0)
    amount_q = int(quarantined.select(_cents(pl.col("_amount").fill_null(0.0))).to_series().sum()
                   or 0)
    counts = quarantined.group_by("reason").len().sort("reason")
    ledger = {
        "rows_in": frame.height, "rows_kept": kept.height,
        "rows_quarantined": quarantined.height, "rows_merged": 0,
        "amount_in": amount_in / 100, "amount_kept": amount_kept / 100,
        "amount_quarantined": amount_q / 100,
        "reasons": {r: int(n) for r, n in counts.iter_rows()},
        "orders_built": text.height, "order_key": key,
        "sources": rt.sources,
        "encoding": ", ".join(sorted({s["encoding"] for s in rt.sources})) or None,
        "ignored_columns": list(rt.ignored_columns),
    }
    return BuiltOrders(orders=orders_raw, lines=kept, quarantine=quarantined, ledger=ledger)


def clean_lines(built: BuiltOrders, orders: pl.DataFrame) -> pl.DataFrame:
    """``order_lines``: the kept lines of the clean ``orders`` (customer ids as re-pointed
    there), in :data:`workbench.sources.ORDER_LINES` columns."""
    ids = orders.select("order_id", pl.col("customer_id").alias("_cid"))
    lines = built.lines.join(ids, on="order_id", how="inner", maintain_order="left")
    return lines.select(
        *[pl.col("_cid").alias("customer_id") if c == "customer_id"
          else pl.col(LINE).alias("line") if c == "line"
          else pl.col(c).cast(ORDER_LINES.column(c).dtype) for c in ORDER_LINES.names])
