"""The house's presentation convention for the service room: key results, sentences, tables.

- :func:`key_results` - plain JSON-able values for ``results/service.json``;
- :func:`narrative` - the notebook's named sentences (``i18n`` room ``service``);
- :func:`localize` - a display table with localised headers and values;
- :func:`format_scorecard` - the scorecard as a display table (also used by notebook 00).
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import polars as pl

from .. import i18n
from ..formatting import fmt_int, fmt_money, fmt_pct
from ..frames import as_polars
from .analysis import ServiceAnalysis
from .scorecard import scorecard_dict
from .text import ROOM

__all__ = ["format_scorecard", "key_results", "localize", "narrative"]


def key_results(result: ServiceAnalysis) -> dict[str, Any]:
    """The service step's figures for the manifest (``io.save_step_results``).

    ``nps``, ``nps_ci``, ``csat``, ``complaint_rate`` (per 100 customers on file),
    ``median_resolution_hours`` and ``sla_breaches`` cover the trailing window
    (``window``: first and last day, both included); ``open_backlog`` counts every
    complaint open at the as-of date; ``scorecard`` is :func:`~.scorecard.scorecard_dict`.
    """
    sat, res = result.satisfaction, result.resolution
    return {
        "nps": sat["nps"], "nps_ci": [sat["ci_low"], sat["ci_high"]], "csat": sat["csat_share"],
        "complaint_rate": result.rates["all"].get_column("rate").item(),
        "median_resolution_hours": res["median_hours"],
        "sla_breaches": int(res["breaches"]), "open_backlog": result.backlog.height,
        "window": {"start": result.first_day.isoformat(), "end": result.as_of.isoformat(),
                   "months": result.settings.window_months},
        "outlier_orders": result.outlier_orders,
        "outlier_amounts": result.transaction_settings.outlier_amounts,
        "scorecard": scorecard_dict(result.scorecard),
    }


class _Missing:
    """Stands in for a missing number in a sentence: formats as '-' whatever the format spec."""

    def __format__(self, spec: str) -> str:
        return "-"


def _say(key: str, lang: str, **values: Any) -> str:
    """The sentence ``text.<key>``; missing values (None, NaN) print as "-"."""
    clean = {k: _Missing() if v is None or (isinstance(v, float) and math.isnan(v)) else v
             for k, v in values.items()}
    return i18n.say(f"text.{key}", lang, room=ROOM, **clean)


def _value_label(value: Any, lang: str) -> Any:
    if not isinstance(value, str):
        return value
    label = i18n.t(f"value.{value}", lang, room=ROOM)
    return value if label == f"value.{value}" else label


def _tier_rate(cadence: pl.DataFrame, tier: str) -> float | None:
    row = cadence.filter(pl.col("tier") == tier)
    return row.get_column("visits_per_customer_month").item() if row.height else None


def _card(result: ServiceAnalysis, kpi: str) -> float | None:
    row = result.scorecard.filter(pl.col("kpi") == kpi)
    return row.get_column("current").item() if row.height else None


def narrative(result: ServiceAnalysis, lang: str = "en", currency: str = "CNY") -> dict[str, str]:
    """The notebook's sentences, by name: ``scope, revenue, complaints, backlog, aftermath,
    visits, overdue, nps, detractors, churned``."""
    st, ts = result.settings, result.transaction_settings
    res, sat, diff = result.resolution, result.satisfaction, result.differentiation
    groups = {r["group"]: r for r in result.aftermath.iter_rows(named=True)}
    comp, ctrl = groups.get("complainer", {}), groups.get("control", {})
    policy = i18n.say(f"policy.{ts.outlier_amounts}", lang, room=ROOM,
                      q=ts.outlier_cap_quantile)
    revenue, aov = _card(result, "revenue"), _card(result, "aov")
    active = _card(result, "active_customers")
    return {
        "scope": _say("scope", lang, as_of=result.as_of, months=st.window_months,
                      start=result.first_day, customers=fmt_int(result.customers.height),
                      outliers=result.outlier_orders, policy=policy),
        "revenue": _say("revenue", lang, period=result.scorecard.get_column("period").first(),
                        revenue=fmt_money(revenue, lang, currency),
                        active=fmt_int(active) if active is not None else None,
                        aov=fmt_money(aov, lang, currency)),
        "complaints": _say("complaints", lang, months=st.window_months,
                           n=int(result.rates["all"].get_column("complaints").item()),
                           rate=result.rates["all"].get_column("rate").item(),
                           median=res["median_hours"], p90=res["p90_hours"],
                           breaches=res["breaches"], open_breaches=res["breaches_open"]),
        "backlog": _say("backlog", lang, as_of=result.as_of, n=result.backlog.height,
                        breached=int(result.backlog.get_column("breached").sum()),
                        oldest=result.backlog.get_column("age_days").max()),
        "aftermath": _say("aftermath", lang, days=st.aftermath_days,
                          c_share=comp.get("no_purchase_share"),
                          k_share=ctrl.get("no_purchase_share"),
                          c_change=comp.get("spend_change"), k_change=ctrl.get("spend_change")),
        "visits": _say("visits", lang, a=_tier_rate(result.cadence["tier"], "A"),
                       c=_tier_rate(result.cadence["tier"], "C"), rho=diff["rho"],
                       p=diff["p_value"], n=diff["n"],
                       verdict=_value_label(diff["verdict"], lang)),
        "overdue": _say("overdue", lang, n=result.overdue.height,
                        never=int(result.overdue.get_column("never_visited").sum())),
        "nps": _say("nps", lang, months=st.window_months, nps=sat["nps"], lo=sat["ci_low"],
                    hi=sat["ci_high"], n=sat["n_nps"], conf=st.confidence,
                    csat=sat["csat_share"], csat_mean=sat["csat_mean"]),
        "detractors": _say("detractors", lang, n=result.detractors.height),
        "churned": _say("churned", lang, n=int(result.churned.get_column("customers").sum()),
                        days=st.churn_days),
    }


_VALUE_COLUMNS = ("tier", "owner", "severity", "age_band", "group", "verdict")


def localize(df: Any, lang: str = "en", digits: int = 2) -> pd.DataFrame:
    """A result table ready to display: pandas, headers (and known values) in ``lang``.

    Floating-point columns are rounded to ``digits`` decimals; dates print as
    ``YYYY-MM-DD`` (with ``HH:MM`` when they carry a time); missing values print empty.
    """
    pdf = df.to_pandas() if isinstance(df, pl.DataFrame) else pd.DataFrame(df).copy()
    for col in pdf.columns:
        s = pdf[col]
        if s.dtype.kind == "f":
            s = s.round(digits)
            pdf[col] = s.astype(object).where(s.notna(), "") if s.isna().any() else s
        elif s.dtype.kind == "M":
            has_time = bool((s.dropna().dt.normalize() != s.dropna()).any())
            pdf[col] = s.dt.strftime("%Y-%m-%d %H:%M" if has_time else "%Y-%m-%d").fillna("")
        elif s.dtype.kind in "OU" or str(s.dtype) in ("str", "string"):
            pdf[col] = s.fillna("")
    for col in _VALUE_COLUMNS:
        if col in pdf.columns:
            pdf[col] = pdf[col].map(lambda v: _value_label(v, lang))
    return pdf.rename(columns={c: i18n.t(str(c), lang, room=ROOM) for c in pdf.columns})


def _fmt_value(v: float | None, unit: str, lang: str, currency: str) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    if unit == "count":
        return fmt_int(v)
    if unit == "money":
        return fmt_money(v, lang, currency)
    if unit == "share":
        return fmt_pct(v)
    if unit == "hours":
        return f"{v:,.1f}"
    if unit == "per100":
        return f"{v:.2f}"
    return f"{v:+.1f}" if unit == "points" else f"{v:,.2f}"


def _fmt_delta(d: float | None, note: str | None, kind: str, unit: str, direction: str | None,
               good: bool | None, lang: str) -> str:
    if d is None:
        return i18n.t(f"note.{note or 'no_data'}", lang, room=ROOM)
    arrow = {"up": "▲", "down": "▼", "flat": "="}.get(direction or "", "")
    if kind == "pct":
        text = f"{100 * d:+.1f}%"
    elif unit == "share":
        text = f"{100 * d:+.1f} " + i18n.t("points", lang, room=ROOM)
    else:
        text = f"{d:+.2f}" if unit == "per100" else f"{d:+.1f}"
    mark = "" if good is None else (" ✓" if good else " ✗")
    return f"{arrow} {text}{mark}"


def format_scorecard(sc: Any, lang: str = "en", currency: str = "CNY") -> pd.DataFrame:
    """The scorecard as a display table (pandas, strings), labelled in ``lang``.

    Changes carry an arrow (▲ up, ▼ down), ✓ when the change is good and ✗ when bad
    (for complaint rate and resolution time, down is good); guarded changes read
    "n/a (too few)" / "无(样本过少)".  Money is written with ``formatting.fmt_money``.
    """
    card = as_polars(sc, "scorecard", ["kpi", "label_zh", "label_en", "unit", "delta_kind",
                                       "current"])

    def head(key: str) -> str:
        return i18n.t(key, lang, room=ROOM)

    rows = []
    for r in card.iter_rows(named=True):
        unit = r["unit"]
        rows.append({
            head("kpi"): r["label_zh"] if lang == "zh" else r["label_en"],
            f"{head('current')} {r['period']}": _fmt_value(r["current"], unit, lang, currency),
            f"{head('previous')} {r['previous_period']}":
                _fmt_value(r["previous"], unit, lang, currency),
            head("prev_delta"): _fmt_delta(r["prev_delta"], r["prev_note"], r["delta_kind"], unit,
                                           r["direction"], r["good"], lang),
            f"{head('last_year')} {r['last_year_period']}":
                _fmt_value(r["last_year"], unit, lang, currency),
            head("yoy_delta"): _fmt_delta(r["yoy_delta"], r["yoy_note"], r["delta_kind"], unit,
                                          r["yoy_direction"], r["yoy_good"], lang),
        })
    return pd.DataFrame(rows)
