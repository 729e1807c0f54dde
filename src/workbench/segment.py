"""Customer classification and tiering (客户分类与分级): ABC, RFM segments, lifecycle, tiers, clusters.

Every function here takes DataFrames (polars or pandas) and plain values and
returns polars DataFrames or plain values; nothing reads or writes files.  The
rules and their defaults are documented where they are applied and collected in
``docs/segmentation.md``; :class:`SegmentSettings` reads them from the
``segmentation:`` section of ``workbench.yaml``.

Pipeline (:func:`build_segments` runs it and returns the ``segments.parquet`` table):

1. :func:`customer_metrics` -- business RFM per customer as of a date.
2. :func:`abc_classify` / :func:`pareto_curve` -- ABC by cumulative revenue share.
3. :func:`rfm_scores` / :func:`assign_segments` -- 1..n scores and named segments.
4. :func:`lifecycle_stage` -- prospect, new, active, at risk, churned.
5. :class:`TierScorer` -- weighted percentile score cut into tiers A/B/C;
   :func:`tier_sensitivity` shows how stable the tiers are to the weights.
6. :class:`RFMClusterer` -- k-means on standardised log-RFM, k by silhouette.
7. :func:`tier_migration` -- transition matrices between two as-of dates.
8. :func:`segment_profile` / :func:`profile_crosstab` -- size, revenue, AOV by group.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date
from typing import Any

import numpy as np
import polars as pl

from . import i18n
from .errors import DataError, ModelError, UsageError
from .periods import parse_date

__all__ = [
    "DEFAULT_RULES",
    "DEFAULT_TIER_WEIGHTS",
    "LIFECYCLE_STAGES",
    "SEGMENT_ORDER",
    "Migration",
    "RFMClusterer",
    "SegmentSettings",
    "Segmentation",
    "TierScorer",
    "abc_classify",
    "assign_segments",
    "build_segments",
    "cluster_profiles",
    "customer_metrics",
    "key_results",
    "latest_nps",
    "lifecycle_stage",
    "pareto_curve",
    "pareto_cut_points",
    "profile_crosstab",
    "rfm_grid",
    "rfm_scores",
    "segment_profile",
    "segment_rules",
    "tier_migration",
    "tier_sensitivity",
    "with_attributes",
]

# --------------------------------------------------------------------------- labels

SEGMENT_ORDER = (
    "champions", "loyal", "potential_loyalist", "new", "promising", "need_attention",
    "about_to_sleep", "at_risk", "cant_lose", "hibernating", "lost",
)
LIFECYCLE_STAGES = ("prospect", "new", "active", "at_risk", "churned")

_SEGMENT_TEXT = {
    "champions": ("重要价值客户", "Champions",
                  "专属客户经理、优先服务、新品优先体验,邀请参与口碑推荐",
                  "Dedicated account manager, priority service, early access; ask for referrals"),
    "loyal": ("忠诚客户", "Loyal",
              "会员权益与交叉销售,定期回访保持关系",
              "Loyalty benefits and cross-selling; regular check-in visits"),
    "potential_loyalist": ("潜力客户", "Potential loyalist",
                           "推荐关联产品、会员计划,提升购买频次",
                           "Recommend related products and membership to raise purchase frequency"),
    "new": ("新客户", "New",
            "新客欢迎流程、使用指导,促成第二次购买",
            "Onboarding and product guidance; win the second purchase"),
    "promising": ("有望发展客户", "Promising",
                  "限时优惠与试用,建立品牌认知",
                  "Time-limited offers and trials to build awareness"),
    "need_attention": ("需关注客户", "Need attention",
                       "个性化推荐和限时活动,防止转为沉睡",
                       "Personalised offers and limited-time campaigns before they drift away"),
    "about_to_sleep": ("即将沉睡客户", "About to sleep",
                       "发送热门产品与优惠券,重新激活",
                       "Send popular products and coupons to reactivate"),
    "at_risk": ("流失风险客户", "At risk",
                "客户经理主动联系,了解原因并给出挽留方案",
                "Account manager reaches out, finds the reason, offers a retention plan"),
    "cant_lose": ("重要挽留客户", "Can't lose them",
                  "高层回访、专项挽回方案,避免转向竞争对手",
                  "Senior call-back and a dedicated win-back plan before they go to a competitor"),
    "hibernating": ("沉睡客户", "Hibernating",
                    "低成本触达(短信、公众号),推送相关产品",
                    "Low-cost reach (SMS, WeChat account) with relevant products"),
    "lost": ("已流失客户", "Lost",
             "仅做低成本召回,不再投入高成本资源",
             "Low-cost win-back only; no expensive resources"),
}

_LIFECYCLE_TEXT = {
    "prospect": ("潜在客户", "Prospect"),
    "new": ("新客户", "New"),
    "active": ("活跃客户", "Active"),
    "at_risk": ("风险客户", "At risk"),
    "churned": ("流失客户", "Churned"),
}

_LABELS: dict[str, dict[str, str]] = {
    "recency_days": {"zh": "距上次购买天数", "en": "Days since last purchase"},
    "monetary": {"zh": "消费金额(净额)", "en": "Monetary (net)"},
    "n_orders": {"zh": "订单数", "en": "Orders"},
    "purchase_days": {"zh": "购买天数", "en": "Purchase days"},
    "first_order_date": {"zh": "首次购买日期", "en": "First order"},
    "last_order_date": {"zh": "最近购买日期", "en": "Last order"},
    "tenure_days": {"zh": "客龄(天)", "en": "Tenure (days)"},
    "avg_order_value": {"zh": "平均订单金额", "en": "Average order value"},
    "gross_margin": {"zh": "毛利", "en": "Gross margin"},
    "nps": {"zh": "推荐意愿(NPS)", "en": "NPS (latest)"},
    "mean_gap_days": {"zh": "平均购买间隔(天)", "en": "Mean purchase gap (days)"},
    "abc_class": {"zh": "ABC分类", "en": "ABC class"},
    "r_score": {"zh": "R评分", "en": "R score"},
    "f_score": {"zh": "F评分", "en": "F score"},
    "m_score": {"zh": "M评分", "en": "M score"},
    "fm_score": {"zh": "FM评分", "en": "FM score"},
    "rfm_segment": {"zh": "RFM分群", "en": "RFM segment"},
    "lifecycle_stage": {"zh": "生命周期阶段", "en": "Lifecycle stage"},
    "tier_score": {"zh": "分级得分", "en": "Tier score"},
    "tier": {"zh": "客户等级", "en": "Tier"},
    "cluster": {"zh": "聚类", "en": "Cluster"},
    "customer_share": {"zh": "客户占比", "en": "Customer share"},
    "revenue": {"zh": "销售额", "en": "Revenue"},
    "revenue_share": {"zh": "销售额占比", "en": "Revenue share"},
    "mean_frequency": {"zh": "平均购买频率", "en": "Mean frequency"},
    "mean_recency_days": {"zh": "平均最近消费(天前)", "en": "Mean recency (days)"},
    "treatment": {"zh": "建议策略", "en": "Recommended treatment"},
    "label": {"zh": "名称", "en": "Name"},
    "description": {"zh": "画像", "en": "Profile"},
    "indicator": {"zh": "指标", "en": "Indicator"},
    "weight": {"zh": "权重", "en": "Weight"},
    "weight_up": {"zh": "上调后权重", "en": "Weight (up)"},
    "weight_down": {"zh": "下调后权重", "en": "Weight (down)"},
    "mean_monetary": {"zh": "平均消费金额", "en": "Mean revenue per customer"},
    "seg.slipped": {"zh": "等级下降的客户", "en": "Customers who slipped"},
    "seg.moved_up": {"zh": "等级上升的客户", "en": "Customers who moved up"},
    "changed_up": {"zh": "权重上调后变动人数", "en": "Customers changing tier (weight up)"},
    "changed_down": {"zh": "权重下调后变动人数", "en": "Customers changing tier (weight down)"},
    "changed_up_share": {"zh": "上调变动占比", "en": "Share changing (up)"},
    "changed_down_share": {"zh": "下调变动占比", "en": "Share changing (down)"},
    "threshold": {"zh": "最低得分", "en": "Minimum score"},
    "tier_before": {"zh": "期初等级", "en": "Tier before"},
    "tier_after": {"zh": "期末等级", "en": "Tier after"},
    "monetary_before": {"zh": "期初累计金额", "en": "Revenue to date (before)"},
    "monetary_after": {"zh": "期末累计金额", "en": "Revenue to date (after)"},
    "period_revenue": {"zh": "期间销售额", "en": "Revenue in the period"},
    "from": {"zh": "期初", "en": "From"},
    "seg.missing": {"zh": "(未填)", "en": "(missing)"},
    "state.prospect": {"zh": "潜在客户", "en": "prospect"},
    "state.new": {"zh": "新增", "en": "new"},
    "state.gone": {"zh": "已不在档案", "en": "gone"},
    "ind.monetary": {"zh": "销售额", "en": "Revenue"},
    "ind.frequency": {"zh": "购买频率", "en": "Frequency"},
    "ind.recency_days": {"zh": "最近一次消费", "en": "Recency"},
    "ind.tenure_days": {"zh": "客龄", "en": "Tenure"},
    "ind.gross_margin": {"zh": "毛利", "en": "Gross margin"},
    "ind.nps": {"zh": "推荐意愿(NPS)", "en": "NPS"},
    "lvl.spend.vhigh": {"zh": "极高消费", "en": "very high spend"},
    "lvl.spend.vlow": {"zh": "极低消费", "en": "very low spend"},
    "lvl.recency.vhigh": {"zh": "刚刚购买", "en": "very recent"},
    "lvl.recency.vlow": {"zh": "长期未购买", "en": "long lapsed"},
    "lvl.frequency.vhigh": {"zh": "极高频", "en": "very frequent"},
    "lvl.frequency.vlow": {"zh": "极低频", "en": "rare"},
    "lvl.spend.high": {"zh": "高消费", "en": "high spend"},
    "lvl.spend.mid": {"zh": "中等消费", "en": "average spend"},
    "lvl.spend.low": {"zh": "低消费", "en": "low spend"},
    "lvl.recency.high": {"zh": "近期有购买", "en": "recent"},
    "lvl.recency.mid": {"zh": "有一段时间未购买", "en": "a while since last purchase"},
    "lvl.recency.low": {"zh": "久未购买", "en": "lapsed"},
    "lvl.frequency.high": {"zh": "高频", "en": "frequent"},
    "lvl.frequency.mid": {"zh": "中频", "en": "regular"},
    "lvl.frequency.low": {"zh": "低频", "en": "occasional"},
}
for _k, (_zh, _en, _tzh, _ten) in _SEGMENT_TEXT.items():
    _LABELS[f"segment.{_k}"] = {"zh": _zh, "en": _en}
    _LABELS[f"treatment.{_k}"] = {"zh": _tzh, "en": _ten}
for _k, (_zh, _en) in _LIFECYCLE_TEXT.items():
    _LABELS[f"lifecycle.{_k}"] = {"zh": _zh, "en": _en}
for _c, (_zh, _en) in {"A": ("A类(重要客户)", "A (key)"), "B": ("B类(次重要客户)", "B (secondary)"),
                       "C": ("C类(一般客户)", "C (general)")}.items():
    _LABELS[f"abc.{_c}"] = {"zh": _zh, "en": _en}
i18n.register(_LABELS)
# Column names this module shares with others but means differently: purchase days and
# order counts here, repeat purchases (lifetimes) and the orders table elsewhere.
LABEL_NAMESPACE = "segment"
i18n.register({
    "frequency": {"zh": "消费频率", "en": "Frequency"},
    "orders": {"zh": "订单数", "en": "Orders"},
}, room=LABEL_NAMESPACE)

# --------------------------------------------------------------------------- settings

DEFAULT_TIER_WEIGHTS: dict[str, float] = {
    "monetary": 0.35,
    "frequency": 0.20,
    "recency_days": 0.20,
    "tenure_days": 0.10,
    "gross_margin": 0.10,
    "nps": 0.05,
}
# Indicators where a smaller value is better (scored on the negated value).
LOWER_IS_BETTER = ("recency_days",)


@dataclass(frozen=True)
class SegmentSettings:
    """Every rule of the segmentation, with its default (the ``segmentation:`` config section).

    Attributes:
        frequency_basis: ``"days"`` (default) counts distinct purchase days, like lifetimes
            (two orders on one day are one purchase occasion); ``"orders"`` counts orders.
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
        tier_cuts: tier -> share or minimum score, best tier first (default A 20%, B 30%, C 50%).
        k_min, k_max: range of cluster counts tried (default 3..8: the silhouette nearly always
            prefers 2 groups on RFM data, buyers vs one-off buyers, which says little).
        silhouette_sample: customers sampled to compute the silhouette (default 3000).
        random_state: seed of k-means and of the silhouette sample (default 0).
        sensitivity_delta: weight change (in weight points, 0.05 = 5 points) for
            :func:`tier_sensitivity` (default 0.05).
        migration_months: default distance in months of the earlier date of the tier
            migration (default 3).
        exclude_outliers: leave orders flagged ``is_outlier`` by the cleaning step out of
            the metrics (default True: one mistyped 5-million order would otherwise make
            its customer the company's top account); they are counted in the results.
        rules: segment rules (list of mappings, see :func:`segment_rules`); None = the
            default 11-segment map.
    """

    frequency_basis: str = "days"
    abc_shares: tuple[float, ...] = (0.7, 0.2, 0.1)
    n_scores: int = 5
    new_days: int = 90
    at_risk_days: int = 180
    churned_days: int = 365
    gap_multiplier: float = 2.0
    min_purchases_own_gap: int = 3
    tier_weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_TIER_WEIGHTS))
    tier_method: str = "share"
    tier_cuts: Mapping[str, float] = field(default_factory=lambda: {"A": 0.2, "B": 0.3, "C": 0.5})
    k_min: int = 3
    k_max: int = 8
    silhouette_sample: int = 3000
    random_state: int = 0
    sensitivity_delta: float = 0.05
    migration_months: int = 3
    exclude_outliers: bool = True
    rules: tuple[Mapping[str, Any], ...] | None = None

    def __post_init__(self):
        where = "segmentation settings"
        if self.frequency_basis not in ("days", "orders"):
            raise UsageError(f"{where}: frequency_basis '{self.frequency_basis}' must be 'days' or 'orders'.")
        _check_shares(self.abc_shares, f"{where}: abc_shares")
        if not (isinstance(self.n_scores, int) and 2 <= self.n_scores <= 10):
            raise UsageError(f"{where}: n_scores must be a whole number from 2 to 10, got {self.n_scores!r}.")
        if not 0 < self.at_risk_days < self.churned_days:
            raise UsageError(
                f"{where}: need 0 < at_risk_days ({self.at_risk_days}) < churned_days ({self.churned_days})."
            )
        if self.new_days < 0 or self.gap_multiplier <= 0 or self.min_purchases_own_gap < 2:
            raise UsageError(
                f"{where}: new_days must be >= 0, gap_multiplier > 0 and min_purchases_own_gap >= 2."
            )
        if not 2 <= self.k_min <= self.k_max:
            raise UsageError(f"{where}: need 2 <= k_min ({self.k_min}) <= k_max ({self.k_max}).")
        if self.migration_months < 1:
            raise UsageError(f"{where}: migration_months must be at least 1.")
        _check_cuts(self.tier_method, self.tier_cuts)
        _normalise_weights(self.tier_weights)

    @classmethod
    def from_mapping(cls, section: Mapping[str, Any] | None) -> SegmentSettings:
        """Build settings from the ``segmentation:`` section (unknown keys are an error)."""
        section = dict(section or {})
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(section) - known)
        if unknown:
            raise UsageError(
                f"workbench.yaml segmentation: unknown key(s) {unknown}; known keys are {sorted(known)}."
            )
        if "abc_shares" in section:
            section["abc_shares"] = tuple(float(x) for x in section["abc_shares"])
        if "rules" in section and section["rules"] is not None:
            section["rules"] = tuple(dict(r) for r in section["rules"])
        return cls(**section)


def _check_shares(shares: Sequence[float], what: str) -> None:
    if len(shares) < 2 or any(s <= 0 for s in shares) or abs(sum(shares) - 1) > 1e-6:
        raise UsageError(f"{what} {list(shares)} must be two or more positive shares that add up to 1.")


def _check_cuts(method: str, cuts: Mapping[str, float]) -> None:
    if method not in ("share", "score"):
        raise UsageError(f"tier method '{method}' must be 'share' or 'score'.")
    if len(cuts) < 2:
        raise UsageError(f"tier cuts {dict(cuts)} need at least two tiers (best first).")
    values = [float(v) for v in cuts.values()]
    if method == "share":
        _check_shares(values, "tier cuts (shares)")
    else:
        if any(b >= a for a, b in itertools.pairwise(values)) or values[-1] != 0 or values[0] > 100:
            raise UsageError(
                f"tier cuts (minimum scores) {dict(cuts)} must decrease from the best tier and end at 0 "
                f"(e.g. {{A: 70, B: 40, C: 0}})."
            )


def _normalise_weights(weights: Mapping[str, float]) -> dict[str, float]:
    if not weights:
        raise UsageError("tier weights are empty; give at least one indicator and its weight.")
    bad = {k: v for k, v in weights.items() if not isinstance(v, (int, float)) or v < 0}
    if bad:
        raise UsageError(f"tier weights {bad} must be numbers >= 0.")
    total = float(sum(weights.values()))
    if total <= 0:
        raise UsageError("tier weights add up to 0; give at least one positive weight.")
    return {k: float(v) / total for k, v in weights.items()}


# --------------------------------------------------------------------------- helpers


def _frame(df, what: str) -> pl.DataFrame:
    """Accept polars or pandas; return polars."""
    if isinstance(df, pl.DataFrame):
        return df
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover
        pd = None
    if pd is not None and isinstance(df, pd.DataFrame):
        return pl.from_pandas(df, include_index=False)
    raise UsageError(f"{what} must be a polars or pandas DataFrame, got {type(df).__name__}.")


def _require(df: pl.DataFrame, cols: Sequence[str], what: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise DataError(
            f"{what}: column(s) {missing} missing; the table has {df.columns}. "
            f"Pass the right column names or map the source columns in workbench.yaml."
        )


def _no_nulls(df: pl.DataFrame, cols: Sequence[str], what: str) -> None:
    for c in cols:
        n = df.get_column(c).null_count()
        if n:
            first = df.with_row_index("_row").filter(pl.col(c).is_null()).get_column("_row")[0]
            raise DataError(
                f"{what}.{c}: {n} row(s) are empty (first at row {first}); every row needs a value. "
                f"Run `workbench clean` or fill the column."
            )


def _as_date(value, what: str = "as_of") -> date:
    return parse_date(value, what)


def _to_date_col(df: pl.DataFrame, col: str, what: str) -> pl.DataFrame:
    dtype = df.schema[col]
    if dtype == pl.Date:
        return df
    if isinstance(dtype, pl.Datetime):
        return df.with_columns(pl.col(col).dt.date())
    raise DataError(f"{what}.{col} must hold dates, found type {dtype}; run `workbench clean` first.")


# --------------------------------------------------------------------------- 1. metrics


def customer_metrics(
    orders,
    customers=None,
    *,
    as_of,
    customer_id_col: str = "customer_id",
    date_col: str = "order_date",
    amount_col: str = "amount",
    status_col: str = "status",
    margin_col: str = "gross_margin",
    frequency_basis: str = "days",
    exclude_col: str | None = None,
) -> pl.DataFrame:
    """Business RFM per customer as of a date.

    Rules:

    - Only rows dated on or before ``as_of`` count.  Rows with status ``cancelled``
      are not purchases and add nothing (the cleaning step quarantines them anyway).
    - A *return* is a row with status ``returned`` or a negative amount: its absolute
      amount is subtracted from revenue (returns are netted); it is not a purchase.
    - Every other row is a *purchase*.
    - ``frequency`` is the number of distinct purchase days (``frequency_basis="days"``,
      the default, like lifetimes) or of purchase rows (``"orders"``).
    - ``recency_days`` = as_of - last purchase date; ``tenure_days`` = as_of - first
      purchase date; ``mean_gap_days`` = (last - first) / (purchase_days - 1) for
      customers with two or more purchase days.
    - ``monetary`` = net revenue (purchases minus returns); ``avg_order_value`` =
      monetary / n_orders.  ``gross_margin`` (sum, returns subtracted) when the column exists.
    - ``exclude_col``: a boolean column (e.g. ``is_outlier`` from the cleaning step);
      rows where it is true are left out.  The caller reports them
      (:func:`build_segments` does, in ``results['outliers_excluded']``).
    - With ``customers``, every customer in it is kept; customers without purchases
      (prospects) get frequency, n_orders and monetary 0 and null dates and recency.
      Customers that appear only in ``orders`` are kept as well.

    Args:
        orders: order rows (polars or pandas).
        customers: the customer archive, to keep prospects (optional).
        as_of: the date of the analysis.
        customer_id_col, date_col, amount_col, status_col, margin_col: column names.
        frequency_basis: ``"days"`` or ``"orders"``.
        exclude_col: boolean column marking rows to leave out (None keeps every row).

    Returns:
        One row per customer, sorted by customer id: ``customer_id, n_orders,
        purchase_days, frequency, monetary, returns, first_order_date, last_order_date,
        recency_days, tenure_days, mean_gap_days, avg_order_value`` (+ ``gross_margin``).
    """
    if frequency_basis not in ("days", "orders"):
        raise UsageError(f"frequency_basis '{frequency_basis}' must be 'days' or 'orders'.")
    day = _as_date(as_of)
    o = _frame(orders, "orders")
    _require(o, [customer_id_col, date_col, amount_col], "orders")
    _no_nulls(o, [customer_id_col, date_col, amount_col], "orders")
    o = _to_date_col(o, date_col, "orders")
    o = o.filter(pl.col(date_col) <= day)
    if exclude_col is not None:
        _require(o, [exclude_col], "orders")
        o = o.filter(~pl.col(exclude_col).fill_null(False))
    status = pl.col(status_col) if status_col in o.columns else pl.lit("completed")
    cancelled = status.fill_null("") == "cancelled"
    is_return = (status.fill_null("") == "returned") | (pl.col(amount_col) < 0)
    o = o.filter(~cancelled).with_columns(
        _ret=is_return,
        _value=pl.when(is_return).then(-pl.col(amount_col).abs()).otherwise(pl.col(amount_col)),
    )
    purchase = ~pl.col("_ret")
    aggs = [
        purchase.sum().cast(pl.Int64).alias("n_orders"),
        pl.col(date_col).filter(purchase).n_unique().cast(pl.Int64).alias("purchase_days"),
        pl.col("_value").sum().alias("monetary"),
        (-pl.col("_value").filter(pl.col("_ret")).sum()).alias("returns"),
        pl.col(date_col).filter(purchase).min().alias("first_order_date"),
        pl.col(date_col).filter(purchase).max().alias("last_order_date"),
    ]
    has_margin = margin_col in o.columns
    if has_margin:
        margin_value = pl.when(pl.col("_ret")).then(-pl.col(margin_col).abs()).otherwise(pl.col(margin_col))
        aggs.append(margin_value.sum().alias("gross_margin"))
    m = o.group_by(customer_id_col).agg(aggs)
    if customers is not None:
        c = _frame(customers, "customers")
        _require(c, [customer_id_col], "customers")
        _no_nulls(c, [customer_id_col], "customers")
        ids = c.select(pl.col(customer_id_col).cast(m.schema[customer_id_col])).unique()
        m = ids.join(m, on=customer_id_col, how="full", coalesce=True)
    m = m.with_columns(
        pl.col("n_orders").fill_null(0),
        pl.col("purchase_days").fill_null(0),
        pl.col("monetary").fill_null(0.0),
        pl.col("returns").fill_null(0.0),
        *([pl.col("gross_margin").fill_null(0.0)] if has_margin else []),
    )
    as_of_lit = pl.lit(day)
    m = m.with_columns(
        (pl.col("purchase_days") if frequency_basis == "days" else pl.col("n_orders")).alias("frequency"),
        (as_of_lit - pl.col("last_order_date")).dt.total_days().cast(pl.Int64).alias("recency_days"),
        (as_of_lit - pl.col("first_order_date")).dt.total_days().cast(pl.Int64).alias("tenure_days"),
        pl.when(pl.col("purchase_days") >= 2)
        .then((pl.col("last_order_date") - pl.col("first_order_date")).dt.total_days()
              / (pl.col("purchase_days") - 1))
        .otherwise(None).alias("mean_gap_days"),
        pl.when(pl.col("n_orders") > 0).then(pl.col("monetary") / pl.col("n_orders"))
        .otherwise(None).alias("avg_order_value"),
    )
    cols = [customer_id_col, "n_orders", "purchase_days", "frequency", "monetary", "returns",
            "first_order_date", "last_order_date", "recency_days", "tenure_days", "mean_gap_days",
            "avg_order_value"] + (["gross_margin"] if has_margin else [])
    return m.select(cols).sort(customer_id_col)


def latest_nps(surveys, *, as_of=None, customer_id_col: str = "customer_id",
               date_col: str = "survey_date", nps_col: str = "nps") -> pl.DataFrame:
    """The latest NPS answer (0-10) of each customer on or before ``as_of``.

    Empty NPS answers are skipped (the latest *given* answer counts); on one date with
    several answers the highest survey row wins deterministically (the mean is taken).
    Returns ``customer_id, nps`` (float).
    """
    s = _frame(surveys, "surveys")
    _require(s, [customer_id_col, date_col, nps_col], "surveys")
    s = _to_date_col(s, date_col, "surveys").filter(pl.col(nps_col).is_not_null())
    if as_of is not None:
        s = s.filter(pl.col(date_col) <= _as_date(as_of))
    last = s.group_by(customer_id_col).agg(pl.col(date_col).max().alias("_last"))
    return (s.join(last, on=customer_id_col)
            .filter(pl.col(date_col) == pl.col("_last"))
            .group_by(customer_id_col).agg(pl.col(nps_col).cast(pl.Float64).mean().alias("nps"))
            .sort(customer_id_col))


# --------------------------------------------------------------------------- 2. ABC


def _class_names(n: int) -> list[str]:
    return [chr(ord("A") + i) for i in range(n)]


def abc_classify(metrics, *, shares: Sequence[float] = (0.7, 0.2, 0.1),
                 value_col: str = "monetary", customer_id_col: str = "customer_id",
                 frequency_col: str | None = "frequency") -> pl.DataFrame:
    """ABC classification by cumulative revenue share (ABC分类法).

    Customers are sorted by ``value_col`` (largest first; ties by customer id).  With
    the default shares 70/20/10, class A holds the top customers until their
    cumulative share of revenue *reaches* 70%: the customer whose revenue crosses the
    cut belongs to the higher class (so A is never empty).  B continues to 90%; the
    rest is C.  Shares are of the total *positive* revenue; customers with zero or
    negative net revenue are C.  Customers with no purchase (``frequency_col`` = 0,
    prospects) get no class (null).

    Returns the input with ``abc_class``, ``revenue_rank`` (1 = largest) and
    ``cum_revenue_share`` added, in the input's order.
    """
    _check_shares(shares, "abc shares")
    m = _frame(metrics, "metrics")
    _require(m, [customer_id_col, value_col], "metrics")
    names = _class_names(len(shares))
    cuts = np.cumsum(shares)[:-1]
    purchaser = (pl.col(frequency_col) > 0) if frequency_col and frequency_col in m.columns else pl.lit(True)
    m = m.with_row_index("_pos")
    ranked = (m.filter(purchaser)
              .sort([value_col, customer_id_col], descending=[True, False], nulls_last=True)
              .with_row_index("revenue_rank", offset=1))
    positive = ranked.get_column(value_col).fill_null(0).clip(lower_bound=0).to_numpy().astype(float)
    total = positive.sum()
    cum = np.cumsum(positive) / total if total > 0 else np.zeros_like(positive)
    before = np.concatenate([[0.0], cum[:-1]])
    # class index = number of cuts already reached before this customer is added
    idx = np.searchsorted(cuts - 1e-12, before, side="right")
    labels = np.array(names, dtype=object)[np.minimum(idx, len(names) - 1)]
    labels = np.where(positive > 0, labels, names[-1])
    ranked = ranked.with_columns(
        pl.Series("abc_class", labels.tolist(), dtype=pl.String),
        pl.Series("cum_revenue_share", cum),
        pl.col("revenue_rank").cast(pl.Int64),
    ).select("_pos", "abc_class", "revenue_rank", "cum_revenue_share")
    return m.join(ranked, on="_pos", how="left").sort("_pos").drop("_pos")


def pareto_curve(metrics, *, value_col: str = "monetary", customer_id_col: str = "customer_id",
                 frequency_col: str | None = "frequency") -> pl.DataFrame:
    """Pareto (Lorenz-style) curve: cumulative customer share vs cumulative revenue share.

    Customers with a purchase, sorted by revenue, largest first; negative net revenue
    counts as 0.  The first row is (0, 0).  Columns: ``customers`` (count so far),
    ``customer_share``, ``revenue_share``.
    """
    m = _frame(metrics, "metrics")
    _require(m, [customer_id_col, value_col], "metrics")
    if frequency_col and frequency_col in m.columns:
        m = m.filter(pl.col(frequency_col) > 0)
    v = (m.sort([value_col, customer_id_col], descending=[True, False], nulls_last=True)
         .get_column(value_col).fill_null(0).clip(lower_bound=0).to_numpy().astype(float))
    n = len(v)
    if n == 0:
        raise DataError("pareto_curve: no customer with a purchase as of this date, so there is no curve.")
    total = v.sum()
    rev = np.concatenate([[0.0], np.cumsum(v) / total if total > 0 else np.zeros(n)])
    k = np.arange(n + 1)
    return pl.DataFrame({"customers": k, "customer_share": k / n, "revenue_share": rev})


def pareto_cut_points(pareto, shares: Sequence[float] = (0.7, 0.2, 0.1)) -> pl.DataFrame:
    """Where the ABC cuts fall on the Pareto curve.

    For each class except the last: the cumulative revenue share of the cut
    (0.7, 0.9) and the share of customers needed to reach it (the first point of the
    curve at or above the cut), e.g. "20% of customers make 70% of revenue".
    Columns: ``abc_class, revenue_share, customer_share, customers``.
    """
    _check_shares(shares, "abc shares")
    p = _frame(pareto, "pareto")
    _require(p, ["customers", "customer_share", "revenue_share"], "pareto")
    rev = p.get_column("revenue_share").to_numpy()
    rows = []
    for name, cut in zip(_class_names(len(shares)), np.cumsum(shares)[:-1], strict=False):
        i = int(np.searchsorted(rev, cut - 1e-12, side="left"))
        i = min(i, len(rev) - 1)
        rows.append({"abc_class": name, "revenue_share": round(float(cut), 10),
                     "customer_share": float(p.get_column("customer_share")[i]),
                     "customers": int(p.get_column("customers")[i])})
    return pl.DataFrame(rows)


# --------------------------------------------------------------------------- 3. RFM


def _level_scores(values: np.ndarray, n: int, higher_is_better: bool) -> np.ndarray:
    """Score = 1 + floor(n * (customers with a strictly worse value) / N); ties share a score."""
    x = values if higher_is_better else -values
    s = np.sort(x)
    worse = np.searchsorted(s, x, side="left")
    return (1 + np.floor(n * worse / len(x) + 1e-9)).astype(np.int64).clip(1, n)


def rfm_scores(metrics, *, n: int = 5, customer_id_col: str = "customer_id",
               recency_col: str = "recency_days", frequency_col: str = "frequency",
               monetary_col: str = "monetary") -> pl.DataFrame:
    """R, F and M scores from 1 (worst) to ``n`` (best), rank based and robust to ties.

    For each customer with a purchase (frequency > 0), the score is
    ``1 + floor(n * w / N)`` where ``w`` counts customers with a *strictly worse* value
    and ``N`` the customers scored.  With distinct values this gives equal-sized
    groups (quintiles for n = 5); equal values always get the same score (so when 60%
    of customers bought once, they all get F = 1 and F = 2, 3 stay empty rather than
    splitting identical customers arbitrarily).  Recency: fewer days is better.
    Customers without a purchase get null scores.

    Adds ``r_score, f_score, m_score`` and ``fm_score`` = round-half-up of (F + M) / 2.
    """
    m = _frame(metrics, "metrics")
    _require(m, [customer_id_col, recency_col, frequency_col, monetary_col], "metrics")
    m = m.with_row_index("_pos")
    p = m.filter(pl.col(frequency_col) > 0)
    if p.height:
        _no_nulls(p, [recency_col, monetary_col], "metrics")
    r = _level_scores(p.get_column(recency_col).to_numpy().astype(float), n, False)
    f = _level_scores(p.get_column(frequency_col).to_numpy().astype(float), n, True)
    mm = _level_scores(p.get_column(monetary_col).to_numpy().astype(float), n, True)
    sc = pl.DataFrame({
        "_pos": p.get_column("_pos"),
        "r_score": r, "f_score": f, "m_score": mm, "fm_score": (f + mm + 1) // 2,
    })
    return m.join(sc, on="_pos", how="left").sort("_pos").drop("_pos")


# Default 11-segment map on R (rows) and FM (cols), for n = 5.  First matching rule wins.
#          FM=1         FM=2            FM=3            FM=4         FM=5
#   R=5    new          potential       potential       champions    champions
#   R=4    promising    potential       loyal           champions    champions
#   R=3    promising    need_attention  need_attention  loyal        loyal
#   R=2    about_sleep  about_sleep     at_risk         at_risk      cant_lose
#   R=1    lost         hibernating     at_risk         cant_lose    cant_lose
DEFAULT_RULES: tuple[dict[str, Any], ...] = tuple(
    {"segment": s, "r_min": a, "r_max": b, "fm_min": c, "fm_max": d}
    for s, a, b, c, d in (
        ("champions", 4, 5, 4, 5),
        ("loyal", 3, 3, 4, 5),
        ("loyal", 4, 4, 3, 3),
        ("potential_loyalist", 4, 5, 2, 3),
        ("new", 5, 5, 1, 1),
        ("promising", 3, 4, 1, 1),
        ("need_attention", 3, 3, 2, 3),
        ("about_to_sleep", 2, 2, 1, 2),
        ("cant_lose", 1, 1, 4, 5),
        ("cant_lose", 2, 2, 5, 5),
        ("at_risk", 1, 2, 3, 4),
        ("hibernating", 1, 1, 2, 2),
        ("lost", 1, 1, 1, 1),
    )
)


def segment_rules(rules: Sequence[Mapping[str, Any]] | None = None, n: int = 5) -> pl.DataFrame:
    """The segment rule table, checked: every (R, FM) cell of 1..n x 1..n must be covered.

    Each rule is ``{segment, r_min, r_max, fm_min, fm_max}`` (inclusive bounds) with
    optional ``label_zh, label_en, treatment_zh, treatment_en`` (the built-in
    segments have them already).  Rules are tried in order; the first match wins.
    Returns the rules with labels and treatments filled in.
    """
    rules = list(rules if rules is not None else DEFAULT_RULES)
    if (rules is DEFAULT_RULES or rules == list(DEFAULT_RULES)) and n != 5:
        raise UsageError(
            f"the default segment rules are for 5 score levels, not {n}; give your own "
            f"segmentation.rules in workbench.yaml or use n_scores: 5."
        )
    rows = []
    for i, r in enumerate(rules):
        missing = [k for k in ("segment", "r_min", "r_max", "fm_min", "fm_max") if k not in r]
        if missing:
            raise UsageError(f"segment rule {i + 1} ({dict(r)}) lacks {missing}.")
        seg = str(r["segment"])
        lo_hi = [int(r[k]) for k in ("r_min", "r_max", "fm_min", "fm_max")]
        if not (1 <= lo_hi[0] <= lo_hi[1] <= n and 1 <= lo_hi[2] <= lo_hi[3] <= n):
            raise UsageError(f"segment rule {i + 1} ({seg}): bounds must satisfy 1 <= min <= max <= {n}.")
        text = _SEGMENT_TEXT.get(seg)
        row = {"segment": seg, "r_min": lo_hi[0], "r_max": lo_hi[1], "fm_min": lo_hi[2], "fm_max": lo_hi[3]}
        for j, k in enumerate(("label_zh", "label_en", "treatment_zh", "treatment_en")):
            value = r.get(k) or (text[j] if text else None)
            if value is None:
                raise UsageError(f"segment rule {i + 1} ({seg}) is a new segment, so it needs '{k}'.")
            row[k] = str(value)
        rows.append(row)
    table = pl.DataFrame(rows)
    uncovered = [(rs, fm) for rs in range(1, n + 1) for fm in range(1, n + 1)
                 if not any(x["r_min"] <= rs <= x["r_max"] and x["fm_min"] <= fm <= x["fm_max"] for x in rows)]
    if uncovered:
        raise UsageError(
            f"segment rules leave {len(uncovered)} (R, FM) cell(s) without a segment, e.g. "
            f"{uncovered[:5]}; add rules so every cell from 1 to {n} is covered."
        )
    for row in table.unique("segment", keep="first").iter_rows(named=True):
        i18n.register({f"segment.{row['segment']}": {"zh": row["label_zh"], "en": row["label_en"]},
                       f"treatment.{row['segment']}": {"zh": row["treatment_zh"], "en": row["treatment_en"]}})
    return table


def assign_segments(scores, rules=None, *, n: int = 5) -> pl.DataFrame:
    """Name each customer's RFM segment from ``r_score`` and ``fm_score`` (first matching rule).

    ``rules``: a rule table from :func:`segment_rules`, a list of rule mappings, or
    None for the default 11-segment map.  Adds ``rfm_segment`` (the segment key, e.g.
    ``champions``; labels via ``workbench.i18n.t('segment.<key>', lang)``); null for
    customers without scores.
    """
    s = _frame(scores, "scores")
    _require(s, ["r_score", "fm_score"], "scores")
    table = rules if isinstance(rules, pl.DataFrame) else segment_rules(rules, n)
    rows = table.iter_rows(named=True)
    ordered = list(rows)
    cells = {}
    for rs in range(1, n + 1):
        for fm in range(1, n + 1):
            for x in ordered:
                if x["r_min"] <= rs <= x["r_max"] and x["fm_min"] <= fm <= x["fm_max"]:
                    cells[(rs, fm)] = x["segment"]
                    break
    lookup = pl.DataFrame({
        "r_score": [k[0] for k in cells], "fm_score": [k[1] for k in cells],
        "rfm_segment": list(cells.values()),
    }, schema={"r_score": pl.Int64, "fm_score": pl.Int64, "rfm_segment": pl.String})
    s = s.with_row_index("_pos")
    out = s.join(lookup, on=["r_score", "fm_score"], how="left").sort("_pos").drop("_pos")
    return out


def rfm_grid(table, *, value: str = "customers", n: int = 5, row: str = "r_score",
             col: str = "f_score") -> pl.DataFrame:
    """An R x F grid (rows ``row`` = n..1, columns 1..n) of customers or mean monetary.

    ``value``: ``"customers"`` (count per cell, 0 when empty) or ``"monetary"`` (mean
    net revenue per cell, null when empty).  First column ``row``; then ``"1"``..``"n"``.
    """
    t = _frame(table, "table")
    _require(t, [row, col, "monetary"], "table")
    if value not in ("customers", "monetary"):
        raise UsageError(f"rfm_grid value '{value}' must be 'customers' or 'monetary'.")
    t = t.filter(pl.col(row).is_not_null() & pl.col(col).is_not_null())
    agg = pl.len().cast(pl.Float64) if value == "customers" else pl.col("monetary").mean()
    g = {(r[row], r[col]): r["_v"] for r in t.group_by(row, col).agg(agg.alias("_v")).iter_rows(named=True)}
    empty = 0.0 if value == "customers" else None
    data: dict[str, list] = {row: list(range(n, 0, -1))}
    for c in range(1, n + 1):
        data[str(c)] = [g.get((r, c), empty) for r in range(n, 0, -1)]
    return pl.DataFrame(data, schema={row: pl.Int64, **{str(c): pl.Float64 for c in range(1, n + 1)}})


# --------------------------------------------------------------------------- 4. lifecycle


def lifecycle_stage(metrics, *, new_days: int = 90, at_risk_days: int = 180, churned_days: int = 365,
                    gap_multiplier: float = 2.0, min_purchases_own_gap: int = 3) -> pl.DataFrame:
    """Lifecycle stage at the as-of date of ``metrics`` (潜在、新、活跃、风险、流失).

    Rules, applied in this order (first match wins):

    1. ``prospect``: no purchase yet (purchase_days = 0).
    2. ``churned``: no purchase for more than ``churned_days`` (recency_days > 365).
    3. ``new``: first purchase at most ``new_days`` ago (tenure_days <= 90).
    4. ``at_risk``: recency_days > ``at_risk_days`` (180), or recency_days >
       ``gap_multiplier`` (2) x the typical purchase gap.  The typical gap is the
       customer's own mean gap when they have at least ``min_purchases_own_gap`` (3)
       purchase days, else the population's median of mean gaps (over customers with
       two or more purchase days).
    5. ``active``: everyone else.

    Needs ``purchase_days, recency_days, tenure_days, mean_gap_days`` (from
    :func:`customer_metrics`).  Adds ``typical_gap_days``, ``at_risk_after_days``
    (the recency beyond which the customer counts as at risk) and ``lifecycle_stage``.
    """
    m = _frame(metrics, "metrics")
    _require(m, ["purchase_days", "recency_days", "tenure_days", "mean_gap_days"], "metrics")
    if not 0 < at_risk_days < churned_days:
        raise UsageError(f"need 0 < at_risk_days ({at_risk_days}) < churned_days ({churned_days}).")
    pop_gap = m.filter(pl.col("purchase_days") >= 2).get_column("mean_gap_days").median()
    own = pl.col("purchase_days") >= min_purchases_own_gap
    typical = pl.when(own).then(pl.col("mean_gap_days")).otherwise(
        pl.lit(pop_gap, dtype=pl.Float64) if pop_gap is not None else pl.lit(None, dtype=pl.Float64))
    m = m.with_columns(typical.alias("typical_gap_days"))
    limit = pl.min_horizontal(pl.lit(float(at_risk_days)), gap_multiplier * pl.col("typical_gap_days"))
    m = m.with_columns(
        pl.when(pl.col("purchase_days") > 0).then(limit).otherwise(None).alias("at_risk_after_days"))
    stage = (
        pl.when(pl.col("purchase_days") == 0).then(pl.lit("prospect"))
        .when(pl.col("recency_days") > churned_days).then(pl.lit("churned"))
        .when(pl.col("tenure_days") <= new_days).then(pl.lit("new"))
        .when(pl.col("recency_days") > pl.col("at_risk_after_days")).then(pl.lit("at_risk"))
        .otherwise(pl.lit("active"))
    )
    return m.with_columns(stage.alias("lifecycle_stage"))


# --------------------------------------------------------------------------- 5. tiers


def _percentile_scores(ref_sorted: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Mid-rank percentile: 100 * (below + 0.5 * equal) / N against a sorted reference."""
    lo = np.searchsorted(ref_sorted, x, side="left")
    hi = np.searchsorted(ref_sorted, x, side="right")
    return 100.0 * (lo + 0.5 * (hi - lo)) / len(ref_sorted)


class TierScorer:
    """Weighted-score tiering (评分法 + 加权法): percentile scores, weights, cuts into tiers.

    1. Each indicator is scored 0-100 as a mid-rank percentile against the customers
       seen in :meth:`fit`: ``100 * (below + 0.5 * equal) / N`` (with 10 distinct values
       the scores are 5, 15, ..., 95; equal values get equal scores).  Indicators in
       ``lower_is_better`` (recency) are scored on the negated value.
    2. ``tier_score`` = weighted mean of the indicator scores.  Weights are normalised
       to sum 1.  An indicator whose column is missing or entirely empty drops out and
       the remaining weights are renormalised (listed in ``dropped_``).  A customer
       lacking one indicator (e.g. no survey answer, so no NPS) is scored on the
       indicators they have, with those weights renormalised for them.
    3. Tiers: with ``method="share"`` the cuts are shares of customers, best tier first
       (default A 20%, B 30%, C 50%): the best tier's threshold is the score of the
       customer at position round(0.2 N) from the top, and so on; customers tied with
       the threshold go to the better tier.  With ``method="score"`` the cuts are the
       minimum scores themselves (e.g. ``{A: 70, B: 40, C: 0}``).

    Learned attributes: ``weights_`` (normalised, used), ``dropped_``, ``references_``
    (sorted values per indicator), ``thresholds_`` (tier -> minimum score), ``n_``.
    """

    def __init__(self, weights: Mapping[str, float] | None = None,
                 cuts: Mapping[str, float] | None = None, method: str = "share",
                 customer_id_col: str = "customer_id",
                 lower_is_better: Sequence[str] = LOWER_IS_BETTER):
        self.weights = dict(weights) if weights is not None else dict(DEFAULT_TIER_WEIGHTS)
        self.cuts = dict(cuts) if cuts is not None else {"A": 0.2, "B": 0.3, "C": 0.5}
        self.method = method
        self.customer_id_col = customer_id_col
        self.lower_is_better = tuple(lower_is_better)

    # scikit-learn style parameter access
    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return {"weights": self.weights, "cuts": self.cuts, "method": self.method,
                "customer_id_col": self.customer_id_col, "lower_is_better": self.lower_is_better}

    def set_params(self, **params) -> TierScorer:
        """Change parameters (scikit-learn convention); refit afterwards."""
        for key, value in params.items():
            if key not in self.get_params():
                raise UsageError(f"TierScorer has no parameter '{key}'; it has {sorted(self.get_params())}.")
            setattr(self, key, value)
        return self

    def _oriented(self, df: pl.DataFrame, col: str) -> np.ndarray:
        x = df.get_column(col).cast(pl.Float64).to_numpy().astype(float)
        return -x if col in self.lower_is_better else x

    def fit(self, features) -> TierScorer:
        """Learn the reference distributions and the tier thresholds from ``features``."""
        _check_cuts(self.method, self.cuts)
        raw = _normalise_weights(self.weights)
        df = _frame(features, "features")
        _require(df, [self.customer_id_col], "features")
        if df.height == 0:
            raise DataError("tier scoring: no customers to score (features is empty).")
        used, dropped = {}, []
        for col, w in raw.items():
            if w == 0:
                continue
            if col not in df.columns or df.get_column(col).null_count() == df.height:
                dropped.append(col)
            else:
                used[col] = w
        if not used:
            raise DataError(
                f"tier scoring: none of the weighted indicators {list(raw)} is present in the data "
                f"(columns: {df.columns})."
            )
        total = sum(used.values())
        self.weights_ = {k: v / total for k, v in used.items()}
        self.dropped_ = dropped
        self.references_ = {}
        for col in self.weights_:
            x = self._oriented(df, col)
            self.references_[col] = np.sort(x[~np.isnan(x)])
        self.n_ = df.height
        scores = self._score(df).get_column("tier_score").to_numpy()
        tiers = list(self.cuts)
        if self.method == "score":
            self.thresholds_ = {t: float(v) for t, v in self.cuts.items()}
        else:
            desc = np.sort(scores)[::-1]
            cum = np.cumsum([float(v) for v in self.cuts.values()])
            thresholds = {}
            for t, c in zip(tiers[:-1], cum[:-1], strict=True):
                k = math.floor(c * len(desc) + 0.5 + 1e-9)
                thresholds[t] = float(desc[k - 1]) if k >= 1 else math.inf
            thresholds[tiers[-1]] = 0.0
            self.thresholds_ = thresholds
        return self

    def _score(self, df: pl.DataFrame) -> pl.DataFrame:
        n = df.height
        num = np.zeros(n)
        den = np.zeros(n)
        cols = {self.customer_id_col: df.get_column(self.customer_id_col)}
        for col, w in self.weights_.items():
            if col not in df.columns:
                raise DataError(f"tier scoring: column '{col}' was used in fit but is missing now.")
            x = self._oriented(df, col)
            ok = ~np.isnan(x)
            s = np.full(n, np.nan)
            s[ok] = _percentile_scores(self.references_[col], x[ok])
            cols[f"score_{col}"] = s
            num[ok] += w * s[ok]
            den[ok] += w
        if (den == 0).any():
            row = int(np.argmax(den == 0))
            raise DataError(
                f"tier scoring: customer {df.get_column(self.customer_id_col)[row]} (row {row}) has none "
                f"of the indicators {list(self.weights_)}; fill at least one."
            )
        out = pl.DataFrame(cols).with_columns(
            [pl.col(f"score_{c}").fill_nan(None) for c in self.weights_])
        return out.with_columns(pl.Series("tier_score", num / den))

    def transform(self, features) -> pl.DataFrame:
        """``customer_id, score_<indicator>..., tier_score, tier`` for each row of ``features``."""
        if not hasattr(self, "thresholds_"):
            raise UsageError("TierScorer is not fitted yet; call fit(features) first.")
        out = self._score(_frame(features, "features"))
        expr = None
        for t, thr in self.thresholds_.items():
            cond = pl.col("tier_score") >= (thr - 1e-9)
            expr = pl.when(cond).then(pl.lit(t)) if expr is None else expr.when(cond).then(pl.lit(t))
        return out.with_columns(expr.otherwise(pl.lit(list(self.thresholds_)[-1])).alias("tier"))

    def fit_transform(self, features) -> pl.DataFrame:
        """:meth:`fit` then :meth:`transform` on the same data."""
        return self.fit(features).transform(features)

    def weights_table(self) -> pl.DataFrame:
        """The weights used (after dropping and renormalising), as ``indicator, weight``."""
        return pl.DataFrame({"indicator": list(self.weights_), "weight": list(self.weights_.values())})


def tier_sensitivity(features, *, weights: Mapping[str, float] | None = None,
                     cuts: Mapping[str, float] | None = None, method: str = "share",
                     delta: float = 0.05, customer_id_col: str = "customer_id") -> pl.DataFrame:
    """How many customers change tier when one weight moves by +/- ``delta``.

    For each indicator used, its normalised weight is moved by +``delta`` and by
    -``delta`` (weight points, floored at 0), all weights are renormalised to sum 1,
    the scorer is refitted (so share cuts keep their shares) and the tiers compared
    with the baseline.  Returns ``indicator, weight, weight_up, changed_up,
    changed_up_share, weight_down, changed_down, changed_down_share`` (weights are the
    moved indicator's weight after renormalising).
    """
    if not 0 < delta < 1:
        raise UsageError(f"sensitivity delta {delta} must be between 0 and 1 (e.g. 0.05 = 5 points).")
    base = TierScorer(weights, cuts, method, customer_id_col)
    base_tiers = base.fit_transform(features).get_column("tier")
    n = len(base_tiers)
    rows = []
    for ind, w in base.weights_.items():
        row = {"indicator": ind, "weight": w}
        for name, sign in (("up", 1), ("down", -1)):
            moved = dict(base.weights_)
            moved[ind] = max(w + sign * delta, 0.0)
            total = sum(moved.values())
            if total <= 0:
                row[f"weight_{name}"], row[f"changed_{name}"] = 0.0, 0
                row[f"changed_{name}_share"] = 0.0
                continue
            tiers = TierScorer(moved, cuts, method, customer_id_col).fit_transform(features).get_column("tier")
            changed = int((tiers != base_tiers).sum())
            row[f"weight_{name}"] = moved[ind] / total
            row[f"changed_{name}"] = changed
            row[f"changed_{name}_share"] = changed / n
        rows.append(row)
    return pl.DataFrame(rows).select("indicator", "weight", "weight_up", "changed_up", "changed_up_share",
                                     "weight_down", "changed_down", "changed_down_share")


# --------------------------------------------------------------------------- 6. clusters


class RFMClusterer:
    """k-means on standardised log-RFM features, with k chosen by the silhouette score.

    Features: ``log1p(recency_days)``, ``log1p(frequency)``, ``log1p(max(monetary, 0))``,
    each standardised (mean 0, sd 1).  For every k in ``k_range`` a k-means with
    ``n_init=10`` and ``random_state`` is fitted; the silhouette is computed on a random
    sample of at most ``silhouette_sample`` customers (the same sample for every k);
    the k with the highest silhouette wins (the smallest k on a tie).  Clusters are
    renumbered 0, 1, ... by mean monetary, highest first, so cluster 0 is always the
    highest-spending group.

    Learned attributes: ``k_``, ``silhouettes_`` (k -> score), ``scaler_``, ``model_``,
    ``labels_`` (of the fitted rows), ``order_`` (k-means label -> cluster number).
    """

    FEATURES = ("recency_days", "frequency", "monetary")

    def __init__(self, k_range: Sequence[int] = range(3, 9), random_state: int = 0,
                 silhouette_sample: int = 3000, n_init: int = 10):
        self.k_range = k_range
        self.random_state = random_state
        self.silhouette_sample = silhouette_sample
        self.n_init = n_init

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return {"k_range": self.k_range, "random_state": self.random_state,
                "silhouette_sample": self.silhouette_sample, "n_init": self.n_init}

    def set_params(self, **params) -> RFMClusterer:
        """Change parameters (scikit-learn convention); refit afterwards."""
        for key, value in params.items():
            if key not in self.get_params():
                raise UsageError(f"RFMClusterer has no parameter '{key}'; it has {sorted(self.get_params())}.")
            setattr(self, key, value)
        return self

    def _features(self, metrics) -> np.ndarray:
        m = _frame(metrics, "metrics")
        _require(m, list(self.FEATURES), "metrics")
        _no_nulls(m, list(self.FEATURES), "metrics (customers with a purchase)")
        r = m.get_column("recency_days").cast(pl.Float64).to_numpy()
        f = m.get_column("frequency").cast(pl.Float64).to_numpy()
        v = m.get_column("monetary").cast(pl.Float64).clip(lower_bound=0).to_numpy()
        return np.column_stack([np.log1p(r), np.log1p(f), np.log1p(v)])

    def fit(self, metrics) -> RFMClusterer:
        """Fit on customers with a purchase (rows of ``metrics``; null recency is an error)."""
        from sklearn.cluster import KMeans
        from sklearn.metrics import silhouette_score
        from sklearn.preprocessing import StandardScaler
        from threadpoolctl import threadpool_limits

        # One native thread: on a busy machine OpenMP threads spin and k-means gets ~50x slower;
        # the data here (three features) is far too small to gain from threads.
        with threadpool_limits(limits=1):
            return self._fit(metrics, KMeans, silhouette_score, StandardScaler)

    def _fit(self, metrics, KMeans, silhouette_score, StandardScaler) -> RFMClusterer:

        x = self._features(metrics)
        ks = sorted(int(k) for k in self.k_range)
        n = len(x)
        if not ks or ks[0] < 2:
            raise UsageError(f"k_range {list(self.k_range)} must hold cluster counts of 2 or more.")
        ks = [k for k in ks if k < n]
        distinct = len(np.unique(x, axis=0))
        if not ks or distinct < 2:
            raise ModelError(
                f"clustering needs more distinct customers than clusters: {n} customers "
                f"({distinct} distinct RFM profiles) for k in {list(self.k_range)}."
            )
        self.scaler_ = StandardScaler().fit(x)
        z = self.scaler_.transform(x)
        rng = np.random.default_rng(self.random_state)
        sample = rng.choice(n, size=self.silhouette_sample, replace=False) if n > self.silhouette_sample \
            else np.arange(n)
        self.silhouettes_, models = {}, {}
        for k in ks:
            if k >= distinct:
                break
            km = KMeans(n_clusters=k, n_init=self.n_init, random_state=self.random_state).fit(z)
            labels = km.labels_
            if len(np.unique(labels[sample])) < 2:
                continue
            self.silhouettes_[k] = float(silhouette_score(z[sample], labels[sample]))
            models[k] = km
        if not self.silhouettes_:
            raise ModelError("clustering: no k gave two or more clusters; the customers are too alike.")
        self.k_ = max(self.silhouettes_, key=lambda k: (self.silhouettes_[k], -k))
        self.model_ = models[self.k_]
        raw = self.model_.labels_
        means = [x[raw == j, 2].mean() for j in range(self.k_)]
        ranking = np.argsort(-np.asarray(means), kind="stable")
        self.order_ = {int(j): int(pos) for pos, j in enumerate(ranking)}
        self.labels_ = np.array([self.order_[int(j)] for j in raw], dtype=np.int64)
        return self

    def predict(self, metrics) -> np.ndarray:
        """Cluster number of each row of ``metrics``."""
        if not hasattr(self, "model_"):
            raise UsageError("RFMClusterer is not fitted yet; call fit(metrics) first.")
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1):
            raw = self.model_.predict(self.scaler_.transform(self._features(metrics)))
        return np.array([self.order_[int(j)] for j in raw], dtype=np.int64)


def _level(z: float) -> str:
    if z > 1.0:
        return "vhigh"
    if z > 0.35:
        return "high"
    if z < -1.0:
        return "vlow"
    return "low" if z < -0.35 else "mid"


def cluster_profiles(table, *, cluster_col: str = "cluster", lang: str = "en",
                     customer_id_col: str = "customer_id") -> pl.DataFrame:
    """Plain-language profile of each cluster, e.g. "high spend, recent, frequent: 812 customers, 54% of revenue".

    Levels compare the cluster's mean of each log feature with all clustered customers,
    in standard deviations: above +1 very high, above +0.35 high, below -0.35 low, below
    -1 very low, else middle (for recency, high means *recent*).  Returns ``cluster, customers, customer_share,
    revenue, revenue_share, mean_recency_days, mean_frequency, mean_monetary,
    description``.
    """
    t = _frame(table, "table")
    _require(t, [cluster_col, "recency_days", "frequency", "monetary"], "table")
    t = t.filter(pl.col(cluster_col).is_not_null())
    if t.height == 0:
        raise DataError("cluster_profiles: no clustered customer in the table.")
    logs = t.select(
        pl.col(cluster_col),
        (-pl.col("recency_days").cast(pl.Float64).log1p()).alias("_r"),
        pl.col("frequency").cast(pl.Float64).log1p().alias("_f"),
        pl.col("monetary").clip(lower_bound=0).cast(pl.Float64).log1p().alias("_m"),
    )
    stats = {c: (logs.get_column(c).mean(), logs.get_column(c).std() or 1.0) for c in ("_r", "_f", "_m")}
    z = logs.group_by(cluster_col).agg([((pl.col(c).mean() - mu) / (sd or 1.0)).alias(c)
                                       for c, (mu, sd) in stats.items()])
    total_rev = float(t.get_column("monetary").clip(lower_bound=0).sum()) or 1.0
    prof = t.group_by(cluster_col).agg(
        pl.len().cast(pl.Int64).alias("customers"),
        pl.col("monetary").sum().alias("revenue"),
        pl.col("recency_days").mean().alias("mean_recency_days"),
        pl.col("frequency").mean().alias("mean_frequency"),
        pl.col("monetary").mean().alias("mean_monetary"),
    ).join(z, on=cluster_col).sort(cluster_col)
    prof = prof.with_columns(
        (pl.col("customers") / t.height).alias("customer_share"),
        (pl.col("revenue").clip(lower_bound=0) / total_rev).alias("revenue_share"),
    )
    descs = []
    sep = "、" if lang == "zh" else ", "
    for row in prof.iter_rows(named=True):
        parts = [i18n.t(f"lvl.spend.{_level(row['_m'])}", lang),
                 i18n.t(f"lvl.recency.{_level(row['_r'])}", lang),
                 i18n.t(f"lvl.frequency.{_level(row['_f'])}", lang)]
        if lang == "zh":
            descs.append(f"{sep.join(parts)}:{row['customers']:,} 位客户,贡献 {100 * row['revenue_share']:.0f}% 销售额")
        else:
            descs.append(f"{sep.join(parts)}: {row['customers']:,} customers, "
                         f"{100 * row['revenue_share']:.0f}% of revenue")
    return prof.with_columns(pl.Series("description", descs)).select(
        cluster_col, "customers", "customer_share", "revenue", "revenue_share", "mean_recency_days",
        "mean_frequency", "mean_monetary", "description")


# --------------------------------------------------------------------------- 7. migration


@dataclass
class Migration:
    """Tier migration between two as-of dates.

    Attributes:
        counts: rows = state at the earlier date (tiers, ``prospect``, ``new``), columns =
            state at the later date (tiers, ``prospect``, ``gone``); first column ``from``.
        revenue: the same cells holding the revenue earned *between* the dates
            (later cumulative net revenue minus earlier; 0 for ``gone``).
        moved_up, slipped: customers tiered at both dates whose tier improved / worsened.
        transitions: one row per customer with both states.
    """

    counts: pl.DataFrame
    revenue: pl.DataFrame
    moved_up: pl.DataFrame
    slipped: pl.DataFrame
    transitions: pl.DataFrame


def tier_migration(before, after, *, tiers: Sequence[str] = ("A", "B", "C"),
                   customer_id_col: str = "customer_id", tier_col: str = "tier",
                   value_col: str = "monetary") -> Migration:
    """Transition matrices of counts and revenue between two per-customer tables.

    States at the earlier date: the customer's tier; ``prospect`` if in the table
    without a tier (no purchase yet); ``new`` if absent (not yet in the archive).
    States at the later date: the tier; ``prospect``; ``gone`` if absent (e.g. merged
    into another id or removed from the archive).  A customer *moved up* when both
    states are tiers and the later is better (earlier in ``tiers``); *slipped* when worse.
    """
    b = _frame(before, "before").select(customer_id_col, pl.col(tier_col).alias("_t0"),
                                        pl.col(value_col).cast(pl.Float64).alias("monetary_before"))
    a = _frame(after, "after").select(customer_id_col, pl.col(tier_col).alias("_t1"),
                                      pl.col(value_col).cast(pl.Float64).alias("monetary_after"))
    for name, df in (("before", b), ("after", a)):
        dup = df.filter(pl.col(customer_id_col).is_duplicated())
        if dup.height:
            raise DataError(f"tier_migration: {name} table repeats customer "
                            f"{dup.get_column(customer_id_col)[0]}; give one row per customer.")
        bad = df.filter(pl.col(df.columns[1]).is_not_null() & ~pl.col(df.columns[1]).is_in(list(tiers)))
        if bad.height:
            raise DataError(f"tier_migration: {name} table has tier "
                            f"{bad.get_column(df.columns[1])[0]!r} not in {list(tiers)}.")
    j = b.join(a, on=customer_id_col, how="full", coalesce=True)
    # 'new' / 'gone' come from absence from a table, 'prospect' from a row without a tier
    present0 = set(b.get_column(customer_id_col).to_list())
    present1 = set(a.get_column(customer_id_col).to_list())
    j = j.with_columns(
        pl.when(pl.col(customer_id_col).is_in(list(present0))).then(
            pl.col("_t0").fill_null("prospect")).otherwise(pl.lit("new")).alias("tier_before"),
        pl.when(pl.col(customer_id_col).is_in(list(present1))).then(
            pl.col("_t1").fill_null("prospect")).otherwise(pl.lit("gone")).alias("tier_after"),
    ).with_columns(
        pl.when(pl.col("tier_after") == "gone").then(0.0).otherwise(
            pl.col("monetary_after").fill_null(0.0) - pl.col("monetary_before").fill_null(0.0)
        ).alias("period_revenue"),
    ).drop("_t0", "_t1").sort(customer_id_col)
    rows = list(tiers) + ["prospect", "new"]
    cols = list(tiers) + ["prospect", "gone"]

    def matrix(agg: pl.Expr, dtype) -> pl.DataFrame:
        g = j.group_by("tier_before", "tier_after").agg(agg.alias("_v"))
        d = {(r["tier_before"], r["tier_after"]): r["_v"] for r in g.iter_rows(named=True)}
        data = {"from": rows}
        for c in cols:
            data[c] = [d.get((r, c), 0) for r in rows]
        return pl.DataFrame(data, schema={"from": pl.String, **{c: dtype for c in cols}})

    counts = matrix(pl.len(), pl.Int64)
    revenue = matrix(pl.col("period_revenue").sum(), pl.Float64)
    rank = {t: i for i, t in enumerate(tiers)}
    both = j.filter(pl.col("tier_before").is_in(list(tiers)) & pl.col("tier_after").is_in(list(tiers)))
    both = both.with_columns(
        pl.col("tier_before").replace_strict(rank, return_dtype=pl.Int64).alias("_r0"),
        pl.col("tier_after").replace_strict(rank, return_dtype=pl.Int64).alias("_r1"),
    )
    show = [customer_id_col, "tier_before", "tier_after", "monetary_before", "monetary_after", "period_revenue"]
    moved_up = both.filter(pl.col("_r1") < pl.col("_r0")).sort(
        ["period_revenue", customer_id_col], descending=[True, False]).select(show)
    slipped = both.filter(pl.col("_r1") > pl.col("_r0")).sort(
        ["monetary_before", customer_id_col], descending=[True, False]).select(show)
    return Migration(counts=counts, revenue=revenue, moved_up=moved_up, slipped=slipped,
                     transitions=j.select(show))


# --------------------------------------------------------------------------- 8. profiles


def with_attributes(table, customers, columns: Sequence[str] = ("province", "channel"), *,
                    customer_id_col: str = "customer_id", missing: str = "(missing)") -> pl.DataFrame:
    """Join customer attributes (province, channel...) onto a per-customer table.

    Empty attributes and customers absent from the archive get ``missing`` (say which
    label to show), so group totals still add up to all customers.
    """
    t = _frame(table, "table")
    c = _frame(customers, "customers")
    cols = [x for x in columns if x in c.columns]
    absent = [x for x in columns if x not in c.columns]
    if absent:
        raise DataError(f"customers: column(s) {absent} missing; the archive has {c.columns}.")
    out = t.join(c.select(customer_id_col, *cols).unique(customer_id_col, keep="first"),
                 on=customer_id_col, how="left")
    return out.with_columns([pl.col(x).cast(pl.String).fill_null(missing) for x in cols])


def segment_profile(table, by: str = "rfm_segment", *, customer_id_col: str = "customer_id",
                    order: Sequence[str] | None = None) -> pl.DataFrame:
    """Size and value of each group of ``by`` (segment, tier, cluster, lifecycle...).

    Columns: ``customers, customer_share, revenue, revenue_share, orders,
    avg_order_value`` (revenue / orders), ``mean_frequency``, ``mean_recency_days``.
    Rows with a null group (e.g. prospects for RFM segments) are left out and shares
    are of the grouped customers.  ``order`` sorts the groups (others follow, by
    revenue); by default groups are sorted by revenue, largest first.
    """
    t = _frame(table, "table")
    _require(t, [by, "monetary", "n_orders", "frequency", "recency_days"], "table")
    t = t.filter(pl.col(by).is_not_null())
    n = t.height or 1
    total = float(t.get_column("monetary").sum()) or 1.0
    p = t.group_by(by).agg(
        pl.len().cast(pl.Int64).alias("customers"),
        pl.col("monetary").sum().alias("revenue"),
        pl.col("n_orders").sum().cast(pl.Int64).alias("orders"),
        pl.col("frequency").mean().alias("mean_frequency"),
        pl.col("recency_days").mean().alias("mean_recency_days"),
    ).with_columns(
        (pl.col("customers") / n).alias("customer_share"),
        (pl.col("revenue") / total).alias("revenue_share"),
        pl.when(pl.col("orders") > 0).then(pl.col("revenue") / pl.col("orders")).otherwise(None)
        .alias("avg_order_value"),
    )
    if order:
        pos = {g: i for i, g in enumerate(order)}
        p = p.with_columns(pl.col(by).cast(pl.String).replace_strict(pos, default=len(pos),
                                                                     return_dtype=pl.Int64).alias("_o"))
        p = p.sort(["_o", "revenue"], descending=[False, True]).drop("_o")
    else:
        p = p.sort(["revenue", by], descending=[True, False])
    return p.select(by, "customers", "customer_share", "revenue", "revenue_share", "orders",
                    "avg_order_value", "mean_frequency", "mean_recency_days")


def profile_crosstab(table, by: str, dim: str, *, value: str = "customers",
                     order: Sequence[str] | None = None, top: int | None = None,
                     other: str = "other") -> pl.DataFrame:
    """A ``by`` x ``dim`` table (e.g. tier x province) of customers or revenue.

    ``value``: ``"customers"`` (count) or ``"revenue"`` (sum of monetary).  ``top`` keeps
    the ``top`` largest ``dim`` values (by the same measure) and sums the rest into
    ``other``; no row is dropped.  Columns: ``by``, one per ``dim`` value, ``total``.
    """
    t = _frame(table, "table")
    _require(t, [by, dim, "monetary"], "table")
    if value not in ("customers", "revenue"):
        raise UsageError(f"profile_crosstab value '{value}' must be 'customers' or 'revenue'.")
    t = t.filter(pl.col(by).is_not_null())
    measure = pl.len().cast(pl.Float64) if value == "customers" else pl.col("monetary").sum()
    if top is not None:
        ranks = t.group_by(dim).agg(measure.alias("_v")).sort(["_v", dim], descending=[True, False])
        keep = ranks.get_column(dim).head(top).to_list()
        t = t.with_columns(pl.when(pl.col(dim).is_in(keep)).then(pl.col(dim)).otherwise(pl.lit(other)).alias(dim))
        dims = keep + ([other] if ranks.height > top else [])
    else:
        dims = t.group_by(dim).agg(measure.alias("_v")).sort(["_v", dim], descending=[True, False]) \
            .get_column(dim).to_list()
    g = t.group_by(by, dim).agg(measure.alias("_v"))
    wide = g.pivot(on=dim, index=by, values="_v").fill_null(0)
    for d in dims:
        if d not in wide.columns:
            wide = wide.with_columns(pl.lit(0.0).alias(d))
    wide = wide.select(by, *dims).with_columns(pl.sum_horizontal(dims).alias("total"))
    if value == "customers":
        wide = wide.with_columns([pl.col(c).cast(pl.Int64) for c in [*dims, "total"]])
    if order:
        pos = {g_: i for i, g_ in enumerate(order)}
        wide = wide.with_columns(pl.col(by).cast(pl.String).replace_strict(pos, default=len(pos),
                                                                           return_dtype=pl.Int64).alias("_o"))
        wide = wide.sort(["_o", by]).drop("_o")
    else:
        wide = wide.sort(by)
    return wide


# --------------------------------------------------------------------------- build


@dataclass
class Segmentation:
    """Everything :func:`build_segments` computed.

    Attributes:
        table: the per-customer table (``segments.parquet``).
        results: key results for ``io.save_step_results(..., "segmentation", results)``.
        pareto: :func:`pareto_curve` data.
        rules: the segment rule table used.
        scorer: the fitted :class:`TierScorer`.
        clusterer: the fitted :class:`RFMClusterer` (None when clustering was skipped).
        settings: the settings used.
        as_of: the analysis date.
    """

    table: pl.DataFrame
    results: dict[str, Any]
    pareto: pl.DataFrame
    rules: pl.DataFrame
    scorer: TierScorer
    clusterer: RFMClusterer | None
    settings: SegmentSettings
    as_of: date


SEGMENT_COLUMNS = ("customer_id", "recency_days", "frequency", "monetary", "abc_class", "r_score",
                   "f_score", "m_score", "rfm_segment", "lifecycle_stage", "tier_score", "tier", "cluster")


def build_segments(orders, customers=None, *, as_of, surveys=None,
                   settings: SegmentSettings | None = None, cluster: bool = True,
                   customer_id_col: str = "customer_id") -> Segmentation:
    """Run the whole classification and build the ``segments.parquet`` table.

    Columns (contract first, then extras): ``customer_id, recency_days, frequency,
    monetary, abc_class, r_score, f_score, m_score, rfm_segment, lifecycle_stage,
    tier_score, tier, cluster, fm_score, n_orders, purchase_days, returns,
    first_order_date, last_order_date, tenure_days, mean_gap_days, avg_order_value,
    typical_gap_days, at_risk_after_days, revenue_rank, cum_revenue_share,
    [gross_margin], nps, score_<indicator>...``.

    Prospects (no purchase by ``as_of``) are rows with lifecycle ``prospect`` and null
    class, scores, segment, tier and cluster.  Tiers and clusters are computed over
    customers with a purchase.  ``cluster=False`` skips clustering (column is null),
    e.g. for the earlier date of a migration.
    """
    st = settings or SegmentSettings()
    day = _as_date(as_of)
    o = _frame(orders, "orders")
    outliers = None
    if st.exclude_outliers and "is_outlier" in o.columns:
        flagged = o.filter(pl.col("is_outlier").fill_null(False) & (pl.col("order_date") <= day))
        outliers = {"orders": flagged.height, "amount": float(flagged.get_column("amount").sum()),
                    "customers": flagged.get_column(customer_id_col).n_unique()}
    m = customer_metrics(o, customers, as_of=day, customer_id_col=customer_id_col,
                         frequency_basis=st.frequency_basis,
                         exclude_col="is_outlier" if outliers is not None else None)
    if m.filter(pl.col("frequency") > 0).height == 0:
        raise DataError(f"no customer has a purchase on or before {day}; choose a later as_of date.")
    if surveys is not None:
        nps = latest_nps(surveys, as_of=day, customer_id_col=customer_id_col)
        m = m.join(nps, on=customer_id_col, how="left")
    else:
        m = m.with_columns(pl.lit(None, dtype=pl.Float64).alias("nps"))
    m = abc_classify(m, shares=st.abc_shares, customer_id_col=customer_id_col)
    m = rfm_scores(m, n=st.n_scores, customer_id_col=customer_id_col)
    rules = segment_rules(st.rules, st.n_scores)
    m = assign_segments(m, rules, n=st.n_scores)
    m = lifecycle_stage(m, new_days=st.new_days, at_risk_days=st.at_risk_days,
                        churned_days=st.churned_days, gap_multiplier=st.gap_multiplier,
                        min_purchases_own_gap=st.min_purchases_own_gap)
    buyers = m.filter(pl.col("frequency") > 0)
    scorer = TierScorer(st.tier_weights, st.tier_cuts, st.tier_method, customer_id_col)
    tiers = scorer.fit_transform(buyers)
    m = m.join(tiers, on=customer_id_col, how="left")
    clusterer = None
    if cluster:
        clusterer = RFMClusterer(range(st.k_min, st.k_max + 1), st.random_state, st.silhouette_sample)
        clusterer.fit(buyers)
        m = m.join(pl.DataFrame({customer_id_col: buyers.get_column(customer_id_col),
                                 "cluster": clusterer.labels_}), on=customer_id_col, how="left")
    else:
        m = m.with_columns(pl.lit(None, dtype=pl.Int64).alias("cluster"))
    first = [customer_id_col if c == "customer_id" else c for c in SEGMENT_COLUMNS]
    rest = [c for c in m.columns if c not in first]
    table = m.select(*first, *rest).sort(customer_id_col)
    seg = Segmentation(table=table, results={}, pareto=pareto_curve(m, customer_id_col=customer_id_col),
                       rules=rules, scorer=scorer, clusterer=clusterer, settings=st, as_of=day)
    seg.results = key_results(seg)
    seg.results["outliers_excluded"] = outliers or {"orders": 0, "amount": 0.0, "customers": 0}
    return seg


def _counts(table: pl.DataFrame, col: str, keys: Sequence[str]) -> dict[str, int]:
    vc = {r[col]: r["n"] for r in table.group_by(col).agg(pl.len().alias("n")).iter_rows(named=True)}
    out = {k: int(vc.get(k, 0)) for k in keys}
    out.update({str(k): int(v) for k, v in vc.items() if k is not None and k not in out})
    return out


def _shares(table: pl.DataFrame, col: str, keys: Sequence[str]) -> dict[str, float]:
    t = table.filter(pl.col(col).is_not_null())
    total = float(t.get_column("monetary").sum()) or 1.0
    vs = {r[col]: r["v"] for r in t.group_by(col).agg(pl.col("monetary").sum().alias("v")).iter_rows(named=True)}
    return {k: round(float(vs.get(k, 0.0)) / total, 6) for k in keys}


def key_results(seg: Segmentation) -> dict[str, Any]:
    """The key results of the step (``results/segmentation.json``).

    ``customers`` (rows, prospects included), ``buyers``, ``prospects``, ``tiers{A,B,C}``,
    ``tier_revenue_share``, ``tier_thresholds``, ``tier_weights``, ``dropped_indicators``,
    ``abc{A,B,C}``, ``abc_revenue_share``, ``segments{key: customers}``,
    ``lifecycle{stage: customers}``, ``clusters{k, silhouette, sizes}``, ``as_of``,
    ``frequency_basis``, ``revenue``.
    """
    t = seg.table
    tier_keys = list(seg.scorer.thresholds_)
    abc_keys = _class_names(len(seg.settings.abc_shares))
    seg_keys = list(dict.fromkeys(seg.rules.get_column("segment").to_list()))
    out: dict[str, Any] = {
        "as_of": seg.as_of.isoformat(),
        "customers": t.height,
        "buyers": int(t.filter(pl.col("frequency") > 0).height),
        "prospects": int(t.filter(pl.col("lifecycle_stage") == "prospect").height),
        "revenue": float(t.get_column("monetary").sum()),
        "frequency_basis": seg.settings.frequency_basis,
        "tiers": _counts(t.filter(pl.col("tier").is_not_null()), "tier", tier_keys),
        "tier_revenue_share": _shares(t, "tier", tier_keys),
        "tier_thresholds": {k: (None if math.isinf(v) else round(v, 4)) for k, v in seg.scorer.thresholds_.items()},
        "tier_weights": {k: round(v, 6) for k, v in seg.scorer.weights_.items()},
        "dropped_indicators": list(seg.scorer.dropped_),
        "abc": _counts(t.filter(pl.col("abc_class").is_not_null()), "abc_class", abc_keys),
        "abc_revenue_share": _shares(t, "abc_class", abc_keys),
        "segments": _counts(t.filter(pl.col("rfm_segment").is_not_null()), "rfm_segment", seg_keys),
        "lifecycle": _counts(t, "lifecycle_stage", LIFECYCLE_STAGES),
    }
    if seg.clusterer is not None:
        sizes = _counts(t.filter(pl.col("cluster").is_not_null()).with_columns(pl.col("cluster").cast(pl.String)),
                        "cluster", [str(i) for i in range(seg.clusterer.k_)])
        out["clusters"] = {"k": seg.clusterer.k_,
                           "silhouette": round(seg.clusterer.silhouettes_[seg.clusterer.k_], 6),
                           "sizes": sizes}
    return out


# --------------------------------------------------------------------------- presentation


_TEXT = {
    "scope": (
        ("分析日期 **{as_of}**:档案中共 **{customers:,}** 位客户,其中 **{buyers:,}** 位已有购买,"
        "**{prospects:,}** 位尚未购买(潜在客户)。净销售额(已扣除退货)**{revenue}**。{outliers}"),
        ("As of **{as_of}**: **{customers:,}** customers in the archive, **{buyers:,}** with a purchase and "
        "**{prospects:,}** without one yet (prospects). Net revenue (returns deducted) **{revenue}**. {outliers}"),
    ),
    "outliers": (
        "清洗步骤标记的 {orders} 笔异常大额订单(合计 {amount},涉及 {customers} 位客户)未计入本分析,请核实后再决定是否计入。",
        ("{orders} order(s) flagged as outliers by the cleaning step ({amount}, {customers} customer(s)) are "
        "left out of this analysis; check them before counting them in."),
    ),
    "abc": (
        ("**{a_share}** 的客户(A类,{a:,} 位)贡献了 {a_rev} 的销售额;再加上 B 类({b:,} 位)共 **{ab_share}** 的客户"
        "贡献 {ab_rev}。其余 {c:,} 位 C 类客户合计只占 {c_rev}。A 类是大客户管理的名单,值得专属客户经理和优先服务。"),
        ("**{a_share}** of customers (class A, {a:,}) make {a_rev} of revenue; with class B ({b:,}) "
        "**{ab_share}** of customers make {ab_rev}. The remaining {c:,} class-C customers make only {c_rev}. "
        "Class A is the key-account list: it deserves a dedicated account manager and priority service."),
    ),
    "rfm": (
        ("RFM 评分:每位有购买的客户在最近一次消费(R)、消费频率(F)、消费金额(M)上各得 1-{n} 分(分越高越好,"
        "按排名分档,数值相同者同分)。最大的分群是「{top}」({top_n:,} 位,占销售额 {top_rev});"
        "「{risk}」与「{cant}」共 {risk_n:,} 位客户,曾经贡献 {risk_rev} 的销售额,是挽留工作的重点。"),
        ("RFM scores: every customer with a purchase gets 1-{n} points on recency (R), frequency (F) and "
        "monetary value (M), higher is better, by rank (equal values share a score). The largest segment is "
        "\"{top}\" ({top_n:,} customers, {top_rev} of revenue); \"{risk}\" and \"{cant}\" together hold "
        "{risk_n:,} customers who made {risk_rev} of revenue: the first place for retention work."),
    ),
    "lifecycle": (
        ("生命周期:活跃 {active:,} 位,新客户 {new:,} 位,风险 {at_risk:,} 位,流失 {churned:,} 位,潜在客户 {prospect:,} 位。"
        "规则:首次购买在 {new_days} 天内为新客户;超过 {churned_days} 天未购买为流失;超过 {at_risk_days} 天,"
        "或超过平时购买间隔的 {mult} 倍未购买为风险客户(当前全体客户的典型间隔为 {gap} 天)。"),
        ("Lifecycle: {active:,} active, {new:,} new, {at_risk:,} at risk, {churned:,} churned and {prospect:,} "
        "prospects. Rules: first purchase within {new_days} days = new; no purchase for more than "
        "{churned_days} days = churned; for more than {at_risk_days} days, or more than {mult} times the "
        "customer's usual gap between purchases = at risk (the typical gap across customers is {gap} days)."),
    ),
    "tiers": (
        ("客户分级(评分法 + 加权法):每个指标按百分位打 0-100 分,再按权重加权得到分级得分;"
        "按客户占比划分等级。A 级 {a:,} 位客户贡献 {a_rev} 的销售额,C 级 {c:,} 位只贡献 {c_rev}。{dropped}"),
        ("Tiering (scoring + weighting): each indicator is scored 0-100 by percentile, the scores are weighted "
        "into one tier score, and the score is cut into tiers. Tier A's {a:,} customers make {a_rev} of "
        "revenue; tier C's {c:,} customers make {c_rev}. {dropped}"),
    ),
    "dropped": (
        "数据中没有 {names},这些指标已不参与评分,其余权重已按比例放大。",
        "The data has no {names}, so these indicators drop out and the other weights are scaled up.",
    ),
    "sensitivity": (
        ("稳定性检验:把某一指标的权重上调或下调 {delta} 个百分点(其余按比例调整)后重新分级,最多有 {max_n:,} 位客户"
        "({max_share})改变等级(指标:{worst})。变动越小,分级结果越不依赖于权重的精确取值。"),
        ("Stability check: moving one indicator's weight up or down by {delta} points (the others rescaled) "
        "and re-tiering changes the tier of at most {max_n:,} customers ({max_share}, indicator: {worst}). "
        "The smaller this is, the less the tiers depend on the exact weights."),
    ),
    "clusters": (
        ("聚类(k-means,数据驱动的分群):在 {kmin}-{kmax} 个群之间按轮廓系数选择了 **{k}** 个群(轮廓系数 {sil:.2f},"
        "越接近 1 群之间越分明)。与规则分群不同,聚类由数据本身决定边界,可用来检验规则分群是否合理。"),
        ("Clustering (k-means, data-driven groups): between {kmin} and {kmax} groups, the silhouette picked "
        "**{k}** (silhouette {sil:.2f}; closer to 1 means better separated). Unlike the rule-based segments, "
        "clusters draw their boundaries from the data, a check on whether the rules fit."),
    ),
    "migration": (
        ("与 **{before}** 相比:{up:,} 位客户等级上升,{down:,} 位下降,{new:,} 位新增客户,{first:,} 位潜在客户完成首购。"
        "降级客户截至期初累计贡献了 {down_rev} 的销售额,是需要优先挽回的价值。"),
        ("Compared with **{before}**: {up:,} customers moved up a tier, {down:,} slipped, {new:,} are new to "
        "the archive and {first:,} prospects made a first purchase. The customers who slipped had bought "
        "{down_rev} up to the earlier date: the value to win back first."),
    ),
    "no_migration": (
        "{before} 之前还没有购买记录,无法计算等级迁移。",
        "There are no purchases on or before {before}, so tier migration cannot be computed.",
    ),
}
i18n.register({f"seg.text.{k}": {"zh": zh, "en": en} for k, (zh, en) in _TEXT.items()})


def narrate(key: str, lang: str = "en", **values: Any) -> str:
    """A sentence of the segmentation report (template ``seg.text.<key>``) with ``values`` filled in."""
    return i18n.t(f"seg.text.{key}", lang).format(**values)


_VALUE_PREFIX = {"rfm_segment": "segment.", "segment": "segment.", "lifecycle_stage": "lifecycle.",
                 "indicator": "ind."}


def localize(df, lang: str = "en", digits: int = 1) -> Any:
    """A table ready to show a business reader: pandas, headers and known values in ``lang``.

    Segment keys, lifecycle stages and indicator names become their labels; columns
    ending in ``_share`` become percents; other floats are rounded to ``digits``.
    """
    pdf = df.to_pandas() if isinstance(df, pl.DataFrame) else df.copy()
    for col, prefix in _VALUE_PREFIX.items():
        if col in pdf.columns:
            pdf[col] = pdf[col].map(lambda v, p=prefix: i18n.t(f"{p}{v}", lang) if isinstance(v, str) else v)
    if "from" in pdf.columns:
        states = ("prospect", "new", "gone")
        pdf["from"] = pdf["from"].map(lambda v: i18n.t(f"state.{v}", lang) if v in states else v)
        pdf = pdf.rename(columns={c: i18n.t(f"state.{c}", lang) for c in ("prospect", "gone")})
    for col in pdf.columns:
        if str(col).endswith("_share") or col == "weight" or str(col).startswith("weight_"):
            pdf[col] = pdf[col].map(lambda v: "" if v is None or math.isnan(v) else f"{100 * v:.1f}%")
        elif pdf[col].dtype.kind == "f":
            values = pdf[col].round(digits)
            pdf[col] = values.astype(object).where(values.notna(), "") if values.isna().any() else values
    return pdf.rename(columns=i18n.column_labels(pdf.columns, lang, LABEL_NAMESPACE))


def segment_guide(profile, rules=None, lang: str = "en", *, by: str = "rfm_segment") -> pl.DataFrame:
    """The segment profile with each segment's name and recommended treatment, in rule order.

    ``profile``: :func:`segment_profile` by ``rfm_segment``; ``rules``: the rule table
    (default rules when None).  Columns: ``rfm_segment, label, customers,
    customer_share, revenue_share, avg_order_value, mean_frequency, mean_recency_days,
    treatment``.
    """
    p = _frame(profile, "profile")
    table = rules if isinstance(rules, pl.DataFrame) else segment_rules(rules)
    keys = list(dict.fromkeys(table.get_column("segment").to_list()))
    base = pl.DataFrame({by: keys})
    out = base.join(p, on=by, how="left").with_columns(
        pl.col("customers").fill_null(0), pl.col("customer_share").fill_null(0.0),
        pl.col("revenue_share").fill_null(0.0),
        pl.col(by).map_elements(lambda k: i18n.t(f"segment.{k}", lang), return_dtype=pl.String).alias("label"),
        pl.col(by).map_elements(lambda k: i18n.t(f"treatment.{k}", lang), return_dtype=pl.String).alias("treatment"),
    )
    return out.select(by, "label", "customers", "customer_share", "revenue_share", "avg_order_value",
                      "mean_frequency", "mean_recency_days", "treatment").drop(by)


def migration_as_of(as_of, months: int = 3) -> date:
    """The earlier date of a tier migration: the month end ``months`` months before ``as_of``'s month end.

    ``as_of`` 2026-10-31 with 3 months gives 2026-07-31; with 1 month, 2026-09-30.
    """
    import calendar

    day = _as_date(as_of)
    idx = day.year * 12 + day.month - 1 - int(months)
    y, m0 = divmod(idx, 12)
    return date(y, m0 + 1, calendar.monthrange(y, m0 + 1)[1])


def _pct(v: float | None) -> str:
    return "-" if v is None else f"{100 * v:.0f}%"


def narrative(seg: Segmentation, lang: str = "en") -> dict[str, str]:
    """Plain-language paragraphs (markdown) for the segmentation report, from the computed results.

    Keys: ``scope, abc, rfm, lifecycle, tiers, clusters`` (``clusters`` only when clustered).
    """
    from .plots import fmt_money

    r = seg.results
    st = seg.settings
    t = seg.table
    out_info = r.get("outliers_excluded") or {}
    outliers = ""
    if out_info.get("orders"):
        outliers = narrate("outliers", lang, orders=out_info["orders"], amount=fmt_money(out_info["amount"], lang),
                           customers=out_info["customers"])
    texts = {"scope": narrate("scope", lang, as_of=r["as_of"], customers=r["customers"], buyers=r["buyers"],
                              prospects=r["prospects"], revenue=fmt_money(r["revenue"], lang), outliers=outliers)}
    abc, share = r["abc"], r["abc_revenue_share"]
    names = list(abc)
    if len(names) >= 3:
        a, b = names[0], names[1]
        buyers = r["buyers"] or 1
        texts["abc"] = narrate(
            "abc", lang, a=abc[a], b=abc[b], c=sum(abc[k] for k in names[2:]),
            a_share=_pct(abc[a] / buyers), ab_share=_pct((abc[a] + abc[b]) / buyers),
            a_rev=_pct(share[a]), ab_rev=_pct(share[a] + share[b]), c_rev=_pct(sum(share[k] for k in names[2:])))
    prof = segment_profile(t, "rfm_segment")
    top = prof.row(0, named=True) if prof.height else None
    risk_keys = ("at_risk", "cant_lose")
    risk = prof.filter(pl.col("rfm_segment").is_in(list(risk_keys)))
    if top is not None:
        texts["rfm"] = narrate(
            "rfm", lang, n=st.n_scores, top=i18n.t(f"segment.{top['rfm_segment']}", lang),
            top_n=top["customers"], top_rev=_pct(top["revenue_share"]),
            risk=i18n.t("segment.at_risk", lang), cant=i18n.t("segment.cant_lose", lang),
            risk_n=int(risk.get_column("customers").sum()), risk_rev=_pct(float(risk.get_column("revenue_share").sum())))
    pop_gap = t.filter(pl.col("purchase_days") >= 2).get_column("mean_gap_days").median()
    texts["lifecycle"] = narrate(
        "lifecycle", lang, **r["lifecycle"], new_days=st.new_days, churned_days=st.churned_days,
        at_risk_days=st.at_risk_days, mult=f"{st.gap_multiplier:g}",
        gap="-" if pop_gap is None else f"{pop_gap:.0f}")
    tiers, tshare = r["tiers"], r["tier_revenue_share"]
    tk = list(tiers)
    dropped = ""
    if r["dropped_indicators"]:
        sep = "、" if lang == "zh" else ", "
        dropped = narrate("dropped", lang, names=sep.join(i18n.t(f"ind.{k}", lang) for k in r["dropped_indicators"]))
    texts["tiers"] = narrate("tiers", lang, a=tiers[tk[0]], a_rev=_pct(tshare[tk[0]]), c=tiers[tk[-1]],
                             c_rev=_pct(tshare[tk[-1]]), dropped=dropped)
    if seg.clusterer is not None:
        texts["clusters"] = narrate("clusters", lang, kmin=st.k_min, kmax=st.k_max, k=seg.clusterer.k_,
                                    sil=seg.clusterer.silhouettes_[seg.clusterer.k_])
    return texts


def sensitivity_text(table: pl.DataFrame, delta: float, lang: str = "en") -> str:
    """One paragraph on :func:`tier_sensitivity`: the largest number of customers changing tier."""
    t = _frame(table, "sensitivity").with_columns(
        pl.max_horizontal("changed_up", "changed_down").alias("_max"),
        pl.max_horizontal("changed_up_share", "changed_down_share").alias("_share"))
    worst = t.sort(["_max", "indicator"], descending=[True, False]).row(0, named=True)
    return narrate("sensitivity", lang, delta=f"{100 * delta:g}", max_n=worst["_max"], max_share=_pct(worst["_share"]),
                   worst=i18n.t(f"ind.{worst['indicator']}", lang))


def migration_text(mig: Migration | None, before, lang: str = "en") -> str:
    """One paragraph on a :class:`Migration`: moved up, slipped, new, first purchases (None: no history)."""
    from .plots import fmt_money

    if mig is None:
        return narrate("no_migration", lang, before=_as_date(before, "before").isoformat())

    tr = mig.transitions
    tiers = [c for c in mig.counts.columns[1:] if c not in ("prospect", "gone")]
    first = tr.filter((pl.col("tier_before") == "prospect") & pl.col("tier_after").is_in(tiers)).height
    new = tr.filter(pl.col("tier_before") == "new").height
    return narrate("migration", lang, before=_as_date(before, "before").isoformat(), up=mig.moved_up.height,
                   down=mig.slipped.height, new=new, first=first,
                   down_rev=fmt_money(float(mig.slipped.get_column("monetary_before").sum()), lang))


def migration_summary(mig: Migration, before) -> dict[str, Any]:
    """Key numbers of a migration for the step results: ``from, moved_up, slipped, counts{from: {to: n}}``."""
    counts = {row["from"]: {k: int(v) for k, v in row.items() if k != "from"}
              for row in mig.counts.iter_rows(named=True)}
    return {"from": _as_date(before, "before").isoformat(), "moved_up": mig.moved_up.height,
            "slipped": mig.slipped.height, "counts": counts}


def migration_since(load, before, current: Segmentation) -> Migration | None:
    """Tier migration from ``before`` to the date of ``current``, or None when nothing was bought by then.

    ``load(table)`` returns a clean table as of ``before`` (in a notebook:
    ``lambda t: ctx.load(t, as_of=before)``); this function itself reads nothing.  The
    earlier segmentation uses ``current.settings`` without clustering.
    """
    day = _as_date(before, "migration_from")
    if day >= current.as_of:
        raise UsageError(f"migration_from {day} must be before the as-of date {current.as_of}.")
    orders = _frame(load("orders"), "orders")
    if orders.filter(pl.col("order_date") <= day).height == 0:
        return None
    customers = load("customers")
    try:
        surveys = load("surveys")
    except DataError:
        surveys = None
    try:
        earlier = build_segments(orders, customers, as_of=day, surveys=surveys, settings=current.settings,
                                 cluster=False)
    except DataError as exc:
        if "no customer has a purchase" in str(exc):
            return None
        raise
    return tier_migration(earlier.table, current.table, tiers=list(current.scorer.thresholds_))
