# The package's names: what ``__init__.py`` loads on first use (lazy_loader.attach_stub)
# and what type checkers read.
from . import fresh
from .dedupe import M_SCHEMA, find_duplicate_customers, merge_customers
from .evaluate import find_truth, merge_accuracy, review_sheet
from .features import DEFAULT_SUFFIXES, normalize_company, normalize_email, normalize_phone
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
