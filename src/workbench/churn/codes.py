"""Customer ids as whole numbers while the features are computed.

Grouping, sorting and joining millions of rows on text ids costs several times what
it costs on integers, so the features of a cut-off are computed on *codes*: a
customer's code is the position of their id among the distinct ids of the orders,
sorted.  Codes sort like the ids, so a frame sorted by code is sorted by id, and
decoding is a lookup.  Rows of customers without an order never enter the
population (it needs a purchase) and are dropped when a table is coded.
"""

from __future__ import annotations

from typing import overload

import polars as pl

__all__ = ["CustomerCodes"]

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

    @overload
    def encode(self, frame: pl.DataFrame, column: str = ...) -> pl.DataFrame: ...
    @overload
    def encode(self, frame: pl.LazyFrame, column: str = ...) -> pl.LazyFrame: ...

    def encode(self, frame: pl.DataFrame | pl.LazyFrame,
               column: str = "customer_id") -> pl.DataFrame | pl.LazyFrame:
        """``frame`` with ``column`` coded, rows in their order; rows whose customer has no
        order are dropped.  A LazyFrame stays lazy (the ids are joined to their codes, so a
        scan is coded as it is read)."""
        lookup = pl.LazyFrame({"_id": self.ids,
                               "_code": pl.int_range(len(self), dtype=CODE, eager=True)})
        coded = (frame.lazy().with_columns(pl.col(column).cast(pl.String))
                 .join(lookup, left_on=column, right_on="_id", how="inner", maintain_order="left")
                 .with_columns(pl.col("_code").alias(column)).drop("_code"))
        return coded if isinstance(frame, pl.LazyFrame) else coded.collect()

    def decode(self, frame: pl.DataFrame, column: str = "customer_id") -> pl.DataFrame:
        """``frame`` with the codes of ``column`` turned back into the ids."""
        return frame.with_columns(self.ids.gather(frame.get_column(column)).alias(column))
