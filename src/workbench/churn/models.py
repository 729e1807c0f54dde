"""The two scikit-learn pipelines that score churn, and the one-thread limit they run under."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

from ..errors import UsageError
from .groups import MISSING_CAT

__all__ = ["MODELS", "build_pipeline", "check_model", "churn_probability", "model_input",
           "one_thread"]

MODELS = ("hgb", "logreg")


def check_model(model: str) -> None:
    """Raise UsageError for a model name other than ``hgb`` or ``logreg``."""
    if model not in MODELS:
        raise UsageError(f"model '{model}' is not known; use one of {', '.join(MODELS)}.")


def build_pipeline(model: str, numeric: Sequence[str], categorical: Sequence[str],
                   seed: int = 7) -> Pipeline:
    """A scikit-learn pipeline: imputation, one-hot categoricals, then the classifier.

    Args:
        model: ``"hgb"`` (HistGradientBoostingClassifier) or ``"logreg"``
            (L2-regularised LogisticRegression on standardised features).
        numeric, categorical: feature columns of the input DataFrame.
        seed: random state.
    """
    check_model(model)
    num_steps: list[tuple[str, Any]] = [
        ("impute", SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True))]
    if model == "logreg":
        num_steps.append(("scale", StandardScaler()))
    transformers: list[tuple[str, Any, list[str]]] = [("num", Pipeline(num_steps), list(numeric))]
    if categorical:
        transformers.append(("cat", Pipeline([
            ("impute", SimpleImputer(strategy="constant", fill_value=MISSING_CAT)),
            ("onehot", OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=10,
                                     sparse_output=False)),
        ]), list(categorical)))
    prep = ColumnTransformer(transformers, remainder="drop", verbose_feature_names_out=False)
    clf: Any
    if model == "hgb":
        # Shallow trees and few iterations: a few thousand rows, weak signals; deeper
        # settings overfit out of time (see docs/churn.md).
        clf = HistGradientBoostingClassifier(learning_rate=0.05, max_iter=100, max_depth=3,
                                             min_samples_leaf=50, l2_regularization=1.0,
                                             early_stopping=False, random_state=seed)
    else:
        clf = LogisticRegression(C=0.3, max_iter=2000)
    return Pipeline([("prep", prep), ("model", clf)])


def model_input(pipeline: Pipeline, X: Any) -> np.ndarray:
    """The matrix the classifier of a :func:`build_pipeline` pipeline reads for the rows ``X``:
    the preprocessed features as floats, in column-major order for the gradient boosting
    (its trees read one feature of many rows at a time: several times faster to predict,
    the same values)."""
    data = np.asarray(pipeline[0].transform(X), dtype=float)
    return np.asfortranarray(data) if isinstance(pipeline[-1], HistGradientBoostingClassifier) else data


def churn_probability(pipeline: Any, X: Any) -> np.ndarray:
    """The probability of class 1 of every row of ``X``: ``pipeline.predict_proba(X)[:, 1]``,
    through :func:`model_input` for a :func:`build_pipeline` pipeline (the same numbers)."""
    if isinstance(pipeline, Pipeline) and len(pipeline.steps) == 2 \
            and isinstance(pipeline[0], ColumnTransformer):
        return np.asarray(pipeline[-1].predict_proba(model_input(pipeline, X))[:, 1])
    return np.asarray(pipeline.predict_proba(X)[:, 1])


def one_thread() -> Any:
    """A context limiting native thread pools (OpenMP, BLAS) to one thread.

    threadpoolctl only limits the libraries already loaded when the limit is set;
    this module imports scikit-learn's gradient boosting (and with it its OpenMP
    runtime) at import time, so the limit holds in a fresh process too.  Without
    it the gradient boosting runs on every core and its threads busy-wait for each
    other on a loaded machine (many times slower).
    """
    return threadpool_limits(limits=1)
