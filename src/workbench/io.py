"""Small disk helpers shared by the modules that write: atomic Parquet/JSON writes and step results.

Analytics modules never touch the disk; ``ingest``, ``clean`` and ``report``
(and the notebooks, through these helpers) do.  Every write goes to a
temporary file in the same folder and is then renamed into place, so a failed
run never leaves a half-written file behind.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import math
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import polars as pl

from .errors import DataError, WorkbenchError

__all__ = [
    "STAGING_MARK",
    "OutputError",
    "ensure_folder",
    "disk_fault",
    "disk_faults",
    "atomic_write_bytes",
    "atomic_write_parquet",
    "atomic_write_json",
    "to_jsonable",
    "save_step_results",
    "load_step_results",
    "read_parquet",
]


class OutputError(WorkbenchError):
    """An output cannot be written: the disk is full, the folder is read-only or not ours.

    The message names the folder and what to free or fix; exit code 5.  The run that
    raised it removed its temporary files and left the previous outputs as they were.
    """

    exit_code = 5


#: errno codes that mean "the folder cannot take this output".
_FAULTS = {errno.ENOSPC: "full", errno.EDQUOT: "full", errno.EROFS: "read-only",
           errno.EACCES: "denied", errno.EPERM: "denied"}
_OS_ERROR = re.compile(r"\(os error (\d+)\)")


def _fault_kind(exc: BaseException) -> str | None:
    """``full``, ``read-only`` or ``denied`` when ``exc`` is a disk fault (polars reports
    them as ComputeError '... (os error 28)'), else None."""
    code = getattr(exc, "errno", None)
    if code is None:
        found = _OS_ERROR.search(str(exc))
        code = int(found.group(1)) if found else None
    return _FAULTS.get(code) if code is not None else None


def _free(folder: Path) -> str:
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        usage = shutil.disk_usage(probe)
    except OSError:
        return "unknown"
    return f"{usage.free / 2**20:,.1f} MiB free of {usage.total / 2**20:,.1f} MiB"


def disk_fault(exc: BaseException, folder: str | os.PathLike[str], what: str) -> OutputError | None:
    """The house's :class:`OutputError` for a disk fault while writing ``what`` into ``folder``
    (None when ``exc`` is another kind of error)."""
    kind = _fault_kind(exc)
    if kind is None:
        return None
    folder = Path(folder)
    tail = "Nothing half-written was left there and the previous outputs are unchanged."
    if kind == "full":
        msg = (f"no space left on the disk holding {folder} while writing {what} "
               f"({_free(folder)}). Free space on that disk (old reports, old per-period "
               f"results folders) or point the configuration's paths at a larger disk, then "
               f"run again. {tail}")
    elif kind == "read-only":
        msg = (f"{folder} is on a read-only file system, so {what} cannot be written. Remount "
               f"it read-write or point the configuration's paths at a writable folder. {tail}")
    else:
        msg = (f"no permission to write {what} in {folder} ({exc}). Give the user running the "
               f"workbench write permission on that folder or point the configuration's paths "
               f"elsewhere. {tail}")
    return OutputError(msg)


@contextlib.contextmanager
def disk_faults(folder: str | os.PathLike[str], what: str) -> Iterator[None]:
    """Turn a disk fault (full, read-only, no permission) inside the block into an
    :class:`OutputError` naming ``folder``; other errors pass unchanged."""
    try:
        yield
    except OutputError:
        raise
    except Exception as exc:
        fault = disk_fault(exc, folder, what)
        if fault is None:
            raise
        raise fault from exc


#: The mark in the name of a run's staging folder (``.<name>.running-<random>``).  Only the run
#: that owns it creates it; a writer never re-creates one that is gone.
STAGING_MARK = ".running-"


def _staging_gone(folder: Path) -> Path | None:
    for p in (folder, *folder.parents):
        if p.name.startswith(".") and STAGING_MARK in p.name:
            return None if p.is_dir() else p
    return None


def ensure_folder(folder: str | os.PathLike[str]) -> Path:
    """Create ``folder`` (and its parents) unless it lies in a run's staging folder that no
    longer exists: that run was stopped (killed, or its staging removed by a later run), and
    a step still running for it (a kernel outliving its run) must write nothing.

    Raises:
        OutputError: the staging folder is gone.
    """
    folder = Path(folder)
    gone = _staging_gone(folder)
    if gone is not None:
        raise OutputError(f"{gone} no longer exists: the run this step belongs to was stopped "
                          f"or cleaned up; nothing was written. Run the report again.")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _tmp_path(path: Path) -> Path:
    ensure_folder(path.parent)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    return Path(tmp)


def atomic_write_parquet(df, path: str | os.PathLike[str]) -> Path:
    """Write a polars or pandas DataFrame to Parquet atomically; returns the path."""
    path = Path(path)
    with disk_faults(path.parent, path.name):
        return _write_parquet(df, path)


def _write_parquet(df, path: Path) -> Path:
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
    with disk_faults(path.parent, path.name):
        return _write_bytes(data, path)


def _write_bytes(data: bytes, path: Path) -> Path:
    tmp = _tmp_path(path)
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def file_sha256(path: str | os.PathLike[str]) -> str:
    """The SHA-256 of a file, read in blocks (reads the file)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


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
    text = json.dumps(to_jsonable(data), ensure_ascii=False, indent=2) + "\n"
    with disk_faults(path.parent, path.name):
        return _write_bytes(text.encode("utf-8"), path)


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


def read_parquet(path: str | os.PathLike[str], what: str | None = None,
                 columns: Sequence[str] | None = None) -> pl.DataFrame:
    """Read a Parquet file produced by an earlier step, with a message that says which step makes it.

    ``columns``: read only these (a step that needs a few columns of a wide per-customer
    table holds only them); a column the file lacks is a DataError naming it.
    """
    path = Path(path)
    hint = f" It is written by {what}; run that first." if what else ""
    if not path.is_file():
        raise DataError(f"{path} does not exist.{hint}")
    if columns is None:
        return pl.read_parquet(path)
    lacking = [c for c in columns if c not in pl.read_parquet_schema(path)]
    if lacking:
        raise DataError(f"{path} lacks column(s) {', '.join(lacking)}.{hint}")
    return pl.read_parquet(path, columns=list(columns))
