"""The ledger: per table, where every raw row and (orders) every amount went; nothing is lost.

``rows_in = rows_kept + rows_quarantined + rows_merged`` for every table and, for
orders, ``amount_in = amount_kept + amount_quarantined``, amounts signed by the
transaction model (:func:`workbench.transactions.signed_amount`: returns negative)
and unparseable amounts counted as 0.  :func:`check_ledger` fails the run otherwise.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from .. import schema, transactions
from ..errors import DataError
from ..ingest import RawTable, parse_amounts, parse_categories
from .rules import REASONS, TABLE_ORDER

__all__ = ["CleanResult", "amount_by_reason", "check_ledger", "engine_orders_entry",
           "ledger_entry", "raw_signed_amounts"]


@dataclass
class CleanResult:
    """What :func:`workbench.clean.clean_tables` returns.

    Attributes:
        tables: the clean canonical tables (orders with ``is_outlier``).
        quarantine: ``table, source, line, reason, detail, record``.
        merge_log: ``table, duplicate_id, kept_id, matched_on, source, line,
            match_probability, decided_by``.
        review_pairs: the de-duplication's review queue (``docs/dedupe.md``).
        ledger: per table counts and amounts (see :func:`check_ledger`); ``absent``: the
            tables without a source (no file is written for them).
        order_lines: the lines of the clean orders, when the orders source is line-level.
        absent: the canonical tables that had no source.
    """

    tables: dict[str, pl.DataFrame]
    quarantine: pl.DataFrame
    merge_log: pl.DataFrame
    review_pairs: pl.DataFrame | None = None  # customers: pairs for a person (docs/dedupe.md)
    ledger: dict[str, Any] = field(default_factory=dict)
    order_lines: pl.DataFrame | None = None
    absent: tuple[str, ...] = ()


def raw_signed_amounts(amount: pl.Series, status: pl.Series) -> pl.Series:
    """The signed amounts of raw order texts (``_amount``): each amount parsed as ingestion
    parses it (0 when unparseable), each status read as coercion reads it, then signed by
    :func:`workbench.transactions.signed_amount`."""
    typed = pl.DataFrame([
        parse_amounts(amount.cast(pl.String)).fill_null(0.0).alias("amount"),
        parse_categories(status.cast(pl.String), "status", schema.ORDER_STATUSES).alias("status"),
    ])
    return typed.select(transactions.signed_amount().alias("_amount")).to_series()


def amount_by_reason(quarantine: pl.DataFrame, table: str = "orders") -> pl.DataFrame:
    """Quarantined order amounts per reason (from the raw records, signed as in the ledger):
    ``reason, rows, amount``, largest amount first."""
    q = quarantine.filter(pl.col("table") == table)
    fields = q.select(pl.col("record").str.json_path_match("$.amount").alias("a"),
                      pl.col("record").str.json_path_match("$.status").alias("s"))
    amount = raw_signed_amounts(fields.get_column("a"), fields.get_column("s"))
    return (q.select("reason").with_columns(amount.alias("amount"))
            .group_by("reason").agg(pl.len().cast(pl.Int64).alias("rows"), pl.col("amount").sum())
            .sort(["amount", "reason"], descending=[True, False]))


def _sum(df: pl.DataFrame, col: str) -> float:
    if df.height == 0:
        return 0.0
    total = df.get_column(col).sum()
    return float(total or 0.0)


def ledger_entry(table: str, raw: RawTable, clean: pl.DataFrame, quarantined: pl.DataFrame,
                 rows_merged: int = 0, amount_in: float = 0.0,
                 extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The ledger entry of one table (``quarantined`` with ``reason`` and, for orders,
    ``_amount``; ``extra``: the table's own counts such as ``repointed``)."""
    entry: dict[str, Any] = {
        "rows_in": raw.rows_read,  # the unparseable lines are rows read
        "rows_kept": clean.height,
        "rows_quarantined": quarantined.height,
        "rows_merged": rows_merged,
    }
    if table == "orders":
        entry.update({
            "amount_in": round(amount_in, 2),
            "amount_kept": round(_sum(clean, "amount"), 2),
            "amount_quarantined": round(_sum(quarantined, "_amount"), 2),
            # Rows whose amount could not be read (an amount, or the whole line): counted 0.
            "amount_unparsed_rows": int(quarantined.get_column("reason").is_in(
                ["unparseable_amount", "unparseable_line"]).sum()),
        })
    counts = quarantined.group_by("reason").len().sort("reason")
    reasons = {r: int(n) for r, n in counts.iter_rows()}
    if rows_merged:
        reasons["duplicate_customer"] = rows_merged
    entry["reasons"] = {r: reasons[r] for r in REASONS if r in reasons}
    entry.update(extra or {})
    entry["sources"] = raw.sources
    entry["encoding"] = ", ".join(sorted({s["encoding"] for s in raw.sources})) or None
    entry["ignored_columns"] = list(raw.ignored_columns)
    return entry


def engine_orders_entry(*, rows_in: int, rows_kept: int, cancelled: int, amount_in: float,
                        amount_kept: float, amount_quarantined: float,
                        read_on_engine: Mapping[str, Any], label: str, ignored: list[str],
                        extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The ledger entry of orders read on the engine (``sources.orders.engine``: no text, so
    nothing unparsed; the only rows set aside are the cancelled ones).

    ``read_on_engine`` says which engine read which source (and the columns); ``sources``
    lists the source with the rows read, as for a file.
    """
    entry: dict[str, Any] = {
        "rows_in": rows_in, "rows_kept": rows_kept, "rows_quarantined": cancelled,
        "rows_merged": 0, "amount_in": round(amount_in, 2), "amount_kept": round(amount_kept, 2),
        "amount_quarantined": round(amount_quarantined, 2), "amount_unparsed_rows": 0,
        "reasons": {"cancelled_order": cancelled} if cancelled else {},
        "read_on_engine": dict(read_on_engine),
    }
    entry.update(extra or {})
    entry["sources"] = [{"label": label, "encoding": f"{read_on_engine['engine']} engine",
                         "rows": rows_in}]
    entry["encoding"] = None
    entry["ignored_columns"] = list(ignored)
    return entry


def check_ledger(result: CleanResult) -> None:
    """Check that nothing was lost: rows and order amounts balance for every table.

    ``rows_in = rows_kept + rows_quarantined + rows_merged`` and, for orders,
    ``amount_in = amount_kept + amount_quarantined`` (amounts with returns negative,
    unparseable amounts counted as 0).

    Raises:
        DataError: naming the table and the difference.
    """
    for table, e in result.ledger.items():
        if not isinstance(e, Mapping):
            continue
        out = e["rows_kept"] + e["rows_quarantined"] + e["rows_merged"]
        if e["rows_in"] != out:
            raise DataError(f"ledger of {table} does not balance: {e['rows_in']} rows in, {out} "
                            f"accounted for (kept {e['rows_kept']}, quarantined "
                            f"{e['rows_quarantined']}, merged {e['rows_merged']}).")
        if "amount_in" in e:
            total = e["amount_kept"] + e["amount_quarantined"]
            if not math.isclose(e["amount_in"], total, abs_tol=0.01 + 1e-9 * abs(total)):
                raise DataError(f"ledger of {table} does not balance: amount in {e['amount_in']:.2f}"
                                f", kept + quarantined {total:.2f}.")
    lines, orders = result.ledger.get("order_lines"), result.ledger.get("orders")
    if isinstance(lines, Mapping) and isinstance(orders, Mapping):
        if lines["orders_built"] != orders["rows_in"] or not math.isclose(
                lines["amount_kept"], orders["amount_in"], abs_tol=0.005):
            raise DataError(f"ledger of order_lines does not balance with orders: "
                            f"{lines['orders_built']} orders built from lines with "
                            f"{lines['amount_kept']:.2f}, orders in {orders['rows_in']} with "
                            f"{orders['amount_in']:.2f}.")
    if set(result.tables) != set(TABLE_ORDER):
        raise DataError("clean result lacks table(s) "
                        f"{sorted(set(TABLE_ORDER) - set(result.tables))}.")
