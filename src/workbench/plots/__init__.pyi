# The package's names: what ``__init__.py`` loads on first use (lazy_loader.attach_stub)
# and what type checkers read.
from . import tables
from .style import (
    CJK_FONT_NAME,
    PALETTE,
    TIER_COLORS,
    cjk_font_path,
    fmt_int,
    fmt_money,
    fmt_number,
    fmt_pct,
    money_axis,
    new_figure,
    percent_axis,
    setup,
    table_html,
)
from .tables import interactive_table

__all__ = [
    "CJK_FONT_NAME",
    "PALETTE",
    "TIER_COLORS",
    "cjk_font_path",
    "fmt_int",
    "fmt_money",
    "fmt_number",
    "fmt_pct",
    "interactive_table",
    "money_axis",
    "new_figure",
    "percent_axis",
    "setup",
    "table_html",
    "tables",
]
