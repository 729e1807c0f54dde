"""Reading sources into string tables, and coercing them to canonical types.

Every source named in the configuration (CSV, TSV, Excel with one or several
sheets, Parquet, or a SQL query against DuckDB or any SQLAlchemy database) is
read **as text first**, with its headers mapped onto canonical column names, and
each row keeps its source label (``_source``) and 1-based line number
(``_line``, header = line 1).  :func:`coerce` then turns the text into canonical
types; a value that cannot be parsed makes the row a *failure* with a reason code
(``unparseable_date``, ``unparseable_amount``, ``missing_customer_id``,
``invalid_value``) instead of crashing the run, so the cleaning step can
quarantine it.

Encodings: a BOM means UTF-8 with BOM; otherwise UTF-8 is tried, then GB18030
(which also reads GBK and GB2312 files), then ``charset_normalizer``.  polars
reads only UTF-8, so other encodings are transcoded in chunks into a temporary
UTF-8 file (a 5 GB export is never held in memory as a whole).  Raw files are
never modified.

Only :func:`read_source` and :func:`detect_encoding` / :func:`transcode_to_utf8`
touch the disk; :func:`normalize_text`, :func:`parse_amount`, :func:`coerce` are
pure functions on DataFrames.
"""

from __future__ import annotations

import codecs
import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from . import schema
from .config import ConfigError, SourceSpec
from .errors import DataError

__all__ = [
    "DEFAULT_DATETIME_FORMATS",
    "DEFAULT_DATE_FORMATS",
    "LINE",
    "SOURCE",
    "Coerced",
    "RawTable",
    "coerce",
    "detect_encoding",
    "from_frame",
    "map_columns",
    "normalize_encoding",
    "normalize_series",
    "normalize_text",
    "parse_amount",
    "parse_amounts",
    "parse_dates",
    "read_source",
    "read_sources",
    "transcode_to_utf8",
]

LINE = "_line"
SOURCE = "_source"

# Year-first formats only: day/month order is never guessed.
DEFAULT_DATE_FORMATS: tuple[str, ...] = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d",
                                         "%Y年%m月%d日")
DEFAULT_DATETIME_FORMATS: tuple[str, ...] = (
    "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%dT%H:%M:%S", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M",
)

_ENCODING_ALIASES = {"gbk": "gb18030", "gb2312": "gb18030", "cp936": "gb18030",
                     "ms936": "gb18030", "euc_cn": "gb18030", "gb18030": "gb18030",
                     "utf_8": "utf-8", "utf_8_sig": "utf-8-sig"}

# Full-width ASCII (U+FF01..U+FF5E) -> ASCII, ideographic space -> space, full-width yen.
# Only these are folded: Chinese characters and CJK punctuation are left alone.
_FULLWIDTH = [chr(c) for c in range(0xFF01, 0xFF5F)] + ["\u3000", "\uffe5", "\u00a0"]
_ASCII = [chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)] + [" ", "¥", " "]
_STRIP = " \t\r\n\u00a0\u3000\ufeff\u200b"

# Order statuses and other categorical values as Chinese exports write them.
VALUE_ALIASES: dict[str, dict[str, str]] = {
    "status": {"已完成": "completed", "完成": "completed", "已成交": "completed",
               "已取消": "cancelled", "取消": "cancelled", "canceled": "cancelled",
               "已退货": "returned", "退货": "returned", "return": "returned"},
    "kind": {"电话": "phone", "邮件": "email", "上门": "on-site", "拜访": "on-site",
             "微信": "wechat", "onsite": "on-site", "on site": "on-site"},
    "severity": {"低": "low", "中": "medium", "高": "high", "严重": "critical"},
    "customer_type": {"企业": "B2B", "个人": "B2C", "b2b": "B2B", "b2c": "B2C"},
}

_CHUNK = 4 * 1024 * 1024
_SAMPLE = 1024 * 1024


@dataclass
class RawTable:
    """One canonical table as read from its source(s), every value still text.

    Attributes:
        table: canonical table name.
        frame: canonical columns (String) plus ``_source`` and ``_line``.  Identifier and
            free-text columns are normalised (:func:`normalize_text`); date, number and
            category columns are as read, and :func:`coerce` normalises what it parses.
        sources: one entry per file/sheet/query read: label, encoding, rows.
        date_formats, datetime_formats: formats tried in order when coercing.
        excel_serial_dates: date cells may come as Excel serial numbers.
        ignored_columns: source headers that map to no canonical column.
    """

    table: str
    frame: pl.DataFrame
    sources: list[dict] = field(default_factory=list)
    date_formats: tuple[str, ...] = ()
    datetime_formats: tuple[str, ...] = ()
    excel_serial_dates: bool = False
    ignored_columns: list[str] = field(default_factory=list)


@dataclass
class Coerced:
    """The result of :func:`coerce`: every row typed, which rows parsed, and the failures.

    ``typed`` has the canonical columns with canonical types plus ``_source`` and
    ``_line`` for **every** raw row (the values that could not be parsed are null);
    ``ok`` is True for the rows that parsed; ``failed`` has ``_source, _line, reason,
    detail, record`` (the raw row as JSON) for the others.  ``good`` is ``typed``
    filtered on ``ok``: callers that drop more rows can combine their own masks with
    ``ok`` and filter the table once.
    """

    typed: pl.DataFrame
    ok: pl.Series
    failed: pl.DataFrame

    @property
    def good(self) -> pl.DataFrame:
        """The rows that parsed."""
        return self.typed if self.failed.height == 0 else self.typed.filter(self.ok)


# --------------------------------------------------------------------------- encodings

def normalize_encoding(name: str, where: str = "") -> str:
    """The codec name to use for ``name``: GBK/GB2312 become GB18030; unknown names fail.

    Raises:
        ConfigError: ``name`` is not an encoding Python knows.
    """
    try:
        canonical = codecs.lookup(name).name
    except LookupError:
        raise ConfigError(
            f"{where}encoding '{name}' is unknown; use auto, utf-8, utf-8-sig or gb18030 "
            f"(GBK and GB2312 files are read as GB18030)."
        ) from None
    canonical = canonical.replace("-", "_")
    return _ENCODING_ALIASES.get(canonical, canonical.replace("_", "-"))


def _valid(sample: bytes, encoding: str) -> bool:
    dec = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        dec.decode(sample, final=False)  # a cut multi-byte character at the end is fine
        return True
    except UnicodeDecodeError:
        return False


def detect_encoding(path: str | os.PathLike[str], sample_size: int = _SAMPLE) -> str:
    """Detect the text encoding of a file from its first ``sample_size`` bytes.

    Returns ``utf-8-sig`` (a BOM), ``utf-8``, ``gb18030`` (GBK/GB2312/GB18030) or
    what ``charset_normalizer`` finds.

    Raises:
        DataError: the file cannot be read or is not text in a known encoding.
    """
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            sample = fh.read(sample_size)
    except OSError as exc:
        raise DataError(f"{path}: cannot be read ({exc.strerror}); check the path and rights.") \
            from None
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in sample:
        raise DataError(
            f"{path}: is not a text file (it holds NUL bytes); if it is an Excel or Parquet "
            f"file, give it the right suffix or set 'format' in the configuration."
        )
    if _valid(sample, "utf-8"):
        return "utf-8"
    if _valid(sample, "gb18030"):
        return "gb18030"
    from charset_normalizer import from_bytes

    best = from_bytes(sample).best()
    if best is None:
        raise DataError(
            f"{path}: the text encoding cannot be recognised (not UTF-8 nor GB18030/GBK); "
            f"set sources.<table>.encoding in the configuration."
        )
    return normalize_encoding(best.encoding)


def transcode_to_utf8(path: str | os.PathLike[str], encoding: str, dest: str | os.PathLike[str],
                      chunk_size: int = _CHUNK) -> Path:
    """Copy a text file into ``dest`` as UTF-8, decoding ``chunk_size`` bytes at a time.

    Raises:
        DataError: a byte sequence is not valid in ``encoding`` (the message gives the
            line number).
    """
    path, dest = Path(path), Path(dest)
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    line = 1
    with open(path, "rb") as src, open(dest, "w", encoding="utf-8", newline="") as out:
        while True:
            chunk = src.read(chunk_size)
            final = not chunk
            try:
                text = decoder.decode(chunk, final=final)
            except UnicodeDecodeError as exc:
                bad_line = line + chunk[: exc.start].count(b"\n")
                raise DataError(
                    f"{path}: line {bad_line} is not valid {encoding} text; set "
                    f"sources.<table>.encoding to the file's real encoding, or fix the file."
                ) from None
            if text.startswith("\ufeff") and line == 1 and out.tell() == 0:
                text = text[1:]
            out.write(text)
            line += chunk.count(b"\n")
            if final:
                break
    return dest


# --------------------------------------------------------------------------- text

def normalize_text(expr: pl.Expr) -> pl.Expr:
    """Fold full-width ASCII to ASCII, trim whitespace, empty -> null (Chinese untouched)."""
    # A chain, each step using the previous once: polars evaluates a sub-expression that is
    # used twice (e.g. in when/then/otherwise) twice in an eager select.
    return (expr.str.strip_chars().str.replace_many(_FULLWIDTH, _ASCII).str.strip_chars(_STRIP)
            .replace("", None))


def _trim_expr(expr: pl.Expr) -> pl.Expr:
    trimmed = expr.str.strip_chars()
    return pl.when(trimmed != "").then(trimmed)


def normalize_series(s: pl.Series) -> pl.Series:
    """Eager :func:`normalize_text`; the full-width folding runs only on non-ASCII values."""
    s = pl.select(_trim_expr(pl.lit(s.cast(pl.String)))).to_series().alias(s.name)
    return _fold_wide(s)


# Characters that normalisation changes (full-width ASCII, ideographic space, ¥, nbsp, BOM, ZWSP).
_ODD = "[\uff01-\uff5e\u3000\uffe5\u00a0\ufeff\u200b]"


def _fold_wide(s: pl.Series) -> pl.Series:
    """Fold full-width characters, touching only the values that hold one."""
    wide = (s.str.len_bytes() != s.str.len_chars()).fill_null(False)
    if not wide.any():
        return s
    widx = wide.arg_true()
    odd = s.gather(widx).str.contains(_ODD).fill_null(False)
    if not odd.any():
        return s
    idx = widx.filter(odd)
    folded = pl.select(normalize_text(pl.lit(s.gather(idx)))).to_series()
    return s.clone().scatter(idx, folded)  # scatter works in place: not on the caller's series


def _normalize_values(s: pl.Series) -> pl.Series:
    """Trim (empty -> null), then fold full-width characters: the text rule of every value.

    Columns that need nothing are returned as they are (no copy); the work runs only
    on the values that need it.
    """
    stripped = s.str.strip_chars()
    if (stripped.str.len_bytes() != s.str.len_bytes()).any():
        s = stripped
    if (s == "").any():
        s = pl.select(pl.when(pl.lit(s) != "").then(pl.lit(s))).to_series().alias(s.name)
    return _fold_wide(s)


def _normalize_column(s: pl.Series) -> pl.Series:
    """:func:`_normalize_values` of a whole column; a long column that repeats few distinct
    values (dates, statuses, categories) is normalised once per distinct value."""
    n = s.len()
    if n > 50_000:
        step = n // 10_000
        sample = s.gather_every(step)
        if sample.n_unique() * 20 < sample.len():
            distinct = s.drop_nulls().unique()
            if distinct.len() * 20 < n:
                normed = _normalize_values(distinct)
                changed = ~normed.eq_missing(distinct)
                if not changed.any():
                    return s
                return s.replace(distinct.filter(changed), normed.filter(changed))
    return _normalize_values(s)


# A number as amounts are written: plain ('12', '-3.5', '.5', '5.'), or with thousands
# separators in the unambiguous 1,234,567.89 form.
_NUMBER = r"[+-]?(?:\d+\.?\d*|\.\d+|\d{1,3}(?:,\d{3})+(?:\.\d*)?)"


def parse_amount(expr: pl.Expr) -> pl.Expr:
    """Parse money text: '¥1,234.50', 'RMB 99', '1234.5元', '(12.00)' -> -12.0.

    Thousands separators are accepted only in the unambiguous form ``1,234,567.89``;
    anything else that is not a plain number gives null.
    """
    # One chain of replacements, each using the previous result once (a sub-expression
    # used twice is evaluated twice in an eager select).  The text is prefixed with 'X';
    # '(12.00)' becomes 'X-12.00' ('(-12)' becomes 'X12'); only a well-formed number loses
    # its 'X', so everything else fails the final cast and gives null.
    t = (pl.lit("X") + expr.str.replace_all(r"(?i)^(rmb|cny)|(?i)(rmb|cny)$", "")
         .str.replace_all(r"[¥$元\s]", ""))
    t = t.str.replace(r"^X\(-([^-+].*)\)$", "X${1}").str.replace(r"^X\(\+?(.*)\)$", "X-${1}")
    t = t.str.replace(f"^X({_NUMBER})$", "${1}")
    return t.str.replace_all(",", "").cast(pl.Float64, strict=False)


# --------------------------------------------------------------------------- reading

_FOLD = str.maketrans(dict(zip(_FULLWIDTH, _ASCII, strict=True)))
# The characters polars' strip_chars() removes (Unicode White_Space).
_WHITE_SPACE = ("\t\n\x0b\x0c\r \x85\xa0\u1680" + "".join(chr(c) for c in range(0x2000, 0x200B))
                + "\u2028\u2029\u202f\u205f\u3000")


def _header_key(h: str) -> str:
    """A header as :func:`normalize_text` would leave it, lower-cased (plain Python: headers
    are few, and a polars query per header costs milliseconds)."""
    return str(h).strip(_WHITE_SPACE).translate(_FOLD).strip(_STRIP).lower()


def map_columns(headers: Sequence[str], table: str, mapping: Mapping[str, str],
                where: str) -> tuple[dict[str, str], list[str]]:
    """Decide which source header feeds which canonical column.

    A header is used when the configuration maps it (``columns:``), or when it is
    the canonical name or the usual Chinese header (``schema`` ``label_zh``).

    Returns:
        ``({source header: canonical name}, [ignored headers])``.

    Raises:
        DataError: a mapped header is absent, two headers feed one column, or a
            required column has no source.
    """
    spec = schema.get(table)
    by_key = {_header_key(h): h for h in headers}
    chosen: dict[str, str] = {}
    for src, dst in mapping.items():
        h = by_key.get(_header_key(src))
        if h is None:
            raise DataError(
                f"{where}: the configuration maps column '{src}' to '{dst}', but the file has no "
                f"such header; its headers are {', '.join(map(str, headers))}. Fix "
                f"sources.{table}.columns."
            )
        chosen[h] = dst
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
    missing = [c for c in spec.required if c not in seen]
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


def _finish(df: pl.DataFrame, table: str, spec: SourceSpec | None, label: str,
            first_line: int, where: str) -> tuple[pl.DataFrame, list[str]]:
    """Map headers, cast everything to normalised text, add _source and _line."""
    mapping = dict(spec.columns) if spec else {}
    chosen, ignored = map_columns(df.columns, table, mapping, where)
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
    spec_t = schema.get(table)
    parsed = {c.name for c in spec_t.columns if c.dtype != pl.String or c.allowed is not None}
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


def _read_csv(spec: SourceSpec, table: str, tmpdir: Path) -> tuple[pl.DataFrame, str]:
    path = spec.path
    assert path is not None
    if not path.is_file():
        raise DataError(f"{path}: file not found (sources.{table}.path); check the path.")
    enc = detect_encoding(path) if spec.encoding in ("auto", "", None) \
        else normalize_encoding(spec.encoding, f"sources.{table}: ")
    read_path = path
    if enc not in ("utf-8", "utf-8-sig"):
        read_path = transcode_to_utf8(path, enc, tmpdir / f"{table}.utf8.csv")
    sep = spec.separator or ("\t" if spec.format == "tsv" else ",")
    try:
        df = pl.read_csv(read_path, infer_schema=False, separator=sep, skip_rows=spec.skip_rows,
                         encoding="utf8")
    except (pl.exceptions.ComputeError, pl.exceptions.NoDataError, pl.exceptions.ShapeError,
            OSError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        hint = (f" The file is not valid UTF-8: set sources.{table}.encoding (e.g. gb18030)."
                if "utf" in first.lower() else "")
        raise DataError(f"{path}: cannot be read as {spec.format.upper()} ({first}).{hint}") \
            from None
    return df, enc


def _read_excel(spec: SourceSpec, table: str) -> list[tuple[pl.DataFrame, str]]:
    path = spec.path
    assert path is not None
    if not path.is_file():
        raise DataError(f"{path}: file not found (sources.{table}.path); check the path.")
    try:
        import fastexcel

        available = fastexcel.read_excel(str(path)).sheet_names
    except Exception as exc:  # noqa: BLE001 - fastexcel raises its own error types
        raise DataError(f"{path}: cannot be opened as an Excel workbook ({exc}).") from None
    wanted = list(spec.sheets) or ([spec.sheet] if spec.sheet else available[:1])
    out = []
    for sheet in wanted:
        if str(sheet) not in available:
            raise DataError(
                f"{path}: sheet '{sheet}' does not exist; the workbook has sheets "
                f"{', '.join(available)}. Fix sources.{table}.sheet(s)."
            )
        df = pl.read_excel(path, sheet_name=str(sheet), engine="calamine", infer_schema_length=0,
                           read_options={"header_row": spec.skip_rows})
        out.append((df, str(sheet)))
    return out


def _rows_frame(cols: list[str], rows: list) -> pl.DataFrame:
    """Database rows as an all-text frame (values as Python prints them: dates ISO)."""
    data = {c: [None if r[i] is None else str(r[i]) for r in rows] for i, c in enumerate(cols)}
    return pl.DataFrame(data, schema={c: pl.String for c in cols})


def _read_sql(spec: SourceSpec, table: str) -> pl.DataFrame:
    url, query = str(spec.url), str(spec.query)
    try:
        if url.startswith("duckdb://"):
            import duckdb

            db = url.split(":///", 1)[1] if ":///" in url else ":memory:"
            if db != ":memory:" and not Path(db).is_file():
                raise DataError(f"{db}: DuckDB file not found (sources.{table}.url); check the path.")
            con = duckdb.connect(db, read_only=db != ":memory:")
            try:
                cur = con.execute(query)
                return _rows_frame([d[0] for d in cur.description], cur.fetchall())
            finally:
                con.close()
        import sqlalchemy

        if url.startswith("sqlite:///"):
            db = url.split(":///", 1)[1]
            if db and db != ":memory:" and not Path(db).is_file():
                raise DataError(f"{db}: SQLite file not found (sources.{table}.url); check the path.")
        engine = sqlalchemy.create_engine(url)
        try:
            with engine.connect() as conn:
                result = conn.execute(sqlalchemy.text(query))
                cols = list(result.keys())
                rows = result.fetchall()
        finally:
            engine.dispose()
        return _rows_frame(cols, rows)
    except DataError:
        raise
    except Exception as exc:  # noqa: BLE001 - driver errors vary by database
        first = str(exc).strip().splitlines()[0]
        raise DataError(f"sources.{table}: the query against {url} failed ({first}); "
                        f"check the url and query.") from None


def read_source(spec: SourceSpec, tmpdir: str | os.PathLike[str] | None = None) -> RawTable:
    """Read one configured source as text with canonical headers, ``_source`` and ``_line``.

    Args:
        spec: the source settings from the configuration.
        tmpdir: where to put a transcoded copy of a non-UTF-8 CSV (default: a
            temporary folder removed afterwards).

    Raises:
        DataError: unreadable file, missing sheet or required column, bad encoding.
        ConfigError: unknown encoding name.
    """
    table = spec.table
    own_tmp = tmpdir is None
    tmp = Path(tempfile.mkdtemp(prefix="workbench-ingest-")) if own_tmp else Path(tmpdir)
    try:
        parts: list[tuple[pl.DataFrame, str, str, int]] = []  # frame, label, encoding, first line
        if spec.format in ("csv", "tsv"):
            df, enc = _read_csv(spec, table, tmp)
            parts.append((df, str(spec.path), enc, spec.skip_rows + 2))
        elif spec.format == "excel":
            for df, sheet in _read_excel(spec, table):
                parts.append((df, f"{spec.path}#{sheet}", "xlsx", spec.skip_rows + 2))
        elif spec.format == "parquet":
            if not spec.path or not spec.path.is_file():
                raise DataError(f"{spec.path}: file not found (sources.{table}.path); check the path.")
            try:
                df = pl.read_parquet(spec.path)
            except Exception as exc:  # noqa: BLE001 - arrow/polars error types vary
                raise DataError(f"{spec.path}: cannot be read as Parquet ({exc}).") from None
            parts.append((df, str(spec.path), "parquet", 2))
        elif spec.format == "sql":
            df = _read_sql(spec, table)
            parts.append((df, spec.label, "sql", 2))
        else:  # config.py already checks the format
            raise ConfigError(f"sources.{table}: unsupported format '{spec.format}'.")
        frames, sources, ignored = [], [], []
        for df, label, enc, first in parts:
            frame, ign = _finish(df, table, spec, label, first, label)
            frames.append(frame)
            sources.append({"label": label, "encoding": enc, "rows": frame.height})
            ignored += [h for h in ign if h not in ignored]
        frame = pl.concat(frames, how="diagonal_relaxed") if len(frames) > 1 else frames[0]
        return RawTable(table=table, frame=frame, sources=sources,
                        date_formats=spec.date_formats, datetime_formats=spec.datetime_formats,
                        excel_serial_dates=spec.format == "excel", ignored_columns=ignored)
    finally:
        if own_tmp:
            shutil.rmtree(tmp, ignore_errors=True)


def read_sources(sources: Mapping[str, SourceSpec],
                 tmpdir: str | os.PathLike[str] | None = None) -> dict[str, RawTable]:
    """Read every configured source (see :func:`read_source`), side by side in threads."""
    if len(sources) < 2:
        return {table: read_source(spec, tmpdir) for table, spec in sources.items()}
    with ThreadPoolExecutor(max_workers=min(len(sources), max(2, os.cpu_count() or 1))) as pool:
        futures = {table: pool.submit(read_source, spec, tmpdir) for table, spec in sources.items()}
        return {table: f.result() for table, f in futures.items()}


def from_frame(df: pl.DataFrame, table: str, label: str = "memory",
               date_formats: Iterable[str] = (), datetime_formats: Iterable[str] = ()) -> RawTable:
    """Wrap an in-memory table (any types) as a :class:`RawTable`, lines numbered from 2."""
    frame, ignored = _finish(df, table, None, label, 2, label)
    return RawTable(table=table, frame=frame,
                    sources=[{"label": label, "encoding": "memory", "rows": frame.height}],
                    date_formats=tuple(date_formats), datetime_formats=tuple(datetime_formats),
                    ignored_columns=ignored)


# --------------------------------------------------------------------------- coercion

# From this many rows on, row-by-row expressions run on polars' streaming engine, which
# splits the rows into morsels over every core (an eager select gives each expression one).
STREAM_ROWS = 200_000


def collect_rows(query: pl.LazyFrame, rows: int) -> pl.DataFrame:
    """Collect ``query`` over a table of ``rows`` rows: on the streaming engine when long."""
    return query.collect(engine="streaming") if rows >= STREAM_ROWS else query.collect()


def select_rows(df: pl.DataFrame, exprs: Sequence[pl.Expr]) -> pl.DataFrame:
    """``df.select(exprs)`` for expressions that work row by row (the row order is kept),
    spread over every core when the table is long."""
    if df.height < STREAM_ROWS:
        return df.select(exprs)
    return df.lazy().select(exprs).collect(engine="streaming")


def _fill(out: pl.Series, s: pl.Series, attempt) -> pl.Series:
    """Parse the values of ``s`` still missing in ``out`` with ``attempt``; fill them in."""
    todo = (out.is_null() & s.is_not_null())
    if not todo.any():
        return out
    idx = todo.arg_true()
    parsed = attempt(s.gather(idx)).cast(out.dtype)
    ok = parsed.is_not_null()
    if ok.any():
        out = out.scatter(idx.filter(ok), parsed.filter(ok))
    return out


def parse_dates(s: pl.Series, formats: Sequence[str], dtype=pl.Date,
                excel_serial: bool = False) -> pl.Series:
    """Parse text dates trying ``formats`` in order (each only on what is still unparsed).

    Midnight time stamps ('2024-03-05 00:00:00') are accepted for dates; date-time
    columns also accept the default date formats (midnight).  With ``excel_serial``,
    numbers are Excel day serials.  The text is normalised first.  Values that fit nothing
    stay null.
    """
    # The same path as coercion: each distinct text parsed once when the texts repeat.
    col = schema.Column("v", pl.Date if dtype == pl.Date else pl.Datetime("us"))
    return _parse_columns(pl.DataFrame([s.alias("v")]), [col], formats, formats,
                          excel_serial)["v"].alias(s.name)


def _parse_dates_each(s: pl.Series, formats: Sequence[str], dtype=pl.Date,
                      excel_serial: bool = False) -> pl.Series:
    """:func:`parse_dates` value by value."""
    target = pl.Date if dtype == pl.Date else pl.Datetime("us")
    s = _normalize_values(s)
    out = pl.repeat(None, s.len(), dtype=target, eager=True).alias(s.name)

    def strp(fmt, kind=target):
        return lambda x: x.str.strptime(kind, fmt, strict=False)

    attempts = [strp(f) for f in formats]
    if target == pl.Date:
        midnight = r"[ T]00:00(:00(\.0+)?)?$"
        attempts += [lambda x, f=f: x.str.replace(midnight, "").str.strptime(pl.Date, f, strict=False)
                     for f in formats]
    else:
        attempts += [strp(f, pl.Date) for f in DEFAULT_DATE_FORMATS]
    if excel_serial:
        def serial(x: pl.Series) -> pl.Series:
            # Excel counts days from 1899-12-30 (serial 25569 is 1970-01-01).
            v = x.cast(pl.Float64, strict=False)
            micros = ((v - 25569.0) * 86_400_000_000).round(0).cast(pl.Int64)
            return pl.select(pl.when((pl.lit(v) > 0) & (pl.lit(v) < 2_958_466))
                             .then(pl.from_epoch(pl.lit(micros), time_unit="us"))).to_series()
        attempts.append(serial)
    for attempt in attempts:
        out = _fill(out, s, attempt)
    return out


def parse_amounts(s: pl.Series) -> pl.Series:
    """Eager :func:`parse_amount` (text normalised first), with a fast path for plain numbers.

    polars' number cast reads every plain number; it also reads '1e3', 'inf' and 'nan',
    which :func:`parse_amount` refuses, so the values holding an e or an n go, with the
    ones the cast could not read, through :func:`parse_amount`.
    """
    fast = pl.DataFrame([s.alias("v")]).select(*_amount_fast("v"))
    return _amounts_finish(s, fast.to_series(0), fast.to_series(1))


def _amount_fast(name: str) -> list[pl.Expr]:
    """The fast part of :func:`parse_amounts`: the cast, and the values it may misread."""
    return [pl.col(name).cast(pl.Float64, strict=False).alias(name),
            pl.col(name).str.contains_any(["e", "E", "n", "N"]).fill_null(False)
            .alias(f"_odd_{name}")]


def _amount_usual(name: str) -> pl.Expr:
    """The usual form of an amount that is not a plain number, '¥1,234.50' (a leading '¥',
    thousands separators), by literal steps and one pattern; null for anything else."""
    t = pl.col(name).str.strip_prefix("¥")
    return (pl.when(t.str.contains(f"^{_NUMBER}$"))
            .then(t.str.replace_all(",", "", literal=True).cast(pl.Float64, strict=False))
            .alias(name))


def _amounts_finish(s: pl.Series, value: pl.Series, odd: pl.Series) -> pl.Series:
    """The values the cast could not read (or misread): the usual form ('¥1,234.50'), then,
    normalised, the usual form again and the rest by :func:`parse_amount`.

    When most values need it (an export writing every amount as '¥1,234.50'), the usual
    form is read over the whole column in one pass on every core; what it accepts needs no
    normalising.  Otherwise only the values left are taken out and worked on.
    """
    if odd.any():
        value = value.clone().scatter(odd.arg_true(), None)
    value = value.alias(s.name)
    todo = value.is_null() & s.is_not_null()
    if int(todo.sum()) * 2 > s.len():
        usual = select_rows(pl.DataFrame([s.alias("v")]), [_amount_usual("v")]).to_series()
        value = pl.select(pl.when(pl.lit(todo)).then(pl.lit(usual)).otherwise(pl.lit(value))) \
            .to_series().alias(s.name)

    def rest(x: pl.Series) -> pl.Series:
        x = _normalize_values(x)
        out = pl.DataFrame([x.alias("v")]).select(_amount_usual("v")).to_series()
        return _fill(out, x, lambda y: pl.select(parse_amount(pl.lit(y))).to_series())

    return _fill(value, s, rest)


def _parse_ints(s: pl.Series) -> pl.Series:
    """Whole numbers: plain ones by polars' cast (which reads exactly ``[+-]?[0-9]+``),
    then '1,234' and '12.0' on the values the cast could not read."""
    return _ints_finish(s, s.cast(pl.Int64, strict=False))


def _ints_finish(s: pl.Series, value: pl.Series) -> pl.Series:
    def slow(x: pl.Series) -> pl.Series:
        y = _normalize_values(x).str.replace_all(r"^([+-]?\d{1,3}(,\d{3})+)$", "$1") \
            .str.replace_all(",", "")
        ok = y.str.contains(r"^[+-]?\d+(\.0+)?$").fill_null(False)
        return pl.select(pl.when(pl.lit(ok)).then(pl.lit(y).str.replace(r"\.0+$", "")
                                                  .cast(pl.Int64, strict=False))).to_series()
    return _fill(value.alias(s.name), s, slow)


def _categories(s: pl.Series, name: str, allowed: tuple[str, ...]) -> pl.Series:
    """Categorical text: allowed values as they are; the others normalised, matched without
    regard to case and translated from their usual Chinese labels (unknown ones are left,
    lower-cased, for the caller to reject); empty -> null."""
    return _categories_finish(s, name, allowed, s.is_in(list(allowed)).fill_null(False))


def _categories_finish(s: pl.Series, name: str, allowed: tuple[str, ...],
                       ok: pl.Series) -> pl.Series:
    if ok.all():
        return s
    if s.len() > 50_000:
        # A long column repeats few labels (an export may write every status in Chinese):
        # translate each distinct text once.
        distinct = s.drop_nulls().unique()
        if distinct.len() * 20 < s.len():
            mapped = _categories_finish(distinct, name, allowed,
                                        distinct.is_in(list(allowed)).fill_null(False))
            changed = ~mapped.eq_missing(distinct)
            return s.replace(distinct.filter(changed), mapped.filter(changed)) \
                if changed.any() else s
    aliases = VALUE_ALIASES.get(name, {})
    table = {**{k.lower(): v for k, v in aliases.items()}, **{a.lower(): a for a in allowed}}
    idx = (~ok).arg_true()
    low = _normalize_values(s.gather(idx)).str.to_lowercase()
    return s.clone().scatter(idx, low.replace_strict(table, default=low, return_dtype=pl.String))


def _is_date(dtype: pl.DataType) -> bool:
    return dtype == pl.Date or isinstance(dtype, pl.Datetime)


def _parse_columns(df: pl.DataFrame, cols: Sequence[schema.Column], date_formats: Sequence[str],
                   datetime_formats: Sequence[str], excel_serial: bool) -> dict[str, pl.Series]:
    """Parse the text columns ``cols`` of ``df`` into their canonical types.

    The same values as :func:`parse_dates`, :func:`parse_amounts`, :func:`_parse_ints` and
    :func:`_categories` column by column, in fewer passes over a long table: the fast
    parsers of every column (polars' number casts, a lookup of each distinct date text
    parsed once, category membership) run together in one pass over the rows, spread over
    every core; the slower parsers then run only on the values the fast ones could not read.
    """
    n = df.height
    fmts = {c.name: (date_formats if c.dtype == pl.Date else datetime_formats)
            for c in cols if _is_date(c.dtype)}
    lookup: dict[str, tuple[pl.Series, pl.Series]] = {}
    if fmts and n:
        # Exports repeat the same few thousand dates: parse each distinct text once.
        distinct = collect_rows(df.lazy().select(pl.col(c).drop_nulls().unique().implode()
                                                 for c in fmts), n)
        for c in cols:
            if c.name in fmts:
                u = distinct.get_column(c.name)[0]
                if u.len() * 4 < n:
                    lookup[c.name] = (u, _parse_dates_each(u, fmts[c.name], c.dtype,
                                                           excel_serial))
    exprs: list[pl.Expr] = []
    for c in cols:
        if c.name in lookup:
            u, v = lookup[c.name]
            exprs.append(pl.col(c.name).replace_strict(u, v, default=None, return_dtype=v.dtype))
        elif c.dtype == pl.Float64:
            exprs += _amount_fast(c.name)
        elif c.dtype == pl.Int64:
            exprs.append(pl.col(c.name).cast(pl.Int64, strict=False))
        elif c.dtype == pl.String and c.allowed is not None:
            exprs.append(pl.col(c.name).is_in(list(c.allowed)).fill_null(False)
                         .alias(f"_ok_{c.name}"))
    fast = select_rows(df, exprs) if exprs else pl.DataFrame()

    def finish(c: schema.Column) -> pl.Series:
        s = df.get_column(c.name)
        if c.name in lookup:
            return fast.get_column(c.name)
        if c.name in fmts:
            return _parse_dates_each(s, fmts[c.name], c.dtype, excel_serial)
        if c.dtype == pl.Float64:
            return _amounts_finish(s, fast.get_column(c.name), fast.get_column(f"_odd_{c.name}"))
        if c.dtype == pl.Int64:
            return _ints_finish(s, fast.get_column(c.name))
        if c.allowed is not None:
            return _categories_finish(s, c.name, c.allowed, fast.get_column(f"_ok_{c.name}"))
        return s

    # What is left is per column: on every core (polars releases the GIL).
    with ThreadPoolExecutor(max_workers=max(1, min(len(cols), os.cpu_count() or 1))) as pool:
        return {c.name: v.alias(c.name) for c, v in zip(cols, pool.map(finish, cols), strict=True)}


def _empty_text(s: pl.Series, value: pl.Series) -> pl.Series:
    """True where the text ``s`` is empty once normalised (null, blank, only spaces).

    ``value`` is what ``s`` was parsed into: where it is not null the text was not empty,
    so only the other values are normalised.
    """
    empty = s.is_null()
    maybe = value.is_null() & ~empty
    if maybe.any():
        idx = maybe.arg_true()
        blank = _normalize_values(s.gather(idx)).is_null()
        if blank.any():
            empty = empty.scatter(idx.filter(blank), True)
    return empty


def coerce(raw: RawTable) -> Coerced:
    """Turn a text table into canonical types; rows with unusable values become failures.

    Rules, first match wins per row:

    - ``missing_customer_id``: empty customer id;
    - ``unparseable_date``: a date column that is empty (when required) or fits none of the
      formats;
    - ``unparseable_amount``: an amount/margin that is not a number ('¥1,234.50' is);
    - ``invalid_value``: any other required value empty, a number or category that is
      not allowed (e.g. nps 11, status 'lost'), a complaint resolved before it opened.

    Categorical values are matched case-insensitively and common Chinese labels
    (已取消, 退货, 微信...) are translated.
    """
    table = raw.table
    spec = schema.get(table)
    df = raw.frame
    n = df.height
    # A canonical column the source lacks is all empty; it is not added to the (possibly
    # long) text table, only to the typed result and to the few failed rows.
    absent = [c for c in spec.names if c not in df.columns]
    dfmt = tuple(raw.date_formats) or DEFAULT_DATE_FORMATS
    tfmt = tuple(raw.datetime_formats) or DEFAULT_DATETIME_FORMATS
    typed: dict[str, pl.Series] = {}
    # (condition, reason, detail expression evaluated on the failing rows only)
    checks: list[tuple[pl.Series, str, pl.Expr]] = []

    def shown(col: str, what: str) -> pl.Expr:
        return pl.format(f"{col} {what}: '{{}}'", normalize_text(pl.col(col)).fill_null(""))

    if "customer_id" in spec.names:
        no_id = (df.get_column("customer_id").is_null() if "customer_id" not in absent
                 else pl.repeat(True, n, dtype=pl.Boolean, eager=True))
        checks.append((no_id, "missing_customer_id", pl.lit("customer_id is empty")))
    rank = {pl.Date: 0, pl.Float64: 1}
    ordered = sorted(spec.columns, key=lambda c: 0 if isinstance(c.dtype, pl.Datetime)
                     else rank.get(c.dtype, 2))

    parsed = _parse_columns(df, [c for c in ordered if c.name not in absent], dfmt, tfmt,
                            raw.excel_serial_dates)
    parsed.update({c.name: pl.repeat(None, n, dtype=c.dtype, eager=True).alias(c.name)
                   for c in ordered if c.name in absent})
    for c in ordered:
        name, dt = c.name, c.dtype
        value = parsed[name]
        typed[name] = value.cast(dt).alias(name)
        if name in absent:
            # The same "is empty" failures as for a present column that is all empty.
            reason = ("unparseable_date" if _is_date(dt)
                      else "unparseable_amount" if dt == pl.Float64
                      else None if dt == pl.Int64 or name == "customer_id" else "invalid_value")
            if not c.nullable and reason is not None:
                checks.append((pl.repeat(True, n, dtype=pl.Boolean, eager=True), reason,
                               pl.lit(f"{name} is empty")))
            continue
        s = df.get_column(name)
        # Empty: no text once normalised (dates, numbers and categories come un-normalised).
        if dt == pl.String:
            empty = value.is_null() if c.allowed is not None else s.is_null()
        else:
            empty = _empty_text(s, value)
        if _is_date(dt):
            fmts = dfmt if dt == pl.Date else tfmt
            checks.append((~empty & value.is_null(), "unparseable_date",
                           shown(name, f"matches none of the formats {', '.join(fmts)}")))
            if not c.nullable:
                checks.append((empty, "unparseable_date", pl.lit(f"{name} is empty")))
        elif dt == pl.Float64:
            checks.append((~empty & value.is_null(), "unparseable_amount",
                           shown(name, "is not an amount")))
            if not c.nullable:
                checks.append((empty, "unparseable_amount", pl.lit(f"{name} is empty")))
        elif dt == pl.Int64:
            checks.append((~empty & value.is_null(), "invalid_value",
                           shown(name, "is not a whole number")))
            if c.min is not None or c.max is not None:
                lo = value < c.min if c.min is not None else None
                hi = value > c.max if c.max is not None else None
                out = lo | hi if lo is not None and hi is not None else (lo if lo is not None
                                                                       else hi)
                checks.append((out.fill_null(False), "invalid_value", shown(
                    name, f"is outside {c.min if c.min is not None else ''}.."
                          f"{c.max if c.max is not None else ''}")))
        else:
            if c.allowed is not None:
                checks.append((~empty & ~value.is_in(list(c.allowed)).fill_null(False),
                               "invalid_value", shown(name, f"is not one of {'/'.join(c.allowed)}")))
            if not c.nullable and name != "customer_id":
                checks.append((empty, "invalid_value", pl.lit(f"{name} is empty")))
    if table == "complaints":
        checks.append(((typed["resolved_at"] < typed["opened_at"]).fill_null(False),
                       "invalid_value", pl.format("resolved_at '{}' is before opened_at '{}'",
                                                  normalize_text(pl.col("resolved_at")),
                                                  normalize_text(pl.col("opened_at")))))
    names = spec.names
    typed_frame = pl.DataFrame([typed[nm] for nm in names]
                               + [df.get_column(SOURCE), df.get_column(LINE)])
    bad = pl.select(pl.any_horizontal([pl.lit(cond.fill_null(False)) for cond, _, _ in checks])
                    if checks else pl.repeat(False, n, dtype=pl.Boolean)).to_series()
    if n == 0 or not bad.any():
        return Coerced(typed=typed_frame, ok=~bad, failed=_empty_failed())
    idx = bad.arg_true()
    sub = df.gather(idx).with_columns(
        *[pl.lit(None, dtype=pl.String).alias(c) for c in absent],
        *[cond.gather(idx).fill_null(False).alias(f"_c{i}")
          for i, (cond, _, _) in enumerate(checks)])
    reason = pl.lit(None, dtype=pl.String)
    detail = pl.lit(None, dtype=pl.String)
    for i in reversed(range(len(checks))):
        _, r, d = checks[i]
        reason = pl.when(pl.col(f"_c{i}")).then(pl.lit(r)).otherwise(reason)
        detail = pl.when(pl.col(f"_c{i}")).then(d).otherwise(detail)
    failed = sub.select(pl.col(SOURCE), pl.col(LINE), reason.alias("reason"),
                        detail.alias("detail"),
                        pl.struct([pl.col(nm) for nm in names]).struct.json_encode().alias("record"))
    return Coerced(typed=typed_frame, ok=~bad, failed=failed)


def _empty_failed() -> pl.DataFrame:
    return pl.DataFrame(schema={SOURCE: pl.String, LINE: pl.Int64, "reason": pl.String,
                                "detail": pl.String, "record": pl.String})
