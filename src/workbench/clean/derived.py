"""The customer archive derived from the orders, for exports that have no customer table.

One customer per customer id of the orders: ``signup_date`` = the date of the customer's
first order that is not cancelled (the first purchase or return), ``channel`` = the channel
of that first order, and the attributes the orders source maps with ``customer.<column>``
(``Country: customer.province``) = the first non-empty value in file order.  Each customer's
source line is its first order's line.  Orders without a customer id, with an unreadable
date or cancelled do not make customers (they are quarantined with their own reasons).
"""

from __future__ import annotations

import polars as pl

from .. import schema
from ..ingest import LINE, SOURCE, RawTable, parse_categories, parse_dates
from ..ingest.parse import DEFAULT_DATE_FORMATS

__all__ = ["customers_from_orders"]


def customers_from_orders(orders: RawTable) -> RawTable:
    """A customer archive (text, like a read source) from the orders' text table."""
    frame = orders.frame
    names = schema.get("customers").names
    dates = parse_dates(frame.get_column("order_date"),
                        orders.date_formats or DEFAULT_DATE_FORMATS,
                        excel_serial=orders.excel_serial_dates)
    status = (parse_categories(frame.get_column("status"), "status", schema.ORDER_STATUSES)
              if "status" in frame.columns else pl.repeat(None, frame.height, dtype=pl.String,
                                                           eager=True))
    attrs = {c: c.split(".", 1)[1] for c in frame.columns if c.startswith("customer.")}
    if "channel" in frame.columns and "channel" not in attrs.values():
        attrs["channel"] = "channel"
    base = pl.DataFrame([frame.get_column("customer_id"), dates.alias("_d"),
                         status.alias("_s"), frame.get_column(SOURCE), frame.get_column(LINE),
                         *[frame.get_column(c).alias(f"_a_{a}") for c, a in attrs.items()]])
    usable = base.filter(pl.col("customer_id").is_not_null() & pl.col("_d").is_not_null()
                         & (pl.col("_s").fill_null("completed") != "cancelled"))
    first = usable.sort(["_d", LINE], maintain_order=True)
    grouped = first.group_by("customer_id", maintain_order=True).agg(
        pl.col("_d").first().dt.strftime("%Y-%m-%d").alias("signup_date"),
        pl.col(SOURCE).first(), pl.col(LINE).first(),
        *[pl.col(f"_a_{a}").drop_nulls().first().alias(a) for a in attrs.values()])
    grouped = grouped.sort([SOURCE, LINE])
    cols = [c for c in names if c in grouped.columns]
    text = grouped.select(*cols, SOURCE, LINE)
    label = ", ".join(s["label"] for s in orders.sources)
    return RawTable(table="customers", frame=text,
                    sources=[{"label": label, "encoding": "derived from orders",
                              "rows": text.height}])
