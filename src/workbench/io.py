"""Small disk helpers shared by the modules that write: atomic Parquet/JSON writes and step results.

Analytics modules never touch the disk; ``ingest``, ``clean`` and ``report``
(and the notebooks, through these helpers) do.  Every write goes to a
temporary file in the same folder and is then renamed into place, so a failed
run never leaves a half-written file behind.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

import polars as pl

from .errors import DataError

__all__ = [
    "atomic_write_parquet",
    "atomic_write_json",
    "to_jsonable",
    "save_step_results",
    "load_step_results",
    "read_parquet",
]


def _tmp_path(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    return Path(tmp)


def atomic_write_parquet(df, path: str | os.PathLike[str]) -> Path:
    """Write a polars or pandas DataFrame to Parquet atomically; returns the path."""
    path = Path(path)
    tmp = _tmp_path(path)
    try:
        if isinstance(df, pl.DataFrame):
            df.write_parquet(tmp)
        else:
            pl.from_pandas(df, include_index=False).write_parquet(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def atomic_write_bytes(data: bytes, path: str | os.PathLike[str]) -> Path:
    """Write ``data`` to ``path`` atomically (a unique temporary file, then a rename)."""
    path = Path(path)
    tmp = _tmp_path(path)
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def to_jsonable(value: Any) -> Any:
    """Convert numpy/pandas/polars scalars, dates and NaN into plain JSON values."""
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            value = value.item()
        except (ValueError, AttributeError):
            pass
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    return value


def atomic_write_json(data: Any, path: str | os.PathLike[str]) -> Path:
    """Write JSON (UTF-8, indented, keys in insertion order) atomically; returns the path."""
    path = Path(path)
    tmp = _tmp_path(path)
    try:
        tmp.write_text(json.dumps(to_jsonable(data), ensure_ascii=False, indent=2) + "\n",
                       encoding="utf-8")
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def save_step_results(results_dir: str | os.PathLike[str], step: str, results: Mapping[str, Any]) -> Path:
    """Record the key results of one analysis step as ``<results_dir>/results/<step>.json``.

    The report runner gathers these into ``manifest.json``, so a scheduled run can be
    monitored without opening the HTML.
    """
    return atomic_write_json(dict(results), Path(results_dir) / "results" / f"{step}.json")


def load_step_results(results_dir: str | os.PathLike[str], step: str) -> dict[str, Any]:
    """Read what :func:`save_step_results` wrote (an empty dict when absent)."""
    path = Path(results_dir) / "results" / f"{step}.json"
    if not path.is_file():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def read_parquet(path: str | os.PathLike[str], what: str | None = None) -> pl.DataFrame:
    """Read a Parquet file produced by an earlier step, with a message that says which step makes it."""
    path = Path(path)
    if not path.is_file():
        hint = f" It is written by {what}; run that first." if what else ""
        raise DataError(f"{path} does not exist.{hint}")
    return pl.read_parquet(path)
