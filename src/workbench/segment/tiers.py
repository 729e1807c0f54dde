"""Weighted-score tiering (评分法 + 加权法) and how stable the tiers are to the weights."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import polars as pl
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from ..errors import DataError, UsageError
from ..frames import as_polars
from .settings import (
    DEFAULT_TIER_CUTS,
    DEFAULT_TIER_WEIGHTS,
    LOWER_IS_BETTER,
    check_cuts,
    normalise_weights,
)

__all__ = ["TierScorer", "percentile_scores", "tier_sensitivity"]


def _percentile_scores(ref_sorted: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Mid-rank percentile: 100 * (below + 0.5 * equal) / N against a sorted reference."""
    lo = np.searchsorted(ref_sorted, x, side="left")
    hi = np.searchsorted(ref_sorted, x, side="right")
    return 100.0 * (lo + 0.5 * (hi - lo)) / len(ref_sorted)


def percentile_scores(values: pl.Series) -> pl.Series:
    """Mid-rank percentile of each value among the series' own non-empty values.

    ``100 * (below + 0.5 * equal) / N``: the score :class:`TierScorer` gives a customer
    against the customers it was fitted on, found by one rank (a sort) instead of a
    search per customer.  ``below + 0.5 * equal`` is the average rank minus 0.5, a whole
    or half number, and the division is numpy's, so the result is the search's to the
    last bit.  Empty values (null or NaN) stay empty (null) and do not count in ``N``.
    """
    x = values.cast(pl.Float64).fill_nan(None)
    n = x.len() - x.null_count()
    rank = x.rank("average").to_numpy()  # NaN where empty
    scores = 100.0 * (rank - 0.5) / n if n else rank
    return pl.Series(values.name, scores, dtype=pl.Float64).fill_nan(None)


class TierScorer(BaseEstimator):
    """Weighted-score tiering (评分法 + 加权法): percentile scores, weights, cuts into tiers.

    1. Each indicator is scored 0-100 as a mid-rank percentile against the customers
       seen in :meth:`fit`: ``100 * (below + 0.5 * equal) / N`` (with 10 distinct values
       the scores are 5, 15, ..., 95; equal values get equal scores).  Indicators in
       ``lower_is_better`` (recency) are scored on the negated value.
    2. ``tier_score`` = weighted mean of the indicator scores.  Weights are normalised
       to sum 1.  An indicator whose column is missing or entirely empty drops out and
       the remaining weights are renormalised (listed in ``dropped_``).  A customer
       lacking one indicator (e.g. no survey answer, so no NPS) is scored on the
       indicators they have, with those weights renormalised for them.
    3. Tiers: with ``method="share"`` the cuts are shares of customers, best tier first
       (default A 20%, B 30%, C 50%): the best tier's threshold is the score of the
       customer at position round(0.2 N) from the top, and so on; customers tied with
       the threshold go to the better tier.  With ``method="score"`` the cuts are the
       minimum scores themselves (e.g. ``{A: 70, B: 40, C: 0}``).

    A scikit-learn estimator: parameters are stored as given and checked in :meth:`fit`
    (``weights=None`` and ``cuts=None`` mean the defaults), so ``sklearn.base.clone``
    and ``get_params``/``set_params`` work.  Learned attributes: ``weights_``
    (normalised, used), ``dropped_``, ``references_`` (sorted values per indicator),
    ``thresholds_`` (tier -> minimum score), ``n_``.

    :meth:`fit_transform` scores the customers it fits on by rank
    (:func:`percentile_scores`, one sort per indicator) and scores them once;
    :meth:`transform` of other customers searches the fitted references.
    """

    def __init__(self, weights: Mapping[str, float] | None = None,
                 cuts: Mapping[str, float] | None = None, method: str = "share",
                 customer_id_col: str = "customer_id",
                 lower_is_better: Sequence[str] = LOWER_IS_BETTER):
        self.weights = weights
        self.cuts = cuts
        self.method = method
        self.customer_id_col = customer_id_col
        self.lower_is_better = lower_is_better

    def _cuts(self) -> dict[str, float]:
        return dict(self.cuts if self.cuts is not None else DEFAULT_TIER_CUTS)

    def _oriented(self, df: pl.DataFrame, col: str) -> np.ndarray:
        x = df.get_column(col).cast(pl.Float64).to_numpy().astype(float)
        return -x if col in tuple(self.lower_is_better) else x

    def _oriented_expr(self, col: str) -> pl.Expr:
        x = pl.col(col).cast(pl.Float64)
        return -x if col in tuple(self.lower_is_better) else x

    def _choose_weights(self, df: pl.DataFrame) -> None:
        """``weights_`` and ``dropped_``: the indicators present, weights renormalised."""
        raw = normalise_weights(self.weights if self.weights is not None
                                else DEFAULT_TIER_WEIGHTS)
        if df.height == 0:
            raise DataError("tier scoring: no customers to score (features is empty).")
        used: dict[str, float] = {}
        dropped: list[str] = []
        for col, w in raw.items():
            if w == 0:
                continue
            if col not in df.columns or df.get_column(col).null_count() == df.height:
                dropped.append(col)
            else:
                used[col] = w
        if not used:
            raise DataError(
                f"tier scoring: none of the weighted indicators {list(raw)} is present in the "
                f"data (columns: {df.columns})."
            )
        total = sum(used.values())
        self.weights_ = {k: v / total for k, v in used.items()}
        self.dropped_ = dropped

    def _fit(self, df: pl.DataFrame, scores: Mapping[str, np.ndarray] | None = None,
             references: bool = True) -> pl.DataFrame:
        """Fit on ``df`` and return its scores (``_combine``); ``scores`` may hold the
        indicator scores against ``df`` already computed (e.g. by another scorer)."""
        cuts = self._cuts()
        check_cuts(self.method, cuts)
        self._choose_weights(df)
        if references:
            self.references_ = {}
            for col in self.weights_:
                ref = (df.select(self._oriented_expr(col).fill_nan(None).drop_nulls().sort())
                       .to_series())
                self.references_[col] = ref.to_numpy()
        self.n_ = df.height
        own = dict(scores) if scores is not None else {}
        missing = [c for c in self.weights_ if c not in own]
        if missing:
            own.update(self._own_scores(df, missing))
        out = self._combine(df, own)
        if self.method == "score":
            self.thresholds_ = {t: float(v) for t, v in cuts.items()}
        else:
            self.thresholds_ = _share_thresholds(out.get_column("tier_score").to_numpy(), cuts)
        return out

    def _own_scores(self, df: pl.DataFrame, cols: Sequence[str]) -> dict[str, np.ndarray]:
        """The indicators' scores against ``df`` itself (NaN where empty), by rank."""
        oriented = df.select([self._oriented_expr(c).alias(c) for c in cols])
        return {c: percentile_scores(oriented.get_column(c)).to_numpy() for c in cols}

    def _combine(self, df: pl.DataFrame, scores: Mapping[str, np.ndarray]) -> pl.DataFrame:
        """``customer_id, score_<indicator>..., tier_score`` from the indicator scores."""
        n = df.height
        num = np.zeros(n)
        den = np.zeros(n)
        cols: dict[str, Any] = {self.customer_id_col: df.get_column(self.customer_id_col)}
        for col, w in self.weights_.items():
            s = scores[col]
            ok = ~np.isnan(s)
            cols[f"score_{col}"] = s
            num[ok] += w * s[ok]
            den[ok] += w
        if (den == 0).any():
            row = int(np.argmax(den == 0))
            raise DataError(
                f"tier scoring: customer {df.get_column(self.customer_id_col)[row]} (row {row}) "
                f"has none of the indicators {list(self.weights_)}; fill at least one."
            )
        out = pl.DataFrame(cols).with_columns(
            [pl.col(f"score_{c}").fill_nan(None) for c in self.weights_])
        return out.with_columns(pl.Series("tier_score", num / den))

    def fit(self, features: Any, y: None = None) -> TierScorer:
        """Learn the reference distributions and the tier thresholds from ``features``."""
        self._fit(as_polars(features, "features", [self.customer_id_col]))
        return self

    def _score(self, df: pl.DataFrame) -> pl.DataFrame:
        """Scores of ``df`` against the fitted references (any customers)."""
        scores: dict[str, np.ndarray] = {}
        for col in self.weights_:
            if col not in df.columns:
                raise DataError(f"tier scoring: column '{col}' was used in fit but is missing "
                                f"now.")
            x = self._oriented(df, col)
            ok = ~np.isnan(x)
            s = np.full(df.height, np.nan)
            s[ok] = _percentile_scores(self.references_[col], x[ok])
            scores[col] = s
        return self._combine(df, scores)

    def _with_tiers(self, out: pl.DataFrame) -> pl.DataFrame:
        items = list(self.thresholds_.items())
        expr = pl.lit(items[-1][0])
        for t, thr in reversed(items[:-1]):  # the best tier is tested first
            expr = pl.when(pl.col("tier_score") >= (thr - 1e-9)).then(pl.lit(t)).otherwise(expr)
        return out.with_columns(expr.alias("tier"))

    def transform(self, features: Any) -> pl.DataFrame:
        """``customer_id, score_<indicator>..., tier_score, tier`` for each row of ``features``."""
        check_is_fitted(self, "thresholds_")
        return self._with_tiers(self._score(as_polars(features, "features",
                                                      [self.customer_id_col])))

    def fit_transform(self, features: Any, y: None = None) -> pl.DataFrame:
        """:meth:`fit` then :meth:`transform` on the same data (scored once, by rank)."""
        df = as_polars(features, "features", [self.customer_id_col])
        return self._with_tiers(self._fit(df))

    def weights_table(self) -> pl.DataFrame:
        """The weights used (after dropping and renormalising), as ``indicator, weight``."""
        check_is_fitted(self, "weights_")
        return pl.DataFrame({"indicator": list(self.weights_),
                             "weight": list(self.weights_.values())})


def _share_thresholds(scores: np.ndarray, cuts: Mapping[str, float]) -> dict[str, float]:
    """Tier -> minimum score for share cuts: the score at position round(share * N) from
    the top (the k-th largest, found by a partition rather than a full sort)."""
    tiers = list(cuts)
    n = len(scores)
    cum = np.cumsum([float(v) for v in cuts.values()])
    ks = [math.floor(c * n + 0.5 + 1e-9) for c in cum[:-1]]
    kth = sorted({n - k for k in ks if 1 <= k <= n})
    part = np.partition(scores, kth) if kth else scores
    thresholds: dict[str, float] = {}
    for t, k in zip(tiers[:-1], ks, strict=True):
        thresholds[t] = float(part[n - k]) if k >= 1 else math.inf
    thresholds[tiers[-1]] = 0.0
    return thresholds


def tier_sensitivity(features: Any, *, weights: Mapping[str, float] | None = None,
                     cuts: Mapping[str, float] | None = None, method: str = "share",
                     delta: float = 0.05, customer_id_col: str = "customer_id") -> pl.DataFrame:
    """How many customers change tier when one weight moves by +/- ``delta``.

    For each indicator used, its normalised weight is moved by +``delta`` and by
    -``delta`` (weight points, floored at 0), all weights are renormalised to sum 1,
    the scorer is refitted (so share cuts keep their shares) and the tiers compared
    with the baseline.  Returns ``indicator, weight, weight_up, changed_up,
    changed_up_share, weight_down, changed_down, changed_down_share`` (weights are the
    moved indicator's weight after renormalising).  The indicator scores do not depend
    on the weights: they are computed once and every refit reuses them.
    """
    if not 0 < delta < 1:
        raise UsageError(f"sensitivity delta {delta} must be between 0 and 1 (e.g. 0.05 = 5 "
                         f"points).")
    df = as_polars(features, "features", [customer_id_col])
    base = TierScorer(weights, cuts, method, customer_id_col)
    base_out = base._fit(df, references=False)
    base_tiers = base._with_tiers(base_out).get_column("tier")
    shared = {c: base_out.get_column(f"score_{c}").to_numpy()
              for c in base.weights_}
    n = len(base_tiers)
    rows = []
    for ind, w in base.weights_.items():
        row: dict[str, Any] = {"indicator": ind, "weight": w}
        for name, sign in (("up", 1), ("down", -1)):
            moved = dict(base.weights_)
            moved[ind] = max(w + sign * delta, 0.0)
            total = sum(moved.values())
            if total <= 0:
                row[f"weight_{name}"], row[f"changed_{name}"] = 0.0, 0
                row[f"changed_{name}_share"] = 0.0
                continue
            scorer = TierScorer(moved, cuts, method, customer_id_col)
            tiers = scorer._with_tiers(scorer._fit(df, shared, references=False)).get_column("tier")
            changed = int((tiers != base_tiers).sum())
            row[f"weight_{name}"] = moved[ind] / total
            row[f"changed_{name}"] = changed
            row[f"changed_{name}_share"] = changed / n
        rows.append(row)
    return pl.DataFrame(rows).select("indicator", "weight", "weight_up", "changed_up",
                                     "changed_up_share", "weight_down", "changed_down",
                                     "changed_down_share")
