"""Leak-free features: every customer who can churn at a cut-off, from data on or before it.

The orders enter as the transaction log known at the cut-off
(:func:`workbench.transactions.transactions` at the cut-off, see ``analysis``):
money features sum ``value`` (the house's outlier policy), and a flagged order
is a purchase like any other.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import polars as pl

from .. import segment
from .. import transactions as tx
from ..errors import DataError, ModelError, UsageError
from ..frames import by_customer
from ..sampling import stratified_rows
from .alive import default_segmenter, p_alive_at, segments_from_log
from .codes import CustomerCodes
from .data import OrderColumns, checked_orders, open_at, order_log, split
from .groups import CATEGORICAL, GROUP_FEATURES, RFM_FEATURES, SEVERITY_RANK, FeatureSet
from .window import labels, population, purchase_gaps

__all__ = ["FeatureBuilder", "Segmenter", "build_features", "training_frame",
           "training_sample"]

#: ``f(tables, cutoff) -> customer_id, tier, rfm_segment, lifecycle_stage`` at the cut-off, or None
#: (the tables as the builder got them: the orders may be a lazy scan).
Segmenter = Callable[[Mapping[str, Any], date], pl.DataFrame | None]


def _has(tables: Mapping[str, pl.DataFrame | pl.LazyFrame | None], name: str,
         needed: Sequence[str]) -> str | None:
    df = tables.get(name)
    if df is None:
        return f"no {name} table"
    if _height(df) == 0:
        return f"the {name} table is empty"
    lacking = [c for c in needed if c not in df.lazy().collect_schema().names()]
    if lacking:
        return f"the {name} table lacks column(s) {', '.join(lacking)}"
    return None


def _trend(last: str, prev: str) -> pl.Expr:
    tot = pl.col(last) + pl.col(prev)
    return pl.when(tot > 0).then((pl.col(last) - pl.col(prev)) / tot).otherwise(0.0)


def _days_between(cutoff: date, col: str) -> pl.Expr:
    return (pl.lit(cutoff) - pl.col(col)).dt.total_days().cast(pl.Float64)


def _as_date(name: str, dtype: pl.DataType) -> pl.Expr:
    return pl.col(name).cast(pl.Date) if isinstance(dtype, pl.Datetime) else pl.col(name)


# Money sums are taken in whole cents (the log's values are rounded to the cent), and the
# order-value spread from sums of cents and of squared cents, all whole numbers: polars'
# parallel group-by adds partial float sums in an order that depends on threads and chunking,
# which would change the last bits from run to run (and between the full and the truncated
# tables).  The one float mean left (resolution hours) is taken over the values sorted.
def _fmean(expr: pl.Expr) -> pl.Expr:
    return expr.sort().mean()


def _squared_cents_sum(values: pl.Expr) -> pl.Expr:
    """The sum of the squared amounts in whole cents (each value in cents as
    :func:`workbench.transactions.cents_sum` counts it), for the spread of the order values."""
    cents = (values * 100).round(0).cast(pl.Int128)
    return (cents * cents).sum()


def _std_from_cents(n: str, total: str, squares: str) -> pl.Expr:
    """The sample standard deviation (ddof 1) from the count, the sum and the sum of squares in
    cents: ``n * sum(c^2) - sum(c)^2`` is computed in whole numbers, so the result depends on the
    values only (not on their order or on how a parallel group-by splits them).  Null below 2."""
    count = pl.col(n).cast(pl.Int128)
    spread = count * pl.col(squares) - pl.col(total).cast(pl.Int128) * pl.col(total).cast(pl.Int128)
    var = spread.cast(pl.Float64) / (pl.col(n) * (pl.col(n) - 1)).cast(pl.Float64)
    return pl.when(pl.col(n) >= 2).then(var.clip(0.0).sqrt() / 100).otherwise(None)


def _rfm_features(buys: pl.DataFrame, ids: pl.DataFrame, cutoff: date) -> pl.DataFrame:
    # Per customer, so summarised per hash partition of the customers when the purchases are
    # many (frames.by_customer: the same rows, a fraction of the memory at a time).
    b = buys.lazy().filter(pl.col("day") <= cutoff).join(ids.lazy(), on="customer_id", how="semi")
    agg = by_customer(b, functools.partial(_rfm_aggregates, cutoff=cutoff))
    out = ids.join(agg, on="customer_id", how="left")
    return out.with_columns(
        pl.col("typical_gap_days").cast(pl.Float64),
        (pl.col("recency_days") / pl.col("typical_gap_days")).alias("recency_vs_cycle"),
        _trend("orders_90d", "orders_prev_90d").alias("order_trend"),
        _trend("spend_90d", "spend_prev_90d").alias("spend_trend"),
    ).select(["customer_id", *RFM_FEATURES])


def _rfm_aggregates(b: pl.LazyFrame, cutoff: date) -> pl.LazyFrame:
    """The per-customer sums of :func:`_rfm_features` over the purchases ``b`` (on or before
    ``cutoff``), one row per customer."""
    d90, d180, d365 = (cutoff - timedelta(days=k) for k in (90, 180, 365))
    gaps = purchase_gaps(b).group_by("customer_id").agg(
        pl.len().cast(pl.Float64).alias("purchase_days"),
        pl.col("gap").drop_nulls().median().alias("typical_gap_days"))
    last90 = pl.col("day") > d90
    prev90 = (pl.col("day") > d180) & (pl.col("day") <= d90)
    a = pl.col("amount")
    # Money in whole cents: sums that are the same to the last bit whatever the order of the rows.
    agg = b.group_by("customer_id").agg(
        _days_between(cutoff, "day").min().alias("recency_days"),
        pl.len().alias("_n"),
        _days_between(cutoff, "day").max().alias("tenure_days"),
        tx.cents_sum(a).alias("_s"),
        _squared_cents_sum(a).alias("_s2"),
        last90.sum().cast(pl.Float64).alias("orders_90d"),
        prev90.sum().cast(pl.Float64).alias("orders_prev_90d"),
        tx.cents_sum(a.filter(last90)).alias("_s90"),
        tx.cents_sum(a.filter(prev90)).alias("_sp90"),
        tx.cents_sum(a.filter(pl.col("day") > d365)).alias("_s365"),
    ).with_columns(
        pl.col("_n").cast(pl.Float64).alias("frequency"),
        tx.from_cents(pl.col("_s")).alias("monetary_total"),
        (tx.from_cents(pl.col("_s")) / pl.col("_n").cast(pl.Float64)).alias("avg_order_value"),
        _std_from_cents("_n", "_s", "_s2").alias("_std"),
        tx.from_cents(pl.col("_s90")).alias("spend_90d"),
        tx.from_cents(pl.col("_sp90")).alias("spend_prev_90d"),
        tx.from_cents(pl.col("_s365")).alias("spend_365d"),
    ).with_columns((pl.col("_std") / pl.col("avg_order_value")).alias("order_value_cv"))
    return agg.join(gaps, on="customer_id", how="left")


def _returns_features(buys: pl.DataFrame, rets: pl.DataFrame, ids: pl.DataFrame,
                      cutoff: date) -> pl.DataFrame:
    d180 = cutoff - timedelta(days=180)
    r = rets.lazy().filter(pl.col("day") <= cutoff).join(ids.lazy(), on="customer_id", how="semi") \
        .group_by("customer_id").agg(
            pl.len().cast(pl.Float64).alias("returns_count"),
            (pl.col("day") > d180).sum().cast(pl.Float64).alias("returns_180d"),
            tx.cents_sum(pl.col("amount")).alias("_returned")).collect()
    gross = buys.lazy().filter(pl.col("day") <= cutoff).join(ids.lazy(), on="customer_id", how="semi") \
        .group_by("customer_id").agg(tx.cents_sum(pl.col("amount")).alias("_gross")).collect()
    out = ids.join(r, on="customer_id", how="left").join(gross, on="customer_id", how="left")
    return out.with_columns(
        pl.col("returns_count").fill_null(0.0), pl.col("returns_180d").fill_null(0.0),
        pl.when(pl.col("_gross") > 0)
        .then(tx.from_cents(pl.col("_returned")).fill_null(0.0) / tx.from_cents(pl.col("_gross"))).otherwise(0.0).alias("return_share"),
    ).select("customer_id", "returns_count", "returns_180d", "return_share")


def _complaint_features(df: pl.DataFrame, ids: pl.DataFrame, cutoff: date) -> pl.DataFrame:
    c = tx.as_of_filter(df, "complaints", cutoff).collect()
    if "resolved_at" in c.columns:
        c = open_at(c, cutoff)
    opened = pl.col("opened_at").cast(pl.Datetime("us"))
    resolved = (pl.col("resolved_at").cast(pl.Datetime("us")) if "resolved_at" in c.columns
                else pl.lit(None, pl.Datetime("us")))
    sev = (pl.col("severity").cast(pl.String).replace_strict(SEVERITY_RANK, default=None,
                                                           return_dtype=pl.Float64)
           if "severity" in c.columns else pl.lit(None, pl.Float64))
    d180 = cutoff - timedelta(days=180)
    c = c.select(pl.col("customer_id"), opened.alias("o"), resolved.alias("r"),
                 sev.alias("sev"))
    agg = c.group_by("customer_id").agg(
        pl.len().cast(pl.Float64).alias("complaints_count"),
        (pl.col("o").cast(pl.Date) > d180).sum().cast(pl.Float64).alias("complaints_180d"),
        pl.col("r").is_null().sum().cast(pl.Float64).alias("unresolved_complaints"),
        pl.col("sev").max().alias("max_severity"),
        _fmean((pl.col("r") - pl.col("o")).dt.total_seconds() / 3600.0).alias("mean_resolution_hours"),
        _days_between(cutoff, "o").min().alias("days_since_complaint"),
    )
    out = ids.join(agg, on="customer_id", how="left")
    counts = ("complaints_count", "complaints_180d", "unresolved_complaints", "max_severity")
    return out.with_columns(
        [pl.col(k).fill_null(0.0) for k in counts]
        + [pl.col("mean_resolution_hours").cast(pl.Float64),
           pl.col("days_since_complaint").cast(pl.Float64)]
    ).select(["customer_id", *GROUP_FEATURES["complaints"]])


def _visit_features(df: pl.DataFrame, ids: pl.DataFrame, cutoff: date) -> pl.DataFrame:
    v = tx.as_of_filter(df, "visits", cutoff).collect()
    d90, d180 = cutoff - timedelta(days=90), cutoff - timedelta(days=180)
    kind = pl.col("kind").cast(pl.String) if "kind" in v.columns else pl.lit(None, pl.String)
    v = v.select(pl.col("customer_id"),
                 _as_date("visit_date", v.schema["visit_date"]).alias("d"),
                 kind.alias("kind")).sort("customer_id", "d", "kind", nulls_last=True)
    agg = v.group_by("customer_id").agg(
        pl.len().cast(pl.Float64).alias("visits_count"),
        (pl.col("d") > d90).sum().cast(pl.Float64).alias("visits_90d"),
        (pl.col("d") > d180).sum().cast(pl.Float64).alias("visits_180d"),
        _days_between(cutoff, "d").min().alias("days_since_visit"),
        (pl.col("kind") == "on-site").mean().cast(pl.Float64).alias("onsite_share"),
        pl.col("kind").last().alias("last_visit_kind"),
    )
    out = ids.join(agg, on="customer_id", how="left")
    return out.with_columns(
        pl.col("visits_count").fill_null(0.0), pl.col("visits_90d").fill_null(0.0),
        pl.col("visits_180d").fill_null(0.0), pl.col("onsite_share").fill_null(0.0),
        pl.col("last_visit_kind").fill_null("none"),
    ).select(["customer_id", *GROUP_FEATURES["visits"]])


def _survey_features(df: pl.DataFrame, ids: pl.DataFrame, cutoff: date) -> pl.DataFrame:
    s = tx.as_of_filter(df, "surveys", cutoff).collect()
    nps = pl.col("nps").cast(pl.Float64) if "nps" in s.columns else pl.lit(None, pl.Float64)
    csat = pl.col("csat").cast(pl.Float64) if "csat" in s.columns else pl.lit(None, pl.Float64)
    sid = pl.col("survey_id").cast(pl.String) if "survey_id" in s.columns else pl.lit("")
    s = s.select(pl.col("customer_id"),
                 _as_date("survey_date", s.schema["survey_date"]).alias("d"),
                 nps.alias("nps"), csat.alias("csat"), sid.alias("sid")).sort("customer_id", "d", "sid")
    agg = s.group_by("customer_id").agg(
        pl.col("nps").drop_nulls().last().alias("latest_nps"),
        pl.col("csat").drop_nulls().last().alias("latest_csat"),
        _days_between(cutoff, "d").min().alias("days_since_survey"),
    )
    return ids.join(agg, on="customer_id", how="left").select(
        ["customer_id", *GROUP_FEATURES["satisfaction"]])


def _profile_features(df: pl.DataFrame, ids: pl.DataFrame, cutoff: date) -> pl.DataFrame:
    prof = df.select(
        pl.col("customer_id"),
        *[(pl.col(c).cast(pl.String) if c in df.columns else pl.lit(None, pl.String)).alias(c)
          for c in ("province", "channel", "industry", "customer_type")],
        _as_date("signup_date", df.schema["signup_date"]).alias("_signup"),
    ).unique("customer_id", keep="first", maintain_order=True)
    out = ids.join(prof, on="customer_id", how="left").with_columns(
        pl.when(pl.col("_signup") <= cutoff).then(_days_between(cutoff, "_signup"))
        .otherwise(None).alias("account_age_days"))
    return out.select(["customer_id", *GROUP_FEATURES["profile"]])


_TABLE_GROUPS: tuple[tuple[str, str, list[str], Callable[..., pl.DataFrame]], ...] = (
    ("complaints", "complaints", ["customer_id", "opened_at"], _complaint_features),
    ("visits", "visits", ["customer_id", "visit_date"], _visit_features),
    ("satisfaction", "surveys", ["customer_id", "survey_date"], _survey_features),
    ("profile", "customers", ["customer_id", "signup_date"], _profile_features),
)


#: The columns each table's features read (besides ``customer_id``).
_TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "complaints": ("opened_at", "resolved_at", "severity"),
    "visits": ("visit_date", "kind"),
    "surveys": ("survey_date", "nps", "csat", "survey_id"),
    "customers": ("province", "channel", "industry", "customer_type", "signup_date"),
}


def _segment_group(frame: pl.DataFrame, seg: pl.DataFrame | None, switched_on: bool,
                   groups: list[str], missing: dict[str, str]) -> pl.DataFrame:
    if seg is None:
        missing["segment"] = ("no tiers/segments at the cut-off (workbench.segment needs canonical "
                              "orders with a status column)" if switched_on else "segmentation switched off")
        return frame
    cols = [c for c in GROUP_FEATURES["segment"] if c in seg.columns]
    if not cols:
        missing["segment"] = "the segmenter returned none of tier, rfm_segment, lifecycle_stage"
        return frame
    groups.append("segment")
    return frame.join(seg.select(pl.col("customer_id"),
                                 *[pl.col(c).cast(pl.String) for c in cols]),
                      on="customer_id", how="left")


def _reads_log(segmenter: Segmenter | None, orders: pl.DataFrame | pl.LazyFrame,
               columns: OrderColumns, settings: tx.TransactionSettings | None) -> bool:
    """Whether ``segmenter`` is :func:`default_segmenter` under the builder's outlier policy, on
    canonical orders: then its tiers are read from the features' own log at each cut-off
    (:func:`segments_from_log`, the same table in a fraction of the time)."""
    if segmenter is default_segmenter:
        policy = tx.TransactionSettings()
    elif (isinstance(segmenter, functools.partial) and segmenter.func is default_segmenter
          and not segmenter.args and set(segmenter.keywords) <= {"transaction_settings"}):
        policy = segmenter.keywords.get("transaction_settings") or tx.TransactionSettings()
    else:
        return False
    return (columns == OrderColumns() and "status" in orders.lazy().collect_schema().names()
            and policy == (settings or tx.TransactionSettings()))


#: The columns of the builder's log: what the cut of the log at a cut-off (``log_at``: the
#: values and margins after the outlier policy) needs; the order ids and booked dates are
#: left out.
_LOG_COLUMNS = ("customer_id", "day", "kind", "is_outlier", "amount", "order_margin")


class FeatureBuilder:
    """Features at any number of cut-offs from the same tables (see :func:`build_features`).

    The orders (a DataFrame, or a LazyFrame such as ``Context.scan("orders")``: the log is
    then read from the scan on the streaming engine and the orders are never held) enter as
    the transaction log at ``until``, the latest cut-off asked for (None: every order), with
    the customer ids *coded* (:class:`workbench.churn.codes.CustomerCodes`): whole numbers in
    ``customer_id`` (``codes.decode`` turns them back into the ids), on which the features
    are computed and decoded at the end.  ``log`` holds that log's rows with their booked
    amounts only (``customer_id, day, kind, is_outlier, amount`` and, for the tiers, the
    order's margin); the log at a cut-off, values after the outlier policy included, is cut
    from it (:meth:`log_at`, :func:`workbench.segment.log_at`: the rows and values of the log
    built at that cut-off, the ``cap`` the one known then), so the orders are read once
    whatever the number of cut-offs.

    Raises:
        DataError: no orders table, or one without rows; a required order column missing or
            empty.
    """

    def __init__(self, tables: Mapping[str, pl.DataFrame | pl.LazyFrame | None],
                 until: date | None = None, *,
                 segmenter: Segmenter | None = default_segmenter, with_p_alive: bool = True,
                 p_alive_sample: int | None = None, seed: int = 0,
                 settings: tx.TransactionSettings | None = None,
                 columns: OrderColumns | None = None) -> None:
        orders = tables.get("orders")
        if orders is None or _height(orders) == 0:
            raise DataError("churn features need the orders table and it is missing or empty; "
                            "run `workbench clean` or pass the transactions as tables['orders'].")
        self.tables, self.orders = tables, orders
        self.segmenter, self.with_p_alive = segmenter, with_p_alive
        self.p_alive_sample, self.seed = p_alive_sample, seed
        self.settings, self.columns = settings, columns or OrderColumns()
        self._segments_from_log = _reads_log(segmenter, orders, self.columns, settings)
        self.until = until
        log = self._order_log(until)
        ids = log.select("customer_id").unique().collect(engine="streaming")
        self.codes = CustomerCodes(ids.get_column("customer_id"))
        keep = [c for c in _LOG_COLUMNS if c in log.collect_schema().names()]
        self.log = (self.codes.encode(log.select(keep))
                    .with_columns(pl.col("kind").cast(pl.Enum(tx.KINDS)))
                    .collect(engine="streaming"))
        last = self.log.get_column("day").max()
        #: the day of the builder's log (``until``, or the last order's; None: no row)
        self._day: date | None = until if until is not None else (
            last if isinstance(last, date) else None)
        self._coded: dict[str, pl.DataFrame] = {}
        self._buys: pl.DataFrame | None = None

    def _order_log(self, cutoff: date | None) -> pl.LazyFrame:
        """The transaction log at ``cutoff``, lazy: with the default segmenter, the
        segmentation's (:func:`workbench.segment.transaction_log`: the same rows, plus each
        order's margin), which both the features and the tiers then read."""
        orders = checked_orders(self.orders, self.columns)
        if self._segments_from_log:
            if cutoff is None:  # every order: the log at the last order's day
                last = orders.lazy().select(pl.col(self.columns.date).max()).collect().item()
                cutoff = last.date() if isinstance(last, datetime) else last
            return segment.transaction_log(orders, cutoff, self.settings, order_margin=True)
        c = self.columns
        return tx.transactions(orders, cutoff, self.settings, customer_id_col=c.customer_id,
                               date_col=c.date, amount_col=c.amount, status_col=c.status)

    def log_at(self, cutoff: date | None = None) -> pl.LazyFrame:
        """The transaction log at ``cutoff`` (at most ``until``; None: ``until``), customers
        coded, lazy over ``log`` (the outlier cap known at the cut-off is computed first, so
        each row's value is its own): ``customer_id, day, kind, is_outlier, value``
        (+ ``margin``)."""
        if cutoff is None:
            cutoff = self._day
        elif self.until is not None and cutoff > self.until:
            raise UsageError(f"the feature builder read the orders up to {self.until}; "
                             f"cut-off {cutoff} is later. Build it with until={cutoff}.")
        if cutoff is None:  # no row at all
            return self.log.lazy().drop("amount", "order_margin", strict=False).with_columns(
                pl.lit(None, pl.Float64).alias("value"))
        cut = segment.log_at(self.log, cutoff, self.settings)
        return cut.drop("amount", "order_margin", strict=False)

    @property
    def buys(self) -> pl.DataFrame:
        """The purchases of the log at ``until`` (``customer_id`` coded, ``day, amount``): what
        the labels of every cut-off read (:func:`split`), computed once."""
        if self._buys is None:
            self._buys = split(self.log_at())[0]
        return self._buys

    def drop_buys(self) -> None:
        """Let go of :attr:`buys` (read again when next asked for): the features of a cut-off
        do not need them, only the labels and :meth:`population` do."""
        self._buys = None

    def _table(self, name: str) -> pl.DataFrame:
        """The columns of table ``name`` its features read, with the customer ids coded."""
        if name not in self._coded:
            table = self.tables[name]
            assert table is not None
            frame = table.lazy()
            have = frame.collect_schema().names()
            read = ["customer_id", *(c for c in _TABLE_COLUMNS[name] if c in have)]
            self._coded[name] = self.codes.encode(frame.select(read)).collect()
        return self._coded[name]

    def population(self, cutoff: date, lapsed_days: int) -> pl.Series:
        """The codes of the customers who can churn at ``cutoff`` (at most ``until``), in the
        order of :meth:`at`'s frame, without building the cut-off's features: read from the
        builder's own log (the log at a cut-off holds the same purchases up to it)."""
        return population(self.buys, cutoff, lapsed_days).get_column("customer_id")

    def at(self, cutoff: date, lapsed_days: int, only: pl.Series | None = None) -> FeatureSet:
        """The features of every customer who can churn at ``cutoff`` (see :func:`build_features`).

        ``only``: codes of some of those customers (e.g. a training sample of
        :meth:`population`): the frame holds their rows only.  Each customer's features
        are their own (the tiers and the probability alive are still fitted on everyone),
        so those rows equal the whole frame's.
        """
        cols = self.columns
        log = self.log_at(cutoff)
        buys, rets = split(log)
        pop = population(buys, cutoff, lapsed_days)
        if pop.height == 0:
            raise DataError(f"orders: no customer bought in the {lapsed_days} days up to {cutoff}; "
                            f"nobody can churn. Choose a later date or a longer window.")
        ids = pop.select("customer_id")
        if only is not None:
            ids = ids.join(only.rename("customer_id").cast(ids.schema["customer_id"]).to_frame(),
                           on="customer_id", how="semi", maintain_order="left")
        frame = _rfm_features(buys, ids, cutoff)
        groups, missing = ["rfm"], {}

        has_status = bool(cols.status) and cols.status in self.orders.lazy().collect_schema().names()
        if has_status or rets.height > 0:
            frame = frame.join(_returns_features(buys, rets, ids, cutoff), on="customer_id", how="left")
            groups.append("returns")
        else:
            missing["returns"] = "the orders have no status column and no negative amounts (no return records)"

        for group, table, needed, fn in _TABLE_GROUPS:
            why = _has(self.tables, table, needed)
            if why:
                missing[group] = why
                continue
            frame = frame.join(fn(self._table(table), ids, cutoff), on="customer_id", how="left")
            groups.append(group)

        if self._segments_from_log:
            surveys = self.tables.get("surveys")
            readable = surveys is not None and "customer_id" in surveys.lazy().collect_schema().names()
            seg = segments_from_log(log, self._table("surveys") if readable else None, cutoff)
        else:
            seg = self.segmenter(self.tables, cutoff) if self.segmenter is not None else None
            seg = None if seg is None else self.codes.encode(seg)
        del rets
        frame = _segment_group(frame, seg, self.segmenter is not None, groups, missing)

        if self.with_p_alive:
            try:
                frame = frame.join(p_alive_at(buys, cutoff, sample=self.p_alive_sample, seed=self.seed),
                                   on="customer_id", how="left")
                groups.append("clv")
            except ModelError as exc:
                missing["clv"] = f"the BG/NBD model could not be fitted at {cutoff}: {exc}"
        else:
            missing["clv"] = "probability alive switched off"

        frame = self.codes.decode(frame.sort("customer_id"))
        feats = [c for c in frame.columns if c != "customer_id"]
        categorical = [c for c in feats if c in CATEGORICAL]
        numeric = [c for c in feats if c not in CATEGORICAL]
        return FeatureSet(cutoff, frame, numeric, categorical, groups, missing)


def _height(frame: pl.DataFrame | pl.LazyFrame) -> int:
    """The rows of a frame (of a lazy scan: counted by the engine, from the files' metadata)."""
    if isinstance(frame, pl.LazyFrame):
        return int(frame.select(pl.len()).collect().item())
    return frame.height


def build_features(tables: Mapping[str, pl.DataFrame | None], cutoff: date, lapsed_days: int, *,
                   segmenter: Segmenter | None = default_segmenter, with_p_alive: bool = True,
                   p_alive_sample: int | None = None, seed: int = 0,
                   settings: tx.TransactionSettings | None = None,
                   columns: OrderColumns | None = None) -> FeatureSet:
    """Features of every customer who can churn at ``cutoff``, from data on or before it.

    Args:
        tables: canonical tables by name; only ``orders`` is required.  A table that
            is absent, ``None`` or empty drops its feature group (see ``missing``).
        cutoff: features see only rows dated on or before this day.
        lapsed_days: customers silent for longer are outside the population.
        segmenter: tiers, RFM segments and lifecycle stages at the cut-off, or None.
        with_p_alive: add the BG/NBD probability alive (feature group ``clv``).
        p_alive_sample, seed: the BG/NBD parameters are fitted on a seeded sample of at most
            this many customers (None: all); every customer gets its probability.
        settings: the house's outlier policy (default :class:`TransactionSettings`).
        columns: order column names (canonical by default).

    The orders are read as the transaction log *at the cut-off*: with the ``cap``
    policy the cap is the quantile of the purchase amounts known then, so no amount
    after the cut-off moves a feature.  Several cut-offs of the same tables:
    :class:`FeatureBuilder` (the ids are coded once).

    Returns:
        A :class:`FeatureSet`; its frame is sorted by customer id.

    Raises:
        DataError: no orders table, or no customer in the population.
    """
    return FeatureBuilder(tables, cutoff, segmenter=segmenter, with_p_alive=with_p_alive,
                          p_alive_sample=p_alive_sample, seed=seed, settings=settings,
                          columns=columns).at(cutoff, lapsed_days)


def training_frame(tables: Mapping[str, pl.DataFrame | None], cutoffs: Sequence[date],
                   window_days: int, lapsed_days: int, *, buys: pl.DataFrame | None = None,
                   feature_cache: dict[date, FeatureSet] | None = None,
                   builder: FeatureBuilder | None = None,
                   **kwargs: Any) -> tuple[FeatureSet, np.ndarray]:
    """Features and labels stacked over several cut-offs (labels from ``(c, c + window_days]``).

    Args:
        buys: the purchases the labels are read from (``customer_id, day``), e.g. of
            the analysis' transaction log, with the ``builder``'s codes when a builder is
            given (``builder.buys``); None: the builder's, or every purchase of
            ``tables["orders"]``.
        feature_cache: a dict of :class:`FeatureSet` by cut-off, read and filled, so a
            cut-off shared by several calls (with the same tables and arguments) is
            computed once -- segments and the BG/NBD fit included.
        builder: computes the features (one :class:`FeatureBuilder` for every cut-off of
            an analysis); None: :func:`build_features` with ``kwargs``.

    Returns:
        A :class:`FeatureSet` whose frame also has ``cutoff`` (one row per customer
        and cut-off), and the label vector.
    """
    if buys is None:
        buys = (builder.buys if builder is not None else
                split(order_log(tables["orders"], None, kwargs.get("settings"), kwargs.get("columns")))[0])
    sets, ys = [], []
    for c in cutoffs:
        if feature_cache is not None and c in feature_cache:
            fs = feature_cache[c]
        else:
            fs = (builder.at(c, lapsed_days) if builder is not None
                  else build_features(tables, c, lapsed_days, **kwargs))
            if feature_cache is not None:
                feature_cache[c] = fs
        ids = fs.frame.get_column("customer_id")
        lab = labels(buys, builder.codes.codes(ids) if builder is not None else ids, c, window_days)
        sets.append(fs)
        ys.append(lab.get_column("churned").to_numpy())
    return _stacked(sets), np.concatenate(ys)


def _stacked(sets: Sequence[FeatureSet]) -> FeatureSet:
    """The cut-offs' feature sets one under the other, with a ``cutoff`` column; the feature
    groups must be the same at every cut-off."""
    first = sets[0]
    for fs in sets[1:]:
        if fs.features != first.features:
            raise DataError(
                f"feature groups differ between cut-offs {first.cutoff} ({first.groups}) and "
                f"{fs.cutoff} ({fs.groups}); the data is too thin early on. Use fewer training cut-offs."
            )
    frame = pl.concat([fs.frame.with_columns(pl.lit(fs.cutoff).alias("cutoff")) for fs in sets])
    return FeatureSet(first.cutoff, frame, first.numeric, first.categorical, first.groups,
                      first.missing)


def training_sample(cutoffs: Sequence[date], window_days: int, lapsed_days: int, *,
                    builder: FeatureBuilder, buys: pl.DataFrame, sample: int | None, seed: int,
                    feature_cache: Mapping[date, FeatureSet] | None = None
                    ) -> tuple[FeatureSet, np.ndarray, np.ndarray]:
    """The rows a model is fitted on, out of the customers x ``cutoffs`` stacked as in
    :func:`training_frame`, with the features of those rows only.

    ``buys``: the purchases the labels read, with the builder's codes (``builder.buys``).
    The labels of every stacked row come first (:meth:`FeatureBuilder.population`,
    :func:`labels`: no features needed); then the seeded, label-stratified sample of at most
    ``sample`` rows (:func:`workbench.sampling.stratified_rows`, None: every row); then each
    cut-off's features for its sampled customers (:meth:`FeatureBuilder.at` with ``only``; a
    cut-off of ``feature_cache`` is read from it).  The result is
    ``training_frame(...)``'s stacked frame at the sampled positions, row for row, at a
    fraction of the work when the sample is small.

    Returns:
        The sampled rows' :class:`FeatureSet` (with ``cutoff``), their labels, and the labels
        of all the stacked rows (their count is the training size).
    """
    ids = [builder.population(c, lapsed_days) for c in cutoffs]
    ys = [labels(buys, i, c, window_days).get_column("churned").to_numpy()
          for i, c in zip(ids, cutoffs, strict=True)]
    y = np.concatenate(ys)
    rows = stratified_rows(y, sample, seed)
    starts = np.cumsum([0, *(len(i) for i in ids)])
    sets = []
    for k, c in enumerate(cutoffs):
        pick = rows[(rows >= starts[k]) & (rows < starts[k + 1])] - starts[k]
        cached = feature_cache.get(c) if feature_cache is not None else None
        if cached is not None:
            fs = cached.take(pick)
        else:
            fs = builder.at(c, lapsed_days, only=None if pick.size == len(ids[k])
                            else ids[k].gather(pick))
        if fs.frame.height != pick.size:
            raise DataError(f"churn features at {c}: {fs.frame.height:,} rows for {pick.size:,} "
                            "sampled customers; the population changed between two readings.")
        sets.append(fs)
    return _stacked(sets), y[rows], y
