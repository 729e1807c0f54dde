"""The run context shared by every notebook: configuration, as-of date, output folder, language.

A notebook's ``parameters`` cell holds plain values (``config_path``, ``as_of``,
``results_dir``, ``lang``, ``show_pii``); :func:`resolve` turns them into a
:class:`Context` with every default filled in, so a notebook run by hand, by
nbval or by the report runner behaves the same way given the same values.
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import narwhals as nw
import polars as pl

from . import config as config_mod
from . import engine, io, schema, transactions
from .errors import DataError, UsageError
from .periods import (
    last_complete_month_end,
    month_end,
    parse_date,
    period_bounds,
    period_of,
)
from .sources import ENGINE_SOURCE_KEY
from .transactions import DATE_COLUMNS, TransactionSettings

# month_end, last_complete_month_end, period_of, period_bounds and DATE_COLUMNS live in
# workbench.periods and workbench.transactions; they are re-exported here for notebooks.
#: The environment variable ``workbench report --engine`` sets for the notebooks it runs.
ENGINE_VAR = engine.ENGINE_VAR

__all__ = ["DATE_COLUMNS", "ENGINE_VAR", "Context", "engine_settings", "last_complete_month_end",
           "load_processed", "month_end", "parse_date", "period_bounds", "period_of", "resolve",
           "scan_processed"]

def engine_settings(cfg: config_mod.Config, name: str | None = None) -> engine.EngineSettings:
    """The engine of the transaction-level work: ``name`` (``workbench report --engine``),
    else ``$WORKBENCH_ENGINE`` (which the report sets for its notebooks), else the
    configuration's ``engine.name``; an unknown name is a usage error
    (:func:`workbench.engine.chosen`, which the cleaning uses too)."""
    return engine.chosen(cfg.section("engine"), name)


@functools.cache
def _scratch_dir() -> Path:
    """A folder of this process for the files an engine writes for the driver to scan,
    removed when the process exits (made on first use)."""
    folder = Path(tempfile.mkdtemp(prefix="workbench-"))
    atexit.register(shutil.rmtree, folder, True)
    return folder


def load_processed(processed_dir: Path, table: str, as_of: date | None = None,
                   columns: Sequence[str] | None = None) -> pl.DataFrame:
    """Read one clean canonical table from ``processed_dir``, keeping rows dated on or before
    ``as_of`` (:func:`scan_processed`, collected)."""
    return scan_processed(processed_dir, table, as_of, columns).collect()


def scan_processed(processed_dir: Path, table: str, as_of: date | None = None,
                   columns: Sequence[str] | None = None) -> pl.LazyFrame:
    """One clean canonical table of ``processed_dir`` as a lazy scan: the rows dated on or
    before ``as_of``; nothing is read until a query runs.

    ``columns``: only those of these columns the file has (a canonical table's optional
    columns may be absent; a step checks the ones it requires), in the file's order; the
    table's date column is read for the as-of bound and kept only when asked for.
    """
    path = _clean_table(processed_dir, table)
    lf = pl.scan_parquet(path)
    if columns is None:
        return transactions.as_of_filter(lf, table, as_of)
    wanted = set(columns)
    keep = [c for c in lf.collect_schema().names() if c in wanted]
    date_col = DATE_COLUMNS.get(table)
    if as_of is None or date_col is None or date_col in keep:
        return transactions.as_of_filter(lf.select(keep), table, as_of)
    return transactions.as_of_filter(lf, table, as_of).select(keep)


def _clean_table(processed_dir: Path, table: str) -> Path:
    """The path of a clean canonical table; it must exist (the error says to run the cleaning)."""
    schema.get(table)
    path = Path(processed_dir) / f"{table}.parquet"
    if not path.is_file():
        raise DataError(
            f"{path} does not exist; run `workbench clean` (or the report) to produce the clean tables."
        )
    return path


@dataclass(frozen=True)
class Context:
    """Everything a notebook needs to know about its run."""

    cfg: config_mod.Config
    as_of: date
    results_dir: Path
    lang: str
    show_pii: bool

    @property
    def processed_dir(self) -> Path:
        return self.cfg.processed_dir

    @property
    def period(self) -> str:
        return period_of(self.as_of)

    @property
    def currency(self) -> str:
        """The company's currency code (``company.currency``), for :mod:`workbench.formatting`."""
        return self.cfg.currency

    @property
    def engine_settings(self) -> engine.EngineSettings:
        """The engine of the transaction-level work (:func:`engine_settings`: ``engine:`` in
        ``workbench.yaml``; ``workbench report --engine`` sets ``$WORKBENCH_ENGINE``, which wins)."""
        return engine_settings(self.cfg)

    @property
    def transaction_settings(self) -> TransactionSettings:
        """The house's outlier policy (``transactions:`` in ``workbench.yaml``)."""
        return TransactionSettings.from_mapping(self.cfg.section("transactions"))

    def transactions(self, as_of: date | None = None) -> pl.LazyFrame:
        """The transaction log known at the as-of date (:func:`workbench.transactions.transactions`);
        built on the engine when one is configured or the orders come from the engine
        (``sources.orders.engine``), from the clean ``orders.parquet`` otherwise.  Lazy: on
        polars a query over the orders' scan; from an engine a scan of the log the engine
        wrote, sorted by customer, day and order id, to a Parquet file of a scratch folder
        removed when the process exits."""
        day = as_of or self.as_of
        settings = self.engine_settings
        if settings.name == "polars" and self._engine_source is None:
            # scanned: the log's columns are read when the caller collects it
            orders = self.scan("orders", day, transactions.ORDER_COLUMNS)
            return transactions.transactions(orders, day,
                                             self.transaction_settings)
        # Written by the engine (sorted there, streamed to one Parquet file of the run's
        # scratch folder) and scanned: the driver never holds the whole log.
        path = _scratch_dir() / f"transactions-{day.isoformat()}-{uuid.uuid4().hex[:8]}.parquet"
        with engine.open_engine(settings) as eng:
            log = self._engine_log(eng, day)
            keys = [c for c in ("customer_id", "day", "order_id")
                    if c in log.collect_schema().names()]
            eng.write_parquet(log.sort(keys), path)
        return pl.scan_parquet(path)

    def rfm_summary(self, as_of: date | None = None) -> pl.DataFrame:
        """Per-customer frequency, recency, T and monetary value at the as-of date, in days,
        computed on the configured engine (:func:`workbench.engine.rfm_summary`)."""
        day = as_of or self.as_of
        with engine.open_engine(self.engine_settings) as eng:
            log = self._engine_log(eng, day)
            return engine.rfm_summary(engine.purchases(log), observation_period_end=day)

    @property
    def _engine_source(self) -> dict[str, Any] | None:
        """``sources.orders.engine`` (clean orders the engine reads), or None."""
        spec = self.cfg.sources.get("orders")
        return dict(spec.engine) if spec is not None and spec.engine is not None else None

    def _engine_log(self, eng: engine.Engine, day: date) -> Any:
        """The transaction log at ``day`` on the open engine (never collected on the driver),
        read there from ``sources.orders.engine`` when the configuration names it, else
        from the clean ``orders.parquet``."""
        source = self._engine_source
        if source is None:
            orders = engine.read_orders(eng, self._table_path("orders"))
        else:
            orders = self._orders_on_engine(eng, source)
        return engine.transactions(orders, day, self.transaction_settings)

    def _orders_on_engine(self, eng: engine.Engine, source: dict[str, Any]) -> Any:
        """The orders of ``sources.orders.engine`` as the cleaning accounted for them: the
        canonical columns, the merged customers' ids re-pointed (the cleaning's merge log);
        the source must still hold the rows the cleaning read (its ledger), else the rooms'
        copy (``orders.parquet``) would not be the orders the engine reads."""
        ledger_path = Path(self.processed_dir) / "ledger.json"
        entry = (json.loads(ledger_path.read_text(encoding="utf-8")).get("orders")
                 if ledger_path.is_file() else None)
        if not isinstance(entry, dict) or "read_on_engine" not in entry:
            raise DataError(f"{ENGINE_SOURCE_KEY} is configured but the clean tables in "
                            f"{self.processed_dir} were not cleaned from it; run `workbench "
                            f"clean` (or the report) first.")
        orders = engine.canonical_orders(eng, source).frame
        rows = int(engine.to_polars(orders.select(nw.len().alias("n"))).item())
        if rows != entry["rows_in"]:
            raise DataError(f"{ENGINE_SOURCE_KEY} now holds {rows:,} orders, the cleaning read "
                            f"{entry['rows_in']:,} ({ledger_path}); run `workbench clean` (or the "
                            f"report with cleaning) again so that every step reads the same orders.")
        merges = Path(self.processed_dir) / "merge_log.parquet"
        if merges.is_file():
            # the cleaning's own reading of its merge log (loaded only for engine sources)
            from .clean.engine_orders import id_map

            orders = engine.repoint(eng, orders, id_map(pl.read_parquet(merges)))
        return orders

    def _table_path(self, table: str) -> Path:
        """The clean table's path; the error says whether the configuration has no source
        for it or the cleaning has not run."""
        path = Path(self.processed_dir) / f"{table}.parquet"
        if not path.is_file() and table in schema.TABLES and table not in self.cfg.sources:
            raise DataError(
                f"this needs the {table} table, and the configuration has no source for it "
                f"({self.cfg.path or 'workbench.yaml'} sources.{table}); add the {table} export "
                f"there to include it.")
        return _clean_table(self.processed_dir, table)

    def require(self, tables: Sequence[str]) -> None:
        """Check, before any work, that every table of ``tables`` has a clean file: the
        error of the first that has none (:meth:`load`'s: no source configured, or the
        cleaning has not run), so a step that needs it stops at once."""
        for table in tables:
            self._table_path(table)

    def load(self, table: str, as_of: date | None = None,
             columns: Sequence[str] | None = None) -> pl.DataFrame:
        """A clean canonical table, restricted to what was known at the as-of date;
        ``columns``: only those of them the table has (:func:`load_processed`).

        Raises:
            DataError: the clean table does not exist; the message says whether the
                configuration has no source for it or the cleaning has not run.
        """
        self._table_path(table)
        return load_processed(self.processed_dir, table, as_of or self.as_of, columns)

    def scan(self, table: str, as_of: date | None = None,
             columns: Sequence[str] | None = None) -> pl.LazyFrame:
        """:meth:`load` as a lazy scan (:func:`scan_processed`): each query reads the file,
        so a step that builds its own tables from it never holds the table whole."""
        self._table_path(table)
        return scan_processed(self.processed_dir, table, as_of or self.as_of, columns)

    def loader(self, reads: Mapping[str, Sequence[str]] | None = None,
               as_of: date | None = None,
               lazy: Sequence[str] = ()) -> Callable[[str], pl.DataFrame | pl.LazyFrame]:
        """:meth:`load` as a function of the table's name, for a room that reads several
        tables: ``reads`` maps a table to the columns the room reads of it (a room's
        ``READS``; a table it does not name is read whole), ``as_of`` the day (default the
        context's), ``lazy`` the tables given as lazy scans (:meth:`scan`) instead.  At
        millions of orders, reading only the order columns a room uses keeps the other
        columns (order ids, categories, channels, quantities) out of its memory, and a
        room that builds its transaction log from the orders (the segmentation) reads them
        lazily, so they are never held beside the log."""
        reads = dict(reads or {})
        scanned = set(lazy)

        def load(table: str) -> pl.DataFrame | pl.LazyFrame:
            read = self.scan if table in scanned else self.load
            return read(table, as_of, reads.get(table))
        return load

    def load_optional(self, table: str, as_of: date | None = None) -> pl.DataFrame | None:
        """Like :meth:`load`, but None when the table has no clean file (no source is
        configured, or the cleaning did not write it): for inputs an analysis can do
        without, such as surveys for the tiers' NPS indicator."""
        if not (Path(self.processed_dir) / f"{table}.parquet").is_file():
            schema.get(table)
            return None
        return self.load(table, as_of)

    def result_path(self, name: str) -> Path:
        """Where a step's per-customer output lives: ``<results_dir>/<name>.parquet``."""
        return self.results_dir / f"{name}.parquet"


def default_as_of(processed_dir: Path) -> date:
    """The end of the last complete month of order data in ``processed_dir``."""
    path = Path(processed_dir) / "orders.parquet"
    if not path.is_file():
        raise DataError(
            f"{path} does not exist, so the as-of date cannot be chosen; run `workbench clean` "
            f"first or pass as_of."
        )
    last = pl.scan_parquet(path).select(pl.col("order_date").max()).collect().item()
    if last is None:
        raise DataError(f"{path} holds no orders; the as-of date cannot be chosen.")
    return last_complete_month_end(last)


def resolve(config_path: str | os.PathLike[str] | None = None, as_of=None, results_dir=None,
            lang: str | None = None, show_pii: bool | None = None) -> Context:
    """Fill in the defaults of a notebook's parameters.

    - ``config_path``: None reads ``$WORKBENCH_CONFIG`` or the nearest ``workbench.yaml``.
    - ``as_of``: None is the end of the last complete month in the clean orders.
    - ``results_dir``: None is ``<processed>/<as_of>/``.
    - ``lang`` / ``show_pii``: None takes the configuration's ``report`` section.
    """
    cfg = config_mod.load(config_path)
    day = parse_date(as_of, "as_of") if as_of else default_as_of(cfg.processed_dir)
    out = Path(results_dir) if results_dir else cfg.processed_dir / day.isoformat()
    io.ensure_folder(out)  # never re-creates the staging folder of a stopped run
    language = lang or cfg.lang
    if language not in ("zh", "en"):
        raise UsageError(f"lang '{language}' is not supported; use 'zh' or 'en'.")
    return Context(cfg=cfg, as_of=day, results_dir=out, lang=language,
                   show_pii=cfg.show_pii if show_pii is None else bool(show_pii))
