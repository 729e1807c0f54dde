"""Customer ids as whole numbers while the features are computed.

Grouping, sorting and joining millions of rows on text ids costs several times what
it costs on integers, so the features of a cut-off are computed on *codes*: a
customer's code is the position of their id among the distinct ids of the orders,
sorted.  Codes sort like the ids, so a frame sorted by code is sorted by id, and
decoding is a lookup.  Rows of customers without an order never enter the
population (it needs a purchase) and are dropped when a table is coded.
"""

from __future__ import annotations

from datetime import date

import polars as pl

__all__ = ["CodedLog", "CustomerCodes"]

CODE = pl.UInt32


class CustomerCodes:
    """The codes of the customers of one order log (see the module's docstring).

    Args:
        ids: customer ids (any dtype; compared as text).
    """

    def __init__(self, ids: pl.Series) -> None:
        self.ids = ids.cast(pl.String).unique().drop_nulls().sort().rename("customer_id")

    def __len__(self) -> int:
        return self.ids.len()

    def codes(self, ids: pl.Series) -> pl.Series:
        """The code of each id (null for an id that is not among the orders' customers)."""
        text = ids.cast(pl.String)
        if len(self) == 0:
            return pl.Series("customer_id", [None] * text.len(), dtype=CODE)
        pos = self.ids.search_sorted(text).cast(pl.Int64)
        found = self.ids.gather(pos.clip(upper_bound=len(self) - 1)) == text
        return pl.select(pl.when(pl.lit(found)).then(pl.lit(pos)).otherwise(None).cast(CODE)
                         .alias("customer_id")).to_series()

    def encode(self, frame: pl.DataFrame, column: str = "customer_id") -> pl.DataFrame:
        """``frame`` with ``column`` coded; rows whose customer has no order are dropped."""
        coded = frame.with_columns(self.codes(frame.get_column(column)).alias(column))
        return coded.filter(pl.col(column).is_not_null())

    def decode(self, frame: pl.DataFrame, column: str = "customer_id") -> pl.DataFrame:
        """``frame`` with the codes of ``column`` turned back into the ids."""
        return frame.with_columns(self.ids.gather(frame.get_column(column)).alias(column))


class CodedLog:
    """One transaction log with its customers coded, from which the log known at an earlier
    cut-off is coded without looking ids up again.

    The log at a cut-off (:func:`workbench.transactions.transactions` at that date) holds
    the rows of a later log dated on or before the cut-off, in the same order (only their
    ``value`` may differ, with the ``cap`` policy).  :meth:`code` checks this row for row
    and looks the ids up when it does not hold.
    """

    def __init__(self, log: pl.DataFrame, codes: CustomerCodes) -> None:
        self.codes = codes
        self._day = log.get_column("day")
        self._ids = log.get_column("customer_id")
        self._coded = codes.codes(self._ids)

    def code(self, log: pl.DataFrame, cutoff: date) -> pl.DataFrame:
        """``log`` (the log at ``cutoff``) with its customer ids coded."""
        known = self._day <= cutoff
        ids = log.get_column("customer_id")
        if int(known.sum()) == log.height and self._ids.filter(known).equals(ids, check_names=False):
            coded = self._coded.filter(known)
        else:
            coded = self.codes.codes(ids)
        return log.with_columns(coded.alias("customer_id")).filter(pl.col("customer_id").is_not_null())
