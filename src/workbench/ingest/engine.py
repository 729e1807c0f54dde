"""Where row-by-row work runs: eagerly on a short table, on polars' streaming engine on a long one."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

__all__ = ["STREAM_ROWS", "collect_rows", "select_rows"]

# From this many rows on, row-by-row expressions run on polars' streaming engine, which
# splits the rows into morsels over every core (an eager select gives each expression one).
STREAM_ROWS = 200_000


def collect_rows(query: pl.LazyFrame, rows: int) -> pl.DataFrame:
    """Collect ``query`` over a table of ``rows`` rows: on the streaming engine when long."""
    return query.collect(engine="streaming") if rows >= STREAM_ROWS else query.collect()


def select_rows(df: pl.DataFrame, exprs: Sequence[pl.Expr]) -> pl.DataFrame:
    """``df.select(exprs)`` for expressions that work row by row (the row order is kept),
    spread over every core when the table is long."""
    if df.height < STREAM_ROWS:
        return df.select(exprs)
    return df.lazy().select(exprs).collect(engine="streaming")

