"""What notebook 03 shows: key results, sentences, display tables with localised headers.

The house's presentation convention: :func:`key_results` (plain values for the
manifest), :func:`narrative` (named sentences), :func:`localize` (a display
table).  The text is the room's, in :mod:`workbench.clv.text`.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import polars as pl

from .. import i18n
from ..errors import UsageError
from ..formatting import fmt_money
from ..frames import as_polars
from .analysis import CLVAnalysis
from .fit import CLVFit
from .inputs import MODEL_NAMES, _as_date
from .text import label, say
from .validate import Validation

__all__ = ["key_results", "localize", "narrative", "params_table", "top_customers"]

#: Columns shown as percents by :func:`localize`.
_PERCENT = ("share_clv", "total_error", "p_alive", "mean_p_alive")


def params_table(fit: CLVFit, lang: str = "en") -> pd.DataFrame:
    """The fitted parameters of both models as a small table for reports."""
    rows = [(label("purchase_model", lang) + f" ({MODEL_NAMES[fit.model]})", k, v)
            for k, v in fit.params.items()]
    rows += [(label("spend_model", lang), k, v) for k, v in fit.spend_params.items()]
    return pd.DataFrame(rows, columns=[label("model", lang), label("parameter", lang),
                                       label("parameter_value", lang)]).round(4)


def localize(df: pd.DataFrame, lang: str = "en", digits: int = 2) -> pd.DataFrame:
    """Headers, model and segment names in ``lang``; shares as percents; floats rounded."""
    out = df.copy()
    for col in out.columns:
        if col in _PERCENT:
            out[col] = out[col].map(lambda v: f"{100 * v:.1f}%")
        elif pd.api.types.is_float_dtype(out[col]):
            out[col] = out[col].round(digits)
    name = df.index.name
    if name == "model" or set(out.index.astype(str)) & set(MODEL_NAMES):
        out.index = pd.Index([label(str(i), lang) for i in out.index])
    elif name == "rfm_segment":  # the segment room's names (registered by workbench.segment)
        out.index = pd.Index([i18n.t(str(i), lang, room="segment") for i in out.index])
    head = label(name, lang) if name else None
    if head == name and name:  # e.g. rfm_segment: the segment room's word
        head = i18n.t(name, lang, room="segment")
    out.index.name = head
    return out.rename(columns={c: label(c, lang) for c in out.columns})


def key_results(result: CLVAnalysis | CLVFit, validation: Validation | None = None,
                predictions: Any = None, horizon_months: int | None = None,
                discount_rate_monthly: float | None = None,
                calibration_end: Any = None) -> dict[str, Any]:
    """The ``clv`` step results (``results/clv.json``) as plain values.

    ``key_results(analysis)`` takes everything from a :class:`CLVAnalysis`;
    ``key_results(fit, validation, predictions, horizon_months,
    discount_rate_monthly, calibration_end)`` from the pieces.
    """
    if isinstance(result, CLVAnalysis):
        a = result
        fit, validation, predictions = a.fit, a.validation, a.predictions
        horizon_months, discount_rate_monthly = a.horizon_months, a.discount_rate_monthly
        calibration_end = a.calibration_end
    else:
        fit = result
    if validation is None or predictions is None or horizon_months is None \
            or discount_rate_monthly is None or calibration_end is None:
        raise UsageError("key_results needs a CLVAnalysis, or the fit, validation, predictions, "
                         "horizon_months, discount_rate_monthly and calibration_end.")
    pred = _polars(predictions)
    model_key = fit.model if fit.model in validation.comparison.index else "bgnbd"
    v = validation.summary(model_key)
    clv_col = pred.get_column("clv").cast(pl.Float64)
    total = float(clv_col.sum())
    top = float(clv_col.sort(descending=True).head(max(1, round(pred.height * 0.2))).sum())
    return {
        **fit.to_dict(),
        "horizon_months": horizon_months, "discount_rate_monthly": discount_rate_monthly,
        "calibration_end": _as_date(calibration_end, "calibration_end").isoformat(),
        "holdout_periods": validation.holdout_periods, **v,
        "comparison": {m: {k: float(x) for k, x in row.items()}
                       for m, row in validation.comparison.to_dict(orient="index").items()},
        "total_clv": total, "mean_clv": total / pred.height if pred.height else 0.0,
        "top20_share": top / total if total else 0.0,
        "expected_purchases": float(pred.get_column("expected_purchases").cast(pl.Float64).sum()),
        "mean_p_alive": float(pred.get_column("p_alive").cast(pl.Float64).sum()) / pred.height,
    }


def _polars(predictions: Any) -> pl.DataFrame:
    if isinstance(predictions, pd.DataFrame) and "customer_id" not in predictions.columns:
        predictions = predictions.reset_index()
    return as_polars(predictions, "predictions")


def narrative(result: CLVAnalysis, lang: str = "en", currency: str = "CNY") -> dict[str, str]:
    """The notebook's paragraphs (Markdown) with the numbers filled in; money in ``currency``.

    Keys: ``fit`` (the data, the time unit and the fit's notes), ``validation``
    (holdout against the naive baseline, with the verdict), ``value`` (total,
    mean and the top 20%'s share of CLV) and ``allocation`` (where to put
    account managers' time; tier A's share when the analysis has ``by_tier``).
    """
    if lang not in i18n.LANGS:
        raise UsageError(f"lang '{lang}' is not supported; use one of {i18n.LANGS}.")
    a, f = result, result.fit
    res = key_results(a)
    v = a.validation.summary(a.model if a.model in a.validation.comparison.index else "bgnbd")
    verdict = say("text_better" if v["holdout_mae"] < v["baseline_mae"] else "text_worse", lang)
    actual = v["holdout_actual"]
    err = v["holdout_predicted"] / actual - 1 if actual else float("nan")
    at_risk = a.at_risk if a.at_risk is not None else pl.DataFrame({"clv": []})
    tier_line = ""
    if a.by_tier is not None and "A" in a.by_tier.index:
        tier_line = say("text_tier_line", lang, share=float(a.by_tier.loc["A", "share_clv"]))
    return {
        "fit": say("text_fit", lang, customers=f.n_customers, repeat=f.n_repeat,
                   days=f.period_days, notes=" ".join(f.notes_in(lang))),
        "validation": say("text_validation", lang, cal_end=a.calibration_end,
                          months=a.holdout_months, actual=actual, model=label(a.model, lang),
                          predicted=v["holdout_predicted"], err=err, mae=v["holdout_mae"],
                          base=v["baseline_mae"], verdict=verdict),
        "value": say("text_value", lang, months=a.horizon_months, rate=a.discount_rate_monthly,
                     total=fmt_money(res["total_clv"], lang, currency),
                     mean=fmt_money(res["mean_clv"], lang, currency), top=res["top20_share"]),
        "allocation": say("text_allocation", lang, tier_line=tier_line, risky=at_risk.height,
                          risky_value=fmt_money(float(at_risk.get_column("clv").sum()), lang,
                                                currency)),
    }


def top_customers(result: CLVAnalysis, customers: Any = None, segments: Any = None,
                  n: int = 20) -> pl.DataFrame:
    """The ``n`` customers of highest CLV with who they are (mask them before display).

    Columns: ``customer_id`` and, where ``customers`` has them, ``name, company,
    phone, sales_rep, province``; ``tier`` where ``segments`` has it; then
    ``frequency, p_alive, expected_purchases, expected_avg_spend, clv``.
    """
    top = result.predictions.sort("clv", descending=True).head(n)
    people: list[str] = []
    if customers is not None:
        cust = as_polars(customers, "customers", ["customer_id"])
        people = [c for c in ("name", "company", "phone", "sales_rep", "province")
                  if c in cust.columns]
        top = top.join(cust.select(pl.col("customer_id").cast(pl.String), *people),
                       on="customer_id", how="left")
    extra: list[str] = []
    if segments is not None:
        seg = as_polars(segments, "segments", ["customer_id"])
        if "tier" in seg.columns:
            top = top.join(seg.select(pl.col("customer_id").cast(pl.String), "tier"),
                           on="customer_id", how="left")
            extra = ["tier"]
    return top.select("customer_id", *people, *extra, "frequency", "p_alive",
                      "expected_purchases", "expected_avg_spend", "clv")
