"""Charts for service and relationship analytics (draw what :mod:`workbench.service` computed).

Their text is in the i18n room ``service`` (keys ``plot.*``).

Every function takes a table returned by :mod:`workbench.service`, a language
(``"zh"``/``"en"``) and an optional ``ax``; it returns the matplotlib Axes.  Call
:func:`workbench.plots.setup` first so Chinese labels render.  In a notebook end
the line with ``;`` so the chart shows once.
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import polars as pl

from .. import i18n
from ..service import ROOM
from . import PALETTE, TIER_COLORS, fmt_pct, money_axis, percent_axis

__all__ = [
    "complaint_rate_chart",
    "new_vs_returning_chart",
    "nps_chart",
    "nps_trend_chart",
    "resolution_chart",
    "retention_heatmap",
    "style_scorecard",
    "visits_by_tier_chart",
]

i18n.register({
    "plot.complaint_rate": {"zh": "各等级客户投诉率(每百客户投诉数)",
                               "en": "Complaints per 100 customers by tier"},
    "plot.per100": {"zh": "每百客户投诉数", "en": "Complaints per 100 customers"},
    "plot.tier": {"zh": "客户等级", "en": "Tier"},
    "plot.resolution": {"zh": "各严重程度的投诉解决时长与时限(SLA)",
                           "en": "Time to resolve by severity, against the SLA"},
    "plot.hours": {"zh": "解决时长(小时,对数刻度)", "en": "Hours to resolve (log scale)"},
    "plot.sla": {"zh": "时限(SLA)", "en": "SLA"},
    "plot.median": {"zh": "中位数", "en": "Median"},
    "plot.visits": {"zh": "各等级客户每月人均拜访次数(服务差异化)",
                       "en": "Visits per customer per month by tier (service differentiation)"},
    "plot.visits_axis": {"zh": "每客户每月拜访次数", "en": "Visits per customer per month"},
    "plot.nps": {"zh": "各{by}净推荐值(NPS)及{conf}置信区间", "en": "NPS by {by} with {conf} interval"},
    "plot.nps_axis": {"zh": "NPS(-100 至 100)", "en": "NPS (-100 to 100)"},
    "plot.nps_trend": {"zh": "净推荐值与满意度月度趋势", "en": "NPS and CSAT per month"},
    "plot.csat_share": {"zh": "CSAT(4-5分占比)", "en": "CSAT (share 4-5)"},
    "plot.retention": {"zh": "获客批次留存热力图:{what}", "en": "Cohort retention: {what}"},
    "plot.retention_customers": {"zh": "仍在购买的客户占比", "en": "share of customers still buying"},
    "plot.retention_revenue": {"zh": "销售额相对首期的比例", "en": "revenue relative to the first period"},
    "plot.cohort": {"zh": "获客批次(首次购买月份)", "en": "Cohort (month of first purchase)"},
    "plot.since": {"zh": "获客后第几期", "en": "Periods since acquisition"},
    "plot.nvr": {"zh": "新客户与老客户销售额", "en": "Revenue from new and returning customers"},
    "plot.new": {"zh": "新客户", "en": "New customers"},
    "plot.returning": {"zh": "老客户", "en": "Returning customers"},
    "plot.n": {"zh": "n={n}", "en": "n={n}"},
}, room=ROOM)


def _t(key: str, lang: str) -> str:
    return i18n.t(f"plot.{key}", lang, room=ROOM)


def _ax(ax, figsize=None):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def _pd(df):
    return df.to_pandas() if isinstance(df, pl.DataFrame) else df


def _tier_label(t: str, lang: str) -> str:
    label = i18n.t(f"value.{t}", lang, room=ROOM)
    return t if label == f"value.{t}" else label


def complaint_rate_chart(rates, lang: str = "en", ax=None):
    """Bars of complaints per 100 customers by tier (:func:`workbench.service.complaint_rates`)."""
    d = _pd(rates)
    ax = _ax(ax, (7, 4))
    tiers = [str(t) for t in d["tier"]]
    colors = [TIER_COLORS.get(t, "#8c8c8c") for t in tiers]
    bars = ax.bar([_tier_label(t, lang) for t in tiers], d["rate"], color=colors,
                  edgecolor="#1f5f8b")
    for b, (rate, n) in zip(bars, zip(d["rate"], d["complaints"], strict=True), strict=True):
        ax.annotate(f"{rate:.1f}\n({int(n)})", (b.get_x() + b.get_width() / 2, b.get_height()),
                    ha="center", va="bottom", fontsize=9)
    ax.set_title(_t("complaint_rate", lang))
    ax.set_ylabel(_t("per100", lang))
    ax.set_xlabel(_t("tier", lang))
    ax.margins(y=0.2)
    return ax


def resolution_chart(status, sla_hours: Mapping[str, float], lang: str = "en", ax=None):
    """Hours to resolve per severity (dots, log scale) with the SLA of each severity as a line.

    Args:
        status: :func:`workbench.service.complaint_status` (resolved complaints are drawn).
        sla_hours: ``{severity: hours}``.
    """
    d = _pd(status)
    d = d[~d["is_open"]]
    ax = _ax(ax, (8, 4.5))
    sev = [s for s in sla_hours if s in set(d["severity"])] or list(sla_hours)
    rng = np.random.default_rng(0)
    for i, s in enumerate(sev):
        h = d.loc[d["severity"] == s, "hours_to_resolve"].to_numpy(dtype=float)
        h = np.clip(h, 0.1, None)
        late = h > sla_hours[s]
        x = i + rng.uniform(-0.18, 0.18, h.size)
        ax.scatter(x[~late], h[~late], s=18, color=PALETTE[0], alpha=0.7)
        ax.scatter(x[late], h[late], s=18, color=PALETTE[3], alpha=0.8)
        ax.hlines(sla_hours[s], i - 0.35, i + 0.35, color=PALETTE[3], linestyle="--", lw=1.5,
                  label=_t("sla", lang) if i == 0 else None)
        if h.size:
            ax.hlines(np.median(h), i - 0.3, i + 0.3, color="black", lw=2,
                      label=_t("median", lang) if i == 0 else None)
    ax.set_yscale("log")
    ax.set_xticks(range(len(sev)), [_tier_label(s, lang) for s in sev])
    ax.set_ylabel(_t("hours", lang))
    ax.set_title(_t("resolution", lang))
    ax.legend(loc="upper right")
    return ax


def visits_by_tier_chart(cadence, lang: str = "en", ax=None):
    """Bars of visits per customer per month by tier (:func:`workbench.service.visit_cadence`)."""
    d = _pd(cadence)
    ax = _ax(ax, (7, 4))
    tiers = [str(t) for t in d["tier"]]
    bars = ax.bar([_tier_label(t, lang) for t in tiers], d["visits_per_customer_month"],
                  color=[TIER_COLORS.get(t, "#8c8c8c") for t in tiers], edgecolor="#1f5f8b")
    for b, v in zip(bars, d["visits_per_customer_month"], strict=True):
        ax.annotate(f"{v:.2f}", (b.get_x() + b.get_width() / 2, b.get_height()), ha="center",
                    va="bottom", fontsize=9)
    ax.set_title(_t("visits", lang))
    ax.set_ylabel(_t("visits_axis", lang))
    ax.set_xlabel(_t("tier", lang))
    ax.margins(y=0.15)
    return ax


def nps_chart(sat, by: str = "tier", lang: str = "en", ax=None, confidence: float = 0.95):
    """NPS per group with its confidence interval as error bars (:func:`service.satisfaction_by`).

    ``confidence`` only labels the title: pass the level the intervals were computed at.
    """
    d = _pd(sat)
    d = d[d["nps"].notna()]
    ax = _ax(ax, (8, 4))
    labels = [_tier_label(str(g), lang) for g in d[by]]
    y = d["nps"].to_numpy(dtype=float)
    err = np.vstack([y - d["ci_low"].to_numpy(dtype=float), d["ci_high"].to_numpy(dtype=float) - y])
    colors = [TIER_COLORS.get(str(g), PALETTE[0]) if by == "tier" else PALETTE[0] for g in d[by]]
    ax.bar(labels, y, color=colors, edgecolor="#1f5f8b", yerr=err, capsize=5,
           error_kw={"ecolor": "#444444", "lw": 1.2})
    for i, n in enumerate(d["n_nps"]):
        ax.annotate(_t("n", lang).format(n=int(n)), (i, -100), ha="center",
                    va="bottom", fontsize=8, color="#444444")
    ax.axhline(0, color="black", lw=0.8)
    ax.set_ylim(-100, 100)
    ax.set_ylabel(_t("nps_axis", lang))
    by_label = i18n.t(by, lang, room=ROOM)
    ax.set_title(_t("nps", lang).format(by=by_label, conf=fmt_pct(confidence, 0)))
    if len(labels) > 6:
        ax.tick_params(axis="x", labelrotation=45)
    return ax


def nps_trend_chart(trend, lang: str = "en", ax=None):
    """NPS per period (line with interval band) and CSAT share on a second axis."""
    d = _pd(trend)
    ax = _ax(ax, (9, 4))
    x = np.arange(len(d))
    ax.plot(x, d["nps"], marker="o", color=PALETTE[0], label="NPS")
    ax.fill_between(x, d["ci_low"].astype(float), d["ci_high"].astype(float), color=PALETTE[0],
                    alpha=0.15)
    ax.set_ylim(-100, 100)
    ax.axhline(0, color="black", lw=0.8)
    ax.set_ylabel(_t("nps_axis", lang))
    ax2 = ax.twinx()
    ax2.plot(x, d["csat_share"], marker="s", color=PALETTE[1], label=_t("csat_share", lang))
    ax2.set_ylim(0, 1.05)
    percent_axis(ax2)
    ax2.grid(False)
    ax.set_xticks(x, d["period"], rotation=45, ha="right")
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, loc="lower left")
    ax.set_title(_t("nps_trend", lang))
    return ax


def retention_heatmap(matrix, value: str = "retention", lang: str = "en", ax=None):
    """Cohort x periods-since heatmap (:func:`workbench.service.retention_matrix`), cells in percent."""
    m = matrix
    ax = _ax(ax, (11, max(3.5, 0.35 * len(m) + 1.5)))
    data = m.to_numpy(dtype=float)
    vmax = 1.0 if value == "retention" else float(np.nanpercentile(data[:, 1:], 95)) if (
        data.shape[1] > 1 and np.isfinite(data[:, 1:]).any()) else 1.0
    im = ax.imshow(data, aspect="auto", cmap="Blues", vmin=0, vmax=max(vmax, 1e-9))
    for i in range(data.shape[0]):
        for j in range(data.shape[1]):
            v = data[i, j]
            if np.isfinite(v):
                ax.text(j, i, f"{100 * v:.0f}", ha="center", va="center", fontsize=7,
                        color="white" if v > 0.6 * vmax else "#222222")
    ax.set_xticks(range(data.shape[1]), [str(c) for c in m.columns])
    ax.set_yticks(range(data.shape[0]), [str(r) for r in m.index])
    ax.set_xlabel(_t("since", lang))
    ax.set_ylabel(_t("cohort", lang))
    ax.grid(False)
    what = _t("retention_customers" if value == "retention" else "retention_revenue", lang)
    ax.set_title(_t("retention", lang).format(what=what) + " (%)")
    plt.colorbar(im, ax=ax, fraction=0.03, format=lambda v, _: fmt_pct(v, 0))
    return ax


def new_vs_returning_chart(nvr, lang: str = "en", ax=None, currency: str | None = "CNY"):
    """Stacked bars of revenue from new and returning customers per period (net ``value``)."""
    d = _pd(nvr)
    ax = _ax(ax, (10, 4))
    x = np.arange(len(d))
    ax.bar(x, d["new_revenue"], color=PALETTE[1], label=_t("new", lang))
    ax.bar(x, d["returning_revenue"], bottom=d["new_revenue"], color=PALETTE[0],
           label=_t("returning", lang))
    step = max(1, len(d) // 18)
    ax.set_xticks(x[::step], list(d["period"])[::step], rotation=45, ha="right")
    money_axis(ax, lang=lang, currency=currency)
    ax.legend(loc="upper left")
    ax.set_title(_t("nvr", lang))
    return ax


def style_scorecard(table):
    """Colour the change columns of :func:`workbench.service.format_scorecard`: ✓ green, ✗ red."""
    def colour(v):
        if isinstance(v, str) and v.endswith("✓"):
            return "color: #2e7d32; font-weight: bold"
        if isinstance(v, str) and v.endswith("✗"):
            return "color: #c62828; font-weight: bold"
        return "color: #555555"
    change_cols = [c for c in table.columns[1:] if table.columns.get_loc(c) in (3, 5)]
    return table.style.map(colour, subset=change_cols).hide(axis="index")
