"""Seeded samples of rows, for the models that are fitted on a sample and score everyone.

One rule for every room (CLV validation, churn's probability alive, k-means): ``size`` of
``n`` rows drawn without replacement by numpy's generator seeded with ``seed``, returned as
sorted positions, so the same rows, size and seed always give the same sample.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["sample_rows"]


def sample_rows(n: int, size: int | None, seed: Any) -> np.ndarray | None:
    """Sorted positions of ``size`` of ``n`` rows, drawn with ``np.random.default_rng(seed)``
    (``seed``: an int or a sequence of ints); None when ``size`` is None or not below ``n``
    (every row is used)."""
    if size is None or n <= size:
        return None
    return np.sort(np.random.default_rng(seed).choice(n, size=size, replace=False))
