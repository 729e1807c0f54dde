"""Customer classification and tiering (客户分类与分级): ABC, RFM segments, lifecycle, tiers, clusters.

Every function takes DataFrames (polars or pandas) and plain values and returns
polars DataFrames or plain values; nothing reads or writes files.  Purchases,
returns, purchase days and money come from the transaction model
(:mod:`workbench.transactions`); the room's rules and defaults are
:class:`SegmentSettings` (the ``segmentation:`` section of ``workbench.yaml``) and
``docs/segmentation.md``.

One concept per module (:func:`build_segments` runs them all and returns the
``segments.parquet`` table):

- :mod:`.metrics` -- customer metrics from the transaction log (:func:`customer_metrics`);
- :mod:`.abc` -- ABC by cumulative revenue share, the Pareto curve;
- :mod:`.rfm_scores` -- R/F/M scores, the segment rules and named segments;
- :mod:`.lifecycle` -- prospect, new, active, at risk, churned;
- :mod:`.tiers` -- :class:`TierScorer` and :func:`tier_sensitivity`;
- :mod:`.clusters` -- :class:`RFMClusterer` and :func:`cluster_profiles`;
- :mod:`.migration` -- transition matrices between two as-of dates;
- :mod:`.profiles` -- size, revenue, AOV and 12-month net revenue by group;
- :mod:`.settings` -- :class:`SegmentSettings`;
- :mod:`.labels` -- the room's words in :mod:`workbench.i18n` (room ``segment``);
- :mod:`.present` -- :func:`key_results`, :func:`narrative`, :func:`localize`;
- :mod:`.pipeline` -- :func:`build_segments`, :func:`migration_since`.
"""

from __future__ import annotations

from .abc import abc_and_pareto, abc_classify, pareto_curve, pareto_cut_points
from .clusters import RFMClusterer, cluster_profiles
from .labels import LIFECYCLE_STAGES, ROOM, SEGMENT_ORDER
from .lifecycle import lifecycle_stage
from .metrics import READS, customer_metrics, latest_nps, metrics_from_log, transaction_log
from .migration import Migration, migration_as_of, tier_migration
from .pipeline import (
    SEGMENT_COLUMNS,
    Segmentation,
    build_segments,
    classify,
    migration_since,
    segments_at,
    with_nps,
)
from .present import (
    key_results,
    localize,
    migration_summary,
    migration_text,
    narrative,
    segment_guide,
    sensitivity_text,
)
from .profiles import profile_crosstab, segment_profile, with_attributes
from .rfm_scores import DEFAULT_RULES, assign_segments, rfm_grid, rfm_scores, segment_rules
from .settings import DEFAULT_TIER_CUTS, DEFAULT_TIER_WEIGHTS, LOWER_IS_BETTER, SegmentSettings
from .tiers import TierScorer, percentile_scores, tier_sensitivity

__all__ = [
    "READS",
    "DEFAULT_RULES",
    "DEFAULT_TIER_CUTS",
    "DEFAULT_TIER_WEIGHTS",
    "LIFECYCLE_STAGES",
    "LOWER_IS_BETTER",
    "ROOM",
    "SEGMENT_COLUMNS",
    "SEGMENT_ORDER",
    "Migration",
    "RFMClusterer",
    "SegmentSettings",
    "Segmentation",
    "TierScorer",
    "abc_and_pareto",
    "abc_classify",
    "assign_segments",
    "build_segments",
    "classify",
    "segments_at",
    "with_nps",
    "cluster_profiles",
    "customer_metrics",
    "key_results",
    "latest_nps",
    "lifecycle_stage",
    "localize",
    "metrics_from_log",
    "migration_as_of",
    "migration_since",
    "migration_summary",
    "migration_text",
    "narrative",
    "pareto_curve",
    "pareto_cut_points",
    "percentile_scores",
    "profile_crosstab",
    "rfm_grid",
    "rfm_scores",
    "segment_guide",
    "segment_profile",
    "segment_rules",
    "sensitivity_text",
    "tier_migration",
    "tier_sensitivity",
    "transaction_log",
    "with_attributes",
]
