"""The words of the segmentation room, registered once in :mod:`workbench.i18n` under room ``segment``.

Keys (``i18n.t(key, lang, room=ROOM)``, or the full key ``segment.<key>``):

- a segment's name under its own key: ``segment.champions`` (also the labels of
  segments added by ``segmentation.rules``);
- ``treatment.<segment>``, ``lifecycle.<stage>``, ``abc.<class>``, ``state.<state>``
  (migration states), ``ind.<indicator>`` (tier indicators), ``lvl.<feature>.<level>``
  (cluster profile words), ``plot.<name>`` (chart text), ``text.<name>`` (sentence
  templates of :mod:`workbench.segment.present`);
- column labels of the room's tables (``recency_days``, ``tier_score`` ...).  ``frequency``
  and ``orders`` mean purchase days and order counts here (repeat purchases and the
  orders table elsewhere), so the room's key wins over the shared one.
"""

from __future__ import annotations

from collections.abc import Mapping

from .. import i18n

__all__ = [
    "LIFECYCLE_STAGES",
    "ROOM",
    "SEGMENT_LABELS",
    "SEGMENT_ORDER",
    "TREATMENTS",
    "COLUMN_KEYS",
]

#: The i18n room of segmentation (``i18n.t(key, lang, room=ROOM)``).
ROOM = "segment"

SEGMENT_ORDER = (
    "champions", "loyal", "potential_loyalist", "new", "promising", "need_attention",
    "about_to_sleep", "at_risk", "cant_lose", "hibernating", "lost",
)
LIFECYCLE_STAGES = ("prospect", "new", "active", "at_risk", "churned")

#: Names of the built-in segments (registered as ``segment.<key>``).
SEGMENT_LABELS: Mapping[str, Mapping[str, str]] = {
    "champions": {"zh": "重要价值客户", "en": "Champions"},
    "loyal": {"zh": "忠诚客户", "en": "Loyal"},
    "potential_loyalist": {"zh": "潜力客户", "en": "Potential loyalist"},
    "new": {"zh": "新客户", "en": "New"},
    "promising": {"zh": "有望发展客户", "en": "Promising"},
    "need_attention": {"zh": "需关注客户", "en": "Need attention"},
    "about_to_sleep": {"zh": "即将沉睡客户", "en": "About to sleep"},
    "at_risk": {"zh": "流失风险客户", "en": "At risk"},
    "cant_lose": {"zh": "重要挽留客户", "en": "Can't lose them"},
    "hibernating": {"zh": "沉睡客户", "en": "Hibernating"},
    "lost": {"zh": "已流失客户", "en": "Lost"},
}

#: Recommended treatment of each built-in segment (registered as ``segment.treatment.<key>``).
TREATMENTS: Mapping[str, Mapping[str, str]] = {
    "champions": {"zh": "专属客户经理、优先服务、新品优先体验,邀请参与口碑推荐",
                  "en": "Dedicated account manager, priority service, early access; ask for referrals"},
    "loyal": {"zh": "会员权益与交叉销售,定期回访保持关系",
              "en": "Loyalty benefits and cross-selling; regular check-in visits"},
    "potential_loyalist": {"zh": "推荐关联产品、会员计划,提升购买频次",
                           "en": "Recommend related products and membership to raise purchase "
                                 "frequency"},
    "new": {"zh": "新客欢迎流程、使用指导,促成第二次购买",
            "en": "Onboarding and product guidance; win the second purchase"},
    "promising": {"zh": "限时优惠与试用,建立品牌认知",
                  "en": "Time-limited offers and trials to build awareness"},
    "need_attention": {"zh": "个性化推荐和限时活动,防止转为沉睡",
                       "en": "Personalised offers and limited-time campaigns before they drift away"},
    "about_to_sleep": {"zh": "发送热门产品与优惠券,重新激活",
                       "en": "Send popular products and coupons to reactivate"},
    "at_risk": {"zh": "客户经理主动联系,了解原因并给出挽留方案",
                "en": "Account manager reaches out, finds the reason, offers a retention plan"},
    "cant_lose": {"zh": "高层回访、专项挽回方案,避免转向竞争对手",
                  "en": "Senior call-back and a dedicated win-back plan before they go to a "
                        "competitor"},
    "hibernating": {"zh": "低成本触达(短信、公众号),推送相关产品",
                    "en": "Low-cost reach (SMS, WeChat account) with relevant products"},
    "lost": {"zh": "仅做低成本召回,不再投入高成本资源",
             "en": "Low-cost win-back only; no expensive resources"},
}

_LIFECYCLE = {
    "prospect": {"zh": "潜在客户", "en": "Prospect"},
    "new": {"zh": "新客户", "en": "New"},
    "active": {"zh": "活跃客户", "en": "Active"},
    "at_risk": {"zh": "风险客户", "en": "At risk"},
    "churned": {"zh": "流失客户", "en": "Churned"},
}

_COLUMNS = {
    "recency_days": {"zh": "距上次购买天数", "en": "Days since last purchase"},
    "frequency": {"zh": "消费频率", "en": "Frequency"},
    "orders": {"zh": "订单数", "en": "Orders"},
    "monetary": {"zh": "消费金额(净额)", "en": "Monetary (net)"},
    "net_revenue_12m": {"zh": "近12个月净销售额", "en": "Net revenue (12 months)"},
    "n_orders": {"zh": "订单数", "en": "Orders"},
    "purchase_days": {"zh": "购买天数", "en": "Purchase days"},
    "outlier_orders": {"zh": "异常大额订单数", "en": "Outlier orders"},
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
    "cluster": {"zh": "聚类", "en": "Cluster"},
    "customer_share": {"zh": "客户占比", "en": "Customer share"},
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
}

#: Column keys of the room: a segment added by ``segmentation.rules`` may not use one as its key.
COLUMN_KEYS = frozenset(_COLUMNS)

_WORDS = {
    "missing": {"zh": "(未填)", "en": "(missing)"},
    "slipped": {"zh": "等级下降的客户", "en": "Customers who slipped"},
    "moved_up": {"zh": "等级上升的客户", "en": "Customers who moved up"},
    "state.prospect": {"zh": "潜在客户", "en": "prospect"},
    "state.new": {"zh": "新增", "en": "new"},
    "state.gone": {"zh": "已不在档案", "en": "gone"},
    "ind.monetary": {"zh": "销售额", "en": "Revenue"},
    "ind.frequency": {"zh": "购买频率", "en": "Frequency"},
    "ind.recency_days": {"zh": "最近一次消费", "en": "Recency"},
    "ind.tenure_days": {"zh": "客龄", "en": "Tenure"},
    "ind.gross_margin": {"zh": "毛利", "en": "Gross margin"},
    "ind.nps": {"zh": "推荐意愿(NPS)", "en": "NPS"},
    "abc.A": {"zh": "A类(重要客户)", "en": "A (key)"},
    "abc.B": {"zh": "B类(次重要客户)", "en": "B (secondary)"},
    "abc.C": {"zh": "C类(一般客户)", "en": "C (general)"},
    "lvl.spend.vhigh": {"zh": "极高消费", "en": "very high spend"},
    "lvl.spend.high": {"zh": "高消费", "en": "high spend"},
    "lvl.spend.mid": {"zh": "中等消费", "en": "average spend"},
    "lvl.spend.low": {"zh": "低消费", "en": "low spend"},
    "lvl.spend.vlow": {"zh": "极低消费", "en": "very low spend"},
    "lvl.recency.vhigh": {"zh": "刚刚购买", "en": "very recent"},
    "lvl.recency.high": {"zh": "近期有购买", "en": "recent"},
    "lvl.recency.mid": {"zh": "有一段时间未购买", "en": "a while since last purchase"},
    "lvl.recency.low": {"zh": "久未购买", "en": "lapsed"},
    "lvl.recency.vlow": {"zh": "长期未购买", "en": "long lapsed"},
    "lvl.frequency.vhigh": {"zh": "极高频", "en": "very frequent"},
    "lvl.frequency.high": {"zh": "高频", "en": "frequent"},
    "lvl.frequency.mid": {"zh": "中频", "en": "regular"},
    "lvl.frequency.low": {"zh": "低频", "en": "occasional"},
    "lvl.frequency.vlow": {"zh": "极低频", "en": "rare"},
    "cluster_profile": {"zh": "{levels}:{customers:,} 位客户,贡献 {share:.0f}% 销售额",
                        "en": "{levels}: {customers:,} customers, {share:.0f}% of revenue"},
    "list_sep": {"zh": "、", "en": ", "},
}

i18n.register(SEGMENT_LABELS, room=ROOM)
i18n.register({f"treatment.{k}": v for k, v in TREATMENTS.items()}, room=ROOM)
i18n.register({f"lifecycle.{k}": v for k, v in _LIFECYCLE.items()}, room=ROOM)
i18n.register(_COLUMNS, room=ROOM)
i18n.register(_WORDS, room=ROOM)


def register_segment(key: str, label: Mapping[str, str], treatment: Mapping[str, str]) -> None:
    """Register the name and treatment of a segment (a rule of ``segmentation.rules``)."""
    i18n.register({key: label, f"treatment.{key}": treatment}, room=ROOM)


def say(key: str, lang: str = "en", **values: object) -> str:
    """The room's sentence ``text.<key>`` filled with ``values``."""
    return i18n.say(f"text.{key}", lang, room=ROOM, **values)


def t(key: str, lang: str = "en") -> str:
    """The room's text of ``key`` (then the shared vocabulary's)."""
    return i18n.t(key, lang, room=ROOM)
