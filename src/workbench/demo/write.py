"""Writing a demo folder (five CSV files and ``truth.json``) and the configuration that reads it."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from .. import schema
from ..errors import UsageError
from .build import generate_with_truth
from .dirty import dirty_files
from .export import (
    DATETIME_FORMAT,
    DIRTY_DATE_FORMATS,
    DIRTY_ENCODINGS,
    VISITS_HEADERS_ZH,
    as_text,
    csv_bytes,
)
from .model import COMPANY_NAME, CURRENCY, FOUNDED, DemoData

__all__ = ["FILES", "company_block", "config_for", "sources_block", "write_demo"]

FILES = ("customers.csv", "orders.csv", "visits.csv", "complaints.csv", "surveys.csv", "truth.json")


def _truth_json(truth: dict[str, Any]) -> str:
    """``truth.json`` text: readable for the first three levels, then one record per line.

    Long lists of injected rows are written compactly (one JSON value per line),
    which keeps the file readable and fast to write at 200,000 customers.
    """
    def dump(value: Any, indent: int) -> str:
        pad = "  " * indent
        if isinstance(value, dict) and value and indent < 3:
            inner = ",\n".join(f"{pad}  {json.dumps(str(k), ensure_ascii=False)}: {dump(v, indent + 1)}"
                               for k, v in value.items())
            return "{\n" + inner + "\n" + pad + "}"
        if isinstance(value, list) and value and isinstance(value[0], dict):
            inner = ",\n".join(f"{pad}  {json.dumps(v, ensure_ascii=False, default=str)}" for v in value)
            return "[\n" + inner + "\n" + pad + "]"
        return json.dumps(value, ensure_ascii=False, default=str)

    return dump(truth, 0) + "\n"


def _clean_files(demo: DemoData) -> tuple[dict[str, bytes], dict[str, int]]:
    files: dict[str, bytes] = {}
    rows: dict[str, int] = {}
    for name, df in demo.tables.items():
        files[f"{name}.csv"] = csv_bytes(as_text(df))
        rows[name] = df.height
    return files, rows


def write_demo(out: Path | str, customers: int, seed: int, dirty: bool = False,
               end_date: date | str | None = None, years: float = 3.0) -> dict[str, Any]:
    """Write a demo dataset (five CSV files and ``truth.json``) into the folder ``out``.

    The clean version (``dirty=False``) has canonical headers, UTF-8 and ISO
    dates.  The dirty version adds what real exports contain (see
    ``docs/demo-data.md``); every injected defect is listed in
    ``truth.json["dirty"]`` with its ids and 1-based file line numbers
    (header = line 1).  Files are written to a temporary folder next to
    ``out`` and moved into place at the end, so a crash never leaves a
    complete-looking folder.  An existing ``out`` is replaced only if it holds
    nothing but demo files.

    Returns:
        ``{"rows": {table: rows written}, "path": str(out), "dirty": bool,
        "seed": int, "customers": int, "files": {file name: bytes}}``.
    """
    out = Path(out).expanduser().resolve()
    if out.exists():
        if not out.is_dir():
            raise UsageError(f"{out} exists and is not a folder; choose another --out.")
        foreign = sorted(p.name for p in out.iterdir() if p.name not in FILES)
        if foreign:
            raise UsageError(
                f"{out} already holds files that are not demo data ({', '.join(foreign[:5])}); "
                f"choose an empty or new folder for --out."
            )
    demo = generate_with_truth(customers, seed, end_date, years)
    truth = dict(demo.truth)
    if dirty:
        files, dirty_truth, rows = dirty_files(demo, seed)
        truth["dirty"] = dirty_truth
    else:
        files, rows = _clean_files(demo)
        truth["dirty"] = None
    truth["rows_written"] = rows
    files["truth.json"] = _truth_json(truth).encode("utf-8")

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o777 & ~umask)
    old = None
    try:
        for name in FILES:
            (tmp / name).write_bytes(files[name])
        if out.exists():
            old = out.parent / f".{out.name}.old-{os.getpid()}"
            os.replace(out, old)
        os.replace(tmp, out)
    except BaseException:
        if old is not None and old.exists() and not out.exists():
            os.replace(old, out)
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return {"rows": rows, "path": str(out), "dirty": bool(dirty), "seed": int(seed),
            "customers": int(customers), "files": {k: len(v) for k, v in files.items()}}


def config_for(raw_dir: Path | str, processed_dir: Path | str, reports_dir: Path | str,
               dirty: bool = True) -> dict[str, Any]:
    """The ``workbench.yaml`` content (a dict) that reads a demo folder written by :func:`write_demo`.

    Args:
        raw_dir: the folder :func:`write_demo` wrote.
        processed_dir, reports_dir: where cleaning and reports write.
        dirty: the folder was written with ``dirty=True`` (the default; the
            encodings, Chinese headers and date formats differ).

    Returns:
        A mapping with ``company``, ``paths``, ``sources`` and ``report``; every
        path is absolute.  ``sources.orders.date_format`` is a list: the
        orders export mixes ``2024-03-05`` and ``2024/03/05`` (tried in order,
        never ambiguous).
    """
    raw = Path(raw_dir).expanduser().resolve()
    return {
        "company": company_block(),
        "paths": {"raw": str(raw), "processed": str(Path(processed_dir).expanduser().resolve()),
                  "reports": str(Path(reports_dir).expanduser().resolve())},
        "sources": sources_block(raw, dirty=dirty),
        "report": {"lang": "zh", "show_pii": False},
    }


def company_block() -> dict[str, Any]:
    """The ``company:`` block of the demo configuration."""
    return {"name": COMPANY_NAME, "founded": FOUNDED.isoformat(), "currency": CURRENCY}


def sources_block(raw_dir: Path | str, dirty: bool = True) -> dict[str, dict[str, Any]]:
    """The ``sources:`` block for a demo folder (paths joined to ``raw_dir`` as given)."""
    raw = Path(raw_dir)
    if not dirty:
        return {name: {"path": str(raw / f"{name}.csv"), "encoding": "utf-8",
                       **({"datetime_format": DATETIME_FORMAT} if name == "complaints"
                          else {"date_format": "%Y-%m-%d"})}
                for name in schema.TABLES}
    return {
        "customers": {"path": str(raw / "customers.csv"), "encoding": DIRTY_ENCODINGS["customers"],
                      "date_format": DIRTY_DATE_FORMATS["customers"]},
        "orders": {"path": str(raw / "orders.csv"), "encoding": DIRTY_ENCODINGS["orders"],
                   "date_format": list(DIRTY_DATE_FORMATS["orders"])},
        "visits": {"path": str(raw / "visits.csv"), "encoding": DIRTY_ENCODINGS["visits"],
                   "date_format": DIRTY_DATE_FORMATS["visits"],
                   "columns": {zh: en for en, zh in VISITS_HEADERS_ZH.items()}},
        "complaints": {"path": str(raw / "complaints.csv"), "encoding": DIRTY_ENCODINGS["complaints"],
                       "datetime_format": DATETIME_FORMAT},
        "surveys": {"path": str(raw / "surveys.csv"), "encoding": DIRTY_ENCODINGS["surveys"],
                    "date_format": DIRTY_DATE_FORMATS["surveys"]},
    }
