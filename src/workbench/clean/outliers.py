"""Outlier flags: unusually large purchases, flagged ``is_outlier`` and never dropped.

What a flagged order counts for is the transaction model's outlier policy
(:mod:`workbench.transactions`: still a purchase everywhere; its amount in money
metrics follows ``transactions.outlier_amounts``).
"""

from __future__ import annotations

import polars as pl

from .. import transactions

__all__ = ["outlier_flags"]


def outlier_flags(orders: pl.DataFrame, method: str = "mad", threshold: float = 5.0,
                  amount_col: str = "amount", status_col: str = "status") -> pl.Series:
    """Flag unusually large purchases: ``log(amount) > median + threshold * 1.4826 * MAD``.

    The median and MAD are taken over the log amounts of the purchases
    (:func:`workbench.transactions.is_purchase`); returns, cancelled orders and
    non-positive amounts are never flagged.  With ``method='none'`` (or a MAD of zero)
    nothing is flagged.
    """
    n = orders.height
    if method == "none" or n == 0:
        return pl.Series("is_outlier", [False] * n, dtype=pl.Boolean)
    # The two columns only, and lazily: an eager select on the whole table would first copy
    # every column of a table split into unequal chunks.
    cols = (pl.DataFrame([orders.get_column(amount_col), orders.get_column(status_col)]).lazy()
            .select(transactions.is_purchase(amount_col, status_col).fill_null(False)
                    .alias("pos"), pl.col(amount_col).log().alias("log"))
            .collect())
    pos, log = cols.get_column("pos"), cols.get_column("log")
    logs = log.filter(pos)  # the log of each amount is taken once
    if logs.len() == 0:
        return pl.Series("is_outlier", [False] * n, dtype=pl.Boolean)
    med = _median(logs)
    mad = 1.4826 * _median((logs - med).abs())
    if mad == 0:
        return pl.Series("is_outlier", [False] * n, dtype=pl.Boolean)
    limit = med + threshold * mad
    return (pos & (log > limit)).fill_null(False).alias("is_outlier")


def _median(s: pl.Series) -> float:
    value = s.median()
    assert isinstance(value, (int, float))  # a numeric, non-empty series
    return float(value)
