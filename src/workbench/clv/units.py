"""The CLV models' names and the time units of a summary: light (no pandas, no models), so
the ``clv:`` settings check reads them without loading lifetimes."""

from __future__ import annotations

from ..errors import UsageError
from ..periods import DAYS_PER_MONTH

__all__ = ["MODELS", "MODEL_NAMES", "PERIOD_DAYS"]

MODELS = ("bgnbd", "paretonbd", "mbgnbd")
MODEL_NAMES = {"bgnbd": "BG/NBD", "paretonbd": "Pareto/NBD", "mbgnbd": "MBG/NBD",
               "baseline": "Baseline"}
#: Days per period unit of a summary; a month is the house's month (:data:`DAYS_PER_MONTH`).
PERIOD_DAYS = {"D": 1.0, "W": 7.0, "M": DAYS_PER_MONTH, "h": 1 / 24, "H": 1 / 24}


def _period_days(period: str, freq_multiplier: float) -> float:
    if period not in PERIOD_DAYS:
        raise UsageError(f"period '{period}' is not supported; use one of {sorted(PERIOD_DAYS)} "
                         f"(with freq_multiplier, e.g. period='D', freq_multiplier=7 for weeks).")
    if not (isinstance(freq_multiplier, (int, float)) and freq_multiplier > 0):
        raise UsageError(f"freq_multiplier must be a positive number, got {freq_multiplier!r}.")
    return PERIOD_DAYS[period] * float(freq_multiplier)
