"""Features other rooms compute: the BG/NBD probability alive (clv) and tiers and segments (segment).

Both are computed at the cut-off, from data known then, so a training row never
sees today's tier or a model fitted on the future.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import numpy as np
import polars as pl

from .. import clv, rfm, segment
from .. import transactions as tx
from ..errors import DataError, ModelError, UsageError
from ..sampling import sample_rows
from .data import truncate

__all__ = ["default_segmenter", "p_alive_at", "segments_from_log"]

#: The columns a segmenter adds (the ``segment`` feature group).
SEGMENT_FEATURES = ("tier", "rfm_segment", "lifecycle_stage")


def p_alive_at(buys: pl.DataFrame, cutoff: date, penalizer_coef: float = 0.001, *,
               sample: int | None = None, seed: int = 0) -> pl.DataFrame:
    """Probability each customer is still active at ``cutoff`` under a BG/NBD model fitted on data up to it.

    The RFM summary (lifetimes' definitions, daily periods) comes from
    :func:`workbench.rfm.summary` on purchases (``customer_id, day``) on or before
    ``cutoff``; the model from :func:`workbench.clv.fit` (``model="bgnbd"``, no spend model).
    With more than ``sample`` customers (None: never) the four parameters are fitted on a
    seeded random sample of that many (the likelihood costs one term per distinct
    ``frequency, recency, T``, nearly one per customer in days); every customer then gets
    the probability under those parameters.

    Returns:
        ``customer_id, p_alive`` (ids of the dtype of ``buys``) for every customer with a
        purchase by ``cutoff``.

    Raises:
        ModelError: the model cannot be fitted (e.g. too few repeat purchases).
    """
    # lazy: the summary reads the two columns as it goes (per partition of the customers
    # when they are many), no copy of the purchases
    known = buys.lazy().filter(pl.col("day") <= cutoff).select("customer_id", "day")
    if known.select(pl.len()).collect().item() == 0:
        raise ModelError(f"no purchases on or before {cutoff}; the BG/NBD model cannot be fitted.")
    summary = rfm.summary(known, "customer_id", "day", observation_period_end=cutoff, freq="D")
    # Customers whose first purchase is on the cut-off day have T = 0: nothing to fit on,
    # and they have just bought, so they are alive.
    fit_on = summary.filter(pl.col("T") > 0)
    rows = sample_rows(fit_on.height, sample, seed)
    if rows is not None:
        model = _purchase_model(fit_on[rows], penalizer_coef)
    else:
        model = _purchase_model(fit_on, penalizer_coef)
    p = np.ones(summary.height)
    pos = (summary.get_column("T") > 0).to_numpy()
    p[pos] = model.conditional_probability_alive(fit_on.get_column("frequency").to_numpy(),
                                                 fit_on.get_column("recency").to_numpy(),
                                                 fit_on.get_column("T").to_numpy())
    id_type = known.collect_schema()["customer_id"]
    return pl.DataFrame({"customer_id": summary.get_column("customer_id").cast(id_type),
                         "p_alive": np.asarray(p, dtype=float)})


def _purchase_model(summary: pl.DataFrame, penalizer_coef: float) -> Any:
    """A fitted BG/NBD model (lifetimes), through :func:`workbench.clv.fit` (collapsed rows, retry)."""
    try:
        return clv.fit(summary, model="bgnbd", spend=False, period="D", penalizer=penalizer_coef,
                       id_col="customer_id").purchase_model
    except (ModelError, DataError) as exc:
        raise ModelError(f"the BG/NBD model (probability alive) could not be fitted: {exc}") from exc


def default_segmenter(tables: Mapping[str, Any], cutoff: date, *,
                      transaction_settings: tx.TransactionSettings | None = None,
                      ) -> pl.DataFrame | None:
    """Tiers, RFM segments and lifecycle stages at ``cutoff`` from :func:`workbench.segment.build_segments`.

    ``transaction_settings`` is the house's outlier policy (the analysis passes its own).

    Computed on the tables truncated at the cut-off (no clustering), so training
    rows see the tier the customer had then, not today's.  Returns None when the
    orders are not canonical (e.g. a bare transaction log) or segmentation fails.
    """
    orders = tables.get("orders")
    if orders is None or "status" not in orders.columns or "order_date" not in orders.columns:
        return None
    # Only the tables the segmentation reads are truncated; the orders are read at the
    # cut-off by the segmentation's own transaction log (the same as-of bound).
    known = truncate({k: tables.get(k) for k in ("customers", "surveys")}, cutoff)
    customers = known.get("customers")
    surveys = known.get("surveys")
    try:
        table = segment.build_segments(
            orders, customers if customers is not None and customers.height else None,
            as_of=cutoff, surveys=surveys if surveys is not None and surveys.height else None,
            transaction_settings=transaction_settings, cluster=False).table
    except (DataError, ModelError, UsageError):
        return None
    return table.select("customer_id", *SEGMENT_FEATURES)


def segments_from_log(log: pl.DataFrame | pl.LazyFrame, surveys: pl.DataFrame | None, cutoff: date,
                      settings: segment.SegmentSettings | None = None) -> pl.DataFrame | None:
    """:func:`default_segmenter`'s tiers, RFM segments and lifecycle stages, from the
    segmentation's transaction log at ``cutoff`` (:func:`workbench.segment.transaction_log`).

    The segmentation's own rules (:func:`workbench.segment.classify`, which
    :func:`workbench.segment.build_segments` calls too) on the customers with a purchase:
    customer metrics, the NPS known at the cut-off, R/F/M scores and segments, lifecycle
    stages, and the tiers fitted on the buyers.  A customer
    without a purchase (a prospect of the archive) is in no ranking of those, so leaving
    the archive out changes no buyer's tier, segment or stage.  The ids may be of any
    dtype that sorts like the text ids (e.g. :class:`workbench.churn.codes.CustomerCodes`'
    codes, much cheaper to group than text); ``surveys`` has ids of the same dtype.  A lazy
    ``log`` must have its values row by row (:func:`workbench.segment.log_at`'s): it is
    summarised per partition of the customers like one in memory.

    Returns:
        ``customer_id, tier, rfm_segment, lifecycle_stage`` of the customers with a
        purchase by ``cutoff`` (sorted by id), or None when nobody bought or the
        segmentation fails.
    """
    st = settings or segment.SegmentSettings()
    try:
        m = segment.metrics_from_log(log, None, as_of=cutoff, frequency_basis=st.frequency_basis,
                                     partitioned=True)
        m = m.filter(pl.col("frequency") > 0)
        if m.height == 0:
            return None
        m = segment.with_nps(m, surveys if surveys is not None and surveys.height else None,
                             cutoff)
        m, _, _ = segment.classify(m, st)
    except (DataError, ModelError, UsageError):
        return None
    return m.select("customer_id", *SEGMENT_FEATURES)
