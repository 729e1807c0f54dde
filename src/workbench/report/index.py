"""``<reports>/index.html``: every period the reports folder holds, with its status and a link."""

from __future__ import annotations

import html
import json
import os
from pathlib import Path
from typing import Any

from .. import i18n
from .render import simple_page
from .steps import FAILED_DIR
from .text import ROOM

__all__ = ["build_reports_index"]

_COLUMNS = ("period", "as_of", "status", "run_at", "duration", "report")


def _entries(root: Path) -> list[tuple[str, dict[str, Any], str]]:
    """(period label, manifest, link) of every published and failed period, newest first."""
    entries = []
    manifests = sorted(root.glob("*/manifest.json")) + sorted(
        root.glob(f"{FAILED_DIR}/*/manifest.json"))
    for mf in manifests:
        try:
            m = json.loads(mf.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        folder = mf.parent.relative_to(root).as_posix()
        target = "index.html" if (mf.parent / "index.html").is_file() else "run.log"
        entries.append((str(m.get("period", mf.parent.name)), m, f"{folder}/{target}"))
    entries.sort(key=lambda e: (e[0], e[1].get("status") == "ok"), reverse=True)
    return entries


def build_reports_index(reports_dir: str | os.PathLike[str], lang: str = "en") -> Path:
    """Rebuild ``<reports_dir>/index.html`` from the period folders and their manifests.

    Lists every ``<period>/manifest.json`` and every ``_failed/<period>/manifest.json``
    (newest period first) with status, as-of date, run time and a link.  Writes the file.
    """
    root = Path(reports_dir)

    def t(key: str) -> str:
        return html.escape(i18n.t(key, lang, ROOM))

    rows = []
    for label, m, href in _entries(root):
        status = str(m.get("status", "?"))
        rows.append(
            f'<tr class="status-{html.escape(status)}"><td>{html.escape(label)}</td>'
            f'<td>{html.escape(str(m.get("as_of", "")))}</td><td>{html.escape(status)}</td>'
            f'<td>{html.escape(str(m.get("finished", ""))[:19].replace("T", " "))}</td>'
            f'<td>{html.escape(str(m.get("seconds", "")))}</td>'
            f'<td><a href="{html.escape(href)}">{t("report")}</a></td></tr>')
    head = "".join(f"<th>{t(k)}</th>" for k in _COLUMNS)
    content = (f'<h1>{t("reports_title")}</h1><table class="dataframe wb-index">'
               f'<thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>')
    path = root / "index.html"
    root.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".index.html.{os.getpid()}.tmp")
    tmp.write_text(simple_page(i18n.t("reports_title", lang, ROOM), content, lang),
                   encoding="utf-8")
    os.replace(tmp, path)
    return path
