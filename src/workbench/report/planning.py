"""Which periods a report run covers: parsing ``YYYY-MM`` / ``YYYY-Qn`` and planning back-fills.

Pure functions of the command-line choices; the calendar arithmetic is
:mod:`workbench.periods` (month and quarter ends, the next period, period labels).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from .. import config as config_mod
from .. import periods
from ..errors import UsageError

__all__ = ["Period", "default_period", "parse_period", "plan_periods", "results_dir_for"]

_PERIOD_RE = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER_RE = re.compile(r"^(\d{4})-Q([1-4])$", re.IGNORECASE)
_FREQS = ("month", "quarter")


@dataclass(frozen=True)
class Period:
    """One reporting period: its label (folder name), as-of date and length."""

    label: str
    as_of: date
    freq: str = "month"


def _period_ending(end: date, freq: str) -> Period:
    """The whole period (month or quarter) that ends on ``end``."""
    return Period(periods.period_of(end, freq), end, freq)


def parse_period(text: str) -> Period:
    """Parse ``YYYY-MM`` (a month) or ``YYYY-Qn`` (a quarter) into a :class:`Period`.

    >>> parse_period("2026-10").as_of
    datetime.date(2026, 10, 31)
    >>> parse_period("2026-Q3")
    Period(label='2026-Q3', as_of=datetime.date(2026, 9, 30), freq='quarter')
    """
    value = str(text).strip()
    m = _PERIOD_RE.match(value)
    if m and 1 <= int(m.group(2)) <= 12:
        return _period_ending(periods.month_end(date(int(m.group(1)), int(m.group(2)), 1)), "month")
    q = _QUARTER_RE.match(value)
    if q:
        return _period_ending(periods.quarter_end(int(q.group(1)), int(q.group(2))), "quarter")
    raise UsageError(
        f"period '{text}' is not a month (YYYY-MM, e.g. 2026-10) or a quarter (YYYY-Qn, "
        f"e.g. 2026-Q3)."
    )


def default_period(last_complete_month_end: date, freq: str = "month") -> Period:
    """The last complete month (or calendar quarter) given the end of the last complete month."""
    d = last_complete_month_end
    if freq == "quarter":
        end = periods.period_end(d, "quarter")
        if end != d:  # the quarter holding d is not complete: the one before it is
            end = periods.period_bounds(d, "quarter", shift=-1)[1]
        return _period_ending(end, "quarter")
    return _period_ending(d, "month")


def _next(p: Period) -> Period:
    return _period_ending(periods.next_period_end(p.as_of, p.freq), p.freq)


def plan_periods(*, period: str | None = None, as_of: str | date | None = None,
                 period_from: str | None = None, period_to: str | None = None,
                 freq: str = "month", last_complete: date | None = None) -> list[Period]:
    """The periods a report run covers, from the command-line choices.

    Args:
        period: ``YYYY-MM`` or ``YYYY-Qn`` (its own form decides the frequency).
        as_of: a date; the period is the month (or quarter, with ``freq='quarter'``) holding it.
        period_from, period_to: a back-fill, both ends included (same form for both).
        freq: ``month`` or ``quarter``.
        last_complete: end of the last complete month in the data (the default period).

    Raises:
        UsageError: malformed or contradictory choices.
    """
    if freq not in _FREQS:
        raise UsageError(f"freq '{freq}' is not supported; use month or quarter.")
    chosen = [x for x in (period, as_of, period_from) if x]
    if len(chosen) > 1:
        raise UsageError("give only one of --period, --as-of or --from/--to.")
    if period_to and not period_from:
        raise UsageError("--to needs --from (a back-fill runs from one period to another).")
    if period:
        return [parse_period(period)]
    if as_of:
        day = periods.parse_date(as_of, "--as-of")
        return [Period(periods.period_of(day, freq), day, freq)]
    if period_from:
        if not period_to:
            raise UsageError("--from needs --to (the last period of the back-fill).")
        first, last = parse_period(period_from), parse_period(period_to)
        if first.freq != last.freq:
            raise UsageError(f"--from {period_from} and --to {period_to} must both be months "
                             f"(YYYY-MM) or both quarters (YYYY-Qn).")
        if first.as_of > last.as_of:
            raise UsageError(f"--from {period_from} comes after --to {period_to}.")
        out = [first]
        while out[-1].as_of < last.as_of:
            out.append(_next(out[-1]))
        return out
    if last_complete is None:
        raise UsageError("no period given and the data's last complete month is unknown.")
    return [default_period(last_complete, freq)]


def results_dir_for(cfg: config_mod.Config, period: Period) -> Path:
    """Where a period's steps write: ``<processed>/<as_of>/`` (the notebooks' own default) for a
    month, ``<processed>/<as_of>_quarter/`` for a quarter, so the two never overwrite each other."""
    suffix = "_quarter" if period.freq == "quarter" else ""
    return cfg.processed_dir / f"{period.as_of.isoformat()}{suffix}"
