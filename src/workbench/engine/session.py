"""Opening an engine, and moving frames between it and the driver through Arrow.

:func:`open_engine` is a context manager that yields an :class:`Engine`: polars (in
process), a DuckDB connection, or a Spark session in local mode, on a cluster
master or through Spark Connect, with the configured properties; it is stopped
when the block ends (a Spark session that was already running is left running).

Frames cross between the engine and the driver as Arrow tables only
(``toArrow()`` on Spark, ``to_arrow_table()`` on DuckDB, ``pl.from_arrow`` on the
driver): PySpark does not fully support pandas 3, so pandas is never used.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import narwhals as nw
import polars as pl
import pyarrow as pa

from ..errors import UsageError, WorkbenchError
from .settings import EngineSettings

__all__ = ["Engine", "EngineError", "open_engine", "to_polars"]

#: Spark properties the workbench sets unless the configuration sets them: timestamps
#: read and written as wall time in UTC (as polars holds them), no console progress bars,
#: Arrow for every transfer.
SPARK_DEFAULTS = {
    "spark.sql.session.timeZone": "UTC",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
}


class EngineError(WorkbenchError, RuntimeError):
    """The engine could not be opened (no Java for Spark, a Spark Connect server not
    reachable); the message says what to install or configure."""

    exit_code = 2


@dataclass
class Engine:
    """An open engine: ``name`` and its ``native`` handle (None for polars, a DuckDB
    connection, or a SparkSession)."""

    name: str
    native: Any = None
    settings: EngineSettings = field(default_factory=EngineSettings)

    def to_engine(self, frame: pl.DataFrame | pl.LazyFrame) -> nw.LazyFrame[Any]:
        """A polars frame on this engine, as a lazy narwhals frame (through Arrow)."""
        if self.name == "polars":
            return nw.from_native(frame.lazy())
        table = (frame.collect() if isinstance(frame, pl.LazyFrame) else frame).to_arrow()
        if self.name == "duckdb":
            return nw.from_native(self.native.from_arrow(table))
        return nw.from_native(self.native.createDataFrame(_spark_ready(table)))

    def to_polars(self, frame: Any) -> pl.DataFrame:
        """A frame of this engine collected on the driver as polars (through Arrow)."""
        return to_polars(frame)

    def keep(self, frame: nw.LazyFrame[Any]) -> nw.LazyFrame[Any]:
        """``frame`` kept for the queries that follow (a log that several per-customer
        tables read): cached by Spark (memory, then disk); polars and DuckDB rerun its
        plan, streaming the source again for each query, so memory holds only what a
        query needs (a log of 50 million orders collected by polars takes 2.5 GB more,
        measured by ``benchmarks/bench_engines.py``), for about 13 % more CPU time."""
        if self.name == "spark":
            return nw.from_native(nw.to_native(frame).cache())
        return frame

    def from_native(self, native: Any) -> nw.LazyFrame[Any]:
        """A native frame of the engine (DuckDB relation, Spark DataFrame, polars) as narwhals."""
        out = nw.from_native(native)
        return out.lazy() if isinstance(out, nw.DataFrame) else out

    def write_parquet(self, frame: nw.LazyFrame[Any], path: str | os.PathLike[str],
                      compression_level: int = 1) -> int:
        """Write ``frame`` to the one Parquet file ``path`` (zstd), streamed by the engine:
        the rows are never all on the driver.  Returns the rows written.

        polars: ``sink_parquet`` (the streaming engine); DuckDB: ``COPY ... TO`` (insertion
        order kept); Spark: the frame is cached by the executors (memory, then disk) and
        its partitions come to the driver in order through Arrow, consecutive small ones
        batched into one job, each batch appended to the file by a pyarrow
        ``ParquetWriter`` (the driver holds about :data:`SPARK_BATCH_ROWS` rows, or one
        larger partition; no Python runs on the executors).  ``path`` is written as it
        goes: write it in a staging place and move it when done
        (:func:`workbench.clean.pipeline.write_outputs`).
        """
        native = nw.to_native(frame)
        target = str(path)
        if self.name == "polars":
            native.sink_parquet(target, compression="zstd", compression_level=compression_level)
            import pyarrow.parquet as pq

            return int(pq.read_metadata(target).num_rows)
        if self.name == "duckdb":
            # COPY over the relation's SQL: the ORDER BY of a sorted frame is kept in the file
            # (DuckDB preserves insertion order unless told otherwise).
            view = f"__wb_write_{uuid.uuid4().hex[:8]}"
            native.create_view(view)
            try:
                quoted = target.replace("'", "''")
                done = self.native.execute(
                    f"COPY (SELECT * FROM {view}) TO '{quoted}' (FORMAT parquet, COMPRESSION "
                    f"zstd, COMPRESSION_LEVEL {int(compression_level)})").fetchone()
            finally:
                self.native.execute(f"DROP VIEW IF EXISTS {view}")
            return int(done[0]) if done else 0
        return _write_spark(native, target, compression_level)


def _spark_ready(table: pa.Table) -> pa.Table:
    """Arrow types Spark reads: large strings as strings, views as plain arrays."""
    fields = []
    for f in table.schema:
        t = f.type
        if pa.types.is_large_string(t) or pa.types.is_string_view(t):
            t = pa.string()
        fields.append(pa.field(f.name, t, f.nullable))
    return table.cast(pa.schema(fields))


#: Rows of the partitions :func:`_write_spark` brings to the driver in one job (consecutive
#: partitions are batched up to this many; a larger partition comes alone).
SPARK_BATCH_ROWS = 1_000_000


def _batches(sizes: list[tuple[int, int]], rows: int) -> list[list[int]]:
    """Consecutive partition ids (``sizes``: ``(id, rows)`` in order) in batches of at most
    ``rows`` rows, a partition larger than that alone."""
    out: list[list[int]] = []
    n = 0
    for pid, count in sizes:
        if out and n + count <= rows:
            out[-1].append(pid)
            n += count
        else:
            out.append([pid])
            n = count
    return out


def _write_spark(df: Any, path: str, compression_level: int) -> int:
    """A Spark DataFrame written to one local Parquet file, partition by partition, in order:
    consecutive partitions of about :data:`SPARK_BATCH_ROWS` rows in all come through one job
    (a job per partition costs about half a second each: 200 shuffle partitions of a small
    table took a minute and a half)."""
    import pyarrow.parquet as pq
    from pyspark.sql import functions as F  # optional engine: loaded only when asked for

    part = "__wb_partition"
    cached = df.withColumn(part, F.spark_partition_id()).persist()
    try:
        sizes = sorted(tuple(r) for r in cached.groupBy(part).count().collect())
        schema = _spark_ready(df.limit(0).toArrow()).schema
        rows = 0
        with pq.ParquetWriter(path, schema, compression="zstd",
                              compression_level=compression_level) as writer:
            for pids in _batches(sizes, SPARK_BATCH_ROWS):
                # collect keeps the partitions' order: the batch's rows come in order
                chunk = _spark_ready(cached.filter(F.col(part).isin(pids)).drop(part).toArrow())
                writer.write_table(chunk.cast(schema))
                rows += chunk.num_rows
            if not sizes:
                writer.write_table(schema.empty_table())
        return rows
    finally:
        cached.unpersist()


def to_polars(frame: Any) -> pl.DataFrame:
    """Any engine's frame (narwhals or native) on the driver as a polars DataFrame.

    A polars query is collected on the streaming engine (whatever the engine affinity);
    Spark frames come through ``toArrow()``, DuckDB relations through Arrow; timestamps
    that Spark marks as UTC come back as the naive wall times they were.
    """
    native = nw.to_native(frame) if isinstance(frame, (nw.LazyFrame, nw.DataFrame)) else frame
    if isinstance(native, pl.LazyFrame):  # streaming: a scan larger than memory is read in batches
        return native.collect(engine="streaming")
    if isinstance(native, pl.DataFrame):
        return native
    if hasattr(native, "toArrow"):  # a Spark DataFrame (classic or Connect)
        out = pl.from_arrow(native.toArrow())
    elif hasattr(native, "to_arrow_table"):  # a DuckDB relation
        out = pl.from_arrow(native.to_arrow_table())
    else:
        raise UsageError(f"cannot bring a {type(native).__name__} to polars; expected a "
                         f"polars, DuckDB or Spark frame.")
    assert isinstance(out, pl.DataFrame)
    naive = [pl.col(c).dt.replace_time_zone(None) for c, t in out.schema.items()
             if isinstance(t, pl.Datetime) and t.time_zone is not None]
    return out.with_columns(naive) if naive else out


def _open_duckdb(settings: EngineSettings) -> Any:
    import duckdb  # optional engine: loaded only when asked for

    con = duckdb.connect()
    if settings.duckdb.get("threads"):
        con.execute(f"SET threads = {int(settings.duckdb['threads'])}")
    if settings.duckdb.get("memory_limit"):
        con.execute("SET memory_limit = ?", [str(settings.duckdb["memory_limit"])])
    return con


def submitted() -> bool:
    """True in a driver that ``spark-submit`` started: its JVM already runs, with the
    master, deploy mode and driver memory of spark-submit's command line, which an
    ``engine.spark.master`` left out of ``workbench.yaml`` does not override."""
    return "PYSPARK_GATEWAY_PORT" in os.environ


def _open_spark(settings: EngineSettings) -> tuple[Any, bool]:
    """A SparkSession and whether this call started it."""
    from pyspark.sql import SparkSession  # optional engine: loaded only when asked for

    conf = {**SPARK_DEFAULTS, **settings.spark_conf}
    connect = settings.spark_connect
    running = None if connect else SparkSession.getActiveSession()
    builder = SparkSession.builder.appName("workbench")
    if connect:
        builder = builder.remote(connect)
    elif "master" in settings.spark or not submitted():
        builder = builder.master(settings.spark_master)
    for key, value in conf.items():
        builder = builder.config(key, value)
    try:
        spark = builder.getOrCreate()
    except Exception as exc:  # noqa: BLE001 - py4j and Spark Connect raise many kinds
        where = f"Spark Connect at {connect}" if connect else f"Spark ({settings.spark_master})"
        hint = ("check that the Spark Connect server runs and that pyspark[connect] is "
                "installed" if connect else
                "Spark needs Java 17 or later: install it (e.g. apt-get install "
                "openjdk-17-jre-headless) or set JAVA_HOME")
        raise EngineError(f"could not start {where}: {str(exc).strip()[:300]}; {hint} "
                          f"(workbench.yaml engine.spark).") from None
    return spark, running is None


@contextlib.contextmanager
def open_engine(settings: EngineSettings | str | None = None) -> Iterator[Engine]:
    """Open the configured engine for the block; stop it afterwards.

    ``settings`` is the ``engine:`` section (:class:`EngineSettings`), or an engine name.
    """
    if settings is None or isinstance(settings, str):
        settings = EngineSettings.from_mapping({"name": settings or "polars"})
    if settings.name == "polars":
        yield Engine("polars", None, settings)
    elif settings.name == "duckdb":
        con = _open_duckdb(settings)
        try:
            yield Engine("duckdb", con, settings)
        finally:
            con.close()
    else:
        spark, started = _open_spark(settings)
        try:
            yield Engine("spark", spark, settings)
        finally:
            if started:
                spark.stop()
