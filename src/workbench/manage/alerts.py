"""Alerts: thresholds of ``management.alerts`` checked against this period and the last.

Each alert compares a figure of this period's management results with the previous
period's (``<processed>/<previous as_of>/results/management.json``) or with a level:

- ``tier_a_risk_up``: tier-A revenue at risk (churn warning list) up more than the
  threshold (0.2 = 20 %) on the previous period;
- ``nps_down``: company NPS (latest answer per customer, trailing window) down more than
  the threshold in points;
- ``sla_breach_share``: share of the complaints opened in the period that breached their
  SLA above the threshold;
- ``forecast_miss``: last period's revenue forecast missed this period's actual by more
  than the threshold (``|actual - forecast| / |actual|``).

An alert fires only when both figures exist; a missing one is listed in ``skipped`` with
the reason, so a quiet alert box never hides that nothing could be checked.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .. import i18n
from .text import ROOM

__all__ = ["check_alerts"]


def _num(v: Any) -> float | None:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def check_alerts(figures: Mapping[str, Any], previous: Mapping[str, Any],
                 thresholds: Mapping[str, float | None], *, lang: str = "en",
                 money: Callable[[float], str] = lambda v: f"{v:,.0f}") -> dict[str, Any]:
    """Alerts that fired and checks that could not run.

    Args:
        figures: this period's ``{tier_a_revenue_at_risk, nps, sla_breach_share,
            sla_complaints, revenue_actual}``.
        previous: the previous period's figures (same keys) plus ``forecast_next`` (the
            revenue it forecast for this period); empty when there is no previous report.
        thresholds: ``ManagementSettings.alerts``.

    Returns:
        ``{"fired": [{key, value, threshold, message}], "skipped": {key: reason}}``.
    """
    fired: list[dict[str, Any]] = []
    skipped: dict[str, str] = {}

    def fire(key: str, value: float, limit: float, **values: Any) -> None:
        fired.append({"key": key, "value": value, "threshold": limit,
                      "message": i18n.say(f"alert.{key}", lang, room=ROOM, limit=limit,
                                          **values)})

    for key, limit in thresholds.items():
        if limit is None:
            continue
        if key == "tier_a_risk_up":
            cur, prev = _num(figures.get("tier_a_revenue_at_risk")), _num(
                previous.get("tier_a_revenue_at_risk"))
            if cur is None or prev is None or prev <= 0:
                skipped[key] = "no previous period" if prev is None else "no data"
                continue
            change = cur / prev - 1
            if change > limit:
                fire(key, change, limit, change=change, cur=money(cur))
        elif key == "nps_down":
            cur, prev = _num(figures.get("nps")), _num(previous.get("nps"))
            if cur is None or prev is None:
                skipped[key] = "no previous period" if prev is None else "no data"
                continue
            if prev - cur > limit:
                fire(key, prev - cur, limit, change=prev - cur, cur=cur)
        elif key == "sla_breach_share":
            share, n = _num(figures.get("sla_breach_share")), figures.get("sla_complaints") or 0
            if share is None or not n:
                skipped[key] = "no complaint this period"
                continue
            if share > limit:
                fire(key, share, limit, share=share, n=n)
        elif key == "forecast_miss":
            fc, act = _num(previous.get("forecast_next")), _num(figures.get("revenue_actual"))
            if fc is None or act is None or act == 0:
                skipped[key] = "no forecast from the previous period" if fc is None else "no data"
                continue
            miss = abs(act - fc) / abs(act)
            if miss > limit:
                fire(key, miss, limit, miss=miss, fc=money(fc), act=money(act))
    return {"fired": fired, "skipped": skipped}
