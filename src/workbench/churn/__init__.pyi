# The package's names: what ``__init__.py`` loads on first use (lazy_loader.attach_stub)
# and what type checkers read.
from .alive import default_segmenter, p_alive_at, segments_from_log
from .analysis import ChurnAnalysis, analyse
from .codes import CustomerCodes
from .data import (
    READS,
    OrderColumns,
    available_tables,
    open_at,
    order_log,
    purchases,
    split,
    truncate,
)
from .evaluation import (
    evaluate_scores,
    gains_curve,
    gains_table,
    lift_at,
    rank_order,
    threshold_max_f1,
    top_share,
)
from .features import FeatureBuilder, Segmenter, build_features, training_frame, training_sample
from .groups import CATEGORICAL, FEATURE_GROUPS, GROUP_FEATURES, SEVERITY_RANK, FeatureSet
from .importance import permutation_importances
from .models import MODELS, build_pipeline, one_thread
from .persist import export_warning_list, load_model, save_model
from .present import (
    evaluation_table,
    gains_display,
    importance_display,
    key_results,
    localize,
    narrative,
    risk_display,
    scorer_label,
    warning_display,
)
from .reasons import RULE_CODES, explain, suggest_action
from .settings import ChurnSettings
from .text import FEATURE_LABELS, ROOM, feature_label
from .warning import WARNING_COLUMNS, revenue_at_risk_by, warning_list
from .window import ChurnWindow, fit_window, labels, population, window_from_log

__all__ = [
    "READS",
    "CATEGORICAL",
    "FEATURE_GROUPS",
    "FEATURE_LABELS",
    "GROUP_FEATURES",
    "MODELS",
    "ROOM",
    "RULE_CODES",
    "SEVERITY_RANK",
    "WARNING_COLUMNS",
    "ChurnAnalysis",
    "ChurnSettings",
    "ChurnWindow",
    "CustomerCodes",
    "FeatureBuilder",
    "FeatureSet",
    "OrderColumns",
    "Segmenter",
    "analyse",
    "available_tables",
    "build_features",
    "build_pipeline",
    "default_segmenter",
    "evaluate_scores",
    "evaluation_table",
    "explain",
    "export_warning_list",
    "feature_label",
    "fit_window",
    "gains_curve",
    "gains_display",
    "gains_table",
    "importance_display",
    "key_results",
    "labels",
    "lift_at",
    "load_model",
    "localize",
    "narrative",
    "one_thread",
    "open_at",
    "order_log",
    "p_alive_at",
    "permutation_importances",
    "population",
    "purchases",
    "rank_order",
    "revenue_at_risk_by",
    "risk_display",
    "save_model",
    "scorer_label",
    "segments_from_log",
    "split",
    "suggest_action",
    "threshold_max_f1",
    "top_share",
    "training_frame",
    "training_sample",
    "truncate",
    "warning_display",
    "warning_list",
    "window_from_log",
]
