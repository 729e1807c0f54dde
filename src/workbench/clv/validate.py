"""Out-of-sample validation: fit on a calibration period, compare the holdout's purchases.

The naive baseline repeats each customer's calibration rate.  Inputs are
:func:`workbench.rfm.calibration_holdout`'s columns (lifetimes' names).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import polars as pl

from ..errors import DataError, ModelError, UsageError
from .fit import CLVFit, fit
from .inputs import MODELS, _collapse, _to_arrays, sample_customers
from .predict import _cond_expected

__all__ = ["Validation", "frequency_bin", "holdout_predictions", "holdout_table", "validate"]


def frequency_bin(frequency: Any, max_frequency: int = 7) -> np.ndarray:
    """Bin labels '0', '1', ..., 'max+' for calibration frequencies."""
    f = np.asarray(frequency, dtype=float).astype(int)
    labels = np.array([str(i) for i in range(max_frequency)] + [f"{max_frequency}+"], dtype=object)
    return labels[np.clip(f, 0, max_frequency)]


def holdout_predictions(fits: dict[str, CLVFit], cal_hold: Any, *, id_col: str = "customer_id",
                        frequency_cal: str = "frequency_cal", recency_cal: str = "recency_cal",
                        T_cal: str = "T_cal", frequency_holdout: str = "frequency_holdout",
                        duration_holdout: str = "duration_holdout") -> pd.DataFrame:
    """Per customer: actual holdout purchases and each model's prediction, plus the naive baseline.

    ``cal_hold`` is :func:`workbench.rfm.calibration_holdout`'s output (lifetimes'
    column names).  Columns of the result: ``frequency_cal, recency_cal, T_cal,
    duration_holdout, actual`` and one column per model name in ``fits`` plus
    ``baseline`` = ``frequency_cal / T_cal * duration_holdout`` (repeat the
    calibration purchase rate; 0 for a customer whose first purchase is on the last day of
    the calibration, ``T_cal = 0``: no repeat seen, none predicted).  pandas, indexed by
    customer id.
    """
    a = _to_arrays(cal_hold, id_col, frequency_cal, recency_cal, T_cal, None, False, "calibration/holdout")
    if isinstance(cal_hold, pl.DataFrame):
        actual = cal_hold.get_column(frequency_holdout).cast(pl.Float64).to_numpy()
        dur = cal_hold.get_column(duration_holdout).cast(pl.Float64).to_numpy()
    else:
        for c in (frequency_holdout, duration_holdout):
            if c not in cal_hold.columns:
                raise DataError(f"calibration/holdout: column '{c}' is missing; build it with "
                                f"workbench.rfm.calibration_holdout.")
        actual = cal_hold[frequency_holdout].to_numpy(dtype=float)
        dur = cal_hold[duration_holdout].to_numpy(dtype=float)
    if not np.all(np.isfinite(dur)) or np.any(dur <= 0):
        raise DataError("calibration/holdout: duration_holdout must be a positive number of periods; "
                        "the holdout period is empty.")
    out = pd.DataFrame({"frequency_cal": a.frequency, "recency_cal": a.recency, "T_cal": a.T,
                        "duration_holdout": dur, "actual": actual},
                       index=pd.Index(a.ids, name=id_col))
    (f, r, T, d), _, inv = _collapse(a.frequency, a.recency, a.T, dur)
    for name, ft in fits.items():
        pred = _cond_expected(ft.purchase_model, d, f, r, T)[inv]
        if not np.all(np.isfinite(pred)):
            raise ModelError(f"the {name} model gave no finite holdout prediction for some customers.")
        out[name] = pred
    rate = np.divide(a.frequency, a.T, out=np.zeros(len(a.T)), where=a.T > 0)
    out["baseline"] = rate * dur
    return out


def holdout_table(per_customer: pd.DataFrame, models: Sequence[str], max_frequency: int = 7) -> pd.DataFrame:
    """Mean actual vs predicted holdout purchases by calibration frequency ('0' ... '7+').

    One row per bin with ``customers``, ``actual`` and one column per model (mean
    holdout purchases per customer in the bin).  Bins with no customers are left out.
    """
    df = per_customer.assign(bin=frequency_bin(per_customer["frequency_cal"], max_frequency))
    cols = ["actual", *models]
    g = df.groupby("bin", sort=False)
    table = g[cols].mean()
    table.insert(0, "customers", g.size())
    order = [str(i) for i in range(max_frequency)] + [f"{max_frequency}+"]
    table = table.reindex([b for b in order if b in table.index])
    table.index.name = "frequency_cal"
    return table


@dataclass
class Validation:
    """Out-of-sample comparison of purchase models (see :func:`validate`).

    Attributes:
        per_customer: actual and predicted holdout purchases per customer.
        by_frequency: mean actual vs predicted by calibration-frequency bin.
        comparison: one row per model (and the baseline): totals and errors.
        fits: the calibration fits, by model name.
        holdout_periods: the holdout length in periods (the longest when it varies).
    """

    per_customer: pd.DataFrame
    by_frequency: pd.DataFrame
    comparison: pd.DataFrame
    fits: dict[str, CLVFit]
    holdout_periods: float

    def summary(self, model: str) -> dict[str, float]:
        """Key figures of one model: totals, MAEs, and the baseline's MAE."""
        row = self.comparison.loc[model]
        base = self.comparison.loc["baseline"]
        return {"holdout_actual": float(row["actual_total"]),
                "holdout_predicted": float(row["predicted_total"]),
                "holdout_mae": float(row["mae_customer"]),
                "holdout_mae_bin": float(row["mae_bin"]),
                "baseline_predicted": float(base["predicted_total"]),
                "baseline_mae": float(base["mae_customer"]),
                "baseline_mae_bin": float(base["mae_bin"])}


def validate(cal_hold: Any, models: Iterable[str] = ("bgnbd", "paretonbd"), *, period: str = "D",
             freq_multiplier: float = 1, max_frequency: int = 7, penalizer: float = 0.0,
             min_repeat_customers: int = 10, id_col: str = "customer_id",
             sample: int | None = None, seed: int = 0) -> Validation:
    """Fit each purchase model on the calibration period and compare holdout purchases.

    Error measures (all in purchases per customer over the holdout):

    - ``mae_customer``: mean over customers of ``|actual - predicted|``;
    - ``mae_bin``: mean over the calibration-frequency bins (0 ... 7+) of
      ``|mean actual - mean predicted|`` in the bin (each bin counts once, as in
      the calibration-vs-holdout chart);
    - ``actual_total`` / ``predicted_total``: purchases summed over customers and
      ``total_error`` = predicted / actual - 1.

    The naive ``baseline`` predicts ``frequency_cal / T_cal * duration_holdout``.

    With ``sample``, the models are fitted on a seeded sample of at most that many
    customers (:func:`~workbench.clv.inputs.sample_customers`); every customer's holdout
    is predicted and compared.
    """
    models = list(models)
    for m in models:
        if m not in MODELS:
            raise UsageError(f"model '{m}' is not supported; choose from {', '.join(MODELS)}.")
    cal = cal_hold
    if isinstance(cal_hold, pl.DataFrame):
        cal_summary = cal_hold.select(id_col, pl.col("frequency_cal").alias("frequency"),
                                      pl.col("recency_cal").alias("recency"), pl.col("T_cal").alias("T"))
    else:
        cal_summary = cal_hold.rename(columns={"frequency_cal": "frequency", "recency_cal": "recency",
                                               "T_cal": "T"})
    fit_on = sample_customers(cal_summary, sample, seed, id_col)
    fits = {m: fit(fit_on, m, spend=False, period=period, freq_multiplier=freq_multiplier,
                   penalizer=penalizer, min_repeat_customers=min_repeat_customers, id_col=id_col)
            for m in models}
    per = holdout_predictions(fits, cal, id_col=id_col)
    names = [*models, "baseline"]
    table = holdout_table(per, names, max_frequency)
    rows = []
    actual_total = float(per["actual"].sum())
    for name in names:
        pred_total = float(per[name].sum())
        rows.append({
            "model": name,
            "actual_total": actual_total,
            "predicted_total": pred_total,
            "total_error": pred_total / actual_total - 1 if actual_total > 0 else float("nan"),
            "mae_customer": float((per["actual"] - per[name]).abs().mean()),
            "mae_bin": float((table["actual"] - table[name]).abs().mean()),
        })
    comparison = pd.DataFrame(rows).set_index("model")
    return Validation(per_customer=per, by_frequency=table, comparison=comparison, fits=fits,
                      holdout_periods=float(per["duration_holdout"].max()))
