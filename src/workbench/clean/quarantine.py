"""Which rows are quarantined, and their records.

Every step adds to one drop mask per table (rows are not copied rule by rule):
:func:`apply_rules` (row rules, the first matching rule gives the reason),
:func:`duplicate_mask` (``exact_duplicate``, ``duplicate_key``).  :func:`quarantine_rows`
then gives each quarantined row its raw record (the row as read, as JSON) and, for
orders, its signed amount for the ledger; the lines a CSV file could not be split into
fields (``unparseable_line``, :attr:`workbench.ingest.RawTable.unparseable`) are added with
their raw text (``{"line_text": ...}``) and an amount of 0.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from .. import schema
from ..ingest import LINE, SOURCE, RawTable, select_rows
from .ledger import raw_signed_amounts
from .rules import Rule

__all__ = ["Q_SCHEMA", "apply_rules", "duplicate_mask", "quarantine_rows",
           "repeated_values"]

#: The columns of the quarantine.
Q_SCHEMA = pl.Schema({"table": pl.String, "source": pl.String, "line": pl.Int64,
                      "reason": pl.String, "detail": pl.String, "record": pl.String})


def _q(df: pl.DataFrame, reason: str, detail: pl.Expr) -> pl.DataFrame:
    return df.select(pl.col(SOURCE), pl.col(LINE), pl.lit(reason).alias("reason"),
                     detail.cast(pl.String).alias("detail"))


def apply_rules(df: pl.DataFrame, rules: list[Rule], drop: pl.Series,
                out: list[pl.DataFrame]) -> pl.Series:
    """Quarantine the rows not yet dropped that match a rule (the first matching rule gives
    the reason); return ``drop`` with them added.

    Every condition is evaluated once, in one parallel pass over the whole table; which rule
    matched is worked out on the quarantined rows only, and the table is not copied.
    """
    if not rules or df.height == 0:
        return drop
    conds = select_rows(df, [r[0].fill_null(False).alias(f"_r{i}")
                             for i, r in enumerate(rules)])
    bad = conds.select(pl.any_horizontal(pl.all()) & ~pl.lit(drop)).to_series()
    if not bad.any():
        return drop
    which = pl.lit(None, dtype=pl.Int32)
    for i in reversed(range(len(rules))):
        which = pl.when(pl.col(f"_r{i}")).then(pl.lit(i, dtype=pl.Int32)).otherwise(which)
    sub = df.filter(bad).with_columns(conds.filter(bad).select(which.alias("_rule")).to_series())
    reason = pl.lit(None, dtype=pl.String)
    detail = pl.lit(None, dtype=pl.String)
    for i in reversed(range(len(rules))):
        hit = pl.col("_rule") == i
        reason = pl.when(hit).then(pl.lit(rules[i][1])).otherwise(reason)
        detail = pl.when(hit).then(rules[i][2].cast(pl.String)).otherwise(detail)
    out.append(sub.select(pl.col(SOURCE), pl.col(LINE), reason.alias("reason"),
                          detail.alias("detail")))
    return drop | bad


def _first_of(df: pl.DataFrame, dup_mask: pl.Series, on: list[str]) -> pl.DataFrame:
    """The duplicates (``dup_mask``) with the line and source of the first row they repeat."""
    dups = df.filter(dup_mask)
    firsts = (df.filter(~dup_mask)
              .join(dups.select(on).unique(), on=on, how="semi", nulls_equal=True)
              .select(*on, pl.col(LINE).alias("_first_line"), pl.col(SOURCE).alias("_first_src")))
    return dups.join(firsts, on=on, how="left", nulls_equal=True, maintain_order="left")


def _file_name(expr: pl.Expr) -> pl.Expr:
    """The last part of a source label (file name, with its #sheet)."""
    return expr.str.extract(r"([^/\\]+)$")


def repeated_values(s: pl.Series) -> pl.Series:
    """True where the value occurs more than once (exact).  On large columns the values are
    hashed, repeated hashes found by sorting, and only those candidates compared exactly."""
    n = s.len()
    if n < 100_000:
        return s.is_duplicated()
    h = s.hash()
    srt = h.sort()
    same = srt.slice(1) == srt.slice(0, n - 1)
    hot = srt.slice(1).filter(same).unique()
    flags = pl.repeat(False, n, dtype=pl.Boolean, eager=True)
    if hot.len() == 0:
        return flags
    idx = h.is_in(hot.implode()).arg_true()
    exact = s.gather(idx).is_duplicated()
    return flags.scatter(idx.filter(exact), True)


def duplicate_mask(df: pl.DataFrame, table: str, drop: pl.Series,
                    out: list[pl.DataFrame], repeated: pl.Series | None = None) -> pl.Series:
    """Among the rows not yet dropped, quarantine exact duplicate rows, then rows repeating
    an id with other content; return ``drop`` with them added.

    Exact duplicates always repeat the (non-empty) id, so only rows whose id repeats
    are compared column by column.  ``repeated`` is :func:`repeated_values` of the id column, when
    it was worked out already.
    """
    spec = schema.get(table)
    names, key = spec.names, spec.key
    dropped = drop.any()
    if repeated is None:
        repeated = repeated_values(df.get_column(key))
    if dropped:
        repeated = repeated & ~drop
    if not repeated.any():
        return drop
    rows = repeated.arg_true()
    sub = df.gather(rows)
    if dropped:  # an id may repeat only on rows already dropped
        again = sub.get_column(key).is_duplicated()
        if not again.all():
            rows, sub = rows.filter(again), sub.filter(again)
    exact = sub.select(~pl.struct(names).is_first_distinct()).to_series()
    if exact.any():
        dups = _first_of(sub, exact, names)
        out.append(_q(dups, "exact_duplicate",
                      pl.format("same values as line {} of {}", pl.col("_first_line"),
                                _file_name(pl.col("_first_src")))))
    rest = sub.filter(~exact)
    other = ~rest.get_column(key).is_first_distinct()
    if other.any():
        dups = _first_of(rest, other, [key])
        out.append(_q(dups, "duplicate_key",
                      pl.format(f"{key} '{{}}' already on line {{}} of {{}} with different content",
                                pl.col(key), pl.col("_first_line"),
                                _file_name(pl.col("_first_src")))))
    gone = pl.concat([rows.filter(exact), rows.filter(~exact).filter(other)])
    return drop.clone().scatter(gone, True) if gone.len() else drop


def _raw_rows(frame: pl.DataFrame, sources: list[dict[str, Any]],
              qdf: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The raw text rows of the quarantined rows ``qdf`` (``_source``, ``_line``, ...).

    Returns ``qdf`` and the raw rows, row for row in the same order.  The raw frame holds
    each source's rows in order, so a row's position is its source's offset plus its line
    minus the source's first line: the rows are found with one mask filter over the raw
    frame (fast however many chunks it was read in) and checked; a join is used when the
    positions do not match (e.g. a hand-built RawTable).
    """
    if qdf.height == 0:
        return qdf, frame.clear()
    offsets, firsts, start = {}, {}, 0
    lines = frame.get_column(LINE)
    for src in sources:
        if src["rows"]:
            offsets[src["label"]] = start
            firsts[src["label"]] = int(lines[start])
        start += int(src["rows"])
    if start == frame.height and set(qdf.get_column(SOURCE).unique()) <= set(offsets):
        pos = qdf.select(pl.col(SOURCE).replace_strict(offsets, return_dtype=pl.Int64)
                         + pl.col(LINE)
                         - pl.col(SOURCE).replace_strict(firsts, return_dtype=pl.Int64)
                         ).to_series()
        if ((pos >= 0) & (pos < frame.height)).all() and pos.n_unique() == pos.len():
            mask = pl.repeat(False, frame.height, dtype=pl.Boolean, eager=True).scatter(pos, True)
            rows = frame.filter(mask)  # in the order of the positions
            ordered = qdf.gather(pos.arg_sort())
            if (rows.get_column(LINE).equals(ordered.get_column(LINE))
                    and rows.get_column(SOURCE).equals(ordered.get_column(SOURCE))):
                return ordered, rows
    keyed = qdf.with_row_index("_q")
    rows = frame.join(keyed.select(SOURCE, LINE, "_q"), on=[SOURCE, LINE], how="inner").sort("_q")
    return qdf, rows.drop("_q")


def quarantine_rows(table: str, raw: RawTable, found: list[pl.DataFrame]) -> pl.DataFrame:
    """The table's quarantined rows (``found``: ``_source, _line, reason, detail``) with the
    raw row as JSON (``record``) and, for orders, its signed amount (``_amount``), in
    source and line order."""
    names = schema.get(table).names
    qdf = (pl.concat(found) if found else pl.DataFrame(schema={SOURCE: pl.String, LINE: pl.Int64,
                                                               "reason": pl.String,
                                                               "detail": pl.String}))
    qdf, recs = _raw_rows(raw.frame, raw.sources, qdf)
    recs = recs.with_columns(pl.lit(None, dtype=pl.String).alias(c)
                             for c in names if c not in recs.columns)
    extra = [recs.select(pl.struct(names).struct.json_encode().alias("record")).to_series()]
    if table == "orders":
        extra.append(raw_signed_amounts(recs.get_column("amount"), recs.get_column("status")))
    qdf = qdf.hstack(extra)
    if raw.unparseable is not None and raw.unparseable.height:
        # Lines that could not be split into fields: their record is the raw line, their
        # amount unknown (counted 0, as an unparseable amount).
        bad = raw.unparseable.select(SOURCE, LINE, "reason", "detail", "record")
        if table == "orders":
            bad = bad.with_columns(pl.lit(0.0, dtype=pl.Float64).alias("_amount"))
        return pl.concat([qdf, bad.cast(qdf.schema)]).sort([SOURCE, LINE])
    # With one source, rows found by position are already in line order.
    if len(raw.sources) < 2 and qdf.get_column(LINE).is_sorted():
        return qdf
    return qdf.sort([SOURCE, LINE])
