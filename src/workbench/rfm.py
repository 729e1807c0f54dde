"""RFM summaries of a transaction log, with exactly the definitions of ``lifetimes``.

:func:`summary` turns a transaction log (one row per purchase) into one row per
customer with ``frequency``, ``recency``, ``T`` and ``monetary_value`` as
``lifetimes.utils.summary_data_from_transaction_data`` defines them;
:func:`calibration_holdout` splits the log at a date into a calibration summary
and holdout counts as ``lifetimes.utils.calibration_and_holdout_data`` does
(which itself no longer runs on pandas 3).  Both are written in polars: a
``pl.scan_parquet(...)`` larger than memory is read on the streaming engine in
partitions of customers, so memory stays bounded; pandas or polars input is
accepted and the same kind is returned.  On millions of rows they run about ten
times faster than lifetimes (``benchmarks/bench_rfm.py``).

Definitions (see ``docs/rfm.md`` for a worked example), with ``freq`` the
period length (``"D"`` days, ``"W"`` weeks Monday-Sunday, ``"M"`` calendar
months, ``"h"`` hours):

- every purchase is mapped to the period that contains it; purchases of one
  customer in the same period count as **one** purchase whose amount is their sum;
- ``frequency``: number of periods with a purchase, minus one (the first);
- ``recency``: periods between the first and the last purchase period;
- ``T``: periods between the first purchase period and the period of the
  observation end;
- ``monetary_value``: mean of the period sums of the repeat periods (the first
  period is left out), 0 when ``frequency`` is 0;
- ``recency`` and ``T`` are divided by ``freq_multiplier`` (``freq="D",
  freq_multiplier=7``: daily periods counted in weeks).  For ``freq="M"`` they
  are measured as lifetimes measured them: the time between the first days of
  the months divided by numpy's mean month (30.436875 days).

Transactions in periods after the observation end are left out (a customer
whose first purchase comes later does not appear).  Timezone-aware timestamps
are taken at their local wall time, as pandas' ``to_period`` does.

This module does not decide what a purchase is: every row it is given is one.
What a purchase, a return or an order's money is belongs to the transaction model
(:mod:`workbench.transactions`); the rooms pass ``transactions.purchases(log)``
(columns ``customer_id, day, value``), so that with ``freq="D"`` a customer's
``frequency`` is the segmentation's purchase days minus one.  Like lifetimes, the
functions take the column names as arguments.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, overload

import numpy as np
import pandas as pd
import polars as pl

from . import i18n
from .errors import DataError, UsageError
from .frames import ROWS_PER_PART, customer_partitions

__all__ = ["FREQS", "calibration_holdout", "calibration_holdout_from_periods", "period_start",
           "summary", "summary_from_periods"]

# freq -> (polars truncation every, seconds per period used for recency and T)
# "M": numpy's np.timedelta64(1, "M") is 2,629,746 s (365.2425 / 12 days); lifetimes divides
# the time between month starts by it.
FREQS: dict[str, tuple[str, int]] = {
    "D": ("1d", 86_400),
    "W": ("1w", 604_800),
    "M": ("1mo", 2_629_746),
    "h": ("1h", 3_600),
}

_ID, _DT, _M, _P = "__id", "__dt", "__m", "__p"

# Amounts are summed as integers in units of 2**-64 (Int128), so that sums do not depend on
# the order in which polars' threads add them up: the results are the same on every run,
# and the sum of the repeat periods is taken exactly.  Amounts are exact in these units
# down to 2**-12 (smaller ones are cut at 5e-20); sums stay exact up to 2**62 (4.6e18).
_SCALE = 2.0**64
_MAX_TOTAL = 2.0**62


# A lazy input (e.g. a Parquet scan larger than memory) is summarised in this many rows
# per pass at most: customers are split into partitions by a hash of their id, and the
# source is read once per partition, so the group-by state stays small (the house's size
# of a partition, frames.ROWS_PER_PART; the partitions are frames.customer_partitions).
_ROWS_PER_PARTITION = ROWS_PER_PART
# ... and in memory, the group-bys run on pieces of about this many rows (see _collect).
_ROWS_PER_PIECE = 100_000


def _fixed(expr: pl.Expr) -> pl.Expr:
    """An amount column as an exact Int128 count of 2**-64 units."""
    return (expr * _SCALE).cast(pl.Int128)


def _unfixed(expr: pl.Expr) -> pl.Expr:
    """An Int128 sum of 2**-64 units back to a float (one rounding)."""
    return expr.cast(pl.Float64) * (1.0 / _SCALE)

i18n.register({
    "frequency": {"zh": "重复购买次数", "en": "Repeat purchases"},
    "recency": {"zh": "首末购买间隔", "en": "Recency (first to last purchase)"},
    "T": {"zh": "客户年龄", "en": "Customer age (T)"},
    "monetary_value": {"zh": "平均重复消费金额", "en": "Average repeat spend"},
    "frequency_cal": {"zh": "重复购买次数(校准期)", "en": "Repeat purchases (calibration)"},
    "recency_cal": {"zh": "首末购买间隔(校准期)", "en": "Recency (calibration)"},
    "T_cal": {"zh": "客户年龄(校准期)", "en": "Customer age (calibration)"},
    "monetary_value_cal": {"zh": "平均重复消费金额(校准期)", "en": "Average repeat spend (calibration)"},
    "frequency_holdout": {"zh": "购买次数(验证期)", "en": "Purchases (holdout)"},
    "monetary_value_holdout": {"zh": "平均消费金额(验证期)", "en": "Average spend (holdout)"},
    "duration_holdout": {"zh": "验证期长度", "en": "Holdout length"},
})


# --------------------------------------------------------------------------- helpers


def _check_freq(freq: str, freq_multiplier: float) -> tuple[str, int]:
    if freq not in FREQS:
        raise UsageError(
            f"freq={freq!r} is not supported; use one of {sorted(FREQS)} "
            "('D' days, 'W' weeks ending Sunday, 'M' calendar months, 'h' hours)."
        )
    if isinstance(freq_multiplier, bool) or not isinstance(freq_multiplier, (int, float)) \
            or not freq_multiplier > 0:
        raise UsageError(f"freq_multiplier must be a positive number, got {freq_multiplier!r}.")
    return FREQS[freq]


def _to_timestamp(value: Any, what: str, datetime_format: str | None) -> pd.Timestamp:
    """A date given as an argument (str, date, datetime, Timestamp, Period) as a naive Timestamp."""
    if isinstance(value, pd.Period):
        return value.to_timestamp()
    try:
        ts = pd.to_datetime(value, format=datetime_format)
    except (ValueError, TypeError) as exc:
        raise UsageError(
            f"{what}={value!r} is not a date; give 'YYYY-MM-DD' or a date/datetime "
            f"(or set datetime_format). ({exc})"
        ) from None
    if not isinstance(ts, pd.Timestamp) or pd.isna(ts):
        raise UsageError(f"{what}={value!r} is not a single date.")
    if ts.tzinfo is not None:
        ts = ts.tz_localize(None)
    return ts


def period_start(value: Any, freq: str = "D", datetime_format: str | None = None) -> _dt.datetime:
    """The first instant of the period (``freq``) that contains ``value``.

    This is pandas' ``Timestamp(value).to_period(freq).to_timestamp()``, which
    lifetimes applies to the observation end: ``period_start("1997-09-30", "W")``
    is Monday 1997-09-29, ``period_start("1997-09-30", "M")`` is 1997-09-01.
    """
    _check_freq(freq, 1)
    ts = _to_timestamp(value, "date", datetime_format)
    return ts.to_period(freq).to_timestamp().to_pydatetime()


@dataclass
class _Input:
    """A transaction log brought to polars: lazy frame with ``__id, __dt[, __m]``."""

    lf: pl.LazyFrame
    kind: str  # "pandas" | "polars" | "lazy"
    id_col: str
    id_dtype: Any  # pandas dtype of the id column (pandas input only)
    has_m: bool
    raw: pl.LazyFrame  # the selected columns as given (for error messages)
    datetime_col: str
    dt_expr: pl.Expr  # the caller's date column -> naive Datetime (null where unparseable)


def _prepare(transactions: Any, customer_id_col: str, datetime_col: str,
             monetary_value_col: str | None, datetime_format: str | None) -> _Input:
    """Select and normalise the columns; raise on missing columns or unusable types."""
    cols = [customer_id_col, datetime_col] + ([monetary_value_col] if monetary_value_col else [])
    if len(set(cols)) != len(cols):
        raise UsageError(f"customer_id_col, datetime_col and monetary_value_col must differ: {cols}.")
    id_dtype = None
    if isinstance(transactions, pd.DataFrame):
        kind = "pandas"
        present = [str(c) for c in transactions.columns]
    elif isinstance(transactions, pl.DataFrame):
        kind = "polars"
        present = transactions.columns
    elif isinstance(transactions, pl.LazyFrame):
        kind = "lazy"
        present = transactions.collect_schema().names()
    else:
        raise UsageError(
            "transactions must be a pandas DataFrame or a polars DataFrame/LazyFrame, "
            f"got {type(transactions).__name__}."
        )
    missing = [c for c in cols if c not in present]
    if missing:
        raise DataError(
            f"transactions: column(s) {missing} missing; the columns are {present}. "
            "Pass the right customer_id_col / datetime_col / monetary_value_col."
        )
    if kind == "pandas":
        pdf = transactions[cols]
        id_dtype = pdf[customer_id_col].dtype
        if pdf[datetime_col].dtype == object and pd.api.types.infer_dtype(
                pdf[datetime_col], skipna=True) not in ("date", "datetime", "datetime64"):
            # mixed python objects: let polars see them as text, parsed below like strings
            pdf = pdf.assign(**{datetime_col: pdf[datetime_col].astype("string")})
        try:
            lf = pl.from_pandas(pdf).lazy()
        except Exception as exc:  # noqa: BLE001 - pyarrow/polars raise many types
            raise DataError(f"transactions: cannot read columns {cols}: {exc}") from None
    elif kind == "polars":
        lf = transactions.select(cols).lazy()
    else:
        lf = transactions.select(cols)

    schema = lf.collect_schema()
    dt_type = schema[datetime_col]
    dt = pl.col(datetime_col)
    if isinstance(dt_type, pl.Datetime):
        if dt_type.time_zone is not None:
            dt = dt.dt.replace_time_zone(None)
    elif dt_type == pl.Date:
        dt = dt.cast(pl.Datetime("us"))
    elif dt_type in (pl.String, pl.Categorical) or isinstance(dt_type, pl.Enum):
        dt = dt.cast(pl.String).str.to_datetime(format=datetime_format, time_unit="us",
                                                strict=False)
    else:
        raise DataError(
            f"transactions: column '{datetime_col}' has type {dt_type}, not dates; "
            "convert it to dates or pass text dates with datetime_format."
        )
    exprs = [pl.col(customer_id_col).alias(_ID), dt.alias(_DT)]
    if monetary_value_col:
        m_type = schema[monetary_value_col]
        if not m_type.is_numeric():
            raise DataError(
                f"transactions: column '{monetary_value_col}' has type {m_type}, not numbers; "
                "convert the amounts to numbers first (workbench clean does)."
            )
        exprs.append(pl.col(monetary_value_col).cast(pl.Float64).alias(_M))
    return _Input(lf.select(exprs), kind, customer_id_col, id_dtype, bool(monetary_value_col),
                  lf, datetime_col, dt)


def _profile(inp: _Input, datetime_col: str, customer_id_col: str,
             monetary_value_col: str | None, datetime_format: str | None) -> dict[str, Any]:
    """One pass: rows, missing values and date range; raises DataError on missing values."""
    exprs = [
        pl.len().alias("rows"),
        pl.col(_ID).null_count().alias("id_null"),
        pl.col(_DT).null_count().alias("dt_null"),
        pl.col(_DT).min().alias("dt_min"),
        pl.col(_DT).max().alias("dt_max"),
    ]
    if inp.has_m:
        exprs += [(pl.col(_M).is_null() | pl.col(_M).is_nan()).sum().alias("m_null"),
                  pl.col(_M).abs().sum().alias("m_abs")]
    prof = inp.lf.select(exprs).collect(engine="streaming").row(0, named=True)
    if prof["id_null"]:
        _raise_row(inp, pl.col(_ID).is_null(),
                   f"{prof['id_null']} transaction(s) have no customer id in column "
                   f"'{customer_id_col}'", "fill in or remove those rows (workbench clean "
                   "quarantines them)")
    if prof["dt_null"]:
        _raise_bad_dates(inp, datetime_col, datetime_format)
    if prof.get("m_null"):
        _raise_row(inp, pl.col(_M).is_null() | pl.col(_M).is_nan(),
                   f"{prof['m_null']} transaction(s) have no amount in column "
                   f"'{monetary_value_col}'", "fill in or remove those rows")
    if inp.has_m and prof["m_abs"] >= _MAX_TOTAL:
        raise DataError(
            f"transactions: the amounts in column '{monetary_value_col}' add up to "
            f"{prof['m_abs']:.3g}, too large to sum exactly; express them in a larger unit "
            "(e.g. thousands)."
        )
    if prof["rows"] == 0:
        raise DataError("transactions: the transaction log is empty; there is nothing to summarise.")
    return prof


def _first_bad_row(lf: pl.LazyFrame, condition: pl.Expr, *cols: str) -> dict[str, Any]:
    bad = (lf.with_row_index("__row").filter(condition).select("__row", *cols)
           .head(1).collect())
    return bad.row(0, named=True) if bad.height else {}


def _raise_row(inp: _Input, condition: pl.Expr, what: str, todo: str) -> None:
    row = _first_bad_row(inp.lf, condition, _ID, _DT)
    where = f" (first at row {row['__row']}, counting from 0)" if row else ""
    raise DataError(f"transactions: {what}{where}; {todo}.")


def _raise_bad_dates(inp: _Input, datetime_col: str, datetime_format: str | None) -> None:
    """Count empty and unparseable dates separately, naming the first row of each."""
    rows = (inp.raw.select(pl.col(datetime_col).is_null().alias("empty"),
                           inp.dt_expr.is_null().alias("bad"), pl.col(datetime_col).alias("raw"))
            .with_row_index("__row")
            .filter(pl.col("bad"))
            .collect())
    empty, text = rows.filter(pl.col("empty")), rows.filter(~pl.col("empty"))
    problems = []
    if text.height:
        fmt = f" with format {datetime_format!r}" if datetime_format else ""
        problems.append(
            f"{text.height} value(s) that are not dates{fmt}, first {text['raw'][0]!r} at row "
            f"{text['__row'][0]} (counting from 0): fix them or pass datetime_format "
            "(e.g. '%Y/%m/%d')")
    if empty.height:
        problems.append(
            f"{empty.height} empty value(s), first at row {empty['__row'][0]} "
            "(counting from 0): fill in or remove those rows (workbench clean quarantines them)")
    raise DataError(f"transactions: column '{datetime_col}' has " + "; ".join(problems) + ".")


def _period_expr(every: str) -> pl.Expr:
    return pl.col(_DT).dt.truncate(every).alias(_P)


def _summary_query(lf: pl.LazyFrame, every: str, obs_start: _dt.datetime,
                   has_m: bool) -> pl.LazyFrame:
    """Per customer, over the rows whose period is on or before ``obs_start``: the periods
    with a purchase (``__n``), whole seconds from the first period to the last (``__rec``)
    and to ``obs_start`` (``__age``) and the amount outside the first period (``__mrest``).

    Two plain group-bys (customer and period, then customer) instead of one with
    ``n_unique`` and a filter inside the aggregation: polars runs plain aggregations on
    its fast path, which makes this several times quicker.
    """
    p = pl.col(_P)
    obs = pl.lit(obs_start, dtype=pl.Datetime("us"))
    periods = (lf.with_columns(_period_expr(every))
               .filter(p <= obs)
               .group_by(_ID, _P)
               .agg(_fixed(pl.col(_M)).sum().alias("__s") if has_m
                    else pl.len().alias("__rows")))
    aggs = [p.min().alias("__first"), p.max().alias("__last"), pl.len().alias("__n")]
    if has_m:
        s = pl.col("__s")
        aggs.append((s.sum() - s.min_by(p)).alias("__rest"))
    return (periods.group_by(_ID).agg(aggs)
            .select(pl.col(_ID), pl.col("__n"),
                    (pl.col("__last") - pl.col("__first")).dt.total_seconds().alias("__rec"),
                    (obs - pl.col("__first")).dt.total_seconds().alias("__age"),
                    *([_unfixed(pl.col("__rest")).alias("__mrest")] if has_m else [])))


def _summary_columns(agg: pl.DataFrame, seconds: int, freq_multiplier: float, has_m: bool,
                     suffix: str = "") -> pl.DataFrame:
    """frequency, recency, T [, monetary_value] from :func:`_summary_query`'s result.

    The divisions are done by numpy, as in lifetimes, so that the floats are the same
    bit for bit (polars divides by a constant through its reciprocal, one ulp away).
    """
    n = agg["__n"].to_numpy().astype(np.float64)
    cols = {
        _ID: agg[_ID],
        "frequency" + suffix: n - 1.0,
        "recency" + suffix: agg["__rec"].to_numpy().astype(np.float64) / seconds
        / freq_multiplier,
        "T" + suffix: agg["__age"].to_numpy().astype(np.float64) / seconds / freq_multiplier,
    }
    if has_m:
        rest = agg["__mrest"].to_numpy()
        with np.errstate(invalid="ignore", divide="ignore"):
            cols["monetary_value" + suffix] = np.where(n > 1, rest / (n - 1.0), 0.0)
    return pl.DataFrame(cols)


def _collect(inp: _Input, rows: int,
             queries: Callable[[pl.LazyFrame], list[pl.LazyFrame]]) -> list[pl.DataFrame]:
    """Run per-customer ``queries`` and stack their results.

    A lazy input of more than ``_ROWS_PER_PARTITION`` rows is read in hash partitions
    of the customers, one after the other, on the streaming engine (each customer
    falls in exactly one partition, so the parts just stack and memory stays bounded).
    Each part in memory is then cut the same way into pieces of about
    ``_ROWS_PER_PIECE`` rows whose group-by tables fit in the processor's cache: on
    millions of rows this is several times quicker than one big group-by.
    """
    parts = (customer_partitions(rows, id_col=_ID, rows_per_part=_ROWS_PER_PARTITION)
             if inp.kind == "lazy" else [None])
    done = [_in_pieces((inp.lf if f is None else inp.lf.filter(f)).collect(engine="streaming"),
                       queries) for f in parts]
    return [pl.concat([d[i] for d in done]) for i in range(len(done[0]))]


def _in_pieces(data: pl.DataFrame,
               queries: Callable[[pl.LazyFrame], list[pl.LazyFrame]]) -> list[pl.DataFrame]:
    """Run ``queries`` on pieces of ``data`` split by a hash of the customer id."""
    k = max(1, math.ceil(data.height / _ROWS_PER_PIECE))
    pieces = [data] if k == 1 else data.with_columns(
        (pl.col(_ID).hash(seed=1) % k).alias("__piece")
    ).partition_by("__piece", include_key=False)
    done = [pl.collect_all(queries(piece.lazy()), engine="in-memory") for piece in pieces]
    return [pl.concat([d[i] for d in done]) for i in range(len(done[0]))]


def _finish(res: pl.DataFrame, inp: _Input) -> Any:
    """Sort by customer and give the caller the kind of frame they passed."""
    res = res.sort(_ID, multithreaded=False)  # quicker on a busy machine, same order
    if inp.kind != "pandas":
        return res.rename({_ID: inp.id_col})
    pdf = res.to_pandas()
    index = pd.Index(pdf.pop(_ID), name=inp.id_col)
    try:
        index = index.astype(inp.id_dtype)
    except (TypeError, ValueError):  # pragma: no cover - keep polars' conversion
        pass
    pdf.index = index
    pdf.columns.name = None
    return pdf


def _load(transactions: Any, customer_id_col: str, datetime_col: str,
          monetary_value_col: str | None,
          datetime_format: str | None) -> tuple[_Input, dict[str, Any]]:
    inp = _prepare(transactions, customer_id_col, datetime_col, monetary_value_col,
                   datetime_format)
    if inp.kind != "lazy":  # in memory already: convert the columns (parse dates) once
        inp.lf = inp.lf.collect().lazy()
    prof = _profile(inp, datetime_col, customer_id_col, monetary_value_col, datetime_format)
    return inp, prof


# --------------------------------------------------------------------------- public API


@overload
def summary(transactions: pl.DataFrame | pl.LazyFrame, customer_id_col: str, datetime_col: str,
            monetary_value_col: str | None = ..., observation_period_end: Any = ...,
            freq: str = ..., freq_multiplier: float = ..., *,
            datetime_format: str | None = ...) -> pl.DataFrame: ...
@overload
def summary(transactions: pd.DataFrame, customer_id_col: str, datetime_col: str,
            monetary_value_col: str | None = ..., observation_period_end: Any = ...,
            freq: str = ..., freq_multiplier: float = ..., *,
            datetime_format: str | None = ...) -> pd.DataFrame: ...


def summary(
    transactions: pd.DataFrame | pl.DataFrame | pl.LazyFrame,
    customer_id_col: str,
    datetime_col: str,
    monetary_value_col: str | None = None,
    observation_period_end: Any = None,
    freq: str = "D",
    freq_multiplier: float = 1,
    *,
    datetime_format: str | None = None,
) -> pd.DataFrame | pl.DataFrame:
    """Frequency, recency, T and monetary value per customer (lifetimes' definitions).

    The same numbers as ``lifetimes.utils.summary_data_from_transaction_data``
    (with ``include_first_transaction=False``), computed with polars; a
    LazyFrame is read on the streaming engine, in partitions of customers when
    it has more than 10 million rows.

    Args:
        transactions: one row per purchase; a pandas DataFrame, a polars
            DataFrame or a polars LazyFrame (e.g. ``pl.scan_parquet(...)``).
        customer_id_col: column with the customer id (no missing values).
        datetime_col: column with the purchase date or timestamp (date,
            datetime, or text parsed with ``datetime_format``).
        monetary_value_col: column with the purchase amount; when given, the
            result has ``monetary_value``.
        observation_period_end: end of the study (str, date, datetime,
            Timestamp or Period).  Periods after the one containing it are left
            out.  Default: the latest purchase date.
        freq: period length: ``"D"``, ``"W"`` (Monday-Sunday), ``"M"`` or ``"h"``.
        freq_multiplier: recency and T are divided by it (``freq="D"`` with
            ``7``: daily periods counted in weeks).
        datetime_format: strptime format of text dates and of a text
            ``observation_period_end`` (default: inferred).

    Returns:
        pandas input: a DataFrame indexed by customer id (sorted), columns
        ``frequency, recency, T[, monetary_value]`` (float), as lifetimes
        returns it.  polars input (eager or lazy): a polars DataFrame with the
        id column first, sorted by it.

    Raises:
        DataError: a column is missing or has the wrong type; a customer id,
            date or amount is missing; a date cannot be parsed (the message
            names the column and the first row); the observation end comes
            before every purchase.
        UsageError: unsupported ``freq``, non-positive ``freq_multiplier``,
            or an ``observation_period_end`` that is not a date.

    Example:
        >>> import polars as pl, datetime as dt
        >>> log = pl.DataFrame({"id": ["a", "a", "a", "b"],
        ...     "day": [dt.date(2024, 1, 1), dt.date(2024, 1, 1), dt.date(2024, 1, 5),
        ...             dt.date(2024, 1, 3)], "amount": [10.0, 5.0, 20.0, 7.0]})
        >>> summary(log, "id", "day", "amount").rows()
        [('a', 1.0, 4.0, 4.0, 20.0), ('b', 0.0, 0.0, 2.0, 0.0)]
    """
    every, seconds = _check_freq(freq, freq_multiplier)
    inp, prof = _load(transactions, customer_id_col, datetime_col, monetary_value_col,
                      datetime_format)
    if observation_period_end is None:
        obs_start = period_start(prof["dt_max"], freq)
    else:
        obs_start = period_start(
            _to_timestamp(observation_period_end, "observation_period_end", datetime_format),
            freq)
        first = period_start(prof["dt_min"], freq)
        if obs_start < first:
            raise DataError(
                f"observation_period_end={observation_period_end!r} comes before the first "
                f"purchase ({prof['dt_min']:%Y-%m-%d}); choose a later end date."
            )
    (agg,) = _collect(inp, prof["rows"],
                      lambda lf: [_summary_query(lf, every, obs_start, inp.has_m)])
    return _finish(_summary_columns(agg, seconds, freq_multiplier, inp.has_m), inp)


@overload
def calibration_holdout(transactions: pl.DataFrame | pl.LazyFrame, customer_id_col: str,
                        datetime_col: str, calibration_period_end: Any,
                        observation_period_end: Any = ..., freq: str = ...,
                        freq_multiplier: float = ..., monetary_value_col: str | None = ..., *,
                        datetime_format: str | None = ...) -> pl.DataFrame: ...
@overload
def calibration_holdout(transactions: pd.DataFrame, customer_id_col: str, datetime_col: str,
                        calibration_period_end: Any, observation_period_end: Any = ...,
                        freq: str = ..., freq_multiplier: float = ...,
                        monetary_value_col: str | None = ..., *,
                        datetime_format: str | None = ...) -> pd.DataFrame: ...


def calibration_holdout(
    transactions: pd.DataFrame | pl.DataFrame | pl.LazyFrame,
    customer_id_col: str,
    datetime_col: str,
    calibration_period_end: Any,
    observation_period_end: Any = None,
    freq: str = "D",
    freq_multiplier: float = 1,
    monetary_value_col: str | None = None,
    *,
    datetime_format: str | None = None,
) -> pd.DataFrame | pl.DataFrame:
    """RFM summary of a calibration period and purchase counts in the holdout period after it.

    The definitions and columns of ``lifetimes.utils.calibration_and_holdout_data``
    (``include_first_transaction=False``):

    - calibration: the purchases dated on or before ``calibration_period_end``
      summarised by :func:`summary` with that date as observation end, giving
      ``frequency_cal, recency_cal, T_cal[, monetary_value_cal]``;
    - holdout: purchases dated after ``calibration_period_end`` and on or
      before ``observation_period_end`` (compared as timestamps);
      ``frequency_holdout`` counts the distinct periods with a purchase (all of
      them, none is left out as "first") and ``monetary_value_holdout`` is the
      mean amount per holdout *transaction* (not per period, as lifetimes has it);
      both 0 for a customer without holdout purchases;
    - ``duration_holdout``: periods from the calibration end's period to the
      observation end's period (calendar months for ``"M"``), divided by
      ``freq_multiplier``.

    Only customers with a purchase in the calibration period appear.

    Args:
        transactions: one row per purchase (pandas DataFrame, polars DataFrame or LazyFrame).
        customer_id_col: column with the customer id.
        datetime_col: column with the purchase date or timestamp.
        calibration_period_end: last date of the calibration period (inclusive).
        observation_period_end: last date of the holdout period (inclusive);
            default: the latest purchase date.
        freq: period length, as in :func:`summary`.
        freq_multiplier: divisor of recency, T and duration_holdout.
        monetary_value_col: column with the purchase amount (adds the
            ``monetary_value_*`` columns).
        datetime_format: strptime format of text dates.

    Returns:
        The same kind of frame as :func:`summary` returns, with columns
        ``frequency_cal, recency_cal, T_cal[, monetary_value_cal],
        frequency_holdout[, monetary_value_holdout], duration_holdout`` (float).

    Raises:
        UsageError: ``calibration_period_end`` after ``observation_period_end``,
            unsupported ``freq`` or a date argument that is not a date.
        DataError: as :func:`summary`; no purchase on or before the calibration
            end; no purchase in the holdout period.
    """
    every, seconds = _check_freq(freq, freq_multiplier)
    cal_end = _to_timestamp(calibration_period_end, "calibration_period_end", datetime_format)
    inp, prof = _load(transactions, customer_id_col, datetime_col, monetary_value_col,
                      datetime_format)
    if observation_period_end is None:
        obs_end = pd.Timestamp(prof["dt_max"])
    else:
        obs_end = _to_timestamp(observation_period_end, "observation_period_end", datetime_format)
    duration = _holdout_duration(cal_end, obs_end, freq, freq_multiplier)
    if pd.Timestamp(prof["dt_min"]) > cal_end:
        raise DataError(
            f"no purchase on or before calibration_period_end ({cal_end:%Y-%m-%d}); the first "
            f"purchase is on {prof['dt_min']:%Y-%m-%d}. Choose a later calibration end."
        )
    cal_ts = pl.lit(cal_end.to_pydatetime(), dtype=pl.Datetime("us"))
    obs_ts = pl.lit(obs_end.to_pydatetime(), dtype=pl.Datetime("us"))
    cal_start = period_start(cal_end, freq)
    period_aggs = [pl.len().alias("__rows")]
    hold_aggs = [pl.len().cast(pl.Float64).alias("frequency_holdout")]
    if inp.has_m:
        period_aggs.append(_fixed(pl.col(_M)).sum().alias("__s"))
        hold_aggs += [_unfixed(pl.col("__s").sum()).alias("__sum"),
                      pl.col("__rows").sum().alias("__rows")]

    def queries(lf: pl.LazyFrame) -> list[pl.LazyFrame]:
        cal_q = _summary_query(lf.filter(pl.col(_DT) <= cal_ts), every, cal_start, inp.has_m)
        hold_q = (lf.filter((pl.col(_DT) > cal_ts) & (pl.col(_DT) <= obs_ts))
                  .with_columns(_period_expr(every))
                  .group_by(_ID, _P).agg(period_aggs)
                  .group_by(_ID).agg(hold_aggs))
        return [cal_q, hold_q]

    cal_agg, hold = _collect(inp, prof["rows"], queries)
    cal = _summary_columns(cal_agg, seconds, freq_multiplier, inp.has_m, "_cal")
    return _finish(_cal_hold(cal, hold, inp.has_m, duration, cal_end, obs_end), inp)


def _holdout_duration(cal_end: pd.Timestamp, obs_end: pd.Timestamp, freq: str,
                      freq_multiplier: float) -> float:
    """The holdout's length in periods; the calibration must not end after the holdout."""
    if cal_end > obs_end:
        raise UsageError(
            f"calibration_period_end ({cal_end:%Y-%m-%d}) comes after observation_period_end "
            f"({obs_end:%Y-%m-%d}); the calibration period must end before the holdout ends."
        )
    return (obs_end.to_period(freq) - cal_end.to_period(freq)).n / freq_multiplier


def _cal_hold(cal: pl.DataFrame, hold: pl.DataFrame, has_m: bool, duration: float,
              cal_end: pd.Timestamp, obs_end: pd.Timestamp) -> pl.DataFrame:
    """The calibration summary joined with the holdout counts (``__id`` first)."""
    if has_m:  # mean amount per holdout transaction, divided by numpy like pandas does
        hold = hold.with_columns(pl.Series(
            "monetary_value_holdout", hold["__sum"].to_numpy() / hold["__rows"].to_numpy()
        )).drop("__sum", "__rows")
    if hold.height == 0:
        raise DataError(
            f"no purchase after calibration_period_end ({cal_end:%Y-%m-%d}) and on or before "
            f"observation_period_end ({obs_end:%Y-%m-%d}); the holdout period is empty. "
            "Choose an earlier calibration end or a later observation end."
        )
    hold_cols = [c for c in hold.columns if c != _ID]
    return (cal.join(hold, on=_ID, how="left")
            .with_columns(pl.col(hold_cols).fill_null(0.0),
                          pl.lit(float(duration)).alias("duration_holdout")))


# --------------------------------------------------------------------------- from aggregates
# An engine that is not polars (workbench.engine: DuckDB, Spark) groups the purchases per
# customer and period itself and hands the per-customer aggregates to these functions, so
# that recency, T, the monetary value and the holdout are computed by the code above.


def _from_periods(agg: pl.DataFrame, id_col: str, obs_start: _dt.datetime, seconds: int,
                  freq_multiplier: float, suffix: str = "") -> pl.DataFrame:
    missing = [c for c in (id_col, "n_periods", "first_period", "last_period")
               if c not in agg.columns]
    if missing:
        raise UsageError(f"period aggregates: column(s) {missing} missing; the columns are "
                         f"{agg.columns}.")
    has_m = "repeat_total" in agg.columns
    first = pl.col("first_period").cast(pl.Datetime("us"))
    obs = pl.lit(obs_start, dtype=pl.Datetime("us"))
    ready = agg.select(
        pl.col(id_col).alias(_ID), pl.col("n_periods").alias("__n"),
        (pl.col("last_period").cast(pl.Datetime("us")) - first).dt.total_seconds()
        .alias("__rec"),
        (obs - first).dt.total_seconds().alias("__age"),
        *([pl.col("repeat_total").cast(pl.Float64).alias("__mrest")] if has_m else []))
    return _summary_columns(ready, seconds, freq_multiplier, has_m, suffix)


def summary_from_periods(agg: pl.DataFrame, id_col: str, observation_period_end: Any,
                         freq: str = "D", freq_multiplier: float = 1) -> pl.DataFrame:
    """:func:`summary` from per-customer aggregates of the purchase periods.

    ``agg`` has one row per customer: ``id_col``, ``n_periods`` (periods with a purchase
    on or before the observation end's period), ``first_period`` and ``last_period``
    (the first instants of the first and last such periods) and, for the monetary value,
    ``repeat_total`` (the sum of the amounts of every period but the first).  Returns
    what :func:`summary` returns for polars input, sorted by ``id_col``.
    """
    _, seconds = _check_freq(freq, freq_multiplier)
    obs_start = period_start(
        _to_timestamp(observation_period_end, "observation_period_end", None), freq)
    res = _from_periods(agg, id_col, obs_start, seconds, freq_multiplier)
    return res.sort(_ID, multithreaded=False).rename({_ID: id_col})


def calibration_holdout_from_periods(cal_agg: pl.DataFrame, hold_agg: pl.DataFrame,
                                     id_col: str, calibration_period_end: Any,
                                     observation_period_end: Any, freq: str = "D",
                                     freq_multiplier: float = 1) -> pl.DataFrame:
    """:func:`calibration_holdout` from per-customer aggregates.

    ``cal_agg`` is :func:`summary_from_periods`' input for the purchases dated on or
    before ``calibration_period_end``; ``hold_agg`` has, per customer with a purchase
    after it and on or before ``observation_period_end``: ``id_col``,
    ``holdout_periods`` and, for the monetary value, ``holdout_total`` and
    ``holdout_rows`` (sum and number of the holdout purchases).
    """
    _, seconds = _check_freq(freq, freq_multiplier)
    cal_end = _to_timestamp(calibration_period_end, "calibration_period_end", None)
    obs_end = _to_timestamp(observation_period_end, "observation_period_end", None)
    duration = _holdout_duration(cal_end, obs_end, freq, freq_multiplier)
    cal = _from_periods(cal_agg, id_col, period_start(cal_end, freq), seconds,
                        freq_multiplier, "_cal")
    has_m = "repeat_total" in cal_agg.columns
    cols = [pl.col(id_col).alias(_ID),
            pl.col("holdout_periods").cast(pl.Float64).alias("frequency_holdout")]
    if has_m:
        cols += [pl.col("holdout_total").cast(pl.Float64).alias("__sum"),
                 pl.col("holdout_rows").alias("__rows")]
    res = _cal_hold(cal, hold_agg.select(cols), has_m, duration, cal_end, obs_end)
    return res.sort(_ID, multithreaded=False).rename({_ID: id_col})
