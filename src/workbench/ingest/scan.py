"""The tolerant scan of a CSV/TSV file that polars could not read as it is.

:mod:`.read` reads a clean file with polars in one fast pass, and checks it cheaply
(:func:`line_stats`: one pass over the bytes counting line breaks and looking for NUL
bytes).  Only when polars fails, or the rows it read do not match the file's physical
lines, is the file scanned here, record by record, with Python's :mod:`csv` module:

- a line with more fields than the header, a NUL byte, or a quote that closes a field
  followed by more text (``"ab"c``) is *unparseable*: it is set aside with its physical
  line number and raw text (quarantined ``unparseable_line`` by the cleaning);
- a quote that opens a field and is never closed, or a quoted field running over several
  lines into a record of the wrong width (or holding as many separators as a row), is
  refused (what follows it is ambiguous), naming the line where the quote opened;
- the header itself unparseable, every line unparseable, or more than the allowed share of
  the lines is refused, naming the first bad line;
- the configured separator giving one column, or field counts that disagree while another
  of ``,`` ``;`` tab ``|`` gives one consistent width, is refused with the separator to set.

The good records are written again as well-formed CSV (the same separator) into a
temporary file that polars then reads, so a huge file is never held in memory as Python
objects; only the start line of each record is kept (8 bytes a row).
"""

from __future__ import annotations

import csv
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import DataError

__all__ = ["CANDIDATES", "BadLine", "Scan", "line_stats", "scan_csv", "sniff_separator"]

#: The separators a file is tried with when the configured one does not fit.
CANDIDATES = (",", ";", "\t", "|")
#: The share of data lines that may be unparseable before the file is refused.
MAX_BAD_SHARE = 0.01
_CHUNK = 4 * 1024 * 1024
_SNIFF_LINES = 50


def shown(sep: str) -> str:
    """A separator as it is written in ``workbench.yaml`` (a tab as ``\\t``)."""
    return "\\t" if sep == "\t" else sep


@dataclass(frozen=True)
class BadLine:
    """A line that cannot be parsed: its physical line number, raw text and what is wrong."""

    line: int
    text: str
    detail: str


@dataclass
class Scan:
    """What :func:`scan_csv` found.

    Attributes:
        header: the header's fields (empty for a file read with ``column_names``).
        lines: the physical start line of every good record, in order.
        bad: the unparseable lines.
    """

    header: list[str]
    lines: array = field(default_factory=lambda: array("q"))
    bad: list[BadLine] = field(default_factory=list)


def line_stats(path: Path) -> tuple[int, int | None]:
    """The number of physical lines of a file (a last line without a line break counts) and
    the line of its first NUL byte (None: no NUL byte), in one pass over the bytes."""
    lines, nul, last = 0, None, b"\n"
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            if nul is None and (at := chunk.find(b"\x00")) >= 0:
                nul = lines + chunk.count(b"\n", 0, at) + 1
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    return lines + (last != b"\n"), nul


def _fields(line: str, sep: str) -> int:
    try:
        return len(next(csv.reader([line], delimiter=sep, strict=True)))
    except (csv.Error, StopIteration):
        return -1


def sniff_separator(path: Path, sep: str, skip_rows: int, table: str) -> None:
    """Refuse a file that looks separated by another of :data:`CANDIDATES` than ``sep``.

    The header and the next lines are split with each candidate: when ``sep`` gives one
    column or widths that disagree while another gives one width of two or more columns,
    the file is refused with the separator to set.

    Raises:
        DataError: naming the separator and the setting.
    """
    head: list[str] = []
    with open(path, encoding="utf-8-sig", newline="") as fh:
        for i, line in enumerate(fh):
            if i >= skip_rows + _SNIFF_LINES:
                break
            if i >= skip_rows and line.strip():
                head.append(line.rstrip("\r\n"))
    if not head:
        return

    def widths(s: str) -> set[int]:
        return {_fields(x, s) for x in head}

    mine = widths(sep)
    if len(mine) == 1 and min(mine) > 1:
        return
    for other in CANDIDATES:
        if other == sep:
            continue
        w = widths(other)
        if len(w) == 1 and min(w) > 1:
            what = ("every line was read as one column" if mine == {1}
                    else f"with {shown(sep)!r} the lines have {len(mine)} different numbers of "
                         f"fields")
            raise DataError(
                f"{path}: the file looks {shown(other)!r}-separated ({what}, "
                f"line {skip_rows + 1}: {head[0][:60]!r}): the fields seem separated by "
                f"{shown(other)!r}, not {shown(sep)!r}; set `separator: '{shown(other)}'` under "
                f"sources.{table} (sources.{table}.separator: '{shown(other)}').")


class _Lines:
    """The lines of a text file, keeping the raw text of the record being read."""

    def __init__(self, fh: Iterator[str]) -> None:
        self.fh = fh
        self.buf: list[str] = []

    def __iter__(self) -> Iterator[str]:
        for line in self.fh:
            self.buf.append(line)
            yield line

    def take(self) -> str:
        text = "".join(self.buf).rstrip("\r\n")
        self.buf.clear()
        return text


def _quote_line(start: int, row: list[str]) -> int:
    """The physical line where the first field holding a line break opens."""
    line = start
    for value in row:
        if "\n" in value:
            return line
        line += value.count("\n")
    return start


def _bad_utf8_line(path: Path) -> int:
    """The first physical line of ``path`` that is not valid UTF-8 (0: none)."""
    with open(path, "rb") as fh:
        for n, raw in enumerate(fh, 1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                return n
    return 0


def scan_csv(path: Path, dest: Path, sep: str, skip_rows: int, names: list[str] | None,
             table: str, max_share: float = MAX_BAD_SHARE) -> Scan:
    """Scan a UTF-8 CSV file record by record (see the module doc); write the header and
    the good records as well-formed CSV into ``dest``.

    Args:
        path: the file (UTF-8; :mod:`.read` transcodes other encodings first).
        dest: where the good records go.
        sep: the field separator.
        skip_rows: physical lines above the header.
        names: the column names of a file without a header (None: the file has one).
        table: the canonical table, for messages.
        max_share: the share of data lines that may be unparseable (at least one line
            when above 0; ``sources.<table>.max_unparseable``).

    Raises:
        DataError: an unclosed quote, a bad header, or too many bad lines (the first named).
    """
    sniff_separator(path, sep, skip_rows, table)
    out = Scan(header=[])
    width = len(names) if names else None
    first_bad: BadLine | None = None
    rows = 0
    with open(path, encoding="utf-8-sig", newline="") as fh, \
            open(dest, "w", encoding="utf-8", newline="") as sink:
        for _ in range(skip_rows):
            if not fh.readline():
                break
        src = _Lines(fh)
        reader = csv.reader(src, delimiter=sep, strict=True)
        writer = csv.writer(sink, delimiter=sep, lineterminator="\n")
        done = skip_rows  # physical lines read so far
        while True:
            start = done + 1
            try:
                row = next(reader)
                error = None
            except StopIteration:
                break
            except UnicodeDecodeError:
                raise DataError(
                    f"{path}: line {_bad_utf8_line(path)} is not valid UTF-8 text; set "
                    f"sources.{table}.encoding to the file's real encoding (e.g. gb18030), or "
                    f"fix the file.") from None
            except csv.Error as exc:
                row, error = [], str(exc)
            done = skip_rows + reader.line_num
            text = src.take()
            if error is not None and "unexpected end of data" in error:
                raise DataError(
                    f"{path}: line {start}: a quote (\") opens a field that is never closed, so "
                    f"everything after it (lines {start}-{done}) would be read as one value; "
                    f"close or remove the quote on line {start} (a quote inside a value is "
                    f"written twice, \"\").")
            detail = None
            if error is not None:
                detail = (f"the line cannot be split into fields ({error}): a quoted value must "
                          f"end at the separator {shown(sep)!r}")
            elif "\x00" in text:
                col = next(i for i, v in enumerate(row) if "\x00" in v) if any(
                    "\x00" in v for v in row) else 0
                name = f" ({out.header[col]})" if col < len(out.header) else ""
                detail = (f"holds a NUL byte (\\0) in field {col + 1}{name}: the export is damaged "
                          f"there; export the line again or remove the byte")
            if width is None:  # the header
                if detail is not None or not row:
                    raise DataError(
                        f"{path}: line {start} (the header) cannot be read: "
                        f"{detail or 'it is empty'}; fix the header line, or set "
                        f"sources.{table}.skip_rows to the number of lines above it.")
                out.header, width = row, len(row)
                writer.writerow(row)
                continue
            swallowed = done > start and detail is None and any(
                "\n" in v and v.count(sep) >= width - 1 for v in row) and width > 1
            if detail is None and (len(row) > width or swallowed):
                if done > start:
                    raise DataError(
                        f"{path}: line {_quote_line(start, row)}: a quote (\") opens a field "
                        f"that runs over lines {start}-{done}"
                        + (f" and holds {width - 1} or more separators, as rows do"
                           if len(row) <= width else
                           f" into a row of {len(row)} fields where the header has {width}")
                        + "; what follows the quote is ambiguous: "
                        "close or remove the quote, or write a quote inside a value twice (\"\").")
                detail = (f"{len(row)} fields where the header has {width}: a value holds the "
                          f"separator {shown(sep)!r} unquoted; quote that value or fix the line")
            rows += 1
            if detail is not None:
                bad = BadLine(start, text, f"line {start}: {detail}")
                first_bad = first_bad or bad
                out.bad.append(bad)
                continue
            writer.writerow(row + [""] * (width - len(row)) if 0 < len(row) < width
                            else row if row else [""] * width)
            out.lines.append(start)
    if out.bad:
        assert first_bad is not None
        # At least one line may be set aside (unless the share is 0), never every line.
        allowed = max(1, int(max_share * rows)) if max_share > 0 else 0
        if len(out.bad) == rows or len(out.bad) > allowed:
            share = f"{len(out.bad)} of {rows} lines"
            raise DataError(
                f"{path}: {share} cannot be parsed (at most {allowed} may be set aside as "
                f"unparseable_line, sources.{table}.max_unparseable: {max_share:g} of the "
                f"lines); the first is {first_bad.detail}: {first_bad.text[:80]!r}. "
                f"Fix the file, or check sources.{table}.separator and encoding.")
    return out
