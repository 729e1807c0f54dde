"""The result of a segmentation run: :class:`Segmentation` (computed by the pipeline, shown by present)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import polars as pl

from .. import transactions as tx
from .clusters import RFMClusterer
from .settings import SegmentSettings
from .tiers import TierScorer

__all__ = ["Segmentation"]


@dataclass
class Segmentation:
    """Everything :func:`build_segments` computed.

    Attributes:
        table: the per-customer table (``segments.parquet``).
        results: key results (:func:`workbench.segment.key_results`).
        pareto: :func:`pareto_curve` data.
        rules: the segment rule table used.
        scorer: the fitted :class:`TierScorer`.
        clusterer: the fitted :class:`RFMClusterer` (None when clustering was skipped).
        settings: the settings used.
        as_of: the analysis date.
        transaction_settings: the outlier policy used.
        outliers: the flagged purchases known at ``as_of``: ``orders, customers, amount``
            (booked) and ``counted`` (after the outlier policy).
    """

    table: pl.DataFrame
    results: dict[str, Any]
    pareto: pl.DataFrame
    rules: pl.DataFrame
    scorer: TierScorer
    clusterer: RFMClusterer | None
    settings: SegmentSettings
    as_of: date
    transaction_settings: tx.TransactionSettings = field(default_factory=tx.TransactionSettings)
    outliers: dict[str, Any] = field(default_factory=dict)
