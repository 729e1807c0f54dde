"""Seeded, label-stratified row samples: what the fits and diagnostics of churn run on.

Training and the permutation importance sample; scoring never does (every customer
in the population gets a probability).
"""

from __future__ import annotations

import numpy as np

__all__ = ["stratified_rows"]


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
