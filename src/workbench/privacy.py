"""Masking of personal data (names, phones, e-mails) for reports.

Reports show personal data only when the configuration allows it
(``report.show_pii: true``).  Masking keeps enough to recognise a record
(first character of a name, last four digits of a phone, the e-mail domain).
"""

from __future__ import annotations

import polars as pl

__all__ = ["PII_COLUMNS", "mask_name", "mask_phone", "mask_email", "mask_frame"]

PII_COLUMNS = ("name", "phone", "email")


def mask_name(value: str | None) -> str | None:
    """'张伟' -> '张*', 'Zhang Wei' -> 'Z********'."""
    if value is None or value == "":
        return value
    return value[0] + "*" * max(len(value) - 1, 1)


def mask_phone(value: str | None) -> str | None:
    """'13812345678' -> '*******5678' (keeps the last four digits)."""
    if value is None or value == "":
        return value
    keep = value[-4:] if len(value) > 4 else ""
    return "*" * max(len(value) - len(keep), 1) + keep


def mask_email(value: str | None) -> str | None:
    """'wei.zhang@example.cn' -> 'w***@example.cn'."""
    if value is None or value == "":
        return value
    local, at, domain = value.partition("@")
    if not at:
        return mask_name(value)
    return (local[:1] or "*") + "***@" + domain


_MASKERS = {"name": mask_name, "contact": mask_name, "phone": mask_phone, "email": mask_email}


# The same masks as polars expressions (a column at a time, not a Python call per value):
# lengths count characters, as ``len`` does, and every result equals the function above.
def _stars(n: pl.Expr) -> pl.Expr:
    return pl.lit("").str.pad_end(n, "*")


def _unless_empty(s: pl.Expr, masked: pl.Expr) -> pl.Expr:
    return pl.when(s.is_null() | (s == "")).then(s).otherwise(masked)


def _name_expr(s: pl.Expr) -> pl.Expr:
    n = s.str.len_chars().cast(pl.Int64)
    return _unless_empty(s, s.str.slice(0, 1) + _stars(pl.max_horizontal(n - 1, pl.lit(1))))


def _phone_expr(s: pl.Expr) -> pl.Expr:
    n = s.str.len_chars().cast(pl.Int64)
    kept = pl.when(n > 4).then(pl.lit(4)).otherwise(pl.lit(0))
    masked = _stars(pl.max_horizontal(n - kept, pl.lit(1))) + s.str.slice(n - kept)
    return _unless_empty(s, masked)


def _email_expr(s: pl.Expr) -> pl.Expr:
    parts = s.str.splitn("@", 2)
    local, domain = parts.struct.field("field_0"), parts.struct.field("field_1")
    first = pl.when(local == "").then(pl.lit("*")).otherwise(local.str.slice(0, 1))
    masked = pl.when(domain.is_null()).then(_name_expr(s)).otherwise(first + "***@" + domain)
    return _unless_empty(s, masked)


_MASK_EXPRS = {"name": _name_expr, "contact": _name_expr, "phone": _phone_expr,
               "email": _email_expr}


def mask_frame(df, show_pii: bool = False, columns: dict[str, str] | None = None):
    """Mask personal columns of a polars or pandas DataFrame unless ``show_pii``.

    ``columns`` maps column names to a kind (name, phone, email); by default the
    canonical ``name``, ``phone`` and ``email`` columns are masked.
    """
    if show_pii:
        return df
    columns = columns or {c: c for c in PII_COLUMNS}
    if isinstance(df, pl.DataFrame):
        exprs = [_MASK_EXPRS[kind](pl.col(c).cast(pl.String)).alias(c)
                 for c, kind in columns.items() if c in df.columns]
        return df.with_columns(exprs) if exprs else df
    out = df.copy()
    for c, kind in columns.items():
        if c in out.columns:
            out[c] = out[c].map(lambda v, f=_MASKERS[kind]: f(v) if isinstance(v, str) else v)
    return out
