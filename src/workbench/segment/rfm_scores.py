"""R, F and M scores, the named segments and the rule table that maps scores to segments."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import polars as pl

from ..errors import UsageError
from ..frames import as_polars
from . import labels
from .metrics import no_nulls, spread

__all__ = ["DEFAULT_RULES", "assign_segments", "rfm_grid", "rfm_scores", "segment_rules"]


def _level_scores(values: np.ndarray, n: int, higher_is_better: bool) -> np.ndarray:
    """Score = 1 + floor(n * (customers with a strictly worse value) / N); ties share a score.

    The customers with a strictly worse value are the minimum rank minus one: one sort,
    not a search per customer.
    """
    x = values if higher_is_better else -values
    worse = pl.Series(x).rank("min").cast(pl.Int64).to_numpy() - 1
    return (1 + np.floor(n * worse / len(x) + 1e-9)).astype(np.int64).clip(1, n)


def rfm_scores(metrics: Any, *, n: int = 5, customer_id_col: str = "customer_id",
               recency_col: str = "recency_days", frequency_col: str = "frequency",
               monetary_col: str = "monetary") -> pl.DataFrame:
    """R, F and M scores from 1 (worst) to ``n`` (best), rank based and robust to ties.

    For each customer with a purchase (frequency > 0), the score is
    ``1 + floor(n * w / N)`` where ``w`` counts customers with a *strictly worse* value
    and ``N`` the customers scored.  With distinct values this gives equal-sized
    groups (quintiles for n = 5); equal values always get the same score (so when 60%
    of customers bought once, they all get F = 1 and F = 2, 3 stay empty rather than
    splitting identical customers arbitrarily).  Recency: fewer days is better.
    Customers without a purchase get null scores.

    Adds ``r_score, f_score, m_score`` and ``fm_score`` = round-half-up of (F + M) / 2.
    """
    m = as_polars(metrics, "metrics", [customer_id_col, recency_col, frequency_col, monetary_col])
    buyer = (m.get_column(frequency_col) > 0).fill_null(False).to_numpy()
    p = m.filter(pl.Series(buyer))
    if p.height:
        no_nulls(p, [recency_col, monetary_col], "metrics")
    r = _level_scores(p.get_column(recency_col).to_numpy().astype(float), n, False)
    f = _level_scores(p.get_column(frequency_col).to_numpy().astype(float), n, True)
    mm = _level_scores(p.get_column(monetary_col).to_numpy().astype(float), n, True)
    sc = pl.DataFrame({"r_score": r, "f_score": f, "m_score": mm, "fm_score": (f + mm + 1) // 2},
                      schema={k: pl.Int64 for k in ("r_score", "f_score", "m_score", "fm_score")})
    return m.with_columns(spread(buyer, sc))


# Default 11-segment map on R (rows) and FM (cols), for n = 5.  First matching rule wins.
#          FM=1         FM=2            FM=3            FM=4         FM=5
#   R=5    new          potential       potential       champions    champions
#   R=4    promising    potential       loyal           champions    champions
#   R=3    promising    need_attention  need_attention  loyal        loyal
#   R=2    about_sleep  about_sleep     at_risk         at_risk      cant_lose
#   R=1    lost         hibernating     at_risk         cant_lose    cant_lose
DEFAULT_RULES: tuple[dict[str, Any], ...] = tuple(
    {"segment": s, "r_min": a, "r_max": b, "fm_min": c, "fm_max": d}
    for s, a, b, c, d in (
        ("champions", 4, 5, 4, 5),
        ("loyal", 3, 3, 4, 5),
        ("loyal", 4, 4, 3, 3),
        ("potential_loyalist", 4, 5, 2, 3),
        ("new", 5, 5, 1, 1),
        ("promising", 3, 4, 1, 1),
        ("need_attention", 3, 3, 2, 3),
        ("about_to_sleep", 2, 2, 1, 2),
        ("cant_lose", 1, 1, 4, 5),
        ("cant_lose", 2, 2, 5, 5),
        ("at_risk", 1, 2, 3, 4),
        ("hibernating", 1, 1, 2, 2),
        ("lost", 1, 1, 1, 1),
    )
)

_BOUNDS = ("r_min", "r_max", "fm_min", "fm_max")
_TEXTS = ("label_zh", "label_en", "treatment_zh", "treatment_en")


def _builtin_text(seg: str) -> dict[str, str] | None:
    if seg not in labels.SEGMENT_LABELS:
        return None
    name, treat = labels.SEGMENT_LABELS[seg], labels.TREATMENTS[seg]
    return {"label_zh": name["zh"], "label_en": name["en"],
            "treatment_zh": treat["zh"], "treatment_en": treat["en"]}


def _covers(rule: Mapping[str, Any], r: int, fm: int) -> bool:
    return bool(rule["r_min"] <= r <= rule["r_max"] and rule["fm_min"] <= fm <= rule["fm_max"])


def segment_rules(rules: Sequence[Mapping[str, Any]] | None = None, n: int = 5) -> pl.DataFrame:
    """The segment rule table, checked: every (R, FM) cell of 1..n x 1..n must be covered.

    Each rule is ``{segment, r_min, r_max, fm_min, fm_max}`` (inclusive bounds) with
    optional ``label_zh, label_en, treatment_zh, treatment_en`` (the built-in
    segments have them already).  Rules are tried in order; the first match wins.
    Returns the rules with labels and treatments filled in, and registers the names
    and treatments of the segments (``i18n.t("segment.<key>")``).
    """
    given = list(rules if rules is not None else DEFAULT_RULES)
    if given == list(DEFAULT_RULES) and n != 5:
        raise UsageError(
            f"the default segment rules are for 5 score levels, not {n}; give your own "
            f"segmentation.rules in workbench.yaml or use n_scores: 5."
        )
    rows: list[dict[str, Any]] = []
    for i, r in enumerate(given):
        missing = [k for k in ("segment", *_BOUNDS) if k not in r]
        if missing:
            raise UsageError(f"segment rule {i + 1} ({dict(r)}) lacks {missing}.")
        seg = str(r["segment"])
        if seg in labels.COLUMN_KEYS or "." in seg:
            raise UsageError(f"segment rule {i + 1}: '{seg}' cannot name a segment (it is a "
                             f"column name or holds a dot); choose another key.")
        lo_hi = [int(r[k]) for k in _BOUNDS]
        if not (1 <= lo_hi[0] <= lo_hi[1] <= n and 1 <= lo_hi[2] <= lo_hi[3] <= n):
            raise UsageError(f"segment rule {i + 1} ({seg}): bounds must satisfy "
                             f"1 <= min <= max <= {n}.")
        text = _builtin_text(seg)
        row: dict[str, Any] = {"segment": seg, **dict(zip(_BOUNDS, lo_hi, strict=True))}
        for k in _TEXTS:
            value = r.get(k) or (text[k] if text else None)
            if value is None:
                raise UsageError(f"segment rule {i + 1} ({seg}) is a new segment, so it needs "
                                 f"'{k}'.")
            row[k] = str(value)
        rows.append(row)
    uncovered = [(rs, fm) for rs in range(1, n + 1) for fm in range(1, n + 1)
                 if not any(_covers(x, rs, fm) for x in rows)]
    if uncovered:
        raise UsageError(
            f"segment rules leave {len(uncovered)} (R, FM) cell(s) without a segment, e.g. "
            f"{uncovered[:5]}; add rules so every cell from 1 to {n} is covered."
        )
    table = pl.DataFrame(rows)
    for row in table.unique("segment", keep="first", maintain_order=True).iter_rows(named=True):
        labels.register_segment(row["segment"],
                                {"zh": row["label_zh"], "en": row["label_en"]},
                                {"zh": row["treatment_zh"], "en": row["treatment_en"]})
    return table


def assign_segments(scores: Any, rules: Any = None, *, n: int = 5) -> pl.DataFrame:
    """Name each customer's RFM segment from ``r_score`` and ``fm_score`` (first matching rule).

    ``rules``: a rule table from :func:`segment_rules`, a list of rule mappings, or
    None for the default 11-segment map.  Adds ``rfm_segment`` (the segment key, e.g.
    ``champions``; labels via ``workbench.i18n.t('segment.<key>', lang)``); null for
    customers without scores.
    """
    s = as_polars(scores, "scores", ["r_score", "fm_score"])
    table = rules if isinstance(rules, pl.DataFrame) else segment_rules(rules, n)
    ordered = list(table.iter_rows(named=True))
    cells: dict[tuple[int, int], str] = {}
    for rs in range(1, n + 1):
        for fm in range(1, n + 1):
            match = next((x for x in ordered if _covers(x, rs, fm)), None)
            if match is not None:
                cells[(rs, fm)] = match["segment"]
    width = n + 1  # one whole number per (R, FM) cell
    key = pl.col("r_score").cast(pl.Int64) * width + pl.col("fm_score").cast(pl.Int64)
    lookup = {r * width + fm: seg for (r, fm), seg in cells.items()}
    return s.with_columns(key.replace_strict(lookup, default=None, return_dtype=pl.String)
                          .alias("rfm_segment"))


def rfm_grid(table: Any, *, value: str = "customers", n: int = 5, row: str = "r_score",
             col: str = "f_score") -> pl.DataFrame:
    """An R x F grid (rows ``row`` = n..1, columns 1..n) of customers or mean monetary.

    ``value``: ``"customers"`` (count per cell, 0 when empty) or ``"monetary"`` (mean
    net revenue per cell, null when empty).  First column ``row``; then ``"1"``..``"n"``.
    """
    t = as_polars(table, "table", [row, col, "monetary"])
    if value not in ("customers", "monetary"):
        raise UsageError(f"rfm_grid value '{value}' must be 'customers' or 'monetary'.")
    t = t.filter(pl.col(row).is_not_null() & pl.col(col).is_not_null())
    agg = pl.len().cast(pl.Float64) if value == "customers" else pl.col("monetary").mean()
    g = {(r[row], r[col]): r["_v"]
         for r in t.group_by(row, col).agg(agg.alias("_v")).iter_rows(named=True)}
    empty = 0.0 if value == "customers" else None
    data: dict[str, list[Any]] = {row: list(range(n, 0, -1))}
    for c in range(1, n + 1):
        data[str(c)] = [g.get((r, c), empty) for r in range(n, 0, -1)]
    return pl.DataFrame(data, schema={row: pl.Int64,
                                      **{str(c): pl.Float64 for c in range(1, n + 1)}})
