"""The service room's text: column labels, values, KPI names and sentence templates.

Registered once in the house's text store under room ``service``
(``i18n.t(key, lang, room="service")``; full keys ``service.<key>``).
"""

from __future__ import annotations

from .. import i18n

__all__ = ["ROOM"]

ROOM = "service"

i18n.register({
    "kpi.active_customers": {"zh": "活跃客户数", "en": "Active customers"},
    "kpi.new_customers": {"zh": "新客户数", "en": "New customers"},
    "kpi.retention_rate": {"zh": "客户留存率", "en": "Retention rate"},
    "kpi.revenue": {"zh": "销售额", "en": "Revenue"},
    "kpi.aov": {"zh": "客单价(平均订单金额)", "en": "Average order value"},
    "kpi.repeat_rate": {"zh": "复购率", "en": "Repeat rate"},
    "kpi.nps": {"zh": "净推荐值(NPS)", "en": "NPS"},
    "kpi.complaint_rate": {"zh": "投诉率(每百客户)", "en": "Complaints per 100 customers"},
    "kpi.median_resolution_hours": {"zh": "投诉解决时长中位数(小时)",
                                    "en": "Median resolution time (hours)"},
    "kpi.outlier_orders": {"zh": "异常大额订单数(清洗标记)",
                           "en": "Outlier orders (flagged by the cleaning)"},
    "kpi.revenue_share": {"zh": "{tier}级客户销售额占比", "en": "Revenue share, tier {tier}"},
    "kpi.revenue_share_none": {"zh": "未分级客户销售额占比", "en": "Revenue share, no tier"},
    "policy.cap": {"zh": "按正常订单金额的 {q:.0%} 分位数封顶计入金额类指标",
                   "en": "enter money figures capped at the {q:.0%} quantile of normal orders"},
    "policy.keep": {"zh": "按原金额计入金额类指标", "en": "enter money figures as booked"},
    "policy.exclude": {"zh": "金额按 0 计入金额类指标", "en": "enter money figures as 0"},
    "text.revenue": {
        "zh": "本期({period})净销售额 **{revenue}**,活跃客户 {active} 位,客单价 {aov}。",
        "en": "This period ({period}) net revenue is **{revenue}** from {active} active "
              "customers; average order value {aov}."},
}, room=ROOM)

i18n.register({
    "kpi": {"zh": "指标", "en": "KPI"},
    "current": {"zh": "本期", "en": "Current"},
    "previous": {"zh": "上期", "en": "Previous"},
    "prev_delta": {"zh": "环比", "en": "vs previous"},
    "last_year": {"zh": "去年同期", "en": "Last year"},
    "yoy_delta": {"zh": "同比", "en": "vs last year"},
    "points": {"zh": "个百分点", "en": "pts"},
    "note.too_few": {"zh": "无(样本过少)", "en": "n/a (too few)"},
    "note.no_data": {"zh": "无(无数据)", "en": "n/a (no data)"},
    "note.zero_base": {"zh": "无(基数为零)", "en": "n/a (zero base)"},
    "value.none": {"zh": "未分级", "en": "No tier"},
    "value.shared_pool": {"zh": "公海", "en": "Shared pool (公海)"},
    "value.low": {"zh": "低", "en": "Low"},
    "value.medium": {"zh": "中", "en": "Medium"},
    "value.high": {"zh": "高", "en": "High"},
    "value.critical": {"zh": "紧急", "en": "Critical"},
    "value.lt_1d": {"zh": "不足1天", "en": "< 1 day"},
    "value.1_3d": {"zh": "1-3天", "en": "1-3 days"},
    "value.3_7d": {"zh": "3-7天", "en": "3-7 days"},
    "value.7_30d": {"zh": "7-30天", "en": "7-30 days"},
    "value.gt_30d": {"zh": "超过30天", "en": "> 30 days"},
    "value.complainer": {"zh": "投诉客户", "en": "Complainers"},
    "value.control": {"zh": "对照组(未投诉)", "en": "Matched non-complainers"},
    "value.unmatched": {"zh": "无可匹配对照", "en": "No match found"},
    "value.excluded_no_prior_purchase": {"zh": "投诉前无购买(未比较)",
                                                 "en": "No purchase before complaint (not compared)"},
    "value.excluded_window_incomplete": {"zh": "观察期未满(未比较)",
                                                 "en": "Window not complete yet (not compared)"},
    "value.follows_value": {"zh": "拜访明显跟随客户价值", "en": "Visits clearly follow value"},
    "value.weakly_follows": {"zh": "拜访略微跟随客户价值", "en": "Visits weakly follow value"},
    "value.not_following": {"zh": "拜访未跟随客户价值", "en": "Visits do not follow value"},
    "rate": {"zh": "每百客户投诉数", "en": "Complaints per 100 customers"},
    "complainants": {"zh": "投诉客户数", "en": "Complaining customers"},
    "complainant_share": {"zh": "投诉客户占比", "en": "Share who complained"},
    "category": {"zh": "投诉类别", "en": "Category"},
    "severity": {"zh": "严重程度", "en": "Severity"},
    "resolved": {"zh": "已解决", "en": "Resolved"},
    "open": {"zh": "未解决", "en": "Open"},
    "median_hours": {"zh": "解决时长中位数(小时)", "en": "Median hours to resolve"},
    "p90_hours": {"zh": "解决时长90分位(小时)", "en": "90th percentile hours"},
    "sla_hours": {"zh": "时限(小时)", "en": "SLA (hours)"},
    "breaches_resolved": {"zh": "超时解决", "en": "Resolved late"},
    "breaches_open": {"zh": "未解决且超时", "en": "Open past SLA"},
    "breaches": {"zh": "超时合计", "en": "SLA breaches"},
    "breach_rate": {"zh": "超时率", "en": "Breach rate"},
    "breached": {"zh": "已超时", "en": "Past SLA"},
    "complaint_id": {"zh": "投诉编号", "en": "Complaint ID"},
    "opened_at": {"zh": "受理时间", "en": "Opened"},
    "age_hours": {"zh": "已开启(小时)", "en": "Open for (hours)"},
    "age_days": {"zh": "已开启(天)", "en": "Open for (days)"},
    "age_band": {"zh": "积压时长", "en": "Age"},
    "owner": {"zh": "客户经理", "en": "Account manager"},
    "first_complaint": {"zh": "首次投诉", "en": "First complaint"},
    "last_complaint": {"zh": "最近投诉", "en": "Last complaint"},
    "categories": {"zh": "投诉类别", "en": "Categories"},
    "group": {"zh": "组别", "en": "Group"},
    "no_purchase_share": {"zh": "之后未再购买占比", "en": "Share with no purchase after"},
    "mean_spend_before": {"zh": "之前平均消费", "en": "Mean spend before"},
    "mean_spend_after": {"zh": "之后平均消费", "en": "Mean spend after"},
    "spend_change": {"zh": "消费变化", "en": "Spend change"},
    "visited_customers": {"zh": "被拜访客户数", "en": "Customers visited"},
    "visits_per_customer_month": {"zh": "每客户每月拜访次数",
                                          "en": "Visits per customer per month"},
    "visited_share": {"zh": "被拜访客户占比", "en": "Share visited"},
    "median_days_between": {"zh": "拜访间隔中位数(天)", "en": "Median days between visits"},
    "last_visit": {"zh": "最近拜访", "en": "Last visit"},
    "days_without_visit": {"zh": "未拜访天数", "en": "Days without a visit"},
    "policy_days": {"zh": "拜访政策(天)", "en": "Policy (days)"},
    "overdue_days": {"zh": "超期天数", "en": "Days overdue"},
    "never_visited": {"zh": "从未拜访", "en": "Never visited"},
    "n_nps": {"zh": "NPS样本数", "en": "NPS answers"},
    "promoters": {"zh": "推荐者", "en": "Promoters"},
    "passives": {"zh": "中立者", "en": "Passives"},
    "detractors": {"zh": "贬损者", "en": "Detractors"},
    "nps": {"zh": "净推荐值(NPS)", "en": "NPS"},
    "ci_low": {"zh": "置信下限", "en": "CI low"},
    "ci_high": {"zh": "置信上限", "en": "CI high"},
    "n_csat": {"zh": "CSAT样本数", "en": "CSAT answers"},
    "csat_share": {"zh": "满意占比(4-5分)", "en": "CSAT (share 4-5)"},
    "csat_mean": {"zh": "平均满意度", "en": "Mean CSAT"},
    "period": {"zh": "期间", "en": "Period"},
    "survey_date": {"zh": "调查日期", "en": "Survey date"},
    "csat": {"zh": "满意度(CSAT)", "en": "CSAT"},
    "open_complaints": {"zh": "未解决投诉", "en": "Open complaints"},
    "oldest_open_hours": {"zh": "最久未解决(小时)", "en": "Oldest open (hours)"},
    "breached_open": {"zh": "超时未解决", "en": "Open past SLA"},
    "cohort": {"zh": "获客批次", "en": "Cohort"},
    "periods_since": {"zh": "获客后期数", "en": "Periods since acquisition"},
    "new_customers": {"zh": "新客户", "en": "New customers"},
    "returning_customers": {"zh": "老客户", "en": "Returning customers"},
    "new_revenue": {"zh": "新客户销售额", "en": "Revenue from new"},
    "returning_revenue": {"zh": "老客户销售额", "en": "Revenue from returning"},
    "returning_revenue_share": {"zh": "老客户销售额占比", "en": "Returning revenue share"},
    "share": {"zh": "占比", "en": "Share"},
    "months_since": {"zh": "获客后月数", "en": "Months since acquisition"},
    "retention": {"zh": "客户留存率", "en": "Customer retention"},
    "revenue_retention": {"zh": "收入留存率", "en": "Revenue retention"},
    "last_active": {"zh": "最后购买月份", "en": "Month of last purchase"},
    "rho": {"zh": "秩相关系数", "en": "Rank correlation"},
    "text.scope": {
        "zh": "数据截至 **{as_of}**;趋势与分布看最近 {months} 个月({start} 至 {as_of});在册客户 "
              "{customers} 位。清洗标记的 {outliers} 笔异常大额订单照常计为购买,其金额{policy}"
              "(全公司统一规则 transactions.outlier_amounts)。",
        "en": "Data as of **{as_of}**; breakdowns cover the last {months} months ({start} to "
              "{as_of}); {customers} customers on file. {outliers} order(s) flagged as outliers by "
              "the cleaning count as purchases; their amounts {policy} (the house rule "
              "transactions.outlier_amounts)."},
    "text.complaints": {
        "zh": "最近 {months} 个月共受理 **{n}** 起投诉,相当于每百位客户 **{rate:.1f}** 起。已解决投诉的"
              "解决时长中位数为 **{median:.1f} 小时**,90% 的投诉在 {p90:.1f} 小时内解决;"
              "**{breaches}** 起超出时限(SLA),其中 {open_breaches} 起至今仍未解决。",
        "en": "In the last {months} months **{n}** complaints were received, **{rate:.1f}** per "
              "100 customers. Resolved complaints took a median of **{median:.1f} hours** (90% "
              "within {p90:.1f} hours); **{breaches}** breached their SLA, {open_breaches} of them "
              "still open."},
    "text.backlog": {
        "zh": "截至 {as_of},共有 **{n}** 起投诉尚未解决,其中 **{breached}** 起已超时;最久的一起已开启 "
              "{oldest:.0f} 天。",
        "en": "At {as_of}, **{n}** complaints are still open, **{breached}** of them past their "
              "SLA; the oldest has been open for {oldest:.0f} days."},
    "text.aftermath": {
        "zh": "投诉后 {days} 天内,**{c_share:.1%}** 的投诉客户没有再购买;同等级、同期已有购买的未投诉客户"
              "(随机匹配的对照组)中这一比例为 **{k_share:.1%}**。消费额变化:投诉客户 {c_change:+.1%},"
              "对照组 {k_change:+.1%}。两组差距越大,越说明投诉处理关系到客户挽留。",
        "en": "Within {days} days after their first complaint **{c_share:.1%}** of complainers bought "
              "nothing, against **{k_share:.1%}** of matched non-complainers (same tier, already "
              "customers at that date, drawn at random). Spend changed by {c_change:+.1%} for "
              "complainers and {k_change:+.1%} for the matched group. The larger the gap, the more "
              "complaint handling matters for retention."},
    "text.visits": {
        "zh": "A 级客户每人每月平均被拜访 {a:.2f} 次,C 级 {c:.2f} 次。客户价值与拜访次数的秩相关系数为 "
              "**{rho:.2f}**(p = {p:.2g},{n} 位客户)。结论:**{verdict}**。",
        "en": "Tier A customers get {a:.2f} visits per customer per month, tier C {c:.2f}. The "
              "rank correlation between customer value and visits is **{rho:.2f}** (p = {p:.2g}, "
              "{n} customers). In plain words: **{verdict}**."},
    "text.overdue": {
        "zh": "**{n}** 位重点客户超过拜访政策未被拜访,其中 {never} 位从未被拜访。以下按超期天数排列,"
              "交由对应客户经理跟进。",
        "en": "**{n}** key customers have gone longer without a visit than the policy allows "
              "({never} never visited). Listed most overdue first, with their account manager."},
    "text.nps": {
        "zh": "最近 {months} 个月 NPS 为 **{nps:.1f}**({conf:.0%} 置信区间 {lo:.1f} 至 {hi:.1f};{n} 位"
              "客户的最新答卷;区间按正态近似计算)。CSAT(打 4-5 分的占比)为 **{csat:.1%}**,平均 {csat_mean:.2f} 分。",
        "en": "Over the last {months} months NPS is **{nps:.1f}** ({conf:.0%} interval {lo:.1f} to "
              "{hi:.1f}; latest answer of {n} customers; normal approximation). CSAT (share "
              "scoring 4-5) is **{csat:.1%}**, mean {csat_mean:.2f}."},
    "text.detractors": {
        "zh": "**{n}** 位贬损者(最近一次 NPS 打 0-6 分)仍有未解决的投诉,应优先处理并回访。",
        "en": "**{n}** detractors (latest NPS answer 0-6) still have an open complaint: resolve "
              "and call them first."},
    "text.churned": {
        "zh": "共有 {n} 位客户已超过 {days} 天未购买(视为流失)。下表为他们最后一次购买所在的月份。",
        "en": "{n} customers have not bought for more than {days} days (counted as churned). "
              "The table shows the month of their last purchase."},
}, room=ROOM)
