"""The management room's presentation: key results, sentences, display tables, the alerts box."""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd
import polars as pl

from .. import i18n
from ..formatting import fmt_money, fmt_pct
from ..frames import as_polars
from .analysis import ManagementAnalysis
from .care import ACTION_KINDS
from .forecast import METHODS
from .text import ROOM

__all__ = ["alerts_box", "csv_only_note", "key_results", "localize", "narrative"]


def csv_only_note(names: Iterable[str], lang: str, limit: int) -> str | None:
    """The note naming the lists written as CSV only (longer than ``limit`` rows), or None.

    ``names`` are the files' names; the owners' care plans (``care_plan_<owner>``) are named
    once, as ``care_plan``.
    """
    names = list(names)
    if not names:
        return None
    lists = {"care_plan" if n.startswith("care_plan_") else n for n in names}
    return i18n.say("csv_only", lang, room=ROOM, limit=limit, names=", ".join(sorted(lists)))


def _rows(df: pl.DataFrame) -> list[dict[str, Any]]:
    return df.to_dicts()


def key_results(result: ManagementAnalysis) -> dict[str, Any]:
    """The step's figures for ``results/management.json`` (``io.save_step_results``).

    ``performance`` (one row per owner), ``performance_by`` (team, region), ``care_plan``
    (actions per kind, and per owner and kind), ``forecast`` (``backtest`` WAPE and bias of
    the model and both baselines at the total and customer level, ``useful``, per cut-off
    totals; ``next`` the forecast of the next period in total and by owner, region,
    category; ``tracking`` last period's forecast against actual), ``pool``, ``alerts``
    (those that fired), ``alerts_skipped`` and ``figures`` (what the next period's alerts
    compare with).
    """
    bt = result.backtest
    errors = {level: {m: {"wape": bt.figure(level, m), "bias": bt.figure(level, m, "bias")}
                      for m in METHODS} for level in ("total", "customer")}
    plan = result.care_plan
    per_kind = {k: int(plan.filter(pl.col("kind") == k).height) for k in ACTION_KINDS}
    per_owner: dict[str, dict[str, int]] = {}
    for r in plan.group_by("owner", "kind").agg(pl.len()).iter_rows(named=True):
        per_owner.setdefault(r["owner"], {})[r["kind"]] = int(r["len"])
    d = result.forecast_detail
    nxt = {"period": d["period"], "start": d["start"], "end": d["end"],
           "total": result.forecast_total, "known_customers": float(
               result.forecast.get_column("forecast").sum()),
           "new_buyers": result.forecast_new_buyers, "season": d["season"],
           "model": d["model"]}
    for by, table in result.rollups.items():
        nxt[f"by_{by}"] = dict(zip(table.get_column(by).to_list(),
                                   table.get_column("forecast").to_list(), strict=True))
    return {
        "as_of": result.as_of, "freq": result.freq,
        "performance": _rows(result.performance["owner"]),
        "performance_by": {by: _rows(result.performance[by]) for by in ("team", "region")},
        "care_plan": {"total": plan.height, "per_kind": per_kind, "per_owner": per_owner},
        "forecast": {"backtest": errors, "useful": bt.useful,
                     "cutoffs": [c.isoformat() for c in bt.cutoffs],
                     "totals": _rows(bt.totals), "next": nxt, "tracking": result.tracking},
        "pool": {"reclaim": result.reclaim.height,
                 "reclaim_value": float(result.reclaim.get_column("value").sum()),
                 "claim": result.claim.height},
        "alerts": result.alerts.get("fired", []),
        "alerts_skipped": result.alerts.get("skipped", {}),
        "figures": result.figures,
    }


def narrative(result: ManagementAnalysis, lang: str = "en", currency: str = "CNY"
              ) -> dict[str, str]:
    """Named sentences for notebook 06: ``forecast`` (is the model useful), ``tracking``,
    ``care_plan``, ``pool``."""
    def money(v: float | None) -> str:
        return fmt_money(v, lang, currency)

    bt = result.backtest
    w = {m: bt.figure("total", m) for m in METHODS}
    b = {m: bt.figure("total", m, "bias") for m in METHODS}
    out: dict[str, str] = {}
    if w["model"] is None:
        out["forecast"] = i18n.t("text.forecast_none", lang, room=ROOM)
    else:
        key = "text.forecast_useful" if bt.useful else "text.forecast_not_useful"
        out["forecast"] = i18n.say(key, lang, room=ROOM, n=len(bt.cutoffs),
                                   model=fmt_pct(w["model"]),
                                   practice=fmt_pct(w["practice"]) if w["practice"] is not None else "-",
                                   naive=(fmt_pct(w["seasonal_naive"])
                                          if w["seasonal_naive"] is not None else "-"),
                                   bias=fmt_pct(b["model"] or 0.0))
    cw = bt.figure("customer", "model")
    if cw is not None:
        out["forecast_customer"] = i18n.say(
            "text.forecast_customer", lang, room=ROOM, model=fmt_pct(cw),
            practice=fmt_pct(bt.figure("customer", "practice") or 0.0),
            naive=fmt_pct(bt.figure("customer", "seasonal_naive") or 0.0))
    d = result.forecast_detail
    out["next"] = i18n.say("text.next", lang, room=ROOM, period=d["period"],
                           total=money(result.forecast_total), new=money(result.forecast_new_buyers),
                           season=d["season"])
    t = result.tracking
    if t is None:
        out["tracking"] = i18n.t("text.tracking_none", lang, room=ROOM)
    else:
        out["tracking"] = i18n.say("text.tracking", lang, room=ROOM, period=t["period"],
                                   fc=money(t["forecast"]), act=money(t["actual"]),
                                   miss=fmt_pct(t["miss"]) if t["miss"] is not None else "-")
    plan = result.care_plan
    out["care_plan"] = i18n.say("text.care_plan", lang, room=ROOM, n=plan.height,
                                owners=plan.get_column("owner").n_unique())
    out["pool"] = i18n.say("text.pool", lang, room=ROOM, n=result.reclaim.height,
                           value=money(float(result.reclaim.get_column("value").sum())),
                           days=result.settings.reclaim_days, claim=result.claim.height)
    return out


def localize(df: Any, lang: str = "en") -> pd.DataFrame:
    """A display table with headers and values (owners, kinds, tiers) in ``lang``."""
    t = as_polars(df, "table")
    words = {"shared_pool", "unassigned", "too_few", "none"}
    for c in ("owner", "team", "region", "note", "tier"):
        if c in t.columns:
            t = t.with_columns(pl.col(c).replace_strict(
                {w: i18n.t(w, lang, room=ROOM) for w in words}, default=pl.col(c),
                return_dtype=pl.String))
    if "kind" in t.columns:
        t = t.with_columns(pl.col("kind").replace_strict(
            {k: i18n.t(f"kind.{k}", lang, room=ROOM) for k in ACTION_KINDS}, default=pl.col("kind"),
            return_dtype=pl.String))
    return t.to_pandas().rename(columns=headers(t.columns, lang))


def headers(columns: Any, lang: str = "en") -> dict[str, str]:
    """Column -> localised header (unknown columns keep their name)."""
    out = {}
    for c in columns:
        label = i18n.t(c, lang, room=ROOM)
        out[c] = label if label != f"{ROOM}.{c}" and label != c else c
    return out


def alerts_box(results: Mapping[str, Any], lang: str = "en") -> str:
    """The alerts of ``results/management.json`` as an escaped HTML box ('' without results)."""
    if not results:
        return ""
    fired = results.get("alerts") or []
    title = html.escape(i18n.t("alerts_title", lang, room=ROOM))
    if not fired:
        return (f'<div class="wb-alerts wb-alerts-none"><strong>{title}</strong>: '
                f'{html.escape(i18n.t("no_alerts", lang, room=ROOM))}</div>')
    items = "".join(f"<li>{html.escape(str(a.get('message', a.get('key'))))}</li>" for a in fired)
    return f'<div class="wb-alerts" role="alert"><strong>⚠ {title}</strong><ul>{items}</ul></div>'
