"""The management room's text: column labels, action kinds, reasons and sentences (room ``manage``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

from .. import i18n

__all__ = ["ROOM", "say", "say_column"]

ROOM = "manage"

i18n.register({
    # action kinds
    "kind.complaint_follow_up": {"zh": "投诉跟进", "en": "Complaint follow-up"},
    "kind.win_back_call": {"zh": "挽回致电", "en": "Win-back call"},
    "kind.retention_call": {"zh": "保留回访", "en": "Retention call"},
    "kind.visit_overdue": {"zh": "拜访逾期", "en": "Visit overdue"},
    "kind.visit_due": {"zh": "拜访到期", "en": "Visit due"},
    "kind.anniversary": {"zh": "合作周年", "en": "Signup anniversary"},
    "kind.birthday": {"zh": "生日关怀", "en": "Birthday"},
    # reasons (why a customer is on the care plan)
    "reason.visit_overdue": {"zh": "{tier} 级客户,上次拜访 {last}({days} 天前),标准每 {policy} 天,已逾期 {late} 天",
                             "en": "Tier {tier}: last visit {last} ({days} days ago) on a {policy}-day cadence, {late} days overdue"},
    "reason.visit_overdue_never": {"zh": "{tier} 级客户,建档 {last} 后从未拜访({days} 天),标准每 {policy} 天",
                                   "en": "Tier {tier}: never visited since signup {last} ({days} days) on a {policy}-day cadence"},
    "reason.visit_due": {"zh": "{tier} 级客户,上次拜访 {last},标准每 {policy} 天,下期到期",
                         "en": "Tier {tier}: last visit {last}, {policy}-day cadence falls due next period"},
    "reason.complaint_open": {"zh": "投诉 {id} 于 {opened} 受理,{days} 天仍未解决",
                              "en": "Complaint {id} opened {opened} is still open after {days} days"},
    "reason.complaint_resolved": {"zh": "投诉 {id} 于 {resolved} 解决,之后尚未回访",
                                  "en": "Complaint {id} resolved {resolved}, no contact since"},
    "reason.win_back": {"zh": "流失预警(流失概率 {p:.0%}):{why}",
                        "en": "Churn warning (probability {p:.0%}): {why}"},
    "reason.segment": {"zh": "RFM 分群:{segment}", "en": "RFM segment: {segment}"},
    "reason.anniversary": {"zh": "合作 {years} 周年(建档 {since})",
                           "en": "{years}-year anniversary of signup ({since})"},
    "reason.birthday": {"zh": "生日 {day}", "en": "Birthday on {day}"},
    # pool
    "reason.reclaim": {"zh": "{days} 天无拜访且无订单(规则 {limit} 天)",
                       "en": "No visit and no order for {days} days (rule: {limit} days)"},
    "reason.reclaim_never": {"zh": "建档后从无拜访和订单({days} 天,规则 {limit} 天)",
                             "en": "No visit and no order ever ({days} days on file, rule: {limit} days)"},
    # alerts
    "alert.tier_a_risk_up": {"zh": "A 级客户风险收入较上期上升 {change:.0%}(阈值 {limit:.0%}):{cur}",
                             "en": "Tier-A revenue at risk up {change:.0%} on last period (threshold {limit:.0%}): {cur}"},
    "alert.nps_down": {"zh": "NPS 较上期下降 {change:.1f} 分(阈值 {limit:.1f}):{cur:.1f}",
                       "en": "NPS down {change:.1f} points on last period (threshold {limit:.1f}): now {cur:.1f}"},
    "alert.sla_breach_share": {"zh": "本期 {share:.0%} 的投诉超出 SLA(阈值 {limit:.0%},{n} 件)",
                               "en": "{share:.0%} of this period's complaints breached their SLA (threshold {limit:.0%}, {n} complaints)"},
    "alert.forecast_miss": {"zh": "上期销售预测偏差 {miss:.0%}(阈值 {limit:.0%}):预测 {fc},实际 {act}",
                            "en": "Last period's revenue forecast missed by {miss:.0%} (threshold {limit:.0%}): forecast {fc}, actual {act}"},
    "alerts_title": {"zh": "预警", "en": "Alerts"},
    "no_alerts": {"zh": "本期没有触发任何预警。", "en": "No alert fired this period."},
    # sentences of notebook 06
    "text.forecast_useful": {"zh": "在过去 {n} 个报告期的样本外回测中,模型预测总销售额的 WAPE 为 {model}(偏差 {bias}),优于惯用做法(前三个月平均)的 {practice} 和去年同期的 {naive}:模型有用。",
                             "en": "Backtested out of time on the last {n} periods, the model's total-revenue WAPE is {model} (bias {bias}), better than the practice baseline (average of the previous three months, {practice}) and the seasonal-naive baseline (same period last year, {naive}): the model is useful."},
    "text.forecast_not_useful": {"zh": "在过去 {n} 个报告期的样本外回测中,模型预测总销售额的 WAPE 为 {model}(偏差 {bias}),惯用做法(前三个月平均)为 {practice},去年同期为 {naive}。模型没有同时胜过两条基线,本期预测仅供参考。",
                                 "en": "Backtested out of time on the last {n} periods, the model's total-revenue WAPE is {model} (bias {bias}) against {practice} for the practice baseline (average of the previous three months) and {naive} for the seasonal-naive baseline. The model does not beat both baselines: treat its forecast as indicative only."},
    "text.forecast_none": {"zh": "历史数据不足,无法做样本外回测。", "en": "Not enough history for an out-of-time backtest."},
    "text.forecast_customer": {"zh": "单个客户层面的 WAPE:模型 {model},前三个月平均 {practice},去年同期 {naive}(单个客户的购买很稀疏,误差自然远大于总量)。",
                               "en": "At the customer level the WAPE is {model} for the model, {practice} for the practice baseline and {naive} for seasonal naive (single customers buy sparsely, so errors are far larger than in total)."},
    "text.next": {"zh": "{period} 预计销售额 {total}(其中首次购买客户约 {new};季节指数 {season:.2f})。",
                  "en": "Revenue forecast for {period}: {total} (of which first-time buyers about {new}; seasonal index {season:.2f})."},
    "text.tracking": {"zh": "上期对 {period} 的预测为 {fc},实际为 {act},偏差 {miss}。",
                      "en": "Last period forecast {fc} for {period}; actual was {act}, a miss of {miss}."},
    "text.tracking_none": {"zh": "没有找到上一期的预测(上一期报告未运行本步骤),下期起可对比预测与实际。",
                           "en": "No forecast from the previous period was found (its report did not run this step); from next period on, forecast and actual are compared here."},
    "text.care_plan": {"zh": "下期行动清单共 {n} 项,涉及 {owners} 位负责人。",
                       "en": "The next period's care plan holds {n} actions for {owners} owners."},
    "text.pool": {"zh": "{n} 个已分配客户超过 {days} 天无拜访且无订单(价值合计 {value}),建议收回公海;公海中价值最高的 {claim} 个客户列入认领名单。",
                  "en": "{n} owned accounts have had neither a visit nor an order for more than {days} days ({value} of value): reclaim candidates. The {claim} most valuable unowned accounts are on the claim list."},
    # columns
    "owner": {"zh": "客户经理", "en": "Owner"},
    "team": {"zh": "团队", "en": "Team"},
    "region": {"zh": "区域", "en": "Region"},
    "customers": {"zh": "客户数", "en": "Customers"},
    "customers_A": {"zh": "A级", "en": "Tier A"},
    "customers_B": {"zh": "B级", "en": "Tier B"},
    "customers_C": {"zh": "C级", "en": "Tier C"},
    "customers_none": {"zh": "未分级", "en": "No tier"},
    "revenue": {"zh": "本期净销售额", "en": "Net revenue"},
    "revenue_prev": {"zh": "上期净销售额", "en": "Previous period"},
    "revenue_change": {"zh": "销售额变化", "en": "Revenue change"},
    "prev_active": {"zh": "上期活跃", "en": "Active last period"},
    "retained": {"zh": "本期仍活跃", "en": "Still active"},
    "retention": {"zh": "留存率", "en": "Retention"},
    "expected_retention": {"zh": "按等级结构预期留存率", "en": "Expected retention (tier mix)"},
    "retention_lift": {"zh": "留存率超出预期", "en": "Retention vs expected"},
    "expected_revenue": {"zh": "按等级结构预期销售额", "en": "Expected revenue (tier mix)"},
    "revenue_lift": {"zh": "销售额超出预期", "en": "Revenue vs expected"},
    "upgrades": {"zh": "升级", "en": "Upgrades"},
    "downgrades": {"zh": "降级", "en": "Downgrades"},
    "net_migration": {"zh": "净升级", "en": "Net migration"},
    "revenue_at_risk": {"zh": "风险收入", "en": "Revenue at risk"},
    "revenue_at_risk_A": {"zh": "A级风险收入", "en": "Tier-A revenue at risk"},
    "visit_covered": {"zh": "有拜访标准的客户", "en": "Under a visit policy"},
    "visits_overdue": {"zh": "拜访逾期", "en": "Visits overdue"},
    "visit_compliance": {"zh": "拜访达标率", "en": "Visit compliance"},
    "complaints": {"zh": "投诉数", "en": "Complaints"},
    "sla_compliance": {"zh": "SLA 达标率", "en": "SLA compliance"},
    "median_resolution_hours": {"zh": "解决时长中位数(小时)", "en": "Median resolution (h)"},
    "n_nps": {"zh": "NPS 答卷", "en": "NPS answers"},
    "nps": {"zh": "NPS", "en": "NPS"},
    "nps_low": {"zh": "NPS 下限", "en": "NPS low"},
    "nps_high": {"zh": "NPS 上限", "en": "NPS high"},
    "nps_prev": {"zh": "上期 NPS", "en": "NPS last period"},
    "nps_change": {"zh": "NPS 变化", "en": "NPS change"},
    "rank": {"zh": "排名", "en": "Rank"},
    "note": {"zh": "备注", "en": "Note"},
    "kind": {"zh": "行动类型", "en": "Action"},
    "priority": {"zh": "优先级", "en": "Priority"},
    "due_date": {"zh": "截止日期", "en": "Due by"},
    "reason": {"zh": "原因", "en": "Reason"},
    "customer_id": {"zh": "客户编号", "en": "Customer ID"},
    "name": {"zh": "客户名称", "en": "Name"},
    "company": {"zh": "公司名称", "en": "Company"},
    "phone": {"zh": "联系电话", "en": "Phone"},
    "email": {"zh": "电子邮箱", "en": "E-mail"},
    "tier": {"zh": "等级", "en": "Tier"},
    "clv": {"zh": "客户终身价值", "en": "CLV"},
    "value": {"zh": "价值", "en": "Value"},
    "days_idle": {"zh": "无往来天数", "en": "Days without contact"},
    "last_visit": {"zh": "上次拜访", "en": "Last visit"},
    "last_purchase": {"zh": "上次购买", "en": "Last purchase"},
    "net_revenue_12m": {"zh": "近12个月净销售额", "en": "Net revenue, 12 months"},
    "p_alive": {"zh": "活跃概率", "en": "P(alive)"},
    "expected_purchases": {"zh": "预计购买次数", "en": "Expected purchases"},
    "expected_revenue_next": {"zh": "下期预计销售额", "en": "Expected revenue next period"},
    "too_few": {"zh": "样本太少", "en": "too few"},
    "shared_pool": {"zh": "公海", "en": "shared pool"},
    "none": {"zh": "未分级", "en": "no tier"},
    "unassigned": {"zh": "未分配", "en": "unassigned"},
    "chart.title": {"zh": "客户规模与业绩(相对等级结构预期)", "en": "Book size and performance against its tier mix"},
    "chart.x": {"zh": "客户数", "en": "Customers in the book"},
    "chart.y": {"zh": "留存率超出预期(百分点)", "en": "Retention above expected (points)"},
    "search": {"zh": "搜索", "en": "Search"},
    "csv_only": {"zh": "以下清单超过 {limit:,} 行,只写 CSV(不写 XLSX):{names}",
                 "en": "These lists have more than {limit:,} rows and are written as CSV only "
                       "(no XLSX): {names}"},
}, room=ROOM)


def say(key: str, lang: str, **values: Any) -> str:
    """The room's sentence ``reason.<key>`` in ``lang``, filled with ``values``."""
    return i18n.say(f"reason.{key}", lang, room=ROOM, **values)


def say_column(frame: pl.DataFrame, key: str | pl.Expr, lang: str,
               values: Mapping[str, pl.Expr]) -> pl.Series:
    """The sentence ``reason.<key>`` of every row of ``frame``, filled with ``values``.

    ``key`` is a template name or an expression giving one per row; ``values`` map the
    template's fields to expressions on ``frame`` (dates as ISO text, counts as integers).
    Each distinct combination is formatted once (a plan of a million rows has a few
    thousand distinct sentences), so the text is exactly what ``i18n.say`` writes.
    """
    if frame.height == 0:
        return pl.Series("reason", [], dtype=pl.String)
    key_expr = pl.lit(key) if isinstance(key, str) else key
    v = frame.select(key_expr.alias("_key"), *[e.alias(n) for n, e in values.items()])
    u = v.unique(maintain_order=True)
    names = list(values)
    texts = [say(row[0], lang, **dict(zip(names, row[1:], strict=True)))
             for row in u.iter_rows()]
    u = u.with_columns(pl.Series("reason", texts, dtype=pl.String))
    return v.join(u, on=["_key", *names], how="left", nulls_equal=True,
                  maintain_order="left").get_column("reason")
