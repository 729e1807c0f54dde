"""What the CLV models read: the RFM columns checked, collapsed into weighted patterns, time units.

A summary (one row per customer: ``frequency``, ``recency``, ``T`` and, for the
spend model, ``monetary_value``, as :func:`workbench.rfm.summary` makes it) is
checked once here and turned into numpy arrays; customers with the same values
share one pattern with its count as lifetimes' ``weights`` (:func:`_collapse`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
import polars as pl

from ..errors import DataError, ModelError, UsageError
from ..periods import DAYS_PER_MONTH
from ..sampling import sample_rows
from .units import MODEL_NAMES, MODELS, PERIOD_DAYS, _period_days  # noqa: F401  (re-exported)

__all__ = ["DAYS_PER_MONTH", "MODELS", "MODEL_NAMES", "PERIOD_DAYS", "sample_customers"]


@dataclass(frozen=True)
class _Arrays:
    ids: np.ndarray
    frequency: np.ndarray
    recency: np.ndarray
    T: np.ndarray
    monetary: np.ndarray | None
    id_name: str
    kind: str  # "pandas" | "polars"


def _to_arrays(summary: Any, id_col: str, frequency_col: str, recency_col: str, T_col: str,
               monetary_value_col: str | None, need_monetary: bool, what: str = "summary") -> _Arrays:
    """Pull the RFM columns out of a pandas (id = index or ``id_col``) or polars (``id_col``) frame."""
    if isinstance(summary, pl.DataFrame):
        kind = "polars"
        if id_col not in summary.columns:
            raise DataError(f"{what}: column '{id_col}' (customer id) is missing; "
                            f"the columns are {summary.columns}. Pass id_col=... to name it.")
        ids = summary.get_column(id_col).to_numpy()
        cols = summary.columns

        def get(c: str) -> np.ndarray:
            return summary.get_column(c).cast(pl.Float64).to_numpy()

        def nulls(c: str) -> int:
            return summary.get_column(c).null_count()

        id_name = id_col
    elif isinstance(summary, pd.DataFrame):
        kind = "pandas"
        if id_col in summary.columns:
            ids = summary[id_col].to_numpy()
        else:
            ids = summary.index.to_numpy()
        cols = list(summary.columns)

        def get(c: str) -> np.ndarray:
            return pd.to_numeric(summary[c], errors="coerce").to_numpy(dtype=float)

        def nulls(c: str) -> int:
            return int(summary[c].isna().sum())

        id_name = id_col
    else:
        raise UsageError(f"{what} must be a pandas or polars DataFrame, got {type(summary).__name__}.")
    wanted: list[Any] = [frequency_col, recency_col, T_col] + ([monetary_value_col] if need_monetary else [])
    missing = [c for c in wanted if c not in cols]
    if missing:
        raise DataError(f"{what}: column(s) {missing} missing; the columns are {cols}. "
                        f"Build the summary with workbench.rfm.summary or name the columns "
                        f"(frequency_col=..., recency_col=..., T_col=..., monetary_value_col=...).")
    if len(ids) == 0:
        raise ModelError(f"{what} has no customers; there is nothing to fit.")
    out = {}
    for c in wanted:
        n_null = nulls(c)
        arr = get(c)
        bad = ~np.isfinite(arr)
        if n_null or bad.any():
            ex = ", ".join(map(str, ids[bad][:3]))
            raise DataError(f"{what}.{c}: {int(bad.sum())} customer(s) have no number (e.g. {ex}); "
                            f"every customer needs a value.")
        out[c] = arr
    f, r, t = out[frequency_col], out[recency_col], out[T_col]
    checks = [
        ((f < 0) | (f != np.round(f)), frequency_col, "is not a whole number >= 0"),
        (r < 0, recency_col, "is negative"),
        (t < 0, T_col, "is negative (the customer's age cannot be below 0 periods)"),
        (r > t + 1e-9, recency_col, f"is larger than {T_col}"),
        ((f == 0) & (r != 0), recency_col, f"is not 0 although {frequency_col} is 0"),
    ]
    for mask, col, problem in checks:
        if mask.any():
            ex = ", ".join(map(str, ids[mask][:3]))
            raise DataError(f"{what}.{col}: {int(mask.sum())} customer(s) where {col} {problem} "
                            f"(e.g. {ex}); rebuild the summary with workbench.rfm.summary.")
    m = out.get(monetary_value_col) if need_monetary else None
    return _Arrays(ids=ids, frequency=f.astype(np.int64).astype(float), recency=r, T=t,
                   monetary=m, id_name=id_name, kind=kind)


def _collapse(*columns: np.ndarray) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """Distinct rows of the given columns (sorted), their counts, and the row -> pattern index.

    A lexicographic sort (``np.lexsort``) rather than ``np.unique(axis=0)``,
    which is ten times slower on half a million rows.
    """
    cols = [np.asarray(c, dtype=float) for c in columns]
    n = len(cols[0])
    order = np.lexsort(cols[::-1])
    change = np.zeros(max(n - 1, 0), dtype=bool)
    for c in cols:
        sc = c[order]
        change |= sc[1:] != sc[:-1]
    starts = np.concatenate([[0], np.flatnonzero(change) + 1]).astype(np.int64)
    counts = np.diff(np.append(starts, n))
    group = np.concatenate([[0], np.cumsum(change)]).astype(np.int64)
    inverse = np.empty(n, dtype=np.int64)
    inverse[order] = group
    first = order[starts]
    return [c[first] for c in cols], counts, inverse


def _columns(df: Any) -> list[str]:
    return list(df.columns)


def _column(df: Any, name: str) -> np.ndarray:
    if name not in _columns(df):
        raise DataError(f"column '{name}' is missing; the columns are {_columns(df)}.")
    if isinstance(df, pl.DataFrame):
        return df.get_column(name).cast(pl.Float64).to_numpy()
    return df[name].to_numpy(dtype=float)


def _as_date(value: Any, what: str) -> date:
    """A day from a date, datetime, pandas Timestamp or ``YYYY-MM-DD...`` text (UsageError otherwise)."""
    if isinstance(value, datetime):  # pandas' Timestamp is one
        return value.date()
    if isinstance(value, date):
        return value
    if hasattr(value, "date") and callable(value.date):
        day = value.date()
        if isinstance(day, date):
            return day
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise UsageError(f"{what} '{value}' is not a date; write it as YYYY-MM-DD.") from None


def sample_customers(summary: Any, sample: int | None, seed: int = 0,
                     id_col: str = "customer_id") -> Any:
    """At most ``sample`` rows of ``summary`` (seeded); all of them when None or fewer.

    The rows are drawn from the summary in customer order (``id_col``, or a pandas
    index), so the sample depends on the customers and the seed only, not on the order
    the rows came in.  polars in, polars out; pandas in, pandas out.
    """
    rows = sample_rows(summary.height if isinstance(summary, pl.DataFrame) else len(summary),
                       sample, seed)
    if rows is None:
        return summary
    if isinstance(summary, pl.DataFrame):
        return summary.sort(id_col)[rows]
    ordered = (summary.sort_values(id_col, kind="stable") if id_col in summary.columns
               else summary.sort_index(kind="stable"))
    return ordered.iloc[rows]
