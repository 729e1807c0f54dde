"""The ``segmentation:`` section of ``workbench.yaml``: every rule of the room with its default."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from ..errors import ConfigError, UsageError
from ..settings import Settings

__all__ = [
    "DEFAULT_TIER_CUTS",
    "DEFAULT_TIER_WEIGHTS",
    "LOWER_IS_BETTER",
    "SegmentSettings",
    "check_cuts",
    "check_shares",
    "normalise_weights",
]

DEFAULT_TIER_WEIGHTS: Mapping[str, float] = {
    "monetary": 0.35,
    "frequency": 0.20,
    "recency_days": 0.20,
    "tenure_days": 0.10,
    "gross_margin": 0.10,
    "nps": 0.05,
}
DEFAULT_TIER_CUTS: Mapping[str, float] = {"A": 0.2, "B": 0.3, "C": 0.5}
#: Indicators where a smaller value is better (scored on the negated value).
LOWER_IS_BETTER = ("recency_days",)


def check_shares(shares: Sequence[float], what: str) -> None:
    """Two or more positive shares adding up to 1, else UsageError naming ``what``."""
    if len(shares) < 2 or any(s <= 0 for s in shares) or abs(sum(shares) - 1) > 1e-6:
        raise UsageError(f"{what} {list(shares)} must be two or more positive shares that add "
                         f"up to 1.")


def check_cuts(method: str, cuts: Mapping[str, float]) -> None:
    """Tier cuts: shares (``method="share"``) or decreasing minimum scores ending at 0."""
    if method not in ("share", "score"):
        raise UsageError(f"tier method '{method}' must be 'share' or 'score'.")
    if len(cuts) < 2:
        raise UsageError(f"tier cuts {dict(cuts)} need at least two tiers (best first).")
    values = [float(v) for v in cuts.values()]
    if method == "share":
        check_shares(values, "tier cuts (shares)")
    elif (any(b >= a for a, b in itertools.pairwise(values)) or values[-1] != 0
          or values[0] > 100):
        raise UsageError(
            f"tier cuts (minimum scores) {dict(cuts)} must decrease from the best tier and end "
            f"at 0 (e.g. {{A: 70, B: 40, C: 0}})."
        )


def normalise_weights(weights: Mapping[str, float]) -> dict[str, float]:
    """Weights scaled to sum 1 (UsageError when empty, negative or all zero)."""
    if not weights:
        raise UsageError("tier weights are empty; give at least one indicator and its weight.")
    bad = {k: v for k, v in weights.items()
           if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0}
    if bad:
        raise UsageError(f"tier weights {bad} must be numbers >= 0.")
    total = float(sum(weights.values()))
    if total <= 0:
        raise UsageError("tier weights add up to 0; give at least one positive weight.")
    return {k: float(v) / total for k, v in weights.items()}


@dataclass(frozen=True)
class SegmentSettings(Settings):
    """Every rule of the segmentation, with its default (the ``segmentation:`` config section).

    What a purchase is, and how the amount of an order flagged ``is_outlier`` counts,
    is the transaction model's (``transactions:`` section, ``docs/architecture.md``);
    ``segmentation.exclude_outliers`` moved there (``transactions.outlier_amounts``).

    Attributes:
        frequency_basis: ``"days"`` (default) counts distinct purchase days, like lifetimes
            (two orders on one day are one purchase occasion); ``"orders"`` counts purchases.
        abc_shares: revenue shares of the ABC classes, best first (default 70/20/10).
        n_scores: number of R, F, M score levels (default 5, quintile-like).
        new_days: a first purchase at most this many days before the as-of date makes a
            customer *new* (default 90).
        at_risk_days: no purchase for more than this many days means *at risk* (default 180).
        churned_days: no purchase for more than this many days means *churned* (default 365).
        gap_multiplier: no purchase for more than this multiple of the typical purchase gap
            also means *at risk* (default 2.0).
        min_purchases_own_gap: customers with at least this many purchase days use their own
            mean gap; others use the population's median gap (default 3).
        tier_weights: indicator -> weight (normalised to sum 1; see :class:`TierScorer`).
        tier_method: ``"share"`` (cuts are population shares, default) or ``"score"``
            (cuts are minimum scores 0-100).
        tier_cuts: tier -> share or minimum score, best tier first (default A 20%, B 30%,
            C 50%).
        k_min, k_max: range of cluster counts tried (default 3..8: the silhouette nearly
            always prefers 2 groups on RFM data, buyers vs one-off buyers, which says little).
        silhouette_sample: customers sampled to compute the silhouette (default 3000).
        cluster_sample: customers (seeded sample) the k-means models are fitted on when there
            are more (default 100,000; None: all); every customer is then assigned to its
            nearest centre.
        random_state: seed of k-means and of the silhouette sample (default 0).
        sensitivity_delta: weight change (in weight points, 0.05 = 5 points) for
            :func:`tier_sensitivity` (default 0.05).
        migration_months: default distance in months of the earlier date of the tier
            migration (default 3).
        rules: segment rules (list of mappings, see :func:`segment_rules`); None = the
            default 11-segment map.
    """

    SECTION: ClassVar[str] = "segmentation"
    MOVED: ClassVar[Mapping[str, str]] = {"exclude_outliers": "transactions.outlier_amounts"}

    frequency_basis: Literal["days", "orders"] = "days"
    abc_shares: tuple[float, ...] = (0.7, 0.2, 0.1)
    n_scores: int = 5
    new_days: int = 90
    at_risk_days: int = 180
    churned_days: int = 365
    gap_multiplier: float = 2.0
    min_purchases_own_gap: int = 3
    tier_weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_TIER_WEIGHTS))
    tier_method: Literal["share", "score"] = "share"
    tier_cuts: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_TIER_CUTS))
    k_min: int = 3
    k_max: int = 8
    silhouette_sample: int = 3000
    cluster_sample: int | None = 100_000
    random_state: int = 0
    sensitivity_delta: float = 0.05
    migration_months: int = 3
    rules: tuple[Mapping[str, Any], ...] | None = None

    def check(self) -> None:
        if self.frequency_basis not in ("days", "orders"):
            self.fail("frequency_basis", self.frequency_basis, "'days' or 'orders'")
        try:
            check_shares(self.abc_shares, self.where("abc_shares"))
            check_cuts(self.tier_method, self.tier_cuts)
            normalise_weights(self.tier_weights)
        except UsageError as exc:
            raise ConfigError(f"{self.where()}: {exc}") from None
        if not 2 <= self.n_scores <= 10:
            self.fail("n_scores", self.n_scores, "a whole number from 2 to 10")
        if not 0 < self.at_risk_days < self.churned_days:
            self.fail("at_risk_days", self.at_risk_days,
                      f"above 0 and below churned_days ({self.churned_days})")
        if self.new_days < 0:
            self.fail("new_days", self.new_days, "0 or more")
        if self.gap_multiplier <= 0:
            self.fail("gap_multiplier", self.gap_multiplier, "above 0")
        if self.min_purchases_own_gap < 2:
            self.fail("min_purchases_own_gap", self.min_purchases_own_gap, "2 or more")
        if not 2 <= self.k_min <= self.k_max:
            self.fail("k_min", self.k_min, f"from 2 to k_max ({self.k_max})")
        if self.silhouette_sample < 2:
            self.fail("silhouette_sample", self.silhouette_sample, "2 or more")
        if self.cluster_sample is not None and self.cluster_sample < 1000:
            self.fail("cluster_sample", self.cluster_sample, "at least 1000 (e.g. 100000), or null")
        if not 0 < self.sensitivity_delta < 1:
            self.fail("sensitivity_delta", self.sensitivity_delta, "between 0 and 1 (e.g. 0.05)")
        if self.migration_months < 1:
            self.fail("migration_months", self.migration_months, "at least 1")
