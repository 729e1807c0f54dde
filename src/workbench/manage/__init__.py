"""Managing with the analysis: owner performance, care plan, order forecast, account pool,
CRM write-back and alerts (notebook ``06_management``; ``docs/management.md``).

One concept per module, every public name re-exported here:

- :mod:`.settings` - :class:`ManagementSettings` (``management:`` in ``workbench.yaml``);
- :mod:`.book` - each customer's owner, team, region, tier and segment;
- :mod:`.performance` - the owner scorecard, fair to each book's tier mix;
- :mod:`.care` - the next period's action list per owner, with reasons;
- :mod:`.forecast` - next period's orders from the CLV models x a seasonal index, backtested;
- :mod:`.pool` - reclaim candidates and the claim list (公海);
- :mod:`.crm` - the customer-360 table and CRM import presets (Zoho CRM, 纷享销客);
- :mod:`.alerts` - thresholds checked against this period and the last;
- :mod:`.html` - sortable, searchable tables that work offline and under a CSP;
- :mod:`.analysis` - :func:`analyse`, every figure of notebook 06 in one call;
- :mod:`.present` - :func:`key_results`, :func:`narrative`, :func:`localize`, :func:`alerts_box`.

Purchases and money are the transaction model's (:mod:`workbench.transactions`); tiers and
segments step 02's; CLV step 03's models; the warning list step 04's; visit policy,
complaint SLA and NPS the service room's.  Nothing here reads or writes files.
"""

from __future__ import annotations

from .alerts import check_alerts
from .analysis import READS, TABLES, ManagementAnalysis, analyse, category_shares, rollup
from .book import (
    BOOK_SEGMENT_COLUMNS,
    NO_TIER,
    SHARED_POOL,
    UNASSIGNED,
    book_of_business,
    owners_table,
)
from .care import ACTION_KINDS, BIRTHDAY_COLUMNS, care_plan
from .crm import CRM_COLUMNS, PRESETS, customer_360, preset_frame
from .forecast import (
    METHODS,
    Backtest,
    backtest,
    bias,
    first_purchases,
    forecast_customers,
    last_month_ends,
    monthly_revenue,
    period_months,
    practice_baseline,
    seasonal_index,
    seasonal_naive,
    wape,
)
from .performance import GROUPS, expected_by_mix, owner_scorecard
from .pool import claim_list, reclaim_candidates
from .present import alerts_box, csv_only_note, headers, key_results, localize, narrative
from .settings import DEFAULT_ALERTS, DEFAULT_CARE_POLICY, ManagementSettings
from .text import ROOM

__all__ = [
    "ACTION_KINDS", "BIRTHDAY_COLUMNS", "CRM_COLUMNS", "DEFAULT_ALERTS", "DEFAULT_CARE_POLICY",
    "BOOK_SEGMENT_COLUMNS", "GROUPS", "METHODS", "NO_TIER", "PRESETS", "ROOM", "SHARED_POOL",
    "READS", "TABLES", "UNASSIGNED", "Backtest", "ManagementAnalysis",
    "ManagementSettings", "alerts_box", "analyse", "backtest", "bias", "book_of_business",
    "care_plan", "category_shares", "check_alerts", "claim_list", "csv_only_note", "customer_360",
    "expected_by_mix", "first_purchases", "forecast_customers", "headers", "key_results",
    "last_month_ends", "localize", "monthly_revenue", "narrative", "owner_scorecard", "owners_table",
    "period_months", "practice_baseline", "preset_frame", "reclaim_candidates", "rollup",
    "seasonal_index", "seasonal_naive", "wape",
]
