"""Satisfaction: NPS with its confidence interval, CSAT, and detractors with open complaints.

- **NPS**: latest response per customer per period; promoters score 9-10,
  detractors 0-6; NPS = 100 x (share of promoters - share of detractors), with a
  normal-approximation confidence interval from the standard error of the
  difference of two proportions of one multinomial sample,
  ``se = sqrt((p+ + p- - (p+ - p-)^2) / n)``.
- **CSAT**: share of responses scoring 4-5 (and the mean on 1-5), latest
  response per customer per period.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np
import polars as pl
from scipy import stats

from ..errors import DataError, UsageError
from ..frames import as_polars
from .common import customer_columns, period_labels

__all__ = ["detractors_with_open_complaints", "latest_responses", "nps_score", "satisfaction_by"]


def latest_responses(surveys: Any, freq: str | None = "month") -> pl.DataFrame:
    """The latest survey response per customer per period (``freq`` None: over the whole table).

    A customer answering twice in a month would otherwise weigh twice; the latest answer
    is their current opinion.  Ties on the same day keep the highest ``survey_id``.

    Returns:
        One row per customer and period, with a ``period`` column (``periods.period_of``:
        '2026-10', '2026-Q3', '2026-W07', or 'all').
    """
    s = as_polars(surveys, "surveys", ["survey_id", "customer_id", "survey_date"])
    if freq is None:
        s = s.with_columns(pl.lit("all").alias("period"))
    else:
        s = period_labels(s, "survey_date", freq)
    return (s.sort(["customer_id", "period", "survey_date", "survey_id"])
            .group_by(["customer_id", "period"], maintain_order=True).last()
            .sort(["period", "customer_id"]))


def nps_score(scores: Iterable[float | None], confidence: float = 0.95) -> dict[str, Any]:
    """Net Promoter Score of 0-10 answers, with a normal-approximation confidence interval.

    NPS = 100 x (p+ - p-), p+ the share of promoters (9-10), p- of detractors (0-6).
    Its standard error is ``sqrt((p+ + p- - (p+ - p-)^2) / n)`` (difference of two
    proportions from one multinomial sample); the interval is NPS +- z x 100 x se,
    clipped to [-100, 100].  Missing answers are ignored.

    >>> r = nps_score([10, 9, 9, 10, 7, 8, 7, 8, 3, 5])
    >>> r["nps"], r["promoters"], r["detractors"], r["passives"]
    (20.0, 4, 2, 4)

    Returns:
        ``{"n", "promoters", "passives", "detractors", "nps", "se", "ci_low", "ci_high"}``
        (``se`` in NPS points); scores are null when ``n`` is 0.
    """
    arr = np.asarray(scores.to_numpy() if isinstance(scores, pl.Series) else list(scores),
                     dtype=float)  # None -> NaN
    arr = arr[~np.isnan(arr)]
    if arr.size and ((arr < 0) | (arr > 10)).any():
        raise DataError(f"NPS answers must be 0-10; found {sorted(set(arr[(arr < 0) | (arr > 10)]))}.")
    n = int(arr.size)
    pro, det = int((arr >= 9).sum()), int((arr <= 6).sum())
    out: dict[str, Any] = {"n": n, "promoters": pro, "passives": n - pro - det, "detractors": det,
                           "nps": None, "se": None, "ci_low": None, "ci_high": None}
    if n == 0:
        return out
    pp, pm = pro / n, det / n
    diff = pp - pm
    se = math.sqrt(max(pp + pm - diff ** 2, 0.0) / n)
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    out.update(nps=100 * diff, se=100 * se, ci_low=max(-100.0, 100 * (diff - z * se)),
               ci_high=min(100.0, 100 * (diff + z * se)))
    return out


_SAT_SCHEMA = {"n_nps": pl.Int64, "promoters": pl.Int64, "passives": pl.Int64,
               "detractors": pl.Int64, "nps": pl.Float64, "ci_low": pl.Float64,
               "ci_high": pl.Float64, "n_csat": pl.Int64, "csat_share": pl.Float64,
               "csat_mean": pl.Float64}


def satisfaction_by(responses: Any, customers: Any = None, by: str | None = "tier",
                    confidence: float = 0.95) -> pl.DataFrame:
    """NPS (with interval) and CSAT per group.

    Args:
        responses: survey responses, normally :func:`latest_responses`.
        customers: customers with the grouping column when ``by`` is a customer attribute
            (``tier``, ``channel``, ``province``); not needed for ``by="period"``.
        by: grouping column (None: one overall row, group ``all``).
        confidence: level of the NPS interval.

    Returns:
        ``by, n_nps, promoters, passives, detractors, nps, ci_low, ci_high, n_csat,
        csat_share`` (share of 4-5) ``, csat_mean``.
    """
    resp = as_polars(responses, "surveys", ["customer_id", "nps", "csat"])
    if by is not None and by not in resp.columns:
        if customers is None:
            raise UsageError(f"satisfaction_by: '{by}' is not a survey column; pass customers.")
        people = as_polars(customers, "customers", ["customer_id", by])
        resp = resp.join(people.select("customer_id", by), on="customer_id",
                         how="left").with_columns(pl.col(by).fill_null("unknown"))
    groups = [("all", resp)] if by is None else [(k[0], g) for k, g in resp.group_by(by)]
    rows = []
    for key, g in groups:
        r = nps_score(g.get_column("nps").to_list(), confidence)
        cs = g.get_column("csat").drop_nulls().cast(pl.Float64).to_numpy()
        rows.append({by or "group": key, "n_nps": r["n"], "promoters": r["promoters"],
                     "passives": r["passives"], "detractors": r["detractors"], "nps": r["nps"],
                     "ci_low": r["ci_low"], "ci_high": r["ci_high"], "n_csat": int(cs.size),
                     "csat_share": float((cs >= 4).mean()) if cs.size else None,
                     "csat_mean": float(cs.mean()) if cs.size else None})
    schema = {by or "group": pl.String, **_SAT_SCHEMA}
    return pl.DataFrame(rows, schema=schema).sort(by or "group")


def detractors_with_open_complaints(responses: Any, status: Any, customers: Any = None
                                    ) -> pl.DataFrame:
    """Customers whose latest NPS answer is a detractor (0-6) and who have an open complaint.

    Args:
        responses: survey responses; the latest per customer is used.
        status: :func:`~.complaints.complaint_status` output (open at the as-of date).
        customers: optional customers for ``name, tier, owner``.

    Returns:
        ``customer_id, survey_date, nps, csat, open_complaints, oldest_open_hours,
        breached_open`` (+ customer columns), oldest complaint first.
    """
    latest = latest_responses(responses, None).filter(pl.col("nps") <= 6)
    st = as_polars(status, "complaint status", ["customer_id", "is_open", "age_hours", "breached"])
    opened = (st.filter(pl.col("is_open")).group_by("customer_id")
              .agg(pl.len().alias("open_complaints"),
                   pl.col("age_hours").max().alias("oldest_open_hours"),
                   pl.col("breached").sum().alias("breached_open")))
    out = latest.select("customer_id", "survey_date", "nps", "csat").join(
        opened, on="customer_id", how="inner")
    out = customer_columns(out, customers)
    return out.sort(["oldest_open_hours", "customer_id"], descending=[True, False])
