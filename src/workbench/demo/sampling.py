"""Small drawing and column-building helpers shared by the table builders."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import numpy as np
import polars as pl
from scipy import stats

from .. import schema

__all__ = ["canonical", "dates", "norm", "normal_scores", "pick", "pick_idx", "seq_ids", "take"]


def normal_scores(x: np.ndarray) -> np.ndarray:
    """Rank-based normal scores (ties broken by position): a monotone map to N(0, 1)."""
    ranks = np.empty(len(x))
    ranks[np.argsort(x, kind="stable")] = np.arange(len(x))
    return stats.norm.ppf((ranks + 0.5) / max(len(x), 1))


def norm(w: Sequence[float] | np.ndarray) -> np.ndarray:
    """Weights scaled to sum to 1 (probabilities for ``rng.choice``)."""
    a = np.asarray(w, dtype=float)
    return a / a.sum()


def pick_idx(rng: np.random.Generator, k: int, weights: np.ndarray, size: int) -> np.ndarray:
    """``size`` indexes in ``0..k-1`` drawn with ``weights``."""
    w = np.asarray(weights, dtype=float)
    return rng.choice(k, size=size, p=w / w.sum())


def pick(rng: np.random.Generator, options: Sequence[Any], weights: np.ndarray, size: int) -> np.ndarray:
    """``size`` options drawn with ``weights`` (an object array)."""
    return np.asarray(options, dtype=object)[pick_idx(rng, len(options), weights, size)]


def take(options: Sequence[str], idx: np.ndarray) -> pl.Series:
    """``options[idx]`` as a polars string Series; a negative index gives null."""
    table = pl.Series([*options, None], dtype=pl.String)
    idx = np.asarray(idx, dtype=np.int64)
    return table.gather(np.where(idx < 0, len(options), idx))


def seq_ids(prefix: str, numbers: np.ndarray, width: int) -> pl.Series:
    """Identifiers like ``C000123``: ``prefix`` + the number zero-padded to ``width`` digits."""
    return prefix + pl.Series(np.asarray(numbers, dtype=np.int64)).cast(pl.String).str.zfill(width)


def dates(start: date, idx: np.ndarray) -> pl.Series:
    """Calendar days ``start + idx`` as a polars Date Series."""
    base = np.datetime64(start.isoformat(), "D")
    return pl.Series((base + idx.astype(np.int64)).astype("datetime64[D]")).cast(pl.Date)


def canonical(df: pl.DataFrame, table: str) -> pl.DataFrame:
    """``df`` with exactly the canonical columns of ``table``, in order, cast to their types."""
    spec = schema.get(table)
    return df.select(spec.names).cast(pl.Schema(spec.polars_schema))
