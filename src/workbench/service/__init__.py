"""Service and relationship analytics: complaints, visits, satisfaction, cohorts and the KPI scorecard.

Customer management is more than purchases: how complaints are handled, how
often each tier is visited and how satisfied customers are show whether the
company really serves its tiers differently (客户服务差异化), and the KPI
scorecard is how management evaluates it (绩效评估).

One concept per module, every public name re-exported here
(``from workbench.service import scorecard`` and ``workbench.service.scorecard`` work):

- :mod:`.common` - tiers and owners, day windows, the transaction log;
- :mod:`.complaints` - rates, SLA and resolution, backlog, repeat complainers, aftermath;
- :mod:`.visits` - cadence, overdue key customers, visits against customer value;
- :mod:`.satisfaction` - NPS with its interval, CSAT, detractors with open complaints;
- :mod:`.cohorts` - cohort tables, new vs returning, churned customers;
- :mod:`.scorecard` - period KPIs and the scorecard with its small-number guard;
- :mod:`.settings` - :class:`ServiceSettings` (``service:`` in ``workbench.yaml``);
- :mod:`.analysis` - :func:`analyse`, every figure of notebook 05 in one call;
- :mod:`.present` - :func:`key_results`, :func:`narrative`, :func:`localize`.

Purchases, returns, money and as-of bounds are the transaction model's
(:mod:`workbench.transactions`, ``docs/architecture.md#the-transaction-model``);
periods and trailing windows are :mod:`workbench.periods`' (a trailing window
is ``start < day <= end``).  Nothing here reads or writes files.
"""

from __future__ import annotations

from .analysis import READS, TABLES, ServiceAnalysis, analyse
from .cohorts import churned_last_active, cohort_table, new_vs_returning, retention_matrix
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
