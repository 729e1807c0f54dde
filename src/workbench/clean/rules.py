"""The business choices of cleaning (``cleaning:`` in ``workbench.yaml``) and the reason codes.

Reason codes are those of ``docs/architecture.md``; the row rules of this module
are written with the transaction model (:mod:`workbench.transactions`: what a
cancelled order, a return and a purchase are), never restated here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar, Literal

import polars as pl

from .. import transactions
from ..config import Config, ConfigError
from ..errors import UsageError
from ..ingest import DEFAULT_SUFFIXES, company_key
from ..periods import parse_date
from ..settings import Settings
from .dedupe_settings import check_dedupe

__all__ = ["DUPLICATE_KEYS", "REASONS", "TABLE_ORDER", "CleaningRules", "Rule", "amount_rules",
           "date_rules", "order_rules"]

REASONS = ("exact_duplicate", "duplicate_key", "duplicate_customer", "cancelled_order",
           "missing_customer_id", "unknown_customer", "future_date", "before_founded",
           "non_positive_amount", "unparseable_date", "unparseable_amount", "invalid_value",
           "unparseable_line")
TABLE_ORDER = ("customers", "orders", "visits", "complaints", "surveys")
#: The customer fields whose normalised values may identify one customer.
DUPLICATE_KEYS = ("phone", "email", "company")
_OUTLIER_KEYS = ("method", "threshold")

#: A row rule: (condition, reason code, detail expression).
Rule = tuple[pl.Expr, str, pl.Expr]


def _outliers_default() -> dict[str, Any]:
    return {"method": "mad", "threshold": 5.0}


@dataclass(frozen=True)
class CleaningRules(Settings):
    """The ``cleaning:`` section of ``workbench.yaml``, plus ``company.founded``.

    Attributes:
        duplicate_keys: customer fields whose normalised values identify one customer
            (any of :data:`DUPLICATE_KEYS`; ``[]`` merges nothing).
        outliers: ``{method: mad | none, threshold: k}``: orders whose log amount is above
            ``median + k * MAD`` are flagged ``is_outlier`` (never dropped).
        max_date: later dates are ``future_date``; None = the day of the run.
        check_founded: dates before :attr:`founded` are ``before_founded``.
        company_suffixes: extra legal-form suffixes ignored when comparing company names
            (besides :data:`workbench.ingest.DEFAULT_SUFFIXES`; see :attr:`suffixes`).
        dedupe, match_probability, review_band, chain_probability, placeholder_min_customers,
        never_merge, always_merge, linkage_backend, linkage_seed: how duplicate customers
            are found (``docs/dedupe.md``).
        founded: the company's founding date (``company.founded``, set by
            :meth:`from_config`; not a key of the ``cleaning:`` section).
    """

    SECTION: ClassVar[str] = "cleaning"
    MOVED: ClassVar[Mapping[str, str]] = {"founded": "company.founded"}

    duplicate_keys: tuple[str, ...] = DUPLICATE_KEYS
    outliers: Mapping[str, Any] = field(default_factory=_outliers_default)
    max_date: date | str | None = None
    check_founded: bool = True
    company_suffixes: tuple[str, ...] = ()
    # de-duplication (docs/dedupe.md; checked by .dedupe_settings.check_dedupe)
    dedupe: Literal["probabilistic", "exact"] = "probabilistic"
    match_probability: float = 0.95
    review_band: tuple[float, ...] = (0.6, 0.95)
    chain_probability: float = 0.995
    placeholder_min_customers: int = 5
    never_merge: tuple[tuple[str, ...], ...] = ()
    always_merge: tuple[tuple[str, ...], ...] = ()
    linkage_backend: Literal["duckdb", "spark"] = "duckdb"
    linkage_seed: int = 0
    founded: date | None = None

    def __post_init__(self) -> None:
        if isinstance(self.max_date, str):  # YAML may give the date as text
            try:
                object.__setattr__(self, "max_date", parse_date(self.max_date, "max_date"))
            except UsageError:
                self.fail("max_date", self.max_date, "a date (YYYY-MM-DD) or null")
        super().__post_init__()

    def check(self) -> None:
        check_dedupe(self)
        bad = [k for k in self.duplicate_keys if k not in DUPLICATE_KEYS]
        if bad:
            self.fail("duplicate_keys", bad,
                      f"any of {list(DUPLICATE_KEYS)} (or [] to merge nothing)")
        unknown = sorted(set(self.outliers) - set(_OUTLIER_KEYS))
        if unknown:
            self.fail("outliers", dict(self.outliers),
                      f"a mapping of {list(_OUTLIER_KEYS)}, e.g. {{method: mad, threshold: 5}}")
        if self.outlier_method not in ("mad", "none"):
            # The message names the key and value the way `workbench clean` always has.
            raise UsageError(f"{self.where('outliers.method')} '{self.outlier_method}' is not "
                             f"'mad' or 'none'.")
        k = self.outliers.get("threshold", 5.0)
        if isinstance(k, bool) or not isinstance(k, (int, float)) or not k > 0:
            self.fail("outliers.threshold", k, "a positive number")

    @property
    def outlier_method(self) -> str:
        """``mad`` (median + k * MAD on log amounts) or ``none``."""
        return str(self.outliers.get("method", "mad"))

    @property
    def outlier_threshold(self) -> float:
        """k for ``mad``."""
        return float(self.outliers.get("threshold", 5.0))

    @property
    def last_date(self) -> date | None:
        """:attr:`max_date` as a date (None: the day of the run)."""
        return self.max_date if isinstance(self.max_date, date) else None

    @property
    def first_date(self) -> date | None:
        """The earliest possible date: :attr:`founded` when :attr:`check_founded`."""
        return self.founded if self.check_founded else None

    @property
    def suffixes(self) -> tuple[str, ...]:
        """Every legal-form suffix ignored in company names, normalised, longest first."""
        extra = {company_key(str(s)) for s in self.company_suffixes}
        return tuple(sorted(set(DEFAULT_SUFFIXES) | extra - {""}, key=len, reverse=True))

    @classmethod
    def from_config(cls, cfg: Config) -> CleaningRules:
        """The rules of a loaded configuration: its ``cleaning:`` section (every key checked)
        and ``company.founded``.

        Raises:
            ConfigError: an unknown key or a bad value, named with its path.
        """
        try:
            rules = cls.from_mapping(cfg.section(cls.SECTION))
        except ConfigError:
            raise
        except UsageError as exc:  # the settings' error, as the configuration error it is
            raise ConfigError(str(exc)) from None
        return dataclasses.replace(rules, founded=cfg.founded if rules.check_founded else None)


def order_rules() -> list[Rule]:
    """The rules of orders before the date rules: cancelled orders are not transactions."""
    return [(transactions.is_cancelled(), "cancelled_order",
             pl.format("status cancelled (amount {})", pl.col("amount")))]


def amount_rules() -> list[Rule]:
    """The rules of order amounts, after the date rules.

    A kept order is a purchase or a return *labelled* ``returned`` with an amount: an
    amount of 0, or a negative amount without the return label (the transaction model
    would read it as a return, but the export does not say so), is ``non_positive_amount``.
    """
    labelled_return = pl.col("status") == "returned"
    return [
        (~transactions.is_purchase() & ~labelled_return, "non_positive_amount",
         pl.format("amount {} with status {}", pl.col("amount"), pl.col("status"))),
        (labelled_return & (pl.col("amount") == 0), "non_positive_amount",
         pl.lit("return with amount 0")),
    ]


def date_rules(df: pl.DataFrame, table: str, rules: CleaningRules, today: date) -> list[Rule]:
    """``future_date`` and ``before_founded`` on the table's date column
    (:data:`workbench.transactions.DATE_COLUMNS`)."""
    col = transactions.DATE_COLUMNS[table]
    d = pl.col(col).cast(pl.Date) if df.schema[col] != pl.Date else pl.col(col)
    max_date = rules.last_date or today
    out: list[Rule] = [(d > max_date, "future_date",
                        pl.format(f"{col} {{}} is after {max_date.isoformat()}", pl.col(col)))]
    founded = rules.first_date
    if founded is not None:
        out.append((d < founded, "before_founded",
                    pl.format(f"{col} {{}} is before the company was founded "
                              f"({founded.isoformat()})", pl.col(col))))
    return out
