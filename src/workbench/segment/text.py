"""The segmentation narrative's words in :mod:`workbench.i18n` (room ``segment``, keys
``text.*``), registered on import: light (no models), so importing the package registers them."""

from __future__ import annotations

from .. import i18n
from .labels import ROOM

i18n.register({f"text.{k}": v for k, v in {
    "scope": {
        "zh": ("分析日期 **{as_of}**:档案中共 **{customers:,}** 位客户,其中 **{buyers:,}** 位已有购买,"
               "**{prospects:,}** 位尚未购买(潜在客户)。净销售额(已扣除退货)**{revenue}**。{outliers}"),
        "en": ("As of **{as_of}**: **{customers:,}** customers in the archive, **{buyers:,}** with a "
               "purchase and **{prospects:,}** without one yet (prospects). Net revenue (returns "
               "deducted) **{revenue}**. {outliers}"),
    },
    "outliers": {
        "zh": ("清洗步骤标记的 {orders} 笔异常大额订单(涉及 {customers} 位客户,原始金额合计 {amount})"
               "仍算作购买;其金额按异常金额规则(transactions.outlier_amounts: {policy})计为 {counted}。"),
        "en": ("{orders} order(s) flagged as outliers by the cleaning step ({customers} customer(s), "
               "booked {amount}) count as purchases; their amounts count as {counted} under the "
               "outlier policy (transactions.outlier_amounts: {policy})."),
    },
    "abc": {
        "zh": ("**{a_share}** 的客户(A类,{a:,} 位)贡献了 {a_rev} 的销售额;再加上 B 类({b:,} 位)共 "
               "**{ab_share}** 的客户贡献 {ab_rev}。其余 {c:,} 位 C 类客户合计只占 {c_rev}。"
               "A 类是大客户管理的名单,值得专属客户经理和优先服务。"),
        "en": ("**{a_share}** of customers (class A, {a:,}) make {a_rev} of revenue; with class B "
               "({b:,}) **{ab_share}** of customers make {ab_rev}. The remaining {c:,} class-C "
               "customers make only {c_rev}. Class A is the key-account list: it deserves a "
               "dedicated account manager and priority service."),
    },
    "rfm": {
        "zh": ("RFM 评分:每位有购买的客户在最近一次消费(R)、消费频率(F)、消费金额(M)上各得 1-{n} 分"
               "(分越高越好,按排名分档,数值相同者同分)。最大的分群是「{top}」({top_n:,} 位,占销售额 "
               "{top_rev});「{risk}」与「{cant}」共 {risk_n:,} 位客户,曾经贡献 {risk_rev} 的销售额,"
               "是挽留工作的重点。"),
        "en": ("RFM scores: every customer with a purchase gets 1-{n} points on recency (R), "
               "frequency (F) and monetary value (M), higher is better, by rank (equal values "
               "share a score). The largest segment is \"{top}\" ({top_n:,} customers, {top_rev} "
               "of revenue); \"{risk}\" and \"{cant}\" together hold {risk_n:,} customers who "
               "made {risk_rev} of revenue: the first place for retention work."),
    },
    "lifecycle": {
        "zh": ("生命周期:活跃 {active:,} 位,新客户 {new:,} 位,风险 {at_risk:,} 位,流失 {churned:,} 位,"
               "潜在客户 {prospect:,} 位。规则:首次购买在 {new_days} 天内为新客户;超过 {churned_days} "
               "天未购买为流失;超过 {at_risk_days} 天,或超过平时购买间隔的 {mult} 倍未购买为风险客户"
               "(当前全体客户的典型间隔为 {gap} 天)。"),
        "en": ("Lifecycle: {active:,} active, {new:,} new, {at_risk:,} at risk, {churned:,} "
               "churned and {prospect:,} prospects. Rules: first purchase within {new_days} days "
               "= new; no purchase for more than {churned_days} days = churned; for more than "
               "{at_risk_days} days, or more than {mult} times the customer's usual gap between "
               "purchases = at risk (the typical gap across customers is {gap} days)."),
    },
    "tiers": {
        "zh": ("客户分级(评分法 + 加权法):每个指标按百分位打 0-100 分,再按权重加权得到分级得分;"
               "按客户占比划分等级。A 级 {a:,} 位客户贡献 {a_rev} 的销售额,C 级 {c:,} 位只贡献 "
               "{c_rev}。{dropped}"),
        "en": ("Tiering (scoring + weighting): each indicator is scored 0-100 by percentile, the "
               "scores are weighted into one tier score, and the score is cut into tiers. Tier "
               "A's {a:,} customers make {a_rev} of revenue; tier C's {c:,} customers make "
               "{c_rev}. {dropped}"),
    },
    "dropped": {
        "zh": "数据中没有 {names},这些指标已不参与评分,其余权重已按比例放大。",
        "en": "The data has no {names}, so these indicators drop out and the other weights are "
              "scaled up.",
    },
    "sensitivity": {
        "zh": ("稳定性检验:把某一指标的权重上调或下调 {delta} 个百分点(其余按比例调整)后重新分级,"
               "最多有 {max_n:,} 位客户({max_share})改变等级(指标:{worst})。变动越小,分级结果越不"
               "依赖于权重的精确取值。"),
        "en": ("Stability check: moving one indicator's weight up or down by {delta} points (the "
               "others rescaled) and re-tiering changes the tier of at most {max_n:,} customers "
               "({max_share}, indicator: {worst}). The smaller this is, the less the tiers "
               "depend on the exact weights."),
    },
    "clusters": {
        "zh": ("聚类(k-means,数据驱动的分群):在 {kmin}-{kmax} 个群之间按轮廓系数选择了 **{k}** 个群"
               "(轮廓系数 {sil:.2f},越接近 1 群之间越分明)。与规则分群不同,聚类由数据本身决定边界,"
               "可用来检验规则分群是否合理。"),
        "en": ("Clustering (k-means, data-driven groups): between {kmin} and {kmax} groups, the "
               "silhouette picked **{k}** (silhouette {sil:.2f}; closer to 1 means better "
               "separated). Unlike the rule-based segments, clusters draw their boundaries from "
               "the data, a check on whether the rules fit."),
    },
    "migration": {
        "zh": ("与 **{before}** 相比:{up:,} 位客户等级上升,{down:,} 位下降,{new:,} 位新增客户,"
               "{first:,} 位潜在客户完成首购。降级客户截至期初累计贡献了 {down_rev} 的销售额,"
               "是需要优先挽回的价值。"),
        "en": ("Compared with **{before}**: {up:,} customers moved up a tier, {down:,} slipped, "
               "{new:,} are new to the archive and {first:,} prospects made a first purchase. The "
               "customers who slipped had bought {down_rev} up to the earlier date: the value to "
               "win back first."),
    },
    "no_migration": {
        "zh": "{before} 之前还没有购买记录,无法计算等级迁移。",
        "en": "There are no purchases on or before {before}, so tier migration cannot be "
              "computed.",
    },
}.items()}, room=ROOM)
