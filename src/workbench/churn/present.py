"""What the notebook shows: key results, sentences, and display tables with localised headers.

The house's presentation convention: :func:`key_results` (plain values for the
manifest), :func:`narrative` (named sentences), :func:`localize` (a display table).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import polars as pl

from .. import i18n, privacy
from ..errors import UsageError
from ..formatting import fmt_money
from .analysis import ChurnAnalysis
from .text import ROOM, feature_label

__all__ = ["evaluation_table", "gains_display", "importance_display", "key_results", "localize",
           "narrative", "risk_display", "scorer_label", "warning_display"]

_SCORER_KEYS = {"hgb": "model_hgb", "logreg": "model_logreg", "recency": "baseline_recency",
                "p_alive": "baseline_p_alive"}


def scorer_label(scorer: str, lang: str = "en") -> str:
    """The display name of a scorer (``hgb``, ``logreg``, ``recency``, ``p_alive``)."""
    return i18n.t(_SCORER_KEYS.get(scorer, scorer), lang, room=ROOM)


def key_results(analysis: ChurnAnalysis, warning: pl.DataFrame) -> dict[str, Any]:
    """The key results for ``io.save_step_results(results_dir, "churn", ...)``."""
    a, m = analysis, analysis.model_kind
    scorers = set(a.evaluation["scorer"])

    def base(name: str) -> dict[str, float | None]:
        if name not in scorers:
            return {"roc_auc": None, "lift_at_10": None}
        return {"roc_auc": a.metric(name, "roc_auc"), "lift_at_10": a.metric(name, "lift_at_10")}

    return {
        "model": m,
        "roc_auc": a.metric(m, "roc_auc"),
        "pr_auc": a.metric(m, "pr_auc"),
        "brier": a.metric(m, "brier"),
        "lift_at_10": a.metric(m, "lift_at_10"),
        "baselines": {"recency": base("recency"), "p_alive": base("p_alive")},
        "revenue_at_risk": float(warning.get_column("revenue_at_risk").sum()),
        "churn_window_days": a.window.days,
        "flagged": int(a.scores.get_column("flagged").sum()),
        "customers_scored": a.scores.height,
        "threshold": a.threshold,
        "test_cutoff": a.test_cutoff.isoformat(),
        "missing_feature_groups": sorted(a.missing),
    }


def _say(key: str, lang: str, **values: Any) -> str:
    return i18n.say(f"text_{key}", lang, room=ROOM, **values)


def narrative(result: ChurnAnalysis, lang: str = "en", currency: str = "CNY", *,
              warning: pl.DataFrame | None = None) -> dict[str, str]:
    """The notebook's paragraphs (Markdown) with the numbers filled in.

    Keys: ``definition``, ``missing``, ``design``, ``evaluation``, ``threshold``,
    ``calibration``, ``drivers``, ``reasons``, and ``risk`` when ``warning`` (the
    warning list) is given; money is written in ``currency``.
    """
    if lang not in i18n.LANGS:
        raise UsageError(f"lang '{lang}' is not supported; use 'zh' or 'en'.")
    a, m = result, result.model_kind
    out = {
        "definition": _say("definition", lang, explain=a.window.explain(lang), lapsed=a.lapsed_days,
                           as_of=a.as_of, n=a.scores.height),
        "missing": a.missing_groups_text(lang),
        "design": _say("design", lang, train=", ".join(c.isoformat() for c in sorted(a.train_cutoffs)),
                       N=a.window.days, train_n=a.train_size, train_rate=a.train_churn_rate,
                       test=a.test_cutoff, test_n=a.test_size, as_of=a.as_of,
                       test_rate=a.test_churn_rate),
    }
    bases = [s for s in ("recency", "p_alive") if s in set(a.evaluation["scorer"])]
    base_auc = max(a.metric(b, "roc_auc") or 0.0 for b in bases)
    base_lift = max(a.metric(b, "lift_at_10") or 0.0 for b in bases)
    auc, lift = a.metric(m, "roc_auc") or 0.0, a.metric(m, "lift_at_10") or 0.0
    verdict = _say("better" if auc > base_auc and lift > base_lift else "worse", lang)
    out["evaluation"] = _say("evaluation", lang, lift=lift, base_lift=base_lift, auc=auc,
                             base_auc=base_auc, verdict=verdict)
    cm = a.confusion.to_numpy()
    flag, tp = int(cm[:, 1].sum()), int(cm[1, 1])
    why = _say("why_f1", lang) if a.flag_share is None else _say("why_share", lang, share=a.flag_share)
    out["threshold"] = _say("threshold", lang, t=a.threshold, why=why, flag=flag, tp=tp,
                            prec=tp / flag if flag else 0.0, rec=tp / max(int(cm[1].sum()), 1))
    out["calibration"] = _say("calibration", lang, brier=a.metric(m, "brier"))
    sep = "、" if lang == "zh" else ", "
    out["drivers"] = _say("drivers", lang,
                          top=sep.join(feature_label(f, lang) for f in a.importance["feature"].head(3)))
    out["reasons"] = _say("reasons", lang)
    if warning is not None:
        has_clv = "clv" in set(warning.get_column("value_source").unique().to_list())
        out["risk"] = _say("risk", lang, flag=warning.height,
                           risk=fmt_money(float(warning["revenue_at_risk"].sum()), lang, currency),
                           basis=_say("basis_clv" if has_clv else "basis_net_revenue", lang))
    return out


def localize(df: pl.DataFrame | pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """A display table: ``df`` as pandas with its headers in ``lang``."""
    pdf = df.to_pandas() if isinstance(df, pl.DataFrame) else df.copy()
    return pdf.rename(columns=i18n.column_labels(list(pdf.columns), lang, room=ROOM))


def evaluation_table(analysis: ChurnAnalysis, lang: str = "en") -> pd.DataFrame:
    """The out-of-time metrics of every scorer, labelled in ``lang`` (for display)."""
    df = analysis.evaluation.copy()
    df["scorer"] = [scorer_label(s, lang) for s in df["scorer"]]
    return localize(df.rename(columns={"scorer": "model"}), lang).round(3)


def gains_display(analysis: ChurnAnalysis, lang: str = "en") -> pd.DataFrame:
    """Share of churners caught in the top 5/10/20 % per scorer (rows) -- a wide display table."""
    g = analysis.gains.copy()
    g["top"] = [i18n.say("top_share", lang, room=ROOM, pct=round(100 * s)) for s in g["top_share"]]
    wide = g.pivot(index="scorer", columns="top", values="gain")
    wide = wide[list(dict.fromkeys(g.sort_values("top_share")["top"]))]
    wide.columns.name = None
    wide = wide.loc[list(analysis.evaluation["scorer"])]
    wide.index = pd.Index([scorer_label(s, lang) for s in wide.index],
                          name=i18n.t("share_churners_caught", lang, room=ROOM))
    return (100 * wide).round(1).astype(str) + "%"


def importance_display(analysis: ChurnAnalysis, lang: str = "en", top: int = 15) -> pd.DataFrame:
    """The ``top`` features by permutation importance, with readable names."""
    d = analysis.importance.head(top).copy()
    d["feature"] = [feature_label(f, lang) for f in d["feature"]]
    d = d.rename(columns={"group": "feature_group", "importance_std": "±"})
    return localize(d, lang).round(4)


def warning_display(warning: pl.DataFrame, lang: str = "en", show_pii: bool = False,
                    top: int = 20) -> pd.DataFrame:
    """The first ``top`` rows of the warning list for a report: PII masked unless ``show_pii``."""
    cols = ["rank", "customer_id", "name", "company", "tier", "sales_rep", "churn_probability",
            "value", "revenue_at_risk", "reasons", "action"]
    d = privacy.mask_frame(warning.head(top).select([c for c in cols if c in warning.columns]),
                           show_pii=show_pii)
    d = d.with_columns(pl.col("churn_probability").round(3), pl.col("value").round(0),
                       pl.col("revenue_at_risk").round(0))
    return localize(d, lang)


def risk_display(table: pl.DataFrame, lang: str = "en") -> pd.DataFrame:
    """Revenue at risk per group (output of :func:`workbench.churn.revenue_at_risk_by`) for display."""
    return localize(table.with_columns(pl.col("revenue_at_risk").round(0),
                                       pl.col("churn_probability").round(3)), lang)
