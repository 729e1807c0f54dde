"""The one input check of the house: any frame in, a polars frame out, columns checked.

Analytics accept polars (eager or lazy) and pandas frames and work in polars.
:func:`as_polars` and :func:`as_lazy` convert once, at the boundary, and name the
table and the missing columns in a :class:`~workbench.errors.DataError`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import polars as pl

from .errors import DataError, UsageError

__all__ = ["as_lazy", "as_polars", "require_columns"]


def _columns(frame: pl.DataFrame | pl.LazyFrame) -> list[str]:
    if isinstance(frame, pl.LazyFrame):
        return frame.collect_schema().names()
    return frame.columns


def require_columns(frame: pl.DataFrame | pl.LazyFrame, columns: Iterable[str], what: str) -> None:
    """Raise DataError naming ``what`` and the missing columns (and the ones present)."""
    have = _columns(frame)
    missing = [c for c in columns if c not in have]
    if missing:
        raise DataError(f"{what}: column(s) {missing} missing; the columns are {have}.")


def _to_polars(frame: Any, what: str) -> pl.DataFrame | pl.LazyFrame:
    if isinstance(frame, (pl.DataFrame, pl.LazyFrame)):
        return frame
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is a dependency
        pd = None
    if pd is not None and isinstance(frame, pd.DataFrame):
        return pl.from_pandas(frame, include_index=not isinstance(frame.index, pd.RangeIndex))
    raise UsageError(f"{what} must be a polars or pandas DataFrame, got {type(frame).__name__}.")


def as_polars(frame: Any, what: str = "table", columns: Iterable[str] = ()) -> pl.DataFrame:
    """``frame`` as an eager polars DataFrame with ``columns`` present."""
    out = _to_polars(frame, what)
    require_columns(out, columns, what)
    return out.collect() if isinstance(out, pl.LazyFrame) else out


def as_lazy(frame: Any, what: str = "table", columns: Iterable[str] = ()) -> pl.LazyFrame:
    """``frame`` as a polars LazyFrame with ``columns`` present (nothing is computed)."""
    out = _to_polars(frame, what)
    require_columns(out, columns, what)
    return out.lazy()
