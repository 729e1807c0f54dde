"""Presentation of the segmentation: key results, plain-language sentences, display tables.

The house convention (``docs/architecture.md``): :func:`key_results` (JSON-able values
for the manifest), :func:`narrative` (named sentences for the notebook's markdown) and
:func:`localize` (a display table with localised headers).  Text lives in
:mod:`workbench.i18n` under room ``segment`` (:mod:`workbench.segment.labels`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pandas as pd
import polars as pl

from .. import i18n
from ..formatting import fmt_money
from ..frames import as_polars
from ..periods import parse_date
from . import labels
from .abc import class_names
from .labels import LIFECYCLE_STAGES, ROOM, say
from .migration import Migration
from .profiles import segment_profile
from .result import Segmentation
from .rfm_scores import segment_rules

__all__ = ["key_results", "localize", "migration_summary", "migration_text", "narrative",
           "segment_guide", "sensitivity_text"]

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


# --------------------------------------------------------------------------- key results


def _counts(table: pl.DataFrame, col: str, keys: Sequence[str]) -> dict[str, int]:
    vc = {r[col]: r["n"]
          for r in table.group_by(col).agg(pl.len().alias("n")).iter_rows(named=True)}
    out = {k: int(vc.get(k, 0)) for k in keys}
    out.update({str(k): int(v) for k, v in vc.items() if k is not None and k not in out})
    return out


def _shares(table: pl.DataFrame, col: str, keys: Sequence[str]) -> dict[str, float]:
    t = table.filter(pl.col(col).is_not_null())
    total = float(t.get_column("monetary").sum()) or 1.0
    vs = {r[col]: r["v"] for r in
          t.group_by(col).agg(pl.col("monetary").sum().alias("v")).iter_rows(named=True)}
    return {k: round(float(vs.get(k, 0.0)) / total, 6) for k in keys}


def key_results(seg: Segmentation, *, migration: Migration | None = None,
                migration_from: Any = None) -> dict[str, Any]:
    """The key results of the step (``results/segmentation.json``).

    ``customers`` (rows, prospects included), ``buyers``, ``prospects``, ``revenue``
    (net to date), ``net_revenue_12m``, ``tiers{A,B,C}``, ``tier_revenue_share``,
    ``tier_thresholds``, ``tier_weights``, ``dropped_indicators``, ``abc{A,B,C}``,
    ``abc_revenue_share``, ``segments{key: customers}``, ``lifecycle{stage: customers}``,
    ``clusters{k, silhouette, sizes}``, ``as_of``, ``frequency_basis``,
    ``outlier_policy``, ``outliers{orders, customers, amount, counted}`` (flagged
    purchases, counted as purchases), and ``migration`` when ``migration`` is given.
    """
    # the few columns counted here, not the whole wide table, go through the filters
    used = ("frequency", "lifecycle_stage", "monetary", "net_revenue_12m", "tier", "abc_class",
            "rfm_segment", "cluster")
    t = seg.table.select([c for c in used if c in seg.table.columns])
    tier_keys = list(seg.scorer.thresholds_)
    abc_keys = class_names(len(seg.settings.abc_shares))
    seg_keys = list(dict.fromkeys(seg.rules.get_column("segment").to_list()))
    out: dict[str, Any] = {
        "as_of": seg.as_of.isoformat(),
        "customers": t.height,
        "buyers": int(t.filter(pl.col("frequency") > 0).height),
        "prospects": int(t.filter(pl.col("lifecycle_stage") == "prospect").height),
        "revenue": float(t.get_column("monetary").sum()),
        "net_revenue_12m": (float(t.get_column("net_revenue_12m").sum())
                            if "net_revenue_12m" in t.columns else None),
        "frequency_basis": seg.settings.frequency_basis,
        "outlier_policy": seg.transaction_settings.outlier_amounts,
        "outliers": dict(seg.outliers) or {"orders": 0, "customers": 0, "amount": 0.0,
                                           "counted": 0.0},
        "tiers": _counts(t.filter(pl.col("tier").is_not_null()), "tier", tier_keys),
        "tier_revenue_share": _shares(t, "tier", tier_keys),
        "tier_thresholds": {k: (None if math.isinf(v) else round(v, 4))
                            for k, v in seg.scorer.thresholds_.items()},
        "tier_weights": {k: round(v, 6) for k, v in seg.scorer.weights_.items()},
        "dropped_indicators": list(seg.scorer.dropped_),
        "abc": _counts(t.filter(pl.col("abc_class").is_not_null()), "abc_class", abc_keys),
        "abc_revenue_share": _shares(t, "abc_class", abc_keys),
        "segments": _counts(t.filter(pl.col("rfm_segment").is_not_null()), "rfm_segment",
                            seg_keys),
        "lifecycle": _counts(t, "lifecycle_stage", LIFECYCLE_STAGES),
    }
    if seg.clusterer is not None:
        c = seg.clusterer
        sizes = _counts(t.filter(pl.col("cluster").is_not_null())
                        .with_columns(pl.col("cluster").cast(pl.String)),
                        "cluster", [str(i) for i in range(c.k_)])
        out["clusters"] = {"k": c.k_, "silhouette": round(c.silhouettes_[c.k_], 6),
                           "sizes": sizes}
    if migration is not None:
        out["migration"] = migration_summary(migration, migration_from)
    return out


def migration_summary(mig: Migration, before: Any) -> dict[str, Any]:
    """Key numbers of a migration: ``from, moved_up, slipped, counts{from: {to: n}}``."""
    counts = {row["from"]: {k: int(v) for k, v in row.items() if k != "from"}
              for row in mig.counts.iter_rows(named=True)}
    return {"from": parse_date(before, "before").isoformat(), "moved_up": mig.moved_up.height,
            "slipped": mig.slipped.height, "counts": counts}


# --------------------------------------------------------------------------- sentences


def _pct(v: float | None) -> str:
    return "-" if v is None else f"{100 * v:.0f}%"


def narrative(seg: Segmentation, lang: str = "en", currency: str = "CNY", *,
              sensitivity: pl.DataFrame | None = None,
              migration: Migration | None = None,
              migration_from: Any = None) -> dict[str, str]:
    """Plain-language paragraphs (markdown) for the segmentation report.

    Keys: ``scope, abc, rfm, lifecycle, tiers`` and ``clusters`` (when clustered);
    ``sensitivity`` with a :func:`tier_sensitivity` table; ``migration`` when
    ``migration_from`` is given (``migration`` None: there was nothing to compare).
    """
    r = seg.results
    st = seg.settings
    t = seg.table
    out_info = r.get("outliers") or {}
    outliers = ""
    if out_info.get("orders"):
        outliers = say("outliers", lang, orders=out_info["orders"],
                       customers=out_info["customers"],
                       amount=fmt_money(out_info["amount"], lang, currency),
                       counted=fmt_money(out_info["counted"], lang, currency),
                       policy=r.get("outlier_policy", ""))
    texts = {"scope": say("scope", lang, as_of=r["as_of"], customers=r["customers"],
                          buyers=r["buyers"], prospects=r["prospects"],
                          revenue=fmt_money(r["revenue"], lang, currency), outliers=outliers)}
    abc, share = r["abc"], r["abc_revenue_share"]
    names = list(abc)
    if len(names) >= 3:
        a, b = names[0], names[1]
        buyers = r["buyers"] or 1
        texts["abc"] = say(
            "abc", lang, a=abc[a], b=abc[b], c=sum(abc[k] for k in names[2:]),
            a_share=_pct(abc[a] / buyers), ab_share=_pct((abc[a] + abc[b]) / buyers),
            a_rev=_pct(share[a]), ab_rev=_pct(share[a] + share[b]),
            c_rev=_pct(sum(share[k] for k in names[2:])))
    prof = segment_profile(t, "rfm_segment")
    if prof.height:
        top = prof.row(0, named=True)
        risk = prof.filter(pl.col("rfm_segment").is_in(["at_risk", "cant_lose"]))
        texts["rfm"] = say(
            "rfm", lang, n=st.n_scores, top=labels.t(top["rfm_segment"], lang),
            top_n=top["customers"], top_rev=_pct(top["revenue_share"]),
            risk=labels.t("at_risk", lang), cant=labels.t("cant_lose", lang),
            risk_n=int(risk.get_column("customers").sum()),
            risk_rev=_pct(float(risk.get_column("revenue_share").sum())))
    pop_gap = t.filter(pl.col("purchase_days") >= 2).get_column("mean_gap_days").median()
    texts["lifecycle"] = say(
        "lifecycle", lang, **r["lifecycle"], new_days=st.new_days, churned_days=st.churned_days,
        at_risk_days=st.at_risk_days, mult=f"{st.gap_multiplier:g}",
        gap="-" if not isinstance(pop_gap, (int, float)) else f"{pop_gap:.0f}")
    tiers, tshare = r["tiers"], r["tier_revenue_share"]
    tk = list(tiers)
    dropped = ""
    if r["dropped_indicators"]:
        names_ = labels.t("list_sep", lang).join(labels.t(f"ind.{k}", lang)
                                                 for k in r["dropped_indicators"])
        dropped = say("dropped", lang, names=names_)
    texts["tiers"] = say("tiers", lang, a=tiers[tk[0]], a_rev=_pct(tshare[tk[0]]),
                         c=tiers[tk[-1]], c_rev=_pct(tshare[tk[-1]]), dropped=dropped)
    if seg.clusterer is not None:
        c = seg.clusterer
        texts["clusters"] = say("clusters", lang, kmin=st.k_min, kmax=st.k_max, k=c.k_,
                                sil=c.silhouettes_[c.k_])
    if sensitivity is not None:
        texts["sensitivity"] = sensitivity_text(sensitivity, st.sensitivity_delta, lang)
    if migration_from is not None:
        texts["migration"] = migration_text(migration, migration_from, lang, currency)
    return texts


def sensitivity_text(table: Any, delta: float, lang: str = "en") -> str:
    """One paragraph on :func:`tier_sensitivity`: the largest number of customers changing tier."""
    t = as_polars(table, "sensitivity", ["indicator", "changed_up", "changed_down"]).with_columns(
        pl.max_horizontal("changed_up", "changed_down").alias("_max"),
        pl.max_horizontal("changed_up_share", "changed_down_share").alias("_share"))
    worst = t.sort(["_max", "indicator"], descending=[True, False]).row(0, named=True)
    return say("sensitivity", lang, delta=f"{100 * delta:g}", max_n=worst["_max"],
               max_share=_pct(worst["_share"]), worst=labels.t(f"ind.{worst['indicator']}", lang))


def migration_text(mig: Migration | None, before: Any, lang: str = "en",
                   currency: str = "CNY") -> str:
    """One paragraph on a :class:`Migration` (None: no purchase by ``before``)."""
    day = parse_date(before, "before").isoformat()
    if mig is None:
        return say("no_migration", lang, before=day)
    tr = mig.transitions
    tiers = [c for c in mig.counts.columns[1:] if c not in ("prospect", "gone")]
    first = tr.filter((pl.col("tier_before") == "prospect")
                      & pl.col("tier_after").is_in(tiers)).height
    new = tr.filter(pl.col("tier_before") == "new").height
    down_rev = float(mig.slipped.get_column("monetary_before").sum())
    return say("migration", lang, before=day, up=mig.moved_up.height, down=mig.slipped.height,
               new=new, first=first, down_rev=fmt_money(down_rev, lang, currency))


# --------------------------------------------------------------------------- tables


_VALUE_PREFIX = {"rfm_segment": "", "segment": "", "lifecycle_stage": "lifecycle.",
                 "indicator": "ind."}
_STATES = ("prospect", "new", "gone")


def localize(df: Any, lang: str = "en", digits: int = 1) -> pd.DataFrame:
    """A table ready to show a business reader: pandas, headers and known values in ``lang``.

    Segment keys, lifecycle stages and indicator names become their labels; columns
    ending in ``_share`` and weights become percents; other floats are rounded to
    ``digits``.
    """
    pdf = df.to_pandas() if isinstance(df, pl.DataFrame) else pd.DataFrame(df).copy()
    for col, prefix in _VALUE_PREFIX.items():
        if col in pdf.columns:
            pdf[col] = pdf[col].map(
                lambda v, p=prefix: labels.t(f"{p}{v}", lang) if isinstance(v, str) else v)
    if "from" in pdf.columns:
        pdf["from"] = pdf["from"].map(
            lambda v: labels.t(f"state.{v}", lang) if v in _STATES else v)
        pdf = pdf.rename(columns={c: labels.t(f"state.{c}", lang) for c in ("prospect", "gone")})
    for col in pdf.columns:
        name = str(col)
        if name.endswith("_share") or name == "weight" or name.startswith("weight_"):
            pdf[col] = pdf[col].map(
                lambda v: "" if v is None or math.isnan(v) else f"{100 * v:.1f}%")
        elif pdf[col].dtype.kind == "f":
            values = pdf[col].round(digits)
            pdf[col] = (values.astype(object).where(values.notna(), "") if values.isna().any()
                        else values)
    return pdf.rename(columns=i18n.column_labels(pdf.columns, lang, ROOM))


def segment_guide(profile: Any, rules: Any = None, lang: str = "en", *,
                  by: str = "rfm_segment") -> pl.DataFrame:
    """The segment profile with each segment's name and recommended treatment, in rule order.

    ``profile``: :func:`segment_profile` by ``rfm_segment``; ``rules``: the rule table
    (default rules when None).  Columns: ``label, customers, customer_share,
    revenue_share, avg_order_value, mean_frequency, mean_recency_days, treatment``.
    """
    p = as_polars(profile, "profile", [by])
    table = rules if isinstance(rules, pl.DataFrame) else segment_rules(rules)
    keys = list(dict.fromkeys(table.get_column("segment").to_list()))
    out = pl.DataFrame({by: keys}).join(p, on=by, how="left").with_columns(
        pl.col("customers").fill_null(0), pl.col("customer_share").fill_null(0.0),
        pl.col("revenue_share").fill_null(0.0),
        pl.Series("label", [labels.t(k, lang) for k in keys], dtype=pl.String),
        pl.Series("treatment", [labels.t(f"treatment.{k}", lang) for k in keys],
                  dtype=pl.String),
    )
    return out.select("label", "customers", "customer_share", "revenue_share",
                      "avg_order_value", "mean_frequency", "mean_recency_days", "treatment")
