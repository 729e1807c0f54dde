"""The one writer of spreadsheets people open: CSV (UTF-8 with BOM) and XLSX, safe from formula injection.

Every list the workbench hands to people (the churn warning list, action lists,
CRM imports) goes through :func:`write_table`.  Text that comes from the data
(a company name, a note from a CRM) can be written to start with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return; Excel, LibreOffice and Google Sheets
then run it as a formula (``=HYPERLINK(...)``, the DDE payload ``=cmd|' /C calc'!A0``).
So (``docs/security.md``):

- every **text** cell that a spreadsheet could read as a formula is neutralised by
  a leading apostrophe (``'=1+1``), which spreadsheet programs show as text and
  never evaluate (the OWASP recommendation).  A cell is formula-like
  (:func:`is_formula_like`) when it starts with a tab, carriage return or line
  feed, or when its first character after any blanks (spaces, no-break and
  ideographic spaces, zero-width characters, a byte-order mark) is ``=``, ``+``,
  ``-``, ``@`` or their full-width forms ``＝ ＋ － ＠``: some programs trim
  leading blanks before they look for a formula, and some input methods turn
  full-width signs into ASCII ones when a cell is edited.  The apostrophe goes in
  front of the whole value, so the text people read is unchanged after it;
- text that merely looks like a signed number (``"-5"``, a phone ``"+86..."``) is
  text in the data and is marked as text the same way;
- **numbers stay numbers**: a value of a numeric column (a negative amount) is
  never touched: a number in CSV (``-120.5``) and a number cell in XLSX;
- XLSX cells are written with xlsxwriter's ``write_string`` for text, so no text
  is ever turned into a formula or a URL, whatever it holds; every text cell, of
  whatever column type (an object column, a list joined with ``; ``), is checked
  again as it is written.

Files are written atomically (:func:`workbench.io.atomic_write_bytes`): a reader
never sees half a file.
"""

from __future__ import annotations

import csv
import io as _stdio
import math
import os
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from .errors import UsageError
from .frames import as_polars
from .io import atomic_write_bytes

__all__ = ["FORMULA_PREFIXES", "FORMULA_SIGNS", "is_formula_like", "neutralise", "safe_frame",
           "write_csv", "write_table", "write_xlsx"]

#: First characters that make a spreadsheet program read a cell as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
#: Signs that start a formula when they are the first character after any blanks (with the
#: full-width forms an input method may turn into them).
FORMULA_SIGNS = "=+-@\uff1d\uff0b\uff0d\uff20"
# Blanks a program may skip before it looks for a formula: ASCII white space, no-break,
# Ogham, en/em/thin... spaces, zero-width characters, line/paragraph separators,
# narrow no-break, medium mathematical and ideographic spaces, word joiner, byte-order mark.
_BLANKS = ("\t\n\x0b\x0c\r \u00a0\u1680\u2000-\u200d\u2028\u2029\u202f\u205f\u2060"
           "\u3000\ufeff")
# One pattern for Python's re (single values) and polars (whole columns): the characters are
# written literally, only '-' is escaped, so both regex engines read the same classes.
_FORMULA_PATTERN = ("^(?:[\t\r\n]|[" + _BLANKS + "]*[" + FORMULA_SIGNS.replace("-", "\\-") + "])")
_FORMULA_RE = re.compile(_FORMULA_PATTERN)


def is_formula_like(value: Any) -> bool:
    """True for a text a spreadsheet program could run as a formula (see the module's rules)."""
    return isinstance(value, str) and _FORMULA_RE.match(value) is not None


def neutralise(value: Any) -> Any:
    """A text value made safe to open in a spreadsheet (other values are returned as they are).

    A formula-like text gets a leading apostrophe; a text that already starts with one is
    safe as it is, so neutralising twice changes nothing.
    """
    if is_formula_like(value):
        return "'" + value
    return value


def _text_columns(df: pl.DataFrame) -> list[str]:
    return [c for c, t in df.schema.items() if t in (pl.String, pl.Categorical) or isinstance(t, pl.Enum)]


def safe_frame(frame: Any, what: str = "export") -> pl.DataFrame:
    """``frame`` with every text cell neutralised and list columns joined with '; '."""
    df = as_polars(frame, what)
    lists = [c for c, t in df.schema.items() if isinstance(t, (pl.List, pl.Array))]
    if lists:
        df = df.with_columns(pl.col(c).cast(pl.List(pl.String)).list.join("; ") for c in lists)
    nested = [c for c, t in df.schema.items() if isinstance(t, pl.Struct)]
    if nested:
        df = df.with_columns(pl.col(c).struct.json_encode() for c in nested)
    text = _text_columns(df)
    if not text:
        return df
    return df.with_columns(_neutralised(pl.col(c).cast(pl.String)).alias(c) for c in text)


def _cell(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (bool, int, float, Decimal)):
        return value
    # Text of any column type (an object column, bytes, a time): checked as it is written.
    return neutralise(value if isinstance(value, str) else str(value))


def _csv_bytes(df: pl.DataFrame, headers: Sequence[str]) -> bytes:
    buffer = _stdio.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise(h) for h in headers])
    fields = _csv_fields(df) if df.width > 1 else None
    if fields is not None:  # the same text as the row-by-row writer below, column-wise
        out = _stdio.BytesIO()
        out.write(("\ufeff" + buffer.getvalue()).encode("utf-8"))
        if df.height:  # each field is quoted already: polars writes the bytes as they are
            df.select(f.alias(f"_{i}") for i, f in enumerate(fields)).write_csv(
                out, include_header=False, quote_style="never", line_terminator="\r\n")
        return out.getvalue()
    for row in df.iter_rows():
        writer.writerow([_cell(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _csv_fields(df: pl.DataFrame) -> list[pl.Expr] | None:
    """Each column as the text ``csv.writer`` writes for :func:`_cell` of its values, quoted
    where it would be; None when a column's type is not one of those handled here."""
    out = []
    for name, dtype in df.schema.items():
        c = pl.col(name)
        if dtype == pl.String:
            text = _neutralised(c)
        elif dtype == pl.Boolean:
            text = pl.when(c.is_null()).then(pl.lit(None, pl.String)).when(c).then(
                pl.lit("True")).otherwise(pl.lit("False"))
        elif dtype.is_integer():
            text = c.cast(pl.String)
        elif dtype == pl.Float64:
            text = c.map_batches(_float_text, return_dtype=pl.String)
        elif dtype == pl.Date:
            text = c.dt.to_string("%Y-%m-%d")
        elif isinstance(dtype, pl.Datetime) and dtype.time_zone is None and dtype.time_unit != "ns":
            us = c.dt.microsecond()
            whole = c.dt.to_string("%Y-%m-%d %H:%M:%S")
            text = pl.when(us == 0).then(whole).otherwise(
                whole + pl.lit(".") + us.cast(pl.String).str.zfill(6))
        elif dtype == pl.Null:
            text = pl.lit("")
        else:
            return None
        text = text.fill_null("")
        out.append(pl.when(text.str.contains("[,\"\r\n]"))
                   .then(pl.lit('"') + text.str.replace_all('"', '""', literal=True) + pl.lit('"'))
                   .otherwise(text))
    return out


def _neutralised(text: pl.Expr) -> pl.Expr:
    """:func:`neutralise` of a text column (a formula-like text gets its apostrophe)."""
    return pl.when(text.str.contains(_FORMULA_PATTERN)).then(pl.lit("'") + text).otherwise(text)


def _float_text(s: pl.Series) -> pl.Series:
    """``repr`` of each float (as ``csv.writer`` writes it); NaN and null are empty."""
    text = s.cast(pl.String)
    x = s.to_numpy()
    # polars writes 0.00001 where repr writes 1e-05: the few tiny numbers are written by repr
    tiny = np.flatnonzero((x != 0) & (np.abs(x) < 1e-4))
    if tiny.size:
        fixed = text.to_list()
        for i in tiny:
            fixed[i] = repr(float(x[i]))
        text = pl.Series(fixed, dtype=pl.String)
    return pl.select(pl.when(s.is_nan()).then(pl.lit(None, pl.String)).otherwise(text)).to_series()


def _xlsx_bytes(df: pl.DataFrame, headers: Sequence[str], sheet: str) -> bytes:
    # xlsxwriter is only needed when an XLSX is written.
    import xlsxwriter

    buffer = _stdio.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False,
                                        "strings_to_urls": False, "strings_to_numbers": False})
    ws = book.add_worksheet(_sheet_name(sheet))
    bold = book.add_format({"bold": True})
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    stamp = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    for j, h in enumerate(headers):
        ws.write_string(0, j, str(neutralise(h)), bold)
    widths = [max(10, min(60, len(str(h)) + 2)) for h in headers]
    for i, row in enumerate(df.iter_rows(), start=1):
        for j, v in enumerate(row):
            if v is None or (isinstance(v, float) and (math.isnan(v) or math.isinf(v))):
                ws.write_blank(i, j, None)
            elif isinstance(v, bool):
                ws.write_boolean(i, j, v)
            elif isinstance(v, (int, float, Decimal)):
                ws.write_number(i, j, float(v) if isinstance(v, Decimal) else v)
            elif isinstance(v, datetime):
                ws.write_datetime(i, j, v.replace(tzinfo=None), stamp)
            elif isinstance(v, date):
                ws.write_datetime(i, j, datetime(v.year, v.month, v.day), day)
            else:
                text = neutralise(v if isinstance(v, str) else str(v))
                ws.write_string(i, j, text)
                if i <= 200:
                    widths[j] = max(widths[j], min(60, len(text) + 2))
    for j, w in enumerate(widths):
        ws.set_column(j, j, w)
    ws.freeze_panes(1, 0)
    book.close()
    return buffer.getvalue()


def _sheet_name(name: str) -> str:
    bad = set('[]:*?/\\')
    clean = "".join("_" if ch in bad else ch for ch in name).strip("'") or "Sheet1"
    return clean[:31]


def _headers(df: pl.DataFrame, headers: Sequence[str] | dict[str, str] | None) -> list[str]:
    if headers is None:
        return list(df.columns)
    if isinstance(headers, dict):
        return [headers.get(c, c) for c in df.columns]
    if len(headers) != df.width:
        raise UsageError(f"export: {len(headers)} headers for {df.width} columns ({df.columns}).")
    return [str(h) for h in headers]


def write_csv(frame: Any, path: str | os.PathLike[str], *,
              headers: Sequence[str] | dict[str, str] | None = None) -> Path:
    """Write a CSV (UTF-8 with BOM, so Excel reads Chinese text) safe to open; returns the path."""
    df = safe_frame(frame, str(path))
    return atomic_write_bytes(_csv_bytes(df, _headers(df, headers)), path)


def write_xlsx(frame: Any, path: str | os.PathLike[str], *, sheet: str = "Sheet1",
               headers: Sequence[str] | dict[str, str] | None = None) -> Path:
    """Write an XLSX whose text cells are never formulas; returns the path."""
    df = safe_frame(frame, str(path))
    return atomic_write_bytes(_xlsx_bytes(df, _headers(df, headers), sheet), path)


def write_table(frame: Any, path: str | os.PathLike[str], *,
                formats: Iterable[str] = ("csv", "xlsx"), sheet: str = "Sheet1",
                headers: Sequence[str] | dict[str, str] | None = None) -> dict[str, Path]:
    """Write ``frame`` as ``<path>.csv`` and/or ``<path>.xlsx``; returns ``{format: path}``.

    ``path`` names the file without (or with any) suffix; ``headers`` renames the
    columns for people (a list in column order, or a mapping).
    """
    base = Path(path)
    out: dict[str, Path] = {}
    for fmt in formats:
        if fmt == "csv":
            out["csv"] = write_csv(frame, base.with_suffix(".csv"), headers=headers)
        elif fmt == "xlsx":
            out["xlsx"] = write_xlsx(frame, base.with_suffix(".xlsx"), sheet=sheet, headers=headers)
        else:
            raise UsageError(f"export format '{fmt}' is not csv or xlsx.")
    return out
