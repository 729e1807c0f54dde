"""ABC classification by cumulative revenue share (ABC分类法) and the Pareto curve."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import polars as pl

from ..errors import DataError
from ..frames import as_polars
from .settings import check_shares

__all__ = ["abc_classify", "class_names", "pareto_curve", "pareto_cut_points"]


def class_names(n: int) -> list[str]:
    """``A``, ``B``, ... for ``n`` classes."""
    return [chr(ord("A") + i) for i in range(n)]


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
    check_shares(shares, "abc shares")
    m = as_polars(metrics, "metrics", [customer_id_col, value_col])
    names = class_names(len(shares))
    cuts = np.cumsum(shares)[:-1]
    purchaser = ((pl.col(frequency_col) > 0) if frequency_col and frequency_col in m.columns
                 else pl.lit(True))
    m = m.with_row_index("_pos")
    ranked = (m.filter(purchaser)
              .sort([value_col, customer_id_col], descending=[True, False], nulls_last=True)
              .with_row_index("revenue_rank", offset=1))
    positive = (ranked.get_column(value_col).fill_null(0).clip(lower_bound=0)
                .to_numpy().astype(float))
    total = positive.sum()
    cum = np.cumsum(positive) / total if total > 0 else np.zeros_like(positive)
    before = np.concatenate([[0.0], cum[:-1]])
    # class index = number of cuts already reached before this customer is added
    idx = np.searchsorted(cuts - 1e-12, before, side="right")
    labels = np.array(names, dtype=object)[np.minimum(idx, len(names) - 1)]
    labels = np.where(positive > 0, labels, names[-1])
    ranked = ranked.with_columns(
        pl.Series("abc_class", labels.tolist(), dtype=pl.String),
        pl.Series("cum_revenue_share", cum),
        pl.col("revenue_rank").cast(pl.Int64),
    ).select("_pos", "abc_class", "revenue_rank", "cum_revenue_share")
    return m.join(ranked, on="_pos", how="left").sort("_pos").drop("_pos")


def pareto_curve(metrics: Any, *, value_col: str = "monetary",
                 customer_id_col: str = "customer_id",
                 frequency_col: str | None = "frequency") -> pl.DataFrame:
    """Pareto (Lorenz-style) curve: cumulative customer share vs cumulative revenue share.

    Customers with a purchase, sorted by revenue, largest first; negative net revenue
    counts as 0.  The first row is (0, 0).  Columns: ``customers`` (count so far),
    ``customer_share``, ``revenue_share``.
    """
    m = as_polars(metrics, "metrics", [customer_id_col, value_col])
    if frequency_col and frequency_col in m.columns:
        m = m.filter(pl.col(frequency_col) > 0)
    v = (m.sort([value_col, customer_id_col], descending=[True, False], nulls_last=True)
         .get_column(value_col).fill_null(0).clip(lower_bound=0).to_numpy().astype(float))
    n = len(v)
    if n == 0:
        raise DataError("pareto_curve: no customer with a purchase as of this date, so there "
                        "is no curve.")
    total = v.sum()
    rev = np.concatenate([[0.0], np.cumsum(v) / total if total > 0 else np.zeros(n)])
    k = np.arange(n + 1)
    return pl.DataFrame({"customers": k, "customer_share": k / n, "revenue_share": rev})


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
