"""The ``management:`` section of ``workbench.yaml``: owners, care policy, pool rules, forecast, alerts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..settings import Settings, check_value

__all__ = ["ALERT_KEYS", "DEFAULT_ALERTS", "DEFAULT_CARE_POLICY", "DEFAULT_RESPONSE_DAYS",
           "XLSX_ROW_LIMIT", "ManagementSettings", "visit_cadence"]

#: Per tier: visit cadence (days between visits), days to follow up a complaint, and the
#: actions owed to customers of some RFM segments (``segment_actions``, segment -> action).
DEFAULT_CARE_POLICY: dict[str, dict[str, Any]] = {
    "A": {"visit_days": 30, "response_days": 1},
    "B": {"visit_days": 90, "response_days": 3},
    "C": {"visit_days": 180, "response_days": 7},
}

#: Days to follow up (a complaint, a win-back call, a segment action) for a tier whose
#: policy sets no ``response_days``, or a tier the policy does not list.
DEFAULT_RESPONSE_DAYS = 3

#: Segment actions every tier gets unless its policy says otherwise (RFM segment -> action).
DEFAULT_SEGMENT_ACTIONS: dict[str, str] = {"cant_lose": "retention_call", "at_risk": "win_back_call"}

#: Rows of one XLSX sheet, less its header row.
XLSX_ROW_LIMIT = 1_048_575

#: Alert thresholds (``management.alerts``); a key absent or null is not checked.
DEFAULT_ALERTS: dict[str, float] = {
    "tier_a_risk_up": 0.20,      # tier-A revenue at risk up more than 20 % on the previous period
    "nps_down": 5.0,             # NPS down more than 5 points on the previous period
    "sla_breach_share": 0.10,    # more than 10 % of the period's resolved complaints breached SLA
    "forecast_miss": 0.15,       # last period's forecast missed actual revenue by more than 15 %
}
ALERT_KEYS = tuple(DEFAULT_ALERTS)

_POLICY_KEYS = {"visit_days": int, "response_days": int, "segment_actions": Mapping[str, str]}
_OWNER_KEYS = {"team": str, "region": str}


@dataclass(frozen=True)
class ManagementSettings(Settings):
    """The ``management:`` section of ``workbench.yaml``, defaults filled in.

    Attributes:
        owners: ``{sales_rep: {team, region}}``; reps not listed are in team and region
            ``unassigned``.
        care_policy: per tier ``{visit_days, response_days, segment_actions}``; tiers given
            replace the default tiers wholly (tiers not listed get no visits due).
        reclaim_days: an owned account with neither a visit nor a purchase in this many
            days is a reclaim candidate (公海回收).
        claim_top: how many unowned accounts the claim list shows (ranked by CLV).
        forecast_cutoffs: how many past month ends the forecast is backtested at.
        forecast_model: the CLV purchase model of the forecast (``bgnbd`` or ``paretonbd``).
        seasonal_years: years of history the seasonal index is learned from.
        forecast_sample: the forecast's models (at every backtest cut-off and today) are
            fitted on a seeded random sample of at most this many customers with a
            purchase; every customer is then forecast (null: fit on all of them).
        xlsx_max_rows: a list (care plan, customer 360, reclaim candidates...) longer than
            this is written as CSV only, no XLSX (a spreadsheet holds 1,048,575 rows at
            most, and a million-row XLSX takes minutes to write and to open).
        alerts: thresholds, see :data:`DEFAULT_ALERTS`; null switches one off.
        min_base: the small-number guard of the owner scorecard (no rate or change on fewer
            customers than this); null: ``service.min_base``.
    """

    SECTION: ClassVar[str] = "management"

    owners: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    care_policy: Mapping[str, Mapping[str, Any]] = field(
        default_factory=lambda: {k: dict(v) for k, v in DEFAULT_CARE_POLICY.items()})
    reclaim_days: int = 180
    claim_top: int = 50
    forecast_cutoffs: int = 6
    forecast_model: str = "bgnbd"
    seasonal_years: int = 3
    forecast_sample: int | None = 100_000
    xlsx_max_rows: int = 100_000
    alerts: Mapping[str, float | None] = field(default_factory=lambda: dict(DEFAULT_ALERTS))
    min_base: int | None = None

    def __post_init__(self) -> None:
        pol = {}
        for tier, p in self.care_policy.items():
            if not isinstance(p, Mapping):
                self.fail(f"care_policy.{tier}", p, "a mapping with visit_days, response_days, "
                          "segment_actions")
            unknown = sorted(set(p) - set(_POLICY_KEYS))
            if unknown:
                self.fail(f"care_policy.{tier}", dict(p),
                          f"a mapping of known keys {sorted(_POLICY_KEYS)} (unknown {unknown})")
            vals = {k: check_value(v, _POLICY_KEYS[k], self.where(f"care_policy.{tier}.{k}"))
                    for k, v in p.items()}
            vals.setdefault("segment_actions", dict(DEFAULT_SEGMENT_ACTIONS))
            pol[str(tier)] = vals
        object.__setattr__(self, "care_policy", pol)
        owners = {}
        for rep, info in self.owners.items():
            unknown = sorted(set(info) - set(_OWNER_KEYS))
            if unknown:
                self.fail(f"owners.{rep}", dict(info), f"a mapping of team and region (unknown {unknown})")
            owners[str(rep)] = {k: str(v) for k, v in info.items()}
        object.__setattr__(self, "owners", owners)
        object.__setattr__(self, "alerts", {**DEFAULT_ALERTS, **dict(self.alerts)})
        super().__post_init__()

    def check(self) -> None:
        for tier, p in self.care_policy.items():
            for key in ("visit_days", "response_days"):
                if key in p and p[key] <= 0:
                    self.fail(f"care_policy.{tier}.{key}", p[key], "a positive whole number of days")
        for key in ("reclaim_days", "claim_top", "forecast_cutoffs",
                    "seasonal_years"):
            if getattr(self, key) <= 0:
                self.fail(key, getattr(self, key), "a positive whole number")
        if self.forecast_model not in ("bgnbd", "paretonbd", "mbgnbd"):
            self.fail("forecast_model", self.forecast_model, "one of bgnbd, paretonbd, mbgnbd")
        for key, value in self.alerts.items():
            if key not in DEFAULT_ALERTS:
                self.fail(f"alerts.{key}", value, f"a known alert; known are {list(DEFAULT_ALERTS)}")
            if value is not None and value < 0:
                self.fail(f"alerts.{key}", value, "a threshold >= 0 (or null to switch it off)")
        if self.forecast_sample is not None and self.forecast_sample < 100:
            self.fail("forecast_sample", self.forecast_sample,
                      "a whole number of customers of at least 100 (or null: all)")
        if not 0 <= self.xlsx_max_rows <= XLSX_ROW_LIMIT:
            self.fail("xlsx_max_rows", self.xlsx_max_rows,
                      f"a whole number of rows from 0 to {XLSX_ROW_LIMIT:,} (0: never XLSX)")
        if self.min_base is not None and self.min_base <= 0:
            self.fail("min_base", self.min_base, "a positive whole number (or null)")

    def export_formats(self, rows: int) -> tuple[str, ...]:
        """The formats a list of ``rows`` rows is written in: CSV, and XLSX up to ``xlsx_max_rows``."""
        return ("csv", "xlsx") if rows <= self.xlsx_max_rows else ("csv",)

    def visit_policy_days(self) -> dict[str, int]:
        """``{tier: visit_days}`` of the tiers with a visit cadence (:func:`visit_cadence`)."""
        return visit_cadence(self.care_policy)


def visit_cadence(policy: Mapping[str, Mapping[str, Any]]) -> dict[str, int]:
    """``{tier: visit_days}`` of the tiers of a care policy that set a visit cadence."""
    return {str(t): int(p["visit_days"]) for t, p in policy.items()
            if (p or {}).get("visit_days") is not None}
