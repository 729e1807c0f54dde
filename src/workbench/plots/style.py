"""The house chart style (``workbench.plots``' own names, see the package): the CJK font
that ships with the install, colours, sizes and number formats on the axes."""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path

import matplotlib as mpl
import matplotlib.pyplot as plt
from matplotlib import font_manager
from matplotlib.ticker import FuncFormatter

# The number formats are a shared leaf (analytics use them too); charts re-export them.
from ..formatting import fmt_int, fmt_money, fmt_number, fmt_pct
from .tables import interactive_table

__all__ = [
    "CJK_FONT_NAME",
    "PALETTE",
    "TIER_COLORS",
    "cjk_font_path",
    "setup",
    "fmt_money",
    "fmt_number",
    "table_html",
    "interactive_table",
    "fmt_int",
    "fmt_pct",
    "money_axis",
    "percent_axis",
]

CJK_FONT_FILE = "NotoSansCJKsc-Regular.otf"
CJK_FONT_NAME = "Noto Sans CJK SC"

# Colour-blind friendly, calm; first colours for the most important series.
PALETTE = ["#1f5f8b", "#e07b39", "#3a9d5d", "#c44e52", "#8172b3", "#937860",
           "#da8bc3", "#8c8c8c", "#ccb974", "#64b5cd"]
TIER_COLORS = {"A": "#1f5f8b", "B": "#64b5cd", "C": "#c7d9e8", "D": "#e8eef3"}

_done = False


def cjk_font_path() -> Path:
    """Path of the CJK font shipped with the ``mplfonts`` package (a project dependency)."""
    spec = importlib.util.find_spec("mplfonts")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(
            "the package 'mplfonts' is missing, so Chinese labels cannot render; "
            "reinstall the project (make venv) to get it."
        )
    path = Path(list(spec.submodule_search_locations)[0]) / "fonts" / CJK_FONT_FILE
    if not path.is_file():
        raise RuntimeError(f"CJK font file {path} is missing; reinstall 'mplfonts'.")
    return path


def setup(lang: str = "en") -> None:
    """Register the CJK font and apply the house style.  Safe to call many times.

    Latin text uses DejaVu Sans; any glyph it lacks (Chinese) falls back to
    Noto Sans CJK SC, so mixed labels render in both languages.
    """
    global _done
    if not _done:
        font_manager.fontManager.addfont(str(cjk_font_path()))
        # The CJK font has one weight; bold titles use it at regular weight.  Matplotlib says so
        # on every figure through its logger, which would print into reports: keep it quiet.
        logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
        _done = True
    _format_tables_in_notebooks()
    mpl.rcParams.update({
        # A list of families (not the generic 'sans-serif') enables per-glyph fallback.
        "font.family": ["DejaVu Sans", CJK_FONT_NAME],
        "font.sans-serif": ["DejaVu Sans", CJK_FONT_NAME],
        "axes.unicode_minus": False,
        "figure.figsize": (9, 4.8),
        "figure.dpi": 100,
        "savefig.dpi": 120,
        "figure.autolayout": False,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "axes.titleweight": "bold",
        "axes.titlesize": 12,
        "axes.labelsize": 10,
        "legend.frameon": False,
        "axes.prop_cycle": plt.cycler(color=PALETTE),
    })


def table_html(df) -> str:
    """HTML of a pandas DataFrame as a reader sees it.

    A default 0, 1, 2 ... index says nothing and is hidden; meaningful indexes
    (row labels) stay.  Numbers go through :func:`fmt_number`; missing values are blank.
    Every text from the data is HTML-escaped: cells, row and column labels and the
    names of the index levels (a company called ``<script>`` shows as that text).
    """
    import html

    import pandas as pd

    def _escaped(names):
        return [html.escape(n) if isinstance(n, str) else n for n in names]

    if any(isinstance(n, str) for n in [*df.index.names, *df.columns.names]):
        df = df.copy(deep=False)  # the caller's frame keeps its names
        df.index.names = _escaped(df.index.names)
        df.columns.names = _escaped(df.columns.names)
    def _cell(value) -> str:  # escaped after formatting: lists, dates and objects too
        return html.escape(fmt_number(value))

    styler = (df.style.format(_cell, na_rep="")
              .format_index(escape="html", axis=0).format_index(escape="html", axis=1)
              .set_uuid("wb"))
    if isinstance(df.index, pd.RangeIndex):
        styler = styler.hide(axis="index")
    return styler.set_table_attributes('class="dataframe"').to_html()


def _format_tables_in_notebooks() -> None:
    """In a Jupyter kernel, show pandas DataFrames with :func:`table_html`."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with the notebooks
        return
    shell = get_ipython()
    if shell is None:
        return
    import pandas as pd

    shell.display_formatter.formatters["text/html"].for_type(pd.DataFrame, table_html)
    # A Styler a room displays itself (the KPI scorecard) escapes its cells' text too.
    pd.set_option("styler.format.escape", "html")


def money_axis(ax, axis: str = "y", lang: str = "en", currency: str | None = "CNY") -> None:
    """Format an axis in compact money units of ``currency`` (a code such as 'CNY')."""
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_formatter(FuncFormatter(lambda v, _: fmt_money(v, lang, currency)))


def percent_axis(ax, axis: str = "y", digits: int = 0) -> None:
    """Format an axis holding shares (0..1) as percents."""
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_formatter(FuncFormatter(lambda v, _: fmt_pct(v, digits)))


def new_figure(*args, **kwargs):
    """``plt.subplots`` with the house style applied (call :func:`setup` first for fonts)."""
    return plt.subplots(*args, **kwargs)
