"""Cleaning: reason-coded rules, customer de-duplication, quarantine and a balancing ledger.

The pure core is :func:`clean_tables` (text tables in, clean tables + quarantine +
merge log + ledger out); :func:`run` adds the I/O around it (read the configured
sources, write ``data/processed/`` atomically as a set).  Nothing is lost: every
raw row ends in a clean table, in the quarantine (with a reason code from
``docs/architecture.md``) or in the merge log, and the run fails with
:class:`~workbench.errors.DataError` when the ledger does not balance.

What a cancelled order, a return and a signed amount are is the transaction model's
(:mod:`workbench.transactions`); cleaning applies it to the raw exports.

Modules, one concept each:

- :mod:`.rules`: :class:`CleaningRules` (``cleaning:`` in ``workbench.yaml``), the reason
  codes and the row rules;
- :mod:`.quarantine`: the drop masks (rules, duplicates) and the quarantined records;
- :mod:`.dedupe`: duplicate customers, the merge log, re-pointed ids;
- :mod:`.outliers`: ``is_outlier``;
- :mod:`.ledger`: :class:`CleanResult`, the ledger and its check;
- :mod:`.pipeline`: :func:`clean_tables`, :func:`run`, :func:`write_outputs`, :func:`load_outputs`;
- :mod:`.fresh`: the fingerprint of what a cleaning read, and whether the tables on disk
  are still those the inputs give (the report then reuses them);
- :mod:`.present`: tables and sentences for a reader (:func:`narrative`, :func:`key_results`,
  :func:`localize`).
"""

from __future__ import annotations

from ..ingest import DEFAULT_SUFFIXES, normalize_company, normalize_email, normalize_phone
from . import fresh
from .dedupe import M_SCHEMA, find_duplicate_customers, merge_customers
from .evaluate import find_truth, merge_accuracy, review_sheet
from .ledger import CleanResult, amount_by_reason, check_ledger, raw_signed_amounts
from .outliers import outlier_flags
from .pipeline import OUTPUT_FILES, clean_tables, load_outputs, run, write_outputs
from .present import (
    dedupe_text,
    format_ledger,
    key_results,
    label,
    ledger_frame,
    localize,
    merges_frame,
    narrative,
    orders_note,
    quarantine_examples,
    reasons_frame,
    sources_frame,
    summary_text,
)
from .quarantine import Q_SCHEMA, repeated_values
from .rules import DUPLICATE_KEYS, REASONS, TABLE_ORDER, CleaningRules

__all__ = [
    "fresh",
    "dedupe_text",
    "find_truth",
    "merge_accuracy",
    "review_sheet",
    "DEFAULT_SUFFIXES",
    "DUPLICATE_KEYS",
    "M_SCHEMA",
    "OUTPUT_FILES",
    "Q_SCHEMA",
    "REASONS",
    "TABLE_ORDER",
    "CleanResult",
    "CleaningRules",
    "amount_by_reason",
    "check_ledger",
    "clean_tables",
    "find_duplicate_customers",
    "format_ledger",
    "key_results",
    "label",
    "ledger_frame",
    "load_outputs",
    "localize",
    "merge_customers",
    "merges_frame",
    "narrative",
    "normalize_company",
    "normalize_email",
    "normalize_phone",
    "orders_note",
    "outlier_flags",
    "quarantine_examples",
    "raw_signed_amounts",
    "reasons_frame",
    "repeated_values",
    "run",
    "sources_frame",
    "summary_text",
    "write_outputs",
]
