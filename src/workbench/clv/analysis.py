"""Notebook 03 in one call: summary, fit, out-of-sample validation, CLV, by group, at risk."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
import polars as pl

from .. import periods, rfm
from .. import transactions as tx
from ..frames import as_polars
from .fit import CLVFit, fit
from .inputs import _as_date
from .orders import _LOG_COLUMNS, _log, summary_from_orders, valuable_at_risk, value_by_group
from .predict import _check_horizon, predict
from .settings import CLVSettings
from .tracking import cumulative_tracking
from .validate import Validation, validate

__all__ = ["SEGMENT_COLUMNS", "CLVAnalysis", "analyse"]

#: The columns of step 02's ``segments.parquet`` the CLV step reads (:func:`analyse`'s value
#: by tier and segment, :func:`~workbench.clv.present.top_customers`' tier): a notebook reads
#: only these of the wide per-customer table.
SEGMENT_COLUMNS = ("customer_id", "tier", "rfm_segment")


@dataclass
class CLVAnalysis:
    """What notebook 03 shows (see :func:`analyse`).

    Attributes:
        as_of, calibration_end: the as-of day and the end of the calibration period.
        model, horizon_months, discount_rate_monthly, holdout_months: as used.
        fit: the models fitted on every purchase known at ``as_of``.
        validation: the calibration fits and their holdout comparison.
        predictions: :func:`workbench.clv.predict` per customer (polars).
        summary: the RFM summary (``return_rate`` included); None when not kept.
        purchases: the purchases (``customer_id, day, value``) of the log, lazy (read again
            when asked, e.g. by :meth:`purchase_days`).
        tracking: cumulative repeat purchases, actual vs the calibration model.
        at_risk: :func:`workbench.clv.valuable_at_risk` of the predictions.
        by_tier, by_segment: :func:`workbench.clv.value_by_group` by ``tier`` and
            ``rfm_segment`` when segments were given (else None).
    """

    as_of: date
    calibration_end: date
    model: str
    horizon_months: int
    discount_rate_monthly: float
    holdout_months: int
    fit: CLVFit
    validation: Validation
    predictions: pl.DataFrame
    summary: pl.DataFrame | None = None
    purchases: pl.LazyFrame | pl.DataFrame | None = None
    tracking: pd.DataFrame | None = None
    at_risk: pl.DataFrame | None = None
    by_tier: pd.DataFrame | None = None
    by_segment: pd.DataFrame | None = None

    def purchase_days(self, customer_id: str) -> list[date]:
        """The days one customer bought on (for :func:`workbench.clv.alive_history`)."""
        if self.purchases is None:
            return []
        days = (self.purchases.lazy().filter(pl.col("customer_id") == str(customer_id))
                .select("day").collect().get_column("day"))
        return sorted(set(days.to_list()))


def analyse(orders: Any, as_of: Any, settings: CLVSettings | None = None, *,
            segments: Any = None, transactions: tx.TransactionSettings | None = None,
            model: str | None = None, horizon_months: int | None = None,
            discount_rate_monthly: float | None = None,
            holdout_months: int | None = None) -> CLVAnalysis:
    """The CLV analysis at ``as_of``.

    Args:
        orders: canonical orders, or a prepared transaction log (then
            ``transactions`` must be None).
        as_of: the as-of day.
        settings: the ``clv:`` section (default :class:`CLVSettings`); ``model``,
            ``horizon_months``, ``discount_rate_monthly`` and ``holdout_months``
            override its values of the same names when given.
        segments: segments.parquet of step 02 (``customer_id, tier, rfm_segment``)
            for the value by group (optional).
        transactions: the house's outlier policy (``transactions:`` section).

    The calibration period ends at the month end ``holdout_months`` months
    before the month of ``as_of``; the holdout runs from there to ``as_of``.
    """
    s = settings or CLVSettings()
    day = _as_date(as_of, "as_of")
    model = model or s.model
    horizon = s.horizon_months if horizon_months is None else horizon_months
    rate = s.discount_rate_monthly if discount_rate_monthly is None else discount_rate_monthly
    holdout = s.holdout_months if holdout_months is None else holdout_months
    _check_horizon(horizon, rate)
    # Lazy: each summary reads the log's columns it needs (on the streaming engine, per
    # partition of the customers when they are many); no whole log is held here.
    log = _log(orders, day, transactions, "customer_id", "order_date", "amount").select(
        _LOG_COLUMNS)
    summary = summary_from_orders(log, day, s)
    rfm_only = summary.drop("return_rate")
    fitted = fit(rfm_only, model, period=s.period, freq_multiplier=s.freq_multiplier,
                 penalizer=s.penalizer)
    cal_end = periods.period_bounds(day, "month", -holdout)[1]
    buys = tx.purchases(log).select("customer_id", "day", "value")
    cal_hold = rfm.calibration_holdout(buys, "customer_id", "day", cal_end, day, s.period,
                                       s.freq_multiplier)
    validation = validate(cal_hold, dict.fromkeys([model, *s.compare]), period=s.period,
                          freq_multiplier=s.freq_multiplier, penalizer=s.penalizer,
                          sample=s.validation_sample)
    pred = predict(fitted, rfm_only, horizon, rate)
    tracking = cumulative_tracking(validation.fits[model], buys, cal_end, day, date_col="day")
    result = CLVAnalysis(as_of=day, calibration_end=cal_end, model=model, horizon_months=horizon,
                         discount_rate_monthly=rate, holdout_months=holdout, fit=fitted,
                         validation=validation, predictions=pred, summary=summary,
                         purchases=buys, tracking=tracking, at_risk=valuable_at_risk(pred))
    if segments is not None:
        seg = as_polars(segments, "segments")
        if "tier" in seg.columns:
            result.by_tier = value_by_group(pred, seg, "tier").sort_index()
        if "rfm_segment" in seg.columns:
            result.by_segment = value_by_group(pred, seg, "rfm_segment")
    return result
