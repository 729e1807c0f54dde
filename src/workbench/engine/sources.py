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

``sources.orders.engine`` in ``workbench.yaml`` names such a source for the report
(:func:`workbench.sources.check_engine_source` checks the entry, :func:`canonical_orders` reads it as the
canonical order columns, queries on it inside :func:`reading_orders` have the engine's
errors explained, :func:`repoint` applies the customer merges on the engine).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, NamedTuple

import narwhals as nw
import polars as pl

from .. import schema
from ..errors import DataError, UsageError, WorkbenchError
from ..sources import ENGINE_SOURCE_KEY as CONFIG_KEY
from ..sources import ENGINE_SOURCE_KEYS, TEXT_SUFFIXES, check_engine_source
from ..sources import describe_engine_source as describe
from .session import Engine

__all__ = ["CONFIG_KEY", "TEXT_SUFFIXES", "CanonicalOrders", "canonical_orders", "check_engine_source",
           "describe", "read_orders", "read_source", "reading_orders", "repoint"]

_KEYS = ENGINE_SOURCE_KEYS


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


# --------------------------------------------------------------------------- sources.orders.engine

def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:300]


def _engine_failed(key: str, engine: Engine, source: Mapping[str, Any], exc: BaseException,
                   hint: str) -> DataError:
    return DataError(f"{key}: {engine.name} could not read the orders ({describe(source)}): "
                     f"{_first_line(exc)}; {hint}")


def _read_hint(source: Mapping[str, Any]) -> str:
    if source.get("table"):
        return ("check the table's name (database.table) and that the engine's catalogue "
                "holds it (Spark: the metastore or spark.sql.catalog.* in engine.spark.conf; "
                "DuckDB: its in-memory database holds no tables, so read files with a query "
                "such as SELECT * FROM read_parquet('orders/*.parquet')).")
    if source.get("query"):
        return "run the query on the engine by itself to correct it, then rerun."
    return "check the path and that the engine can reach it."


def _conform(name: str, want: Any, have: Any) -> Any:
    """The expression giving column ``name`` its canonical type ``want``, or None when
    ``have`` cannot be converted without a cast that may fail (the conversions here all
    succeed, so none can raise in Spark's ANSI mode)."""
    col = nw.col(name)
    if want == pl.String:
        return col if have == nw.String else (col.cast(nw.String) if have.is_integer() else None)
    if want == pl.Date:
        return col if have == nw.Date else (col.dt.date() if isinstance(have, nw.Datetime)
                                             else None)
    if want == pl.Float64:
        return col if have == nw.Float64 else (col.cast(nw.Float64) if have.is_numeric()
                                               else None)
    if want == pl.Int64:
        return col if have == nw.Int64 else (col.cast(nw.Int64) if have.is_integer() else None)
    if want == pl.Boolean:
        return col if have == nw.Boolean else None
    raise AssertionError(f"no conversion to {want}")  # a canonical type without a rule here


class CanonicalOrders(NamedTuple):
    """What :func:`canonical_orders` read: the lazy ``frame`` of canonical order columns and
    ``is_outlier``, the source's columns left out (``ignored``: e.g. hive partition
    columns) and whether the source flags its outliers itself (``flagged``)."""

    frame: nw.LazyFrame[Any]
    ignored: list[str]
    flagged: bool


def canonical_orders(engine: Engine, source: Mapping[str, Any],
                     key: str = CONFIG_KEY) -> CanonicalOrders:
    """The canonical order columns of ``source`` on ``engine`` (lazy, read by
    :func:`read_source`), with what was left out (:class:`CanonicalOrders`).

    Every required canonical column must be there; each column comes in its canonical
    type or one that converts without fail (integer ids as text, any number as an
    amount, timestamps as dates); ``is_outlier`` (true/false) is the source's own flag,
    false when the source has none.  A column of another type (dates or amounts as
    text) is refused: a cast that can fail belongs in the source's query (Spark's ANSI
    mode raises on the first value it cannot cast).

    Raises:
        UsageError: a table or query on the polars engine.
        DataError: the engine cannot read the source, or a column is missing or mistyped;
            the message names ``key`` and says what to do.
    """
    if engine.name == "polars" and not source.get("path"):
        raise UsageError(f"{key}: {describe(source)} needs the duckdb or spark engine "
                         f"(engine.name or --engine); the polars engine reads Parquet paths only.")
    try:
        lf = read_source(engine, source)
        have = dict(lf.collect_schema())
    except WorkbenchError as exc:
        raise type(exc)(f"{key}: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - DuckDB and Spark raise their own kinds
        raise _engine_failed(key, engine, source, exc, _read_hint(source)) from None
    spec = schema.get("orders")
    missing = [c.name for c in spec.columns if c.required and c.name not in have]
    if missing:
        raise DataError(f"{key}: the orders ({describe(source)}) lack the column(s) {missing} "
                        f"of the canonical orders; the columns are {list(have)}. Name them in "
                        f"the query (SELECT id AS order_id, ...) or the table.")
    wanted = [(c.name, c.dtype) for c in spec.columns] + [("is_outlier", pl.Boolean)]
    exprs, wrong = [], []
    for name, dtype in wanted:
        if name not in have:
            continue
        expr = _conform(name, dtype, have[name])
        if expr is None:
            wrong.append(f"{name} is {have[name]}, not {dtype}")
        else:
            exprs.append(expr.alias(name))
    if wrong:
        raise DataError(f"{key}: the orders ({describe(source)}) have column types the "
                        f"canonical orders cannot take without a cast that may fail: "
                        f"{'; '.join(wrong)}. Convert them in a query (e.g. try_cast(order_date "
                        f"AS DATE) AS order_date, then leave out the rows it leaves empty) or "
                        f"give the export as sources.orders.path for the cleaning's repair.")
    if "is_outlier" not in have:
        exprs.append(nw.lit(False).alias("is_outlier"))
    ignored = [c for c in have if c not in {n for n, _ in wanted}]
    return CanonicalOrders(lf.select(exprs), ignored, "is_outlier" in have)


@contextlib.contextmanager
def reading_orders(engine: Engine, source: Mapping[str, Any],
                   key: str = CONFIG_KEY) -> Iterator[None]:
    """Queries on the orders of ``source`` inside the block: an engine error while the rows
    are read (a failed cast in Spark's ANSI mode, a file gone) becomes a :class:`DataError`
    naming ``key``, the source and what to do (the workbench's own errors pass as they are)."""
    try:
        yield
    except (WorkbenchError, AssertionError, AttributeError, NameError, TypeError):
        raise  # the workbench's own errors and its bugs are not the source's
    except Exception as exc:  # noqa: BLE001 - DuckDB and Spark raise their own kinds
        raise _engine_failed(key, engine, source, exc,
                             "Spark runs in ANSI mode, where a cast that cannot succeed raises: "
                             "use try_cast in the query and leave out the rows it leaves empty."
                             ) from None


def repoint(engine: Engine, orders: nw.LazyFrame[Any], id_map: pl.DataFrame) -> nw.LazyFrame[Any]:
    """``orders`` with the ids of merged customers replaced by the kept ids, on the engine
    (``id_map``: ``duplicate_id, kept_id``, the cleaning's merge log); the same replacement
    the cleaning makes in the orders it cleans (:func:`workbench.clean.dedupe.repoint`)."""
    if id_map.height == 0:
        return orders
    names = orders.collect_schema().names()
    small = engine.to_engine(id_map.select(pl.col("duplicate_id").alias("__dup"),
                                           pl.col("kept_id").alias("__kept")).unique())
    joined = orders.join(small, left_on="customer_id", right_on="__dup", how="left")
    return joined.select([nw.coalesce(nw.col("__kept"), nw.col("customer_id"))
                          .alias("customer_id") if c == "customer_id" else nw.col(c)
                          for c in names])
