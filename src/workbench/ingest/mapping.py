"""Column mapping: which source header feeds which canonical column, and the text table
(canonical headers, normalised identifiers and free text, ``_source`` and ``_line``)."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor

import polars as pl

from .. import schema
from ..config import SourceSpec
from ..errors import DataError
from ..sources import LINE_COLUMNS, ORDER_LINES
from .normalize import _ASCII, _FULLWIDTH, _STRIP, _normalize_column
from .raw import LINE, SOURCE

__all__ = ["map_columns", "source_schema", "text_table"]

#: The prefix of an orders column that feeds the customer archive derived from the orders.
CUSTOMER_PREFIX = "customer."


def source_schema(table: str, spec: SourceSpec | None) -> schema.TableSchema:
    """The columns a source may feed: the table's, plus the line columns of a line-level
    orders source (``unit_price``, ``discount``, ``product_id``, ``product_name``)."""
    base = schema.get(table)
    if spec is None or not spec.line_level:
        return base
    extra = tuple(c for c in ORDER_LINES.columns if c.name in LINE_COLUMNS)
    return schema.TableSchema(name=base.name, key=base.key, columns=base.columns + extra,
                              label_zh=base.label_zh, description=base.description)

_FOLD = str.maketrans(dict(zip(_FULLWIDTH, _ASCII, strict=True)))
# The characters polars' strip_chars() removes (Unicode White_Space).
_WHITE_SPACE = ("\t\n\x0b\x0c\r \x85\xa0\u1680" + "".join(chr(c) for c in range(0x2000, 0x200B))
                + "\u2028\u2029\u202f\u205f\u3000")


def _header_key(h: str) -> str:
    """A header as :func:`normalize_text` would leave it, lower-cased (plain Python: headers
    are few, and a polars query per header costs milliseconds)."""
    return str(h).strip(_WHITE_SPACE).translate(_FOLD).strip(_STRIP).lower()


def map_columns(headers: Sequence[str], table: str, mapping: Mapping[str, str],
                where: str, optional: Mapping[str, str] | None = None,
                derived: Sequence[str] = (),
                spec: schema.TableSchema | None = None) -> tuple[dict[str, str], list[str]]:
    """Decide which source header feeds which canonical column.

    A header is used when the configuration maps it (``columns:``), when a preset maps it
    (``optional``: used only when the file has the header), or when it is the canonical
    name or the usual Chinese header (``schema`` ``label_zh``).  A ``derived`` column
    needs no header.  Two headers of the same name are refused (naming both positions).

    Returns:
        ``({source header: canonical name}, [ignored headers])``.

    Raises:
        DataError: a mapped header is absent, two headers feed one column, or a
            required column has no source.
    """
    spec = spec or schema.get(table)
    first: dict[str, int] = {}
    for i, h in enumerate(headers):
        k = _header_key(h)
        if k in first:
            raise DataError(
                f"{where}: the header '{h}' appears twice (columns {first[k] + 1} and {i + 1}); "
                f"rename one of them in the file so that every column has its own name."
            )
        first[k] = i
    by_key = {_header_key(h): h for h in headers}
    chosen: dict[str, str] = {}
    for src, dst in (optional or {}).items():
        found = by_key.get(_header_key(src))
        if found is not None and dst not in mapping.values() and dst not in chosen.values():
            chosen[found] = dst
    for src, dst in mapping.items():
        hit = by_key.get(_header_key(src))
        if hit is None:
            raise DataError(
                f"{where}: the configuration maps column '{src}' to '{dst}', but the file has no "
                f"such header; its headers are {', '.join(map(str, headers))}. Fix "
                f"sources.{table}.columns."
            )
        chosen[hit] = dst
    auto = {}
    for c in spec.columns:
        auto[c.name.lower()] = c.name
        if c.label_zh:
            auto[_header_key(c.label_zh)] = c.name
    for h in headers:
        if h not in chosen and _header_key(h) in auto and auto[_header_key(h)] not in chosen.values():
            chosen[h] = auto[_header_key(h)]
    seen: dict[str, str] = {}
    for h, dst in chosen.items():
        if dst in seen:
            raise DataError(
                f"{where}: both '{seen[dst]}' and '{h}' map to {table}.{dst}; keep one in "
                f"sources.{table}.columns."
            )
        seen[dst] = h
    missing = [c for c in spec.required if c not in seen and c not in derived]
    if missing:
        col = spec.column(missing[0])
        raise DataError(
            f"{where}: required column '{missing[0]}' ({col.label_zh}) is missing"
            + (f" (also missing: {', '.join(missing[1:])})" if len(missing) > 1 else "")
            + f"; the file's headers are {', '.join(map(str, headers))}. Add the column to the "
              f"file or map its header in sources.{table}.columns, e.g. {{'<header>': '{missing[0]}'}}."
        )
    ignored = [str(h) for h in headers if h not in chosen]
    return chosen, ignored


def text_table(df: pl.DataFrame, table: str, spec: SourceSpec | None, label: str,
            first_line: int, where: str) -> tuple[pl.DataFrame, list[str]]:
    """Map headers, cast everything to normalised text, add _source and _line."""
    mapping = dict(spec.columns) if spec else {}
    tspec = source_schema(table, spec)
    chosen, ignored = map_columns(df.columns, table, mapping, where,
                                  spec.optional_columns if spec else None,
                                  list(spec.derive) if spec else (), tspec)
    exprs = []
    for h, dst in chosen.items():
        col = pl.col(h)
        dtype = df.schema[h]
        if dtype == pl.Date:
            col = col.dt.strftime("%Y-%m-%d")
        elif isinstance(dtype, pl.Datetime):
            col = col.dt.strftime("%Y-%m-%d %H:%M:%S")
        elif dtype != pl.String:
            col = col.cast(pl.String)
        exprs.append(col.alias(dst))
    text = df.select(exprs)
    # Free text and identifiers are normalised here.  Dates, numbers and categories are
    # left as read: :func:`coerce` parses them and normalises only the values its fast
    # parsers cannot read (one pass over a long column instead of two).
    parsed = {c.name for c in tspec.columns if c.dtype != pl.String or c.allowed is not None}
    todo = [s for s in text.get_columns() if s.name not in parsed]
    # Columns are independent: normalise them on every core (polars releases the GIL).
    with ThreadPoolExecutor(max_workers=max(1, min(len(todo), os.cpu_count() or 1))) as pool:
        done = {s.name: s for s in pool.map(_normalize_column, todo)}
    cols = [done.get(s.name, s) for s in text.get_columns()]
    n = text.height
    # Columns, not with_columns: that would first copy every column into one chunk.
    out = pl.DataFrame(cols + [
        pl.repeat(label, n, dtype=pl.String, eager=True).alias(SOURCE),
        pl.int_range(first_line, first_line + n, dtype=pl.Int64, eager=True).alias(LINE),
    ], schema={**text.schema, SOURCE: pl.String, LINE: pl.Int64})
    return out, ignored

