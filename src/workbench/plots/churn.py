"""Charts for the churn warning (draw what :mod:`workbench.churn` computed).

Every function takes a table from :class:`workbench.churn.ChurnAnalysis` (or the
warning list), a language (``"zh"``/``"en"``) and an optional ``ax``, and
returns the matplotlib Axes.  Call :func:`workbench.plots.setup` first so
Chinese labels render.
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import polars as pl

from .. import i18n
from ..churn import ROOM, scorer_label
from ..formatting import fmt_money
from . import PALETTE, TIER_COLORS, money_axis, percent_axis

__all__ = [
    "calibration_chart",
    "confusion_chart",
    "evaluation_bars",
    "gains_chart",
    "importance_chart",
    "probability_histogram",
    "risk_by_chart",
    "scorer_label",
]

i18n.register({
    "plot_eval": {"zh": "样本外表现:模型与基线", "en": "Out-of-time performance: models vs baselines"},
    "plot_gains": {"zh": "累计捕获曲线(按风险从高到低联系客户)",
                         "en": "Cumulative gains (contacting the riskiest customers first)"},
    "plot_calibration": {"zh": "校准:预测概率与实际流失率", "en": "Calibration: predicted vs observed churn"},
    "plot_importance": {"zh": "特征重要性(打乱后 ROC AUC 的下降)",
                              "en": "Feature importance (drop in ROC AUC when shuffled)"},
    "plot_confusion": {"zh": "混淆矩阵(样本外)", "en": "Confusion matrix (out of time)"},
    "plot_risk_by": {"zh": "风险收入", "en": "Revenue at risk"},
    "plot_hist": {"zh": "流失概率分布", "en": "Distribution of churn probability"},
    "axis_threshold": {"zh": "预警阈值", "en": "Warning threshold"},
    "perfect": {"zh": "完全校准", "en": "Perfect calibration"},
}, room=ROOM)

_SCORER_COLORS = {"hgb": PALETTE[0], "logreg": PALETTE[2], "recency": PALETTE[7], "p_alive": PALETTE[1]}


def _ax(ax, figsize=None):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def evaluation_bars(evaluation: pd.DataFrame, lang: str = "en", metrics=("roc_auc", "lift_at_10"),
                    ax=None):
    """ROC AUC and lift at the top 10 % of every scorer, side by side (two panels)."""
    if ax is None:
        _, axes = plt.subplots(1, len(metrics), figsize=(11, 4.2))
    else:
        axes = np.atleast_1d(ax)
    axes = np.atleast_1d(axes)
    names = list(evaluation["scorer"])
    for a, m in zip(axes, metrics, strict=True):
        vals = evaluation[m].astype(float).to_numpy()
        bars = a.barh([scorer_label(s, lang) for s in names], vals,
                      color=[_SCORER_COLORS.get(s, PALETTE[4]) for s in names])
        for b, v in zip(bars, vals, strict=True):
            a.text(b.get_width(), b.get_y() + b.get_height() / 2, f" {v:.3f}" if m != "lift_at_10"
                   else f" {v:.2f}x", va="center", fontsize=9)
        ref = 0.5 if m == "roc_auc" else 1.0
        a.axvline(ref, color="#555555", lw=1, ls="--")
        a.set_title(i18n.t(m, lang, room=ROOM))
        a.invert_yaxis()
        a.set_xlim(0, max(vals.max() * 1.18, ref * 1.1))
    axes[0].figure.suptitle(i18n.t("plot_eval", lang, room=ROOM), fontweight="bold")
    axes[0].figure.tight_layout()
    return axes[0]


def gains_chart(curves: Mapping[str, pd.DataFrame], lang: str = "en", ax=None):
    """Cumulative gains of every scorer, with the random line."""
    ax = _ax(ax, (7, 5))
    for name, c in curves.items():
        ax.plot(c["share_contacted"], c["share_caught"], label=scorer_label(name, lang),
                color=_SCORER_COLORS.get(name, PALETTE[4]), lw=2 if name in ("hgb", "logreg") else 1.4)
    ax.plot([0, 1], [0, 1], color="#999999", ls=":", label=i18n.t("random", lang, room=ROOM))
    for s in (0.05, 0.1, 0.2):
        ax.axvline(s, color="#cccccc", lw=0.8)
    percent_axis(ax, "x")
    percent_axis(ax, "y")
    ax.set_xlabel(i18n.t("share_contacted", lang, room=ROOM))
    ax.set_ylabel(i18n.t("share_churners_caught", lang, room=ROOM))
    ax.set_title(i18n.t("plot_gains", lang, room=ROOM))
    ax.legend(loc="lower right")
    return ax


def calibration_chart(calibration: pd.DataFrame, lang: str = "en", ax=None):
    """Predicted probability vs observed churn rate by decile of the prediction."""
    ax = _ax(ax, (5.5, 5))
    ax.plot([0, 1], [0, 1], color="#999999", ls=":", label=i18n.t("perfect", lang, room=ROOM))
    ax.plot(calibration["predicted"], calibration["observed"], marker="o", color=PALETTE[0],
            label=i18n.t("model", lang, room=ROOM))
    percent_axis(ax, "x")
    percent_axis(ax, "y")
    ax.set_xlabel(i18n.t("predicted_probability", lang, room=ROOM))
    ax.set_ylabel(i18n.t("observed_churn_rate", lang, room=ROOM))
    ax.set_title(i18n.t("plot_calibration", lang, room=ROOM))
    ax.legend(loc="upper left")
    return ax


def importance_chart(importance: pd.DataFrame, lang: str = "en", top: int = 15,
                     feature_labels: Mapping[str, str] | None = None, ax=None):
    """The ``top`` most important features (permutation importance with its spread)."""
    d = importance.head(top).iloc[::-1]
    ax = _ax(ax, (8, max(3.0, 0.32 * len(d) + 1)))
    labels = [(feature_labels or {}).get(f, f) for f in d["feature"]]
    ax.barh(labels, d["importance"], xerr=d["importance_std"], color=PALETTE[0], ecolor="#777777")
    ax.axvline(0, color="#555555", lw=0.8)
    ax.set_title(i18n.t("plot_importance", lang, room=ROOM))
    return ax


def confusion_chart(confusion: pd.DataFrame, lang: str = "en", ax=None):
    """The confusion matrix as a labelled grid (rows: actual, columns: predicted)."""
    ax = _ax(ax, (4.8, 4))
    m = confusion.to_numpy()
    ax.imshow(m, cmap="Blues")
    names = [i18n.t("stays", lang, room=ROOM), i18n.t("churned", lang, room=ROOM)]
    ax.set_xticks([0, 1], names)
    ax.set_yticks([0, 1], names)
    ax.set_xlabel(i18n.t("predicted", lang, room=ROOM))
    ax.set_ylabel(i18n.t("actual", lang, room=ROOM))
    ax.grid(False)
    for i in range(2):
        for j in range(2):
            ax.text(j, i, f"{m[i, j]:,}", ha="center", va="center",
                    color="white" if m[i, j] > m.max() / 2 else "black", fontsize=12)
    ax.set_title(i18n.t("plot_confusion", lang, room=ROOM))
    return ax


def risk_by_chart(table: pl.DataFrame, by: str, lang: str = "en", top: int = 15, ax=None,
                  currency: str = "CNY"):
    """Revenue at risk per tier or per account manager (from :func:`workbench.churn.revenue_at_risk_by`)."""
    d = table.head(top).to_pandas().iloc[::-1]
    ax = _ax(ax, (8, max(2.5, 0.35 * len(d) + 1)))
    colors = [TIER_COLORS.get(str(k), PALETTE[0]) for k in d[by]] if by == "tier" else PALETTE[0]
    bars = ax.barh(d[by].astype(str), d["revenue_at_risk"], color=colors)
    for b, v, n in zip(bars, d["revenue_at_risk"], d["customers"], strict=True):
        ax.text(b.get_width(), b.get_y() + b.get_height() / 2, f" {fmt_money(v, lang, currency)} ({n})",
                va="center", fontsize=9)
    money_axis(ax, "x", lang, currency)
    ax.set_xlim(0, float(d["revenue_at_risk"].max()) * 1.3 if len(d) else 1)
    ax.set_title(f"{i18n.t('plot_risk_by', lang, room=ROOM)} · {i18n.t(by, lang, room=ROOM)}")
    return ax


def probability_histogram(scores: pl.DataFrame, threshold: float, lang: str = "en", ax=None):
    """How churn probabilities spread over the scored customers, with the warning threshold."""
    ax = _ax(ax, (8, 3.8))
    ax.hist(scores.get_column("churn_probability").to_numpy(), bins=30, range=(0, 1), color=PALETTE[0])
    ax.axvline(threshold, color=PALETTE[3], lw=2, label=f"{i18n.t('axis_threshold', lang, room=ROOM)} "
                                                        f"{threshold:.2f}")
    percent_axis(ax, "x")
    ax.set_xlabel(i18n.t("churn_probability", lang, room=ROOM))
    ax.set_ylabel(i18n.t("customers", lang, room=ROOM))
    ax.set_title(i18n.t("plot_hist", lang, room=ROOM))
    ax.legend()
    return ax
