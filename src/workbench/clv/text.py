"""The CLV room's text (Chinese and English), registered in the one store under room ``clv``.

Column labels (``clv.expected_purchases``), model names (``clv.bgnbd``), the
notes a fit can carry (``clv.note_<key>``, see :class:`workbench.clv.CLVFit`)
and the notebook's sentence templates (``clv.text_<key>``, filled by
:func:`workbench.clv.narrative`).  Look them up with ``i18n.t(key, lang, room=ROOM)``.
"""

from __future__ import annotations

from typing import Any

from .. import i18n

__all__ = ["ROOM", "label", "say"]

ROOM = "clv"

# frequency, recency, T, monetary_value and the *_cal / *_holdout columns are labelled by rfm.
i18n.register({
    "expected_purchases": {"zh": "预期购买次数", "en": "Expected purchases"},
    "p_alive": {"zh": "活跃概率", "en": "Probability alive"},  # same text as churn's
    "expected_avg_spend": {"zh": "预期单次消费", "en": "Expected spend per purchase"},
    "model": {"zh": "模型", "en": "Model"},
    "parameter": {"zh": "参数", "en": "Parameter"},
    "actual": {"zh": "实际", "en": "Actual"},
    "predicted": {"zh": "预测", "en": "Predicted"},
    "actual_total": {"zh": "实际合计", "en": "Actual total"},
    "predicted_total": {"zh": "预测合计", "en": "Predicted total"},
    "mae_customer": {"zh": "平均绝对误差(每客户)", "en": "MAE per customer"},
    "mae_bin": {"zh": "平均绝对误差(每频次组)", "en": "MAE per frequency bin"},
    "bgnbd": {"zh": "BG/NBD模型", "en": "BG/NBD"},
    "paretonbd": {"zh": "Pareto/NBD模型", "en": "Pareto/NBD"},
    "mbgnbd": {"zh": "MBG/NBD模型", "en": "MBG/NBD"},
    "baseline": {"zh": "朴素基准(沿用校准期频率)", "en": "Naive baseline (calibration rate)"},
}, room=ROOM)



i18n.register({
    "total_clv": {"zh": "CLV合计", "en": "Total CLV"},
    "mean_clv": {"zh": "平均CLV", "en": "Mean CLV"},
    "share_clv": {"zh": "CLV占比", "en": "Share of CLV"},
    "mean_p_alive": {"zh": "平均活跃概率", "en": "Mean probability alive"},
    "total_error": {"zh": "合计偏差", "en": "Total error"},
    "parameter_value": {"zh": "估计值", "en": "Estimate"},
    "purchase_model": {"zh": "购买模型", "en": "Purchase model"},
    "spend_model": {"zh": "消费金额模型(Gamma-Gamma)", "en": "Spend model (Gamma-Gamma)"},
    "needs_02": {"zh": "本报告需要报告 02(客户分类与分级)生成的 segments.parquet,请先运行 02。",
                 "en": "This report needs segments.parquet from report 02 (segmentation); run 02 first."},
}, room=ROOM)

i18n.register({
    "note_retry": {
        "en": "The {model} fit did not converge without a penalty ({error}) and restarts from other "
              "starting values found no optimum; it was refitted with penalizer {pen:g}, which shrinks "
              "the parameters slightly towards 0.",
        "zh": "{model} 模型在不加惩罚项时没有收敛({error}),从其他起点重新优化也没有找到最优点,"
              "已用惩罚系数 {pen:g} 重新拟合,参数会略向 0 收缩。",
    },
    "note_checked": {
        "en": "lifetimes stopped the {model} fit with {error}, but at the optimum: the gradient there is "
              "{grad:.1e} per customer (tolerance {tol:.1e}) and restarts from other starting values "
              "found no better point, so its parameters are used, without a penalty.",
        "zh": "lifetimes 在拟合 {model} 模型时报告 {error},但停在了最优点:该点每位客户的梯度为 {grad:.1e}"
              "(容差 {tol:.1e}),从其他起点重新优化也没有找到更好的点,因此采用该点的参数,不加惩罚项。",
    },
    "note_restarted": {
        "en": "lifetimes did not finish the {model} fit ({error}); a restart with {method} from fixed "
              "starting values reached the optimum (gradient {grad:.1e} per customer, tolerance {tol:.1e}; "
              "no other start found a better point), without a penalty.",
        "zh": "lifetimes 没有完成 {model} 模型的拟合({error});用 {method} 从固定起点重新优化后到达最优点"
              "(每位客户的梯度 {grad:.1e},容差 {tol:.1e};其他起点没有找到更好的点),不加惩罚项。",
    },
    "note_pareto_restarted": {
        "en": "The {model} fit from the BG/NBD starting values did not reach an optimum; a restart with "
              "{method} from fixed starting values reached it (gradient {grad:.1e} per customer, "
              "tolerance {tol:.1e}; no other start found a better point), without a penalty.",
        "zh": "{model} 模型从 BG/NBD 起点出发的拟合没有到达最优点;用 {method} 从固定起点重新优化后到达最优点"
              "(每位客户的梯度 {grad:.1e},容差 {tol:.1e};其他起点没有找到更好的点),不加惩罚项。",
    },
    "note_budget": {
        "en": "The {model} fit stopped after {evals} evaluations of the likelihood (the limit) without "
              "reaching an optimum: the gradient at the best point reached is {grad:.1e} per customer "
              "(tolerance {tol:.1e}). Its parameters are used; treat this model's figures with caution.",
        "zh": "{model} 模型的拟合在计算 {evals} 次似然函数(上限)后停止,没有到达最优点:所到最好点的每位客户梯度为"
              " {grad:.1e}(容差 {tol:.1e})。采用该点的参数;该模型的结果请谨慎使用。",
    },
    "note_budget_shape": {
        "en": "The {model} likelihood keeps rising as its dropout parameters s and beta grow together: "
              "the customers' dropout rates look alike, and the model's limit is one common rate. The fit "
              "stopped at s = {smax:g} (the largest it tries; gradient {grad:.1e} per customer, tolerance "
              "{tol:.1e}), where the rates' spread is already small; treat this model's figures with caution.",
        "zh": "{model} 模型的似然函数随流失参数 s 与 beta 同时增大而持续上升:客户的流失率彼此接近,模型的极限是"
              "同一个流失率。拟合停在 s = {smax:g}(允许的最大值;每位客户梯度 {grad:.1e},容差 {tol:.1e}),"
              "此时流失率的离散已经很小;该模型的结果请谨慎使用。",
    },
    "note_spend_excluded": {
        "en": "{n} repeat customer(s) have no positive average spend (their repeat purchases net to 0 or "
              "less); the spend model was fitted on the other {m}, and their expected spend is shrunk "
              "from 0 towards the average.",
        "zh": "{n} 位重复购买客户的平均消费金额不为正(重复购买被退货抵消),消费金额模型只用其余 {m} 位客户拟合,"
              "这些客户的预期单次消费由 0 向平均值收缩。",
    },
    "note_spend_retry": {
        "en": "The Gamma-Gamma fit did not converge without a penalty ({error}) and restarts from other "
              "starting values found no optimum; it was refitted with penalizer {pen:g}.",
        "zh": "Gamma-Gamma 模型在不加惩罚项时没有收敛({error}),从其他起点重新优化也没有找到最优点,"
              "已用惩罚系数 {pen:g} 重新拟合。",
    },
    "note_correlation": {
        "en": "Warning: among repeat customers, purchase frequency and average spend are correlated "
              "(r = {corr:.2f}). The Gamma-Gamma model assumes they are unrelated, so spend forecasts may "
              "be biased: customers who buy often {more_en} per purchase than the model assumes.",
        "zh": "注意:重复购买客户的购买频率与平均消费金额相关(r = {corr:.2f})。Gamma-Gamma 模型假设两者无关,"
              "因此消费金额预测可能有偏:常买的客户每次{more_zh},与模型假设不符。",
    },
}, room=ROOM)

i18n.register({
    "text_fit": {
        "zh": "模型基于 {customers:,} 位客户(其中 {repeat:,} 位有重复购买)拟合,时间单位:1 个周期 = {days:g} 天。{notes}",
        "en": "The models were fitted on {customers:,} customers ({repeat:,} with a repeat purchase); "
              "time unit: 1 period = {days:g} days. {notes}",
    },
    "text_validation": {
        "zh": "把 {cal_end} 之前的数据作为校准期拟合模型,预测之后 {months} 个月(验证期)每位客户的购买次数,再与实际对比:"
              "实际 {actual:,.0f} 次,{model} 预测 {predicted:,.0f} 次(偏差 {err:+.1%});"
              "平均每位客户的绝对误差为 {mae:.2f} 次,朴素基准(沿用校准期购买频率)为 {base:.2f} 次。{verdict}",
        "en": "The models were fitted on the data up to {cal_end} and predicted each customer's purchases in the "
              "following {months} months (the holdout): actual {actual:,.0f}, {model} predicted {predicted:,.0f} "
              "({err:+.1%}); the mean absolute error per customer is {mae:.2f} purchases against {base:.2f} for "
              "the naive baseline that repeats each customer's calibration rate. {verdict}",
    },
    "text_better": {"zh": "模型比朴素基准更准,可以用于预测。", "en": "The model beats the naive baseline and can be used for forecasts."},
    "text_worse": {"zh": "注意:模型没有胜过朴素基准,预测结果只能作参考。",
              "en": "Caution: the model does not beat the naive baseline; treat its forecasts as indicative only."},
    "text_value": {
        "zh": "未来 {months} 个月(按每月 {rate:.1%} 折现)预计客户总价值 {total},平均每位客户 {mean};"
              "价值最高的 20% 客户贡献 {top:.0%}。",
        "en": "Over the next {months} months (discounted at {rate:.1%} a month) the customers are expected to be "
              "worth {total} in total, {mean} on average; the top 20% of customers hold {top:.0%} of that value.",
    },
    "text_allocation": {
        "zh": "资源配置建议:{tier_line}把客户经理的时间和专属服务优先投向高 CLV 客户;"
              "对 CLV 高但活跃概率低于 50% 的 {risky:,} 位客户(合计 {risky_value})尽快回访挽留;"
              "对 CLV 很低的客户以低成本的线上触达为主。",
        "en": "For resource allocation: {tier_line}put account managers' time and dedicated service on the "
              "high-CLV customers first; call the {risky:,} customers with a high CLV but a probability alive "
              "below 50% (worth {risky_value} together) soon to win them back; serve the low-CLV customers "
              "through low-cost online channels.",
    },
    "text_tier_line": {
        "zh": "A 级客户占 {share:.0%} 的未来价值,",
        "en": "tier A holds {share:.0%} of the future value; ",
    },
}, room=ROOM)


def label(key: str, lang: str = "en") -> str:
    """A label of the room (falls back to the shared vocabulary, then to the key)."""
    return i18n.t(key, lang, room=ROOM)


def say(key: str, lang: str = "en", **values: Any) -> str:
    """A sentence template of the room filled with ``values``."""
    return i18n.say(key, lang, room=ROOM, **values)
