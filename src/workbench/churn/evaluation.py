"""How well a ranking finds churners: lift, gains, ROC/PR AUC, Brier score, thresholds."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    precision_recall_curve,
    roc_auc_score,
)

from ..errors import DataError

__all__ = ["evaluate_scores", "gains_curve", "gains_table", "lift_at", "rank_order",
           "threshold_max_f1", "top_share"]


def rank_order(scores: npt.ArrayLike | np.ndarray) -> np.ndarray:
    """Indices from riskiest to safest; ties keep the input order (deterministic)."""
    return np.argsort(-np.asarray(scores, dtype=float), kind="stable")


def top_share(scores: np.ndarray, share: float) -> np.ndarray:
    """Flags for the ``ceil(share * n)`` highest scores (ties by input order)."""
    flags = np.zeros(len(scores), dtype=bool)
    flags[rank_order(scores)[:max(1, math.ceil(share * len(scores)))]] = True
    return flags


def lift_at(y_true: npt.ArrayLike, scores: npt.ArrayLike, share: float) -> float:
    """Churn rate among the ``share`` riskiest customers divided by the overall churn rate.

    The top group has ``ceil(share * n)`` customers; ties are broken by input order.
    """
    y = np.asarray(y_true, dtype=float)
    if y.size == 0 or y.mean() == 0:
        raise DataError("lift needs at least one churned customer in the evaluation set.")
    k = max(1, math.ceil(share * y.size))
    top = y[rank_order(scores)[:k]]
    return float(top.mean() / y.mean())


def gains_table(y_true: npt.ArrayLike, scores: npt.ArrayLike,
                shares: Sequence[float] = (0.05, 0.1, 0.2)) -> pd.DataFrame:
    """Lift and cumulative gains (share of all churners caught) at the given top shares."""
    y = np.asarray(y_true, dtype=float)
    order = rank_order(scores)
    rows = []
    for s in shares:
        k = max(1, math.ceil(s * y.size))
        caught = y[order[:k]].sum()
        rows.append({"top_share": s, "customers": k, "churners": int(caught),
                     "churn_rate": caught / k, "lift": (caught / k) / y.mean(),
                     "gain": caught / y.sum()})
    return pd.DataFrame(rows)


def gains_curve(y_true: npt.ArrayLike, scores: npt.ArrayLike) -> pd.DataFrame:
    """The full cumulative gains curve: share contacted -> share of churners caught."""
    y = np.asarray(y_true, dtype=float)
    caught = np.concatenate([[0.0], np.cumsum(y[rank_order(scores)])]) / y.sum()
    return pd.DataFrame({"share_contacted": np.arange(y.size + 1) / y.size, "share_caught": caught})


def evaluate_scores(y_true: npt.ArrayLike, scores: npt.ArrayLike,
                    is_probability: bool = True) -> dict[str, float | None]:
    """ROC AUC, PR AUC (average precision), Brier score (probabilities only) and lift at 5/10/20 %."""
    y = np.asarray(y_true, dtype=int)
    s = np.asarray(scores, dtype=float)
    if np.isnan(s).any():
        raise DataError(f"{int(np.isnan(s).sum())} scores are empty; every customer needs a score.")
    if len(np.unique(y)) < 2:
        raise DataError("the evaluation set holds only one class (all churned or none); "
                        "choose another as-of date or window.")
    return {
        "roc_auc": float(roc_auc_score(y, s)),
        "pr_auc": float(average_precision_score(y, s)),
        "brier": float(brier_score_loss(y, s)) if is_probability else None,
        "lift_at_5": lift_at(y, s, 0.05),
        "lift_at_10": lift_at(y, s, 0.10),
        "lift_at_20": lift_at(y, s, 0.20),
    }


def threshold_max_f1(y_true: npt.ArrayLike, scores: npt.ArrayLike) -> float:
    """The score threshold (flag when ``score >= t``) that maximises F1 on the given data."""
    p, r, t = precision_recall_curve(np.asarray(y_true, dtype=int), np.asarray(scores, dtype=float))
    f1 = np.where(p[:-1] + r[:-1] > 0, 2 * p[:-1] * r[:-1] / np.maximum(p[:-1] + r[:-1], 1e-12), 0)
    return float(t[int(np.argmax(f1))])
