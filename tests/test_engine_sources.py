"""``sources.orders.engine``: clean orders read on the engine instead of the processed file.

The fixture data is the small dirty demo, cleaned from its files (``small_processed``);
its clean orders are written as a hive-partitioned Parquet dataset (a lake), then read
back through ``workbench.yaml`` as a folder (polars, DuckDB), a DuckDB query and a Spark
table.  The cleaning, the context's log and RFM summary and the report must give what
the processed-file path gives; bad sources stop with messages that name the key.
"""

from __future__ import annotations

import copy
import io
import json
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import yaml

from workbench import clean, config, context, report, rfm, transactions
from workbench import io as wio
from workbench.errors import ConfigError, DataError, UsageError

RFM = ["frequency", "recency", "T"]
SPARK = {"name": "spark", "spark": {"master": "local[2]", "conf": {
    "spark.sql.shuffle.partitions": 2, "spark.default.parallelism": 2, "spark.ui.enabled": False}}}


@pytest.fixture(scope="module")
def reference(small_processed) -> dict[str, Any]:
    """The processed-file path: its configuration (as a mapping), clean orders and context."""
    cfg = yaml.safe_load(Path(small_processed).read_text(encoding="utf-8"))
    ctx = context.resolve(small_processed)
    return {"path": small_processed, "yaml": cfg, "ctx": ctx,
            "orders": pl.read_parquet(ctx.processed_dir / "orders.parquet")}


@pytest.fixture(scope="module")
def lake(reference, tmp_path_factory) -> Path:
    """The clean orders as a lake would hold them: one folder per year (hive partitions),
    with Spark's marker file beside the Parquet files."""
    root = tmp_path_factory.mktemp("lake") / "orders"
    years = reference["orders"].with_columns(pl.col("order_date").dt.year().alias("year"))
    for (year,), part in years.partition_by("year", as_dict=True, include_key=False).items():
        (root / f"year={year}").mkdir(parents=True)
        part.write_parquet(root / f"year={year}" / "part-0.parquet")
    (root / "_SUCCESS").write_text("")
    return root


def _project(reference, tmp_path: Path, orders: dict[str, Any] | None,
             engine: dict[str, Any] | None = None, **sources: Any) -> Path:
    """A workbench.yaml like the fixture's, with ``sources.orders: {engine: orders}``."""
    cfg = copy.deepcopy(reference["yaml"])
    cfg["paths"] = {**cfg.get("paths", {}), "processed": str(tmp_path / "processed"),
                    "reports": str(tmp_path / "reports")}
    cfg["sources"] = {**cfg["sources"], "orders": {"engine": orders}, **sources}
    cfg["sources"] = {k: v for k, v in cfg["sources"].items() if v is not None}
    if engine is not None:
        cfg["engine"] = engine
    path = tmp_path / "workbench.yaml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _same_summary(got: pl.DataFrame, ref: pl.DataFrame) -> None:
    got, ref = got.sort("customer_id"), ref.sort("customer_id")
    assert got.get_column("customer_id").to_list() == ref.get_column("customer_id").to_list()
    for c in RFM:
        assert got.get_column(c).to_list() == ref.get_column(c).to_list(), c
    diff = (got.get_column("monetary_value") - ref.get_column("monetary_value")).abs().max()
    assert diff is not None and diff <= 1e-9


def _close(a: Any, b: Any, rel: float = 1e-9) -> bool:
    """Equal, floats to ``rel`` (parallel sums add in varying order)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k], rel) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y, rel) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) or isinstance(b, float):
        return abs(a - b) <= rel * max(abs(a), abs(b), 1e-300)
    return bool(a == b)


def _reference_summary(reference) -> pl.DataFrame:
    ctx = reference["ctx"]
    buys = transactions.purchases(ctx.transactions()).collect()
    return rfm.summary(buys, "customer_id", "day", "value", ctx.as_of)


def _check_clean(reference, path: Path, engine: str) -> context.Context:
    """Clean the project; its tables are the fixture's, its ledger says where orders came from."""
    result = clean.run(config.load(path))
    ctx = context.resolve(path)
    ref_dir = reference["ctx"].processed_dir
    for table in ("orders", "customers", "complaints", "visits", "surveys"):
        got, ref = (pl.read_parquet(d / f"{table}.parquet") for d in (ctx.processed_dir, ref_dir))
        assert got.sort(got.columns[0]).equals(ref.sort(ref.columns[0])), table
    entry = result.ledger["orders"]
    n = reference["orders"].height
    assert entry["rows_in"] == entry["rows_kept"] == n and entry["rows_quarantined"] == 0
    assert entry["read_on_engine"]["engine"] == engine
    assert entry["sources"][0]["rows"] == n
    assert entry["sources"][0]["label"].startswith("sources.orders.engine (")
    shown = clean.sources_frame(result.ledger).filter(pl.col("table") == "orders")
    assert shown["source"].to_list() == [entry["sources"][0]["label"]]
    cfg = config.load(path)
    assert [i for i in report.input_files(cfg, result.ledger) if i["table"] == "orders"] == [
        {"table": "orders", "engine": wio.to_jsonable(dict(cfg.sources["orders"].engine))}]
    assert entry["amount_kept"] == pytest.approx(reference["orders"]["amount"].sum(), abs=0.01)
    assert entry["outliers"] == int(reference["orders"]["is_outlier"].sum())
    assert ctx.as_of == reference["ctx"].as_of
    return ctx


@pytest.mark.parametrize("engine", ["polars", "duckdb"])
def test_a_parquet_folder_gives_the_processed_file_results(reference, lake, tmp_path, engine,
                                                          monkeypatch):
    monkeypatch.delenv(context.ENGINE_VAR, raising=False)
    path = _project(reference, tmp_path, {"path": str(lake)}, {"name": engine})
    ctx = _check_clean(reference, path, engine)
    assert clean.load_outputs(ctx.processed_dir)["ledger"]["orders"]["ignored_columns"] == ["year"]
    _same_summary(ctx.rfm_summary(), _reference_summary(reference))
    ref_log = reference["ctx"].transactions().collect().sort("customer_id", "day", "order_id")
    assert ctx.transactions().collect().equals(ref_log)


def test_a_duckdb_query_gives_the_processed_file_report(reference, lake, tmp_path, monkeypatch):
    """The report (cleaning included) on a DuckDB query publishes the segmentation and CLV
    results of the processed-file path."""
    monkeypatch.delenv(context.ENGINE_VAR, raising=False)
    query = (f"SELECT * EXCLUDE (year) FROM read_parquet('{lake}/*/*.parquet', "
             f"hive_partitioning = true) WHERE amount IS NOT NULL")
    path = _project(reference, tmp_path, {"query": query}, {"name": "duckdb"})
    ctx = _check_clean(reference, path, "duckdb")
    _same_summary(ctx.rfm_summary(), _reference_summary(reference))
    runs = {}
    for name, cfg, clean_first in (("file", reference["path"], False), ("engine", path, True)):
        (run,) = report.run(cfg, notebooks=["02_segmentation", "03_clv"], clean=clean_first,
                            out=tmp_path / f"reports-{name}", progress_stream=io.StringIO(),
                            live=False)
        assert run.manifest["status"] == "ok", name
        runs[name] = run.manifest
    assert runs["engine"]["as_of"] == runs["file"]["as_of"]
    assert runs["engine"]["engine"] == {"name": "duckdb"}
    for step in ("segmentation", "clv"):
        assert _close(runs["engine"]["results"][step], runs["file"]["results"][step]), step


def test_merged_customers_are_repointed_on_the_engine(reference, lake, tmp_path):
    """Orders in the lake that still carry the id of a customer the de-duplication merged
    are counted to the kept customer, in the rooms' copy and on the engine alike."""
    merges = clean.load_outputs(reference["ctx"].processed_dir)["merge_log"]
    pairs = dict(merges.filter(pl.col("table") == "customers")
                 .select("kept_id", "duplicate_id").iter_rows())
    orders = reference["orders"]
    first = (orders.filter(pl.col("customer_id").is_in(list(pairs)))
             .group_by("customer_id").agg(pl.col("order_id").min()))
    assert first.height >= 3
    moved = dict(first.select("order_id", "customer_id").iter_rows())
    old = orders.with_columns(pl.col("order_id").replace_strict(moved, default=None)
                              .replace_strict(pairs, default=None).fill_null(pl.col("customer_id"))
                              .alias("customer_id"))
    assert (old["customer_id"] != orders["customer_id"]).sum() == first.height
    folder = tmp_path / "lake"
    folder.mkdir()
    old.write_parquet(folder / "part-0.parquet")
    path = _project(reference, tmp_path, {"path": str(folder)}, {"name": "duckdb"})
    result = clean.run(config.load(path))
    assert result.ledger["orders"]["repointed"] == first.height
    written = pl.read_parquet(context.resolve(path).processed_dir / "orders.parquet")
    assert written.equals(orders.sort("order_id"))
    _same_summary(context.resolve(path).rfm_summary(), _reference_summary(reference))


def test_cancelled_orders_are_quarantined_and_the_archive_derived(reference, tmp_path):
    orders = reference["orders"].head(200).with_columns(
        pl.when(pl.int_range(pl.len()) < 7).then(pl.lit("cancelled")).otherwise("status")
        .alias("status"))
    folder = tmp_path / "lake"
    folder.mkdir()
    orders.drop("is_outlier").write_parquet(folder / "orders.parquet")
    path = _project(reference, tmp_path, {"path": str(folder / "orders.parquet")},
                    customers=None)
    result = clean.run(config.load(path))
    e = result.ledger["orders"]
    assert (e["rows_in"], e["rows_kept"], e["rows_quarantined"]) == (200, 193, 7)
    assert e["reasons"] == {"cancelled_order": 7}
    assert e["amount_in"] == pytest.approx(e["amount_kept"] + e["amount_quarantined"], abs=0.01)
    assert e["outliers"] == 0 and e["read_on_engine"]["outliers_flagged_by"] is None
    assert result.ledger["customers"]["derived_from"] == "orders"
    q = result.quarantine.filter(pl.col("table") == "orders")
    assert q.height == 7 and set(q["reason"]) == {"cancelled_order"}
    assert json.loads(q["record"][0])["status"] == "cancelled"
    kept = set(pl.read_parquet(tmp_path / "processed" / "orders.parquet")["customer_id"])
    assert set(result.tables["customers"]["customer_id"]) >= kept


def test_a_spark_table_gives_the_processed_file_results(reference, spark, tmp_path, monkeypatch):
    monkeypatch.delenv(context.ENGINE_VAR, raising=False)
    spark.sql("CREATE DATABASE IF NOT EXISTS sales")
    spark.createDataFrame(reference["orders"].to_arrow()).write.mode("overwrite") \
        .saveAsTable("sales.orders")
    path = _project(reference, tmp_path, {"table": "sales.orders"}, SPARK)
    ctx = _check_clean(reference, path, "spark")
    _same_summary(ctx.rfm_summary(), _reference_summary(reference))
    # the source changed after the cleaning: the rooms' copy would no longer be its orders
    spark.sql("INSERT INTO sales.orders SELECT * FROM sales.orders LIMIT 1")
    with pytest.raises(DataError, match="sources.orders.engine now holds .* orders, the cleaning "
                                        "read .*run `workbench clean`"):
        ctx.rfm_summary()
    spark.sql("DROP TABLE sales.orders")


def test_bad_spark_sources_say_what_to_do(reference, spark, tmp_path):
    orders = reference["orders"].head(50)
    spark.createDataFrame(orders.with_columns(
        pl.when(pl.int_range(pl.len()) == 3).then(pl.lit("31/02/2024"))
        .otherwise(pl.col("order_date").cast(pl.String)).alias("order_date")).to_arrow()
    ).createOrReplaceTempView("orders_text")
    cases = [
        ({"table": "sales.no_such_orders"}, DataError,
         "sources.orders.engine: spark could not read the orders \\(table sales.no_such_orders\\)"
         ".*check the table's name"),
        ({"query": "SELEC * FROM orders_text"}, DataError,
         "could not read the orders \\(query SELEC.*run the query on the engine by itself"),
        ({"table": "orders_text"}, DataError,
         "order_date is String, not Date.*try_cast"),
        ({"query": "SELECT order_id, customer_id, CAST(order_date AS DATE) AS order_date, "
                   "amount, status FROM orders_text"}, DataError, "ANSI mode.*try_cast"),
        ({"query": "SELECT customer_id, order_date FROM orders_text"}, DataError,
         "lack the column\\(s\\) \\['order_id', 'amount', 'status'\\]"),
    ]
    for i, (source, error, match) in enumerate(cases):
        (tmp_path / str(i)).mkdir()
        path = _project(reference, tmp_path / str(i), source, SPARK)
        with pytest.raises(error, match=match):
            clean.run(config.load(path))


def test_orders_that_are_not_clean_stop_the_cleaning(reference, tmp_path):
    orders = reference["orders"].head(100)
    bad = {
        "null_ids": (orders.with_columns(pl.when(pl.int_range(pl.len()) < 2).then(None)
                                         .otherwise("customer_id").alias("customer_id")),
                     "not clean canonical orders: .*customer_id.*correct them at the source"),
        "repeated": (pl.concat([orders, orders.head(1)]),
                     "not clean canonical orders: .*order_id"),
        "statuses": (orders.with_columns(pl.lit("paid").alias("status")),
                     "not clean canonical orders: .*status"),
        "stranger": (orders.with_columns(pl.lit("NOBODY").alias("customer_id")),
                     "100 order\\(s\\) belong to customers that are not in the clean customer "
                     "archive .*NOBODY.*remove sources.customers"),
        "text_amounts": (orders.with_columns(pl.col("amount").cast(pl.String)),
                         "amount is String, not Float64"),
    }
    for name, (frame, match) in bad.items():
        folder = tmp_path / name
        folder.mkdir()
        frame.write_parquet(folder / "orders.parquet")
        path = _project(reference, folder, {"path": str(folder / "orders.parquet")})
        with pytest.raises(DataError, match=match):
            clean.run(config.load(path))
        assert not (folder / "processed" / "orders.parquet").exists(), name


def test_integer_ids_and_decimal_amounts_are_taken_as_they_convert(reference, lake, tmp_path):
    """Types that convert without fail (a warehouse's DECIMAL amounts, timestamps) are read."""
    import duckdb

    con = duckdb.connect()
    folder = tmp_path / "lake"
    folder.mkdir()
    con.execute(f"COPY (SELECT * EXCLUDE (amount, order_date), CAST(amount AS DECIMAL(14, 2)) "
                f"AS amount, CAST(order_date AS TIMESTAMP) AS order_date FROM read_parquet("
                f"'{lake}/*/*.parquet')) TO '{folder}/orders.parquet' (FORMAT parquet)")
    con.close()
    path = _project(reference, tmp_path, {"path": str(folder / "orders.parquet")},
                    {"name": "duckdb"})
    ctx = _check_clean(reference, path, "duckdb")
    _same_summary(ctx.rfm_summary(), _reference_summary(reference))


def test_the_section_is_checked_like_every_other(reference, lake, tmp_path, monkeypatch):
    def load(orders: Any, engine: dict[str, Any] | None = None, **more: Any) -> config.Config:
        return config.load(_project(reference, tmp_path, orders, engine, **more))

    spec = load({"path": "lake/orders/"}).sources["orders"]
    assert spec.engine == {"path": str((tmp_path / "lake" / "orders").resolve())}
    assert spec.format == "engine" and spec.path is None
    assert load({"path": "s3a://lake/orders/"}).sources["orders"].engine == {
        "path": "s3a://lake/orders/"}
    refused = [
        ({"tabel": "sales.orders"}, None, "sources.orders.engine has unknown key\\(s\\) \\['tabel'\\]"),
        ({"path": "a/", "table": "b"}, None, "needs exactly one of path, table or query"),
        ({}, None, "needs exactly one of path, table or query"),
        ("sales.orders", None, "must be a mapping with one of path, table or query"),
        ({"table": "sales.orders"}, None, "engine.table needs engine.name duckdb or spark"),
        ({"query": "SELECT 1"}, {"name": "polars"}, "engine.query needs engine.name duckdb"),
        ({"path": "orders.csv"}, None, "text export.*sources.orders.path"),
        ({"table": "t", "hive_partitioning": False}, SPARK, "applies to a path only"),
        ({"path": "a/", "hive_partitioning": "no"}, None, "true or false"),
        ({"table": ""}, SPARK, "non-empty text"),
    ]
    for orders, engine, match in refused:
        with pytest.raises(ConfigError, match=match):
            load(orders, engine)
    with pytest.raises(ConfigError, match="takes no other key \\(\\['encoding'\\]\\)"):
        cfg = copy.deepcopy(reference["yaml"])
        cfg["sources"]["orders"] = {"engine": {"path": "a/"}, "encoding": "gbk"}
        config.from_dict(cfg, tmp_path)
    with pytest.raises(ConfigError, match="sources.customers.engine: only the orders"):
        load({"path": "a/"}, customers={"engine": {"path": "b/"}})
    # --engine polars for a table the configuration reads on Spark: refused when read
    monkeypatch.setenv(context.ENGINE_VAR, "polars")
    with pytest.raises(UsageError, match="sources.orders.engine: table sales.orders needs the "
                                         "duckdb or spark engine"):
        clean.run(load({"table": "sales.orders"}, SPARK))
    monkeypatch.delenv(context.ENGINE_VAR)
    # a context on an engine source whose cleaning never ran says so
    ctx = context.Context(load({"path": str(lake)}), date(2026, 6, 30), tmp_path, "en", False)
    with pytest.raises(DataError, match="not cleaned from it; run `workbench clean`"):
        ctx.rfm_summary()
