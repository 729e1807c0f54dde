"""Charts for customer classification and tiering (draw what :mod:`workbench.segment` computed).

Every function takes a table returned by :mod:`workbench.segment`, a language
(``"zh"``/``"en"``) and, where one panel suffices, an optional ``ax``; it returns
the matplotlib Axes (or the Figure for multi-panel charts).  Call
:func:`workbench.plots.setup` first so Chinese labels render.  In a notebook end
the line with ``;`` so the chart shows once.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import polars as pl
import squarify
from matplotlib import cm
from matplotlib import colors as mcolors

from .. import i18n
from ..segment.labels import ROOM
from . import PALETTE, TIER_COLORS, fmt_int, fmt_money, fmt_pct, percent_axis

__all__ = [
    "cluster_chart",
    "crosstab_heatmap",
    "lifecycle_chart",
    "migration_heatmap",
    "pareto_chart",
    "rfm_heatmap",
    "segment_bars",
    "segment_treemap",
    "tier_chart",
]

i18n.register({
    "plot.pareto": {"zh": "客户贡献度:帕累托曲线与ABC分类", "en": "Customer contribution: Pareto curve and ABC classes"},
    "plot.cum_customers": {"zh": "累计客户占比(按销售额从高到低)", "en": "Cumulative share of customers (largest first)"},
    "plot.cum_revenue": {"zh": "累计销售额占比", "en": "Cumulative share of revenue"},
    "plot.equal": {"zh": "平均分布", "en": "Equal shares"},
    "plot.cut": {"zh": "{share} 的客户贡献 {rev} 的销售额", "en": "{share} of customers make {rev} of revenue"},
    "plot.rfm_customers": {"zh": "RFM 分布:各格客户数", "en": "RFM grid: customers per cell"},
    "plot.rfm_monetary": {"zh": "RFM 分布:各格平均消费金额", "en": "RFM grid: mean revenue per customer"},
    "plot.r_axis": {"zh": "R 评分(越高越近期)", "en": "R score (higher = more recent)"},
    "plot.f_axis": {"zh": "F 评分(越高越频繁)", "en": "F score (higher = more frequent)"},
    "plot.segments": {"zh": "RFM 客户分群:面积 = 客户数,颜色 = 销售额占比",
                         "en": "RFM segments: area = customers, colour = revenue share"},
    "plot.segment_bars": {"zh": "各分群的客户占比与销售额占比", "en": "Customer share and revenue share by segment"},
    "plot.tiers": {"zh": "客户等级:人数与销售额占比", "en": "Tiers: customers and revenue share"},
    "plot.customers_axis": {"zh": "客户数", "en": "Customers"},
    "plot.lifecycle": {"zh": "客户生命周期阶段", "en": "Customer lifecycle stages"},
    "plot.migration": {"zh": "客户等级迁移({a} → {b})", "en": "Tier migration ({a} → {b})"},
    "plot.migration_from": {"zh": "期初状态", "en": "State at the earlier date"},
    "plot.migration_to": {"zh": "期末状态", "en": "State at the later date"},
    "plot.clusters": {"zh": "聚类画像:客户占比与销售额占比", "en": "Cluster profiles: customer and revenue share"},
    "plot.cluster_n": {"zh": "聚类 {n}", "en": "Cluster {n}"},
    "plot.by_channel": {"zh": "各分群客户数(按获客渠道)", "en": "Customers per segment by acquisition channel"},
}, room=ROOM)


def _t(key: str, lang: str) -> str:
    return i18n.t(key, lang, room=ROOM)


def _ax(ax, figsize=None):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def pareto_chart(pareto: pl.DataFrame, cut_points: pl.DataFrame | None = None, lang: str = "en", ax=None):
    """Pareto curve (cumulative customer share vs revenue share) with the ABC cut points.

    Args:
        pareto: :func:`workbench.segment.pareto_curve`.
        cut_points: :func:`workbench.segment.pareto_cut_points` (optional).
    """
    ax = _ax(ax, (8, 5))
    x = pareto.get_column("customer_share").to_numpy()
    y = pareto.get_column("revenue_share").to_numpy()
    ax.plot(x, y, color=PALETTE[0], lw=2.2)
    ax.plot([0, 1], [0, 1], color="#999999", lw=1, ls="--", label=_t("plot.equal", lang))
    if cut_points is not None:
        prev = 0.0
        for i, row in enumerate(cut_points.iter_rows(named=True)):
            cx, cy = row["customer_share"], row["revenue_share"]
            ax.axvspan(prev, cx, color=TIER_COLORS.get(row["abc_class"], "#eeeeee"), alpha=0.25, lw=0)
            ax.plot([cx, cx], [0, cy], color="#555555", lw=0.8, ls=":")
            ax.plot([0, cx], [cy, cy], color="#555555", lw=0.8, ls=":")
            ax.annotate(_t("plot.cut", lang).format(share=fmt_pct(cx, 0), rev=fmt_pct(cy, 0)),
                        (cx, cy), xytext=(12, -16 - 14 * i), textcoords="offset points", fontsize=9)
            ax.text((prev + cx) / 2, 0.03, row["abc_class"], ha="center", fontsize=12, fontweight="bold",
                    color="#333333")
            prev = cx
        last = chr(ord(cut_points.get_column("abc_class")[-1]) + 1)
        ax.axvspan(prev, 1, color=TIER_COLORS.get(last, "#eeeeee"), alpha=0.25, lw=0)
        ax.text((prev + 1) / 2, 0.03, last, ha="center", fontsize=12, fontweight="bold", color="#333333")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    percent_axis(ax, "x")
    percent_axis(ax, "y")
    ax.set_xlabel(_t("plot.cum_customers", lang))
    ax.set_ylabel(_t("plot.cum_revenue", lang))
    ax.set_title(_t("plot.pareto", lang))
    ax.legend(loc="center right")
    return ax


def rfm_heatmap(grid: pl.DataFrame, value: str = "customers", lang: str = "en", ax=None,
                currency: str = "CNY"):
    """R x F heatmap from :func:`workbench.segment.rfm_grid` (colour = customers or mean revenue)."""
    ax = _ax(ax, (7, 5.5))
    row = grid.columns[0]
    cols = grid.columns[1:]
    data = grid.select(cols).to_numpy().astype(float)
    masked = np.ma.masked_invalid(data)
    im = ax.imshow(masked, cmap="Blues", aspect="auto")
    cb = ax.figure.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    if value != "customers":
        cb.ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: fmt_money(v, lang, currency)))
    top = np.nanmax(data) if np.isfinite(data).any() else 1.0
    for i in range(data.shape[0]):
        for j in range(data.shape[1]):
            v = data[i, j]
            if np.isnan(v):
                continue
            text = fmt_int(v) if value == "customers" else fmt_money(v, lang, currency)
            ax.text(j, i, text, ha="center", va="center", fontsize=9,
                    color="white" if v > 0.6 * top else "#222222")
    ax.set_xticks(range(len(cols)), cols)
    ax.set_yticks(range(grid.height), [str(v) for v in grid.get_column(row).to_list()])
    ax.set_xlabel(_t("plot.f_axis", lang))
    ax.set_ylabel(_t("plot.r_axis", lang))
    ax.grid(False)
    ax.set_title(_t("plot.rfm_customers" if value == "customers" else "segplot.rfm_monetary", lang))
    return ax


def segment_treemap(profile: pl.DataFrame, lang: str = "en", ax=None, by: str = "rfm_segment"):
    """Treemap of segments (area = customers, colour = revenue share) from ``segment_profile``."""
    ax = _ax(ax, (10, 5.5))
    p = profile.filter(pl.col("customers") > 0).sort("customers", descending=True)
    sizes = p.get_column("customers").to_list()
    share = p.get_column("revenue_share").to_numpy()
    norm = mcolors.Normalize(vmin=0, vmax=max(float(share.max()), 1e-9))
    cmap = plt.get_cmap("Blues")
    labels = [f"{_t(k, lang)}\n{fmt_int(n)} · {fmt_pct(r, 0)}"
              for k, n, r in zip(p.get_column(by).to_list(), sizes, share, strict=True)]
    squarify.plot(sizes=sizes, label=labels, color=[cmap(0.15 + 0.8 * norm(v)) for v in share], ax=ax,
                  pad=False, text_kwargs={"fontsize": 9}, edgecolor="white", linewidth=1.5)
    for txt, v in zip(ax.texts, share, strict=False):
        txt.set_color("white" if norm(v) > 0.55 else "#222222")
    ax.figure.colorbar(cm.ScalarMappable(norm=norm, cmap=cmap), ax=ax, fraction=0.03, pad=0.02,
                       format=plt.FuncFormatter(lambda v, _: fmt_pct(v, 0)))
    ax.axis("off")
    ax.set_title(_t("plot.segments", lang))
    return ax


def segment_bars(profile: pl.DataFrame, lang: str = "en", ax=None, by: str = "rfm_segment",
                 label_prefix: str = "segment."):
    """Horizontal bars: customer share next to revenue share for each group of ``profile``."""
    ax = _ax(ax, (9, 0.45 * profile.height + 1.5))
    keys = profile.get_column(by).to_list()
    y = np.arange(len(keys))
    h = 0.4
    cs = profile.get_column("customer_share").to_numpy()
    rs = profile.get_column("revenue_share").to_numpy()
    ax.barh(y - h / 2, cs, height=h, color=PALETTE[7], label=_t("customer_share", lang))
    ax.barh(y + h / 2, rs, height=h, color=PALETTE[0], label=_t("revenue_share", lang))
    for yi, c, r in zip(y, cs, rs, strict=True):
        ax.text(c, yi - h / 2, " " + fmt_pct(c, 0), va="center", fontsize=8)
        ax.text(r, yi + h / 2, " " + fmt_pct(r, 0), va="center", fontsize=8)
    ax.set_yticks(y, [i18n.t(f"{label_prefix}{k}", lang) for k in keys])
    ax.invert_yaxis()
    percent_axis(ax, "x")
    ax.legend(loc="lower right")
    ax.set_title(_t("plot.segment_bars", lang))
    return ax


def tier_chart(profile: pl.DataFrame, lang: str = "en", by: str = "tier"):
    """Two panels: customers per tier, and customer share vs revenue share per tier."""
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 4.2))
    keys = [str(k) for k in profile.get_column(by).to_list()]
    colors = [TIER_COLORS.get(k, PALETTE[i % len(PALETTE)]) for i, k in enumerate(keys)]
    n = profile.get_column("customers").to_numpy()
    bars = a1.bar(keys, n, color=colors, edgecolor="#1f5f8b")
    a1.bar_label(bars, [fmt_int(v) for v in n], fontsize=9)
    a1.set_ylabel(_t("plot.customers_axis", lang))
    a1.set_xlabel(_t("tier", lang))
    x = np.arange(len(keys))
    cs = profile.get_column("customer_share").to_numpy()
    rs = profile.get_column("revenue_share").to_numpy()
    b1 = a2.bar(x - 0.2, cs, 0.4, color=PALETTE[7], label=_t("customer_share", lang))
    b2 = a2.bar(x + 0.2, rs, 0.4, color=PALETTE[0], label=_t("revenue_share", lang))
    a2.bar_label(b1, [fmt_pct(v, 0) for v in cs], fontsize=8)
    a2.bar_label(b2, [fmt_pct(v, 0) for v in rs], fontsize=8)
    a2.set_xticks(x, keys)
    a2.set_xlabel(_t("tier", lang))
    percent_axis(a2, "y")
    a2.legend(loc="upper right")
    fig.suptitle(_t("plot.tiers", lang), fontweight="bold")
    fig.tight_layout()
    return fig


def lifecycle_chart(counts: dict[str, int], lang: str = "en", ax=None):
    """Bars of customers per lifecycle stage (``results['lifecycle']``)."""
    ax = _ax(ax, (8, 3.8))
    keys = list(counts)
    vals = [counts[k] for k in keys]
    colors = {"prospect": PALETTE[7], "new": PALETTE[2], "active": PALETTE[0], "at_risk": PALETTE[1],
              "churned": PALETTE[3]}
    bars = ax.bar([_t(f"lifecycle.{k}", lang) for k in keys], vals,
                  color=[colors.get(k, PALETTE[5]) for k in keys])
    total = sum(vals) or 1
    ax.bar_label(bars, [f"{fmt_int(v)} ({fmt_pct(v / total, 0)})" for v in vals], fontsize=9)
    ax.set_ylabel(_t("plot.customers_axis", lang))
    ax.set_title(_t("plot.lifecycle", lang))
    return ax


def migration_heatmap(counts: pl.DataFrame, lang: str = "en", ax=None,
                      dates: Sequence[str] = ("", ""), currency: str = "CNY"):
    """Annotated transition matrix (rows = earlier state, columns = later state).

    Args:
        counts: ``Migration.counts`` (or ``Migration.revenue``) from :func:`workbench.segment.tier_migration`.
        dates: the two as-of dates, for the title.
    """
    ax = _ax(ax, (7.5, 5))
    rows = counts.get_column("from").to_list()
    cols = counts.columns[1:]
    data = counts.select(cols).to_numpy().astype(float)
    is_money = counts.schema[cols[0]] == pl.Float64
    im = ax.imshow(np.log1p(np.clip(data, 0, None)), cmap="Blues", aspect="auto")
    top = np.log1p(max(float(np.nanmax(data)), 0.0))
    for i in range(data.shape[0]):
        for j in range(data.shape[1]):
            v = data[i, j]
            text = fmt_money(v, lang, currency) if is_money else fmt_int(v)
            ax.text(j, i, text, ha="center", va="center", fontsize=9,
                    color="white" if np.log1p(max(v, 0)) > 0.6 * top else "#222222")
    del im

    def lab(k: str) -> str:
        return k if len(k) == 1 else _t(f"state.{k}", lang)

    ax.set_xticks(range(len(cols)), [lab(c) for c in cols])
    ax.set_yticks(range(len(rows)), [lab(r) for r in rows])
    ax.set_xlabel(_t("plot.migration_to", lang))
    ax.set_ylabel(_t("plot.migration_from", lang))
    ax.grid(False)
    ax.set_title(_t("plot.migration", lang).format(a=dates[0], b=dates[1]))
    return ax


def cluster_chart(profiles: pl.DataFrame, lang: str = "en", ax=None):
    """Customer share and revenue share per cluster, labelled with the plain-language profile."""
    ax = _ax(ax, (10, 0.9 * profiles.height + 1.8))
    keys = profiles.get_column("cluster").to_list()
    y = np.arange(len(keys))
    cs = profiles.get_column("customer_share").to_numpy()
    rs = profiles.get_column("revenue_share").to_numpy()
    ax.barh(y - 0.2, cs, 0.4, color=PALETTE[7], label=_t("customer_share", lang))
    ax.barh(y + 0.2, rs, 0.4, color=PALETTE[0], label=_t("revenue_share", lang))
    for yi, c, r in zip(y, cs, rs, strict=True):
        ax.text(c, yi - 0.2, " " + fmt_pct(c, 0), va="center", fontsize=8)
        ax.text(r, yi + 0.2, " " + fmt_pct(r, 0), va="center", fontsize=8)
    descs = [d.split(":")[0].split(":")[0] for d in profiles.get_column("description").to_list()]
    ax.set_yticks(y, [f"{_t('plot.cluster_n', lang).format(n=k)}\n{d}" for k, d in zip(keys, descs, strict=True)],
                  fontsize=9)
    ax.invert_yaxis()
    ax.set_xlim(0, 1.1 * max(float(cs.max()), float(rs.max())))
    percent_axis(ax, "x")
    ax.legend(loc="lower right")
    ax.set_title(_t("plot.clusters", lang))
    return ax


def crosstab_heatmap(table: pl.DataFrame, lang: str = "en", ax=None, label_prefix: str = "",
                     money: bool = False, title: str = "", currency: str = "CNY"):
    """Heatmap of a :func:`workbench.segment.profile_crosstab` table (without its total column)."""
    by = table.columns[0]
    cols = [c for c in table.columns[1:] if c != "total"]
    ax = _ax(ax, (max(6, 0.8 * len(cols) + 3), 0.45 * table.height + 1.8))
    data = table.select(cols).to_numpy().astype(float)
    ax.imshow(data, cmap="Blues", aspect="auto")
    top = np.nanmax(data) if data.size else 1.0
    for i in range(data.shape[0]):
        for j in range(data.shape[1]):
            v = data[i, j]
            ax.text(j, i, fmt_money(v, lang, currency) if money else fmt_int(v), ha="center", va="center",
                    fontsize=8, color="white" if v > 0.6 * top else "#222222")
    ax.set_xticks(range(len(cols)), cols, rotation=30, ha="right")
    ax.set_yticks(range(table.height),
                  [i18n.t(f"{label_prefix}{k}", lang) if label_prefix else str(k)
                   for k in table.get_column(by).to_list()])
    ax.grid(False)
    if title:
        ax.set_title(title)
    return ax
