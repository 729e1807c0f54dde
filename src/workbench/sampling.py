"""Seeded samples of rows, for the models that are fitted on a sample and score everyone.

One rule for every room (CLV validation, churn's probability alive, k-means): ``size`` of
``n`` rows drawn without replacement by numpy's generator seeded with ``seed``, returned as
sorted positions, so the same rows, size and seed always give the same sample.  A sample
that must keep the base rate of a label (churn's model fits and permutation importance)
draws each class apart: :func:`stratified_rows`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["sample_rows", "stratified_rows"]


def sample_rows(n: int, size: int | None, seed: Any) -> np.ndarray | None:
    """Sorted positions of ``size`` of ``n`` rows, drawn with ``np.random.default_rng(seed)``
    (``seed``: an int or a sequence of ints); None when ``size`` is None or not below ``n``
    (every row is used)."""
    if size is None or n <= size:
        return None
    return np.sort(np.random.default_rng(seed).choice(n, size=size, replace=False))


def stratified_rows(y: np.ndarray, max_rows: int | None, seed: int) -> np.ndarray:
    """Row positions of a seeded sample of at most ``max_rows`` rows, stratified on ``y`` (sorted).

    Each class keeps its share of the rows (the largest remainders get the rounding),
    so the sample's base rate equals the full one to within one row.  ``max_rows``
    None, or at least ``y.size``: every row.  The same ``y``, ``max_rows`` and
    ``seed`` give the same rows.
    """
    y = np.asarray(y)
    n = y.size
    if max_rows is None or n <= max_rows:
        return np.arange(n)
    rng = np.random.default_rng(seed)
    classes = np.unique(y)
    take = [np.flatnonzero(y == c) for c in classes]
    exact = np.array([len(t) * max_rows / n for t in take])
    k = np.floor(exact).astype(int)
    for i in np.argsort(-(exact - k), kind="stable")[: max_rows - int(k.sum())]:
        k[i] += 1
    return np.sort(np.concatenate([rng.choice(t, size=ki, replace=False)
                                   for t, ki in zip(take, k, strict=True)]))
