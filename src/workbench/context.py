"""The run context shared by every notebook: configuration, as-of date, output folder, language.

A notebook's ``parameters`` cell holds plain values (``config_path``, ``as_of``,
``results_dir``, ``lang``, ``show_pii``); :func:`resolve` turns them into a
:class:`Context` with every default filled in, so a notebook run by hand, by
nbval or by the report runner behaves the same way given the same values.
"""

from __future__ import annotations

import calendar
import os
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import polars as pl

from . import config as config_mod
from . import schema
from .errors import DataError, UsageError

__all__ = ["Context", "resolve", "parse_date", "month_end", "last_complete_month_end",
           "period_of", "period_bounds", "DATE_COLUMNS", "load_processed"]

# The date column that places each canonical table in time.
DATE_COLUMNS = {
    "customers": "signup_date",
    "orders": "order_date",
    "visits": "visit_date",
    "complaints": "opened_at",
    "surveys": "survey_date",
}


def parse_date(value, what: str = "date") -> date:
    """Parse ``YYYY-MM-DD`` (or accept a date or datetime) with a clear error."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise UsageError(f"{what} '{value}' is not a date; write it as YYYY-MM-DD.") from None


def month_end(d: date) -> date:
    """The last day of ``d``'s month."""
    return d.replace(day=calendar.monthrange(d.year, d.month)[1])


def last_complete_month_end(last_day: date) -> date:
    """The end of the last month fully covered by data that ends on ``last_day``."""
    if last_day == month_end(last_day):
        return last_day
    return last_day.replace(day=1) - timedelta(days=1)


def period_of(as_of: date, freq: str = "month") -> str:
    """The label of the period that ends at ``as_of``: '2026-10' or '2026-Q3'."""
    if freq == "quarter":
        return f"{as_of.year}-Q{(as_of.month - 1) // 3 + 1}"
    return f"{as_of.year}-{as_of.month:02d}"


def period_bounds(as_of: date, freq: str = "month", shift: int = 0) -> tuple[date, date]:
    """First and last day of the period ending at ``as_of``, moved by ``shift`` periods.

    ``shift=-1`` is the previous period, ``shift=-12`` (months) or ``-4`` (quarters)
    the same period last year.
    """
    months = 3 if freq == "quarter" else 1
    end_month_index = as_of.year * 12 + (as_of.month - 1) + shift * months
    end_year, end_month0 = divmod(end_month_index, 12)
    end = month_end(date(end_year, end_month0 + 1, 1))
    start_index = end_month_index - (months - 1)
    sy, sm0 = divmod(start_index, 12)
    return date(sy, sm0 + 1, 1), end


def load_processed(processed_dir: Path, table: str, as_of: date | None = None) -> pl.DataFrame:
    """Read one clean canonical table from ``processed_dir``, keeping rows dated on or before ``as_of``."""
    schema.get(table)
    path = Path(processed_dir) / f"{table}.parquet"
    if not path.is_file():
        raise DataError(
            f"{path} does not exist; run `workbench clean` (or the report) to produce the clean tables."
        )
    lf = pl.scan_parquet(path)
    if as_of is not None:
        col = DATE_COLUMNS[table]
        dtype = lf.collect_schema()[col]
        bound = pl.lit(as_of) if dtype == pl.Date else pl.lit(as_of + timedelta(days=1)).cast(dtype)
        lf = lf.filter(pl.col(col) <= bound) if dtype == pl.Date else lf.filter(pl.col(col) < bound)
    return lf.collect()


@dataclass(frozen=True)
class Context:
    """Everything a notebook needs to know about its run."""

    cfg: config_mod.Config
    as_of: date
    results_dir: Path
    lang: str
    show_pii: bool

    @property
    def processed_dir(self) -> Path:
        return self.cfg.processed_dir

    @property
    def period(self) -> str:
        return period_of(self.as_of)

    def load(self, table: str, as_of: date | None = None) -> pl.DataFrame:
        """A clean canonical table, restricted to what was known at the as-of date."""
        return load_processed(self.processed_dir, table, as_of or self.as_of)

    def result_path(self, name: str) -> Path:
        """Where a step's per-customer output lives: ``<results_dir>/<name>.parquet``."""
        return self.results_dir / f"{name}.parquet"


def default_as_of(processed_dir: Path) -> date:
    """The end of the last complete month of order data in ``processed_dir``."""
    path = Path(processed_dir) / "orders.parquet"
    if not path.is_file():
        raise DataError(
            f"{path} does not exist, so the as-of date cannot be chosen; run `workbench clean` "
            f"first or pass as_of."
        )
    last = pl.scan_parquet(path).select(pl.col("order_date").max()).collect().item()
    if last is None:
        raise DataError(f"{path} holds no orders; the as-of date cannot be chosen.")
    return last_complete_month_end(last)


def resolve(config_path: str | os.PathLike[str] | None = None, as_of=None, results_dir=None,
            lang: str | None = None, show_pii: bool | None = None) -> Context:
    """Fill in the defaults of a notebook's parameters.

    - ``config_path``: None reads ``$WORKBENCH_CONFIG`` or the nearest ``workbench.yaml``.
    - ``as_of``: None is the end of the last complete month in the clean orders.
    - ``results_dir``: None is ``<processed>/<as_of>/``.
    - ``lang`` / ``show_pii``: None takes the configuration's ``report`` section.
    """
    cfg = config_mod.load(config_path)
    day = parse_date(as_of, "as_of") if as_of else default_as_of(cfg.processed_dir)
    out = Path(results_dir) if results_dir else cfg.processed_dir / day.isoformat()
    out.mkdir(parents=True, exist_ok=True)
    language = lang or cfg.lang
    if language not in ("zh", "en"):
        raise UsageError(f"lang '{language}' is not supported; use 'zh' or 'en'.")
    return Context(cfg=cfg, as_of=day, results_dir=out, lang=language,
                   show_pii=cfg.show_pii if show_pii is None else bool(show_pii))
