# The package's names: what ``__init__.py`` loads on first use (lazy_loader.attach_stub)
# and what type checkers read.
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
    "expected_by_mix", "forecast_customers", "headers", "key_results",
    "last_month_ends", "localize", "monthly_revenue", "narrative", "owner_scorecard", "owners_table",
    "period_months", "practice_baseline", "preset_frame", "reclaim_candidates", "rollup",
    "seasonal_index", "seasonal_naive", "wape",
]
