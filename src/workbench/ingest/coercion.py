"""Coercion: a text table turned into canonical types, with a reason code for every row
that cannot be used (``missing_customer_id``, ``unparseable_date``,
``unparseable_amount``, ``invalid_value``) instead of a crash, so that the cleaning
step can quarantine it."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from .. import schema
from .normalize import _normalize_values, normalize_text
from .parse import DEFAULT_DATE_FORMATS, DEFAULT_DATETIME_FORMATS, _is_date, parse_columns
from .raw import LINE, SOURCE, RawTable

__all__ = ["Coerced", "coerce"]


@dataclass
class Coerced:
    """The result of :func:`coerce`: every row typed, which rows parsed, and the failures.

    ``typed`` has the canonical columns with canonical types plus ``_source`` and
    ``_line`` for **every** raw row (the values that could not be parsed are null);
    ``ok`` is True for the rows that parsed; ``failed`` has ``_source, _line, reason,
    detail, record`` (the raw row as JSON) for the others.  ``good`` is ``typed``
    filtered on ``ok``: callers that drop more rows can combine their own masks with
    ``ok`` and filter the table once.
    """

    typed: pl.DataFrame
    ok: pl.Series
    failed: pl.DataFrame

    @property
    def good(self) -> pl.DataFrame:
        """The rows that parsed."""
        return self.typed if self.failed.height == 0 else self.typed.filter(self.ok)


def _empty_text(s: pl.Series, value: pl.Series) -> pl.Series:
    """True where the text ``s`` is empty once normalised (null, blank, only spaces).

    ``value`` is what ``s`` was parsed into: where it is not null the text was not empty,
    so only the other values are normalised.
    """
    empty = s.is_null()
    maybe = value.is_null() & ~empty
    if maybe.any():
        idx = maybe.arg_true()
        blank = _normalize_values(s.gather(idx)).is_null()
        if blank.any():
            empty = empty.scatter(idx.filter(blank), True)
    return empty


def coerce(raw: RawTable, spec: schema.TableSchema | None = None) -> Coerced:
    """Turn a text table into canonical types; rows with unusable values become failures.

    Rules, first match wins per row:

    - ``missing_customer_id``: empty customer id;
    - ``unparseable_date``: a date column that is empty (when required) or fits none of the
      formats;
    - ``unparseable_amount``: an amount/margin that is not a number ('¥1,234.50' is);
    - ``invalid_value``: any other required value empty, a number or category that is
      not allowed (e.g. nps 11, status 'lost'), a complaint resolved before it opened.

    Categorical values are matched case-insensitively and common Chinese labels
    (已取消, 退货, 微信...) are translated.  ``spec`` overrides the table's schema (the
    lines of a line-level orders source).
    """
    table = raw.table
    spec = spec or schema.get(table)
    df = raw.frame
    n = df.height
    # A canonical column the source lacks is all empty; it is not added to the (possibly
    # long) text table, only to the typed result and to the few failed rows.
    absent = [c for c in spec.names if c not in df.columns]
    dfmt = tuple(raw.date_formats) or DEFAULT_DATE_FORMATS
    tfmt = tuple(raw.datetime_formats) or DEFAULT_DATETIME_FORMATS
    typed: dict[str, pl.Series] = {}
    # (condition, reason, detail expression evaluated on the failing rows only)
    checks: list[tuple[pl.Series, str, pl.Expr]] = []

    def shown(col: str, what: str) -> pl.Expr:
        return pl.format(f"{col} {what}: '{{}}'", normalize_text(pl.col(col)).fill_null(""))

    if "customer_id" in spec.names:
        no_id = (df.get_column("customer_id").is_null() if "customer_id" not in absent
                 else pl.repeat(True, n, dtype=pl.Boolean, eager=True))
        checks.append((no_id, "missing_customer_id", pl.lit("customer_id is empty")))
    rank: dict[object, int] = {pl.Date: 0, pl.Float64: 1}
    ordered = sorted(spec.columns, key=lambda c: 0 if isinstance(c.dtype, pl.Datetime)
                     else rank.get(c.dtype, 2))

    parsed = parse_columns(df, [c for c in ordered if c.name not in absent], dfmt, tfmt,
                           raw.excel_serial_dates)
    parsed.update({c.name: pl.repeat(None, n, dtype=c.dtype, eager=True).alias(c.name)
                   for c in ordered if c.name in absent})
    for c in ordered:
        name, dt = c.name, c.dtype
        value = parsed[name]
        typed[name] = value.cast(dt).alias(name)
        if name in absent:
            # The same "is empty" failures as for a present column that is all empty.
            why = ("unparseable_date" if _is_date(dt)
                   else "unparseable_amount" if dt == pl.Float64
                   else None if dt == pl.Int64 or name == "customer_id" else "invalid_value")
            if not c.nullable and why is not None:
                checks.append((pl.repeat(True, n, dtype=pl.Boolean, eager=True), why,
                               pl.lit(f"{name} is empty")))
            continue
        s = df.get_column(name)
        # Empty: no text once normalised (dates, numbers and categories come un-normalised).
        if dt == pl.String:
            empty = value.is_null() if c.allowed is not None else s.is_null()
        else:
            empty = _empty_text(s, value)
        if _is_date(dt):
            fmts = dfmt if dt == pl.Date else tfmt
            checks.append((~empty & value.is_null(), "unparseable_date",
                           shown(name, f"matches none of the formats {', '.join(fmts)}")))
            if not c.nullable:
                checks.append((empty, "unparseable_date", pl.lit(f"{name} is empty")))
        elif dt == pl.Float64:
            checks.append((~empty & value.is_null(), "unparseable_amount",
                           shown(name, "is not an amount")))
            if not c.nullable:
                checks.append((empty, "unparseable_amount", pl.lit(f"{name} is empty")))
        elif dt == pl.Int64:
            checks.append((~empty & value.is_null(), "invalid_value",
                           shown(name, "is not a whole number")))
            if c.min is not None or c.max is not None:
                sides = ([value < c.min] if c.min is not None else []) + \
                    ([value > c.max] if c.max is not None else [])
                out = sides[0] | sides[1] if len(sides) == 2 else sides[0]
                checks.append((out.fill_null(False), "invalid_value", shown(
                    name, f"is outside {c.min if c.min is not None else ''}.."
                          f"{c.max if c.max is not None else ''}")))
        else:
            if c.allowed is not None:
                checks.append((~empty & ~value.is_in(list(c.allowed)).fill_null(False),
                               "invalid_value", shown(name, f"is not one of {'/'.join(c.allowed)}")))
            if not c.nullable and name != "customer_id":
                checks.append((empty, "invalid_value", pl.lit(f"{name} is empty")))
    if table == "complaints":
        checks.append(((typed["resolved_at"] < typed["opened_at"]).fill_null(False),
                       "invalid_value", pl.format("resolved_at '{}' is before opened_at '{}'",
                                                  normalize_text(pl.col("resolved_at")),
                                                  normalize_text(pl.col("opened_at")))))
    names = spec.names
    typed_frame = pl.DataFrame([typed[nm] for nm in names]
                               + [df.get_column(SOURCE), df.get_column(LINE)])
    bad = pl.select(pl.any_horizontal([pl.lit(cond.fill_null(False)) for cond, _, _ in checks])
                    if checks else pl.repeat(False, n, dtype=pl.Boolean)).to_series()
    if n == 0 or not bad.any():
        return Coerced(typed=typed_frame, ok=~bad, failed=_empty_failed())
    idx = bad.arg_true()
    sub = df.gather(idx).with_columns(
        *[pl.lit(None, dtype=pl.String).alias(c) for c in absent],
        *[cond.gather(idx).fill_null(False).alias(f"_c{i}")
          for i, (cond, _, _) in enumerate(checks)])
    reason = pl.lit(None, dtype=pl.String)
    detail = pl.lit(None, dtype=pl.String)
    for i in reversed(range(len(checks))):
        _, r, d = checks[i]
        reason = pl.when(pl.col(f"_c{i}")).then(pl.lit(r)).otherwise(reason)
        detail = pl.when(pl.col(f"_c{i}")).then(d).otherwise(detail)
    failed = sub.select(pl.col(SOURCE), pl.col(LINE), reason.alias("reason"),
                        detail.alias("detail"),
                        pl.struct([pl.col(nm) for nm in names]).struct.json_encode().alias("record"))
    return Coerced(typed=typed_frame, ok=~bad, failed=failed)


def _empty_failed() -> pl.DataFrame:
    return pl.DataFrame(schema={SOURCE: pl.String, LINE: pl.Int64, "reason": pl.String,
                                "detail": pl.String, "record": pl.String})
