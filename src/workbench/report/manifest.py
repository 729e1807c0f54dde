"""What a run records: ``manifest.json`` with parameters, input hashes, versions, step timings
and every step's key results.

:func:`build_manifest` and :func:`gather_results` are pure apart from reading the
step results; :func:`file_sha256`, :func:`input_files`, :func:`git_commit` read files.
"""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from .. import __version__
from .. import config as config_mod
from .. import io as wio
from ..clean.fresh import FINGERPRINT_KEY
from ..engine.session import submitted
from ..engine.settings import EngineSettings
from ..io import file_sha256
from .planning import Period
from .steps import RESULT_STEPS

__all__ = ["VERSION_PACKAGES", "StepRecord", "build_manifest", "engine_record", "file_sha256",
           "gather_results",
           "git_commit", "input_files", "ledger_tables", "load_ledger", "now", "package_versions",
           "rows_from_ledger"]

#: The packages whose versions the manifest records.
VERSION_PACKAGES = ("pandas", "polars", "numpy", "scipy", "scikit-learn", "lifetimes",
                    "matplotlib", "papermill", "nbconvert", "narwhals", "duckdb", "pyspark")


def now() -> str:
    """The time now, ISO 8601 in UTC to the second (the manifest's timestamps)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def gather_results(results_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """Every step's key results in ``<results_dir>/results/*.json``, in pipeline order."""
    folder = Path(results_dir) / "results"
    found = {p.stem: p for p in folder.glob("*.json")} if folder.is_dir() else {}
    order = [s for s in RESULT_STEPS if s in found] + sorted(s for s in found
                                                             if s not in RESULT_STEPS)
    return {s: wio.load_step_results(results_dir, s) for s in order}


def ledger_tables(cleaning: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """The per-table entries of a cleaning ledger (those with ``rows_in``)."""
    return {k: v for k, v in cleaning.items() if isinstance(v, Mapping) and "rows_in" in v}


def rows_from_ledger(ledger: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Rows in, out, quarantined and merged per table (the manifest's ``rows``)."""
    return {t: {"rows_in": v.get("rows_in"), "rows_out": v.get("rows_kept"),
                "rows_quarantined": v.get("rows_quarantined"), "rows_merged": v.get("rows_merged")}
            for t, v in ledger_tables(ledger).items()}


def load_ledger(cfg: config_mod.Config) -> dict[str, Any]:
    """The cleaning's ``ledger.json`` in the processed folder ({} when absent)."""
    path = cfg.processed_dir / "ledger.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def input_files(cfg: config_mod.Config, ledger: Mapping[str, Any] | None = None
                ) -> list[dict[str, Any]]:
    """Each configured source with its size and SHA-256 (database sources: URL and query;
    orders on the engine: their ``engine`` source).

    With ``ledger`` (the cleaning's ``ledger.json``), a file that its fingerprint lists at
    the same path takes the size and SHA-256 recorded there: the inputs the clean tables
    were made from, without reading the file again."""
    stamp = (ledger or {}).get(FINGERPRINT_KEY) or {}
    known = {(f.get("table"), f.get("path")): f for f in stamp.get("files") or []}
    out: list[dict[str, Any]] = []
    for table, spec in cfg.sources.items():
        if spec.engine is not None:
            out.append({"table": table, "engine": wio.to_jsonable(dict(spec.engine))})
        elif spec.path is not None:
            p = Path(spec.path)
            seen = known.get((table, str(p)))
            if seen is not None:
                out.append({"table": table, "path": str(p), "bytes": seen["bytes"],
                            "sha256": seen["sha256"]})
                continue
            exists = p.is_file()
            out.append({"table": table, "path": str(p),
                        "bytes": p.stat().st_size if exists else None,
                        "sha256": file_sha256(p) if exists else None})
        else:
            out.append({"table": table, "url": spec.url, "query": spec.query})
    return out


def engine_record(settings: EngineSettings) -> dict[str, Any]:
    """What the manifest says about the engine of a run: its name and where it ran (the
    Spark master or Connect URL, DuckDB's threads and memory limit when set)."""
    out: dict[str, Any] = {"name": settings.name}
    if settings.name == "spark":
        if settings.spark_connect:
            out["connect"] = settings.spark_connect
        elif "master" not in settings.spark and submitted():
            out["master"] = "spark-submit"  # the command line's master, kept by the engine
        else:
            out["master"] = settings.spark_master
    elif settings.name == "duckdb":
        out.update({k: v for k, v in settings.duckdb.items() if v is not None})
    return out


def package_versions() -> dict[str, str | None]:
    """Versions of Python, the workbench and the libraries that shape the numbers."""
    out: dict[str, str | None] = {"python": platform.python_version(), "workbench": __version__}
    for name in VERSION_PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def git_commit(folder: str | os.PathLike[str] | None = None) -> str | None:
    """The commit checked out in the git repository holding ``folder`` (the package by default)."""
    where = Path(folder) if folder else Path(__file__).resolve().parent
    try:
        proc = subprocess.run(["git", "-C", str(where), "rev-parse", "HEAD"], capture_output=True,
                              text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    sha = proc.stdout.strip()
    return sha if proc.returncode == 0 and re.fullmatch(r"[0-9a-f]{40}", sha) else None


@dataclass
class StepRecord:
    """How one step of a run went (times are ISO 8601 UTC)."""

    name: str
    status: str = "pending"
    seconds: float | None = None
    started: str | None = None
    finished: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        d = {"name": self.name, "status": self.status, "seconds": self.seconds,
             "started": self.started, "finished": self.finished}
        d.update(self.extra)
        return d


def build_manifest(*, period: Period, status: str, parameters: Mapping[str, Any],
                   inputs: list[dict[str, Any]], ledger: Mapping[str, Any],
                   steps: Sequence[StepRecord], results: Mapping[str, Any],
                   started: str, finished: str, seconds: float,
                   versions: Mapping[str, Any], commit: str | None,
                   reports: Sequence[str] = (), error: Mapping[str, Any] | None = None,
                   config: Mapping[str, Any] | None = None,
                   sections: Mapping[str, Mapping[str, Any]] | None = None,
                   engine: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Assemble ``manifest.json`` (pure): the shape monitoring scripts rely on.

    ``status`` is ``ok`` (every section ran), ``partial`` (published, some sections
    skipped: ``sections`` says which and why) or ``failed``.

    ``results`` gets the ledger as ``cleaning`` when the cleaning notebook has not
    written its own results.
    """
    res = dict(results)
    if "cleaning" not in res and ledger:
        res = {"cleaning": dict(ledger_tables(ledger)), **res}
    manifest = {
        "period": period.label,
        "as_of": period.as_of.isoformat(),
        "freq": period.freq,
        "status": status,
        "started": started,
        "finished": finished,
        "seconds": round(seconds, 2),
        "parameters": dict(parameters),
        "config": dict(config or {}),
        "inputs": inputs,
        "rows": rows_from_ledger(ledger),
        "versions": dict(versions),
        "git_commit": commit,
        "engine": dict(engine or {"name": "polars"}),
        "steps": [s.as_dict() for s in steps],
        "sections": {k: dict(v) for k, v in (sections or {}).items()},
        "reports": list(reports),
        "results": res,
    }
    if error:
        manifest["error"] = dict(error)
    return manifest
