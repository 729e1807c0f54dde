"""How numbers, money and shares are written for a reader: one definition for every room.

Money is written in the company's currency (``company.currency`` in
``workbench.yaml``, an ISO 4217 code such as ``CNY`` or ``USD``; a symbol such as
``¥`` is accepted too).  Chinese text counts in 万 and 亿, English in k, M and B.

Pure functions of values: no plotting, no I/O, so analytics may use them.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

__all__ = [
    "CURRENCY_SYMBOLS",
    "currency_symbol",
    "fmt_int",
    "fmt_money",
    "fmt_number",
    "fmt_pct",
]

#: Symbols of the currencies the workbench names; any other code is written as
#: the code and a space ('CHF 1.2k').
CURRENCY_SYMBOLS = {
    "CNY": "¥", "RMB": "¥", "JPY": "¥", "USD": "$", "HKD": "HK$", "TWD": "NT$",
    "SGD": "S$", "AUD": "A$", "CAD": "C$", "EUR": "€", "GBP": "£", "KRW": "₩", "INR": "₹",
}


def currency_symbol(currency: str | None = "CNY") -> str:
    """The symbol written before an amount: 'CNY' -> '¥', 'EUR' -> '€', 'CHF' -> 'CHF '."""
    if not currency:
        return ""
    code = str(currency).strip()
    if code.upper() in CURRENCY_SYMBOLS:
        return CURRENCY_SYMBOLS[code.upper()]
    if code.isalpha() and len(code) == 3:
        return f"{code.upper()} "
    return code  # already a symbol


def fmt_money(value: float | None, lang: str = "en", currency: str | None = "CNY") -> str:
    """Compact money: 1234567 -> '¥1.23M' (en) or '¥123.5万' (zh); None or NaN -> ''."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    sym = currency_symbol(currency)
    sign = "-" if value < 0 else ""
    v = abs(float(value))
    if lang == "zh":
        if v >= 1e8:
            return f"{sign}{sym}{v / 1e8:.2f}亿"
        if v >= 1e4:
            return f"{sign}{sym}{v / 1e4:.1f}万"
        return f"{sign}{sym}{v:,.0f}"
    for div, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if v >= div:
            return f"{sign}{sym}{v / div:.2f}{suffix}"
    return f"{sign}{sym}{v:,.0f}"


def fmt_int(value: float) -> str:
    """Thousands separators: 12345 -> '12,345'."""
    return f"{value:,.0f}"


def fmt_pct(value: float, digits: int = 1) -> str:
    """A share as percent: 0.1234 -> '12.3%'."""
    return f"{100 * value:.{digits}f}%"


def fmt_number(value: Any) -> str:
    """A table cell for a reader: thousands separators, sensible decimals, blank for missing.

    12345.678 -> '12,346'; 123.45 -> '123.5'; 0.71634 -> '0.716'; NaN/None -> ''.
    Text and other values are returned as ``str(value)``.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, numbers.Integral):
        return f"{value:,d}"
    if isinstance(value, numbers.Real):
        v = float(value)
        if math.isnan(v):
            return ""
        if math.isinf(v):
            return "∞" if v > 0 else "-∞"
        a = abs(v)
        if a >= 1000 or (v.is_integer() and a < 1e15):
            return f"{v:,.0f}"
        if a >= 100:
            return f"{v:,.1f}"
        return f"{v:.3g}"
    return str(value)
