"""Charts of the management room: book size against performance (draws what
:func:`workbench.manage.owner_scorecard` computed; text in the i18n room ``manage``)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import polars as pl

from .. import i18n
from ..frames import as_polars
from ..manage import ROOM, SHARED_POOL
from . import PALETTE

__all__ = ["book_performance_chart"]


def book_performance_chart(scorecard, lang: str = "en", *, by: str = "owner", ax=None):
    """Each book as a point: customers in the book (x) against retention above what its tier
    mix predicts (y, points); the point's size is the book's revenue.  Books under the
    small-number guard and the shared pool are left out (they have no lift)."""
    sc = as_polars(scorecard, "owner scorecard", [by, "customers", "retention_lift", "revenue"])
    sc = sc.filter(pl.col("retention_lift").is_not_null() & (pl.col(by) != SHARED_POOL))
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 5.5))
    if sc.height:
        rev = sc.get_column("revenue").clip(lower_bound=0).to_numpy()
        size = 40 + 600 * rev / (rev.max() or 1)
        lift = sc.get_column("retention_lift").to_numpy() * 100
        colors = [PALETTE[0] if v >= 0 else PALETTE[3 % len(PALETTE)] for v in lift]
        ax.scatter(sc.get_column("customers").to_numpy(), lift, s=size, c=colors, alpha=0.7,
                   edgecolor="white")
        for name, x, y in zip(sc.get_column(by).to_list(), sc.get_column("customers").to_list(),
                              lift, strict=True):
            ax.annotate(str(name), (x, y), textcoords="offset points", xytext=(4, 4), fontsize=8)
    ax.axhline(0, color="grey", lw=1, ls="--")
    ax.set_xlabel(i18n.t("chart.x", lang, room=ROOM))
    ax.set_ylabel(i18n.t("chart.y", lang, room=ROOM))
    ax.set_title(i18n.t("chart.title", lang, room=ROOM))
    return ax
