"""Global explanation: permutation importance of a fitted pipeline, organised for speed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.stats import rankdata
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline

from ..errors import DataError, UsageError
from ..sampling import stratified_rows
from .models import model_input, one_thread

__all__ = ["permutation_importances"]


def _auc(y: np.ndarray, scores: np.ndarray) -> float:
    """ROC AUC as the Mann-Whitney statistic on average ranks: ``roc_auc_score``'s value (ties
    count one half), without its input checks, which cost more than the statistic on a few
    thousand rows scored hundreds of times."""
    ranks = rankdata(scores)
    pos = y == 1
    n_pos = int(pos.sum())
    n_neg = y.size - n_pos
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _preprocessed_blocks(pipeline: Any, features: Sequence[str]) -> list[np.ndarray] | None:
    """For a :func:`build_pipeline` pipeline: the columns of the preprocessed matrix each feature produces.

    A numeric feature produces its (imputed, maybe standardised) value and, when it
    had missing values in training, a missing indicator; a categorical feature its
    one-hot block.  Read from ``get_feature_names_out`` of each fitted transformer.
    Returns None for any other estimator, or when some output column cannot be
    attributed to exactly one feature.
    """
    if not isinstance(pipeline, Pipeline) or len(pipeline.steps) != 2 \
            or not isinstance(pipeline[0], ColumnTransformer):
        return None
    prep = pipeline[0]
    position = {f: i for i, f in enumerate(features)}
    owner: dict[int, int] = {}
    for name, trans, cols in prep.transformers_:
        if trans == "drop" or name not in prep.output_indices_:
            continue
        if trans == "passthrough" or not isinstance(cols, list) or any(c not in position for c in cols):
            return None
        slice_ = prep.output_indices_[name]
        try:
            out = list(trans.get_feature_names_out(cols))
        except (AttributeError, ValueError):
            return None
        if len(out) != slice_.stop - slice_.start:
            return None
        last = -1
        for k, col_name in enumerate(out):
            if col_name in cols:
                f = col_name
            elif col_name.startswith("missingindicator_") and col_name[len("missingindicator_"):] in cols:
                f = col_name[len("missingindicator_"):]
            else:  # one-hot "<feature>_<category>", feature-major: the longest matching prefix
                hits = [c for c in cols if col_name.startswith(f"{c}_")]
                if not hits:
                    return None
                f = max(hits, key=len)
                if cols.index(f) < last:
                    return None
                last = cols.index(f)
            owner[slice_.start + k] = position[f]
    width = len(prep.get_feature_names_out())
    if sorted(owner) != list(range(width)):
        return None
    blocks: list[list[int]] = [[] for _ in features]
    for col, f in owner.items():
        blocks[f].append(col)
    return [np.array(sorted(b), dtype=int) for b in blocks]


def permutation_importances(pipeline: Any, X: pd.DataFrame, y: npt.ArrayLike, seed: int = 7,
                            n_repeats: int = 5, groups: Mapping[str, str] | None = None,
                            max_rows: int | None = 5000, preprocess_once: bool = True) -> pd.DataFrame:
    """Global importance: drop in ROC AUC when one feature is shuffled (on held-out data).

    Each feature's rows are shuffled ``n_repeats`` times (seeded) and the drop of
    the ROC AUC from the unshuffled score is averaged -- the method of
    ``sklearn.inspection.permutation_importance``, organised for speed:

    - it runs on a seeded subsample of at most ``max_rows`` rows, stratified on the
      label (None: every row); a few thousand rows measure AUC drops of 0.005 and up
      well, and the cost grows with rows x features x repeats;
    - for a :func:`build_pipeline` pipeline the preprocessing runs once: every step
      (imputation, missing indicators, scaling, one-hot) works row by row, so
      preprocessing a shuffled feature gives exactly the preprocessed matrix with that
      feature's columns shuffled the same way, and only the classifier is rerun.
      ``preprocess_once=False`` (or another estimator) shuffles the raw column and
      runs the whole pipeline each time: same numbers, slower.

    Native thread pools are limited to one thread meanwhile (see :func:`workbench.churn.analyse`).

    Returns:
        ``feature, group, importance, importance_std`` sorted by importance (descending).
    """
    if n_repeats < 1:
        raise UsageError(f"importance_repeats {n_repeats} must be at least 1 (e.g. 5).")
    if max_rows is not None and max_rows < 2:
        raise UsageError(f"importance_max_rows {max_rows} must be at least 2 (e.g. 5000), or None.")
    features = list(X.columns)
    y_all = np.asarray(y, dtype=int)
    rows = stratified_rows(y_all, max_rows, seed)
    ys = y_all[rows]
    if len(np.unique(ys)) < 2:
        raise DataError("permutation importance needs churned and retained customers in the evaluation set.")
    blocks = _preprocessed_blocks(pipeline, features) if preprocess_once else None
    if blocks is not None:
        clf = pipeline[-1]
        data = model_input(pipeline, X.iloc[rows])

        def score() -> float:
            return _auc(ys, clf.predict_proba(data)[:, 1])

        def get(j: int) -> np.ndarray:
            return data[:, blocks[j]].copy()

        def put(j: int, values: np.ndarray) -> None:
            data[:, blocks[j]] = values
    else:
        frame = X.iloc[rows].reset_index(drop=True).copy()

        def score() -> float:
            return _auc(ys, pipeline.predict_proba(frame)[:, 1])

        def get(j: int) -> np.ndarray:
            return frame[features[j]].to_numpy().copy()

        def put(j: int, values: np.ndarray) -> None:
            frame[features[j]] = values

    rng = np.random.default_rng(seed)
    drops = np.zeros((len(features), n_repeats))
    with one_thread():
        base = score()
        for j in range(len(features)):
            original = get(j)
            for r in range(n_repeats):
                perm = rng.permutation(ys.size)  # drawn for every feature: both paths shuffle alike
                if blocks is not None and blocks[j].size == 0:
                    continue  # the model never sees this feature: shuffling it changes nothing
                put(j, original[perm])
                drops[j, r] = base - score()
            put(j, original)
    df = pd.DataFrame({"feature": features, "importance": drops.mean(axis=1),
                       "importance_std": drops.std(axis=1)})
    lookup = groups or {}
    df.insert(1, "group", [lookup.get(f, "") for f in df["feature"]])
    return df.sort_values(["importance", "feature"], ascending=[False, True], kind="stable") \
        .reset_index(drop=True)

