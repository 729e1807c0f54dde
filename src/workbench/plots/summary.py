"""Headline charts of the executive summary (draw what :mod:`workbench.report` and
:mod:`workbench.churn` computed; compute nothing themselves).

Money is written by :func:`workbench.formatting.fmt_money` in the company's currency
(``currency``: a code such as ``CNY``, from ``Context.currency``).

Each function takes a table, a language (``"zh"``/``"en"``) and an optional ``ax``
and returns the matplotlib Axes.  Call :func:`workbench.plots.setup` first so
Chinese labels render.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import polars as pl
from matplotlib.ticker import FuncFormatter

from .. import i18n
from ..formatting import fmt_money
from . import PALETTE, TIER_COLORS

__all__ = ["revenue_at_risk_chart", "revenue_by_tier_chart"]

ROOM = "sumplot"

i18n.register({
    "revenue_by_tier": {"zh": "各等级客户销售额走势", "en": "Revenue by customer tier"},
    "revenue_at_risk": {"zh": "各等级客户的流失风险收入", "en": "Revenue at risk by tier"},
    "period": {"zh": "报告期", "en": "Period"},
    "tier": {"zh": "{tier} 级", "en": "Tier {tier}"},
    "no_tier": {"zh": "未分级", "en": "No tier"},
    "customers": {"zh": "{n} 家客户", "en": "{n} customers"},
}, room=ROOM)


def _tier_label(tier: str, lang: str) -> str:
    if tier in ("-", "", None):
        return i18n.t("no_tier", lang, ROOM)
    return i18n.say("tier", lang, ROOM, tier=tier)


def _color(tier: str, k: int) -> str:
    return TIER_COLORS.get(tier, PALETTE[(k + 4) % len(PALETTE)])


def _ax(ax, figsize=(9, 4.2)):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def revenue_by_tier_chart(table: pl.DataFrame, lang: str = "en", ax=None, currency: str = "CNY"):
    """Stacked bars of net revenue per period and tier.

    Args:
        table: :func:`workbench.report.revenue_by_tier` (``period, start, tier, revenue``).
        lang: ``zh`` or ``en``.
        ax: an Axes to draw on (a new figure when None).
        currency: the currency code of the axis (``Context.currency``).
    """
    ax = _ax(ax)
    periods = table.sort("start").get_column("period").unique(maintain_order=True).to_list()
    tiers = sorted(table.get_column("tier").unique().to_list(), key=lambda t: (t == "-", t))
    x = np.arange(len(periods))
    bottom_pos = np.zeros(len(periods))
    bottom_neg = np.zeros(len(periods))
    for k, tier in enumerate(tiers):
        sub = dict(table.filter(pl.col("tier") == tier).select("period", "revenue").iter_rows())
        values = np.array([float(sub.get(p, 0.0)) for p in periods])
        base = np.where(values >= 0, bottom_pos, bottom_neg)
        ax.bar(x, values, bottom=base, color=_color(tier, k), label=_tier_label(tier, lang),
               edgecolor="white", linewidth=0.5)
        bottom_pos += np.where(values >= 0, values, 0)
        bottom_neg += np.where(values < 0, values, 0)
    crowded = len(periods) > 6
    ax.set_xticks(x, periods, rotation=45 if crowded else 0, ha="right" if crowded else "center")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt_money(v, lang, currency)))
    ax.set_title(i18n.t("revenue_by_tier", lang, ROOM))
    ax.set_xlabel(i18n.t("period", lang, ROOM))
    ax.set_ylabel(i18n.t("revenue", lang))
    ax.legend(loc="upper left", ncols=min(len(tiers), 4))
    ax.grid(axis="x", visible=False)
    return ax


def revenue_at_risk_chart(table: pl.DataFrame, lang: str = "en", ax=None, currency: str = "CNY"):
    """Horizontal bars of revenue at risk per tier, labelled with the customers behind it.

    Args:
        table: :func:`workbench.churn.revenue_at_risk_by` with ``by="tier"``
            (``tier, customers, revenue_at_risk, ...``).
        lang: ``zh`` or ``en``.
        ax: an Axes to draw on (a new figure when None).
        currency: the currency code (``Context.currency``).
    """
    ax = _ax(ax, figsize=(9, 3.2))
    rows = sorted(table.select("tier", "customers", "revenue_at_risk").iter_rows(),
                  key=lambda r: (str(r[0]) == "-", str(r[0])), reverse=True)
    labels = [_tier_label(str(r[0]), lang) for r in rows]
    values = [float(r[2]) for r in rows]
    colors = [_color(str(r[0]), k) for k, r in enumerate(rows)]
    bars = ax.barh(labels, values, color=colors, edgecolor="#1f5f8b", linewidth=0.5)
    top = max(values, default=0.0) or 1.0
    for bar, r in zip(bars, rows, strict=True):
        text = (f"{fmt_money(float(r[2]), lang, currency)} · "
                + i18n.say("customers", lang, ROOM, n=int(r[1])))
        ax.text(bar.get_width() + top * 0.01, bar.get_y() + bar.get_height() / 2, text,
                va="center", fontsize=9)
    ax.set_xlim(0, top * 1.35)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt_money(v, lang, currency)))
    ax.set_title(i18n.t("revenue_at_risk", lang, ROOM))
    ax.set_xlabel(i18n.t("revenue_at_risk", lang))
    ax.grid(axis="y", visible=False)
    return ax
