"""CRM write-back: one customer-360 table, and column presets for CRM imports.

The table (:func:`customer_360`) has one row per customer: identity and owner, tier, ABC,
RFM segment, lifecycle stage, CLV, probability alive, churn risk and its top reason, the
expected next purchase date and the next action of the care plan.  Presets
(:data:`PRESETS`) rename and order the columns for an import: ``zoho`` (Zoho CRM
Accounts import: standard field labels, the analytics as custom fields to create with
these labels) and ``fxiaoke`` (纷享销客 客户 import, Chinese headers).  Files are written
by :func:`workbench.exports.write_table` only (formula-injection safe).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl

from .. import i18n
from ..errors import UsageError
from ..frames import as_polars
from .text import ROOM

__all__ = ["CRM_COLUMNS", "PRESETS", "customer_360", "preset_frame"]

CRM_COLUMNS = ["customer_id", "name", "company", "phone", "email", "owner", "tier", "abc_class",
               "rfm_segment", "lifecycle_stage", "clv", "p_alive", "churn_probability",
               "churn_reason", "expected_next_purchase", "next_action", "next_action_due"]

#: CRM presets: our column -> the CRM's import header, in the order written.
PRESETS: dict[str, dict[str, str]] = {
    "zoho": {
        "customer_id": "Account Number", "company": "Account Name", "owner": "Account Owner",
        "phone": "Phone", "email": "Email", "name": "Contact Name", "tier": "Rating",
        "abc_class": "ABC Class", "rfm_segment": "RFM Segment", "lifecycle_stage": "Lifecycle Stage",
        "clv": "Customer Lifetime Value", "p_alive": "Probability Alive",
        "churn_probability": "Churn Risk", "churn_reason": "Churn Reason",
        "expected_next_purchase": "Expected Next Purchase", "next_action": "Next Action",
        "next_action_due": "Next Action Due",
    },
    "fxiaoke": {
        "customer_id": "客户编号", "company": "客户名称", "name": "联系人", "owner": "负责人",
        "phone": "电话", "email": "邮件", "tier": "客户级别", "abc_class": "ABC分类",
        "rfm_segment": "RFM分群", "lifecycle_stage": "生命周期阶段", "clv": "客户终身价值",
        "p_alive": "活跃概率", "churn_probability": "流失风险", "churn_reason": "流失原因",
        "expected_next_purchase": "预计下次购买日期", "next_action": "下一步行动",
        "next_action_due": "行动截止日期",
    },
}


def customer_360(book: Any, as_of: date, *, clv: Any = None, churn_scores: Any = None,
                 warning: Any = None, care_plan: Any = None, horizon_months: int = 12,
                 lang: str = "en") -> pl.DataFrame:
    """One row per customer of ``book`` with :data:`CRM_COLUMNS` (absent inputs leave nulls).

    - ``churn_probability``: step 04's score (customers it did not score are null);
      ``churn_reason``: the first reason of the warning list.
    - ``expected_next_purchase``: ``as_of`` + the expected gap between purchases,
      ``horizon_months`` x 30.4375 / CLV's expected purchases over the horizon (only when
      at least 1 purchase is expected over the horizon).
    - ``next_action``: the care plan's most urgent action, with ``next_action_due``.
    """
    people = as_polars(book, "book", ["customer_id", "owner", "tier"])
    out = people
    if clv is not None:
        c = as_polars(clv, "clv.parquet", ["customer_id", "clv", "p_alive", "expected_purchases"])
        out = out.join(c.select("customer_id", "clv", "p_alive", "expected_purchases"),
                       on="customer_id", how="left")
        gap = pl.lit(horizon_months * 365.25 / 12) / pl.col("expected_purchases")
        out = out.with_columns(
            pl.when(pl.col("expected_purchases") >= 1)
            .then(pl.lit(as_of) + pl.duration(days=gap.round(0).cast(pl.Int64)))
            .alias("expected_next_purchase")).drop("expected_purchases")
    if churn_scores is not None:
        s = as_polars(churn_scores, "churn_scores.parquet", ["customer_id", "churn_probability"])
        out = out.join(s.select("customer_id", "churn_probability"), on="customer_id", how="left")
    if warning is not None:
        w = as_polars(warning, "warning list", ["customer_id", "reasons"]).select(
            "customer_id", pl.col("reasons").cast(pl.String).str.replace_all("；", "; ")
            .str.split("; ").list.first()
            .alias("churn_reason"))
        out = out.join(w, on="customer_id", how="left")
    if care_plan is not None:
        cp = as_polars(care_plan, "care plan", ["customer_id", "kind", "priority", "due_date"])
        top = cp.sort(["priority", "due_date"]).group_by("customer_id", maintain_order=True).first()
        labels = {k: i18n.t(f"kind.{k}", lang, room=ROOM) for k in top.get_column("kind").unique()}
        out = out.join(top.select("customer_id",
                                  pl.col("kind").replace_strict(labels, return_dtype=pl.String)
                                  .alias("next_action"),
                                  pl.col("due_date").alias("next_action_due")),
                       on="customer_id", how="left")
    types = {"clv": pl.Float64, "p_alive": pl.Float64, "churn_probability": pl.Float64,
             "expected_next_purchase": pl.Date, "next_action_due": pl.Date}
    for col in CRM_COLUMNS:
        if col not in out.columns:
            out = out.with_columns(pl.lit(None, types.get(col, pl.String)).alias(col))
    return out.select(CRM_COLUMNS).sort("customer_id")


def preset_frame(table: Any, preset: str) -> tuple[pl.DataFrame, list[str]]:
    """``table`` in a preset's column order, and its headers (for ``exports.write_table``)."""
    if preset not in PRESETS:
        raise UsageError(f"CRM preset '{preset}' is not one of {sorted(PRESETS)}.")
    t = as_polars(table, "customer 360", list(PRESETS[preset]))
    cols = list(PRESETS[preset])
    return t.select(cols), [PRESETS[preset][c] for c in cols]


