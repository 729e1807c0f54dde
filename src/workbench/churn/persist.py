"""Disk: the fitted model (joblib + JSON sidecar) and the warning list for Excel.

The only churn functions that write.  Every file is written atomically (a
unique temporary file in the same folder, renamed into place): the sidecar with
:func:`workbench.io.atomic_write_json`, the model with
:func:`workbench.io.atomic_write_bytes`, the warning list's CSV and XLSX with
:mod:`workbench.exports` (safe from formula injection).
"""

from __future__ import annotations

import io as _stdio
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import joblib
import polars as pl

from .. import exports, i18n
from ..errors import ModelError
from ..io import atomic_write_bytes, atomic_write_json
from .analysis import ChurnAnalysis
from .text import ROOM

__all__ = ["export_warning_list", "load_model", "save_model"]

_EXPORT_COLUMNS = ["rank", "customer_id", "name", "company", "tier", "sales_rep", "churn_probability",
                   "value", "value_source", "net_revenue_12m", "revenue_at_risk", "reasons", "action"]


def save_model(analysis: ChurnAnalysis, path: str | os.PathLike[str]) -> tuple[Path, Path]:
    """Save the scoring pipeline (joblib) and its metadata (JSON sidecar ``<path>.json``).

    The metadata holds the training window, the features, the metrics, the settings
    and the library versions.  Returns both paths.
    """
    path = Path(path)
    if path.suffix != ".joblib":
        path = path.with_suffix(".joblib")
    buffer = _stdio.BytesIO()
    joblib.dump(analysis.model, buffer)
    atomic_write_bytes(buffer.getvalue(), path)
    side = atomic_write_json(analysis.metadata, path.with_suffix(".json"))
    return path, side


def load_model(path: str | os.PathLike[str], features: Sequence[str] | None = None) -> tuple[Any, dict[str, Any]]:
    """Load a pipeline saved by :func:`save_model`, refusing one built on other features.

    Args:
        path: the ``.joblib`` file (its ``.json`` sidecar must sit beside it).
        features: the feature list the caller will score with; when given it must
            equal the saved one (same names, same order).

    Returns:
        ``(pipeline, metadata)``.

    Raises:
        ModelError: the file or sidecar is missing, or the feature lists differ.
    """
    path = Path(path)
    side = path.with_suffix(".json")
    if not path.is_file() or not side.is_file():
        raise ModelError(f"{path} or its metadata {side.name} is missing; rerun notebook 04_churn "
                         f"to fit and save the churn model.")
    meta = json.loads(side.read_text(encoding="utf-8"))
    saved = list(meta["features"]["numeric"]) + list(meta["features"]["categorical"])
    if features is not None and list(features) != saved:
        extra = [f for f in features if f not in saved]
        lacking = [f for f in saved if f not in features]
        detail = (f"new: {extra or 'none'}; missing: {lacking or 'none'}"
                  + ("; same names in another order" if not extra and not lacking else ""))
        raise ModelError(f"the churn model in {path} was saved with different features ({detail}); "
                         f"refit it (rerun notebook 04_churn) before scoring this data.")
    return joblib.load(path), meta


def export_warning_list(warning: pl.DataFrame, path: str | os.PathLike[str],
                        lang: str = "en") -> tuple[Path, Path]:
    """Write the warning list for the retention team: CSV (UTF-8 with BOM) and Excel, headers in ``lang``.

    ``path`` is the Parquet path of the list (or any path); the CSV and XLSX get
    its stem.  Mask personal data before calling when reports must not show it.
    """
    path = Path(path)
    cols = [c for c in _EXPORT_COLUMNS if c in warning.columns]
    rounding = [pl.col(c).round(d) for c, d in (("churn_probability", 3), ("value", 2),
                                                ("net_revenue_12m", 2), ("revenue_at_risk", 2))
                if c in cols]
    table = warning.select(cols).with_columns(rounding)
    written = exports.write_table(table, path, sheet=i18n.t("sheet_name", lang, room=ROOM),
                                  headers=i18n.column_labels(cols, lang, room=ROOM))
    csv, xlsx = written["csv"], written["xlsx"]
    return csv, xlsx
