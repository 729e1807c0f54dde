"""Before a period's notebooks run: is there anything to analyse, and if not, why not.

Degenerate data (every order cancelled, every order for a customer the archive does not
know, an empty customer file, a period before the first order) used to surface in step 02
as "no customer has a purchase ...; choose a later as_of date", which is the right advice
only for the last case.  :func:`check_period` names the real cause with the cleaning
ledger's counts and top reasons (``<processed>/ledger.json``) and raises
:class:`~workbench.errors.DataError` (exit code 3) before any notebook runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from .. import config as config_mod
from .. import transactions
from ..errors import DataError
from ..periods import period_of

__all__ = ["REASON_ADVICE", "check_period", "top_reasons"]

#: What a quarantine reason usually means for an export, and what to do about it.
REASON_ADVICE: dict[str, str] = {
    "cancelled_order": "the export holds only cancelled orders: export completed and returned "
                       "orders too (check the export's status filter)",
    "unknown_customer": "their customer ids are not in the customer file: export the customer "
                        "archive that matches these orders (same system, same date)",
    "missing_customer_id": "the orders carry no customer id: map the column holding it "
                           "(sources.orders.columns)",
    "future_date": "their dates lie after cleaning.max_date (default: today): check the date "
                   "format (sources.orders.date_format) or cleaning.max_date",
    "before_founded": "their dates lie before company.founded: check company.founded or the "
                      "date format (sources.orders.date_format)",
    "unparseable_date": "their dates cannot be read: set sources.orders.date_format",
    "unparseable_amount": "their amounts cannot be read: check the amount column and its format",
    "non_positive_amount": "their amounts are zero or negative without a return status",
    "exact_duplicate": "they repeat other rows",
    "duplicate_key": "they repeat the order id of other rows",
    "invalid_value": "a value is not one the canonical table allows",
}


def top_reasons(entry: Mapping[str, Any], n: int = 3) -> list[tuple[str, int]]:
    """The ``n`` most frequent quarantine reasons of a ledger entry, largest first."""
    reasons = entry.get("reasons") or {}
    return sorted(((str(r), int(c)) for r, c in reasons.items() if c),
                  key=lambda rc: (-rc[1], rc[0]))[:n]


def _reasons_text(entry: Mapping[str, Any]) -> str:
    total = int(entry.get("rows_in") or 0)
    parts = [f"{r} {c:,}" + (f" ({c / total:.0%})" if total else "")
             for r, c in top_reasons(entry)]
    return ", ".join(parts) or "no reason recorded"


def _source(cfg: config_mod.Config, table: str) -> str:
    spec = cfg.sources.get(table)
    return spec.label if spec is not None else f"sources.{table} (not configured)"


def _no_orders(cfg: config_mod.Config, ledger: Mapping[str, Any], path: Path) -> str:
    where = f"the cleaning ledger {Path(cfg.processed_dir) / 'ledger.json'}"
    orders = ledger.get("orders")
    if not isinstance(orders, Mapping):
        return (f"{path} holds no orders and there is no cleaning ledger to say why; run "
                f"`workbench clean` (or the report without skipping the cleaning).")
    rows_in = int(orders.get("rows_in") or 0)
    if rows_in == 0:
        return (f"the orders source {_source(cfg, 'orders')} has no data rows (an empty export or "
                f"only a header), so there is nothing to analyse. Re-export the orders.")
    msg = (f"none of the {rows_in:,} orders read from {_source(cfg, 'orders')} survived "
           f"cleaning; quarantined: {_reasons_text(orders)} ({where}; the rows are in "
           f"{Path(cfg.processed_dir) / 'quarantine.parquet'}).")
    top = top_reasons(orders, 1)
    reason = top[0][0] if top else ""
    customers = ledger.get("customers")
    if reason == "unknown_customer" and isinstance(customers, Mapping) and \
            not int(customers.get("rows_kept") or 0):
        c_in = int(customers.get("rows_in") or 0)
        detail = ("it has no data rows" if c_in == 0 else
                  f"none of its {c_in:,} rows was kept (quarantined: {_reasons_text(customers)})")
        return (f"{msg} The customer file {_source(cfg, 'customers')} is empty for the "
                f"workbench: {detail}, so no order can be matched to a customer. Export the "
                f"customer archive (sources.customers) and run again.")
    if reason in REASON_ADVICE:
        kept = ""
        if reason == "unknown_customer" and isinstance(customers, Mapping):
            kept = f" ({int(customers.get('rows_kept') or 0):,} customers kept)"
        return f"{msg} Most of them: {REASON_ADVICE[reason]}{kept}."
    return msg


def check_period(cfg: config_mod.Config, as_of: date, ledger: Mapping[str, Any],
                 settings: transactions.TransactionSettings | None = None) -> None:
    """Raise DataError naming the real cause when no customer has a purchase at ``as_of``.

    Checks, in order: clean orders exist; at least one survived cleaning (else the ledger's
    counts and top reasons, with advice for the top one); at least one is dated on or before
    ``as_of`` (else the range of order dates and the first period with data); at least one
    of those is a purchase.
    """
    path = Path(cfg.processed_dir) / "orders.parquet"
    if not path.is_file():
        raise DataError(f"{path} does not exist; run `workbench clean` (or the report without "
                        f"skipping the cleaning) to produce the clean tables.")
    orders = pl.scan_parquet(path)
    span = orders.select(pl.len().alias("n"), pl.col("order_date").min().alias("first"),
                         pl.col("order_date").max().alias("last")).collect().row(0, named=True)
    if not span["n"]:
        raise DataError(_no_orders(cfg, ledger, path))
    first, last = span["first"], span["last"]
    first_day = first.date() if hasattr(first, "date") else first
    if first_day > as_of:
        raise DataError(
            f"no order is dated on or before the as-of date {as_of}: the {span['n']:,} clean "
            f"orders run from {first_day} to {last.date() if hasattr(last, 'date') else last}. "
            f"Choose a period from {period_of(first_day)} on (e.g. --period "
            f"{period_of(first_day)}).")
    log = transactions.transactions(transactions.as_of_filter(orders, "orders", as_of), as_of,
                                    settings or transactions.TransactionSettings())
    kinds = dict(log.group_by("kind").agg(pl.len()).collect().iter_rows())
    if not kinds.get("purchase"):
        known = sum(kinds.values())
        raise DataError(
            f"none of the {known:,} transactions known at {as_of} is a purchase "
            f"(returns: {kinds.get('return', 0):,}, other: {kinds.get('other', 0):,}), so no "
            f"customer can be tiered, valued or scored. Check the orders' amounts and status "
            f"in {_source(cfg, 'orders')}, or choose a later period.")
