"""Reasons for each customer's risk (rules read from the customer's own data) and a suggested action.

The rules' words are in the text store (``reason_<code>``, ``action_<kind>_<tier>``
in room ``churn``); this module decides which rules fire and in which order.  The
rules run on whole feature columns (numpy) at once; each distinct sentence is
written once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import polars as pl

from .. import i18n
from ..errors import UsageError
from .groups import FeatureSet
from .text import ROOM

__all__ = ["RULE_CODES", "explain", "suggest_action"]

Stats = dict[str, float]


class _Columns:
    """Feature columns as float arrays (empty values and absent columns read NaN)."""

    def __init__(self, frame: pl.DataFrame) -> None:
        self._frame = frame
        self._cache: dict[str, np.ndarray] = {}

    def __call__(self, name: str) -> np.ndarray:
        if name not in self._cache:
            if name in self._frame.columns:
                s = self._frame.get_column(name).cast(pl.Float64)
                self._cache[name] = s.fill_null(float("nan")).to_numpy().astype(float, copy=False)
            else:
                self._cache[name] = np.full(self._frame.height, np.nan)
        return self._cache[name]


Cols = _Columns
Values = dict[str, np.ndarray]


@dataclass(frozen=True)
class _Rule:
    code: str
    features: tuple[str, ...]
    test: Callable[[Cols, Stats], np.ndarray]
    values: Callable[[Cols, Stats], Values]


def _cycle(c: Cols, p: Stats) -> np.ndarray:
    g = c("typical_gap_days")
    with np.errstate(invalid="ignore"):
        return np.where(~np.isnan(g) & (g > 0), g, p["median_gap_days"])


def _const(c: Cols, value: float) -> np.ndarray:
    return np.full(c("recency_days").shape, value)


def _unresolved(c: Cols, p: Stats) -> Values:
    n = c("unresolved_complaints")
    return {"n": n, "plural": np.where(n > 1, "s", "")}


def _spend_drop(c: Cols, p: Stats) -> Values:
    with np.errstate(divide="ignore", invalid="ignore"):
        return {"pct": 100 * (1 - c("spend_90d") / c("spend_prev_90d"))}


def _ge(x: np.ndarray, bound: float | np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return np.asarray(x >= bound)


_RULES: tuple[_Rule, ...] = (
    _Rule("unresolved_complaints", ("unresolved_complaints",),
          lambda c, p: _ge(c("unresolved_complaints"), 1), _unresolved),
    _Rule("severe_complaint", ("max_severity",),
          lambda c, p: _ge(c("max_severity"), 3), lambda c, p: {}),
    _Rule("recent_complaints", ("complaints_180d", "complaints_count"),
          lambda c, p: _ge(c("complaints_180d"), max(2.0, p["q90_complaints_180d"])),
          lambda c, p: {"n": c("complaints_180d")}),
    _Rule("overdue", ("recency_days", "recency_vs_cycle"),
          lambda c, p: _ge(c("recency_days"), 30) & (c("recency_days") > 1.5 * _cycle(c, p)),
          lambda c, p: {"days": c("recency_days"), "cycle": _cycle(c, p)}),
    _Rule("detractor", ("latest_nps",),
          lambda c, p: c("latest_nps") <= 6, lambda c, p: {"nps": c("latest_nps")}),
    _Rule("low_csat", ("latest_csat",),
          lambda c, p: c("latest_csat") <= 2, lambda c, p: {"csat": c("latest_csat")}),
    _Rule("few_visits", ("visits_90d", "days_since_visit", "visits_180d"),
          lambda c, p: (c("visits_90d") == 0) & (p["median_visits_180d"] >= 1),
          lambda c, p: {"median": _const(c, p["median_visits_180d"])}),
    _Rule("spend_decline", ("spend_trend", "spend_90d", "spend_prev_90d"),
          lambda c, p: (c("spend_prev_90d") > 0) & (c("spend_90d") <= 0.6 * c("spend_prev_90d")),
          _spend_drop),
    _Rule("order_decline", ("orders_90d", "orders_prev_90d", "order_trend"),
          lambda c, p: _ge(c("orders_prev_90d"), 2) & (c("orders_90d") < c("orders_prev_90d")),
          lambda c, p: {"last": c("orders_90d"), "prev": c("orders_prev_90d")}),
    _Rule("returns", ("return_share", "returns_count", "returns_180d"),
          lambda c, p: _ge(c("return_share"), 0.2), lambda c, p: {"pct": 100 * c("return_share")}),
    _Rule("one_time", ("purchase_days", "frequency"),
          lambda c, p: c("purchase_days") == 1, lambda c, p: {"days": c("tenure_days")}),
    _Rule("low_p_alive", ("p_alive",),
          lambda c, p: c("p_alive") < 0.5, lambda c, p: {"pct": 100 * c("p_alive")}),
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


def _sentences(rule: _Rule, values: Values, rows: np.ndarray, lang: str) -> list[str]:
    """The rule's sentence for each of ``rows``: each distinct set of values is written once."""
    template = i18n.t(f"reason_{rule.code}", lang, room=ROOM)
    if not values:
        return [template.format()] * rows.size
    names = list(values)
    columns = [values[k][rows].tolist() for k in names]
    written: dict[tuple[object, ...], str] = {}
    out = []
    for key in zip(*columns, strict=True):
        text = written.get(key)
        if text is None:
            text = written[key] = template.format(**dict(zip(names, key, strict=True)))
        out.append(text)
    return out


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
    cols = _Columns(frame)
    n = frame.height
    fired = np.zeros((n, len(ranked)), dtype=bool)
    for j, rule in enumerate(ranked):
        fired[:, j] = np.asarray(rule.test(cols, pstats), dtype=bool)
    kept = fired & (np.cumsum(fired, axis=1) <= top)  # the first ``top`` fired, in rank order
    out = pl.DataFrame({"customer_id": frame.get_column("customer_id")})
    texts: dict[str, list[pl.Series]] = {"en": [], "zh": []}
    codes: list[pl.Expr] = []
    for j, rule in enumerate(ranked):
        rows = np.flatnonzero(kept[:, j])
        values = rule.values(cols, pstats) if rows.size else {}
        for lang in ("en", "zh"):
            # a column of nulls with the sentences set at their rows (no row-long Python list)
            column = pl.repeat(None, n, dtype=pl.String, eager=True).alias(f"_{lang}{j}")
            if rows.size:
                column = column.scatter(rows, pl.Series(_sentences(rule, values, rows, lang),
                                                        dtype=pl.String))
            texts[lang].append(column)
        codes.append(pl.when(pl.Series(kept[:, j])).then(pl.lit(rule.code)))
    for lang in ("en", "zh"):
        sep, none = i18n.t("reason_sep", lang, room=ROOM), i18n.t("reason_none", lang, room=ROOM)
        joined = (pl.concat_str(texts[lang], separator=sep, ignore_nulls=True) if texts[lang]
                  else pl.lit(None, pl.String))
        out = out.with_columns(pl.when(pl.Series(kept.any(axis=1)) if ranked else pl.lit(False))
                               .then(joined).otherwise(pl.lit(none)).alias(f"reasons_{lang}"))
    reason_codes = (pl.concat_list(codes).list.drop_nulls() if codes
                    else pl.lit([], pl.List(pl.String)))
    return out.with_columns(reason_codes.cast(pl.List(pl.String)).alias("reason_codes")).select(
        "customer_id", "reason_codes", "reasons_en", "reasons_zh")


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
