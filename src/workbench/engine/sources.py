"""Orders at scale: a Parquet dataset, a table or a SQL query, as a lazy frame of the engine.

A source for the engine is a mapping with one of:

- ``path``: a Parquet file, a folder of Parquet files (hive partitions such as
  ``year=2026/month=05/`` become columns; other files in it, such as Spark's
  ``_SUCCESS``, are left alone) or a glob (``orders/*.parquet``);
- ``table``: a table of the engine's catalogue (``sales.orders`` on Spark/Hive, a
  DuckDB table);
- ``query``: SQL run by the engine (DuckDB or Spark).

The rows must already be clean canonical orders (typed dates and amounts).  Exports
that need text repair (encodings, date formats, column mapping: CSV, TSV, Excel) stay
on the single-machine ingest path: ``workbench clean`` reads them and writes Parquet,
which the engine then reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import narwhals as nw
import polars as pl

from ..errors import DataError, UsageError
from .session import Engine

__all__ = ["TEXT_SUFFIXES", "read_orders", "read_source"]

#: Exports that need the single-machine ingest (text repair) before an engine reads them.
TEXT_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xls", ".json")
_KEYS = ("path", "table", "query", "hive_partitioning")


def _spec(source: Mapping[str, Any] | str | Path) -> dict[str, Any]:
    if isinstance(source, (str, Path)):
        return {"path": str(source)}
    if not isinstance(source, Mapping):
        raise UsageError(f"an engine source is a mapping with path, table or query; got "
                         f"{source!r}.")
    unknown = sorted(set(source) - set(_KEYS))
    given = [k for k in ("path", "table", "query") if source.get(k)]
    if unknown or len(given) != 1:
        raise UsageError(f"an engine source needs exactly one of path, table or query "
                         f"(optional hive_partitioning); got {dict(source)!r}.")
    return dict(source)


def _parquet_path(path: str) -> tuple[str, bool]:
    """The path to read and whether it is a folder; text exports are refused."""
    lower = path.lower()
    if lower.endswith(TEXT_SUFFIXES):
        raise UsageError(
            f"{path}: a text export needs the single-machine ingest (encodings, date formats, "
            f"column mapping, text repair) before an engine reads it: run `workbench clean`, "
            f"then point the engine at the clean Parquet (data/processed/orders.parquet) or a "
            f"Parquet dataset written from it.")
    glob = any(ch in path for ch in "*?[")
    if "://" in path:  # hdfs://, s3a://, abfss://...: the engine checks it where it runs
        return path, not glob and not lower.rstrip("/").endswith(".parquet")
    if not glob and not Path(path).exists():
        raise DataError(f"{path} does not exist; give a Parquet file, a folder of Parquet "
                        f"files or a glob.")
    return path, (not glob and Path(path).is_dir())


def read_source(engine: Engine, source: Mapping[str, Any] | str | Path) -> nw.LazyFrame[Any]:
    """Any source (:mod:`module docs <workbench.engine.sources>`) as a lazy narwhals frame."""
    spec = _spec(source)
    hive = bool(spec.get("hive_partitioning", True))
    if spec.get("path"):
        path, folder = _parquet_path(str(spec["path"]))
        # a folder is read as its Parquet files only: a dataset written by Spark or a
        # warehouse export holds marker files (_SUCCESS, _metadata.json) next to them
        pattern = f"{path.rstrip('/')}/**/*.parquet" if folder else path
        if engine.name == "polars":
            native: Any = pl.scan_parquet(pattern, hive_partitioning=hive)
        elif engine.name == "duckdb":
            native = engine.native.read_parquet(pattern, hive_partitioning=hive)
        else:
            native = engine.native.read.parquet(path)
        return nw.from_native(native)
    if engine.name == "polars":
        raise UsageError("the polars engine reads Parquet paths only; a table or a SQL query "
                         "needs engine.name duckdb or spark.")
    if spec.get("table"):
        table = str(spec["table"])
        native = engine.native.table(table)
    else:
        native = engine.native.sql(str(spec["query"]))
    return nw.from_native(native)


def read_orders(engine: Engine, source: Mapping[str, Any] | str | Path) -> nw.LazyFrame[Any]:
    """Clean canonical orders from ``source`` on ``engine``, checked for the columns the
    transaction model needs (``customer_id, order_date, amount``)."""
    lf = read_source(engine, source)
    have = lf.collect_schema().names()
    missing = [c for c in ("customer_id", "order_date", "amount") if c not in have]
    if missing:
        raise DataError(f"orders from {_spec(source)}: column(s) {missing} missing; the columns "
                        f"are {have}. The engine reads clean canonical orders (workbench clean).")
    return lf
