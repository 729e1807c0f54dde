"""Churn warning: honest labels, leak-free features, scikit-learn models, evaluation, reasons, warning list.

The method, in the order the notebook ``04_churn`` follows it (details in ``docs/churn.md``):

1. **Window** (:mod:`.window`).  A customer *churns* at a cut-off ``c`` when they
   make no purchase in the ``N`` days after it, ``(c, c + N]``.
   :func:`fit_window` proposes ``N`` from the purchase cycle (90 % quantile of the
   gaps between purchase days, rounded up to whole months).
2. **Population.**  Only customers who *can* churn are scored: a purchase on or
   before ``c`` and the last one at most ``lapsed_days`` (default ``N``) before it.
3. **Features** (:mod:`.features`, :mod:`.alive`) from rows dated on or before ``c``
   only, the orders read as the house's transaction log at ``c``
   (:mod:`workbench.transactions`).
4. **Out-of-time evaluation and scoring** (:mod:`.analysis`, :mod:`.models`,
   :mod:`.evaluation`): :func:`analyse`.
5. **Reasons** (:mod:`.importance`, :mod:`.reasons`): permutation importance and
   rule-based reasons in zh and en.
6. **Warning list** (:mod:`.warning`): flagged customers ranked by churn
   probability x value (CLV from step 03, else 12-month net revenue).

Presentation in :mod:`.present` (``key_results``, ``narrative``, ``localize``),
disk in :mod:`.persist`, settings in :mod:`.settings` (section ``churn:``).
"""

from __future__ import annotations

from .alive import default_segmenter, p_alive_at, segments_from_log
from .analysis import ChurnAnalysis, analyse
from .codes import CodedLog, CustomerCodes
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
    "CodedLog",
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
