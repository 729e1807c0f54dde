"""The one input check of the house: any frame in, a polars frame out, columns checked.

Analytics accept polars (eager or lazy) and pandas frames and work in polars.
:func:`as_polars` and :func:`as_lazy` convert once, at the boundary, and name the
table and the missing columns in a :class:`~workbench.errors.DataError`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import polars as pl

from .errors import DataError, UsageError

__all__ = ["ROWS_PER_PART", "as_lazy", "as_polars", "by_customer", "customer_partitions",
           "customer_parts", "null_counts", "require_columns"]

#: A per-customer query over more rows than this runs in hash partitions of the customers
#: (:func:`by_customer`), so its group-by holds a part of them at a time.
ROWS_PER_PART = 10_000_000


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


def null_counts(frame: pl.DataFrame | pl.LazyFrame, columns: Iterable[str]) -> dict[str, int]:
    """The empty rows of each of ``columns``: of a lazy frame by one aggregate query on the
    streaming engine (its rows never held), of an eager one column by column."""
    cols = list(columns)
    if isinstance(frame, pl.LazyFrame):
        return frame.select(pl.col(c).null_count() for c in cols).collect(
            engine="streaming").row(0, named=True)
    return {c: frame.get_column(c).null_count() for c in cols}


def customer_partitions(rows: int, *, id_col: str = "customer_id",
                        rows_per_part: int | None = None) -> list[pl.Expr | None]:
    """The filters that split ``rows`` rows into hash partitions of the customers of about
    ``rows_per_part`` (default :data:`ROWS_PER_PART`) rows each: ``[None]`` (no filter)
    when they fit in one.  Each customer falls in exactly one partition, so per-customer
    results of the partitions stack to the whole one."""
    parts = max(1, math.ceil(rows / (rows_per_part or ROWS_PER_PART)))
    if parts == 1:
        return [None]
    part = pl.col(id_col).hash(seed=0) % parts
    return [part == j for j in range(parts)]


def customer_parts(rows: pl.LazyFrame, *, id_col: str = "customer_id",
                   rows_per_part: int | None = None) -> list[pl.LazyFrame]:
    """``rows`` split into hash partitions of the customers (:func:`customer_partitions`,
    sized by counting ``rows``): ``[rows]`` when they fit in one.  A per-customer query on
    each part gives the whole query's rows for those customers; see :func:`by_customer` for
    what the rows' columns must not depend on."""
    n = int(rows.select(pl.len()).collect().item())
    return [rows if f is None else rows.filter(f)
            for f in customer_partitions(n, id_col=id_col, rows_per_part=rows_per_part)]


def by_customer(rows: pl.LazyFrame, query: Callable[[pl.LazyFrame], pl.LazyFrame], *,
                id_col: str = "customer_id", rows_per_part: int | None = None) -> pl.DataFrame:
    """``query(rows)`` collected, sorted by ``id_col``: in one go when ``rows`` has at most
    ``rows_per_part`` (default :data:`ROWS_PER_PART`) rows, else once per hash partition
    of the customers (:func:`customer_partitions`), stacked.

    ``query`` must be per customer: each row of its result belongs to one customer and
    depends only on that customer's rows (a group-by on ``id_col``), so the partitions'
    results stack to the whole one.  The columns ``rows`` carries must not depend on the
    other customers either (a log's ``value`` is fixed before, e.g. a collected log): the
    partition filter applies to ``rows`` as given.  At 50 million orders of 5 million
    customers a group-by of every customer holds several gigabytes; five partitions hold a
    fifth of that at a time, for one pass over the rows each.
    """
    out = pl.concat([query(part).collect() for part in
                     customer_parts(rows, id_col=id_col, rows_per_part=rows_per_part)])
    return out if out.get_column(id_col).is_sorted() else out.sort(id_col)
