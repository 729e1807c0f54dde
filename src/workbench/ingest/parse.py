"""Fast parsers: text columns to dates, date-times, amounts, whole numbers and categories.

Each parser reads the usual values with polars' fast casts (or a lookup of each
distinct text parsed once) and runs the slower, exact rules only on the values
the fast path could not read; :func:`parse_columns` runs the fast parsers of many
columns in one pass over a long table.  Values that fit nothing stay null, for
:func:`workbench.ingest.coerce` to turn into reason codes.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

import polars as pl

from .. import schema
from .engine import collect_rows, select_rows
from .normalize import _NUMBER, VALUE_ALIASES, _normalize_values, parse_amount

__all__ = [
    "DEFAULT_DATETIME_FORMATS",
    "DEFAULT_DATE_FORMATS",
    "parse_amounts",
    "parse_categories",
    "parse_columns",
    "parse_dates",
    "parse_ints",
]

# Year-first formats only: day/month order is never guessed.
DEFAULT_DATE_FORMATS: tuple[str, ...] = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d",
                                         "%Y年%m月%d日")
DEFAULT_DATETIME_FORMATS: tuple[str, ...] = (
    "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%dT%H:%M:%S", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M",
)



def _fill(out: pl.Series, s: pl.Series,
          attempt: Callable[[pl.Series], pl.Series]) -> pl.Series:
    """Parse the values of ``s`` still missing in ``out`` with ``attempt``; fill them in."""
    todo = (out.is_null() & s.is_not_null())
    if not todo.any():
        return out
    idx = todo.arg_true()
    parsed = attempt(s.gather(idx)).cast(out.dtype)
    ok = parsed.is_not_null()
    if ok.any():
        out = out.scatter(idx.filter(ok), parsed.filter(ok))
    return out


def parse_dates(s: pl.Series, formats: Sequence[str], dtype=pl.Date,
                excel_serial: bool = False) -> pl.Series:
    """Parse text dates trying ``formats`` in order (each only on what is still unparsed).

    Midnight time stamps ('2024-03-05 00:00:00') are accepted for dates; date-time
    columns also accept the default date formats (midnight).  With ``excel_serial``,
    numbers are Excel day serials.  The text is normalised first.  Values that fit nothing
    stay null.
    """
    # The same path as coercion: each distinct text parsed once when the texts repeat.
    col = schema.Column("v", pl.Date if dtype == pl.Date else pl.Datetime("us"))
    return parse_columns(pl.DataFrame([s.alias("v")]), [col], formats, formats,
                         excel_serial)["v"].alias(s.name)


def _parse_dates_each(s: pl.Series, formats: Sequence[str], dtype=pl.Date,
                      excel_serial: bool = False) -> pl.Series:
    """:func:`parse_dates` value by value."""
    target = pl.Date if dtype == pl.Date else pl.Datetime("us")
    s = _normalize_values(s)
    out = pl.repeat(None, s.len(), dtype=target, eager=True).alias(s.name)

    def strp(fmt, kind=target):
        return lambda x: x.str.strptime(kind, fmt, strict=False)

    attempts = [strp(f) for f in formats]
    if target == pl.Date:
        midnight = r"[ T]00:00(:00(\.0+)?)?$"
        attempts += [lambda x, f=f: x.str.replace(midnight, "").str.strptime(pl.Date, f, strict=False)
                     for f in formats]
    else:
        attempts += [strp(f, pl.Date) for f in DEFAULT_DATE_FORMATS]
    if excel_serial:
        def serial(x: pl.Series) -> pl.Series:
            # Excel counts days from 1899-12-30 (serial 25569 is 1970-01-01).
            v = x.cast(pl.Float64, strict=False)
            micros = ((v - 25569.0) * 86_400_000_000).round(0).cast(pl.Int64)
            return pl.select(pl.when((pl.lit(v) > 0) & (pl.lit(v) < 2_958_466))
                             .then(pl.from_epoch(pl.lit(micros), time_unit="us"))).to_series()
        attempts.append(serial)
    for attempt in attempts:
        out = _fill(out, s, attempt)
    return out


def parse_amounts(s: pl.Series) -> pl.Series:
    """Eager :func:`parse_amount` (text normalised first), with a fast path for plain numbers.

    polars' number cast reads every plain number; it also reads '1e3', 'inf' and 'nan',
    which :func:`parse_amount` refuses, so the values holding an e or an n go, with the
    ones the cast could not read, through :func:`parse_amount`.
    """
    fast = pl.DataFrame([s.alias("v")]).select(*_amount_fast("v"))
    return _amounts_finish(s, fast.to_series(0), fast.to_series(1))


def _amount_fast(name: str) -> list[pl.Expr]:
    """The fast part of :func:`parse_amounts`: the cast, and the values it may misread."""
    return [pl.col(name).cast(pl.Float64, strict=False).alias(name),
            pl.col(name).str.contains_any(["e", "E", "n", "N"]).fill_null(False)
            .alias(f"_odd_{name}")]


def _amount_usual(name: str) -> pl.Expr:
    """The usual form of an amount that is not a plain number, '¥1,234.50' (a leading '¥',
    thousands separators), by literal steps and one pattern; null for anything else."""
    t = pl.col(name).str.strip_prefix("¥")
    return (pl.when(t.str.contains(f"^{_NUMBER}$"))
            .then(t.str.replace_all(",", "", literal=True).cast(pl.Float64, strict=False))
            .alias(name))


def _amounts_finish(s: pl.Series, value: pl.Series, odd: pl.Series) -> pl.Series:
    """The values the cast could not read (or misread): the usual form ('¥1,234.50'), then,
    normalised, the usual form again and the rest by :func:`parse_amount`.

    When most values need it (an export writing every amount as '¥1,234.50'), the usual
    form is read over the whole column in one pass on every core; what it accepts needs no
    normalising.  Otherwise only the values left are taken out and worked on.
    """
    if odd.any():
        value = value.clone().scatter(odd.arg_true(), None)
    value = value.alias(s.name)
    todo = value.is_null() & s.is_not_null()
    if int(todo.sum()) * 2 > s.len():
        usual = select_rows(pl.DataFrame([s.alias("v")]), [_amount_usual("v")]).to_series()
        value = pl.select(pl.when(pl.lit(todo)).then(pl.lit(usual)).otherwise(pl.lit(value))) \
            .to_series().alias(s.name)

    def rest(x: pl.Series) -> pl.Series:
        x = _normalize_values(x)
        out = pl.DataFrame([x.alias("v")]).select(_amount_usual("v")).to_series()
        return _fill(out, x, lambda y: pl.select(parse_amount(pl.lit(y))).to_series())

    return _fill(value, s, rest)


def parse_ints(s: pl.Series) -> pl.Series:
    """Whole numbers: plain ones by polars' cast (which reads exactly ``[+-]?[0-9]+``),
    then '1,234' and '12.0' on the values the cast could not read."""
    return _ints_finish(s, s.cast(pl.Int64, strict=False))


def _ints_finish(s: pl.Series, value: pl.Series) -> pl.Series:
    def slow(x: pl.Series) -> pl.Series:
        y = _normalize_values(x).str.replace_all(r"^([+-]?\d{1,3}(,\d{3})+)$", "$1") \
            .str.replace_all(",", "")
        ok = y.str.contains(r"^[+-]?\d+(\.0+)?$").fill_null(False)
        return pl.select(pl.when(pl.lit(ok)).then(pl.lit(y).str.replace(r"\.0+$", "")
                                                  .cast(pl.Int64, strict=False))).to_series()
    return _fill(value.alias(s.name), s, slow)


def parse_categories(s: pl.Series, name: str, allowed: tuple[str, ...]) -> pl.Series:
    """Categorical text: allowed values as they are; the others normalised, matched without
    regard to case and translated from their usual Chinese labels (unknown ones are left,
    lower-cased, for the caller to reject); empty -> null."""
    return _categories_finish(s, name, allowed, s.is_in(list(allowed)).fill_null(False))


def _categories_finish(s: pl.Series, name: str, allowed: tuple[str, ...],
                       ok: pl.Series) -> pl.Series:
    if ok.all():
        return s
    if s.len() > 50_000:
        # A long column repeats few labels (an export may write every status in Chinese):
        # translate each distinct text once.
        distinct = s.drop_nulls().unique()
        if distinct.len() * 20 < s.len():
            mapped = _categories_finish(distinct, name, allowed,
                                        distinct.is_in(list(allowed)).fill_null(False))
            changed = ~mapped.eq_missing(distinct)
            return s.replace(distinct.filter(changed), mapped.filter(changed)) \
                if changed.any() else s
    aliases = VALUE_ALIASES.get(name, {})
    table = {**{k.lower(): v for k, v in aliases.items()}, **{a.lower(): a for a in allowed}}
    idx = (~ok).arg_true()
    low = _normalize_values(s.gather(idx)).str.to_lowercase()
    return s.clone().scatter(idx, low.replace_strict(table, default=low, return_dtype=pl.String))


def _is_date(dtype: pl.DataType | type[pl.DataType]) -> bool:
    return dtype == pl.Date or isinstance(dtype, pl.Datetime)


def parse_columns(df: pl.DataFrame, cols: Sequence[schema.Column], date_formats: Sequence[str],
                  datetime_formats: Sequence[str], excel_serial: bool) -> dict[str, pl.Series]:
    """Parse the text columns ``cols`` of ``df`` into their canonical types.

    The same values as :func:`parse_dates`, :func:`parse_amounts`, :func:`parse_ints` and
    :func:`parse_categories` column by column, in fewer passes over a long table: the fast
    parsers of every column (polars' number casts, a lookup of each distinct date text
    parsed once, category membership) run together in one pass over the rows, spread over
    every core; the slower parsers then run only on the values the fast ones could not read.
    """
    n = df.height
    fmts = {c.name: (date_formats if c.dtype == pl.Date else datetime_formats)
            for c in cols if _is_date(c.dtype)}
    lookup: dict[str, tuple[pl.Series, pl.Series]] = {}
    if fmts and n:
        # Exports repeat the same few thousand dates: parse each distinct text once.
        distinct = collect_rows(df.lazy().select(pl.col(c).drop_nulls().unique().implode()
                                                 for c in fmts), n)
        for c in cols:
            if c.name in fmts:
                u = distinct.get_column(c.name)[0]
                if u.len() * 4 < n:
                    lookup[c.name] = (u, _parse_dates_each(u, fmts[c.name], c.dtype,
                                                           excel_serial))
    exprs: list[pl.Expr] = []
    for c in cols:
        if c.name in lookup:
            u, v = lookup[c.name]
            exprs.append(pl.col(c.name).replace_strict(u, v, default=None, return_dtype=v.dtype))
        elif c.dtype == pl.Float64:
            exprs += _amount_fast(c.name)
        elif c.dtype == pl.Int64:
            exprs.append(pl.col(c.name).cast(pl.Int64, strict=False))
        elif c.dtype == pl.String and c.allowed is not None:
            exprs.append(pl.col(c.name).is_in(list(c.allowed)).fill_null(False)
                         .alias(f"_ok_{c.name}"))
    fast = select_rows(df, exprs) if exprs else pl.DataFrame()

    def finish(c: schema.Column) -> pl.Series:
        s = df.get_column(c.name)
        if c.name in lookup:
            return fast.get_column(c.name)
        if c.name in fmts:
            return _parse_dates_each(s, fmts[c.name], c.dtype, excel_serial)
        if c.dtype == pl.Float64:
            return _amounts_finish(s, fast.get_column(c.name), fast.get_column(f"_odd_{c.name}"))
        if c.dtype == pl.Int64:
            return _ints_finish(s, fast.get_column(c.name))
        if c.allowed is not None:
            return _categories_finish(s, c.name, c.allowed, fast.get_column(f"_ok_{c.name}"))
        return s

    # What is left is per column: on every core (polars releases the GIL).
    with ThreadPoolExecutor(max_workers=max(1, min(len(cols), os.cpu_count() or 1))) as pool:
        return {c.name: v.alias(c.name) for c, v in zip(cols, pool.map(finish, cols), strict=True)}

