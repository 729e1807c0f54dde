"""The executive summary in words: findings from the steps' key results, the opening line,
the links to the section reports, and display tables.

The house's presentation convention: :func:`narrative` gives named sentences (the text
lives in the i18n room ``report``, :mod:`workbench.report.text`), :func:`localize` a
display table with localised headers.  Money is written in the company's currency
(``Context.currency``, a code such as ``CNY``) by :func:`workbench.formatting.fmt_money`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import pandas as pd

from .. import i18n, periods
from ..formatting import fmt_int, fmt_money, fmt_pct
from ..frames import as_polars
from .steps import NOTEBOOKS, SUMMARY
from .text import ROOM

__all__ = ["findings", "findings_markdown", "localize", "narrative", "section_links",
           "summary_intro"]


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    return None


def _sum_key(tables: Mapping[str, Any], key: str) -> float:
    return float(sum(_num(v.get(key)) or 0 for v in tables.values() if isinstance(v, Mapping)))


def _ledger_tables(cleaning: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {k: v for k, v in cleaning.items() if isinstance(v, Mapping) and "rows_in" in v}


def _scorecard(service: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """The service step's scorecard ``{kpi: {current, previous, prev_delta, ...}}`` (or {})."""
    sc = service.get("scorecard")
    if not isinstance(sc, Mapping):
        return {}
    return {str(k): v for k, v in sc.items() if isinstance(v, Mapping)}


def _revenue(sc: Mapping[str, Mapping[str, Any]], money) -> tuple[str, dict[str, Any]] | None:
    rev = sc.get("revenue") or {}
    cur, prev = _num(rev.get("current")), _num(rev.get("previous"))
    if cur is None:
        return None
    change = _num(rev.get("prev_delta"))
    if change is None and prev:
        change = cur / prev - 1
    if change is None:  # without a comparable previous period the level alone is no finding
        return None
    if abs(change) < 0.0005:
        return "revenue_flat", {"cur": money(cur), "pct": "0%"}
    key = "revenue_up" if change > 0 else "revenue_down"
    return key, {"cur": money(cur), "pct": fmt_pct(abs(change))}


def _tier_a(seg: Mapping[str, Any], sc: Mapping[str, Mapping[str, Any]],
            share: float | None) -> tuple[str, dict[str, Any]] | None:
    tiers = seg.get("tiers") or {}
    # Tiers are given to buying customers, so the tiers' sum is the base.
    total = float(sum(_num(v) or 0 for v in tiers.values())) or _num(seg.get("customers"))
    n_a = _num(tiers.get("A"))
    if n_a is None or not total:
        return None
    if share is None and isinstance(seg.get("tier_revenue_share"), Mapping):
        share = _num(seg["tier_revenue_share"].get("A"))
    if share is None:
        share = _num((sc.get("revenue_share_A") or {}).get("current"))
    values: dict[str, Any] = {"n": int(n_a), "total": int(total), "cshare": fmt_pct(n_a / total)}
    if share is None:
        return "tier_a_count", values
    return "tier_a", {**values, "rshare": fmt_pct(share)}


def _churn_risk(churn: Mapping[str, Any], money) -> tuple[str, dict[str, Any]] | None:
    risk = churn.get("revenue_at_risk")
    total = _num(risk.get("total")) if isinstance(risk, Mapping) else _num(risk)
    if total is None:
        return None
    flagged = _num(churn.get("flagged", churn.get("warning_list_size", churn.get("n_flagged"))))
    if flagged is None:
        return "churn_risk_money", {"money": money(total)}
    return "churn_risk", {"n": int(flagged), "money": money(total)}


def _churn_model(churn: Mapping[str, Any]) -> tuple[str, dict[str, Any]] | None:
    auc = _num(churn.get("roc_auc"))
    base = _num(((churn.get("baselines") or {}).get("recency") or {}).get("roc_auc"))
    lift = _num(churn.get("lift_at_10"))
    if auc is None or base is None or lift is None:
        return None
    return ("churn_model" if auc > base else "churn_model_weak"), {"auc": auc, "base": base,
                                                                   "lift": lift}


def _clv(clv: Mapping[str, Any]) -> tuple[str, dict[str, Any]] | None:
    mae, base = _num(clv.get("holdout_mae")), _num(clv.get("baseline_mae"))
    if mae is None:
        return None
    model = clv.get("model", "?")
    if base is None:
        return "clv", {"model": model, "mae": mae}
    return "clv_base", {"model": model, "mae": mae, "base": base}


def _quarantine(cleaning: Mapping[str, Any]) -> tuple[str, dict[str, Any]] | None:
    tables = _ledger_tables(cleaning)
    rows_in = _sum_key(tables, "rows_in")
    if not rows_in:
        return None
    q = _sum_key(tables, "rows_quarantined")
    return "quarantine", {"q": fmt_int(q), "share": fmt_pct(q / rows_in),
                          "m": fmt_int(_sum_key(tables, "rows_merged"))}


def narrative(results: Mapping[str, Any], lang: str = "en", currency: str = "CNY", *,
              tier_revenue_share: float | None = None) -> dict[str, str]:
    """The findings that matter, as named sentences, from the steps' key results.

    Args:
        results: ``{step: key results}`` as from :func:`workbench.report.gather_results`.
        lang: ``zh`` or ``en``.
        currency: the company's currency code (``Context.currency``), e.g. ``CNY``.
        tier_revenue_share: share of revenue from tier-A customers, when the caller has it;
            otherwise the segmentation's ``tier_revenue_share.A``, else the service
            scorecard's ``revenue_share_A`` of the period.

    Returns:
        ``{name: sentence}`` in order of business weight: ``revenue`` (change on the
        previous period), ``tier_a`` (concentration), ``churn_risk`` (revenue at risk),
        ``churn_model`` (model quality), ``clv`` (validation error), ``quarantine`` (data
        quality), ``nps``.  A step without results gives no sentence.
    """
    def money(v: float) -> str:
        return fmt_money(v, lang, currency)

    service = results.get("service") or {}
    sc = _scorecard(service)
    churn = results.get("churn") or {}
    nps = _num(service.get("nps"))
    found = {
        "revenue": _revenue(sc, money),
        "tier_a": _tier_a(results.get("segmentation") or {}, sc, tier_revenue_share),
        "churn_risk": _churn_risk(churn, money),
        "churn_model": _churn_model(churn),
        "clv": _clv(results.get("clv") or {}),
        "quarantine": _quarantine(results.get("cleaning") or {}),
        "nps": None if nps is None else ("nps", {"nps": nps}),
    }
    return {name: i18n.say(key, lang, ROOM, **values)
            for name, hit in found.items() if hit is not None for key, values in [hit]}


def findings(results: Mapping[str, Any], lang: str = "en", *,
             tier_revenue_share: float | None = None, currency: str = "CNY",
             limit: int = 5) -> list[str]:
    """The sentences of :func:`narrative`, most important first, at most ``limit`` of them
    (3 to 5 is what a reader takes in)."""
    said = narrative(results, lang, currency, tier_revenue_share=tier_revenue_share)
    return list(said.values())[:limit]


def findings_markdown(items: Sequence[str]) -> str:
    """Findings as a Markdown bullet list (a dash when there are none)."""
    return "\n".join(f"- {x}" for x in items) if items else "- –"


def section_links(lang: str = "en", notebooks: Sequence[str] = NOTEBOOKS) -> str:
    """Markdown links from the summary to each section report of the same period."""
    return "\n".join(f"- [{i18n.t(n, lang, ROOM)}]({n}.html)" for n in notebooks if n != SUMMARY)


def summary_intro(company: str | None, as_of: date, freq: str = "month", lang: str = "en") -> str:
    """The opening line of the summary: company, period and as-of date."""
    start, _ = periods.period_bounds(as_of, freq)
    return i18n.say("intro", lang, ROOM, company=company or "",
                    label=periods.period_of(as_of, freq), start=start, end=as_of)


def localize(df: Any, lang: str = "en") -> pd.DataFrame:
    """A display table with localised headers (e.g. :func:`workbench.report.revenue_by_tier`)."""
    table = as_polars(df, "table").to_pandas()
    return table.rename(columns=i18n.column_labels(table.columns, lang, ROOM))
