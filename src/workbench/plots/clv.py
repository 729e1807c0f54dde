"""Charts for customer lifetime value (draw what :mod:`workbench.clv` computed).

lifetimes' own plotting functions are partly broken on the current stack
(``plot_history_alive``, ``plot_expected_repeat_purchases``), so these are
written with matplotlib directly.  Every function takes the table the
analytics module returned, a language (``"zh"``/``"en"``) and an optional
``ax``, and returns the matplotlib Axes; money is written in ``currency`` (the
company's, ``Context.currency``).  The chart text is the room's (``clv``).  Call :func:`workbench.plots.setup`
first so Chinese labels render.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator

from .. import i18n
from ..clv.text import ROOM
from ..formatting import fmt_money
from . import PALETTE, TIER_COLORS, money_axis, percent_axis

__all__ = [
    "alive_history",
    "calibration_holdout",
    "clv_by_group",
    "clv_distribution",
    "cumulative_tracking",
    "frequency_recency_matrix",
    "period_transactions",
    "probability_alive_matrix",
]

i18n.register({
    "plot_fr_matrix": {"zh": "预期购买次数(按频次与最近购买)", "en": "Expected purchases by frequency and recency"},
    "plot_alive_matrix": {"zh": "活跃概率(按频次与最近购买)", "en": "Probability alive by frequency and recency"},
    "plot_period_tx": {"zh": "重复购买次数分布:实际与模型", "en": "Customers by repeat purchases: actual vs model"},
    "plot_cal_hold": {"zh": "验证期购买:实际与预测", "en": "Holdout purchases: actual vs predicted"},
    "plot_tracking": {"zh": "累计重复购买:实际与模型", "en": "Cumulative repeat purchases: actual vs model"},
    "plot_alive_history": {"zh": "客户活跃概率变化", "en": "Probability alive over time"},
    "plot_distribution": {"zh": "客户终身价值分布", "en": "Distribution of customer lifetime value"},
    "plot_by_group": {"zh": "各组客户终身价值", "en": "Customer lifetime value by group"},
    "axis_recency": {"zh": "最近购买时点(周期)", "en": "Recency (periods)"},
    "axis_frequency": {"zh": "重复购买次数", "en": "Repeat purchases (frequency)"},
    "axis_customers": {"zh": "客户数", "en": "Customers"},
    "axis_holdout_mean": {"zh": "验证期平均购买次数", "en": "Mean purchases in holdout"},
    "axis_cal_freq": {"zh": "校准期重复购买次数", "en": "Repeat purchases in calibration"},
    "axis_cum": {"zh": "累计重复购买次数", "en": "Cumulative repeat purchases"},
    "axis_date": {"zh": "日期", "en": "Date"},
    "axis_clv": {"zh": "客户终身价值", "en": "CLV"},
    "axis_total_clv": {"zh": "客户终身价值合计", "en": "Total CLV"},
    "calibration_end": {"zh": "校准期结束", "en": "End of calibration"},
    "purchase": {"zh": "购买", "en": "Purchase"},
    "model_label": {"zh": "模型", "en": "Model"},
    "actual_label": {"zh": "实际", "en": "Actual"},
    "mean": {"zh": "均值", "en": "Mean"},
    "median": {"zh": "中位数", "en": "Median"},
    "share_total": {"zh": "占总价值比例", "en": "Share of total CLV"},
}, room=ROOM)

_MODEL_COLORS = {"actual": "#333333", "bgnbd": PALETTE[0], "paretonbd": PALETTE[1],
                 "mbgnbd": PALETTE[4], "baseline": PALETTE[7]}


def _t(key: str, lang: str) -> str:
    return i18n.t(key, lang, room=ROOM)


def _ax(ax, figsize=None):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def _heatmap(matrix: pd.DataFrame, title: str, lang: str, ax, cmap: str, percent: bool):
    ax = _ax(ax, (8, 5.5))
    data = np.ma.masked_invalid(matrix.to_numpy(dtype=float))
    rec = matrix.columns.to_numpy(dtype=float)
    freq = matrix.index.to_numpy(dtype=float)
    im = ax.imshow(data, aspect="auto", origin="lower", cmap=cmap, interpolation="nearest",
                   extent=(rec[0], rec[-1], freq[0] - 0.5, freq[-1] + 0.5))
    cb = ax.figure.colorbar(im, ax=ax)
    if percent:
        cb.ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{100 * v:.0f}%"))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(_t("axis_recency", lang))
    ax.set_ylabel(_t("axis_frequency", lang))
    ax.set_title(title)
    ax.grid(False)
    return ax


def frequency_recency_matrix(matrix: pd.DataFrame, lang: str = "en", ax=None):
    """Heat map of :func:`workbench.clv.expected_purchases_matrix`."""
    return _heatmap(matrix, _t("plot_fr_matrix", lang), lang, ax, "viridis", False)


def probability_alive_matrix(matrix: pd.DataFrame, lang: str = "en", ax=None):
    """Heat map of :func:`workbench.clv.probability_alive_matrix`."""
    return _heatmap(matrix, _t("plot_alive_matrix", lang), lang, ax, "RdYlGn", True)


def period_transactions(table: pd.DataFrame, lang: str = "en", ax=None):
    """Bars of :func:`workbench.clv.period_transactions`: customers per repeat-purchase count."""
    ax = _ax(ax)
    x = np.arange(len(table))
    ax.bar(x - 0.2, table["actual"], width=0.4, color=_MODEL_COLORS["actual"],
           label=_t("actual_label", lang))
    ax.bar(x + 0.2, table["model"], width=0.4, color=PALETTE[0], label=_t("model_label", lang))
    ax.set_xticks(x, table.index.astype(str))
    ax.set_xlabel(_t("axis_frequency", lang))
    ax.set_ylabel(_t("axis_customers", lang))
    ax.set_title(_t("plot_period_tx", lang))
    ax.legend()
    return ax


def calibration_holdout(by_frequency: pd.DataFrame, lang: str = "en", ax=None):
    """Lines of :attr:`workbench.clv.Validation.by_frequency`: mean holdout purchases per bin."""
    ax = _ax(ax)
    x = np.arange(len(by_frequency))
    for col in [c for c in by_frequency.columns if c != "customers"]:
        style = {"lw": 2.5, "marker": "o"} if col == "actual" else {"lw": 1.8, "marker": ".", "ls": "--"}
        if col == "baseline":
            style = {"lw": 1.2, "marker": ".", "ls": ":"}
        ax.plot(x, by_frequency[col], color=_MODEL_COLORS.get(col), label=_t(col, lang), **style)
    ax.set_xticks(x, by_frequency.index.astype(str))
    ax.set_xlabel(_t("axis_cal_freq", lang))
    ax.set_ylabel(_t("axis_holdout_mean", lang))
    ax.set_title(_t("plot_cal_hold", lang))
    ax.legend()
    return ax


def cumulative_tracking(tracking: pd.DataFrame, lang: str = "en", ax=None):
    """Lines of :func:`workbench.clv.cumulative_tracking` with the calibration end marked."""
    ax = _ax(ax)
    ax.plot(tracking["date"], tracking["actual"], color=_MODEL_COLORS["actual"], lw=2.2,
            label=_t("actual_label", lang))
    ax.plot(tracking["date"], tracking["predicted"], color=PALETTE[0], lw=1.8, ls="--",
            label=_t("model_label", lang))
    cal = tracking.loc[~tracking["holdout"], "date"]
    if len(cal) and tracking["holdout"].any():
        ax.axvline(cal.iloc[-1], color="#999999", ls=":", lw=1.2)
        ax.text(cal.iloc[-1], ax.get_ylim()[1] * 0.95, " " + _t("calibration_end", lang),
                color="#666666", va="top", fontsize=9)
    ax.set_xlabel(_t("axis_date", lang))
    ax.set_ylabel(_t("axis_cum", lang))
    ax.set_title(_t("plot_tracking", lang))
    ax.legend(loc="upper left")
    ax.figure.autofmt_xdate()
    return ax


def alive_history(history: pd.DataFrame, lang: str = "en", ax=None, title: str | None = None,
                  customer: str | None = None):
    """Line of :func:`workbench.clv.alive_history`, purchases marked (``customer`` named in the title)."""
    ax = _ax(ax, (9, 3.6))
    ax.plot(history["date"], history["p_alive"], color=PALETTE[0], lw=1.8)
    buys = history.loc[history["frequency"].diff().fillna(1) > 0, "date"]
    for i, d in enumerate(buys):
        ax.axvline(d, color=PALETTE[1], ls="--", lw=1, alpha=0.8,
                   label=_t("purchase", lang) if i == 0 else None)
    ax.set_ylim(0, 1.05)
    percent_axis(ax)
    ax.set_ylabel(_t("p_alive", lang))
    if title is None:
        title = _t("plot_alive_history", lang) + (f": {customer}" if customer else "")
    ax.set_title(title)
    ax.legend(loc="lower left")
    ax.figure.autofmt_xdate()
    return ax


def clv_distribution(clv: pd.Series, lang: str = "en", ax=None, bins: int = 40,
                     currency: str | None = "CNY"):
    """Histogram of CLV per customer (log-spaced bins above 0), mean and median marked."""
    ax = _ax(ax)
    v = np.asarray(clv, dtype=float)
    v = v[np.isfinite(v)]
    lo = max(v[v > 0].min() if (v > 0).any() else 1.0, 1.0)
    hi = max(v.max(), lo * 10)
    edges = np.geomspace(lo, hi, bins)
    ax.hist(np.clip(v, lo, None), bins=edges, color=PALETTE[0], alpha=0.85)
    ax.set_xscale("log")
    for value, key, color in ((v.mean(), "mean", PALETTE[1]), (np.median(v), "median", PALETTE[2])):
        ax.axvline(value, color=color, ls="--", lw=1.5, label=f"{_t(key, lang)}: {fmt_money(value, lang, currency)}")
    money_axis(ax, "x", lang, currency)
    ax.set_xlabel(_t("axis_clv", lang))
    ax.set_ylabel(_t("axis_customers", lang))
    ax.set_title(_t("plot_distribution", lang))
    ax.legend()
    return ax


def clv_by_group(table: pd.DataFrame, value: str = "total_clv", lang: str = "en", ax=None,
                 title: str | None = None, currency: str | None = "CNY"):
    """Horizontal bars of :func:`workbench.clv.value_by_group` (index = group), tiers coloured like elsewhere."""
    ax = _ax(ax, (8, max(2.5, 0.45 * len(table) + 1)))
    t = table[value].iloc[::-1]
    colors = [TIER_COLORS.get(str(g), PALETTE[0]) for g in t.index]
    names = [str(g) for g in t.index]
    if table.index.name == "rfm_segment":  # the segment room's names of the segments
        names = [i18n.t(g, lang, room="segment") for g in names]
    ax.barh(names, t.to_numpy(dtype=float), color=colors)
    money_axis(ax, "x", lang, currency)
    ax.set_xlabel(_t("axis_total_clv" if value == "total_clv" else value, lang))
    ax.set_title(title or _t("plot_by_group", lang))
    ax.grid(axis="y", visible=False)
    return ax
