# The package's names: what ``__init__.py`` loads on first use (lazy_loader.attach_stub)
# and what type checkers read.
from .analysis import READS, TABLES, ServiceAnalysis, analyse
from .cohorts import (
    churned_last_active,
    cohort_table,
    cohort_tables,
    new_vs_returning,
    retention_matrix,
)
from .common import NO_TIER, SHARED_POOL, attach_tiers, in_period, transaction_log, within
from .complaints import (
    AGE_BANDS,
    aftermath_summary,
    backlog_ages,
    complaint_aftermath,
    complaint_rates,
    complaint_status,
    open_backlog,
    repeat_complainers,
    resolution_summary,
)
from .present import format_scorecard, key_results, localize, narrative
from .satisfaction import (
    detractors_with_open_complaints,
    latest_responses,
    nps_score,
    satisfaction_by,
)
from .scorecard import KPIS, Kpi, kpi_label, period_kpis, scorecard, scorecard_dict
from .settings import DEFAULT_SLA_HOURS, DEFAULT_VISIT_POLICY_DAYS, ServiceSettings
from .text import ROOM
from .visits import customer_value, overdue_visits, visit_cadence, visit_differentiation

__all__ = [
    "AGE_BANDS",
    "DEFAULT_SLA_HOURS",
    "DEFAULT_VISIT_POLICY_DAYS",
    "KPIS",
    "NO_TIER",
    "ROOM",
    "SHARED_POOL",
    "READS",
    "TABLES",
    "Kpi",
    "ServiceAnalysis",
    "ServiceSettings",
    "aftermath_summary",
    "analyse",
    "attach_tiers",
    "backlog_ages",
    "churned_last_active",
    "cohort_table",
    "cohort_tables",
    "complaint_aftermath",
    "complaint_rates",
    "complaint_status",
    "customer_value",
    "detractors_with_open_complaints",
    "format_scorecard",
    "in_period",
    "key_results",
    "kpi_label",
    "latest_responses",
    "localize",
    "narrative",
    "new_vs_returning",
    "nps_score",
    "open_backlog",
    "overdue_visits",
    "period_kpis",
    "repeat_complainers",
    "resolution_summary",
    "retention_matrix",
    "satisfaction_by",
    "scorecard",
    "scorecard_dict",
    "transaction_log",
    "visit_cadence",
    "visit_differentiation",
    "within",
]
