"""Orders from the engine (``sources.orders.engine``): checked and accounted for, not repaired.

A company whose clean orders sit in a lake or a warehouse names them in ``workbench.yaml``
(a Parquet dataset, a table or a query; ``docs/scale.md``, "Sources at scale").  The
cleaning then reads every other table from its file as usual, and the orders on the
engine (:func:`read`), where they stay: only aggregates, per-customer tables, the few
cancelled orders and a handful of example rows come to the driver.

- the canonical columns are read in their types (:func:`workbench.engine.canonical_orders`
  checks the columns and types) and the rows are checked on the engine against the
  canonical schema's row rules (:func:`problems`: empty required values, values outside
  the allowed set or range, repeated order ids): orders that are not clean stop the run,
  each problem with its count, up to three example rows and what to do; they are never
  repaired, dropped or guessed at;
- cancelled orders go to the quarantine (``cancelled_order``), as from a file: the
  transaction model leaves them out on every engine;
- ids of customers the de-duplication merged are re-pointed to the kept ids on the
  engine (:func:`workbench.engine.repoint`), counted from a per-customer table;
- an order whose customer is not in the clean customer archive stops the run (a file
  source would quarantine it; the engine reads the source itself and would still see it);
- without a customers source the archive is derived from these orders, as from a file,
  from each customer's first orders found on the engine (:func:`customers`).

The ledger's orders entry says the orders came from the engine (``read_on_engine``: the
engine, the source, the rows and columns read) and balances like every other entry; its
sums and counts are aggregates on the engine.  ``orders.parquet``, which the rooms read
with polars, is written by the engine itself (:class:`EngineTable`, sorted by order id
as from a file), streamed into the cleaning's staging folder.

The engine stays open from :func:`read` until ``orders.parquet`` is written (or the run
fails: :meth:`EngineOrders.close`).
"""

from __future__ import annotations

import contextlib
import os
import weakref
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, cast

import narwhals as nw
import polars as pl

from .. import schema, transactions
from ..config import SourceSpec
from ..engine import Engine, EngineSettings, canonical_orders, open_engine, repoint, to_polars
from ..engine.sources import reading_orders
from ..errors import DataError, UsageError
from ..ingest import LINE, RawTable, from_frame
from ..sources import ENGINE_SOURCE_KEY
from .derived import customers_from_orders
from .ledger import CleanResult, check_ledger, engine_orders_entry
from .quarantine import Q_SCHEMA
from .rules import TABLE_ORDER

__all__ = ["EngineOrders", "EngineTable", "customers", "id_map", "merge", "problems", "read"]

#: Example rows shown per problem.
EXAMPLES = 3
_CANCELLED = "__cancelled"


def _x(expr: Any) -> nw.Expr:
    """A rule of :mod:`workbench.transactions` built with ``ns=narwhals``."""
    return cast(nw.Expr, expr)


def _fail(label: str, what: str, example: dict[str, Any] | None, todo: str) -> DataError:
    shown = f" (e.g. {example})" if example else ""
    return DataError(f"{label}: {what}{shown}; {todo}")


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    """A row for a message: dates as ISO text."""
    return {k: v.isoformat() if isinstance(v, (date, datetime)) else v for k, v in row.items()}


def _count(expr: Any) -> nw.Expr:
    return _x(expr).fill_null(False).cast(nw.Int64).sum()


@dataclass
class EngineOrders:
    """The orders read and checked on the engine (kept there, as the lazy ``frame``: the
    canonical columns and ``is_outlier``), where they came from, the source columns left
    out, and what the driver holds of them: the ``totals`` of the ledger, the ``cancelled``
    orders (sorted by order id) and ``per_customer`` (``customer_id, orders``: the orders
    that are not cancelled, per customer id as the source holds it)."""

    frame: nw.LazyFrame[Any]
    engine: Engine
    label: str
    source: dict[str, Any]
    totals: dict[str, Any]
    cancelled: pl.DataFrame
    per_customer: pl.DataFrame
    ignored: list[str] = field(default_factory=list)
    flagged_by_source: bool = False
    _close: Any = None

    @property
    def columns(self) -> list[str]:
        return self.frame.collect_schema().names()

    @property
    def closed(self) -> bool:
        return self._close is None or not self._close.alive

    def close(self) -> None:
        """Close the engine (Spark: stopped if :func:`read` started it); idempotent."""
        if self._close is not None:
            self._close()


def problems(orders: nw.LazyFrame[Any], examples: int = EXAMPLES) -> list[schema.Problem]:
    """The canonical schema's row rules for orders (:func:`workbench.schema.validate`:
    empty values where every row needs one, values outside the allowed set or range,
    repeated identifiers) checked on the engine of ``orders``: one aggregate query, one
    group-by of the key, and for each problem found a small ``head`` of its rows
    (``examples``, sorted by order id).  The column rules (required columns, unknown
    columns, types) are :func:`workbench.engine.canonical_orders`'."""
    spec = schema.get("orders")
    have = orders.collect_schema().names()
    checks: list[tuple[str, schema.Column, Any]] = []
    for col in spec.columns:
        if col.name not in have:
            continue
        c = nw.col(col.name)
        if not col.nullable:
            checks.append(("missing_value", col, c.is_null()))
        if col.allowed is not None:
            checks.append(("not_allowed", col, ~c.is_null() & ~c.is_in(list(col.allowed))))
        if col.min is not None or col.max is not None:
            low = c < col.min if col.min is not None else nw.lit(False)
            high = c > col.max if col.max is not None else nw.lit(False)
            checks.append(("out_of_range", col, low | high))
    counts = collect_one(orders.select(nw.len().alias("__rows"), *[
        _count(bad).alias(f"__{i}") for i, (_, _, bad) in enumerate(checks)]))
    n = counts["__rows"]
    found: list[schema.Problem] = []

    def head(bad: Any) -> tuple[dict[str, Any], ...]:
        rows = collect(orders.filter(bad).sort(spec.key, nulls_last=True).head(examples))
        return tuple(_plain(r) for r in rows.drop("is_outlier", strict=False).to_dicts())

    for i, (kind, col, bad) in enumerate(checks):
        k = int(counts[f"__{i}"] or 0)
        if not k:
            continue
        rows = head(bad)
        where = f"orders.{col.name}"
        if kind == "missing_value":
            text = f"{where}: {k} of {n} rows are empty; every row needs a value"
        elif kind == "not_allowed":
            values = sorted({str(r[col.name]) for r in rows})
            text = (f"{where}: {k} rows have values outside {{{', '.join(col.allowed or ())}}} "
                    f"(e.g. {', '.join(map(repr, values))})")
        else:
            text = (f"{where}: {k} rows are outside [{col.min if col.min is not None else '-inf'}"
                    f", {col.max if col.max is not None else 'inf'}]")
        found.append(schema.Problem("orders", col.name, kind, f"{text}; rows {list(rows)}",
                                    rows=k, examples=rows))
    for col in spec.columns:
        if not col.unique or col.name not in have:
            continue
        key = nw.col(col.name)
        repeated = (orders.filter(~key.is_null()).group_by(col.name)
                    .agg(nw.len().alias("__n")).filter(nw.col("__n") > 1))
        dup = collect_one(repeated.select(nw.len().alias("values"),
                                          nw.col("__n").sum().alias("rows")))
        if not dup["values"]:
            continue
        values = collect(repeated.sort(col.name).head(examples)).get_column(col.name).to_list()
        rows = head(key.is_in(values))
        found.append(schema.Problem(
            "orders", col.name, "duplicate_key",
            f"orders.{col.name}: {dup['values']} value(s) repeat on {dup['rows']} rows (e.g. "
            f"{', '.join(map(str, values))}); identifiers must be unique; rows {list(rows)}",
            rows=int(dup["rows"]), examples=rows))
    return found


def collect(frame: nw.LazyFrame[Any]) -> pl.DataFrame:
    """A small result of the engine on the driver (polars): every result of this module
    reaches the driver here, so what comes over can be counted (the tests do)."""
    return to_polars(frame)


def collect_one(frame: nw.LazyFrame[Any]) -> dict[str, Any]:
    """The one row of an aggregate query."""
    return collect(frame).row(0, named=True)


def _kept(orders: nw.LazyFrame[Any]) -> nw.LazyFrame[Any]:
    """The orders that are not cancelled (:func:`workbench.transactions.is_cancelled`)."""
    return orders.filter(~_x(transactions.is_cancelled(ns=nw)))


def _check(orders: nw.LazyFrame[Any], label: str) -> None:
    """The orders must be clean canonical orders: every problem found stops the run."""
    found = problems(orders)
    if found:
        raise _fail(label, "the orders are not clean canonical orders: "
                    + "; ".join(p.message for p in found), None,
                    "correct them at the source or leave them out in a query "
                    f"({ENGINE_SOURCE_KEY}.query); the engine reads orders as they are, and an "
                    "export that needs the cleaning's rules is a file source (sources.orders.path).")


def _totals(orders: nw.LazyFrame[Any]) -> dict[str, Any]:
    """The ledger's sums and counts, one aggregate query: all rows and the cancelled ones
    (rows and signed amounts), the kept rows' signed amounts, returns negated and outliers."""
    cancelled = _x(transactions.is_cancelled(ns=nw))
    signed = _x(transactions.signed_amount(ns=nw))
    kept = ~cancelled
    negated = kept & _x(transactions.is_return(ns=nw)) & (nw.col("amount") > 0)
    zero = nw.lit(0.0)
    return collect_one(orders.with_columns(cancelled.alias(_CANCELLED)).select(
        nw.len().alias("rows_in"),
        _count(nw.col(_CANCELLED)).alias("cancelled"),
        signed.sum().alias("amount_in"),
        nw.when(nw.col(_CANCELLED)).then(signed).otherwise(zero).sum().alias("amount_cancelled"),
        nw.when(~nw.col(_CANCELLED)).then(signed).otherwise(zero).sum().alias("amount_kept"),
        _count(negated).alias("returns_negated"),
        _count(~nw.col(_CANCELLED) & nw.col("is_outlier")).alias("outliers")))


def read(spec: SourceSpec, settings: EngineSettings) -> EngineOrders:
    """The orders of ``spec`` (``sources.orders.engine``) read and checked on the engine of
    ``settings`` (see the module doc); the engine stays open for the rest of the cleaning.

    Raises:
        UsageError: a table or query on the polars engine.
        DataError: the source cannot be read, lacks or mistypes a column, or holds orders
            that are not clean (missing ids, dates, amounts or statuses, unknown statuses,
            negative quantities, repeated order ids); the message names
            ``sources.orders.engine``.
    """
    assert spec.engine is not None
    source = dict(spec.engine)
    stack = contextlib.ExitStack()
    try:
        eng = stack.enter_context(open_engine(settings))
        found = canonical_orders(eng, source)
        with reading_orders(eng, source):
            orders = eng.keep(found.frame)  # Spark: cached for the queries that follow
            stack.callback(_uncache, eng, orders)  # before the engine closes
            _check(orders, spec.label)
            totals = _totals(orders)
            cancelled = collect(orders.filter(_x(transactions.is_cancelled(ns=nw)))
                                .sort("order_id"))
            per_customer = collect(_kept(orders).group_by("customer_id")
                                   .agg(nw.len().cast(nw.Int64).alias("orders")))
    except BaseException:
        stack.close()
        raise
    eo = EngineOrders(orders, eng, spec.label, source, totals, cancelled, per_customer,
                      found.ignored, found.flagged)
    eo._close = weakref.finalize(eo, stack.close)
    return eo


def _uncache(engine: Engine, frame: nw.LazyFrame[Any]) -> None:
    """Spark: drop the cache of the orders (before the session stops)."""
    if engine.name == "spark":
        with contextlib.suppress(Exception):  # the session may be gone already
            nw.to_native(frame).unpersist()


def customers(eo: EngineOrders) -> RawTable:
    """The customer archive derived from the orders (no customers source), as from a file.

    :func:`.derived.customers_from_orders` reads, per customer, the orders that are not
    cancelled in the order of their date and line (a file's line; here the order's place
    among the source's orders sorted by order id, as if the orders were that file): the
    first one's date and line, and the first channel given.  The engine finds each
    customer's orders on their first day (a group-by and a join) and the line numbers (a
    rank of the order ids: on Spark a window without partitions, which runs in one
    task); only for a customer none of whose first-day orders gives a channel are its
    later orders with a channel brought too.  Those rows, about one per customer, are fed
    to the same function, so the archive is the one a file of these orders would give.
    """
    have = eo.columns
    cols = [c for c in ("order_id", "customer_id", "order_date", "amount", "status", "channel")
            if c in have]
    with reading_orders(eo.engine, eo.source):
        usable = _kept(eo.frame.with_columns(nw.col("order_id").rank("ordinal").cast(nw.Int64)
                                             .alias("__rank")))
        first = usable.group_by("customer_id").agg(nw.col("order_date").min().alias("__first"))
        rows = collect(usable.join(first, on="customer_id", how="inner")
                       .filter(nw.col("order_date") == nw.col("__first")).select(*cols, "__rank"))
        if "channel" in have:
            blank = (rows.group_by("customer_id").agg(pl.col("channel").is_null().all())
                     .filter(pl.col("channel")).select("customer_id"))
            if blank.height:
                later = collect(usable.filter(~nw.col("channel").is_null())
                                .join(eo.engine.to_engine(blank), on="customer_id", how="semi")
                                .select(*cols, "__rank"))
                rows = pl.concat([rows, later.cast(rows.schema)])
    rows = rows.sort("__rank")
    raw = from_frame(rows.drop("__rank"), "orders", eo.label)
    # from_frame numbers lines from 2, as a file with a header: the order's line is its rank + 1
    raw.frame = raw.frame.with_columns((rows.get_column("__rank") + 1).alias(LINE))
    return customers_from_orders(raw)


def id_map(merge_log: pl.DataFrame) -> pl.DataFrame:
    """``duplicate_id, kept_id`` of the customers the de-duplication merged (the merge log)."""
    return (merge_log.filter(pl.col("table") == "customers")
            .select("duplicate_id", "kept_id").unique(maintain_order=True))


def _nw_dtype(dtype: Any) -> Any:
    """The narwhals type of a canonical (polars) column type."""
    return getattr(nw, (dtype if isinstance(dtype, type) else type(dtype)).__name__)


class EngineTable:
    """The clean orders, still on the engine: the rows that are not cancelled, merged ids
    re-pointed (:func:`workbench.engine.repoint`), returns signed, every canonical column
    (absent ones empty) and ``is_outlier``, sorted by order id, as from a file.

    It stands for the orders table of a :class:`CleanResult` (``height``, ``columns``,
    ``schema``, ``write_parquet``): :func:`workbench.clean.pipeline.write_outputs` then
    has the engine stream ``orders.parquet`` into its staging folder
    (:meth:`workbench.engine.Engine.write_parquet`); :meth:`to_polars` brings the rows to
    the driver, for small data.  Writing closes the engine.
    """

    def __init__(self, eo: EngineOrders, ids: pl.DataFrame, height: int):
        self._eo = eo
        self._ids = ids
        self.height = height

    @property
    def frame(self) -> nw.LazyFrame[Any]:
        """The clean orders as a lazy frame of the engine."""
        eo = self._eo
        spec = schema.get("orders")
        kept = repoint(eo.engine, _kept(eo.frame), self._ids)
        have = kept.collect_schema().names()
        out = kept.with_columns(_x(transactions.signed_amount(ns=nw)).alias("amount"))
        return out.select(*[nw.col(c.name) if c.name in have else
                            nw.lit(None, dtype=_nw_dtype(c.dtype)).alias(c.name)
                            for c in spec.columns], nw.col("is_outlier")).sort("order_id")

    @property
    def columns(self) -> list[str]:
        return [*schema.get("orders").names, "is_outlier"]

    @property
    def schema(self) -> pl.Schema:
        return pl.Schema({**schema.get("orders").polars_schema, "is_outlier": pl.Boolean})

    def to_polars(self) -> pl.DataFrame:
        """The clean orders on the driver (all of them: for small data and tests); once
        ``orders.parquet`` is written the engine is closed: read the file."""
        if self._eo.closed:
            raise UsageError(f"{self._eo.label}: the engine that held these orders is closed "
                             f"(orders.parquet was written): read orders.parquet.")
        with reading_orders(self._eo.engine, self._eo.source):
            return collect(self.frame).cast(self.schema)

    def write_parquet(self, file: str | os.PathLike[str], compression: str = "zstd",
                      compression_level: int | None = None) -> None:
        """``orders.parquet`` written by the engine (zstd): into a temporary file beside
        ``file``, renamed when complete; the engine is closed afterwards.

        Raises:
            DataError: the engine wrote another number of rows than it counted when the
                orders were checked (the source changed while the cleaning read it).
        """
        target = Path(file)
        tmp = target.with_name(f".{target.name}.engine.tmp")
        eo = self._eo
        try:
            with reading_orders(eo.engine, eo.source):
                rows = eo.engine.write_parquet(self.frame, tmp, compression_level or 1)
            if rows != self.height:
                raise DataError(f"{eo.label}: the engine wrote {rows:,} clean orders, but "
                                f"{self.height:,} were counted when the orders were checked: "
                                f"the source changed while the cleaning read it; run "
                                f"`workbench clean` again once it is complete.")
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
            eo.close()


def merge(result: CleanResult, eo: EngineOrders, derived: bool) -> CleanResult:
    """``result`` (the other tables, cleaned from their files) with the engine's orders as its
    orders (an :class:`EngineTable`): cancelled ones quarantined, merged ids re-pointed, the
    ledger entry added and the whole ledger checked again.

    Raises:
        DataError: orders of customers that are not in the clean customer archive.
    """
    try:
        return _merge(result, eo, derived)
    except BaseException:
        eo.close()
        raise


def _merge(result: CleanResult, eo: EngineOrders, derived: bool) -> CleanResult:
    names = schema.get("orders").names
    ids = id_map(result.merge_log)
    per = eo.per_customer
    moved = per.filter(pl.col("customer_id").is_in(ids.get_column("duplicate_id").implode()))
    repointed = int(moved.get_column("orders").sum() or 0)
    if ids.height:
        per = per.with_columns(pl.col("customer_id").replace(ids.get_column("duplicate_id"),
                                                             ids.get_column("kept_id")))
    known = result.tables["customers"].get_column("customer_id")
    unknown = per.filter(~pl.col("customer_id").is_in(known.implode()))
    if unknown.height:
        strangers = unknown.select("customer_id").unique()
        with reading_orders(eo.engine, eo.source):
            kept = repoint(eo.engine, _kept(eo.frame), ids)
            example = collect(kept.join(eo.engine.to_engine(strangers), on="customer_id",
                                        how="semi").sort("order_id").head(1))
        raise _fail(eo.label, f"{int(unknown.get_column('orders').sum()):,} order(s) belong to "
                    f"customers that are not in the clean customer archive "
                    f"({strangers.height:,} customer(s))",
                    _plain(example.to_dicts()[0]) if example.height else None,
                    "add those customers to the customers export, leave their orders out in a "
                    f"query ({ENGINE_SOURCE_KEY}.query), or remove sources.customers to derive "
                    "the archive from the orders; see quarantine.parquet for customers the "
                    "cleaning set aside")
    t = eo.totals
    dropped = eo.cancelled
    quarantine = dropped.select(
        pl.lit("orders").alias("table"), pl.lit(eo.label).alias("source"),
        pl.lit(None, dtype=pl.Int64).alias("line"), pl.lit("cancelled_order").alias("reason"),
        pl.format("status cancelled (amount {})", pl.col("amount")).alias("detail"),
        pl.struct([c for c in names if c in dropped.columns]).struct.json_encode()
        .alias("record")).cast(Q_SCHEMA)
    rows_kept = int(t["rows_in"]) - int(t["cancelled"])
    entry = engine_orders_entry(
        rows_in=int(t["rows_in"]), rows_kept=rows_kept, cancelled=int(t["cancelled"]),
        amount_in=float(t["amount_in"] or 0.0),
        amount_quarantined=float(t["amount_cancelled"] or 0.0),
        amount_kept=float(t["amount_kept"] or 0.0),
        read_on_engine={"engine": eo.engine.name, "source": eo.source,
                        "columns": [c for c in eo.columns if c in names or c == "is_outlier"],
                        "outliers_flagged_by": "source" if eo.flagged_by_source else None},
        label=eo.label, ignored=eo.ignored,
        extra={"repointed": repointed, "returns_negated": int(t["returns_negated"]),
               "outliers": int(t["outliers"])})
    absent = [t for t in result.absent if t != "orders"]
    ledger: dict[str, Any] = {t: entry if t == "orders" else result.ledger[t]
                              for t in TABLE_ORDER if t == "orders" or t in result.ledger}
    ledger["absent"] = absent
    if derived:
        ledger["customers"]["derived_from"] = "orders"
    # write_outputs has the engine write orders.parquet (EngineTable.write_parquet)
    orders = cast(pl.DataFrame, EngineTable(eo, ids, rows_kept))
    tables = {**result.tables, "orders": orders}
    out = CleanResult(tables=tables, quarantine=pl.concat([quarantine, result.quarantine]),
                      merge_log=result.merge_log, review_pairs=result.review_pairs,
                      ledger=ledger, order_lines=result.order_lines, absent=tuple(absent))
    check_ledger(out)
    return out
