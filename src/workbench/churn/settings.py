"""The ``churn:`` section of ``workbench.yaml``: how the churn warning is made."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import ClassVar

from ..settings import Settings

__all__ = ["ChurnSettings"]


@dataclass(frozen=True)
class ChurnSettings(Settings):
    """The method of the churn warning (every key optional).

    Attributes:
        window_days: churn window in days (None: fitted to the purchase cycle).
        window_quantile: quantile of inter-purchase gaps for the fitted window.
        lapsed_days: customers silent longer are outside the population (None: the window).
        n_train_cutoffs: training cut-offs stacked for the model.
        cutoff_step_days: days between those cut-offs.
        importance_repeats: shuffles per feature for the permutation importance.
        importance_max_rows: test rows (seeded, stratified subsample) for the permutation
            importance (None: all of them).
        train_sample: training rows (customer x cut-off) the models are fitted on: a seeded
            subsample stratified on the label when the stacked cut-offs hold more (None: every
            row).  Only the fits sample; every customer in the population is scored.  On the
            million-customer demo (818,720 stacked rows) 100,000 rows give the test ROC AUC and
            average precision of 200,000 to within 0.001 and 0.003 over three seeds, in half
            the fitting time.
        flag_share: share of the population the retention team can contact (None: max-F1
            threshold).
        with_p_alive: add the BG/NBD probability alive as a feature (group ``clv``).
        p_alive_sample: customers (seeded sample) the BG/NBD parameters of that feature are
            fitted on at each cut-off when there are more (None: all); every customer gets
            its probability.
    """

    SECTION: ClassVar[str] = "churn"

    window_days: int | None = None
    window_quantile: float = 0.9
    lapsed_days: int | None = None
    n_train_cutoffs: int = 3
    cutoff_step_days: int = 30
    importance_repeats: int = 5
    importance_max_rows: int | None = 5000
    train_sample: int | None = 100_000
    flag_share: float | None = 0.2
    with_p_alive: bool = True
    p_alive_sample: int | None = 100_000

    def check(self) -> None:
        if self.window_days is not None and self.window_days <= 0:
            self.fail("window_days", self.window_days, "a positive number of days (e.g. 90), or null")
        if not 0 < self.window_quantile < 1:
            self.fail("window_quantile", self.window_quantile, "strictly between 0 and 1 (e.g. 0.9)")
        if self.lapsed_days is not None and self.lapsed_days <= 0:
            self.fail("lapsed_days", self.lapsed_days, "a positive number of days, or null")
        for key in ("n_train_cutoffs", "cutoff_step_days", "importance_repeats"):
            if getattr(self, key) < 1:
                self.fail(key, getattr(self, key), "at least 1")
        if self.importance_max_rows is not None and self.importance_max_rows < 2:
            self.fail("importance_max_rows", self.importance_max_rows, "at least 2 (e.g. 5000), or null")
        if self.train_sample is not None and self.train_sample < 100:
            self.fail("train_sample", self.train_sample, "at least 100 (e.g. 100000), or null")
        if self.p_alive_sample is not None and self.p_alive_sample < 1000:
            self.fail("p_alive_sample", self.p_alive_sample, "at least 1000 (e.g. 100000), or null")
        if self.flag_share is not None and not 0 < self.flag_share < 1:
            self.fail("flag_share", self.flag_share, "strictly between 0 and 1 (e.g. 0.2), or null")

    def with_window(self, days: int | None) -> ChurnSettings:
        """These settings with the churn window ``days`` (None: unchanged), e.g. a notebook parameter."""
        return self if days is None else dataclasses.replace(self, window_days=int(days))
