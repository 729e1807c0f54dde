"""Charts of the data-quality story (draw what :mod:`workbench.clean` computed).

Every function takes the ledger (``ledger.json`` as a dict) or a table built by
:mod:`workbench.clean` (:func:`~workbench.clean.amount_by_reason`), a language
(``"zh"``/``"en"``) and an optional ``ax``, and returns the matplotlib Axes.
Call :func:`workbench.plots.setup` first so Chinese labels render.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import matplotlib.pyplot as plt
import polars as pl

from .. import i18n
from ..clean import label
from ..formatting import fmt_int, fmt_money
from . import PALETTE, money_axis, percent_axis

__all__ = ["amount_bridge", "match_waterfall", "reasons", "rows_outcome"]

i18n.register({
    "plot_rows": {"zh": "各数据表行数去向", "en": "Where the rows of each table went"},
    "plot_reasons": {"zh": "隔离与合并原因", "en": "Why rows were quarantined or merged"},
    "plot_bridge": {"zh": "订单金额核对:从原始到保留", "en": "Order amounts reconciled: raw to kept"},
    "axis_share": {"zh": "占原始行数比例", "en": "Share of raw rows"},
    "axis_rows": {"zh": "行数", "en": "Rows"},
    "axis_amount": {"zh": "金额", "en": "Amount"},
    "plot_waterfall": {"zh": "合并依据:各字段匹配权重", "en": "Why merged: match weight of each field"},
    "axis_weight": {"zh": "匹配权重(比特)", "en": "Match weight (bits)"},
    "prior": {"zh": "先验", "en": "Prior"},
    "total": {"zh": "合计", "en": "Total"},
}, room="cleaning")

_OUTCOME_COLORS = {"rows_kept": PALETTE[2], "rows_quarantined": PALETTE[3],
                   "rows_merged": PALETTE[1]}


def _tables(ledger: Mapping[str, Any]) -> list[str]:
    return [t for t, e in ledger.items() if isinstance(e, Mapping) and "rows_in" in e]


def rows_outcome(ledger: Mapping[str, Any], lang: str = "en", ax=None):
    """Stacked horizontal bars: the share of each table's raw rows kept, quarantined, merged.

    The raw row count is written at the end of each bar.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 0.6 * max(len(_tables(ledger)), 2) + 1.4))
    tables = _tables(ledger)[::-1]
    labels = [label(f"table.{t}", lang) for t in tables]
    left = [0.0] * len(tables)
    for key, color in _OUTCOME_COLORS.items():
        shares = [(ledger[t][key] / ledger[t]["rows_in"]) if ledger[t]["rows_in"] else 0.0
                  for t in tables]
        ax.barh(labels, shares, left=left, color=color, label=label(key, lang))
        left = [a + b for a, b in zip(left, shares, strict=True)]
    for i, t in enumerate(tables):
        ax.text(1.01, i, fmt_int(ledger[t]["rows_in"]), va="center", fontsize=9)
    ax.set_xlim(0, 1.12)
    percent_axis(ax, "x")
    ax.set_xlabel(label("axis_share", lang))
    ax.set_title(label("plot_rows", lang))
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=3)
    ax.grid(axis="y", visible=False)
    return ax


def reasons(reasons_table: pl.DataFrame, lang: str = "en", ax=None):
    """Horizontal bars: rows per (table, reason), from :func:`workbench.clean.reasons_frame`."""
    df = reasons_table.sort("rows")
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 0.38 * max(df.height, 3) + 1.2))
    if df.height == 0:
        ax.text(0.5, 0.5, "-", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return ax
    tables = list(dict.fromkeys(reasons_table.get_column("table").to_list()))
    colors = {t: PALETTE[i % len(PALETTE)] for i, t in enumerate(tables)}
    labels = [f"{label(f'table.{t}', lang)} · {lab}" for t, lab in
              zip(df.get_column("table"), df.get_column("label"), strict=True)]
    rows = df.get_column("rows").to_list()
    ax.barh(labels, rows, color=[colors[t] for t in df.get_column("table")])
    for i, n in enumerate(rows):
        ax.text(n, i, f" {fmt_int(n)}", va="center", fontsize=9)
    ax.set_xlim(0, max(rows) * 1.15)
    ax.set_xlabel(label("axis_rows", lang))
    ax.set_title(label("plot_reasons", lang))
    ax.grid(axis="y", visible=False)
    return ax


def amount_bridge(ledger: Mapping[str, Any], by_reason: pl.DataFrame, lang: str = "en",
                  currency: str = "CNY", ax=None):
    """Order amounts reconciled: the quarantined amount per reason, under a title line that
    reads ``amount in = amount kept + amount quarantined``.

    ``by_reason`` is :func:`workbench.clean.amount_by_reason` (``reason, rows, amount``);
    ``currency`` a code such as ``CNY`` (:func:`workbench.formatting.fmt_money`).
    Bars are drawn for the reasons with a non-zero amount (returns count negative).
    """
    o = ledger["orders"]
    df = by_reason.filter(pl.col("amount") != 0).sort("amount")
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 0.42 * max(df.height, 3) + 1.6))
    labels = [label(r, lang) for r in df.get_column("reason")]
    values = df.get_column("amount").to_list()
    ax.barh(labels, values, color=[PALETTE[3] if v > 0 else PALETTE[2] for v in values])
    for i, v in enumerate(values):
        ax.text(max(v, 0), i, f" {fmt_money(v, lang, currency)}", va="center", fontsize=9)
    if values:
        hi = max(max(values), 0) * 1.25 or 1.0
        lo = min(min(values), 0) * 1.25
        ax.set_xlim(lo, hi)
    money_axis(ax, "x", lang)
    ax.set_xlabel(label("amount_quarantined", lang))
    eq = (f"{label('amount_in', lang)} {fmt_money(o['amount_in'], lang, currency)} = "
          f"{label('amount_kept', lang)} {fmt_money(o['amount_kept'], lang, currency)} + "
          f"{label('amount_quarantined', lang)} "
          f"{fmt_money(o['amount_quarantined'], lang, currency)}")
    ax.set_title(f"{label('plot_bridge', lang)}\n{eq}")
    ax.grid(axis="y", visible=False)
    return ax


def match_waterfall(weights: Mapping[str, float], prior: float, lang: str = "en",
                    title: str | None = None, ax=None):
    """A waterfall of match weights (bits): the prior, then each field's weight (positive for,
    negative against), ending at the pair's total.  ``weights``: ``{field: weight}`` as in
    ``review_pairs.parquet`` (``weight_<field>``) or the scored pairs (``mw_<field>``)."""
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 4))
    labels = [label("prior", lang)] + [label(f, lang) for f in weights] + [label("total", lang)]
    steps = [prior, *weights.values()]
    start, level = [], 0.0
    for v in steps:
        start.append(level if v >= 0 else level + v)
        level += v
    heights = [abs(v) for v in steps] + [abs(level)]
    start.append(min(0.0, level))
    colors = [PALETTE[3] if v < 0 else PALETTE[2] for v in steps] + [PALETTE[0]]
    ax.bar(labels, heights, bottom=start, color=colors)
    for i, v in enumerate([*steps, level]):
        ax.text(i, start[i] + heights[i], f"{v:+.1f}", ha="center", va="bottom", fontsize=9)
    ax.axhline(0, color="grey", linewidth=0.8)
    ax.set_ylabel(label("axis_weight", lang))
    ax.set_title(title or label("plot_waterfall", lang))
    ax.grid(axis="x", visible=False)
    return ax
