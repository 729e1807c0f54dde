"""Ingestion: reading sources into text tables, and coercing them to canonical types.

Every source named in the configuration (CSV, TSV, Excel with one or several
sheets, Parquet, or a SQL query against DuckDB or any SQLAlchemy database) is
read **as text first** (:mod:`.read`; a CSV/TSV file polars cannot read as it is goes
through the tolerant scan of :mod:`.scan`, which sets unparseable lines aside), with its headers mapped onto canonical
column names (:mod:`.mapping`), and each row keeps its source label (``_source``)
and 1-based line number (``_line``, header = line 1).  :func:`coerce`
(:mod:`.coercion`, with the fast parsers of :mod:`.parse`) then turns the text into
canonical types; a value that cannot be parsed makes the row a *failure* with a
reason code (``unparseable_date``, ``unparseable_amount``, ``missing_customer_id``,
``invalid_value``) instead of crashing the run, so the cleaning step can
quarantine it.  :mod:`.normalize` holds the text rules (full-width folding,
categories, phones, e-mails, company names, money text).

Only :mod:`.read` touches the disk; the rest are pure functions on DataFrames.
``docs/cleaning.md`` describes the rules and how they are kept fast.
"""

from __future__ import annotations

from . import coercion, engine, mapping, normalize, parse, raw, read, scan
from .coercion import Coerced, coerce
from .engine import STREAM_ROWS, collect_rows, select_rows
from .mapping import map_columns, text_table
from .normalize import (
    DEFAULT_SUFFIXES,
    VALUE_ALIASES,
    company_key,
    normalize_company,
    normalize_email,
    normalize_phone,
    normalize_series,
    normalize_text,
    parse_amount,
)
from .parse import (
    DEFAULT_DATE_FORMATS,
    DEFAULT_DATETIME_FORMATS,
    parse_amounts,
    parse_categories,
    parse_columns,
    parse_dates,
    parse_ints,
)
from .raw import LINE, SOURCE, UNPARSEABLE_SCHEMA, RawTable
from .read import (
    detect_encoding,
    from_frame,
    normalize_encoding,
    read_source,
    read_sources,
    transcode_to_utf8,
)

__all__ = [
    "DEFAULT_DATETIME_FORMATS",
    "DEFAULT_DATE_FORMATS",
    "DEFAULT_SUFFIXES",
    "LINE",
    "SOURCE",
    "STREAM_ROWS",
    "UNPARSEABLE_SCHEMA",
    "VALUE_ALIASES",
    "Coerced",
    "RawTable",
    "coerce",
    "coercion",
    "collect_rows",
    "company_key",
    "detect_encoding",
    "engine",
    "from_frame",
    "map_columns",
    "mapping",
    "normalize",
    "normalize_company",
    "normalize_email",
    "normalize_encoding",
    "normalize_phone",
    "normalize_series",
    "normalize_text",
    "parse",
    "parse_amount",
    "parse_amounts",
    "parse_categories",
    "parse_columns",
    "parse_dates",
    "parse_ints",
    "raw",
    "read",
    "read_source",
    "read_sources",
    "scan",
    "select_rows",
    "text_table",
    "transcode_to_utf8",
]
