"""ABC classification by cumulative revenue share (ABC分类法) and the Pareto curve."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import polars as pl

from ..errors import DataError
from ..frames import as_polars
from .settings import check_shares

__all__ = ["abc_and_pareto", "abc_classify", "class_names", "pareto_curve", "pareto_cut_points"]


def class_names(n: int) -> list[str]:
    """``A``, ``B``, ... for ``n`` classes."""
    return [chr(ord("A") + i) for i in range(n)]


def _by_revenue(m: pl.DataFrame, value_col: str, customer_id_col: str,
                frequency_col: str | None) -> tuple[np.ndarray, np.ndarray]:
    """Customers with a purchase by revenue, largest first, ties by customer id: their
    row numbers in ``m`` and their revenue (null as 0, negative as 0)."""
    if frequency_col and frequency_col in m.columns:
        rows = np.flatnonzero((m.get_column(frequency_col) > 0).fill_null(False).to_numpy())
    else:
        rows = np.arange(m.height)
    p = m[rows] if len(rows) < m.height else m
    if p.get_column(customer_id_col).is_sorted():
        # already in id order: a stable sort on revenue alone breaks ties by id
        order = p.select(pl.arg_sort_by(value_col, descending=True, nulls_last=True,
                                        maintain_order=True)).to_series()
    else:
        order = p.select(pl.arg_sort_by([value_col, customer_id_col], descending=[True, False],
                                        nulls_last=True)).to_series()
    idx = order.to_numpy()
    v = (p.get_column(value_col).gather(order).fill_null(0).clip(lower_bound=0)
         .to_numpy().astype(float))
    return rows[idx], v


def _cumulative_share(positive: np.ndarray) -> np.ndarray:
    total = positive.sum()
    return np.cumsum(positive) / total if total > 0 else np.zeros_like(positive)


def abc_classify(metrics: Any, *, shares: Sequence[float] = (0.7, 0.2, 0.1),
                 value_col: str = "monetary", customer_id_col: str = "customer_id",
                 frequency_col: str | None = "frequency") -> pl.DataFrame:
    """ABC classification by cumulative revenue share (ABC分类法).

    Customers are sorted by ``value_col`` (largest first; ties by customer id).  With
    the default shares 70/20/10, class A holds the top customers until their
    cumulative share of revenue *reaches* 70%: the customer whose revenue crosses the
    cut belongs to the higher class (so A is never empty).  B continues to 90%; the
    rest is C.  Shares are of the total *positive* revenue; customers with zero or
    negative net revenue are C.  Customers with no purchase (``frequency_col`` = 0,
    prospects) get no class (null).

    Returns the input with ``abc_class``, ``revenue_rank`` (1 = largest) and
    ``cum_revenue_share`` added, in the input's order.
    """
    return _abc(metrics, shares, value_col, customer_id_col, frequency_col)[0]


def abc_and_pareto(metrics: Any, *, shares: Sequence[float] = (0.7, 0.2, 0.1),
                   value_col: str = "monetary", customer_id_col: str = "customer_id",
                   frequency_col: str | None = "frequency") -> tuple[pl.DataFrame, pl.DataFrame]:
    """:func:`abc_classify` and :func:`pareto_curve` of the same customers, from one sort
    by revenue (the two share it).  Raises like :func:`pareto_curve` when nobody bought."""
    m, cum = _abc(metrics, shares, value_col, customer_id_col, frequency_col)
    return m, _curve(cum)


def _abc(metrics: Any, shares: Sequence[float], value_col: str, customer_id_col: str,
         frequency_col: str | None) -> tuple[pl.DataFrame, np.ndarray]:
    check_shares(shares, "abc shares")
    m = as_polars(metrics, "metrics", [customer_id_col, value_col])
    names = class_names(len(shares))
    cuts = np.cumsum(shares)[:-1]
    rows, positive = _by_revenue(m, value_col, customer_id_col, frequency_col)
    cum = _cumulative_share(positive)
    before = np.concatenate([[0.0], cum[:-1]])
    # class index = number of cuts already reached before this customer is added
    idx = np.searchsorted(cuts - 1e-12, before, side="right")
    idx = np.where(positive > 0, np.minimum(idx, len(names) - 1), len(names) - 1)
    n = m.height
    cls = np.full(n, -1, dtype=np.int64)
    cls[rows] = idx
    rank = np.zeros(n, dtype=np.int64)
    rank[rows] = np.arange(1, len(rows) + 1)
    share = np.full(n, np.nan)
    share[rows] = cum
    ranked = np.zeros(n, dtype=bool)
    ranked[rows] = True
    out = pl.DataFrame({"_c": cls, "_r": rank, "_s": share, "_k": ranked}).select(
        pl.when(pl.col("_k")).then(pl.col("_c")).replace_strict(
            dict(enumerate(names)), default=None, return_dtype=pl.String).alias("abc_class"),
        pl.when(pl.col("_k")).then(pl.col("_r")).alias("revenue_rank"),
        pl.when(pl.col("_k")).then(pl.col("_s")).alias("cum_revenue_share"),
    )
    return m.with_columns(out.get_columns()), cum


def _curve(cum: np.ndarray) -> pl.DataFrame:
    n = len(cum)
    if n == 0:
        raise DataError("pareto_curve: no customer with a purchase as of this date, so there "
                        "is no curve.")
    rev = np.concatenate([[0.0], cum])
    k = np.arange(n + 1)
    return pl.DataFrame({"customers": k, "customer_share": k / n, "revenue_share": rev})


def pareto_curve(metrics: Any, *, value_col: str = "monetary",
                 customer_id_col: str = "customer_id",
                 frequency_col: str | None = "frequency") -> pl.DataFrame:
    """Pareto (Lorenz-style) curve: cumulative customer share vs cumulative revenue share.

    Customers with a purchase, sorted by revenue, largest first; negative net revenue
    counts as 0.  The first row is (0, 0).  Columns: ``customers`` (count so far),
    ``customer_share``, ``revenue_share``.
    """
    m = as_polars(metrics, "metrics", [customer_id_col, value_col])
    return _curve(_cumulative_share(_by_revenue(m, value_col, customer_id_col,
                                                frequency_col)[1]))


def pareto_cut_points(pareto: Any, shares: Sequence[float] = (0.7, 0.2, 0.1)) -> pl.DataFrame:
    """Where the ABC cuts fall on the Pareto curve.

    For each class except the last: the cumulative revenue share of the cut
    (0.7, 0.9) and the share of customers needed to reach it (the first point of the
    curve at or above the cut), e.g. "20% of customers make 70% of revenue".
    Columns: ``abc_class, revenue_share, customer_share, customers``.
    """
    check_shares(shares, "abc shares")
    p = as_polars(pareto, "pareto", ["customers", "customer_share", "revenue_share"])
    rev = p.get_column("revenue_share").to_numpy()
    rows = []
    for name, cut in zip(class_names(len(shares)), np.cumsum(shares)[:-1], strict=False):
        i = int(np.searchsorted(rev, cut - 1e-12, side="left"))
        i = min(i, len(rev) - 1)
        rows.append({"abc_class": name, "revenue_share": round(float(cut), 10),
                     "customer_share": float(p.get_column("customer_share")[i]),
                     "customers": int(p.get_column("customers")[i])})
    return pl.DataFrame(rows)
