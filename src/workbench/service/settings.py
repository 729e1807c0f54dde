"""The ``service:`` section of ``workbench.yaml``: SLA hours, visit policy, windows, guard."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar

from ..settings import Settings

__all__ = ["DEFAULT_SLA_HOURS", "DEFAULT_VISIT_POLICY_DAYS", "ServiceSettings"]

DEFAULT_SLA_HOURS: dict[str, float] = {"low": 168.0, "medium": 72.0, "high": 24.0, "critical": 8.0}
"""Hours allowed to resolve a complaint, per severity (``service.sla_hours`` overrides)."""

DEFAULT_VISIT_POLICY_DAYS: dict[str, int] = {"A": 30, "B": 90}
"""Longest gap without a visit allowed per tier (``service.visit_policy_days`` overrides)."""


@dataclass(frozen=True)
class ServiceSettings(Settings):
    """The ``service:`` section of ``workbench.yaml``, with defaults filled in.

    Attributes:
        sla_hours: hours allowed to resolve a complaint, per severity.  Severities not
            given keep their default (``{"critical": 4}`` changes only ``critical``).
        visit_policy_days: longest gap without a visit allowed, per tier; when given it
            replaces the default (tiers not listed have no visit policy).
        window_months: trailing months (``periods.trailing_window``) used for rates,
            cadence and satisfaction breakdowns (the scorecard uses single periods).
        churn_days: a customer with no purchase in this many days counts as churned
            (cohort "last active" view).
        aftermath_days: window before/after a complaint for the churn and spend comparison.
        min_base: the small-number guard: no change is computed when the count behind a
            KPI is below this.
        confidence: confidence level of the NPS interval.
        seed: random seed of the complainer/non-complainer matching.

    How flagged outlier orders enter money figures is the house's rule
    (``transactions.outlier_amounts``), not a service setting.
    """

    SECTION: ClassVar[str] = "service"
    MOVED: ClassVar[Mapping[str, str]] = {"exclude_outliers": "transactions.outlier_amounts"}

    sla_hours: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_SLA_HOURS))
    visit_policy_days: Mapping[str, int] = field(
        default_factory=lambda: dict(DEFAULT_VISIT_POLICY_DAYS))
    window_months: int = 12
    churn_days: int = 90
    aftermath_days: int = 90
    min_base: int = 20
    confidence: float = 0.95
    seed: int = 0

    def __post_init__(self) -> None:
        # A partial sla_hours section overrides single severities; the others keep defaults.
        object.__setattr__(self, "sla_hours",
                           {**DEFAULT_SLA_HOURS, **{k: float(v) for k, v in self.sla_hours.items()}})
        object.__setattr__(self, "visit_policy_days", dict(self.visit_policy_days))
        super().__post_init__()

    def check(self) -> None:
        for sev, hours in self.sla_hours.items():
            if sev not in DEFAULT_SLA_HOURS:
                self.fail(f"sla_hours.{sev}", hours,
                          f"given for a known severity; unknown severity '{sev}', use "
                          f"{', '.join(DEFAULT_SLA_HOURS)}")
            if hours <= 0:
                self.fail(f"sla_hours.{sev}", hours, "a positive number of hours")
        for tier, days in self.visit_policy_days.items():
            if days <= 0:
                self.fail(f"visit_policy_days.{tier}", days, "a positive whole number of days")
        for key in ("window_months", "churn_days", "aftermath_days", "min_base"):
            if getattr(self, key) <= 0:
                self.fail(key, getattr(self, key), "a positive whole number")
        if self.seed < 0:
            self.fail("seed", self.seed, "a whole number >= 0")
        if not 0 < self.confidence < 1:
            self.fail("confidence", self.confidence, "between 0 and 1 (e.g. 0.95)")
