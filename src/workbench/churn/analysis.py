"""The churn warning step: fit, evaluate out of time, and score (:func:`analyse`).

Design (``N`` = churn window): test cut-off ``c2 = as_of - N``; training
cut-offs ``c1 = c2 - N`` and ``n_train_cutoffs - 1`` more, each
``cutoff_step_days`` earlier (all their labels end by ``c2``).  Both models and
both baselines are measured on ``c2``; the scoring model is then refitted on
``c2, c2 - step, ...`` (labels end by ``as_of``) and scores the population at ``as_of``.

The transaction log at ``as_of`` (:func:`workbench.transactions.transactions`) is
computed once per analysis: the window, the labels, the first purchase and the
12-month net revenue read it.  The features of a cut-off read the log *at that
cut-off* (one per cut-off, see :func:`workbench.churn.build_features`): with the
``cap`` outlier policy the cap is a quantile of the amounts known at the date, so
the as-of log filtered by day would let later amounts move earlier features.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import platform
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from importlib import metadata as importlib_metadata
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
from sklearn.calibration import calibration_curve
from sklearn.metrics import confusion_matrix
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from .. import i18n
from .. import transactions as tx
from ..errors import DataError, UsageError
from ..sampling import stratified_rows
from .alive import default_segmenter
from .data import OrderColumns, truncate
from .evaluation import evaluate_scores, gains_curve, gains_table, threshold_max_f1, top_share
from .features import FeatureBuilder, Segmenter, training_frame, training_sample
from .groups import FeatureSet, feature_groups_map
from .importance import permutation_importances
from .models import MODELS, build_pipeline, check_model, churn_probability, one_thread
from .reasons import explain
from .settings import ChurnSettings
from .text import ROOM
from .window import ChurnWindow, window_from_log

__all__ = ["ChurnAnalysis", "analyse"]


@dataclass
class ChurnAnalysis:
    """Everything :func:`analyse` learns and measures (the notebook shows it).

    Attributes:
        as_of: scoring date.  window: the churn window.  lapsed_days: population bound.
        train_cutoffs, test_cutoff: the out-of-time design of the evaluation.
        final_cutoffs: cut-offs the scoring model was refitted on (labels end by ``as_of``).
        model_kind, seed: the model used for scoring and its seed.
        groups, missing: feature groups used, and missing ones with the reason.
        numeric, categorical: the features.
        evaluation: one row per scorer (models and baselines) x metric, on the test cut-off.
        gains: lift and cumulative gains at 5/10/20 % per scorer.
        curves: per scorer the full gains curve (for the chart).
        calibration: predicted vs observed churn rate by decile of the scoring model.
        confusion: the confusion matrix on the test cut-off at ``threshold``.
        threshold: probability threshold: the lowest flagged probability at ``as_of`` (capacity
            rule, ``flag_share``), or max F1 on out-of-fold training predictions (None).
        flag_share: the capacity share used for the threshold (None: max F1).
        importance: permutation importance on the test cut-off (seeded).
        train_size, test_size, train_churn_rate, test_churn_rate: sizes and base rates.
        train_fitted: training rows the evaluated models were fitted on (``train_size``, or the
            ``settings.train_sample`` stratified sample of them).
        model: the scoring pipeline (refitted on ``final_cutoffs``).
        scores: per customer at ``as_of``: probability, flag, baselines, 12-month net
            revenue (``net_revenue_12m``), reasons.
        features: the features at ``as_of``.
        settings: the method used.
    """

    as_of: date
    window: ChurnWindow
    lapsed_days: int
    train_cutoffs: list[date]
    test_cutoff: date
    final_cutoffs: list[date]
    model_kind: str
    seed: int
    groups: list[str]
    missing: dict[str, str]
    numeric: list[str]
    categorical: list[str]
    evaluation: pd.DataFrame
    gains: pd.DataFrame
    curves: dict[str, pd.DataFrame]
    calibration: pd.DataFrame
    confusion: pd.DataFrame
    threshold: float
    flag_share: float | None
    importance: pd.DataFrame
    train_size: int
    test_size: int
    train_churn_rate: float
    test_churn_rate: float
    model: Any
    scores: pl.DataFrame
    features: FeatureSet
    settings: ChurnSettings = field(default_factory=ChurnSettings)
    train_fitted: int = 0
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def features_list(self) -> list[str]:
        return self.numeric + self.categorical

    def metric(self, scorer: str, name: str) -> float | None:
        """One metric of one scorer (``hgb``, ``logreg``, ``recency``, ``p_alive``)."""
        row = self.evaluation.loc[self.evaluation["scorer"] == scorer]
        if row.empty:
            raise KeyError(f"no scorer '{scorer}'; scorers are {list(self.evaluation['scorer'])}")
        v = row.iloc[0][name]
        return None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)

    def missing_groups_text(self, lang: str = "en") -> str:
        """Which feature groups are missing and why, in plain words."""
        if not self.missing:
            return i18n.t("all_groups", lang, room=ROOM)
        return i18n.say("missing_groups", lang, room=ROOM,
                        groups="; ".join(f"{g} ({why})" for g, why in self.missing.items()))


def _cutoffs(end: date, n: int, step: int) -> list[date]:
    return [end - timedelta(days=k * step) for k in range(n)]


def analyse(tables: Mapping[str, pl.DataFrame | None], as_of: date,
            settings: ChurnSettings | None = None, *, model: str = "hgb", seed: int = 7,
            transactions: tx.TransactionSettings | None = None, columns: OrderColumns | None = None,
            segmenter: Segmenter | None = default_segmenter) -> ChurnAnalysis:
    """Fit, evaluate out of time, and score: the whole churn warning step.

    Args:
        tables: canonical tables (``orders`` required); rows after ``as_of`` are ignored.
        as_of: the scoring date; no data after it is used.
        settings: the method (:class:`ChurnSettings`: window, population bound,
            cut-offs, permutation importance, capacity rule); default settings when None.
        model: ``"hgb"`` or ``"logreg"`` for scoring.
        seed: random seed (models, folds, permutation importance).
        transactions: the house's outlier policy (``Context.transaction_settings``).
        columns: order column names (e.g. ``OrderColumns(date="date")`` for CDNOW).
        segmenter: tiers/segments at a cut-off (None: no segment features).

    The threshold maximises F1 on 3-fold out-of-fold training predictions only when
    ``settings.flag_share`` is None; otherwise the riskiest ``ceil(flag_share * n)``
    customers are flagged (on the test cut-off for the confusion matrix, at ``as_of``
    for the list) and ``threshold`` is the lowest flagged probability at ``as_of``.

    Native thread pools (OpenMP of the gradient boosting) are limited to one
    thread: the tables are small, and on a busy machine (several notebooks run
    at once) OpenMP's busy-waiting makes the fits many times slower.

    Raises:
        UsageError: the data is too short for the out-of-time design, or an unknown model.
        DataError: bad or too little data (messages say what to do).
    """
    check_model(model)
    policy = transactions or tx.TransactionSettings()
    if segmenter is default_segmenter:  # tiers at each cut-off follow the same outlier policy
        segmenter = functools.partial(default_segmenter, transaction_settings=policy)
    with one_thread():
        return _analyse(tables, as_of, settings or ChurnSettings(), model, seed,
                        policy, columns or OrderColumns(), segmenter)


def _analyse(tables: Mapping[str, pl.DataFrame | None], as_of: date, st: ChurnSettings, model: str,
             seed: int, tx_settings: tx.TransactionSettings, cols: OrderColumns,
             segmenter: Segmenter | None) -> ChurnAnalysis:
    known = truncate(dict(tables), as_of, orders_date_col=cols.date)
    # One builder reads the orders once and codes the customer ids of every table once for
    # all the cut-offs; its log at as_of (ids coded) is the analysis' one log: the window's
    # purchase gaps, the labels, the 12-month net revenue and every cut-off's log are cut from it.
    builder = FeatureBuilder(known, as_of, segmenter=segmenter, with_p_alive=st.with_p_alive,
                             p_alive_sample=st.p_alive_sample, seed=seed, settings=tx_settings,
                             columns=cols)
    buys = builder.buys
    window = window_from_log(builder.log.select("customer_id", "day", "kind"), as_of,
                             quantile=st.window_quantile, days=st.window_days)
    net = builder.codes.decode(tx.net_revenue(builder.log_at(as_of), as_of, 12).collect())
    n = window.days
    lapsed = int(st.lapsed_days if st.lapsed_days is not None else n)
    c2 = as_of - timedelta(days=n)
    c1 = c2 - timedelta(days=n)
    first = buys.get_column("day").min()
    start = first.isoformat() if isinstance(first, date) else "no purchase"
    train_cutoffs = _cutoffs(c1, st.n_train_cutoffs, st.cutoff_step_days)
    if not isinstance(first, date) or train_cutoffs[-1] <= first:
        raise UsageError(
            f"the orders start on {start}, too late for an out-of-time evaluation with a {n}-day "
            f"window as of {as_of} (the earliest training cut-off would be {train_cutoffs[-1]}); "
            f"use a shorter churn_window_days, fewer training cut-offs, or a later as_of."
        )
    # Every cut-off's features (segments and the BG/NBD fit included) are computed once:
    # the test cut-off c2 is also the first cut-off of the refit.
    # The models fit on a seeded, label-stratified sample of the stacked training rows
    # (settings.train_sample): the labels of every row are read first and the features are
    # built for the sampled rows only; the test cut-off and the scoring date keep every customer.
    cache: dict[date, FeatureSet] = {}
    kw: dict[str, Any] = {"builder": builder}
    sample: dict[str, Any] = {"builder": builder, "buys": buys, "sample": st.train_sample,
                              "seed": seed, "feature_cache": cache}
    train, y_fit, y_train = training_sample(train_cutoffs, n, lapsed, **sample)
    test, y_test = training_frame(known, [c2], n, lapsed, buys=buys, feature_cache=cache, **kw)
    if test.features != train.features:
        raise DataError(f"feature groups at the test cut-off {c2} ({test.groups}) differ from training "
                        f"({train.groups}); the data is too thin early on.")
    for what, y in (("training", y_train), ("test", y_test)):
        if len(np.unique(y)) < 2:
            raise DataError(f"the {what} labels hold a single class (churn rate {y.mean():.0%}); "
                            f"choose another window or as-of date.")
    Xtr = train.to_pandas()
    num, cat = train.numeric, train.categorical
    # Only the test cut-off is read again (it starts the refit): the stacked frame keeps its
    # columns only.
    train = dataclasses.replace(train, frame=train.frame.clear())

    pipes = {kind: build_pipeline(kind, num, cat, seed).fit(Xtr, y_fit) for kind in MODELS}
    scorers = {k: _probabilities(pipes[k], test) for k in MODELS}
    scorers["recency"] = test.frame.get_column("recency_days").to_numpy().astype(float)
    if "p_alive" in test.frame.columns:
        scorers["p_alive"] = 1.0 - test.frame.get_column("p_alive").to_numpy().astype(float)
    rows, gains, curves = [], [], {}
    for name, s in scorers.items():
        rows.append({"scorer": name, **evaluate_scores(y_test, s, is_probability=name != "recency")})
        g = gains_table(y_test, s)
        g.insert(0, "scorer", name)
        gains.append(g)
        curves[name] = gains_curve(y_test, s)

    chosen = scorers[model]
    frac_pos, mean_pred = calibration_curve(y_test, chosen, n_bins=10, strategy="quantile")
    threshold = float("nan")
    if st.flag_share is None:
        # Out-of-fold predictions on the training rows: only the max-F1 threshold needs them.
        folds = StratifiedKFold(n_splits=3, shuffle=True, random_state=seed)
        oof = cross_val_predict(build_pipeline(model, num, cat, seed), Xtr, y_fit, cv=folds,
                                method="predict_proba")[:, 1]
        threshold = threshold_max_f1(y_fit, oof)
        test_flags = chosen >= threshold
    else:
        test_flags = top_share(chosen, st.flag_share)
    cm = confusion_matrix(y_test, test_flags.astype(int), labels=[0, 1])
    # The importance's subsample of the test customers, taken here so that only those rows
    # are turned into pandas (ChurnSettings checked importance_max_rows when it was made).
    imp_rows = stratified_rows(y_test, st.importance_max_rows, seed)
    importance = permutation_importances(pipes[model], test.take(imp_rows).to_pandas(), y_test[imp_rows],
                                         seed=seed, n_repeats=st.importance_repeats,
                                         groups=feature_groups_map(num, cat), max_rows=None)

    final_cutoffs = _cutoffs(c2, st.n_train_cutoffs, st.cutoff_step_days)
    final, y_final_fit, y_final = training_sample(final_cutoffs, n, lapsed, **sample)
    if final.features != train.features:
        raise DataError("feature groups of the refit differ from the evaluated model's; "
                        "the data is too thin early on.")
    final_pipe = build_pipeline(model, num, cat, seed).fit(final.to_pandas(), y_final_fit)
    # The labels are all read: only the scoring date's features are left to build.
    del Xtr, final, buys, sample, test
    cache.clear()
    builder.drop_buys()
    now = builder.at(as_of, lapsed)
    if now.features != train.features:
        raise DataError(f"feature groups at {as_of} ({now.groups}) differ from training ({train.groups}).")
    prob = _probabilities(final_pipe, now)
    if st.flag_share is None:
        flags = prob >= threshold
    else:
        flags = top_share(prob, st.flag_share)
        threshold = float(prob[flags].min())
    gap_median = window.median_gap_days if not math.isnan(window.median_gap_days) else float(n)
    scores = _scores(now, prob, flags, net,
                     explain(now, importance, gap_median))

    analysis = ChurnAnalysis(
        as_of=as_of, window=window, lapsed_days=lapsed, train_cutoffs=train_cutoffs,
        test_cutoff=c2, final_cutoffs=final_cutoffs, model_kind=model, seed=seed,
        groups=train.groups, missing=train.missing, numeric=num, categorical=cat,
        evaluation=pd.DataFrame(rows), gains=pd.concat(gains, ignore_index=True), curves=curves,
        calibration=pd.DataFrame({"predicted": mean_pred, "observed": frac_pos}),
        confusion=pd.DataFrame(cm, index=["stays", "churned"], columns=["stays", "churned"]),
        threshold=threshold, flag_share=st.flag_share, importance=importance,
        train_size=int(y_train.size), train_fitted=int(y_fit.size), test_size=int(y_test.size),
        train_churn_rate=float(y_train.mean()), test_churn_rate=float(y_test.mean()),
        model=final_pipe, scores=scores, features=now, settings=st,
    )
    analysis.metadata = _metadata(analysis, int(y_final.size), int(y_final_fit.size))
    return analysis


def _probabilities(pipeline: Any, features: FeatureSet, chunk: int = 100_000) -> np.ndarray:
    """The churn probability of every row of ``features``, turned into pandas ``chunk`` rows at a
    time (the pipeline works row by row: the same numbers as all at once, in less memory)."""
    n = features.frame.height
    parts = [churn_probability(
        pipeline, dataclasses.replace(features, frame=features.frame.slice(i, chunk)).to_pandas())
        for i in range(0, n, chunk)]
    return np.concatenate(parts) if parts else np.zeros(0)


def _scores(now: FeatureSet, prob: np.ndarray, flags: np.ndarray, net: pl.DataFrame,
            reasons: pl.DataFrame) -> pl.DataFrame:
    """Per customer at ``as_of``: baselines, 12-month net revenue, probability, flag and reasons."""
    return now.frame.select(
        "customer_id", "recency_days",
        *(["p_alive"] if "p_alive" in now.frame.columns else []),
        "spend_365d",
    ).join(net, on="customer_id", how="left").with_columns(
        pl.col("net_revenue_12m").fill_null(0.0),
        pl.Series("churn_probability", prob),
        pl.Series("flagged", flags),
    ).join(reasons, on="customer_id", how="left").sort(
        ["churn_probability", "customer_id"], descending=[True, False])


def _versions() -> dict[str, str]:
    def version(dist: str) -> str:
        try:
            return importlib_metadata.version(dist)
        except importlib_metadata.PackageNotFoundError:
            return "?"

    return {"python": platform.python_version(),
            **{d: version(d) for d in ("scikit-learn", "numpy", "pandas", "polars", "scipy",
                                       "lifetimes", "joblib")}}


def _metadata(a: ChurnAnalysis, final_rows: int, final_fitted: int) -> dict[str, Any]:
    metrics = {r["scorer"]: {k: r[k] for k in ("roc_auc", "pr_auc", "brier", "lift_at_10")}
               for r in a.evaluation.to_dict("records")}
    return {
        "model": a.model_kind, "seed": a.seed, "as_of": a.as_of.isoformat(),
        "churn_window_days": a.window.days, "window_fitted": a.window.fitted,
        "lapsed_days": a.lapsed_days,
        "training_window": {
            "cutoffs": [c.isoformat() for c in a.final_cutoffs],
            "labels_until": (a.final_cutoffs[0] + timedelta(days=a.window.days)).isoformat(),
            "rows": final_rows,
            "rows_fitted": final_fitted,
        },
        "evaluation": {"train_cutoffs": [c.isoformat() for c in a.train_cutoffs],
                       "test_cutoff": a.test_cutoff.isoformat(), "metrics": metrics},
        "threshold": a.threshold, "flag_share": a.flag_share,
        "features": {"numeric": a.numeric, "categorical": a.categorical},
        "feature_groups": a.groups, "missing_groups": a.missing,
        "settings": a.settings.to_dict(),
        "versions": _versions(),
    }
