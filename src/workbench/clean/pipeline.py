"""The cleaning pipeline: :func:`clean_tables` (pure: text tables in, clean tables,
quarantine, merge log and a balancing ledger out) and :func:`run` (read the configured
sources, clean, write ``data/processed/`` atomically as a set).

Each table goes through, in this order (the first rule that matches a row gives its
reason; ``docs/cleaning.md`` lists them):

0. reading: a CSV line that cannot be split into fields is ``unparseable_line``
   (:mod:`workbench.ingest.scan`; a row read, with its raw text);
1. parsing (:func:`workbench.ingest.coerce`): ``missing_customer_id``,
   ``unparseable_date``, ``unparseable_amount``, ``invalid_value``;
2. ``exact_duplicate``, then ``duplicate_key`` (:func:`.quarantine.duplicate_mask`);
3. orders: ``cancelled_order`` (:func:`workbench.transactions.is_cancelled`);
4. ``future_date`` and ``before_founded`` (:func:`.rules.date_rules`);
5. orders: ``non_positive_amount`` (:func:`.rules.amount_rules`); returns are kept with
   their amount signed by :func:`workbench.transactions.signed_amount`;
6. customers: duplicates merged into the earliest signup (:mod:`.dedupe`);
7. the other tables: ids of merged customers re-pointed, ``unknown_customer``;
8. orders: ``is_outlier`` (:mod:`.outliers`).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from .. import io as wio
from .. import schema, transactions
from ..config import Config, ConfigError
from ..engine import EngineSettings, chosen, open_engine
from ..errors import DataError
from ..ingest import LINE, SOURCE, RawTable, coerce, from_frame, read_sources, select_rows
from . import engine_orders, fresh
from .dedupe import M_SCHEMA, R_SCHEMA, dedupe_customers, repoint
from .derived import customers_from_orders
from .ledger import CleanResult, check_ledger, ledger_entry, raw_signed_amounts
from .lines import BuiltOrders, build_orders, clean_lines
from .outliers import outlier_flags
from .quarantine import Q_SCHEMA, apply_rules, duplicate_mask, quarantine_rows, repeated_values
from .rules import TABLE_ORDER, CleaningRules, Rule, amount_rules, date_rules, order_rules

__all__ = ["OUTPUT_FILES", "clean_tables", "load_outputs", "run", "write_outputs"]

OUTPUT_FILES = tuple(f"{t}.parquet" for t in TABLE_ORDER) + (
    "order_lines.parquet", "quarantine.parquet", "merge_log.parquet", "review_pairs.parquet", "ledger.json")


def _kept(df: pl.DataFrame, names: list[str], drop: pl.Series) -> pl.DataFrame:
    """The columns ``names`` of the rows not dropped.

    Built from the columns themselves: an eager ``select`` would first copy every column of
    a table whose columns are split into different chunks (as parsing leaves them).
    """
    out = pl.DataFrame([df.get_column(c) for c in names])
    return out.filter(~drop) if drop.any() else out


def _as_raw(value: RawTable | pl.DataFrame, table: str) -> RawTable:
    if isinstance(value, RawTable):
        return value
    if isinstance(value, pl.DataFrame):
        return from_frame(value, table)
    raise TypeError(f"clean_tables: raw['{table}'] must be a RawTable or a polars DataFrame, "
                    f"got {type(value).__name__}")


def _empty_raw(table: str) -> RawTable:
    cols = {c: pl.String for c in schema.get(table).names}
    return RawTable(table=table, frame=pl.DataFrame(schema={**cols, SOURCE: pl.String,
                                                            LINE: pl.Int64}))


def _with_unparseable(built: BuiltOrders, rt: RawTable) -> BuiltOrders:
    """The lines of a line-level source that could not be parsed are order lines read and
    quarantined (``unparseable_line``, amount 0) in the ``order_lines`` ledger."""
    bad = rt.unparseable
    if bad is None or bad.height == 0:
        return built
    q = pl.concat([built.quarantine, bad.with_columns(pl.lit(0.0).alias("_amount"))],
                  how="diagonal_relaxed").sort([SOURCE, LINE])
    ledger = dict(built.ledger)
    ledger["rows_in"] += bad.height
    ledger["rows_quarantined"] += bad.height
    ledger["reasons"] = {**ledger["reasons"],
                         "unparseable_line": ledger["reasons"].get("unparseable_line", 0)
                         + bad.height}
    return BuiltOrders(orders=built.orders, lines=built.lines, quarantine=q, ledger=ledger)


@dataclass
class _Work:
    """One table on its way through :func:`clean_tables`."""

    table: str
    raw: RawTable
    typed: pl.DataFrame
    drop: pl.Series  # rows quarantined so far
    q: list[pl.DataFrame]  # their source, line, reason, detail
    pending: list[Rule]  # rules still to apply
    extra: dict[str, Any] = field(default_factory=dict)
    amount_in: float = 0.0
    clean: pl.DataFrame | None = None
    rows_merged: int = 0
    merge_log: pl.DataFrame | None = None
    id_map: pl.DataFrame | None = None
    review: pl.DataFrame | None = None  # customers: the de-duplication's review queue


def _prepare(table: str, rt: RawTable, rules: CleaningRules, today: date,
             spark: Any = None) -> _Work:
    """What a table needs of no other table: types, duplicates and its own rules (all of
    them for customers, which then also merges its duplicates)."""
    key = schema.get(table).key
    with ThreadPoolExecutor(max_workers=1) as side:
        # Identifiers are text, the same before and after coercion: which ones repeat is
        # worked out while the other columns are parsed.
        repeated = (side.submit(repeated_values, rt.frame.get_column(key))
                    if key in rt.frame.columns else None)
        co = coerce(rt)
        typed = co.typed
        repeated_ids = repeated.result() if repeated is not None else None
    q: list[pl.DataFrame] = []
    w = _Work(table, rt, typed, ~co.ok, q, [])
    if table == "orders":
        fields = co.failed.select(
            pl.col("record").str.json_path_match("$.amount").alias("a"),
            pl.col("record").str.json_path_match("$.status").alias("s"))
        failed_amount = float(raw_signed_amounts(fields.get_column("a"),
                                                 fields.get_column("s")).sum())
        parsed = (typed.lazy().select(pl.when(pl.lit(co.ok)).then(transactions.signed_amount())
                                      .sum()).collect().item() if typed.height else None)
        w.amount_in = float(parsed or 0.0) + failed_amount
    if co.failed.height:
        q.append(co.failed.select(SOURCE, LINE, "reason", "detail"))
    # Rows are not copied rule by rule: each step adds to one drop mask, and the table is
    # filtered once at the end.
    w.drop = duplicate_mask(typed, table, w.drop, q, repeated_ids)
    if table == "orders":
        w.pending += order_rules()
    w.pending += date_rules(typed, table, rules, today)
    if table == "orders":
        w.pending += amount_rules()
    if table == "customers":
        w.drop = apply_rules(typed, w.pending, w.drop, q)
        w.pending = []
        df = typed.filter(~w.drop) if w.drop.any() else typed
        dd = dedupe_customers(df, rules, spark=spark)  # docs/dedupe.md
        df, log, w.id_map, w.review = dd.kept, dd.merge_log, dd.id_map, dd.review
        w.extra["dedupe"] = dd.info
        w.merge_log, w.rows_merged = log, log.height
        w.clean = pl.DataFrame([df.get_column(c) for c in schema.get(table).names])
    return w


def _apply(w: _Work, customers: _Work) -> None:
    """The rules left (ids of merged customers re-pointed, unknown customers), then the
    clean table (orders: returns signed by the transaction model)."""
    names = schema.get(w.table).names
    if w.clean is not None:
        return
    if "customer_id" in names:
        assert customers.clean is not None and customers.id_map is not None
        typed, moved = repoint(w.typed, customers.id_map)
        known = customers.clean.get_column("customer_id")
        w.pending.append((~pl.col("customer_id").is_in(known.implode()), "unknown_customer",
                          pl.format("customer_id '{}' is not in the clean customer archive",
                                    pl.col("customer_id"))))
        w.typed = typed
        w.drop = apply_rules(typed, w.pending, w.drop, w.q)
        w.extra["repointed"] = int((moved & ~w.drop).sum()) if moved is not None else 0
    else:
        w.drop = apply_rules(w.typed, w.pending, w.drop, w.q)
    df = _kept(w.typed, names, w.drop)
    if w.table != "orders":
        w.clean = df
        return
    amounts = select_rows(df, [
        transactions.signed_amount().alias("amount"),
        (transactions.is_return() & (pl.col("amount") > 0)).alias("negated")])
    w.extra["returns_negated"] = int(amounts.get_column("negated").sum())
    w.clean = pl.DataFrame([amounts.get_column("amount") if c == "amount"
                            else df.get_column(c) for c in names])


def _flag_outliers(w: _Work, rules: CleaningRules) -> None:
    """Orders: add ``is_outlier`` to the clean table."""
    assert w.clean is not None
    flags = outlier_flags(w.clean, rules.outlier_method, rules.outlier_threshold)
    w.clean = w.clean.hstack([flags])
    w.extra["outliers"] = int(flags.sum())


def clean_tables(raw: Mapping[str, RawTable | pl.DataFrame], rules: CleaningRules | None = None,
                 today: date | None = None, spark: Any = None) -> CleanResult:
    """Clean the five canonical tables (pure: no disk access).

    The tables are worked on side by side in threads (polars releases the GIL): each
    table's types, duplicates and own rules first; then, once the customer archive is
    clean, the rules that need it; then each table's quarantine and ledger entry.

    Args:
        raw: text tables from :func:`workbench.ingest.read_sources` (or polars DataFrames,
            wrapped with :func:`workbench.ingest.from_frame`); absent tables are empty.
        rules: business choices (default :class:`CleaningRules`).
        today: the run date, used when ``rules.max_date`` is None (default: today).
        spark: a Spark session for the customer linkage (``cleaning.linkage_backend: spark``).

    Returns:
        A :class:`CleanResult` whose ledger balances (checked by :func:`check_ledger`).

    Raises:
        DataError: the ledger does not balance (a bug: no row may be lost).
    """
    rules = rules or CleaningRules()
    today = today or date.today()
    unknown = set(raw) - set(TABLE_ORDER)
    if unknown:
        raise DataError(f"clean_tables: unknown table(s) {sorted(unknown)}; the canonical "
                        f"tables are {', '.join(TABLE_ORDER)}.")
    raws = {t: _as_raw(raw[t], t) if t in raw else _empty_raw(t) for t in TABLE_ORDER}
    # A line-level orders source becomes orders here (its lines have their own ledger); with
    # no customer source the archive is derived from the orders (only orders are required).
    built: BuiltOrders | None = None
    if raws["orders"].order_key is not None:
        built = _with_unparseable(build_orders(raws["orders"]), raws["orders"])
        raws["orders"] = built.orders
    derived = "customers" not in raw and "orders" in raw
    if derived:
        raws["customers"] = customers_from_orders(raws["orders"])
    absent = [t for t in TABLE_ORDER if t not in raw and not (t == "customers" and derived)]
    with ThreadPoolExecutor(max_workers=max(2, min(len(TABLE_ORDER), os.cpu_count() or 1))) \
            as pool:
        # Every _prepare is queued before any `rest`, so a `rest` waiting for its table's
        # _prepare never waits for a task that no worker has taken.
        prep = {t: pool.submit(_prepare, t, raws[t], rules, today, spark) for t in TABLE_ORDER}
        customers = prep["customers"].result()

        def rest(table: str) -> tuple[pl.DataFrame, pl.DataFrame, dict[str, Any]]:
            w = prep[table].result()
            _apply(w, customers)
            with ThreadPoolExecutor(max_workers=1) as side:
                quarantined = side.submit(quarantine_rows, table, w.raw, w.q)
                if table == "orders":
                    _flag_outliers(w, rules)
                qdf = quarantined.result()
            assert w.clean is not None
            entry = ledger_entry(table, w.raw, w.clean, qdf, w.rows_merged, w.amount_in,
                                 w.extra)
            return w.clean, qdf.select(pl.lit(table).alias("table"),
                                       pl.col(SOURCE).alias("source"), pl.col(LINE).alias("line"),
                                       "reason", "detail", "record"), entry

        done = {t: pool.submit(rest, t) for t in TABLE_ORDER}
        works = {t: done[t].result() for t in TABLE_ORDER}
    merge_log = customers.merge_log if customers.merge_log is not None \
        else pl.DataFrame(schema=M_SCHEMA)
    ledger: dict[str, Any] = {t: e for t, (_, _, e) in works.items()}
    quarantines = [q for _, q, _ in works.values()]
    lines = None
    if built is not None:
        lines = clean_lines(built, works["orders"][0])
        ledger = {"order_lines": {**built.ledger, "rows_in_clean_orders": lines.height},
                  **ledger}
        ledger["orders"]["built_from_lines"] = True
        quarantines.insert(0, built.quarantine.select(
            pl.lit("order_lines").alias("table"), pl.col(SOURCE).alias("source"),
            pl.col(LINE).alias("line"), "reason", "detail", "record"))
    if derived:
        ledger["customers"]["derived_from"] = "orders"
    for t in absent:
        del ledger[t]
    ledger["absent"] = absent
    result = CleanResult(tables={t: clean for t, (clean, _, _) in works.items()},
                         quarantine=pl.concat(quarantines).cast(Q_SCHEMA),
                         merge_log=merge_log.cast(M_SCHEMA), ledger=ledger, review_pairs=customers.review,
                         order_lines=lines, absent=tuple(absent))
    check_ledger(result)
    return result


def write_outputs(result: CleanResult, processed_dir: str | os.PathLike[str]) -> Path:
    """Write the clean tables, quarantine, merge log and ledger.json as one set.

    Everything is written into a temporary folder inside ``processed_dir`` first and
    then moved into place; if a move fails the previous files are put back, so a
    failed run leaves the previous outputs intact.
    """
    target = Path(processed_dir)
    target.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".clean-", dir=target))
    backup = target / f".clean-backup-{uuid.uuid4().hex[:8]}"
    moved: list[str] = []
    try:
        # An absent source gets no file (and ledger.json lists it under "absent").
        frames = {**{f"{t}.parquet": result.tables[t] for t in TABLE_ORDER
                     if t not in result.absent},
                  "quarantine.parquet": result.quarantine, "merge_log.parquet": result.merge_log,
                  "review_pairs.parquet": result.review_pairs if result.review_pairs is not None
                  else pl.DataFrame(schema=R_SCHEMA)}
        if result.order_lines is not None:
            frames["order_lines.parquet"] = result.order_lines
        # Side by side in threads, largest first; zstd level 1 writes about 15 % faster than the
        # default level for files about 1 % larger.
        with ThreadPoolExecutor(max_workers=max(2, min(4, os.cpu_count() or 1))) as pool:
            for done in [pool.submit(df.write_parquet, stage / name, compression="zstd",
                                     compression_level=1)
                         for name, df in sorted(frames.items(), key=lambda x: -x[1].height)]:
                done.result()
        (stage / "ledger.json").write_text(
            json.dumps(wio.to_jsonable(result.ledger), ensure_ascii=False, indent=2) + "\n",
            encoding="utf-8")
        backup.mkdir()
        try:
            for name in OUTPUT_FILES:
                if (target / name).exists():
                    os.replace(target / name, backup / name)
            for name in OUTPUT_FILES:
                # Files of the previous run that this run does not write (a source now
                # absent) stay in the backup, removed with it.
                if (stage / name).exists():
                    os.replace(stage / name, target / name)
                    moved.append(name)
        except BaseException:
            for name in moved:
                (target / name).unlink(missing_ok=True)
            for name in OUTPUT_FILES:
                if (backup / name).exists():
                    os.replace(backup / name, target / name)
            raise
    finally:
        shutil.rmtree(stage, ignore_errors=True)
        shutil.rmtree(backup, ignore_errors=True)
    return target


def run(cfg: Config, today: date | None = None,
        fingerprint: Mapping[str, Any] | None = None) -> CleanResult:
    """Read every configured source, clean, and write ``cfg.processed_dir`` (see module doc).

    Nothing is written when a source is unreadable, the configuration is wrong or the
    ledger does not balance.  ``ledger.json`` records the inputs' fingerprint
    (:func:`.fresh.fingerprint`, computed before reading unless given), so a later report
    on the same inputs reuses the tables (:func:`.fresh.is_current`).  Orders named by
    ``sources.orders.engine`` are read and checked on the engine, not repaired
    (:mod:`.engine_orders`); there is then nothing to fingerprint, and every run cleans.

    Raises:
        ConfigError: no orders source, bad ``cleaning:`` settings.
        DataError: unreadable or unusable input (the message names file and column).
    """
    if "orders" not in cfg.sources:
        raise ConfigError(f"{cfg.path or 'configuration'}: sources.orders is missing; cleaning "
                          f"needs at least the orders (`workbench init --orders FILE` writes a "
                          f"configuration for an export).")
    rules = CleaningRules.from_config(cfg)
    # Before reading: a file changed while being read then no longer matches the record.
    stamp = fingerprint if fingerprint is not None else fresh.fingerprint(cfg, today)
    on_engine = None
    if cfg.sources["orders"].engine is not None:
        # Clean orders in a lake or warehouse: read and checked on the engine, the other
        # tables from their files (docs/scale.md, "Sources at scale").
        on_engine = engine_orders.read(cfg.sources["orders"], chosen(cfg.section("engine")))
        raw = read_sources({t: s for t, s in cfg.sources.items() if t != "orders"})
        if "customers" not in raw:
            raw["customers"] = engine_orders.customers(on_engine)
    else:
        raw = read_sources(cfg.sources)
    if rules.linkage_backend == "spark":
        # The customer linkage runs on the Spark of the ``engine:`` section (local mode, a
        # cluster master or Spark Connect); the session is stopped afterwards if it started here.
        spark = EngineSettings.from_mapping(cfg.section("engine")).with_name("spark")
        with open_engine(spark) as eng:
            result = clean_tables(raw, rules, today, spark=eng.native)
    else:
        result = clean_tables(raw, rules, today)
    if on_engine is not None:
        result = engine_orders.merge(result, on_engine, "customers" not in cfg.sources)
    if stamp is not None:
        result.ledger[fresh.FINGERPRINT_KEY] = dict(stamp)
    write_outputs(result, cfg.processed_dir)
    return result


def load_outputs(processed_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """Read what :func:`run` wrote: ``{"ledger", "quarantine", "merge_log"}``."""
    d = Path(processed_dir)
    path = d / "ledger.json"
    if not path.is_file():
        raise DataError(f"{path} does not exist; run `workbench clean` first.")
    return {
        "ledger": json.loads(path.read_text(encoding="utf-8")),
        "quarantine": wio.read_parquet(d / "quarantine.parquet", "`workbench clean`"),
        "merge_log": wio.read_parquet(d / "merge_log.parquet", "`workbench clean`"),
        "review_pairs": (wio.read_parquet(d / "review_pairs.parquet", "`workbench clean`")
                         if (d / "review_pairs.parquet").is_file() else pl.DataFrame(schema=R_SCHEMA)),
    }
