"""The features of the churn model: their groups, the table each group needs, and a feature set."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
import polars as pl

__all__ = ["CATEGORICAL", "FEATURE_GROUPS", "GROUP_FEATURES", "MISSING_CAT", "SEVERITY_RANK",
           "FeatureSet", "feature_groups_map"]

#: Feature groups and the table each needs.
FEATURE_GROUPS: dict[str, str] = {
    "rfm": "orders",
    "returns": "orders",
    "complaints": "complaints",
    "visits": "visits",
    "satisfaction": "surveys",
    "profile": "customers",
    "segment": "workbench.segment",
    "clv": "orders (BG/NBD)",
}

SEVERITY_RANK = {"low": 1, "medium": 2, "high": 3, "critical": 4}

RFM_FEATURES = ["recency_days", "frequency", "purchase_days", "tenure_days", "monetary_total",
                "avg_order_value", "order_value_cv", "typical_gap_days", "recency_vs_cycle",
                "orders_90d", "orders_prev_90d", "order_trend", "spend_90d", "spend_prev_90d",
                "spend_trend", "spend_365d"]
#: The features of each group, in column order.
GROUP_FEATURES: dict[str, list[str]] = {
    "rfm": RFM_FEATURES,
    "returns": ["returns_count", "returns_180d", "return_share"],
    "complaints": ["complaints_count", "complaints_180d", "unresolved_complaints", "max_severity",
                   "mean_resolution_hours", "days_since_complaint"],
    "visits": ["visits_count", "visits_90d", "visits_180d", "days_since_visit", "onsite_share",
               "last_visit_kind"],
    "satisfaction": ["latest_nps", "latest_csat", "days_since_survey"],
    "profile": ["account_age_days", "province", "channel", "industry", "customer_type"],
    "segment": ["tier", "rfm_segment", "lifecycle_stage"],
    "clv": ["p_alive"],
}
CATEGORICAL = {"last_visit_kind", "province", "channel", "industry", "customer_type", "tier",
               "rfm_segment", "lifecycle_stage"}
MISSING_CAT = "(unknown)"


def feature_groups_map(numeric: Sequence[str], categorical: Sequence[str]) -> dict[str, str]:
    """Feature -> its group (empty for a feature of no known group)."""
    lookup = {f: g for g, fs in GROUP_FEATURES.items() for f in fs}
    return {f: lookup.get(f, "") for f in list(numeric) + list(categorical)}


@dataclass
class FeatureSet:
    """Features of one population at one cut-off.

    Attributes:
        cutoff: the cut-off date (data on or before it only).
        frame: ``customer_id`` + one column per feature, one row per customer in the population.
        numeric, categorical: the feature columns by kind.
        groups: feature groups used.
        missing: feature group -> why it is missing (plain words).
    """

    cutoff: date
    frame: pl.DataFrame
    numeric: list[str]
    categorical: list[str]
    groups: list[str]
    missing: dict[str, str]

    @property
    def features(self) -> list[str]:
        return self.numeric + self.categorical

    def take(self, rows: np.ndarray) -> FeatureSet:
        """These features at the row positions ``rows`` only (e.g. a training sample)."""
        return dataclasses.replace(self, frame=self.frame[rows])

    def to_pandas(self) -> pd.DataFrame:
        """The features as pandas for scikit-learn: floats, and categoricals as object strings."""
        pdf = self.frame.select(self.features).with_columns(
            [pl.col(c).cast(pl.Float64) for c in self.numeric]
            + [pl.col(c).cast(pl.String).fill_null(MISSING_CAT) for c in self.categorical]
        ).to_pandas()
        for c in self.categorical:
            pdf[c] = pdf[c].astype(object)
        return pdf
