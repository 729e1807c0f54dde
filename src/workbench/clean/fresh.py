"""Whether the clean tables on disk are the ones the configured inputs would give now.

``workbench report`` cleans before its notebooks; after ``workbench clean`` on the same
exports that is the same work twice (at a million customers about 40 seconds).  So
:func:`~workbench.clean.pipeline.run` records in ``ledger.json`` a *fingerprint* of
everything the cleaning read, and the report cleans again only when the fingerprint of
the inputs as they are now differs from it.  The fingerprint holds:

- every source file: its path, size and SHA-256, and its source settings (encoding,
  date formats, column mapping, preset, ...);
- the cleaning rules (``cleaning:`` and ``company.founded``, as
  :class:`~workbench.clean.rules.CleaningRules` reads them) and, when no ``max_date`` is
  set, the run date (future-dated rows are judged against it);
- the code: a digest of the package's own files, so a new version of the workbench
  cleans again.

A database source (``url`` + ``query``) or a source that is not one file has no
fingerprint: its content cannot be told without reading it, so it is always cleaned.
A fingerprint is a digest of inputs, never a proof: ``workbench report --reclean``
(``clean="always"``) cleans whatever it says.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from .. import io as wio
from ..config import Config
from .rules import CleaningRules

__all__ = ["FINGERPRINT_KEY", "code_digest", "fingerprint", "is_current"]

#: The key of ``ledger.json`` that holds the fingerprint of the run that wrote it.
FINGERPRINT_KEY = "fingerprint"
_VERSION = 1
_PACKAGE = Path(__file__).resolve().parents[1]
_CODE_SUFFIXES = {".py", ".yaml", ".yml", ".json"}


@cache
def code_digest(package: Path = _PACKAGE) -> str:
    """SHA-256 over the package's code and data files (relative path and bytes of each)."""
    h = hashlib.sha256()
    for f in sorted(p for p in package.rglob("*") if p.suffix in _CODE_SUFFIXES
                    and "__pycache__" not in p.parts):
        h.update(f.relative_to(package).as_posix().encode())
        h.update(b"\0")
        h.update(f.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def _settings(obj: Any) -> Any:
    """A dataclass or mapping of settings as JSON-ready values (sorted, paths as text)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        obj = {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
    if isinstance(obj, Mapping):
        return {str(k): _settings(v) for k, v in sorted(obj.items(), key=lambda kv: str(kv[0]))}
    if isinstance(obj, (list, tuple, set, frozenset)):
        items = [_settings(v) for v in obj]
        return sorted(items, key=repr) if isinstance(obj, (set, frozenset)) else items
    return wio.to_jsonable(obj)


def fingerprint(cfg: Config, today: date | None = None) -> dict[str, Any] | None:
    """What a cleaning of ``cfg`` on ``today`` reads, as a JSON-ready mapping; None when a
    source cannot be fingerprinted (a database query, a folder, a missing file).

    Reads every source file once (SHA-256).
    """
    rules = CleaningRules.from_config(cfg)
    specs = sorted(cfg.sources.items())
    if not all(spec.path is not None and Path(spec.path).is_file() for _, spec in specs):
        return None
    sources = [{"table": table, "path": str(spec.path), "bytes": Path(spec.path).stat().st_size,
                "sha256": wio.file_sha256(spec.path), "settings": _settings(spec)}
               for table, spec in specs if spec.path is not None]
    return {"version": _VERSION, "code": code_digest(), "rules": _settings(rules),
            "today": None if rules.max_date is not None else (today or date.today()).isoformat(),
            "files": sources}


def is_current(cfg: Config, today: date | None = None,
               current: Mapping[str, Any] | None = None) -> bool:
    """True when ``cfg.processed_dir`` holds a complete set of clean tables written from
    the inputs, settings and code of :func:`fingerprint` (``current``: that fingerprint,
    when already computed)."""
    folder = Path(cfg.processed_dir)
    try:
        ledger = json.loads((folder / "ledger.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    stored = ledger.get(FINGERPRINT_KEY) if isinstance(ledger, dict) else None
    if not stored:
        return False
    absent = set(ledger.get("absent") or ())
    tables = [t for t, v in ledger.items() if isinstance(v, Mapping) and "rows_in" in v
              and t not in absent]
    files = ["quarantine.parquet", "merge_log.parquet", *(f"{t}.parquet" for t in tables)]
    if not all((folder / f).is_file() for f in files):
        return False
    now = current if current is not None else fingerprint(cfg, today)
    return now is not None and json.loads(json.dumps(now)) == stored
