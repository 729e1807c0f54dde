# The package's names: what ``__init__.py`` loads on first use (lazy_loader.attach_stub)
# and what type checkers read.
from .abc import abc_and_pareto, abc_classify, pareto_curve, pareto_cut_points
from .clusters import RFMClusterer, cluster_profiles
from .labels import LIFECYCLE_STAGES, ROOM, SEGMENT_ORDER
from .lifecycle import lifecycle_stage
from .metrics import (
    READS,
    customer_metrics,
    latest_nps,
    log_at,
    metrics_from_log,
    transaction_log,
)
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
    "log_at",
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
