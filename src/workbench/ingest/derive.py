"""Derived columns (``derive:`` of a source in ``workbench.yaml``), computed on the text table.

A derivation reads the row's other canonical columns as text and writes its column as text,
so coercion then parses and checks it like any other value: a derived amount that cannot be
computed (a quantity or a price that is not a number) becomes ``unparseable_amount`` with the
inputs in its detail (``amount is not an amount: 'x x 2.55'``), a status that is neither a
rule's, nor mapped, nor a known label becomes ``invalid_value``.  The kinds are described in
:class:`workbench.sources.Derived`.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from ..errors import DataError
from ..sources import Derived, StatusRule
from .parse import parse_amounts
from .raw import LINE

__all__ = ["ORDER_FIELDS", "apply_derived", "fill_order_fields"]

#: The fields of a line-level source that belong to the order, not the line: a line that
#: leaves one empty takes its order's (Shopify writes them on an order's first line only).
ORDER_FIELDS = ("customer_id", "order_date", "status", "channel")

_ORDER = {"identifier": 0, "constant": 0, "row_number": 0, "multiply": 1, "category": 2}


def _number(frame: pl.DataFrame, column: str) -> pl.Series:
    return parse_amounts(frame.get_column(column).cast(pl.String))


def _multiply(frame: pl.DataFrame, d: Derived) -> pl.Series:
    factors = [_number(frame, c) for c in d.multiply]
    value = factors[0]
    for f in factors[1:]:
        value = value * f
    if d.minus is not None and d.minus in frame.columns:
        minus = _number(frame, d.minus)
        raw_minus = frame.get_column(d.minus)
        # An empty discount is no discount; a discount that is not a number makes the amount
        # unparseable (shown with its inputs).
        bad_minus = minus.is_null() & raw_minus.is_not_null()
        value = (value - minus.fill_null(0.0)).set(bad_minus, None)
    # To the cent: the line amount is what the export's arithmetic gives, rounded once.
    text = value.round(2).cast(pl.String)
    parts = [frame.get_column(c).cast(pl.String).fill_null("") for c in d.multiply]
    shown_expr = pl.concat_str([pl.lit(p) for p in parts], separator=" x ")
    if d.minus is not None and d.minus in frame.columns:
        m = frame.get_column(d.minus).cast(pl.String)
        shown_expr = pl.when(pl.lit(m).is_not_null()).then(
            pl.concat_str([shown_expr, pl.lit(" - "), pl.lit(m)])).otherwise(shown_expr)
    shown = pl.select(shown_expr).to_series()
    any_given = pl.select(pl.any_horizontal([pl.lit(frame.get_column(c).is_not_null())
                                             for c in d.inputs if c in frame.columns])
                          ).to_series()
    # A row whose inputs are all empty has an empty amount; one with unreadable inputs shows them.
    return (pl.DataFrame([text.alias("v"), shown.alias("s"), any_given.alias("g")])
            .select(pl.when(pl.col("v").is_not_null()).then(pl.col("v"))
                    .when(pl.col("g")).then(pl.col("s")).otherwise(None))
            .to_series().alias(d.column))


def _identifier(frame: pl.DataFrame, d: Derived) -> pl.Series:
    s = frame.get_column(d.source or d.column).cast(pl.String)
    expr = pl.col("v")
    if d.whole_number:
        expr = expr.str.replace(r"^([+-]?\d+)\.0*$", "${1}")
    if d.strip_zeros:
        expr = expr.str.replace(r"^0+(\d)", "${1}")
    return pl.DataFrame([s.alias("v")]).select(expr).to_series().alias(d.column)


def _condition(frame: pl.DataFrame, r: StatusRule) -> pl.Series:
    s = frame.get_column(r.column).cast(pl.String)
    if r.empty is not None:
        return s.is_null() if r.empty else s.is_not_null()
    if r.starts_with is not None:
        return s.str.to_lowercase().str.starts_with(r.starts_with.lower()).fill_null(False)
    if r.equals is not None:
        return (s.str.to_lowercase() == r.equals.strip().lower()).fill_null(False)
    value = _number(frame, r.column)
    out = value < r.below if r.below is not None else value > r.above
    return out.fill_null(False)


def _category(frame: pl.DataFrame, d: Derived) -> pl.Series:
    src = d.source or d.column
    n = frame.height
    base = (frame.get_column(src).cast(pl.String) if src in frame.columns
            else pl.repeat(None, n, dtype=pl.String, eager=True))
    if d.map:
        lookup = {k.strip().lower(): v for k, v in d.map.items()}
        low = base.str.strip_chars().str.to_lowercase()
        mapped = low.replace_strict(lookup, default=None, return_dtype=pl.String)
        base = mapped.fill_null(base) if mapped.null_count() < n else base
    if d.default is not None:
        base = base.fill_null(d.default)
    out = pl.DataFrame([base.alias("v")] + [_condition(frame, r).alias(f"_c{i}")
                                            for i, r in enumerate(d.rules)])
    expr = pl.col("v")
    for i in reversed(range(len(d.rules))):
        expr = pl.when(pl.col(f"_c{i}")).then(pl.lit(d.rules[i].then)).otherwise(expr)
    return out.select(expr).to_series().alias(d.column)


def fill_order_fields(frame: pl.DataFrame, key: str) -> pl.DataFrame:
    """Lines of a line-level source with their order's fields filled in: an empty
    ``customer_id``, ``order_date``, ``status``, ``channel`` or ``customer.*`` attribute takes
    the first non-empty value among the lines of its order (in file order)."""
    if key not in frame.columns:
        return frame
    cols = [c for c in frame.columns if c in ORDER_FIELDS or c.startswith("customer.")]
    if not cols:
        return frame
    has_key = pl.col(key).is_not_null()
    return frame.with_columns(
        pl.when(has_key & pl.col(c).is_null())
        .then(pl.col(c).drop_nulls().first().over(key))
        .otherwise(pl.col(c)).alias(c)
        for c in cols)


def apply_derived(frame: pl.DataFrame, derive: Mapping[str, Derived], where: str) -> pl.DataFrame:
    """``frame`` (a text table from :func:`~workbench.ingest.mapping.text_table`) with its
    derived columns computed: identifiers and constants first, then products, then categories.

    Raises:
        DataError: a column a derivation reads is not in the source (naming both).
    """
    if not derive:
        return frame
    out = frame
    for d in sorted(derive.values(), key=lambda x: _ORDER[x.kind]):
        needed = [c for c in d.inputs if c != d.minus and c not in out.columns]
        if d.kind == "category":
            needed = [r.column for r in d.rules if r.column not in out.columns]
        if needed:
            raise DataError(
                f"{where}: derive.{d.column} reads {', '.join(needed)}, which the source does "
                f"not have (its columns are {', '.join(c for c in out.columns if c[0] != '_')}); "
                f"map a header to it in columns, or change derive.{d.column}."
            )
        if d.kind == "constant":
            value = pl.repeat(d.constant, out.height, dtype=pl.String, eager=True).alias(d.column)
        elif d.kind == "row_number":
            value = out.get_column(LINE).cast(pl.String).alias(d.column)
        elif d.kind == "identifier":
            value = _identifier(out, d)
        elif d.kind == "multiply":
            value = _multiply(out, d)
        else:
            value = _category(out, d)
        out = out.with_columns(value)
    return out
