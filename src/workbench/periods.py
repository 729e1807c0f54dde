"""Calendar arithmetic: months, quarters, weeks and trailing windows, written once.

Every room that speaks of "the period", "the previous period", "the last 12 months"
or "a month" uses these functions; none re-derives them.

Definitions
-----------
- **A month, as a length**, is ``365.25 / 12 = 30.4375`` days (:data:`DAYS_PER_MONTH`).
  It is used only where a duration must be turned into days (a CLV horizon in
  months, a rate per month).  Calendar windows use calendar months instead.
- **A period** is a calendar month (``"month"``), a calendar quarter (``"quarter"``)
  or an ISO week (``"week"``, Monday to Sunday).  A period is named by its label
  (``2026-10``, ``2026-Q3``, ``2026-W07``) and ends on its last day.
- **Shifting by months** keeps the day of the month where it exists and otherwise
  takes the month's last day (``add_months(2024-03-31, -1) = 2024-02-29``); a month
  end stays a month end (``add_months(2024-02-29, 12) = 2025-02-28``).
- **A trailing window of N months ending at ``as_of``** holds the days
  ``add_months(as_of, -N) < day <= as_of``: both ends are whole calendar days, the
  start excluded, so consecutive windows neither overlap nor leave a gap.

Pure functions of dates (and, for :func:`period_index`, a polars expression).
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta
from typing import Any, Literal

import polars as pl

from .errors import UsageError

__all__ = [
    "DAYS_PER_MONTH",
    "FREQS",
    "Freq",
    "add_months",
    "last_complete_month_end",
    "month_end",
    "months_between",
    "next_period_end",
    "parse_date",
    "period_bounds",
    "period_end",
    "period_index",
    "period_of",
    "quarter_end",
    "trailing_window",
]

#: The length of a month in days where a duration is needed (a mean Gregorian month).
DAYS_PER_MONTH = 365.25 / 12

Freq = Literal["month", "quarter", "week"]
FREQS: tuple[str, ...] = ("month", "quarter", "week")


def parse_date(value: object, what: str = "date") -> date:
    """Parse ``YYYY-MM-DD`` (or accept a date or datetime) with a clear error naming ``what``."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise UsageError(f"{what} '{value}' is not a date; write it as YYYY-MM-DD.") from None


def _check_freq(freq: str) -> None:
    if freq not in FREQS:
        raise UsageError(f"period frequency '{freq}' is not one of {FREQS}.")


def month_end(d: date) -> date:
    """The last day of ``d``'s month."""
    return d.replace(day=calendar.monthrange(d.year, d.month)[1])


def quarter_end(year: int, quarter: int) -> date:
    """The last day of quarter ``quarter`` (1-4) of ``year``."""
    if quarter not in (1, 2, 3, 4):
        raise UsageError(f"quarter {quarter} is not 1, 2, 3 or 4.")
    return month_end(date(year, quarter * 3, 1))


def add_months(d: date, months: int) -> date:
    """``d`` moved by ``months`` calendar months (see the module's definition)."""
    index = d.year * 12 + (d.month - 1) + int(months)
    year, month0 = divmod(index, 12)
    last = calendar.monthrange(year, month0 + 1)[1]
    day = last if d == month_end(d) else min(d.day, last)
    return date(year, month0 + 1, day)


def months_between(start: date, end: date) -> int:
    """Whole calendar months from ``start``'s month to ``end``'s month (``end`` later: positive)."""
    return (end.year - start.year) * 12 + (end.month - start.month)


def last_complete_month_end(last_day: date) -> date:
    """The end of the last month fully covered by data that ends on ``last_day``."""
    if last_day == month_end(last_day):
        return last_day
    return last_day.replace(day=1) - timedelta(days=1)


def period_end(d: date, freq: str = "month") -> date:
    """The last day of the period (month, quarter or ISO week) that holds ``d``."""
    _check_freq(freq)
    if freq == "quarter":
        return quarter_end(d.year, (d.month - 1) // 3 + 1)
    if freq == "week":
        return d + timedelta(days=6 - d.weekday())
    return month_end(d)


def period_of(as_of: date, freq: str = "month") -> str:
    """The label of the period that holds ``as_of``: '2026-10', '2026-Q3' or '2026-W07'."""
    _check_freq(freq)
    if freq == "quarter":
        return f"{as_of.year}-Q{(as_of.month - 1) // 3 + 1}"
    if freq == "week":
        year, week, _ = as_of.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{as_of.year}-{as_of.month:02d}"


def period_bounds(as_of: date, freq: str = "month", shift: int = 0) -> tuple[date, date]:
    """First and last day of the period holding ``as_of``, moved by ``shift`` periods.

    ``shift=-1`` is the previous period; ``-12`` months, ``-4`` quarters or ``-52``
    weeks is (about) the same period a year earlier.
    """
    _check_freq(freq)
    if freq == "week":
        start = as_of - timedelta(days=as_of.weekday()) + timedelta(weeks=shift)
        return start, start + timedelta(days=6)
    months = 3 if freq == "quarter" else 1
    first_of_period = date(as_of.year, ((as_of.month - 1) // months) * months + 1, 1)
    start = add_months(first_of_period, shift * months)
    end = month_end(add_months(start, months - 1))
    return start, end


def next_period_end(end: date, freq: str = "month") -> date:
    """The last day of the period after the one that holds ``end``."""
    return period_bounds(end, freq, shift=1)[1]


def trailing_window(as_of: date, months: int) -> tuple[date, date]:
    """``(start, end)`` of the trailing window of ``months`` months: ``start < day <= end``."""
    if months < 1:
        raise UsageError(f"a trailing window needs at least 1 month, got {months}.")
    return add_months(as_of, -months), as_of


def period_index(column: str | pl.Expr, freq: str = "month", *, ns: Any = pl) -> pl.Expr:
    """An integer that grows by one per period: months or quarters since year 0, or ISO
    weeks since 1970-01-05 (a Monday).  Works on Date and Datetime columns.

    ``ns`` is the expression namespace (``polars``, or ``narwhals`` for months and
    quarters on another engine, :mod:`workbench.engine`)."""
    _check_freq(freq)
    d = ns.col(column) if isinstance(column, str) else column
    if freq == "quarter":
        return d.dt.year().cast(ns.Int64) * 4 + d.dt.quarter().cast(ns.Int64) - 1
    if freq == "week":
        monday = date(1970, 1, 5)
        return (d.cast(pl.Date) - pl.lit(monday)).dt.total_days().floordiv(7).cast(pl.Int64)
    return d.dt.year().cast(ns.Int64) * 12 + d.dt.month().cast(ns.Int64) - 1
