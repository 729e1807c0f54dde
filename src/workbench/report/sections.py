"""Sections that cannot run: their status, the page that explains why, and the note the
summary shows in their place.

A step that raises one of :data:`~workbench.report.steps.SKIPPABLE_ERRORS` (a missing
input, a model that cannot be fitted) is *skipped*: its page says plainly what happened
and which input it would need, the steps that need its output are skipped with that
reason, and the rest of the report publishes.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from .. import config as config_mod
from .. import i18n, transactions
from .steps import STEP_TABLES
from .text import ROOM

__all__ = ["SectionStatus", "input_status", "missing_note", "skipped_content"]

i18n.register({
    "section.skipped_title": {"zh": "本节未能生成", "en": "This section could not be produced"},
    "section.skipped_lead": {
        "zh": "报告期 {period}（截至 {as_of}）的这一节没有生成；报告的其他部分照常发布。",
        "en": "This section was not produced for period {period} (as of {as_of}); the rest of "
              "the report is published as usual."},
    "section.reason": {"zh": "原因", "en": "Why"},
    "section.inputs": {"zh": "本节需要的数据", "en": "What this section needs"},
    "section.input_ok": {"zh": "{table}：{rows} 行（截至 {as_of}）",
                         "en": "{table}: {rows} rows known at {as_of}"},
    "section.input_unconfigured": {
        "zh": "{table}：配置中没有数据源（在 workbench.yaml 的 sources.{table} 中添加导出文件）",
        "en": "{table}: no source in the configuration (add the export as sources.{table} in "
              "workbench.yaml)"},
    "section.input_missing": {
        "zh": "{table}：清洗后的表 {path} 不存在（运行 workbench clean）",
        "en": "{table}: the clean table {path} does not exist (run workbench clean)"},
    "section.input_empty": {
        "zh": "{table}：截至 {as_of} 没有数据（清洗后共 {total} 行）",
        "en": "{table}: no rows known at {as_of} ({total} rows after cleaning)"},
    "section.needs_step": {
        "zh": "本节需要“{needed}”一节的结果，而该节未能生成：{reason}",
        "en": "This section needs the results of “{needed}”, which could not be produced: "
              "{reason}"},
    "section.missing_note": {
        "zh": "（此处需要“{section}”一节的结果；该节本期未能生成，原因见该节页面。）",
        "en": "(This part needs the results of “{section}”, which could not be produced for "
              "this period; its page says why.)"},
}, room=ROOM)


@dataclass
class SectionStatus:
    """How one section of a period went: ``ok``, ``skipped`` or ``failed``, and why."""

    status: str
    reason: str | None = None
    #: the exception that made it skip (None: skipped because a step it needs was)
    ename: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, "reason": self.reason}


def input_status(cfg: config_mod.Config, tables: Sequence[str], as_of: date,
                 lang: str) -> list[tuple[bool, str]]:
    """For each clean table a step reads: (usable, a sentence saying what is there)."""
    out: list[tuple[bool, str]] = []
    for table in tables:
        path = Path(cfg.processed_dir) / f"{table}.parquet"
        if table not in cfg.sources and not path.is_file():
            out.append((False, i18n.say("section.input_unconfigured", lang, ROOM, table=table)))
            continue
        if not path.is_file():
            out.append((False, i18n.say("section.input_missing", lang, ROOM, table=table,
                                        path=str(path))))
            continue
        try:
            scan = pl.scan_parquet(path)
            total = scan.select(pl.len()).collect().item()
            known = transactions.as_of_filter(scan, table, as_of).select(pl.len()).collect().item()
        except Exception as exc:  # noqa: BLE001 - an unreadable table is reported, not raised
            out.append((False, f"{table}: {path}: {type(exc).__name__}: {exc}"))
            continue
        if known == 0:
            out.append((False, i18n.say("section.input_empty", lang, ROOM, table=table,
                                        as_of=as_of.isoformat(), total=f"{total:,}")))
        else:
            out.append((True, i18n.say("section.input_ok", lang, ROOM, table=table,
                                       rows=f"{known:,}", as_of=as_of.isoformat())))
    return out


def skipped_content(step: str, reason: str, cfg: config_mod.Config, label: str, as_of: date,
                    lang: str, tables: Sequence[str] | None = None) -> str:
    """The HTML body of a skipped section's page: what happened, why, and its inputs."""
    inputs = input_status(cfg, STEP_TABLES.get(step, ()) if tables is None else tables,
                          as_of, lang)
    items = "".join(f'<li class="{"ok" if ok else "missing"}">{html.escape(text)}</li>'
                    for ok, text in inputs)
    lead = i18n.say("section.skipped_lead", lang, ROOM, period=label, as_of=as_of.isoformat())
    parts = [f"<h1>{html.escape(i18n.t(step, lang, ROOM))}</h1>",
             f"<h2>{html.escape(i18n.t('section.skipped_title', lang, ROOM))}</h2>",
             f"<p>{html.escape(lead)}</p>",
             f"<h2>{html.escape(i18n.t('section.reason', lang, ROOM))}</h2>",
             f'<p class="wb-reason">{html.escape(reason)}</p>']
    if items:
        parts += [f"<h2>{html.escape(i18n.t('section.inputs', lang, ROOM))}</h2>",
                  f"<ul>{items}</ul>"]
    return "".join(parts)


def needs_reason(needed: str, reason: str, lang: str) -> str:
    """Why a step is skipped when a step it needs was skipped."""
    return i18n.say("section.needs_step", lang, ROOM, needed=i18n.t(needed, lang, ROOM),
                    reason=reason)


def missing_note(step: str, lang: str) -> str:
    """The sentence the summary shows where a part needs a section that could not run."""
    return i18n.say("section.missing_note", lang, ROOM, section=i18n.t(step, lang, ROOM))


def sections_of(records: Mapping[str, SectionStatus]) -> dict[str, dict[str, Any]]:
    """The manifest's ``sections`` entry."""
    return {name: s.as_dict() for name, s in records.items()}
