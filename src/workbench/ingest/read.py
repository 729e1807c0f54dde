"""Reading sources as text: CSV and TSV (any encoding), Excel sheets, Parquet and SQL.

Encodings: a BOM means UTF-8 with BOM; otherwise UTF-8 is tried, then GB18030
(which also reads GBK and GB2312 files), then ``charset_normalizer``.  polars
reads only UTF-8, so other encodings are transcoded in chunks into a temporary
UTF-8 file (a 5 GB export is never held in memory as a whole).  Raw files are
never modified.  Only this module touches the disk.
"""

from __future__ import annotations

import codecs
import json
import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from ..config import ConfigError, SourceSpec
from ..errors import DataError
from .derive import apply_derived, fill_order_fields
from .mapping import text_table
from .raw import LINE, SOURCE, UNPARSEABLE_SCHEMA, RawTable
from .scan import line_stats, scan_csv, shown

__all__ = [
    "detect_encoding",
    "from_frame",
    "normalize_encoding",
    "read_source",
    "read_sources",
    "transcode_to_utf8",
]

_ENCODING_ALIASES = {"gbk": "gb18030", "gb2312": "gb18030", "cp936": "gb18030",
                     "ms936": "gb18030", "euc_cn": "gb18030", "gb18030": "gb18030",
                     "utf_8": "utf-8", "utf_8_sig": "utf-8-sig"}


_CHUNK = 4 * 1024 * 1024
_SAMPLE = 1024 * 1024


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
    if sample.count(b"\x00") * 100 > len(sample):  # a few NULs: lines set aside by the scan
        raise DataError(
            f"{path}: is not a text file (it holds NUL bytes); if it is an Excel or Parquet "
            f"file, give it the right suffix or set 'format' in the configuration."
        )
    if _valid(sample, "utf-8"):
        return "utf-8"
    if _valid(sample, "gb18030"):
        return "gb18030"
    # Imported here: only needed for the rare file that is neither UTF-8 nor GB18030.
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



def _read_csv(spec: SourceSpec, table: str, tmpdir: Path) -> tuple[pl.DataFrame, str]:
    """The frame and encoding of a CSV/TSV source (its good rows: see :func:`_read_text`)."""
    read = _read_text(spec, table, tmpdir)
    return read.frame, read.encoding


def _read_text(spec: SourceSpec, table: str, tmpdir: Path) -> _Csv:
    """A CSV/TSV source: polars first; the tolerant scan (:mod:`.scan`) when polars fails or
    its rows do not match the file's lines."""
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
    if sep == "whitespace":
        try:
            return _Csv(_read_whitespace(read_path, spec), enc)
        except (pl.exceptions.ComputeError, pl.exceptions.NoDataError, OSError) as exc:
            raise _unreadable(path, spec, table, exc) from None
    df: pl.DataFrame | None = None
    try:
        df = _polars_csv(read_path, spec, sep)
    except (pl.exceptions.ComputeError, pl.exceptions.ShapeError):
        pass  # the tolerant scan below names the line
    except (pl.exceptions.NoDataError, OSError) as exc:
        raise _unreadable(path, spec, table, exc) from None
    if df is not None:
        _check_headers(df, spec, table, path, sep)
        # The cheap check: one row per physical line and no NUL byte, else the scan.
        lines, nul = line_stats(read_path)
        header = 0 if spec.column_names else 1
        if nul is None and df.height == lines - spec.skip_rows - header:
            return _Csv(df, enc)
    dest = tmpdir / f"{table}.{uuid.uuid4().hex[:8]}.scan.csv"
    try:
        found = scan_csv(read_path, dest, sep, spec.skip_rows, list(spec.column_names) or None,
                         table, spec.max_unparseable)
        # The scan's output is well-formed, so polars reads it as it reads a clean file.
        good = pl.read_csv(dest, infer_schema=False, separator=sep, encoding="utf8",
                           has_header=not spec.column_names,
                           new_columns=list(spec.column_names) or None)
    except (pl.exceptions.ComputeError, pl.exceptions.NoDataError, pl.exceptions.ShapeError,
            OSError) as exc:
        raise _unreadable(path, spec, table, exc) from None
    finally:
        dest.unlink(missing_ok=True)
    if good.height != len(found.lines):  # the scan and polars disagree: a bug, never guessed
        raise DataError(f"{path}: {len(found.lines)} records scanned but {good.height} read; "
                        f"the file cannot be read reliably as {spec.format.upper()}.")
    _check_headers(good, spec, table, path, sep)
    line_col = pl.Series(LINE, found.lines, dtype=pl.Int64)
    bad = pl.DataFrame({SOURCE: [str(path)] * len(found.bad),
                        LINE: [b.line for b in found.bad],
                        "reason": ["unparseable_line"] * len(found.bad),
                        "detail": [b.detail for b in found.bad],
                        "record": [json.dumps({"line_text": b.text}, ensure_ascii=False)
                                   for b in found.bad]},
                       schema=UNPARSEABLE_SCHEMA)
    return _Csv(good, enc, line_col, bad if bad.height else None)


def _polars_csv(path: Path, spec: SourceSpec, sep: str) -> pl.DataFrame:
    return pl.read_csv(path, infer_schema=False, separator=sep, skip_rows=spec.skip_rows,
                       encoding="utf8", has_header=not spec.column_names,
                       new_columns=list(spec.column_names) or None)


def _unreadable(path: Path, spec: SourceSpec, table: str, exc: Exception) -> DataError:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    hint = (f" The file is not valid UTF-8: set sources.{table}.encoding (e.g. gb18030)."
            if "utf" in first.lower() else "")
    return DataError(f"{path}: cannot be read as {spec.format.upper()} ({first}).{hint}")


@dataclass
class _Csv:
    """A CSV/TSV file as read: the frame, the encoding, the start line of each row (None:
    one row per line from the first data line) and the unparseable lines set aside."""

    frame: pl.DataFrame
    encoding: str
    lines: pl.Series | None = None
    unparseable: pl.DataFrame | None = None


def _read_whitespace(path: Path, spec: SourceSpec) -> pl.DataFrame:
    """A file whose fields are separated by runs of spaces or tabs (fixed-width exports such as
    CDNOW's): one text column per line, split on whitespace (on every core)."""
    lines = pl.read_csv(path, has_header=False, separator="\x1f", quote_char=None,
                        infer_schema=False, skip_rows=spec.skip_rows, encoding="utf8",
                        new_columns=["_text"])
    fields = lines.select(pl.col("_text").str.extract_all(r"\S+").alias("f"))
    width = fields.select(pl.col("f").list.len()).to_series()
    if spec.column_names:
        names = list(spec.column_names)
        body = fields
        first_line = spec.skip_rows + 1
    else:
        if fields.height == 0:
            raise pl.exceptions.NoDataError("empty file")
        names = [str(x) for x in fields.item(0, 0)]
        body, width = fields.slice(1), width.slice(1)
        first_line = spec.skip_rows + 2
    bad = (width != len(names)) & (width > 0)
    if bad.any():
        i = int(bad.arg_true()[0])
        raise DataError(
            f"{spec.path}: line {first_line + i} has {int(width[i])} fields where the header "
            f"has {len(names)} ({', '.join(names)}); fix the line or the column names.")
    body = body.filter(width > 0) if (width == 0).any() else body
    return body.select([pl.col("f").list.get(i).alias(n) for i, n in enumerate(names)])


_DUPLICATED = re.compile(r"^(.*)_duplicated_(\d+)$")


def _check_headers(df: pl.DataFrame, spec: SourceSpec, table: str, path: Path,
                   sep: str) -> None:
    """Refuse two columns of one name, and a file read with the wrong separator."""
    cols = list(df.columns)
    for i, c in enumerate(cols):
        m = _DUPLICATED.match(c)
        if m and m.group(1) in cols:
            j = cols.index(m.group(1))
            raise DataError(
                f"{path}: the header '{m.group(1)}' appears twice (columns {j + 1} and {i + 1});"
                f" rename one of them in the file so that every column has its own name.")
    if len(cols) == 1 and sep != "whitespace":
        found = [s for s in (";", "\t", "|", ",") if s != sep and s in cols[0]]
        if found:
            other = shown(found[0])
            raise DataError(
                f"{path}: the file looks {other!r}-separated (every line was read as one column, "
                f"line {spec.skip_rows + 1}: {cols[0][:60]!r}): the fields seem separated by "
                f"{other!r}, not {shown(sep)!r}; set `separator: '{other}'` under "
                f"sources.{table} (sources.{table}.separator: '{other}').")


def _read_excel(spec: SourceSpec, table: str) -> list[tuple[pl.DataFrame, str]]:
    path = spec.path
    assert path is not None
    if not path.is_file():
        raise DataError(f"{path}: file not found (sources.{table}.path); check the path.")
    try:
        import fastexcel  # imported here: only Excel sources need it

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


def _rows_frame(cols: list[str], rows: Sequence[Sequence[Any]]) -> pl.DataFrame:
    """Database rows as an all-text frame (values as Python prints them: dates ISO)."""
    data = {c: [None if r[i] is None else str(r[i]) for r in rows] for i, c in enumerate(cols)}
    return pl.DataFrame(data, schema={c: pl.String for c in cols})


def _read_sql(spec: SourceSpec, table: str) -> pl.DataFrame:
    url, query = str(spec.url), str(spec.query)
    try:
        if url.startswith("duckdb://"):
            import duckdb  # imported here: an optional driver, only DuckDB sources need it

            db = url.split(":///", 1)[1] if ":///" in url else ":memory:"
            if db != ":memory:" and not Path(db).is_file():
                raise DataError(f"{db}: DuckDB file not found (sources.{table}.url); check the path.")
            con = duckdb.connect(db, read_only=db != ":memory:")
            try:
                cur = con.execute(query)
                return _rows_frame([d[0] for d in cur.description], cur.fetchall())
            finally:
                con.close()
        import sqlalchemy  # imported here: heavy, only database sources need it

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
    tmp = Path(tmpdir) if tmpdir is not None else Path(tempfile.mkdtemp(prefix="workbench-ingest-"))
    try:
        parts: list[tuple[pl.DataFrame, str, str, int]] = []  # frame, label, encoding, first line
        read: _Csv | None = None
        if spec.format in ("csv", "tsv"):
            read = _read_text(spec, table, tmp)
            header = 0 if spec.column_names else 1
            parts.append((read.frame, str(spec.path), read.encoding,
                          spec.skip_rows + header + 1))
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
            frame, ign = text_table(df, table, spec, label, first, label)
            if read is not None and read.lines is not None:  # rows found by the tolerant scan
                frame = frame.with_columns(read.lines)
            if spec.line_level:
                frame = fill_order_fields(frame, str(spec.order_key))
            frame = apply_derived(frame, spec.derive, f"{label} (sources.{table})")
            frames.append(frame)
            entry: dict[str, Any] = {"label": label, "encoding": enc, "rows": frame.height}
            if read is not None and read.unparseable is not None:
                entry["unparseable_lines"] = read.unparseable.height
            sources.append(entry)
            ignored += [h for h in ign if h not in ignored]
        frame = pl.concat(frames, how="diagonal_relaxed") if len(frames) > 1 else frames[0]
        return RawTable(table=table, frame=frame, sources=sources,
                        date_formats=spec.date_formats, datetime_formats=spec.datetime_formats,
                        excel_serial_dates=spec.format == "excel", ignored_columns=ignored,
                        order_key=spec.order_key,
                        unparseable=read.unparseable if read is not None
                        and read.unparseable is not None else None)
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
    frame, ignored = text_table(df, table, None, label, 2, label)
    return RawTable(table=table, frame=frame,
                    sources=[{"label": label, "encoding": "memory", "rows": frame.height}],
                    date_formats=tuple(date_formats), datetime_formats=tuple(datetime_formats),
                    ignored_columns=ignored)

