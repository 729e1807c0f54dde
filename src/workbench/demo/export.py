"""How the demo files look on disk: text of each column, CSV bytes, the export formats.

The clean export is UTF-8 with ISO dates; the dirty export uses the encodings,
headers and date formats listed here (``config_for`` tells the ingest step about them).
"""

from __future__ import annotations

from typing import Any

import polars as pl

__all__ = [
    "DATETIME_FORMAT",
    "DIRTY_DATE_FORMATS",
    "DIRTY_ENCODINGS",
    "VISITS_HEADERS_ZH",
    "as_text",
    "csv_bytes",
    "money_str",
]

# The Chinese headers of the dirty visits export (GB18030).
VISITS_HEADERS_ZH = {
    "visit_id": "拜访编号", "customer_id": "客户编号", "visit_date": "拜访日期",
    "sales_rep": "客户经理", "kind": "拜访方式", "outcome": "拜访结果",
}
# Date formats of the dirty export, per table (orders mixes two systems).
DIRTY_DATE_FORMATS: dict[str, Any] = {
    "customers": "%Y/%m/%d",
    "orders": ["%Y-%m-%d", "%Y/%m/%d"],
    "visits": "%Y-%m-%d",
    "surveys": "%Y-%m-%d",
}
DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"
DIRTY_ENCODINGS = {"customers": "utf-8", "orders": "utf-8-sig", "visits": "gb18030",
                   "complaints": "utf-8", "surveys": "utf-8"}


def money_str(col: str) -> pl.Expr:
    """Amounts as text with exactly two decimals ('1234.50', '-12.00'); nulls stay null."""
    cents = (pl.col(col) * 100).round(0).cast(pl.Int64)
    a = cents.abs()
    return pl.concat_str([
        pl.when(cents < 0).then(pl.lit("-")).otherwise(pl.lit("")),
        (a // 100).cast(pl.String), pl.lit("."), (a % 100).cast(pl.String).str.zfill(2),
    ]).alias(col)


def as_text(df: pl.DataFrame, date_fmt: str | None = None,
            slash_mask: pl.Expr | None = None) -> pl.DataFrame:
    """Every column of a canonical table as the text a CSV export would hold.

    Money (Float64) with two decimals, dates in ``date_fmt`` (ISO by default; rows
    where ``slash_mask`` holds as ``2024/03/05``), date-times in :data:`DATETIME_FORMAT`.
    """
    exprs = []
    for name, dtype in df.schema.items():
        if dtype == pl.Float64:
            exprs.append(money_str(name))
        elif dtype == pl.Date:
            iso = pl.col(name).dt.strftime(date_fmt or "%Y-%m-%d")
            if slash_mask is not None:
                iso = pl.when(slash_mask).then(pl.col(name).dt.strftime("%Y/%m/%d")).otherwise(iso)
            exprs.append(iso.alias(name))
        elif isinstance(dtype, pl.Datetime):
            exprs.append(pl.col(name).dt.strftime(DATETIME_FORMAT).alias(name))
        else:
            exprs.append(pl.col(name).cast(pl.String).alias(name))
    return df.select(exprs)


def csv_bytes(df: pl.DataFrame, encoding: str = "utf-8", bom: bool = False) -> bytes:
    """``df`` as CSV bytes (``\\n`` line ends) in ``encoding``, with a UTF-8 BOM if ``bom``."""
    text = df.write_csv(line_terminator="\n")
    data = text.encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data
