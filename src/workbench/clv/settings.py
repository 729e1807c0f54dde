"""The ``clv:`` section of ``workbench.yaml``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from ..errors import UsageError
from ..settings import Settings
from .units import MODELS, PERIOD_DAYS, _period_days

__all__ = ["CLVSettings"]


@dataclass(frozen=True)
class CLVSettings(Settings):
    """The ``clv:`` section of ``workbench.yaml`` (every key optional).

    Attributes:
        period, freq_multiplier: time unit of the RFM summary (default ``"D"``, 7:
            daily purchase periods counted in weeks, as in the literature).
        net_of_returns: scale spend by the share each customer kept (default True;
            see :func:`workbench.clv.net_of_returns`).
        penalizer: lifetimes' penalizer (default 0; see :func:`workbench.clv.fit`
            for what happens when lifetimes gives up).
        compare: purchase models compared out of sample (default bgnbd, paretonbd).
        validation_sample: the calibration fits of the out-of-sample comparison are fitted
            on a seeded sample of at most this many customers (every customer's holdout is
            predicted); null: on all of them.  The model valued is always fitted on all.
        model, horizon_months, discount_rate_monthly, holdout_months: the defaults
            of notebook 03's parameters of the same names (``bgnbd``, 12, 0.01, 6).

    How a flagged outlier's amount counts is the house's policy, not this
    section's: ``transactions.outlier_amounts`` (:data:`MOVED`).
    """

    SECTION: ClassVar[str] = "clv"
    MOVED: ClassVar[Mapping[str, str]] = {"cap_outliers": "transactions.outlier_amounts"}

    period: str = "D"
    freq_multiplier: float = 7
    net_of_returns: bool = True
    penalizer: float = 0.0
    compare: tuple[str, ...] = ("bgnbd", "paretonbd")
    model: str = "bgnbd"
    horizon_months: int = 12
    discount_rate_monthly: float = 0.01
    holdout_months: int = 6
    validation_sample: int | None = 100_000

    def check(self) -> None:
        if self.period not in PERIOD_DAYS:
            self.fail("period", self.period, f"one of {sorted(PERIOD_DAYS)}")
        try:
            _period_days(self.period, self.freq_multiplier)
        except UsageError:
            self.fail("freq_multiplier", self.freq_multiplier, "a positive number (7: weeks)")
        if not self.penalizer >= 0:
            self.fail("penalizer", self.penalizer, "a number >= 0")
        for m in (*self.compare, self.model):
            if m not in MODELS:
                key = "model" if m == self.model and m not in self.compare else "compare"
                raise UsageError(f"{self.where(key)}: model '{m}' is not one of {MODELS}.")
        if not 1 <= self.horizon_months <= 600:
            self.fail("horizon_months", self.horizon_months, "a whole number of months from 1 to 600")
        if not 0 <= self.discount_rate_monthly < 1:
            self.fail("discount_rate_monthly", self.discount_rate_monthly,
                      "a monthly rate from 0 to below 1 (0.01 = 1% a month)")
        if self.validation_sample is not None and self.validation_sample < 100:
            self.fail("validation_sample", self.validation_sample,
                      "a whole number of customers of at least 100 (or null: all)")
        if self.holdout_months < 1:
            self.fail("holdout_months", self.holdout_months, "a whole number of months >= 1")
