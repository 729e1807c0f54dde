"""Churn warning: honest labels, leak-free features, scikit-learn models, evaluation, reasons, warning list.

The method, in the order the notebook ``04_churn`` follows it (details in ``docs/churn.md``):

1. **Window.**  A customer *churns* at a cut-off date ``c`` when they make no
   purchase in the ``N`` days after it, ``(c, c + N]``.  :func:`fit_window`
   proposes ``N`` from the business's own purchase cycle: a high quantile (90 %)
   of the gaps between consecutive purchase days, rounded up to whole months
   (30 days), and explains it in plain words.
2. **Population.**  Only customers who *can* churn are scored: at least one
   purchase on or before ``c`` and a last purchase no more than ``lapsed_days``
   (default ``N``) before ``c``.  Customers silent for longer already meet the
   churn definition; they belong on a win-back list, not on a warning list.
3. **Features** (:func:`build_features`) use only rows dated on or before ``c``
   (a complaint resolved after ``c`` counts as unresolved at ``c``), from every
   table there is: RFM and 90-day trends, purchase cycle, order-value
   variability, returns, complaints, visits, satisfaction, the customer profile,
   tiers and segments (when :mod:`workbench.segment` provides them) and the
   BG/NBD probability alive fitted on the data up to ``c``.  A missing or empty
   table drops its feature group and the result says so.
4. **Out-of-time evaluation** (:func:`analyse`): with ``c2 = as_of - N`` and
   ``c1 = c2 - N``, models learn from cut-offs ``c1, c1 - 30, ...`` (labels end by
   ``c2``) and are tested on ``c2`` (labels in ``(c2, as_of]``), next to two
   baselines that learn nothing: days since the last purchase, and
   ``1 - p_alive``.  The model used for scoring is then refitted on the latest
   cut-offs (``c2, c2 - 30, ...``) and scores the population at ``as_of``.
5. **Reasons** (:func:`explain`): rule-based, in zh and en, ranked by the global
   permutation importance of the feature behind each rule.
6. **Warning list** (:func:`warning_list`): flagged customers ranked by churn
   probability x value (CLV from step 03, else 12-month net revenue), with
   tier, owner, reasons and a suggested action.

Analytics functions take and return DataFrames and never touch the disk; the
only disk functions are :func:`save_model` / :func:`load_model` (the fitted
model, joblib + JSON sidecar) and :func:`export_warning_list` (CSV with BOM and
Excel for the retention team).
"""

from __future__ import annotations

import json
import math
import platform
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import polars as pl

from . import i18n
from .errors import DataError, ModelError, UsageError

__all__ = [
    "FEATURE_GROUPS",
    "FEATURE_LABELS",
    "SEVERITY_RANK",
    "ChurnAnalysis",
    "ChurnSettings",
    "ChurnWindow",
    "FeatureSet",
    "analyse",
    "available_tables",
    "build_features",
    "build_pipeline",
    "evaluate_scores",
    "evaluation_table",
    "explain",
    "export_warning_list",
    "feature_label",
    "fit_window",
    "gains_table",
    "labels",
    "lift_at",
    "load_model",
    "narrative",
    "p_alive_at",
    "permutation_importances",
    "population",
    "purchases",
    "results_summary",
    "revenue_at_risk_by",
    "save_model",
    "suggest_action",
    "threshold_max_f1",
    "training_frame",
    "truncate",
    "warning_list",
]

# --------------------------------------------------------------------------------------------
# Labels
# --------------------------------------------------------------------------------------------

i18n.register({
    "churn_window_days": {"zh": "流失判定窗口(天)", "en": "Churn window (days)"},
    "churned": {"zh": "已流失", "en": "Churned"},
    "flagged": {"zh": "预警", "en": "Flagged"},
    "reasons": {"zh": "预警原因", "en": "Reasons"},
    "action": {"zh": "建议措施", "en": "Suggested action"},
    "value": {"zh": "客户价值", "en": "Value"},
    "value_source": {"zh": "价值口径", "en": "Value basis"},
    "rank": {"zh": "排名", "en": "Rank"},
    "model_hgb": {"zh": "梯度提升树模型", "en": "Gradient boosting model"},
    "model_logreg": {"zh": "逻辑回归模型", "en": "Logistic regression model"},
    "baseline_recency": {"zh": "基线:距上次购买天数", "en": "Baseline: days since last purchase"},
    "baseline_p_alive": {"zh": "基线:1 - 活跃概率", "en": "Baseline: 1 - probability alive"},
    "roc_auc": {"zh": "ROC AUC", "en": "ROC AUC"},
    "pr_auc": {"zh": "PR AUC", "en": "PR AUC"},
    "brier": {"zh": "Brier 分数", "en": "Brier score"},
    "lift_at_5": {"zh": "前5%提升度", "en": "Lift, top 5%"},
    "lift_at_10": {"zh": "前10%提升度", "en": "Lift, top 10%"},
    "lift_at_20": {"zh": "前20%提升度", "en": "Lift, top 20%"},
    "gains_at_10": {"zh": "前10%捕获流失占比", "en": "Churners caught in top 10%"},
    "importance": {"zh": "重要性", "en": "Importance"},
    "feature": {"zh": "特征", "en": "Feature"},
    "feature_group": {"zh": "特征组", "en": "Feature group"},
    "p_alive": {"zh": "活跃概率", "en": "Probability alive"},
    "recency_days": {"zh": "距上次购买天数", "en": "Days since last purchase"},
    "revenue_12m": {"zh": "近12个月净销售额", "en": "Net revenue, last 12 months"},
    "customers_scored": {"zh": "评分客户数", "en": "Customers scored"},
    "churn_rate": {"zh": "流失率", "en": "Churn rate"},
    "shared_pool": {"zh": "公海", "en": "Shared pool"},
    "model": {"zh": "模型", "en": "Model"},
    "observed_churn_rate": {"zh": "实际流失率", "en": "Observed churn rate"},
    "predicted_probability": {"zh": "预测流失概率", "en": "Predicted churn probability"},
    "share_contacted": {"zh": "联系客户占比(按风险排序)", "en": "Share of customers contacted (riskiest first)"},
    "share_churners_caught": {"zh": "捕获的流失客户占比", "en": "Share of churners caught"},
    "random": {"zh": "随机", "en": "Random"},
    "actual": {"zh": "实际", "en": "Actual"},
    "predicted": {"zh": "预测", "en": "Predicted"},
    "stays": {"zh": "留存", "en": "Stays"},
})

# Feature labels for charts and tables.
FEATURE_LABELS: dict[str, dict[str, str]] = {
    "recency_days": {"zh": "距上次购买天数", "en": "Days since last purchase"},
    "frequency": {"zh": "购买单数", "en": "Orders"},
    "purchase_days": {"zh": "购买天数", "en": "Purchase days"},
    "tenure_days": {"zh": "首购至今天数", "en": "Days since first purchase"},
    "monetary_total": {"zh": "累计购买金额", "en": "Total purchases"},
    "avg_order_value": {"zh": "平均订单金额", "en": "Average order value"},
    "order_value_cv": {"zh": "订单金额波动(变异系数)", "en": "Order value variability (CV)"},
    "typical_gap_days": {"zh": "通常购买间隔(天)", "en": "Usual gap between purchases (days)"},
    "recency_vs_cycle": {"zh": "未购天数/通常间隔", "en": "Days silent / usual gap"},
    "orders_90d": {"zh": "近90天下单数", "en": "Orders, last 90 days"},
    "orders_prev_90d": {"zh": "前90天下单数", "en": "Orders, 90 days before"},
    "order_trend": {"zh": "下单趋势", "en": "Order trend"},
    "spend_90d": {"zh": "近90天消费", "en": "Spend, last 90 days"},
    "spend_prev_90d": {"zh": "前90天消费", "en": "Spend, 90 days before"},
    "spend_trend": {"zh": "消费趋势", "en": "Spend trend"},
    "spend_365d": {"zh": "近12个月消费", "en": "Spend, last 12 months"},
    "returns_count": {"zh": "退货次数", "en": "Returns"},
    "returns_180d": {"zh": "近180天退货次数", "en": "Returns, last 180 days"},
    "return_share": {"zh": "退货金额占比", "en": "Returned share of value"},
    "complaints_count": {"zh": "投诉次数", "en": "Complaints"},
    "complaints_180d": {"zh": "近180天投诉次数", "en": "Complaints, last 180 days"},
    "unresolved_complaints": {"zh": "未解决投诉", "en": "Unresolved complaints"},
    "max_severity": {"zh": "最高投诉严重度", "en": "Highest complaint severity"},
    "mean_resolution_hours": {"zh": "平均解决时长(小时)", "en": "Mean resolution time (hours)"},
    "days_since_complaint": {"zh": "距上次投诉天数", "en": "Days since last complaint"},
    "visits_count": {"zh": "拜访次数", "en": "Visits"},
    "visits_90d": {"zh": "近90天拜访", "en": "Visits, last 90 days"},
    "visits_180d": {"zh": "近180天拜访", "en": "Visits, last 180 days"},
    "days_since_visit": {"zh": "距上次拜访天数", "en": "Days since last visit"},
    "onsite_share": {"zh": "上门拜访占比", "en": "Share of on-site visits"},
    "last_visit_kind": {"zh": "最近拜访方式", "en": "Last visit kind"},
    "latest_nps": {"zh": "最近NPS", "en": "Latest NPS"},
    "latest_csat": {"zh": "最近满意度", "en": "Latest CSAT"},
    "days_since_survey": {"zh": "距上次调查天数", "en": "Days since last survey"},
    "account_age_days": {"zh": "建档天数", "en": "Days since signup"},
    "rfm_segment": {"zh": "RFM分群", "en": "RFM segment"},
    "lifecycle_stage": {"zh": "生命周期阶段", "en": "Lifecycle stage"},
}
i18n.register({f"feature_{k}": v for k, v in FEATURE_LABELS.items()})


def feature_label(feature: str, lang: str = "en") -> str:
    """Readable name of a feature (falls back to the shared labels, then to the name)."""
    key = f"feature_{feature}"
    label = i18n.t(key, lang)
    return i18n.t(feature, lang) if label == key else label


# Feature groups, the table each needs and its features (categoricals marked).
FEATURE_GROUPS: dict[str, str] = {
    "rfm": "orders",
    "returns": "orders",
    "complaints": "complaints",
    "visits": "visits",
    "satisfaction": "surveys",
    "profile": "customers",
    "segment": "workbench.segment",
    "clv": "orders (BG/NBD)",
}

SEVERITY_RANK = {"low": 1, "medium": 2, "high": 3, "critical": 4}

_RFM_FEATURES = ["recency_days", "frequency", "purchase_days", "tenure_days", "monetary_total",
                 "avg_order_value", "order_value_cv", "typical_gap_days", "recency_vs_cycle",
                 "orders_90d", "orders_prev_90d", "order_trend", "spend_90d", "spend_prev_90d",
                 "spend_trend", "spend_365d"]
_GROUP_FEATURES: dict[str, list[str]] = {
    "rfm": _RFM_FEATURES,
    "returns": ["returns_count", "returns_180d", "return_share"],
    "complaints": ["complaints_count", "complaints_180d", "unresolved_complaints", "max_severity",
                   "mean_resolution_hours", "days_since_complaint"],
    "visits": ["visits_count", "visits_90d", "visits_180d", "days_since_visit", "onsite_share",
               "last_visit_kind"],
    "satisfaction": ["latest_nps", "latest_csat", "days_since_survey"],
    "profile": ["account_age_days", "province", "channel", "industry", "customer_type"],
    "segment": ["tier", "rfm_segment", "lifecycle_stage"],
    "clv": ["p_alive"],
}
_CATEGORICAL = {"last_visit_kind", "province", "channel", "industry", "customer_type", "tier",
                "rfm_segment", "lifecycle_stage"}
_MISSING_CAT = "(unknown)"

# --------------------------------------------------------------------------------------------
# Orders -> purchases and returns
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderColumns:
    """Names of the order columns (canonical by default; CDNOW-like logs can rename)."""

    customer_id: str = "customer_id"
    date: str = "order_date"
    amount: str = "amount"
    status: str | None = "status"


def _order_cols(orders: pl.DataFrame, cols: OrderColumns) -> OrderColumns:
    for what, name in (("customer id", cols.customer_id), ("date", cols.date), ("amount", cols.amount)):
        if name not in orders.columns:
            raise DataError(
                f"orders: the {what} column '{name}' is missing (columns are {orders.columns}); "
                f"pass the right name (customer_id_col / datetime_col / amount_col)."
            )
    status = cols.status if cols.status and cols.status in orders.columns else None
    return OrderColumns(cols.customer_id, cols.date, cols.amount, status)


def _as_date_expr(name: str, dtype: pl.DataType) -> pl.Expr:
    return pl.col(name).cast(pl.Date) if isinstance(dtype, pl.Datetime) else pl.col(name)


def purchases(orders: pl.DataFrame, customer_id_col: str = "customer_id",
              datetime_col: str = "order_date", amount_col: str = "amount",
              status_col: str | None = "status") -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split an order log into purchases and returns.

    Purchases are rows with a positive amount that are neither cancelled nor
    returned; returns are rows with a negative amount or status ``returned``.
    Cancelled orders are ignored (the cleaning step quarantines them anyway).
    Without a status column every positive row is a purchase.  An order the
    cleaning flagged ``is_outlier`` is a purchase (its date counts) whose amount
    is left empty, so it moves no spend feature (a rule that needs no
    information from after any cut-off).

    Returns:
        ``(purchases, returns)``, each with columns ``customer_id`` (string),
        ``day`` (date) and ``amount`` (float; returns as positive values; empty for outliers).

    Raises:
        DataError: a named column is missing, or a date or amount is empty.
    """
    c = _order_cols(orders, OrderColumns(customer_id_col, datetime_col, amount_col, status_col))
    base = orders.select(
        pl.col(c.customer_id).cast(pl.String).alias("customer_id"),
        _as_date_expr(c.date, orders.schema[c.date]).alias("day"),
        pl.col(c.amount).cast(pl.Float64).alias("amount"),
        (pl.col(c.status).cast(pl.String) if c.status else pl.lit(None, pl.String)).alias("status"),
    )
    for col in ("customer_id", "day", "amount"):
        n = base.get_column(col).null_count()
        if n:
            raise DataError(
                f"orders: {n} row(s) have an empty '{col}' column; clean the orders first "
                f"(workbench clean quarantines such rows)."
            )
    outlier = (orders.get_column("is_outlier").fill_null(False) if "is_outlier" in orders.columns
               else pl.Series("is_outlier", [False] * orders.height))
    base = base.with_columns(outlier.alias("_outlier"))
    status = pl.col("status").fill_null("completed")
    base = base.filter(status != "cancelled")
    is_return = (pl.col("amount") < 0) | (status == "returned")
    buys = base.filter(~is_return & (pl.col("amount") > 0)).select(
        "customer_id", "day",
        pl.when(pl.col("_outlier")).then(None).otherwise(pl.col("amount")).alias("amount"))
    rets = base.filter(is_return).select("customer_id", "day", pl.col("amount").abs())
    return buys, rets


# --------------------------------------------------------------------------------------------
# Churn window
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChurnWindow:
    """The churn window and why it was chosen.

    Attributes:
        days: the window ``N``: no purchase in ``N`` days after a date means churned.
        quantile: the quantile of inter-purchase gaps used.
        gap_quantile_days: that quantile, before rounding.
        median_gap_days: the median gap between purchases.
        n_gaps: how many gaps (repeat purchases) it rests on.
        fitted: False when ``days`` was given by the user.
    """

    days: int
    quantile: float
    gap_quantile_days: float
    median_gap_days: float
    n_gaps: int
    fitted: bool = True

    def explain(self, lang: str = "en") -> str:
        """The choice in plain words (zh or en)."""
        q = round(100 * self.quantile)
        if lang == "zh":
            core = (f"在 {self.n_gaps:,} 次复购中,两次购买之间的间隔中位数为 {self.median_gap_days:.0f} 天,"
                    f"{q}% 的复购发生在上一次购买后的 {self.gap_quantile_days:.0f} 天内。")
            if self.fitted:
                return core + (f"因此,客户在某日之后连续 {self.days} 天(向上取整到整月)没有购买即视为流失:"
                               f"这样的客户很可能已经离开,而不只是处于正常的购买间隔中。")
            return core + f"流失判定窗口由用户指定为 {self.days} 天。"
        core = (f"Across {self.n_gaps:,} repeat purchases the median gap between two purchases is "
                f"{self.median_gap_days:.0f} days, and {q}% of repeat purchases come within "
                f"{self.gap_quantile_days:.0f} days of the previous one.")
        if self.fitted:
            return core + (f" So a customer who makes no purchase in the {self.days} days after a date "
                           f"(rounded up to whole months) counts as churned: such a silence is very "
                           f"unlikely to be an ordinary pause between orders.")
        return core + f" The churn window was set by the user to {self.days} days."


def _gaps(buys: pl.DataFrame) -> np.ndarray:
    days = buys.select("customer_id", "day").unique().sort("customer_id", "day")
    gaps = days.with_columns(
        (pl.col("day") - pl.col("day").shift(1).over("customer_id")).dt.total_days().alias("gap")
    ).get_column("gap").drop_nulls()
    return gaps.to_numpy().astype(float)


def fit_window(orders: pl.DataFrame, as_of: date | None = None, quantile: float = 0.9,
               round_to: int = 30, days: int | None = None, customer_id_col: str = "customer_id",
               datetime_col: str = "order_date", amount_col: str = "amount",
               status_col: str | None = "status") -> ChurnWindow:
    """Choose the churn window from the purchase cycle (or describe a given one).

    Args:
        orders: the order log (rows after ``as_of`` are ignored).
        as_of: only purchases on or before this date count (None: all).
        quantile: the quantile of inter-purchase gaps (0.9: 90 % of repeat
            purchases come sooner than the window).
        round_to: round the quantile up to a multiple of this many days.
        days: a window chosen by the user; it is kept and only described.

    Raises:
        DataError: fewer than 20 repeat purchases, too few to read a cycle from.
        UsageError: ``quantile`` outside (0, 1) or ``days`` not positive.
    """
    if not 0 < quantile < 1:
        raise UsageError(f"quantile {quantile} must lie strictly between 0 and 1 (e.g. 0.9).")
    if days is not None and int(days) <= 0:
        raise UsageError(f"churn_window_days {days} must be a positive number of days (e.g. 90).")
    buys, _ = purchases(orders, customer_id_col, datetime_col, amount_col, status_col)
    if as_of is not None:
        buys = buys.filter(pl.col("day") <= as_of)
    gaps = _gaps(buys)
    if gaps.size < 20 and days is None:
        raise DataError(
            f"orders: only {gaps.size} repeat purchases up to {as_of}; too few to read a purchase "
            f"cycle from. Set churn_window_days explicitly (e.g. 90)."
        )
    gq = float(np.quantile(gaps, quantile)) if gaps.size else float("nan")
    med = float(np.median(gaps)) if gaps.size else float("nan")
    if days is None:
        n = int(max(round_to, math.ceil(gq / round_to) * round_to))
        return ChurnWindow(n, quantile, gq, med, int(gaps.size), fitted=True)
    return ChurnWindow(int(days), quantile, gq, med, int(gaps.size), fitted=False)


# --------------------------------------------------------------------------------------------
# Cut-offs, population, labels
# --------------------------------------------------------------------------------------------

_TABLE_DATES = {"orders": "order_date", "customers": "signup_date", "visits": "visit_date",
                "complaints": "opened_at", "surveys": "survey_date"}


def _until(df: pl.DataFrame, col: str, cutoff: date) -> pl.DataFrame:
    dtype = df.schema[col]
    if isinstance(dtype, pl.Datetime):
        bound = pl.lit(cutoff + timedelta(days=1)).cast(dtype)
        return df.filter(pl.col(col) < bound)
    return df.filter(pl.col(col) <= cutoff)


def truncate(tables: Mapping[str, pl.DataFrame], cutoff: date,
             orders_date_col: str = "order_date") -> dict[str, pl.DataFrame]:
    """What was known at the end of ``cutoff``: rows dated after it removed.

    A complaint resolved after the cut-off is kept with an empty ``resolved_at``
    (it was still open).  Used by the tests to prove that features never look
    past their cut-off; :func:`build_features` applies the same rule itself.
    """
    out: dict[str, pl.DataFrame] = {}
    for name, df in tables.items():
        col = orders_date_col if name == "orders" else _TABLE_DATES.get(name)
        if df is None or col is None or col not in df.columns:
            out[name] = df
            continue
        kept = _until(df, col, cutoff)
        if name == "complaints" and "resolved_at" in kept.columns:
            dtype = kept.schema["resolved_at"]
            bound = pl.lit(cutoff + timedelta(days=1)).cast(dtype)
            kept = kept.with_columns(
                pl.when(pl.col("resolved_at") < bound).then(pl.col("resolved_at"))
                .otherwise(None).alias("resolved_at"))
        out[name] = kept
    return out


def population(buys: pl.DataFrame, cutoff: date, lapsed_days: int) -> pl.DataFrame:
    """Customers who can churn at ``cutoff``.

    At least one purchase on or before ``cutoff`` and the last one no more than
    ``lapsed_days`` before it.  ``buys`` is the first result of :func:`purchases`.

    Returns:
        ``customer_id, last_purchase`` sorted by customer id.
    """
    return (buys.filter(pl.col("day") <= cutoff)
            .group_by("customer_id").agg(pl.col("day").max().alias("last_purchase"))
            .filter((pl.lit(cutoff) - pl.col("last_purchase")).dt.total_days() <= lapsed_days)
            .sort("customer_id"))


def labels(buys: pl.DataFrame, customers: Sequence[str] | pl.Series, cutoff: date,
           window_days: int) -> pl.DataFrame:
    """The churn label: 1 when the customer makes no purchase in ``(cutoff, cutoff + window_days]``.

    Returns:
        ``customer_id, churned`` (Int8) for every id in ``customers``, in that order.
    """
    end = cutoff + timedelta(days=window_days)
    bought = (buys.filter((pl.col("day") > cutoff) & (pl.col("day") <= end))
              .get_column("customer_id").unique())
    ids = pl.Series("customer_id", list(customers), dtype=pl.String)
    return pl.DataFrame({"customer_id": ids}).with_columns(
        (~pl.col("customer_id").is_in(bought.implode())).cast(pl.Int8).alias("churned"))


# --------------------------------------------------------------------------------------------
# Probability alive (BG/NBD fitted on the data up to the cut-off)
# --------------------------------------------------------------------------------------------


def p_alive_at(buys: pl.DataFrame, cutoff: date, penalizer_coef: float = 0.001) -> pl.DataFrame:
    """Probability each customer is still active at ``cutoff`` under a BG/NBD model fitted on data up to it.

    The RFM summary (lifetimes' definitions, daily periods) comes from
    :func:`workbench.rfm.summary` on purchases on or before ``cutoff``; the model
    from :func:`workbench.clv.fit` (``model="bgnbd"``, no spend model).

    Returns:
        ``customer_id, p_alive`` for every customer with a purchase by ``cutoff``.

    Raises:
        ModelError: the model cannot be fitted (e.g. too few repeat purchases).
    """
    from . import rfm

    tx = buys.filter(pl.col("day") <= cutoff)
    if tx.height == 0:
        raise ModelError(f"no purchases on or before {cutoff}; the BG/NBD model cannot be fitted.")
    summary = rfm.summary(tx, "customer_id", "day", observation_period_end=cutoff, freq="D")
    # Customers whose first purchase is on the cut-off day have T = 0: nothing to fit on,
    # and they have just bought, so they are alive.
    fit_on = summary.filter(pl.col("T") > 0)
    model = _purchase_model(fit_on, penalizer_coef)
    p = np.ones(summary.height)
    pos = (summary.get_column("T") > 0).to_numpy()
    p[pos] = model.conditional_probability_alive(fit_on.get_column("frequency").to_numpy(),
                                                 fit_on.get_column("recency").to_numpy(),
                                                 fit_on.get_column("T").to_numpy())
    return pl.DataFrame({"customer_id": summary.get_column("customer_id").cast(pl.String),
                         "p_alive": np.asarray(p, dtype=float)})


def _purchase_model(summary: pl.DataFrame, penalizer_coef: float):
    """A fitted BG/NBD model (lifetimes), through :func:`workbench.clv.fit` (collapsed rows, retry)."""
    from . import clv as clv_mod

    try:
        return clv_mod.fit(summary, model="bgnbd", spend=False, period="D", penalizer=penalizer_coef,
                           id_col="customer_id").purchase_model
    except (ModelError, DataError) as exc:
        raise ModelError(f"the BG/NBD model (probability alive) could not be fitted: {exc}") from exc


# --------------------------------------------------------------------------------------------
# Features
# --------------------------------------------------------------------------------------------


@dataclass
class FeatureSet:
    """Features of one population at one cut-off.

    Attributes:
        cutoff: the cut-off date (data on or before it only).
        frame: ``customer_id`` + one column per feature, one row per customer in the population.
        numeric, categorical: the feature columns by kind.
        groups: feature groups used.
        missing: feature group -> why it is missing (plain words).
    """

    cutoff: date
    frame: pl.DataFrame
    numeric: list[str]
    categorical: list[str]
    groups: list[str]
    missing: dict[str, str]

    @property
    def features(self) -> list[str]:
        return self.numeric + self.categorical

    def to_pandas(self) -> pd.DataFrame:
        """The features as pandas for scikit-learn: floats, and categoricals as object strings."""
        pdf = self.frame.select(self.features).with_columns(
            [pl.col(c).cast(pl.Float64) for c in self.numeric]
            + [pl.col(c).cast(pl.String).fill_null(_MISSING_CAT) for c in self.categorical]
        ).to_pandas()
        for c in self.categorical:
            pdf[c] = pdf[c].astype(object)
        return pdf


def _has(tables: Mapping[str, pl.DataFrame | None], name: str, needed: Sequence[str]) -> str | None:
    df = tables.get(name)
    if df is None:
        return f"no {name} table"
    if df.height == 0:
        return f"the {name} table is empty"
    lacking = [c for c in needed if c not in df.columns]
    if lacking:
        return f"the {name} table lacks column(s) {', '.join(lacking)}"
    return None


def _trend(last: str, prev: str) -> pl.Expr:
    tot = pl.col(last) + pl.col(prev)
    return pl.when(tot > 0).then((pl.col(last) - pl.col(prev)) / tot).otherwise(0.0)


def _days_between(cutoff: date, col: str) -> pl.Expr:
    return (pl.lit(cutoff) - pl.col(col)).dt.total_days().cast(pl.Float64)


# Float sums, means and standard deviations per customer are taken over the customer's
# values *sorted*: polars' parallel group-by adds partial sums in an order that depends on
# threads and chunking, which changes the last bits from run to run (and between the full and
# the truncated tables).  Sorted first, the result depends on the values only.
def _fsum(expr: pl.Expr) -> pl.Expr:
    return expr.sort().sum()


def _fmean(expr: pl.Expr) -> pl.Expr:
    return expr.sort().mean()


def _fstd(expr: pl.Expr) -> pl.Expr:
    return expr.sort().std()


def _rfm_features(buys: pl.DataFrame, ids: pl.DataFrame, cutoff: date) -> pl.DataFrame:
    b = buys.filter(pl.col("day") <= cutoff)
    d90, d180, d365 = (cutoff - timedelta(days=k) for k in (90, 180, 365))
    per_day = b.select("customer_id", "day").unique().sort("customer_id", "day")
    gaps = (per_day.with_columns(
        (pl.col("day") - pl.col("day").shift(1).over("customer_id")).dt.total_days().alias("gap"))
        .group_by("customer_id").agg(pl.col("gap").drop_nulls().median().alias("typical_gap_days")))
    agg = b.group_by("customer_id").agg(
        _days_between(cutoff, "day").min().alias("recency_days"),
        pl.len().cast(pl.Float64).alias("frequency"),
        pl.col("day").n_unique().cast(pl.Float64).alias("purchase_days"),
        _days_between(cutoff, "day").max().alias("tenure_days"),
        _fsum(pl.col("amount")).alias("monetary_total"),
        _fmean(pl.col("amount")).alias("avg_order_value"),
        (_fstd(pl.col("amount")) / _fmean(pl.col("amount"))).alias("order_value_cv"),
        (pl.col("day") > d90).sum().cast(pl.Float64).alias("orders_90d"),
        ((pl.col("day") > d180) & (pl.col("day") <= d90)).sum().cast(pl.Float64).alias("orders_prev_90d"),
        _fsum(pl.col("amount").filter(pl.col("day") > d90)).alias("spend_90d"),
        _fsum(pl.col("amount").filter((pl.col("day") > d180) & (pl.col("day") <= d90)))
        .alias("spend_prev_90d"),
        _fsum(pl.col("amount").filter(pl.col("day") > d365)).alias("spend_365d"),
    )
    out = ids.join(agg, on="customer_id", how="left").join(gaps, on="customer_id", how="left")
    return out.with_columns(
        pl.col("typical_gap_days").cast(pl.Float64),
        (pl.col("recency_days") / pl.col("typical_gap_days")).alias("recency_vs_cycle"),
        _trend("orders_90d", "orders_prev_90d").alias("order_trend"),
        _trend("spend_90d", "spend_prev_90d").alias("spend_trend"),
    ).select(["customer_id"] + _RFM_FEATURES)


def _returns_features(buys: pl.DataFrame, rets: pl.DataFrame, ids: pl.DataFrame,
                      cutoff: date) -> pl.DataFrame:
    d180 = cutoff - timedelta(days=180)
    r = rets.filter(pl.col("day") <= cutoff).group_by("customer_id").agg(
        pl.len().cast(pl.Float64).alias("returns_count"),
        (pl.col("day") > d180).sum().cast(pl.Float64).alias("returns_180d"),
        _fsum(pl.col("amount")).alias("_returned"))
    gross = buys.filter(pl.col("day") <= cutoff).group_by("customer_id").agg(
        _fsum(pl.col("amount")).alias("_gross"))
    out = ids.join(r, on="customer_id", how="left").join(gross, on="customer_id", how="left")
    return out.with_columns(
        pl.col("returns_count").fill_null(0.0), pl.col("returns_180d").fill_null(0.0),
        pl.when(pl.col("_gross") > 0).then(pl.col("_returned").fill_null(0.0) / pl.col("_gross"))
        .otherwise(0.0).alias("return_share"),
    ).select("customer_id", "returns_count", "returns_180d", "return_share")


def _complaint_features(df: pl.DataFrame, ids: pl.DataFrame, cutoff: date) -> pl.DataFrame:
    c = truncate({"complaints": df}, cutoff)["complaints"]
    opened = pl.col("opened_at").cast(pl.Datetime("us"))
    resolved = (pl.col("resolved_at").cast(pl.Datetime("us")) if "resolved_at" in c.columns
                else pl.lit(None, pl.Datetime("us")))
    sev = (pl.col("severity").cast(pl.String).replace_strict(SEVERITY_RANK, default=None,
                                                           return_dtype=pl.Float64)
           if "severity" in c.columns else pl.lit(None, pl.Float64))
    d180 = cutoff - timedelta(days=180)
    c = c.select(pl.col("customer_id").cast(pl.String), opened.alias("o"), resolved.alias("r"),
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
    return out.with_columns(
        [pl.col(k).fill_null(0.0) for k in ("complaints_count", "complaints_180d",
                                            "unresolved_complaints", "max_severity")]
        + [pl.col("mean_resolution_hours").cast(pl.Float64), pl.col("days_since_complaint").cast(pl.Float64)]
    ).select(["customer_id"] + _GROUP_FEATURES["complaints"])


def _visit_features(df: pl.DataFrame, ids: pl.DataFrame, cutoff: date) -> pl.DataFrame:
    v = _until(df, "visit_date", cutoff)
    d90, d180 = cutoff - timedelta(days=90), cutoff - timedelta(days=180)
    kind = pl.col("kind").cast(pl.String) if "kind" in v.columns else pl.lit(None, pl.String)
    v = v.select(pl.col("customer_id").cast(pl.String), _as_date_expr("visit_date", v.schema["visit_date"])
                 .alias("d"), kind.alias("kind")).sort("customer_id", "d", "kind", nulls_last=True)
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
    ).select(["customer_id"] + _GROUP_FEATURES["visits"])


def _survey_features(df: pl.DataFrame, ids: pl.DataFrame, cutoff: date) -> pl.DataFrame:
    s = _until(df, "survey_date", cutoff)
    nps = pl.col("nps").cast(pl.Float64) if "nps" in s.columns else pl.lit(None, pl.Float64)
    csat = pl.col("csat").cast(pl.Float64) if "csat" in s.columns else pl.lit(None, pl.Float64)
    sid = pl.col("survey_id").cast(pl.String) if "survey_id" in s.columns else pl.lit("")
    s = s.select(pl.col("customer_id").cast(pl.String),
                 _as_date_expr("survey_date", s.schema["survey_date"]).alias("d"),
                 nps.alias("nps"), csat.alias("csat"), sid.alias("sid")).sort("customer_id", "d", "sid")
    agg = s.group_by("customer_id").agg(
        pl.col("nps").drop_nulls().last().alias("latest_nps"),
        pl.col("csat").drop_nulls().last().alias("latest_csat"),
        _days_between(cutoff, "d").min().alias("days_since_survey"),
    )
    return ids.join(agg, on="customer_id", how="left").select(
        ["customer_id"] + _GROUP_FEATURES["satisfaction"])


def _profile_features(df: pl.DataFrame, ids: pl.DataFrame, cutoff: date) -> pl.DataFrame:
    prof = df.select(
        pl.col("customer_id").cast(pl.String),
        *[(pl.col(c).cast(pl.String) if c in df.columns else pl.lit(None, pl.String)).alias(c)
          for c in ("province", "channel", "industry", "customer_type")],
        _as_date_expr("signup_date", df.schema["signup_date"]).alias("_signup"),
    ).unique("customer_id", keep="first", maintain_order=True)
    out = ids.join(prof, on="customer_id", how="left").with_columns(
        pl.when(pl.col("_signup") <= cutoff).then(_days_between(cutoff, "_signup"))
        .otherwise(None).alias("account_age_days"))
    return out.select(["customer_id"] + _GROUP_FEATURES["profile"])


def _default_segmenter(tables: Mapping[str, pl.DataFrame], cutoff: date) -> pl.DataFrame | None:
    """Tiers, RFM segments and lifecycle stages at ``cutoff`` from :func:`workbench.segment.build_segments`.

    Computed on the tables truncated at the cut-off (no clustering), so training
    rows see the tier the customer had then, not today's.  Returns None when the
    orders are not canonical (e.g. a bare transaction log) or segmentation fails.
    """
    from . import segment as seg

    orders = tables.get("orders")
    if orders is None or "status" not in orders.columns or "order_date" not in orders.columns:
        return None
    known = truncate(tables, cutoff)
    customers = known.get("customers")
    surveys = known.get("surveys")
    try:
        table = seg.build_segments(known["orders"], customers if customers is not None and customers.height
                                   else None, as_of=cutoff,
                                   surveys=surveys if surveys is not None and surveys.height else None,
                                   cluster=False).table
    except (DataError, ModelError, UsageError):
        return None
    return table.select("customer_id", "tier", "rfm_segment", "lifecycle_stage")


def build_features(tables: Mapping[str, pl.DataFrame | None], cutoff: date,
                   lapsed_days: int, segmenter: Callable | None = _default_segmenter,
                   with_p_alive: bool = True, customer_id_col: str = "customer_id",
                   datetime_col: str = "order_date", amount_col: str = "amount",
                   status_col: str | None = "status", p_alive_cache: dict | None = None) -> FeatureSet:
    """Features of every customer who can churn at ``cutoff``, from data on or before it.

    Args:
        tables: canonical tables by name; only ``orders`` is required.  A table that
            is absent, ``None`` or empty drops its feature group (see ``missing``).
        cutoff: features see only rows dated on or before this day.
        lapsed_days: customers silent for longer are outside the population.
        segmenter: ``f(tables, cutoff) -> DataFrame`` with ``customer_id, tier,
            rfm_segment, lifecycle_stage`` computed at the cut-off, or None.
        with_p_alive: add the BG/NBD probability alive (feature group ``clv``).
        customer_id_col, datetime_col, amount_col, status_col: order column names.

    Returns:
        A :class:`FeatureSet`; its frame is sorted by customer id.

    Raises:
        DataError: no orders table, or no customer in the population.
    """
    orders = tables.get("orders")
    if orders is None or orders.height == 0:
        raise DataError("churn features need the orders table and it is missing or empty; "
                        "run `workbench clean` or pass the transactions as tables['orders'].")
    buys, rets = purchases(orders, customer_id_col, datetime_col, amount_col, status_col)
    pop = population(buys, cutoff, lapsed_days)
    if pop.height == 0:
        raise DataError(f"orders: no customer bought in the {lapsed_days} days up to {cutoff}; "
                        f"nobody can churn. Choose a later date or a longer window.")
    ids = pop.select("customer_id")
    frame = _rfm_features(buys, ids, cutoff)
    groups, missing = ["rfm"], {}

    if status_col and status_col in orders.columns or rets.height > 0:
        frame = frame.join(_returns_features(buys, rets, ids, cutoff), on="customer_id", how="left")
        groups.append("returns")
    else:
        missing["returns"] = "the orders have no status column and no negative amounts (no return records)"

    for group, table, needed, fn in (
        ("complaints", "complaints", ["customer_id", "opened_at"], _complaint_features),
        ("visits", "visits", ["customer_id", "visit_date"], _visit_features),
        ("satisfaction", "surveys", ["customer_id", "survey_date"], _survey_features),
        ("profile", "customers", ["customer_id", "signup_date"], _profile_features),
    ):
        why = _has(tables, table, needed)
        if why:
            missing[group] = why
            continue
        frame = frame.join(fn(tables[table], ids, cutoff), on="customer_id", how="left")
        groups.append(group)

    seg = segmenter(tables, cutoff) if segmenter is not None else None
    if seg is None:
        missing["segment"] = ("no tiers/segments at the cut-off (workbench.segment needs canonical "
                              "orders with a status column)" if segmenter is not None
                              else "segmentation switched off")
    else:
        cols = [c for c in _GROUP_FEATURES["segment"] if c in seg.columns]
        if not cols:
            missing["segment"] = "the segmenter returned none of tier, rfm_segment, lifecycle_stage"
        else:
            frame = frame.join(seg.select(pl.col("customer_id").cast(pl.String),
                                          *[pl.col(c).cast(pl.String) for c in cols]),
                               on="customer_id", how="left")
            groups.append("segment")

    if with_p_alive:
        key = ("p_alive", cutoff)
        try:
            if p_alive_cache is not None and key in p_alive_cache:
                pa = p_alive_cache[key]
            else:
                pa = p_alive_at(buys, cutoff)
                if p_alive_cache is not None:
                    p_alive_cache[key] = pa
            frame = frame.join(pa, on="customer_id", how="left")
            groups.append("clv")
        except ModelError as exc:
            missing["clv"] = f"the BG/NBD model could not be fitted at {cutoff}: {exc}"
    else:
        missing["clv"] = "probability alive switched off"

    frame = frame.sort("customer_id")
    feats = [c for c in frame.columns if c != "customer_id"]
    categorical = [c for c in feats if c in _CATEGORICAL]
    numeric = [c for c in feats if c not in _CATEGORICAL]
    return FeatureSet(cutoff, frame, numeric, categorical, groups, missing)


def training_frame(tables: Mapping[str, pl.DataFrame | None], cutoffs: Sequence[date],
                   window_days: int, lapsed_days: int, feature_cache: dict | None = None,
                   **kwargs) -> tuple[FeatureSet, np.ndarray]:
    """Features and labels stacked over several cut-offs (labels from ``(c, c + window_days]``).

    Args:
        feature_cache: a dict of :class:`FeatureSet` by cut-off, read and filled, so a
            cut-off shared by several calls (with the same tables and arguments) is
            computed once -- segments and the BG/NBD fit included.
        kwargs: passed to :func:`build_features`.

    Returns:
        A :class:`FeatureSet` whose frame also has ``cutoff`` (one row per customer
        and cut-off), and the label vector.
    """
    orders = tables["orders"]
    buys, _ = purchases(orders, kwargs.get("customer_id_col", "customer_id"),
                        kwargs.get("datetime_col", "order_date"), kwargs.get("amount_col", "amount"),
                        kwargs.get("status_col", "status"))
    sets, ys = [], []
    for c in cutoffs:
        if feature_cache is not None and c in feature_cache:
            fs = feature_cache[c]
        else:
            fs = build_features(tables, c, lapsed_days, **kwargs)
            if feature_cache is not None:
                feature_cache[c] = fs
        lab = labels(buys, fs.frame.get_column("customer_id"), c, window_days)
        sets.append(fs)
        ys.append(lab.get_column("churned").to_numpy())
    first = sets[0]
    for fs in sets[1:]:
        if fs.features != first.features:
            raise DataError(
                f"feature groups differ between cut-offs {first.cutoff} ({first.groups}) and "
                f"{fs.cutoff} ({fs.groups}); the data is too thin early on. Use fewer training cut-offs."
            )
    frame = pl.concat([fs.frame.with_columns(pl.lit(fs.cutoff).alias("cutoff")) for fs in sets])
    return (FeatureSet(first.cutoff, frame, first.numeric, first.categorical, first.groups,
                       first.missing), np.concatenate(ys))


# --------------------------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------------------------

MODELS = ("hgb", "logreg")


def build_pipeline(model: str, numeric: Sequence[str], categorical: Sequence[str], seed: int = 7):
    """A scikit-learn pipeline: imputation, one-hot categoricals, then the classifier.

    Args:
        model: ``"hgb"`` (HistGradientBoostingClassifier) or ``"logreg"``
            (L2-regularised LogisticRegression on standardised features).
        numeric, categorical: feature columns of the input DataFrame.
        seed: random state.
    """
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    if model not in MODELS:
        raise UsageError(f"model '{model}' is not known; use one of {', '.join(MODELS)}.")
    num_steps = [("impute", SimpleImputer(strategy="median", add_indicator=True,
                                          keep_empty_features=True))]
    if model == "logreg":
        num_steps.append(("scale", StandardScaler()))
    transformers = [("num", Pipeline(num_steps), list(numeric))]
    if categorical:
        transformers.append(("cat", Pipeline([
            ("impute", SimpleImputer(strategy="constant", fill_value=_MISSING_CAT)),
            ("onehot", OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=10,
                                     sparse_output=False)),
        ]), list(categorical)))
    prep = ColumnTransformer(transformers, remainder="drop", verbose_feature_names_out=False)
    if model == "hgb":
        # Shallow trees and few iterations: a few thousand rows, weak signals; deeper
        # settings overfit out of time (see docs/churn.md).
        clf = HistGradientBoostingClassifier(learning_rate=0.05, max_iter=100, max_depth=3,
                                             min_samples_leaf=50, l2_regularization=1.0,
                                             early_stopping=False, random_state=seed)
    else:
        clf = LogisticRegression(C=0.3, max_iter=2000)
    return Pipeline([("prep", prep), ("model", clf)])


# --------------------------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------------------------


def _order(scores: np.ndarray) -> np.ndarray:
    """Indices from riskiest to safest; ties keep the input order (deterministic)."""
    return np.argsort(-np.asarray(scores, dtype=float), kind="stable")


def lift_at(y_true: Sequence[int], scores: Sequence[float], share: float) -> float:
    """Churn rate among the ``share`` riskiest customers divided by the overall churn rate.

    The top group has ``ceil(share * n)`` customers; ties are broken by input order.
    """
    y = np.asarray(y_true, dtype=float)
    if y.size == 0 or y.mean() == 0:
        raise DataError("lift needs at least one churned customer in the evaluation set.")
    k = max(1, math.ceil(share * y.size))
    top = y[_order(np.asarray(scores))[:k]]
    return float(top.mean() / y.mean())


def gains_table(y_true: Sequence[int], scores: Sequence[float],
                shares: Sequence[float] = (0.05, 0.1, 0.2)) -> pd.DataFrame:
    """Lift and cumulative gains (share of all churners caught) at the given top shares."""
    y = np.asarray(y_true, dtype=float)
    order = _order(np.asarray(scores))
    rows = []
    for s in shares:
        k = max(1, math.ceil(s * y.size))
        caught = y[order[:k]].sum()
        rows.append({"top_share": s, "customers": k, "churners": int(caught),
                     "churn_rate": caught / k, "lift": (caught / k) / y.mean(),
                     "gain": caught / y.sum()})
    return pd.DataFrame(rows)


def gains_curve(y_true: Sequence[int], scores: Sequence[float]) -> pd.DataFrame:
    """The full cumulative gains curve: share contacted -> share of churners caught."""
    y = np.asarray(y_true, dtype=float)
    caught = np.concatenate([[0.0], np.cumsum(y[_order(np.asarray(scores))])]) / y.sum()
    return pd.DataFrame({"share_contacted": np.arange(y.size + 1) / y.size, "share_caught": caught})


def evaluate_scores(y_true: Sequence[int], scores: Sequence[float],
                    is_probability: bool = True) -> dict[str, float | None]:
    """ROC AUC, PR AUC (average precision), Brier score (probabilities only) and lift at 5/10/20 %."""
    from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

    y = np.asarray(y_true, dtype=int)
    s = np.asarray(scores, dtype=float)
    if np.isnan(s).any():
        raise DataError(f"{int(np.isnan(s).sum())} scores are empty; every customer needs a score.")
    if len(np.unique(y)) < 2:
        raise DataError("the evaluation set holds only one class (all churned or none); "
                        "choose another as-of date or window.")
    return {
        "roc_auc": float(roc_auc_score(y, s)),
        "pr_auc": float(average_precision_score(y, s)),
        "brier": float(brier_score_loss(y, s)) if is_probability else None,
        "lift_at_5": lift_at(y, s, 0.05),
        "lift_at_10": lift_at(y, s, 0.10),
        "lift_at_20": lift_at(y, s, 0.20),
    }


def threshold_max_f1(y_true: Sequence[int], scores: Sequence[float]) -> float:
    """The score threshold (flag when ``score >= t``) that maximises F1 on the given data."""
    from sklearn.metrics import precision_recall_curve

    p, r, t = precision_recall_curve(np.asarray(y_true, dtype=int), np.asarray(scores, dtype=float))
    f1 = np.where(p[:-1] + r[:-1] > 0, 2 * p[:-1] * r[:-1] / np.maximum(p[:-1] + r[:-1], 1e-12), 0)
    return float(t[int(np.argmax(f1))])


def _subsample(y: np.ndarray, max_rows: int | None, seed: int) -> np.ndarray:
    """Row positions of a seeded subsample of at most ``max_rows`` rows, stratified on ``y`` (sorted)."""
    n = y.size
    if max_rows is None or n <= max_rows:
        return np.arange(n)
    rng = np.random.default_rng(seed)
    classes = np.unique(y)
    take = [np.flatnonzero(y == c) for c in classes]
    # Each class keeps its share of the rows (largest remainders get the rounding).
    exact = np.array([len(t) * max_rows / n for t in take])
    k = np.floor(exact).astype(int)
    for i in np.argsort(-(exact - k), kind="stable")[: max_rows - int(k.sum())]:
        k[i] += 1
    return np.sort(np.concatenate([rng.choice(t, size=ki, replace=False) for t, ki in zip(take, k, strict=True)]))


def _preprocessed_blocks(pipeline, features: Sequence[str]) -> list[np.ndarray] | None:
    """For a :func:`build_pipeline` pipeline: the columns of the preprocessed matrix each feature produces.

    A numeric feature produces its (imputed, maybe standardised) value and, when it
    had missing values in training, a missing indicator; a categorical feature its
    one-hot block.  Read from ``get_feature_names_out`` of each fitted transformer.
    Returns None for any other estimator, or when some output column cannot be
    attributed to exactly one feature.
    """
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline

    if not isinstance(pipeline, Pipeline) or len(pipeline.steps) != 2 \
            or not isinstance(pipeline[0], ColumnTransformer):
        return None
    prep = pipeline[0]
    position = {f: i for i, f in enumerate(features)}
    owner: dict[int, int] = {}
    for name, trans, cols in prep.transformers_:
        if trans == "drop" or name not in prep.output_indices_:
            continue
        if trans == "passthrough" or not isinstance(cols, list) or any(c not in position for c in cols):
            return None
        slice_ = prep.output_indices_[name]
        try:
            out = list(trans.get_feature_names_out(cols))
        except (AttributeError, ValueError):
            return None
        if len(out) != slice_.stop - slice_.start:
            return None
        last = -1
        for k, col_name in enumerate(out):
            if col_name in cols:
                f = col_name
            elif col_name.startswith("missingindicator_") and col_name[len("missingindicator_"):] in cols:
                f = col_name[len("missingindicator_"):]
            else:  # one-hot "<feature>_<category>", feature-major: the longest matching prefix
                hits = [c for c in cols if col_name.startswith(f"{c}_")]
                if not hits:
                    return None
                f = max(hits, key=len)
                if cols.index(f) < last:
                    return None
                last = cols.index(f)
            owner[slice_.start + k] = position[f]
    width = len(prep.get_feature_names_out())
    if sorted(owner) != list(range(width)):
        return None
    blocks: list[list[int]] = [[] for _ in features]
    for col, f in owner.items():
        blocks[f].append(col)
    return [np.array(sorted(b), dtype=int) for b in blocks]


def permutation_importances(pipeline, X: pd.DataFrame, y: Sequence[int], seed: int = 7,
                            n_repeats: int = 5, groups: Mapping[str, str] | None = None,
                            max_rows: int | None = 5000, preprocess_once: bool = True) -> pd.DataFrame:
    """Global importance: drop in ROC AUC when one feature is shuffled (on held-out data).

    Each feature's rows are shuffled ``n_repeats`` times (seeded) and the drop of
    the ROC AUC from the unshuffled score is averaged -- the method of
    ``sklearn.inspection.permutation_importance``, organised for speed:

    - it runs on a seeded subsample of at most ``max_rows`` rows, stratified on the
      label (None: every row); a few thousand rows measure AUC drops of 0.005 and up
      well, and the cost grows with rows x features x repeats;
    - for a :func:`build_pipeline` pipeline the preprocessing runs once: every step
      (imputation, missing indicators, scaling, one-hot) works row by row, so
      preprocessing a shuffled feature gives exactly the preprocessed matrix with that
      feature's columns shuffled the same way, and only the classifier is rerun.
      ``preprocess_once=False`` (or another estimator) shuffles the raw column and
      runs the whole pipeline each time: same numbers, slower.

    Native thread pools are limited to one thread meanwhile (see :func:`analyse`).

    Returns:
        ``feature, group, importance, importance_std`` sorted by importance (descending).
    """
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import roc_auc_score

    if n_repeats < 1:
        raise UsageError(f"importance_repeats {n_repeats} must be at least 1 (e.g. 5).")
    if max_rows is not None and max_rows < 2:
        raise UsageError(f"importance_max_rows {max_rows} must be at least 2 (e.g. 5000), or None.")
    features = list(X.columns)
    y_all = np.asarray(y, dtype=int)
    rows = _subsample(y_all, max_rows, seed)
    ys = y_all[rows]
    if len(np.unique(ys)) < 2:
        raise DataError("permutation importance needs churned and retained customers in the evaluation set.")
    blocks = _preprocessed_blocks(pipeline, features) if preprocess_once else None
    if blocks is not None:
        clf = pipeline[-1]
        data = np.asarray(pipeline[0].transform(X.iloc[rows]), dtype=float)
        if isinstance(clf, HistGradientBoostingClassifier):
            data = np.asfortranarray(data)  # the trees read one column at a time: faster, same values

        def score() -> float:
            return roc_auc_score(ys, clf.predict_proba(data)[:, 1])

        def get(j):
            return data[:, blocks[j]].copy()

        def put(j, values) -> None:
            data[:, blocks[j]] = values
    else:
        frame = X.iloc[rows].reset_index(drop=True).copy()

        def score() -> float:
            return roc_auc_score(ys, pipeline.predict_proba(frame)[:, 1])

        def get(j):
            return frame[features[j]].to_numpy().copy()

        def put(j, values) -> None:
            frame[features[j]] = values

    rng = np.random.default_rng(seed)
    drops = np.zeros((len(features), n_repeats))
    with _one_thread():
        base = score()
        for j in range(len(features)):
            original = get(j)
            for r in range(n_repeats):
                perm = rng.permutation(ys.size)  # drawn for every feature: both paths shuffle alike
                if blocks is not None and blocks[j].size == 0:
                    continue  # the model never sees this feature: shuffling it changes nothing
                put(j, original[perm])
                drops[j, r] = base - score()
            put(j, original)
    df = pd.DataFrame({"feature": features, "importance": drops.mean(axis=1),
                       "importance_std": drops.std(axis=1)})
    lookup = groups or {}
    df.insert(1, "group", [lookup.get(f, "") for f in df["feature"]])
    return df.sort_values(["importance", "feature"], ascending=[False, True], kind="stable") \
        .reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Reasons and actions
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Rule:
    code: str
    features: tuple[str, ...]
    test: Callable[[dict, dict], bool]
    en: Callable[[dict, dict], str]
    zh: Callable[[dict, dict], str]


def _v(row: dict, key: str) -> float:
    x = row.get(key)
    return float("nan") if x is None else float(x)


def _ok(x: float) -> bool:
    return not math.isnan(x)


def _cycle(row: dict, pop: dict) -> float:
    g = _v(row, "typical_gap_days")
    return g if _ok(g) and g > 0 else pop["median_gap_days"]


_RULES: tuple[_Rule, ...] = (
    _Rule("unresolved_complaints", ("unresolved_complaints",),
          lambda r, p: _v(r, "unresolved_complaints") >= 1,
          lambda r, p: (f"{_v(r, 'unresolved_complaints'):.0f} unresolved complaint"
                        f"{'s' if _v(r, 'unresolved_complaints') > 1 else ''}"),
          lambda r, p: f"{_v(r, 'unresolved_complaints'):.0f} 条投诉未解决"),
    _Rule("severe_complaint", ("max_severity",),
          lambda r, p: _v(r, "max_severity") >= 3,
          lambda r, p: "a high or critical complaint on record",
          lambda r, p: "有高/紧急级别的投诉记录"),
    _Rule("recent_complaints", ("complaints_180d", "complaints_count"),
          lambda r, p: _v(r, "complaints_180d") >= max(2.0, p["q90_complaints_180d"]),
          lambda r, p: f"{_v(r, 'complaints_180d'):.0f} complaints in the last 180 days",
          lambda r, p: f"近180天投诉 {_v(r, 'complaints_180d'):.0f} 次"),
    _Rule("overdue", ("recency_days", "recency_vs_cycle"),
          lambda r, p: _v(r, "recency_days") >= 30 and _v(r, "recency_days") > 1.5 * _cycle(r, p),
          lambda r, p: (f"no order for {_v(r, 'recency_days'):.0f} days, usually orders every "
                        f"{_cycle(r, p):.0f}"),
          lambda r, p: f"已 {_v(r, 'recency_days'):.0f} 天未下单(通常每 {_cycle(r, p):.0f} 天一次)"),
    _Rule("detractor", ("latest_nps",),
          lambda r, p: _ok(_v(r, "latest_nps")) and _v(r, "latest_nps") <= 6,
          lambda r, p: f"latest NPS score {_v(r, 'latest_nps'):.0f} of 10 (detractor)",
          lambda r, p: f"最近一次NPS评分 {_v(r, 'latest_nps'):.0f} 分(贬损者)"),
    _Rule("low_csat", ("latest_csat",),
          lambda r, p: _ok(_v(r, "latest_csat")) and _v(r, "latest_csat") <= 2,
          lambda r, p: f"latest satisfaction {_v(r, 'latest_csat'):.0f} of 5",
          lambda r, p: f"最近一次满意度 {_v(r, 'latest_csat'):.0f}/5 分"),
    _Rule("few_visits", ("visits_90d", "days_since_visit", "visits_180d"),
          lambda r, p: _v(r, "visits_90d") == 0 and p["median_visits_180d"] >= 1,
          lambda r, p: (f"no visit or call in 90 days (typical customer: "
                        f"{p['median_visits_180d']:.0f} in 180 days)"),
          lambda r, p: f"近90天无拜访(一般客户180天内拜访 {p['median_visits_180d']:.0f} 次)"),
    _Rule("spend_decline", ("spend_trend", "spend_90d", "spend_prev_90d"),
          lambda r, p: _v(r, "spend_prev_90d") > 0 and _v(r, "spend_90d") <= 0.6 * _v(r, "spend_prev_90d"),
          lambda r, p: (f"spend in the last 90 days down "
                        f"{100 * (1 - _v(r, 'spend_90d') / _v(r, 'spend_prev_90d')):.0f}% on the 90 days before"),
          lambda r, p: (f"近90天消费较前90天下降 "
                        f"{100 * (1 - _v(r, 'spend_90d') / _v(r, 'spend_prev_90d')):.0f}%")),
    _Rule("order_decline", ("orders_90d", "orders_prev_90d", "order_trend"),
          lambda r, p: _v(r, "orders_prev_90d") >= 2 and _v(r, "orders_90d") < _v(r, "orders_prev_90d"),
          lambda r, p: (f"{_v(r, 'orders_90d'):.0f} orders in the last 90 days against "
                        f"{_v(r, 'orders_prev_90d'):.0f} in the 90 before"),
          lambda r, p: (f"近90天下单 {_v(r, 'orders_90d'):.0f} 次,之前90天 "
                        f"{_v(r, 'orders_prev_90d'):.0f} 次")),
    _Rule("returns", ("return_share", "returns_count", "returns_180d"),
          lambda r, p: _v(r, "return_share") >= 0.2,
          lambda r, p: f"returned {100 * _v(r, 'return_share'):.0f}% of the value bought",
          lambda r, p: f"退货金额占购买金额的 {100 * _v(r, 'return_share'):.0f}%"),
    _Rule("one_time", ("purchase_days", "frequency"),
          lambda r, p: _v(r, "purchase_days") == 1,
          lambda r, p: f"only one purchase so far ({_v(r, 'tenure_days'):.0f} days ago)",
          lambda r, p: f"至今仅购买过 1 次({_v(r, 'tenure_days'):.0f} 天前)"),
    _Rule("low_p_alive", ("p_alive",),
          lambda r, p: _ok(_v(r, "p_alive")) and _v(r, "p_alive") < 0.5,
          lambda r, p: f"purchase pattern gives only a {100 * _v(r, 'p_alive'):.0f}% chance of still being active",
          lambda r, p: f"购买规律显示仍活跃的概率仅 {100 * _v(r, 'p_alive'):.0f}%"),
)
RULE_CODES = tuple(r.code for r in _RULES)
_NO_REASON = {"en": "overall pattern (no single factor stands out)", "zh": "综合因素(无单一突出原因)"}


def _population_stats(frame: pl.DataFrame, gap_median: float) -> dict:
    def q(col: str, p: float) -> float:
        if col not in frame.columns:
            return float("inf")
        v = frame.get_column(col).quantile(p)
        return float(v) if v is not None else float("inf")

    med_visits = (float(frame.get_column("visits_180d").median())
                  if "visits_180d" in frame.columns else 0.0)
    return {"median_gap_days": gap_median, "q90_complaints_180d": q("complaints_180d", 0.9),
            "median_visits_180d": med_visits}


def explain(features: FeatureSet, importance: pd.DataFrame, median_gap_days: float,
            customer_ids: Sequence[str] | None = None, top: int = 3) -> pl.DataFrame:
    """The top reasons for each customer's risk, in plain words (zh and en).

    Method: each rule (e.g. "unresolved complaint", "overdue against own purchase
    cycle", "NPS detractor") compares the customer's feature values with a fixed
    threshold or with the population at the same cut-off; the rules that fire are
    ranked by the global permutation importance of the features behind them, and
    the ``top`` first are kept.  Rules whose feature group is missing never fire.

    Args:
        features: the features at the scoring date.
        importance: the output of :func:`permutation_importances`.
        median_gap_days: the population's median gap between purchases (used when a
            customer has bought only once).
        customer_ids: restrict to these customers (default: all).

    Returns:
        ``customer_id, reason_codes`` (list), ``reasons_en``, ``reasons_zh`` (joined with "; " / "；").
    """
    frame = features.frame
    if customer_ids is not None:
        frame = frame.filter(pl.col("customer_id").is_in(list(customer_ids)))
    imp = dict(zip(importance["feature"], importance["importance"], strict=True))
    pstats = _population_stats(features.frame, median_gap_days)
    available = set(features.frame.columns)
    rules = [r for r in _RULES if all(f in available for f in r.features[:1])]
    weight = {r.code: max(imp.get(f, 0.0) for f in r.features) for r in rules}
    ranked = sorted(rules, key=lambda r: (-weight[r.code], RULE_CODES.index(r.code)))
    codes, en, zh = [], [], []
    for row in frame.iter_rows(named=True):
        fired = [r for r in ranked if r.test(row, pstats)][:top]
        codes.append([r.code for r in fired])
        en.append("; ".join(r.en(row, pstats) for r in fired) or _NO_REASON["en"])
        zh.append("；".join(r.zh(row, pstats) for r in fired) or _NO_REASON["zh"])
    return pl.DataFrame({"customer_id": frame.get_column("customer_id"),
                         "reason_codes": pl.Series(codes, dtype=pl.List(pl.String)),
                         "reasons_en": en, "reasons_zh": zh})


_ACTIONS = {
    ("complaint", "A"): ("account manager calls within 48h and escalates the open complaint",
                         "客户经理48小时内致电,并升级处理未决投诉"),
    ("complaint", "*"): ("service team closes the open complaint within 5 working days and calls back",
                         "客服5个工作日内处理完投诉并回访"),
    ("satisfaction", "A"): ("account manager makes a satisfaction call this week",
                            "客户经理本周内进行满意度回访"),
    ("satisfaction", "*"): ("service team makes a satisfaction follow-up call", "客服进行满意度回访"),
    ("contact", "A"): ("schedule an on-site visit within 2 weeks", "两周内安排上门拜访"),
    ("contact", "B"): ("schedule an on-site visit within 2 weeks", "两周内安排上门拜访"),
    ("contact", "*"): ("WeChat or phone check-in this month", "本月内微信或电话问候"),
    ("returns", "*"): ("review the product or quality issues behind the returns",
                       "排查退货背后的产品或质量问题"),
    ("activity", "A"): ("key-account review with a tailored offer", "大客户专项复盘,提供定制方案"),
    ("activity", "B"): ("personal offer from the account manager", "客户经理提供专属优惠"),
    ("activity", "*"): ("automated win-back coupon by SMS/WeChat", "自动发送挽回优惠券(短信/微信)"),
}
_REASON_KIND = {"unresolved_complaints": "complaint", "severe_complaint": "complaint",
                "recent_complaints": "complaint", "detractor": "satisfaction",
                "low_csat": "satisfaction", "few_visits": "contact", "returns": "returns",
                "overdue": "activity", "spend_decline": "activity", "order_decline": "activity",
                "low_p_alive": "activity", "one_time": "activity"}


def suggest_action(tier: str | None, reason_codes: Sequence[str], lang: str = "en") -> str:
    """A suggested retention action from the tier and the top reason.

    An open or severe complaint comes first whatever its rank (it is the most
    actionable); otherwise the top reason decides: dissatisfaction -> a
    satisfaction call, no contact -> a visit (A/B) or a check-in (C), returns ->
    a quality review, falling activity -> an offer scaled to the tier.
    """
    if lang not in i18n.LANGS:
        raise UsageError(f"lang '{lang}' is not supported; use 'zh' or 'en'.")
    codes = list(reason_codes)
    if "unresolved_complaints" in codes:
        kind = "complaint"
    else:
        kind = next((_REASON_KIND[c] for c in codes if c in _REASON_KIND), "activity")
    t = tier if tier in ("A", "B", "C") else "C"
    en, zh = _ACTIONS.get((kind, t)) or _ACTIONS[(kind, "*")]
    return zh if lang == "zh" else en


# --------------------------------------------------------------------------------------------
# The analysis
# --------------------------------------------------------------------------------------------


@dataclass
class ChurnAnalysis:
    """Everything :func:`analyse` learns and measures (the notebook shows it).

    Attributes:
        as_of: scoring date.  window: the churn window.  lapsed_days: population bound.
        train_cutoffs, test_cutoff: the out-of-time design of the evaluation.
        final_cutoffs: cut-offs the scoring model was refitted on (labels end by ``as_of``).
        model_kind, seed: the model used for scoring and its seed.
        groups, missing: feature groups used, and missing ones with the reason.
        numeric, categorical: the features.
        evaluation: one row per scorer (models and baselines) x metric, on the test cut-off.
        gains: lift and cumulative gains at 5/10/20 % per scorer.
        curves: per scorer the full gains curve (for the chart).
        calibration: predicted vs observed churn rate by decile of the scoring model.
        confusion: the confusion matrix on the test cut-off at ``threshold``.
        threshold: probability threshold: the lowest flagged probability at ``as_of`` (capacity
            rule, ``flag_share``), or max F1 on out-of-fold training predictions (None).
        flag_share: the capacity share used for the threshold (None: max F1).
        importance: permutation importance on the test cut-off (seeded).
        train_size, test_size, train_churn_rate, test_churn_rate: sizes and base rates.
        model: the scoring pipeline (refitted on ``final_cutoffs``).
        scores: per customer at ``as_of``: probability, flag, baselines, reasons.
        features: the features at ``as_of``.
    """

    as_of: date
    window: ChurnWindow
    lapsed_days: int
    train_cutoffs: list[date]
    test_cutoff: date
    final_cutoffs: list[date]
    model_kind: str
    seed: int
    groups: list[str]
    missing: dict[str, str]
    numeric: list[str]
    categorical: list[str]
    evaluation: pd.DataFrame
    gains: pd.DataFrame
    curves: dict[str, pd.DataFrame]
    calibration: pd.DataFrame
    confusion: pd.DataFrame
    threshold: float
    flag_share: float | None
    importance: pd.DataFrame
    train_size: int
    test_size: int
    train_churn_rate: float
    test_churn_rate: float
    model: Any
    scores: pl.DataFrame
    features: FeatureSet
    metadata: dict = field(default_factory=dict)

    @property
    def features_list(self) -> list[str]:
        return self.numeric + self.categorical

    def metric(self, scorer: str, name: str) -> float | None:
        """One metric of one scorer (``hgb``, ``logreg``, ``recency``, ``p_alive``)."""
        row = self.evaluation.loc[self.evaluation["scorer"] == scorer]
        if row.empty:
            raise KeyError(f"no scorer '{scorer}'; scorers are {list(self.evaluation['scorer'])}")
        v = row.iloc[0][name]
        return None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)

    def missing_groups_text(self, lang: str = "en") -> str:
        """Which feature groups are missing and why, in plain words."""
        if not self.missing:
            return "所有特征组均可用。" if lang == "zh" else "Every feature group is available."
        head = "缺少的特征组:" if lang == "zh" else "Missing feature groups: "
        return head + "; ".join(f"{g} ({why})" for g, why in self.missing.items())


def _one_thread():
    """A context limiting native thread pools (OpenMP, BLAS) to one thread.

    threadpoolctl only limits the libraries already loaded when the limit is set, so
    scikit-learn's OpenMP-using estimators are imported first: otherwise, in a fresh
    process (a notebook kernel), the gradient boosting runs on every core and its
    threads busy-wait for each other on a loaded machine (many times slower).
    """
    import sklearn.ensemble  # noqa: F401  (loads scikit-learn's OpenMP runtime)
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1)


def _top_share(scores: np.ndarray, share: float) -> np.ndarray:
    """Flags for the ``ceil(share * n)`` highest scores (ties by input order)."""
    flags = np.zeros(len(scores), dtype=bool)
    flags[_order(scores)[:max(1, math.ceil(share * len(scores)))]] = True
    return flags


def _cutoffs(end: date, n: int, step: int) -> list[date]:
    return [end - timedelta(days=k * step) for k in range(n)]


def _feature_groups_map(numeric: Sequence[str], categorical: Sequence[str]) -> dict[str, str]:
    lookup = {f: g for g, fs in _GROUP_FEATURES.items() for f in fs}
    return {f: lookup.get(f, "") for f in list(numeric) + list(categorical)}


def analyse(tables: Mapping[str, pl.DataFrame | None], as_of: date, window_days: int | None = None,
            model: str = "hgb", seed: int = 7, lapsed_days: int | None = None,
            n_train_cutoffs: int = 3, cutoff_step_days: int = 30, window_quantile: float = 0.9,
            segmenter: Callable | None = _default_segmenter, with_p_alive: bool = True,
            importance_repeats: int = 5, flag_share: float | None = 0.2,
            importance_max_rows: int | None = 5000, customer_id_col: str = "customer_id",
            datetime_col: str = "order_date", amount_col: str = "amount",
            status_col: str | None = "status") -> ChurnAnalysis:
    """Fit, evaluate out of time, and score: the whole churn warning step.

    Design (``N`` = churn window): test cut-off ``c2 = as_of - N``; training
    cut-offs ``c1 = c2 - N`` and ``n_train_cutoffs - 1`` more, each
    ``cutoff_step_days`` earlier (all their labels end by ``c2``).  Both models
    (``hgb`` and ``logreg``) and both baselines are measured on ``c2``; the
    threshold maximises F1 on 3-fold out-of-fold predictions on the training
    rows (only when ``flag_share`` is None); importance is permutation importance on
    ``c2`` (at most ``importance_max_rows`` rows, stratified and seeded).  The ``model`` chosen
    for scoring is refitted on cut-offs ``c2, c2 - step, ...`` (labels end by
    ``as_of``) and scores the population at ``as_of``.

    Args:
        tables: canonical tables (``orders`` required), restricted to ``as_of``.
        as_of: the scoring date; no data after it is used.
        window_days: churn window ``N``; None fits it (:func:`fit_window`).
        model: ``"hgb"`` or ``"logreg"`` for scoring.
        seed: random seed (models, folds, permutation importance).
        lapsed_days: population bound (default ``N``).
        importance_repeats: shuffles per feature for the permutation importance.
        importance_max_rows: the permutation importance uses a seeded subsample of at
            most this many test rows, stratified on the label (None: all of them).
        flag_share: capacity of the retention team as a share of the population: the
            riskiest ``ceil(flag_share * n)`` customers are flagged (on the test cut-off for
            the confusion matrix, at ``as_of`` for the list); ``threshold`` is then the lowest
            flagged probability at ``as_of``.  None: flag probabilities at or above the
            threshold that maximises F1 on 3-fold out-of-fold training predictions (with
            churn rates near 50 % that flags most customers).

    Native thread pools (OpenMP of the gradient boosting) are limited to one
    thread: the tables are small, and on a busy machine (several notebooks run
    at once) OpenMP's busy-waiting makes the fits many times slower.

    Raises:
        UsageError: the data is too short for the out-of-time design.
        DataError: bad or too little data (messages say what to do).
    """
    with _one_thread():
        return _analyse(tables, as_of, window_days, model, seed, lapsed_days, n_train_cutoffs,
                        cutoff_step_days, window_quantile, segmenter, with_p_alive,
                        importance_repeats, flag_share, importance_max_rows, customer_id_col,
                        datetime_col, amount_col, status_col)


def _analyse(tables, as_of, window_days, model, seed, lapsed_days, n_train_cutoffs, cutoff_step_days,
             window_quantile, segmenter, with_p_alive, importance_repeats, flag_share,
             importance_max_rows, customer_id_col, datetime_col, amount_col, status_col) -> ChurnAnalysis:
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    if model not in MODELS:
        raise UsageError(f"model '{model}' is not known; use one of {', '.join(MODELS)}.")
    if flag_share is not None and not 0 < flag_share < 1:
        raise UsageError(f"flag_share {flag_share} must lie strictly between 0 and 1 (e.g. 0.2), or be None.")
    cols = {"customer_id_col": customer_id_col, "datetime_col": datetime_col, "amount_col": amount_col,
                "status_col": status_col}
    tables = truncate(dict(tables), as_of, orders_date_col=datetime_col)
    window = fit_window(tables["orders"], as_of, quantile=window_quantile, days=window_days, **cols)
    n = window.days
    lapsed = int(lapsed_days if lapsed_days is not None else n)
    c2 = as_of - timedelta(days=n)
    c1 = c2 - timedelta(days=n)
    buys, _ = purchases(tables["orders"], **cols)
    first = buys.get_column("day").min()
    train_cutoffs = _cutoffs(c1, n_train_cutoffs, cutoff_step_days)
    if train_cutoffs[-1] <= first:
        raise UsageError(
            f"the orders start on {first}, too late for an out-of-time evaluation with a {n}-day "
            f"window as of {as_of} (the earliest training cut-off would be {train_cutoffs[-1]}); "
            f"use a shorter churn_window_days, fewer training cut-offs, or a later as_of."
        )
    # Every cut-off's features (segments and the BG/NBD fit included) are computed once:
    # the test cut-off c2 is also the first cut-off of the refit.
    features_by_cutoff: dict[date, FeatureSet] = {}
    kw = dict(segmenter=segmenter, with_p_alive=with_p_alive, **cols)
    train, y_train = training_frame(tables, train_cutoffs, n, lapsed, features_by_cutoff, **kw)
    test, y_test = training_frame(tables, [c2], n, lapsed, features_by_cutoff, **kw)
    if test.features != train.features:
        raise DataError(f"feature groups at the test cut-off {c2} ({test.groups}) differ from training "
                        f"({train.groups}); the data is too thin early on.")
    for what, y in (("training", y_train), ("test", y_test)):
        if len(np.unique(y)) < 2:
            raise DataError(f"the {what} labels hold a single class (churn rate {y.mean():.0%}); "
                            f"choose another window or as-of date.")
    Xtr, Xte = train.to_pandas(), test.to_pandas()
    num, cat = train.numeric, train.categorical

    pipes, evaluation, gains, curves = {}, [], [], {}
    for kind in MODELS:
        pipe = build_pipeline(kind, num, cat, seed).fit(Xtr, y_train)
        pipes[kind] = pipe
    scorers = {k: pipes[k].predict_proba(Xte)[:, 1] for k in MODELS}
    scorers["recency"] = test.frame.get_column("recency_days").to_numpy().astype(float)
    if "p_alive" in test.frame.columns:
        scorers["p_alive"] = 1.0 - test.frame.get_column("p_alive").to_numpy().astype(float)
    for name, s in scorers.items():
        m = evaluate_scores(y_test, s, is_probability=name != "recency")
        evaluation.append({"scorer": name, **m})
        g = gains_table(y_test, s)
        g.insert(0, "scorer", name)
        gains.append(g)
        curves[name] = gains_curve(y_test, s)
    evaluation = pd.DataFrame(evaluation)

    from sklearn.calibration import calibration_curve
    from sklearn.metrics import confusion_matrix

    chosen = scorers[model]
    frac_pos, mean_pred = calibration_curve(y_test, chosen, n_bins=10, strategy="quantile")
    calibration = pd.DataFrame({"predicted": mean_pred, "observed": frac_pos})
    if flag_share is None:
        # Out-of-fold predictions on the training rows: only the max-F1 threshold needs them.
        folds = StratifiedKFold(n_splits=3, shuffle=True, random_state=seed)
        oof = cross_val_predict(build_pipeline(model, num, cat, seed), Xtr, y_train, cv=folds,
                                method="predict_proba")[:, 1]
        threshold = threshold_max_f1(y_train, oof)
        test_flags = chosen >= threshold
    else:
        test_flags = _top_share(chosen, flag_share)
    cm = confusion_matrix(y_test, test_flags.astype(int), labels=[0, 1])
    confusion = pd.DataFrame(cm, index=["stays", "churned"], columns=["stays", "churned"])
    groups_map = _feature_groups_map(num, cat)
    importance = permutation_importances(pipes[model], Xte, y_test, seed=seed,
                                         n_repeats=importance_repeats, groups=groups_map,
                                         max_rows=importance_max_rows)

    final_cutoffs = _cutoffs(c2, n_train_cutoffs, cutoff_step_days)
    final, y_final = training_frame(tables, final_cutoffs, n, lapsed, features_by_cutoff, **kw)
    if final.features != train.features:
        raise DataError("feature groups of the refit differ from the evaluated model's; "
                        "the data is too thin early on.")
    final_pipe = build_pipeline(model, num, cat, seed).fit(final.to_pandas(), y_final)
    now = build_features(tables, as_of, lapsed, **kw)
    if now.features != train.features:
        raise DataError(f"feature groups at {as_of} ({now.groups}) differ from training ({train.groups}).")
    prob = final_pipe.predict_proba(now.to_pandas())[:, 1]
    if flag_share is None:
        flags = prob >= threshold
    else:
        flags = _top_share(prob, flag_share)
        threshold = float(prob[flags].min())
    gap_median = window.median_gap_days if _ok(window.median_gap_days) else float(n)
    reasons = explain(now, importance, gap_median)
    scores = now.frame.select(
        "customer_id", "recency_days",
        *(["p_alive"] if "p_alive" in now.frame.columns else []),
        "spend_365d",
    ).with_columns(
        pl.Series("churn_probability", prob),
        pl.Series("flagged", flags),
    ).join(reasons, on="customer_id", how="left").sort(
        ["churn_probability", "customer_id"], descending=[True, False])

    analysis = ChurnAnalysis(
        as_of=as_of, window=window, lapsed_days=lapsed, train_cutoffs=train_cutoffs,
        test_cutoff=c2, final_cutoffs=final_cutoffs, model_kind=model, seed=seed,
        groups=train.groups, missing=train.missing, numeric=num, categorical=cat,
        evaluation=evaluation, gains=pd.concat(gains, ignore_index=True), curves=curves,
        calibration=calibration, confusion=confusion, threshold=threshold, flag_share=flag_share,
        importance=importance,
        train_size=int(y_train.size), test_size=int(y_test.size),
        train_churn_rate=float(y_train.mean()), test_churn_rate=float(y_test.mean()),
        model=final_pipe, scores=scores, features=now,
    )
    analysis.metadata = _metadata(analysis, int(y_final.size))
    return analysis


def _versions() -> dict[str, str]:
    import warnings

    import joblib
    import scipy
    import sklearn

    with warnings.catch_warnings():  # lifetimes sets a pandas option removed in pandas 3 on import
        warnings.simplefilter("ignore")
        import lifetimes

    return {"python": platform.python_version(), "scikit-learn": sklearn.__version__,
            "numpy": np.__version__, "pandas": pd.__version__, "polars": pl.__version__,
            "scipy": scipy.__version__, "lifetimes": getattr(lifetimes, "__version__", "?"),
            "joblib": joblib.__version__}


def _metadata(a: ChurnAnalysis, final_rows: int) -> dict:
    metrics = {r["scorer"]: {k: r[k] for k in ("roc_auc", "pr_auc", "brier", "lift_at_10")}
               for r in a.evaluation.to_dict("records")}
    return {
        "model": a.model_kind, "seed": a.seed, "as_of": a.as_of.isoformat(),
        "churn_window_days": a.window.days, "window_fitted": a.window.fitted,
        "lapsed_days": a.lapsed_days,
        "training_window": {
            "cutoffs": [c.isoformat() for c in a.final_cutoffs],
            "labels_until": (a.final_cutoffs[0] + timedelta(days=a.window.days)).isoformat(),
            "rows": final_rows,
        },
        "evaluation": {"train_cutoffs": [c.isoformat() for c in a.train_cutoffs],
                       "test_cutoff": a.test_cutoff.isoformat(), "metrics": metrics},
        "threshold": a.threshold, "flag_share": a.flag_share,
        "features": {"numeric": a.numeric, "categorical": a.categorical},
        "feature_groups": a.groups, "missing_groups": a.missing,
        "versions": _versions(),
    }


# --------------------------------------------------------------------------------------------
# Warning list
# --------------------------------------------------------------------------------------------


def _fallback_tiers(value: pl.Series) -> pl.Series:
    """A by-value tier when segmentation has not run: top 20 % A, next 30 % B, rest C."""
    rank = value.rank(method="ordinal", descending=True) / max(value.len(), 1)
    return pl.Series("tier", [("A" if r <= 0.2 else "B" if r <= 0.5 else "C") for r in rank.to_list()])


def warning_list(analysis: ChurnAnalysis, customers: pl.DataFrame | None = None,
                 clv: pl.DataFrame | None = None, segments: pl.DataFrame | None = None,
                 lang: str = "en", flagged_only: bool = True) -> pl.DataFrame:
    """Customers ranked by revenue at risk = churn probability x value.

    Value is ``clv`` from step 03's ``clv.parquet`` when given (``value_source`` =
    ``clv``); for customers without it (or without that file) it is the net
    revenue of the last 12 months (``revenue_12m``: purchases minus returns).
    Tier comes from ``segments`` (step 02) when given, else from value (top 20 %
    A, next 30 % B, rest C; ``tier_source`` says which).  The owner is
    ``customers.sales_rep`` (empty: shared pool).

    Returns:
        ``rank, customer_id, name, company, phone, email, tier, tier_source,
        sales_rep, churn_probability, value, value_source, revenue_at_risk, flagged,
        reasons, action, reason_codes`` (PII unmasked: mask with
        :func:`workbench.privacy.mask_frame` before showing).
    """
    if lang not in i18n.LANGS:
        raise UsageError(f"lang '{lang}' is not supported; use 'zh' or 'en'.")
    s = analysis.scores
    rev = s.select("customer_id", "spend_365d")
    net = _net_revenue_12m(analysis)
    df = s.join(net, on="customer_id", how="left")
    if clv is not None:
        if "clv" not in clv.columns or "customer_id" not in clv.columns:
            raise DataError(f"clv.parquet lacks 'customer_id' or 'clv' (columns {clv.columns}); "
                            f"rerun notebook 03_clv.")
        df = df.join(clv.select(pl.col("customer_id").cast(pl.String), pl.col("clv").cast(pl.Float64)),
                     on="customer_id", how="left")
    else:
        df = df.with_columns(pl.lit(None, pl.Float64).alias("clv"))
    df = df.with_columns(
        pl.when(pl.col("clv").is_not_null()).then(pl.col("clv")).otherwise(pl.col("revenue_12m"))
        .alias("value"),
        pl.when(pl.col("clv").is_not_null()).then(pl.lit("clv")).otherwise(pl.lit("revenue_12m"))
        .alias("value_source"),
    ).with_columns((pl.col("churn_probability") * pl.col("value").clip(lower_bound=0.0))
                   .alias("revenue_at_risk"))
    del rev
    if segments is not None and "tier" in segments.columns:
        df = df.join(segments.select(pl.col("customer_id").cast(pl.String),
                                     pl.col("tier").cast(pl.String)), on="customer_id", how="left")
        df = df.with_columns(pl.when(pl.col("tier").is_null()).then(pl.lit("value"))
                             .otherwise(pl.lit("segments")).alias("tier_source"))
        fb = _fallback_tiers(df.get_column("value"))
        df = df.with_columns(pl.coalesce(pl.col("tier"), fb).alias("tier"))
    else:
        df = df.with_columns(_fallback_tiers(df.get_column("value")), pl.lit("value").alias("tier_source"))
    info_cols = ["name", "company", "phone", "email", "sales_rep"]
    if customers is not None and customers.height:
        have = [c for c in info_cols if c in customers.columns]
        info = customers.select(pl.col("customer_id").cast(pl.String),
                                *[pl.col(c).cast(pl.String) for c in have]) \
            .unique("customer_id", keep="first", maintain_order=True)
        df = df.join(info, on="customer_id", how="left")
    for c in info_cols:
        if c not in df.columns:
            df = df.with_columns(pl.lit(None, pl.String).alias(c))
    df = df.with_columns(pl.col("sales_rep").fill_null(i18n.t("shared_pool", lang)))
    actions = [suggest_action(t, codes or [], lang)
               for t, codes in zip(df.get_column("tier").to_list(), df.get_column("reason_codes").to_list(), strict=True)]
    df = df.with_columns(pl.Series("action", actions),
                         pl.col(f"reasons_{lang}").alias("reasons"))
    if flagged_only:
        df = df.filter(pl.col("flagged"))
    df = df.sort(["revenue_at_risk", "customer_id"], descending=[True, False], nulls_last=True)
    df = df.with_columns(pl.int_range(1, df.height + 1).alias("rank"))
    return df.select("rank", "customer_id", "name", "company", "phone", "email", "tier", "tier_source",
                     "sales_rep", "churn_probability", "value", "value_source", "revenue_at_risk",
                     "flagged", "reasons", "action", "reason_codes")


def _net_revenue_12m(analysis: ChurnAnalysis) -> pl.DataFrame:
    f = analysis.features.frame
    spend = pl.col("spend_365d").fill_null(0.0)
    if "return_share" in f.columns:
        # Returns within 12 months are not kept per window; net them with the lifetime return share.
        spend = spend * (1.0 - pl.col("return_share").fill_null(0.0).clip(0.0, 1.0))
    return f.select("customer_id", spend.alias("revenue_12m"))


def revenue_at_risk_by(warning: pl.DataFrame, by: str) -> pl.DataFrame:
    """Revenue at risk, customers and mean churn probability per ``by`` (``tier`` or ``sales_rep``)."""
    if by not in warning.columns:
        raise UsageError(f"cannot group the warning list by '{by}'; its columns are {warning.columns}.")
    return (warning.group_by(by).agg(pl.len().alias("customers"),
                                     pl.col("revenue_at_risk").sum(),
                                     pl.col("churn_probability").mean())
            .sort(["revenue_at_risk", by], descending=[True, False]))


def results_summary(analysis: ChurnAnalysis, warning: pl.DataFrame) -> dict:
    """The key results for ``io.save_step_results(results_dir, "churn", ...)``."""
    m = analysis.model_kind

    def base(name: str) -> dict:
        if name not in set(analysis.evaluation["scorer"]):
            return {"roc_auc": None, "lift_at_10": None}
        return {"roc_auc": analysis.metric(name, "roc_auc"), "lift_at_10": analysis.metric(name, "lift_at_10")}

    return {
        "model": m,
        "roc_auc": analysis.metric(m, "roc_auc"),
        "pr_auc": analysis.metric(m, "pr_auc"),
        "brier": analysis.metric(m, "brier"),
        "lift_at_10": analysis.metric(m, "lift_at_10"),
        "baselines": {"recency": base("recency"), "p_alive": base("p_alive")},
        "revenue_at_risk": float(warning.get_column("revenue_at_risk").sum()),
        "churn_window_days": analysis.window.days,
        "flagged": int(analysis.scores.get_column("flagged").sum()),
        "customers_scored": analysis.scores.height,
        "threshold": analysis.threshold,
        "test_cutoff": analysis.test_cutoff.isoformat(),
        "missing_feature_groups": sorted(analysis.missing),
    }


# --------------------------------------------------------------------------------------------
# Disk: model persistence and exports
# --------------------------------------------------------------------------------------------


def save_model(analysis: ChurnAnalysis, path: str | Path) -> tuple[Path, Path]:
    """Save the scoring pipeline (joblib) and its metadata (JSON sidecar ``<path>.json``).

    The metadata holds the training window, the features, the metrics and the
    library versions.  Returns both paths.
    """
    import joblib

    from .io import atomic_write_json

    path = Path(path)
    if path.suffix != ".joblib":
        path = path.with_suffix(".joblib")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    joblib.dump(analysis.model, tmp)
    tmp.replace(path)
    side = path.with_suffix(".json")
    atomic_write_json(analysis.metadata, side)
    return path, side


def load_model(path: str | Path, features: Sequence[str] | None = None) -> tuple[Any, dict]:
    """Load a pipeline saved by :func:`save_model`, refusing one built on other features.

    Args:
        path: the ``.joblib`` file (its ``.json`` sidecar must sit beside it).
        features: the feature list the caller will score with; when given it must
            equal the saved one (same names, same order).

    Returns:
        ``(pipeline, metadata)``.

    Raises:
        ModelError: the file or sidecar is missing, or the feature lists differ.
    """
    import joblib

    path = Path(path)
    side = path.with_suffix(".json")
    if not path.is_file() or not side.is_file():
        raise ModelError(f"{path} or its metadata {side.name} is missing; rerun notebook 04_churn "
                         f"to fit and save the churn model.")
    meta = json.loads(side.read_text(encoding="utf-8"))
    saved = list(meta["features"]["numeric"]) + list(meta["features"]["categorical"])
    if features is not None and list(features) != saved:
        extra = [f for f in features if f not in saved]
        lacking = [f for f in saved if f not in features]
        detail = (f"new: {extra or 'none'}; missing: {lacking or 'none'}"
                  + ("; same names in another order" if not extra and not lacking else ""))
        raise ModelError(f"the churn model in {path} was saved with different features ({detail}); "
                         f"refit it (rerun notebook 04_churn) before scoring this data.")
    return joblib.load(path), meta


_EXPORT_COLUMNS = ["rank", "customer_id", "name", "company", "tier", "sales_rep", "churn_probability",
                   "value", "value_source", "revenue_at_risk", "reasons", "action"]


def export_warning_list(warning: pl.DataFrame, path: str | Path, lang: str = "en") -> tuple[Path, Path]:
    """Write the warning list for the retention team: CSV (UTF-8 with BOM) and Excel, headers in ``lang``.

    ``path`` is the Parquet path of the list (or any path); the CSV and XLSX get
    its stem.  Mask personal data before calling when reports must not show it.
    """
    path = Path(path)
    cols = [c for c in _EXPORT_COLUMNS if c in warning.columns]
    rounding = [pl.col(c).round(d) for c, d in (("churn_probability", 3), ("value", 2),
                                                ("revenue_at_risk", 2)) if c in cols]
    pdf = warning.select(cols).with_columns(rounding).to_pandas()
    pdf = pdf.rename(columns=i18n.column_labels(cols, lang))
    csv = path.with_suffix(".csv")
    xlsx = path.with_suffix(".xlsx")
    csv.parent.mkdir(parents=True, exist_ok=True)
    tmp_csv = csv.with_name(f".{csv.name}.tmp")
    pdf.to_csv(tmp_csv, index=False, encoding="utf-8-sig")
    tmp_csv.replace(csv)
    tmp_x = xlsx.with_name(f".{xlsx.stem}.tmp.xlsx")
    with pd.ExcelWriter(tmp_x, engine="xlsxwriter") as xw:
        sheet = "流失预警" if lang == "zh" else "churn warning"
        pdf.to_excel(xw, sheet_name=sheet, index=False)
        ws = xw.sheets[sheet]
        for i, c in enumerate(pdf.columns):
            width = min(60, max(10, int(pdf[c].astype(str).str.len().quantile(0.9) if len(pdf) else 10) + 2))
            ws.set_column(i, i, width)
    tmp_x.replace(xlsx)
    return csv, xlsx


def available_tables(loader: Callable[[str], pl.DataFrame],
                     names: Sequence[str] = ("orders", "customers", "visits", "complaints", "surveys"),
                     ) -> tuple[dict[str, pl.DataFrame | None], dict[str, str]]:
    """Load the tables that exist with ``loader`` (e.g. ``ctx.load``); missing ones become None.

    Returns:
        ``(tables, notes)`` where ``notes`` maps a missing table to the loader's message.
    """
    tables: dict[str, pl.DataFrame | None] = {}
    notes: dict[str, str] = {}
    for name in names:
        try:
            tables[name] = loader(name)
        except DataError as exc:
            tables[name] = None
            notes[name] = str(exc)
    return tables, notes


# --------------------------------------------------------------------------------------------
# Settings and presentation (used by notebook 04_churn)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChurnSettings:
    """The ``churn:`` section of ``workbench.yaml`` (every key optional).

    Attributes:
        window_days: churn window in days (None: fitted to the purchase cycle).
        window_quantile: quantile of inter-purchase gaps for the fitted window.
        lapsed_days: customers silent longer are outside the population (None: the window).
        n_train_cutoffs: training cut-offs stacked for the model.
        cutoff_step_days: days between those cut-offs.
        importance_repeats: shuffles per feature for the permutation importance.
        importance_max_rows: test rows (seeded, stratified subsample) for the permutation importance.
        flag_share: share of the population the retention team can contact (None: max-F1 threshold).
    """

    window_days: int | None = None
    window_quantile: float = 0.9
    lapsed_days: int | None = None
    n_train_cutoffs: int = 3
    cutoff_step_days: int = 30
    importance_repeats: int = 5
    importance_max_rows: int | None = 5000
    flag_share: float | None = 0.2

    @classmethod
    def from_mapping(cls, section: Mapping[str, Any] | None) -> ChurnSettings:
        """Read the settings, refusing unknown keys and values of the wrong kind, clearly."""
        section = dict(section or {})
        known = {f for f in cls.__dataclass_fields__}
        unknown = sorted(set(section) - known)
        if unknown:
            raise UsageError(f"workbench.yaml churn: unknown key(s) {unknown}; known keys are {sorted(known)}.")
        out = {}
        for key, value in section.items():
            if value is None:
                out[key] = None
                continue
            try:
                out[key] = float(value) if key in ("window_quantile", "flag_share") else int(value)
            except (TypeError, ValueError):
                raise UsageError(f"workbench.yaml churn.{key}: '{value}' is not a number.") from None
        return cls(**out)


def evaluation_table(analysis: ChurnAnalysis, lang: str = "en") -> pd.DataFrame:
    """The out-of-time metrics of every scorer, labelled in ``lang`` (for display)."""
    names = {"hgb": "model_hgb", "logreg": "model_logreg", "recency": "baseline_recency",
             "p_alive": "baseline_p_alive"}
    df = analysis.evaluation.copy()
    df["scorer"] = [i18n.t(names.get(s, s), lang) for s in df["scorer"]]
    df = df.rename(columns={"scorer": i18n.t("model", lang)} | i18n.column_labels(
        ["roc_auc", "pr_auc", "brier", "lift_at_5", "lift_at_10", "lift_at_20"], lang))
    return df.round(3)


def gains_display(analysis: ChurnAnalysis, lang: str = "en") -> pd.DataFrame:
    """Share of churners caught in the top 5/10/20 % per scorer (rows) -- a wide display table."""
    names = {"hgb": "model_hgb", "logreg": "model_logreg", "recency": "baseline_recency",
             "p_alive": "baseline_p_alive"}
    g = analysis.gains.copy()
    g["top"] = [f"{'前' if lang == 'zh' else 'top '}{round(100 * s)}%" for s in g["top_share"]]
    wide = g.pivot(index="scorer", columns="top", values="gain")
    wide = wide[list(dict.fromkeys(g.sort_values("top_share")["top"]))]
    wide.columns.name = None
    wide = wide.loc[[s for s in analysis.evaluation["scorer"]]]
    wide.index = [i18n.t(names.get(s, s), lang) for s in wide.index]
    wide.index.name = i18n.t("share_churners_caught", lang)
    return (100 * wide).round(1).astype(str) + "%"


def importance_display(analysis: ChurnAnalysis, lang: str = "en", top: int = 15) -> pd.DataFrame:
    """The ``top`` features by permutation importance, with readable names."""
    d = analysis.importance.head(top).copy()
    d["feature"] = [feature_label(f, lang) for f in d["feature"]]
    d = d.rename(columns={"feature": i18n.t("feature", lang), "group": i18n.t("feature_group", lang),
                          "importance": i18n.t("importance", lang), "importance_std": "±"})
    return d.round(4)


def warning_display(warning: pl.DataFrame, lang: str = "en", show_pii: bool = False,
                    top: int = 20) -> pd.DataFrame:
    """The first ``top`` rows of the warning list for a report: PII masked unless ``show_pii``."""
    from . import privacy

    cols = ["rank", "customer_id", "name", "company", "tier", "sales_rep", "churn_probability",
            "value", "revenue_at_risk", "reasons", "action"]
    d = privacy.mask_frame(warning.head(top).select([c for c in cols if c in warning.columns]),
                           show_pii=show_pii)
    d = d.with_columns(pl.col("churn_probability").round(3), pl.col("value").round(0),
                       pl.col("revenue_at_risk").round(0))
    pdf = d.to_pandas()
    return pdf.rename(columns=i18n.column_labels(pdf.columns, lang))


def risk_display(table: pl.DataFrame, lang: str = "en") -> pd.DataFrame:
    """Revenue at risk per group (output of :func:`revenue_at_risk_by`) for display."""
    pdf = table.with_columns(pl.col("revenue_at_risk").round(0), pl.col("churn_probability").round(3)) \
        .to_pandas()
    return pdf.rename(columns=i18n.column_labels(pdf.columns, lang))


_TEXT = {
    "definition": {
        "en": ("**Churn definition.** {explain}\n\n**Who is scored.** Customers with at least one purchase "
               "and a last purchase at most {lapsed} days before the date; those silent for longer have "
               "already churned by this definition and belong on a win-back list. At {as_of}: "
               "**{n:,} customers** are scored."),
        "zh": ("**流失定义。** {explain}\n\n**评分对象。** 至少购买过一次、且最近一次购买距评估日不超过 {lapsed} 天"
               "的客户;沉默更久的客户按此定义已经流失,应进入挽回名单而非预警名单。截至 {as_of},"
               "共 **{n:,} 位客户**参与评分。"),
    },
    "design": {
        "en": ("**How we test it (out of time).** The models learned from customers as they were on "
               "{train} (did they buy in the following {N} days?), {train_n:,} examples, {train_rate:.0%} "
               "churned. They were then tested on a later date they never saw, {test}, predicting "
               "{test_n:,} customers' next {N} days up to {as_of} ({test_rate:.0%} churned). This is how the "
               "model will be used: trained on the past, judged on the future."),
        "zh": ("**检验方法(样本外时间验证)。** 模型从客户在 {train} 时的状态学习(之后 {N} 天内是否再购买),"
               "共 {train_n:,} 个样本,流失率 {train_rate:.0%};随后在模型从未见过的更晚日期 {test} 上检验,"
               "预测 {test_n:,} 位客户在此后 {N} 天(至 {as_of})是否流失(实际流失率 {test_rate:.0%})。"
               "这与实际使用方式一致:用过去训练,用未来检验。"),
    },
    "evaluation": {
        "en": ("**Result.** Ranked by the model, the riskiest 10% of customers churned {lift:.1f} times as "
               "often as average (the best baseline: {base_lift:.1f} times); the ROC AUC is {auc:.2f} against "
               "{base_auc:.2f} for the best baseline (0.5 is a coin toss, 1 is perfect). {verdict}"),
        "zh": ("**结果。** 按模型排序,风险最高的 10% 客户的流失率是平均水平的 {lift:.1f} 倍"
               "(最好的基线为 {base_lift:.1f} 倍);ROC AUC 为 {auc:.2f},最好的基线为 {base_auc:.2f}"
               "(0.5 相当于抛硬币,1 为完美)。{verdict}"),
    },
    "better": {"en": "The model adds value over the simple rules.",
               "zh": "模型比简单规则更有价值。"},
    "worse": {"en": ("The model does **not** beat the simple rules on this data; use the baseline ranking "
                     "(days since last purchase) until more history or service data is available."),
              "zh": "在这份数据上模型**没有**超过简单规则;在积累更多历史或服务数据之前,建议按“距上次购买天数”排序。"},
    "threshold": {
        "en": ("**Warning threshold.** A customer is flagged when the churn probability is at least "
               "{t:.2f} ({why}). Applied the same way at the test date, it flagged {flag:,} customers, of whom {tp:,} did churn ({prec:.0%}); it caught "
               "{rec:.0%} of all churners."),
        "zh": ("**预警阈值。** 流失概率不低于 {t:.2f} 的客户被列入预警({why})。"
               "按同样规则,在检验日共预警 {flag:,} 位客户,其中 {tp:,} 位确实流失({prec:.0%}),"
               "覆盖了全部流失客户的 {rec:.0%}。"),
    },
    "calibration": {
        "en": ("**Calibration.** The Brier score is {brier:.3f} (lower is better). When the points lie on the "
               "diagonal, a probability of 40% means about 40 in 100 such customers churn."),
        "zh": "**校准。** Brier 分数为 {brier:.3f}(越低越好)。点越接近对角线,概率越可信:40% 的概率意味着约 100 位类似客户中有 40 位流失。",
    },
    "drivers": {
        "en": ("**What drives the risk.** Shuffling a feature on the test date and measuring how much the "
               "ROC AUC drops shows how much the model relies on it. The top three: {top}."),
        "zh": "**风险来自哪里。** 在检验日打乱某一特征后 ROC AUC 下降越多,说明模型越依赖它。最重要的三项:{top}。",
    },
    "risk": {
        "en": ("**Revenue at risk.** {flag:,} customers are flagged today; churn probability x value adds up "
               "to **{risk}** at risk. Value is {basis}."),
        "zh": "**风险收入。** 今天共有 {flag:,} 位客户被预警;流失概率 x 客户价值合计 **{risk}**。客户价值口径:{basis}。",
    },
    "why_f1": {"en": "the value that balanced precision and recall best on the training data",
               "zh": "该值在训练数据上使精确率与召回率最平衡"},
    "why_share": {"en": "the riskiest {share:.0%} of the customers scored today: the share the retention "
                        "team can contact",
                  "zh": "即今天评分客户中风险最高的 {share:.0%},挽留团队能够联系的比例"},
    "basis_clv": {"en": "the CLV from step 03 (12-month revenue where a customer has none)",
                  "zh": "第 03 步的客户终身价值(缺失时用近12个月净销售额)"},
    "basis_rev": {"en": "net revenue of the last 12 months (step 03 CLV not available)",
                  "zh": "近12个月净销售额(未找到第 03 步的客户终身价值)"},
    "reasons": {
        "en": ("**Reasons** are rules read from the customer's own data (open complaints, silence longer than "
               "their usual purchase gap, low NPS, fewer visits, falling spend...), ranked by how much the "
               "model relies on the underlying feature. **Actions** follow the tier and the first reason."),
        "zh": ("**预警原因**由规则从客户自身数据读出(未解决投诉、沉默时间超过其通常购买间隔、NPS偏低、拜访减少、"
               "消费下降等),按模型对相应特征的依赖程度排序。**建议措施**依据客户等级与首要原因给出。"),
    },
}


def narrative(section: str, analysis: ChurnAnalysis, lang: str = "en",
              warning: pl.DataFrame | None = None) -> str:
    """A paragraph of plain-language explanation with the numbers filled in (Markdown).

    Sections: ``definition``, ``design``, ``evaluation``, ``threshold``, ``calibration``,
    ``drivers``, ``risk`` (needs ``warning``), ``reasons``.
    """
    if lang not in i18n.LANGS:
        raise UsageError(f"lang '{lang}' is not supported; use 'zh' or 'en'.")
    if section not in _TEXT or section in ("better", "worse", "basis_clv", "basis_rev", "why_f1",
                                           "why_share"):
        raise UsageError(f"unknown narrative section '{section}'.")
    a = analysis
    tpl = _TEXT[section][lang]
    if section == "definition":
        return tpl.format(explain=a.window.explain(lang), lapsed=a.lapsed_days, as_of=a.as_of,
                          n=a.scores.height)
    if section == "design":
        train = ", ".join(c.isoformat() for c in sorted(a.train_cutoffs))
        return tpl.format(train=train, N=a.window.days, train_n=a.train_size, train_rate=a.train_churn_rate,
                          test=a.test_cutoff, test_n=a.test_size, as_of=a.as_of, test_rate=a.test_churn_rate)
    m = a.model_kind
    bases = [s for s in ("recency", "p_alive") if s in set(a.evaluation["scorer"])]
    if section == "evaluation":
        base_auc = max(a.metric(b, "roc_auc") for b in bases)
        base_lift = max(a.metric(b, "lift_at_10") for b in bases)
        auc, lift = a.metric(m, "roc_auc"), a.metric(m, "lift_at_10")
        verdict = _TEXT["better" if auc > base_auc and lift > base_lift else "worse"][lang]
        return tpl.format(lift=lift, base_lift=base_lift, auc=auc, base_auc=base_auc, verdict=verdict)
    if section == "threshold":
        cm = a.confusion.to_numpy()
        flag, tp = int(cm[:, 1].sum()), int(cm[1, 1])
        why = (_TEXT["why_f1"][lang] if a.flag_share is None
               else _TEXT["why_share"][lang].format(share=a.flag_share))
        return tpl.format(t=a.threshold, why=why, flag=flag, tp=tp, prec=tp / flag if flag else 0.0,
                          rec=tp / max(int(cm[1].sum()), 1))
    if section == "calibration":
        return tpl.format(brier=a.metric(m, "brier"))
    if section == "drivers":
        sep = "、" if lang == "zh" else ", "
        return tpl.format(top=sep.join(feature_label(f, lang) for f in a.importance["feature"].head(3)))
    if section == "risk":
        if warning is None:
            raise UsageError("the 'risk' narrative needs the warning list (warning=...).")
        from .plots import fmt_money

        has_clv = "clv" in set(warning.get_column("value_source").unique().to_list())
        return tpl.format(flag=warning.height, risk=fmt_money(float(warning["revenue_at_risk"].sum()), lang),
                          basis=_TEXT["basis_clv" if has_clv else "basis_rev"][lang])
    return tpl
