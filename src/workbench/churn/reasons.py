"""Reasons for each customer's risk (rules read from the customer's own data) and a suggested action.

The rules' words are in the text store (``reason_<code>``, ``action_<kind>_<tier>``
in room ``churn``); this module decides which rules fire and in which order.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import polars as pl

from .. import i18n
from ..errors import UsageError
from .groups import FeatureSet
from .text import ROOM

__all__ = ["RULE_CODES", "explain", "suggest_action"]

Row = dict[str, Any]
Stats = dict[str, float]


@dataclass(frozen=True)
class _Rule:
    code: str
    features: tuple[str, ...]
    test: Callable[[Row, Stats], bool]
    values: Callable[[Row, Stats], dict[str, float | str]]

    def text(self, row: Row, stats: Stats, lang: str) -> str:
        return i18n.say(f"reason_{self.code}", lang, room=ROOM, **self.values(row, stats))


def _v(row: Row, key: str) -> float:
    x = row.get(key)
    return float("nan") if x is None else float(x)


def _ok(x: float) -> bool:
    return not math.isnan(x)


def _cycle(row: Row, pop: Stats) -> float:
    g = _v(row, "typical_gap_days")
    return g if _ok(g) and g > 0 else pop["median_gap_days"]


def _unresolved(r: Row, p: Stats) -> dict[str, float | str]:
    n = _v(r, "unresolved_complaints")
    return {"n": n, "plural": "s" if n > 1 else ""}


def _spend_drop(r: Row, p: Stats) -> dict[str, float | str]:
    return {"pct": 100 * (1 - _v(r, "spend_90d") / _v(r, "spend_prev_90d"))}


_RULES: tuple[_Rule, ...] = (
    _Rule("unresolved_complaints", ("unresolved_complaints",),
          lambda r, p: _v(r, "unresolved_complaints") >= 1, _unresolved),
    _Rule("severe_complaint", ("max_severity",),
          lambda r, p: _v(r, "max_severity") >= 3, lambda r, p: {}),
    _Rule("recent_complaints", ("complaints_180d", "complaints_count"),
          lambda r, p: _v(r, "complaints_180d") >= max(2.0, p["q90_complaints_180d"]),
          lambda r, p: {"n": _v(r, "complaints_180d")}),
    _Rule("overdue", ("recency_days", "recency_vs_cycle"),
          lambda r, p: _v(r, "recency_days") >= 30 and _v(r, "recency_days") > 1.5 * _cycle(r, p),
          lambda r, p: {"days": _v(r, "recency_days"), "cycle": _cycle(r, p)}),
    _Rule("detractor", ("latest_nps",),
          lambda r, p: _ok(_v(r, "latest_nps")) and _v(r, "latest_nps") <= 6,
          lambda r, p: {"nps": _v(r, "latest_nps")}),
    _Rule("low_csat", ("latest_csat",),
          lambda r, p: _ok(_v(r, "latest_csat")) and _v(r, "latest_csat") <= 2,
          lambda r, p: {"csat": _v(r, "latest_csat")}),
    _Rule("few_visits", ("visits_90d", "days_since_visit", "visits_180d"),
          lambda r, p: _v(r, "visits_90d") == 0 and p["median_visits_180d"] >= 1,
          lambda r, p: {"median": p["median_visits_180d"]}),
    _Rule("spend_decline", ("spend_trend", "spend_90d", "spend_prev_90d"),
          lambda r, p: _v(r, "spend_prev_90d") > 0 and _v(r, "spend_90d") <= 0.6 * _v(r, "spend_prev_90d"),
          _spend_drop),
    _Rule("order_decline", ("orders_90d", "orders_prev_90d", "order_trend"),
          lambda r, p: _v(r, "orders_prev_90d") >= 2 and _v(r, "orders_90d") < _v(r, "orders_prev_90d"),
          lambda r, p: {"last": _v(r, "orders_90d"), "prev": _v(r, "orders_prev_90d")}),
    _Rule("returns", ("return_share", "returns_count", "returns_180d"),
          lambda r, p: _v(r, "return_share") >= 0.2,
          lambda r, p: {"pct": 100 * _v(r, "return_share")}),
    _Rule("one_time", ("purchase_days", "frequency"),
          lambda r, p: _v(r, "purchase_days") == 1,
          lambda r, p: {"days": _v(r, "tenure_days")}),
    _Rule("low_p_alive", ("p_alive",),
          lambda r, p: _ok(_v(r, "p_alive")) and _v(r, "p_alive") < 0.5,
          lambda r, p: {"pct": 100 * _v(r, "p_alive")}),
)
RULE_CODES = tuple(r.code for r in _RULES)


def _population_stats(frame: pl.DataFrame, gap_median: float) -> Stats:
    def q(col: str, p: float) -> float:
        if col not in frame.columns:
            return float("inf")
        v = frame.get_column(col).quantile(p)
        return float(v) if v is not None else float("inf")

    med = frame.get_column("visits_180d").median() if "visits_180d" in frame.columns else 0.0
    return {"median_gap_days": gap_median, "q90_complaints_180d": q("complaints_180d", 0.9),
            "median_visits_180d": float(med) if isinstance(med, (int, float)) else 0.0}


def explain(features: FeatureSet, importance: pd.DataFrame, median_gap_days: float,
            customer_ids: Sequence[str] | None = None, top: int = 3) -> pl.DataFrame:
    """The top reasons for each customer's risk, in plain words (zh and en).

    Method: each rule (e.g. "unresolved complaint", "overdue against own purchase
    cycle", "NPS detractor") compares the customer's feature values with a fixed
    threshold or with the population at the same cut-off; the rules that fire are
    ranked by the global permutation importance of the features behind them, and
    the ``top`` first are kept.  Rules whose feature group is missing never fire.

    Args:
        features: the features at the scoring date.
        importance: the output of :func:`workbench.churn.permutation_importances`.
        median_gap_days: the population's median gap between purchases (used when a
            customer has bought only once).
        customer_ids: restrict to these customers (default: all).

    Returns:
        ``customer_id, reason_codes`` (list), ``reasons_en``, ``reasons_zh`` (joined with "; " / "；").
    """
    frame = features.frame
    if customer_ids is not None:
        frame = frame.filter(pl.col("customer_id").is_in(list(customer_ids)))
    imp = dict(zip(importance["feature"], importance["importance"], strict=True))
    pstats = _population_stats(features.frame, median_gap_days)
    available = set(features.frame.columns)
    rules = [r for r in _RULES if all(f in available for f in r.features[:1])]
    weight = {r.code: max(imp.get(f, 0.0) for f in r.features) for r in rules}
    ranked = sorted(rules, key=lambda r: (-weight[r.code], RULE_CODES.index(r.code)))
    sep = {lang: i18n.t("reason_sep", lang, room=ROOM) for lang in ("en", "zh")}
    none = {lang: i18n.t("reason_none", lang, room=ROOM) for lang in ("en", "zh")}
    codes, en, zh = [], [], []
    for row in frame.iter_rows(named=True):
        fired = [r for r in ranked if r.test(row, pstats)][:top]
        codes.append([r.code for r in fired])
        en.append(sep["en"].join(r.text(row, pstats, "en") for r in fired) or none["en"])
        zh.append(sep["zh"].join(r.text(row, pstats, "zh") for r in fired) or none["zh"])
    return pl.DataFrame({"customer_id": frame.get_column("customer_id"),
                         "reason_codes": pl.Series(codes, dtype=pl.List(pl.String)),
                         "reasons_en": en, "reasons_zh": zh})


_REASON_KIND = {"unresolved_complaints": "complaint", "severe_complaint": "complaint",
                "recent_complaints": "complaint", "detractor": "satisfaction",
                "low_csat": "satisfaction", "few_visits": "contact", "returns": "returns",
                "overdue": "activity", "spend_decline": "activity", "order_decline": "activity",
                "low_p_alive": "activity", "one_time": "activity"}
# Actions with their own words for a tier; the others use ``action_<kind>_any``.
_TIERED = {("complaint", "A"), ("satisfaction", "A"), ("contact", "A"), ("contact", "B"),
           ("activity", "A"), ("activity", "B")}


def suggest_action(tier: str | None, reason_codes: Sequence[str], lang: str = "en") -> str:
    """A suggested retention action from the tier and the top reason.

    An open or severe complaint comes first whatever its rank (it is the most
    actionable); otherwise the top reason decides: dissatisfaction -> a
    satisfaction call, no contact -> a visit (A/B) or a check-in (C), returns ->
    a quality review, falling activity -> an offer scaled to the tier.
    """
    if lang not in i18n.LANGS:
        raise UsageError(f"lang '{lang}' is not supported; use 'zh' or 'en'.")
    codes = list(reason_codes)
    if "unresolved_complaints" in codes:
        kind = "complaint"
    else:
        kind = next((_REASON_KIND[c] for c in codes if c in _REASON_KIND), "activity")
    t = tier if tier in ("A", "B", "C") else "C"
    return i18n.t(f"action_{kind}_{t if (kind, t) in _TIERED else 'any'}", lang, room=ROOM)
