"""The churn room's words (zh and en) in the house's one text store (``i18n``, room ``churn``).

Importing this module registers them; look them up with ``i18n.t(key, lang, room=ROOM)``
and fill sentences with ``i18n.say(key, lang, room=ROOM, **values)``.
"""

from __future__ import annotations

from .. import i18n

__all__ = ["FEATURE_LABELS", "ROOM", "feature_label"]

ROOM = "churn"

# Column and table labels.
i18n.register({
    "churn_window_days": {"zh": "流失判定窗口(天)", "en": "Churn window (days)"},
    "churned": {"zh": "已流失", "en": "Churned"},
    "flagged": {"zh": "预警", "en": "Flagged"},
    "reasons": {"zh": "预警原因", "en": "Reasons"},
    "action": {"zh": "建议措施", "en": "Suggested action"},
    "value": {"zh": "客户价值", "en": "Value"},
    "value_source": {"zh": "价值口径", "en": "Value basis"},
    "tier_source": {"zh": "等级来源", "en": "Tier basis"},
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
    "net_revenue_12m": {"zh": "近12个月净销售额", "en": "Net revenue, last 12 months"},
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
    "top_share": {"zh": "前{pct}%", "en": "top {pct}%"},
    "sheet_name": {"zh": "流失预警", "en": "churn warning"},
}, room=ROOM)

#: Readable names of the features (charts and tables).
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
i18n.register({f"feature_{k}": v for k, v in FEATURE_LABELS.items()}, room=ROOM)


def feature_label(feature: str, lang: str = "en") -> str:
    """Readable name of a feature (falls back to the shared labels, then to the name)."""
    key = f"feature_{feature}"
    label = i18n.t(key, lang, room=ROOM)
    return i18n.t(feature, lang, room=ROOM) if label == key else label


# The churn window in plain words (ChurnWindow.explain).
i18n.register({
    "window_core": {
        "en": ("Across {n_gaps:,} repeat purchases the median gap between two purchases is "
               "{median:.0f} days, and {q}% of repeat purchases come within {gap_q:.0f} days of the "
               "previous one."),
        "zh": ("在 {n_gaps:,} 次复购中,两次购买之间的间隔中位数为 {median:.0f} 天,"
               "{q}% 的复购发生在上一次购买后的 {gap_q:.0f} 天内。"),
    },
    "window_fitted": {
        "en": (" So a customer who makes no purchase in the {days} days after a date (rounded up to "
               "whole months) counts as churned: such a silence is very unlikely to be an ordinary "
               "pause between orders."),
        "zh": ("因此,客户在某日之后连续 {days} 天(向上取整到整月)没有购买即视为流失:"
               "这样的客户很可能已经离开,而不只是处于正常的购买间隔中。"),
    },
    "window_given": {"en": " The churn window was set by the user to {days} days.",
                     "zh": "流失判定窗口由用户指定为 {days} 天。"},
    "all_groups": {"en": "Every feature group is available.", "zh": "所有特征组均可用。"},
    "missing_groups": {"en": "Missing feature groups: {groups}", "zh": "缺少的特征组:{groups}"},
}, room=ROOM)

# Reasons (rules in reasons.py) and actions (suggest_action).
i18n.register({
    "reason_unresolved_complaints": {"en": "{n:.0f} unresolved complaint{plural}",
                                     "zh": "{n:.0f} 条投诉未解决"},
    "reason_severe_complaint": {"en": "a high or critical complaint on record",
                                "zh": "有高/紧急级别的投诉记录"},
    "reason_recent_complaints": {"en": "{n:.0f} complaints in the last 180 days",
                                 "zh": "近180天投诉 {n:.0f} 次"},
    "reason_overdue": {"en": "no order for {days:.0f} days, usually orders every {cycle:.0f}",
                       "zh": "已 {days:.0f} 天未下单(通常每 {cycle:.0f} 天一次)"},
    "reason_detractor": {"en": "latest NPS score {nps:.0f} of 10 (detractor)",
                         "zh": "最近一次NPS评分 {nps:.0f} 分(贬损者)"},
    "reason_low_csat": {"en": "latest satisfaction {csat:.0f} of 5", "zh": "最近一次满意度 {csat:.0f}/5 分"},
    "reason_few_visits": {"en": "no visit or call in 90 days (typical customer: {median:.0f} in 180 days)",
                          "zh": "近90天无拜访(一般客户180天内拜访 {median:.0f} 次)"},
    "reason_spend_decline": {"en": "spend in the last 90 days down {pct:.0f}% on the 90 days before",
                             "zh": "近90天消费较前90天下降 {pct:.0f}%"},
    "reason_order_decline": {"en": "{last:.0f} orders in the last 90 days against {prev:.0f} in the 90 before",
                             "zh": "近90天下单 {last:.0f} 次,之前90天 {prev:.0f} 次"},
    "reason_returns": {"en": "returned {pct:.0f}% of the value bought", "zh": "退货金额占购买金额的 {pct:.0f}%"},
    "reason_one_time": {"en": "only one purchase so far ({days:.0f} days ago)",
                        "zh": "至今仅购买过 1 次({days:.0f} 天前)"},
    "reason_low_p_alive": {"en": "purchase pattern gives only a {pct:.0f}% chance of still being active",
                           "zh": "购买规律显示仍活跃的概率仅 {pct:.0f}%"},
    "reason_none": {"en": "overall pattern (no single factor stands out)", "zh": "综合因素(无单一突出原因)"},
    "reason_sep": {"en": "; ", "zh": "；"},
    "action_complaint_A": {"en": "account manager calls within 48h and escalates the open complaint",
                           "zh": "客户经理48小时内致电,并升级处理未决投诉"},
    "action_complaint_any": {"en": "service team closes the open complaint within 5 working days and calls back",
                             "zh": "客服5个工作日内处理完投诉并回访"},
    "action_satisfaction_A": {"en": "account manager makes a satisfaction call this week",
                              "zh": "客户经理本周内进行满意度回访"},
    "action_satisfaction_any": {"en": "service team makes a satisfaction follow-up call", "zh": "客服进行满意度回访"},
    "action_contact_A": {"en": "schedule an on-site visit within 2 weeks", "zh": "两周内安排上门拜访"},
    "action_contact_B": {"en": "schedule an on-site visit within 2 weeks", "zh": "两周内安排上门拜访"},
    "action_contact_any": {"en": "WeChat or phone check-in this month", "zh": "本月内微信或电话问候"},
    "action_returns_any": {"en": "review the product or quality issues behind the returns",
                           "zh": "排查退货背后的产品或质量问题"},
    "action_activity_A": {"en": "key-account review with a tailored offer", "zh": "大客户专项复盘,提供定制方案"},
    "action_activity_B": {"en": "personal offer from the account manager", "zh": "客户经理提供专属优惠"},
    "action_activity_any": {"en": "automated win-back coupon by SMS/WeChat", "zh": "自动发送挽回优惠券(短信/微信)"},
}, room=ROOM)

# The notebook's sentences (present.narrative).
i18n.register({
    "text_definition": {
        "en": ("**Churn definition.** {explain}\n\n**Who is scored.** Customers with at least one purchase "
               "and a last purchase at most {lapsed} days before the date; those silent for longer have "
               "already churned by this definition and belong on a win-back list. At {as_of}: "
               "**{n:,} customers** are scored."),
        "zh": ("**流失定义。** {explain}\n\n**评分对象。** 至少购买过一次、且最近一次购买距评估日不超过 {lapsed} 天"
               "的客户;沉默更久的客户按此定义已经流失,应进入挽回名单而非预警名单。截至 {as_of},"
               "共 **{n:,} 位客户**参与评分。"),
    },
    "text_design": {
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
    "text_evaluation": {
        "en": ("**Result.** Ranked by the model, the riskiest 10% of customers churned {lift:.1f} times as "
               "often as average (the best baseline: {base_lift:.1f} times); the ROC AUC is {auc:.2f} against "
               "{base_auc:.2f} for the best baseline (0.5 is a coin toss, 1 is perfect). {verdict}"),
        "zh": ("**结果。** 按模型排序,风险最高的 10% 客户的流失率是平均水平的 {lift:.1f} 倍"
               "(最好的基线为 {base_lift:.1f} 倍);ROC AUC 为 {auc:.2f},最好的基线为 {base_auc:.2f}"
               "(0.5 相当于抛硬币,1 为完美)。{verdict}"),
    },
    "text_better": {"en": "The model adds value over the simple rules.", "zh": "模型比简单规则更有价值。"},
    "text_worse": {
        "en": ("The model does **not** beat the simple rules on this data; use the baseline ranking "
               "(days since last purchase) until more history or service data is available."),
        "zh": "在这份数据上模型**没有**超过简单规则;在积累更多历史或服务数据之前,建议按“距上次购买天数”排序。",
    },
    "text_threshold": {
        "en": ("**Warning threshold.** A customer is flagged when the churn probability is at least "
               "{t:.2f} ({why}). Applied the same way at the test date, it flagged {flag:,} customers, of "
               "whom {tp:,} did churn ({prec:.0%}); it caught {rec:.0%} of all churners."),
        "zh": ("**预警阈值。** 流失概率不低于 {t:.2f} 的客户被列入预警({why})。"
               "按同样规则,在检验日共预警 {flag:,} 位客户,其中 {tp:,} 位确实流失({prec:.0%}),"
               "覆盖了全部流失客户的 {rec:.0%}。"),
    },
    "text_calibration": {
        "en": ("**Calibration.** The Brier score is {brier:.3f} (lower is better). When the points lie on the "
               "diagonal, a probability of 40% means about 40 in 100 such customers churn."),
        "zh": ("**校准。** Brier 分数为 {brier:.3f}(越低越好)。点越接近对角线,概率越可信:40% 的概率意味着"
               "约 100 位类似客户中有 40 位流失。"),
    },
    "text_drivers": {
        "en": ("**What drives the risk.** Shuffling a feature on the test date and measuring how much the "
               "ROC AUC drops shows how much the model relies on it. The top three: {top}."),
        "zh": "**风险来自哪里。** 在检验日打乱某一特征后 ROC AUC 下降越多,说明模型越依赖它。最重要的三项:{top}。",
    },
    "text_risk": {
        "en": ("**Revenue at risk.** {flag:,} customers are flagged today; churn probability x value adds up "
               "to **{risk}** at risk. Value is {basis}."),
        "zh": "**风险收入。** 今天共有 {flag:,} 位客户被预警;流失概率 x 客户价值合计 **{risk}**。客户价值口径:{basis}。",
    },
    "text_why_f1": {"en": "the value that balanced precision and recall best on the training data",
                    "zh": "该值在训练数据上使精确率与召回率最平衡"},
    "text_why_share": {"en": ("the riskiest {share:.0%} of the customers scored today: the share the "
                              "retention team can contact"),
                       "zh": "即今天评分客户中风险最高的 {share:.0%},挽留团队能够联系的比例"},
    "text_basis_clv": {"en": "the CLV from step 03 (12-month net revenue where a customer has none)",
                       "zh": "第 03 步的客户终身价值(缺失时用近12个月净销售额)"},
    "text_basis_net_revenue": {"en": "net revenue of the last 12 months (step 03 CLV not available)",
                               "zh": "近12个月净销售额(未找到第 03 步的客户终身价值)"},
    "text_reasons": {
        "en": ("**Reasons** are rules read from the customer's own data (open complaints, silence longer than "
               "their usual purchase gap, low NPS, fewer visits, falling spend...), ranked by how much the "
               "model relies on the underlying feature. **Actions** follow the tier and the first reason."),
        "zh": ("**预警原因**由规则从客户自身数据读出(未解决投诉、沉默时间超过其通常购买间隔、NPS偏低、拜访减少、"
               "消费下降等),按模型对相应特征的依赖程度排序。**建议措施**依据客户等级与首要原因给出。"),
    },
}, room=ROOM)
