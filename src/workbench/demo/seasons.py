"""The demo calendar: the history's period, seasonal purchase intensity and operational time.

Shoppers in China buy less over the Spring Festival and much more at the 618 and
Double 11 shopping festivals; key accounts follow working days and budgets.
:func:`seasonal_intensity` writes this down per day, and :class:`Clock` turns it
into an operational time in which the purchase process runs at a constant rate.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Any

import numpy as np

from ..errors import UsageError
from ..periods import parse_date, trailing_window
from .model import DEFAULT_END_DATE, FOUNDED

__all__ = ["LUNAR_NEW_YEAR", "SEASON", "SEASON_BY_TYPE", "Clock", "history", "seasonal_intensity"]

# Lunar New Year's day (正月初一) of each year the generator supports.
LUNAR_NEW_YEAR = {
    2016: date(2016, 2, 8), 2017: date(2017, 1, 28), 2018: date(2018, 2, 16),
    2019: date(2019, 2, 5), 2020: date(2020, 1, 25), 2021: date(2021, 2, 12),
    2022: date(2022, 2, 1), 2023: date(2023, 1, 22), 2024: date(2024, 2, 10),
    2025: date(2025, 1, 29), 2026: date(2026, 2, 17), 2027: date(2027, 2, 6),
    2028: date(2028, 1, 26), 2029: date(2029, 2, 13), 2030: date(2030, 2, 3),
    2031: date(2031, 1, 23), 2032: date(2032, 2, 11), 2033: date(2033, 1, 31),
    2034: date(2034, 2, 19), 2035: date(2035, 2, 8),
}

# Seasonal multipliers of the purchase intensity (relative to an ordinary day).
SEASON: dict[str, dict[str, Any]] = {
    "spring_festival": {"from_days": -7, "to_days": 6, "factor": 0.3},
    "pre_festival": {"from_days": -24, "to_days": -8, "factor": 1.15},
    "618": {"month": 6, "from_day": 1, "to_day": 17, "factor": 2.0, "peak_day": 18, "peak_factor": 4.0},
    "double11": {"month": 11, "from_day": 1, "to_day": 10, "factor": 2.2, "peak_day": 11,
                 "peak_factor": 5.0},
}

# How key accounts (B2B) differ: they order on working days, hardly care about the
# shopping festivals (their factors are raised to this power), buy more at year end
# (budgets), and stop longer at the Spring Festival.  Consumers shop a bit more at weekends.
SEASON_BY_TYPE: dict[str, dict[str, Any]] = {
    "B2C": {"weekend": 1.15},
    "B2B": {"weekend": 0.3, "festival_power": 0.4, "spring_festival": 0.15,
            "year_end": {"month": 12, "factor": 1.3}},
}


def history(end_date: date | str | None, years: float) -> tuple[date, date]:
    """First and last day of a history of ``years`` years ending on ``end_date`` (both included).

    A whole number of months is the trailing window of :func:`workbench.periods.trailing_window`
    (``add_months(end, -months) < day <= end``); otherwise the history is
    ``round(years * 365.25)`` days long.
    """
    end = DEFAULT_END_DATE if end_date is None else parse_date(end_date, "end_date")
    if not (isinstance(years, (int, float)) and math.isfinite(years) and years > 0):
        raise UsageError(f"years must be a positive number, got {years!r}.")
    months = years * 12
    if abs(months - round(months)) < 1e-9 and round(months) >= 1:
        start = trailing_window(end, round(months))[0] + timedelta(days=1)
    else:
        start = end + timedelta(days=1) - timedelta(days=round(years * 365.25))
    if (end - start).days + 1 < 60:
        raise UsageError(f"years={years} gives less than 60 days of history; ask for at least 0.17 years.")
    if start < FOUNDED:
        raise UsageError(
            f"the history would start on {start}, before the demo company was founded ({FOUNDED}); "
            f"ask for fewer years or a later end date."
        )
    lo, hi = min(LUNAR_NEW_YEAR), max(LUNAR_NEW_YEAR)
    if start.year < lo or end.year >= hi:
        raise UsageError(
            f"the demo calendar covers {lo}-01-01 to {hi - 1}-12-31 (Spring Festival dates); "
            f"{start}..{end} is outside it."
        )
    return start, end


def seasonal_intensity(start: date, end: date, customer_type: str = "B2C") -> np.ndarray:
    """Relative purchase intensity of each day from ``start`` to ``end`` (inclusive).

    For consumers (``"B2C"``) an ordinary weekday is 1.0 and a weekend day 1.15.
    The Spring Festival (one week before to six days after Lunar New Year) drops
    to 0.3, the two weeks before it rise to 1.15, 618 (June 1-17: 2.0, June 18:
    4.0) and Double 11 (Nov 1-10: 2.2, Nov 11: 5.0) peak.  Key accounts
    (``"B2B"``) buy on working days (weekend 0.3), feel the festivals much less
    (factors to the power 0.4), buy more in December (1.3) and stop longer at the
    Spring Festival (0.15); see ``SEASON_BY_TYPE``.  The values are not normalised.
    """
    if customer_type not in SEASON_BY_TYPE:
        raise UsageError(f"customer_type '{customer_type}' is not one of {sorted(SEASON_BY_TYPE)}.")
    mod = SEASON_BY_TYPE[customer_type]
    power = mod.get("festival_power", 1.0)
    n = (end - start).days + 1
    days = np.arange(n)
    base = np.datetime64(start.isoformat(), "D")
    cal = base + days
    years = cal.astype("datetime64[Y]").astype(int) + 1970
    months = cal.astype("datetime64[M]").astype(int) % 12 + 1
    dom = (cal - cal.astype("datetime64[M]")).astype(int) + 1
    s = np.ones(n)
    for year in range(int(years.min()) - 1, int(years.max()) + 2):
        lny = LUNAR_NEW_YEAR.get(year)
        if lny is None:
            continue
        off = (cal - np.datetime64(lny.isoformat(), "D")).astype(int)
        pre, sf = SEASON["pre_festival"], SEASON["spring_festival"]
        s[(off >= pre["from_days"]) & (off <= pre["to_days"])] = pre["factor"] ** power
        s[(off >= sf["from_days"]) & (off <= sf["to_days"])] = mod.get("spring_festival", sf["factor"])
    for key in ("618", "double11"):
        w = SEASON[key]
        in_month = months == w["month"]
        s[in_month & (dom >= w["from_day"]) & (dom <= w["to_day"])] = w["factor"] ** power
        s[in_month & (dom == w["peak_day"])] = w["peak_factor"] ** power
    if "year_end" in mod:
        s[months == mod["year_end"]["month"]] *= mod["year_end"]["factor"]
    weekday = (days + base.astype("datetime64[D]").astype(np.int64) + 3) % 7   # 0 = Monday
    s[weekday >= 5] *= mod["weekend"]
    return s


class Clock:
    """Maps calendar time (days since start, float) to seasonal operational time and back."""

    def __init__(self, intensity: np.ndarray):
        self.rate = intensity / intensity.mean()
        self.bounds = np.concatenate([[0.0], np.cumsum(self.rate)])
        self.n_days = len(intensity)

    @property
    def total(self) -> float:
        return float(self.bounds[-1])

    def to_op(self, t: np.ndarray) -> np.ndarray:
        """Operational time of calendar time ``t`` (days since the start)."""
        d = np.clip(np.floor(t).astype(np.int64), 0, self.n_days - 1)
        return self.bounds[d] + (t - d) * self.rate[d]

    def to_day(self, tau: np.ndarray) -> np.ndarray:
        """The calendar day index (0-based) in which operational time ``tau`` falls."""
        d = np.searchsorted(self.bounds, tau, side="right") - 1
        return np.clip(d, 0, self.n_days - 1)
