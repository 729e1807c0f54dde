"""The report's words (room ``report`` of :mod:`workbench.i18n`): page labels and the
sentence templates of the executive summary's findings."""

from __future__ import annotations

from .. import i18n

__all__ = ["ROOM"]

#: The i18n room of the report: keys are stored as ``report.<key>``.
ROOM = "report"

i18n.register({
    # section titles, one per notebook
    "01_data_cleaning": {"zh": "数据清洗", "en": "Data cleaning"},
    "02_segmentation": {"zh": "客户分级与分群", "en": "Tiers and segments"},
    "03_clv": {"zh": "客户终身价值", "en": "Customer lifetime value"},
    "04_churn": {"zh": "流失预警", "en": "Churn warning"},
    "05_service": {"zh": "客户服务", "en": "Customer service"},
    "06_management": {"zh": "经营管理", "en": "Managing with the analysis"},
    "00_summary": {"zh": "管理摘要", "en": "Executive summary"},
    # pages and the reports index
    "contents": {"zh": "目录", "en": "Contents"},
    "all_periods": {"zh": "全部报告期", "en": "All periods"},
    "period": {"zh": "报告期", "en": "Period"},
    "as_of": {"zh": "截至日期", "en": "As of"},
    "status": {"zh": "状态", "en": "Status"},
    "run_at": {"zh": "运行时间", "en": "Run at"},
    "duration": {"zh": "耗时(秒)", "en": "Duration (s)"},
    "report": {"zh": "报告", "en": "Report"},
    "reports_title": {"zh": "客户分析报告", "en": "Customer analytics reports"},
    "kpi": {"zh": "指标", "en": "KPI"},
    "current": {"zh": "本期", "en": "This period"},
    "previous": {"zh": "上期", "en": "Previous period"},
    "change": {"zh": "变化", "en": "Change"},
    "trend": {"zh": "趋势", "en": "Trend"},
    "start": {"zh": "期初", "en": "Period start"},
    # the summary's opening line
    "intro": {"zh": "**{company}** {label} 报告期管理摘要(数据期间 {start} 至 {end})。"
                    "下表为本期关键指标及与上期的对比,随后是本期最值得关注的发现。",
              "en": "Executive summary of **{company}** for {label} (data from {start} to {end}). "
                    "The scorecard compares this period with the previous one; the findings after "
                    "it are what matters most this period."},
    # findings: sentence templates filled by workbench.report.present.narrative
    "revenue_up": {"zh": "本期销售额为 {cur},较上期增长 {pct}。",
                   "en": "Revenue this period was {cur}, up {pct} on the previous period."},
    "revenue_down": {"zh": "本期销售额为 {cur},较上期下降 {pct}。",
                     "en": "Revenue this period was {cur}, down {pct} on the previous period."},
    "revenue_flat": {"zh": "本期销售额为 {cur},与上期持平。",
                     "en": "Revenue this period was {cur}, level with the previous period."},
    "tier_a": {"zh": "A 级客户共 {n} 家,占 {total} 家已分级客户的 {cshare},贡献了 {rshare} 的销售额。",
               "en": "The {n} tier-A customers ({cshare} of {total} tiered customers) bring in "
                     "{rshare} of revenue."},
    "tier_a_count": {"zh": "A 级客户共 {n} 家,占 {total} 家已分级客户的 {cshare}。",
                     "en": "{n} of {total} tiered customers ({cshare}) are tier A."},
    "churn_risk": {"zh": "流失预警名单列出 {n} 家客户,风险收入合计 {money}。",
                   "en": "The churn warning list flags {n} customers with {money} of revenue at "
                         "risk."},
    "churn_risk_money": {"zh": "面临流失风险的收入合计 {money}。",
                         "en": "Revenue at risk from likely churners totals {money}."},
    "churn_model": {"zh": "流失模型的 ROC AUC 为 {auc:.2f}(仅按最近购买时间排序为 {base:.2f}),"
                          "名单前 10% 客户的流失比例是平均水平的 {lift:.1f} 倍。",
                    "en": "The churn model ranks customers with ROC AUC {auc:.2f} (recency alone: "
                          "{base:.2f}); its top 10% churn {lift:.1f} times as often as average."},
    "churn_model_weak": {"zh": "注意:流失模型的 ROC AUC 为 {auc:.2f},不如仅按最近购买时间排序"
                               "({base:.2f});本期请以最近购买时间为主安排挽留,详见流失预警报告。",
                         "en": "Caution: the churn model (ROC AUC {auc:.2f}) ranks customers no "
                               "better than recency alone ({base:.2f}) this period; lean on recency "
                               "for win-back calls (see the churn report)."},
    "clv": {"zh": "CLV 模型({model})在验证期的平均绝对误差为每位客户 {mae:.2f} 次购买。",
            "en": "The CLV model ({model}) was off by {mae:.2f} purchases per customer on "
                  "average over the hold-out period."},
    "clv_base": {"zh": "CLV 模型({model})在验证期的平均绝对误差为每位客户 {mae:.2f} 次购买"
                       "(简单按历史频率外推为 {base:.2f})。",
                 "en": "The CLV model ({model}) was off by {mae:.2f} purchases per customer on "
                       "average over the hold-out period (naive extrapolation: {base:.2f})."},
    "quarantine": {"zh": "数据清洗隔离了 {q} 行原始记录(占 {share}),合并重复 {m} 行;"
                         "原因见数据清洗报告。",
                   "en": "Cleaning quarantined {q} raw rows ({share} of the input) and merged {m} "
                         "duplicates; the data-cleaning report lists why."},
    "nps": {"zh": "净推荐值(NPS)为 {nps:.0f}。", "en": "Net promoter score (NPS) is {nps:.0f}."},
}, room=ROOM)
