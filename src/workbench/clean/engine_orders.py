"""Orders from the engine (``sources.orders.engine``): checked and accounted for, not repaired.

A company whose clean orders sit in a lake or a warehouse names them in ``workbench.yaml``
(a Parquet dataset, a table or a query; ``docs/scale.md``, "Sources at scale").  The
cleaning then reads every other table from its file as usual, and the orders on the
engine (:func:`read`):

- the canonical columns are read in their types (:func:`workbench.engine.canonical_orders`)
  and checked on the driver against the canonical schema (ids, dates, amounts, statuses,
  unique order ids): orders that are not clean stop the run, with the count, an example
  and what to do; they are never repaired, dropped or guessed at;
- cancelled orders go to the quarantine (``cancelled_order``), as from a file: the
  transaction model leaves them out on every engine;
- ids of customers the de-duplication merged are re-pointed to the kept ids (the
  context re-points them on the engine too: :func:`workbench.engine.repoint`);
- an order whose customer is not in the clean customer archive stops the run (a file
  source would quarantine it; the engine reads the source itself and would still see it);
- without a customers source the archive is derived from these orders, as from a file.

The ledger's orders entry says the orders came from the engine (``read_on_engine``: the
engine, the source, the rows and columns read) and balances like every other entry.
``orders.parquet`` is written from the kept rows: the rooms, which run on polars, read
it; the transaction-level work reads the source on the engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl

from .. import schema, transactions
from ..config import SourceSpec
from ..engine import EngineSettings, canonical_orders, collect_orders, open_engine
from ..errors import DataError
from ..ingest import RawTable, from_frame
from ..sources import ENGINE_SOURCE_KEY
from .dedupe import repoint
from .derived import customers_from_orders
from .ledger import CleanResult, check_ledger, engine_orders_entry
from .quarantine import Q_SCHEMA
from .rules import TABLE_ORDER

__all__ = ["EngineOrders", "customers", "id_map", "merge", "read"]


@dataclass
class EngineOrders:
    """The orders read on the engine: ``orders`` (canonical columns and ``is_outlier``,
    sorted by ``order_id``), where they came from and the source columns left out."""

    orders: pl.DataFrame
    label: str
    engine: str
    source: dict[str, Any]
    ignored: list[str] = field(default_factory=list)
    flagged_by_source: bool = False


def _fail(label: str, what: str, example: dict[str, Any] | None, todo: str) -> DataError:
    shown = f" (e.g. {example})" if example else ""
    return DataError(f"{label}: {what}{shown}; {todo}")


def _check(orders: pl.DataFrame, label: str) -> None:
    """The orders must be clean canonical orders: every problem the schema finds stops the run."""
    problems = schema.validate(orders.drop("is_outlier"), "orders")
    if problems:
        first = next((p for p in problems if p.examples), None)
        raise _fail(label, "the orders are not clean canonical orders: "
                    + "; ".join(p.message for p in problems[:4]),
                    {"examples": list(first.examples)[:3]} if first else None,
                    "correct them at the source or leave them out in a query "
                    f"({ENGINE_SOURCE_KEY}.query); the engine reads orders as they are, and an "
                    "export that needs the cleaning's rules is a file source (sources.orders.path).")


def read(spec: SourceSpec, settings: EngineSettings) -> EngineOrders:
    """The orders of ``spec`` (``sources.orders.engine``) read on the engine of ``settings``,
    brought to the driver and checked (see the module doc).

    Raises:
        UsageError: a table or query on the polars engine.
        DataError: the source cannot be read, lacks or mistypes a column, or holds orders
            that are not clean (missing ids, dates or amounts, unknown statuses, repeated
            order ids); the message names ``sources.orders.engine``.
    """
    assert spec.engine is not None
    source = dict(spec.engine)
    with open_engine(settings) as eng:
        found = canonical_orders(eng, source)
        orders = collect_orders(eng, found.frame, source)
    orders = orders.sort("order_id", maintain_order=True)
    _check(orders, spec.label)
    return EngineOrders(orders, spec.label, settings.name, source, found.ignored, found.flagged)


def customers(eo: EngineOrders) -> RawTable:
    """The customer archive derived from the orders (no customers source), as from a file."""
    return customers_from_orders(from_frame(eo.orders.drop("is_outlier"), "orders", eo.label))


def id_map(merge_log: pl.DataFrame) -> pl.DataFrame:
    """``duplicate_id, kept_id`` of the customers the de-duplication merged (the merge log)."""
    return (merge_log.filter(pl.col("table") == "customers")
            .select("duplicate_id", "kept_id").unique(maintain_order=True))


def merge(result: CleanResult, eo: EngineOrders, derived: bool) -> CleanResult:
    """``result`` (the other tables, cleaned from their files) with the engine's orders as its
    orders: cancelled ones quarantined, merged ids re-pointed, the ledger entry added and the
    whole ledger checked again.

    Raises:
        DataError: orders of customers that are not in the clean customer archive.
    """
    orders = eo.orders
    names = schema.get("orders").names
    cancelled = orders.select(transactions.is_cancelled()).to_series().fill_null(False)
    kept = orders.filter(~cancelled)
    dropped = orders.filter(cancelled)
    kept, moved = repoint(kept, id_map(result.merge_log))
    known = result.tables["customers"].get_column("customer_id")
    unknown = kept.filter(~pl.col("customer_id").is_in(known.implode()))
    if unknown.height:
        raise _fail(eo.label, f"{unknown.height:,} order(s) belong to customers that are not in "
                    f"the clean customer archive ({unknown.get_column('customer_id').n_unique():,}"
                    f" customer(s))", unknown.head(1).to_dicts()[0],
                    "add those customers to the customers export, leave their orders out in a "
                    f"query ({ENGINE_SOURCE_KEY}.query), or remove sources.customers to derive "
                    "the archive from the orders; see quarantine.parquet for customers the "
                    "cleaning set aside")
    signed = transactions.signed_amount()
    amounts = orders.select(signed.sum().alias("all"),
                            signed.filter(cancelled).sum().alias("cancelled")).row(0)
    negated = int(kept.select((transactions.is_return() & (pl.col("amount") > 0)).sum()).item())
    clean = kept.with_columns(signed.alias("amount"))
    clean = clean.with_columns(pl.lit(None, dtype=c.dtype).alias(c.name)
                               for c in schema.get("orders").columns if c.name not in clean.columns)
    clean = clean.select(*names, "is_outlier")
    quarantine = dropped.select(
        pl.lit("orders").alias("table"), pl.lit(eo.label).alias("source"),
        pl.lit(None, dtype=pl.Int64).alias("line"), pl.lit("cancelled_order").alias("reason"),
        pl.format("status cancelled (amount {})", pl.col("amount")).alias("detail"),
        pl.struct([c for c in names if c in dropped.columns]).struct.json_encode()
        .alias("record")).cast(Q_SCHEMA)
    entry = engine_orders_entry(
        rows_in=orders.height, rows_kept=clean.height, cancelled=dropped.height,
        amount_in=float(amounts[0] or 0.0), amount_quarantined=float(amounts[1] or 0.0),
        amount_kept=float(clean.get_column("amount").sum() or 0.0),
        read_on_engine={"engine": eo.engine, "source": eo.source,
                        "columns": [c for c in orders.columns if c in names or c == "is_outlier"],
                        "outliers_flagged_by": "source" if eo.flagged_by_source else None},
        label=eo.label, ignored=eo.ignored,
        extra={"repointed": int(moved.sum()) if moved is not None else 0,
               "returns_negated": negated, "outliers": int(clean.get_column("is_outlier").sum())})
    absent = [t for t in result.absent if t != "orders"]
    ledger: dict[str, Any] = {t: entry if t == "orders" else result.ledger[t]
                              for t in TABLE_ORDER if t == "orders" or t in result.ledger}
    ledger["absent"] = absent
    if derived:
        ledger["customers"]["derived_from"] = "orders"
    tables = {**result.tables, "orders": clean}
    out = CleanResult(tables=tables, quarantine=pl.concat([quarantine, result.quarantine]),
                      merge_log=result.merge_log, review_pairs=result.review_pairs,
                      ledger=ledger, order_lines=result.order_lines, absent=tuple(absent))
    check_ledger(out)
    return out
