"""The cleaning of ``sources.orders.engine`` runs on the engine: the same clean tables,
quarantine and ledger as when every order was brought to the driver, on polars, DuckDB
and Spark, and each kind of order that is not clean still stops the run with its message.

The lake is the small demo's clean orders with cancelled orders, orders still carrying
ids of customers the de-duplication merged and orders without a channel, in no
particular order.  The reference (:func:`_on_the_driver`) is what the cleaning did with
them before: every order on the driver, sorted by order id.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import yaml

from workbench import clean, config, context, schema, transactions
from workbench.clean import engine_orders
from workbench.clean.derived import customers_from_orders
from workbench.errors import DataError
from workbench.ingest import from_frame

SPARK = {"name": "spark", "spark": {"master": "local[2]", "conf": {
    "spark.sql.shuffle.partitions": 3, "spark.default.parallelism": 2, "spark.ui.enabled": False}}}
LABEL_START = "sources.orders.engine ("


@pytest.fixture(scope="module")
def fixture(small_processed, tmp_path_factory) -> dict[str, Any]:
    cfg = yaml.safe_load(Path(small_processed).read_text(encoding="utf-8"))
    processed = context.resolve(small_processed).processed_dir
    orders = pl.read_parquet(processed / "orders.parquet")
    merges = pl.read_parquet(processed / "merge_log.parquet")
    pairs = dict(merges.filter(pl.col("table") == "customers")
                 .select("kept_id", "duplicate_id").iter_rows())
    i = pl.int_range(orders.height)
    lake = orders.with_columns(
        pl.when(i % 37 == 0).then(pl.lit("cancelled")).otherwise("status").alias("status"),
        pl.when(i % 5 == 0).then(None).otherwise("channel").alias("channel"),
        pl.when((i % 3 == 0) & pl.col("customer_id").is_in(list(pairs)))
        .then(pl.col("customer_id").replace_strict(pairs, default=None))
        .otherwise("customer_id").alias("customer_id"),
    ).sample(fraction=1.0, shuffle=True, seed=3)
    folder = tmp_path_factory.mktemp("engine-clean") / "lake"
    folder.mkdir()
    lake.write_parquet(folder / "part-0.parquet")
    return {"yaml": cfg, "lake": lake, "folder": folder, "merges": merges}


def _project(fx: dict[str, Any], root: Path, engine: dict[str, Any], customers: bool = True,
             orders: dict[str, Any] | None = None) -> config.Config:
    cfg = copy.deepcopy(fx["yaml"])
    cfg["paths"] = {"processed": str(root / "processed"), "reports": str(root / "reports")}
    cfg["sources"]["orders"] = {"engine": orders or {"path": str(fx["folder"])}}
    if not customers:
        del cfg["sources"]["customers"]
    cfg["engine"] = engine
    root.mkdir(parents=True, exist_ok=True)
    path = root / "workbench.yaml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return config.load(path)


def _on_the_driver(lake: pl.DataFrame, merge_log: pl.DataFrame, label: str
                   ) -> tuple[pl.DataFrame, pl.DataFrame, dict[str, Any]]:
    """The clean orders, their quarantine rows and ledger figures as the cleaning computed
    them with every order on the driver."""
    names = schema.get("orders").names
    orders = lake.sort("order_id")
    cancelled = orders.select(transactions.is_cancelled()).to_series()
    kept, dropped = orders.filter(~cancelled), orders.filter(cancelled)
    ids = engine_orders.id_map(merge_log)
    moved = kept.get_column("customer_id").is_in(ids.get_column("duplicate_id").implode())
    kept = kept.with_columns(pl.col("customer_id").replace(ids.get_column("duplicate_id"),
                                                           ids.get_column("kept_id")))
    signed = transactions.signed_amount()
    clean_orders = kept.with_columns(signed.alias("amount")).select(*names, "is_outlier")
    quarantine = dropped.select(
        pl.lit("orders").alias("table"), pl.lit(label).alias("source"),
        pl.lit(None, dtype=pl.Int64).alias("line"), pl.lit("cancelled_order").alias("reason"),
        pl.format("status cancelled (amount {})", pl.col("amount")).alias("detail"),
        pl.struct(names).struct.json_encode().alias("record"))
    figures = {
        "rows_in": orders.height, "rows_kept": kept.height, "rows_quarantined": dropped.height,
        "amount_in": round(float(orders.select(signed.sum()).item()), 2),
        "amount_kept": round(float(clean_orders.get_column("amount").sum()), 2),
        "amount_quarantined": round(float(dropped.select(signed.sum()).item()), 2),
        "repointed": int(moved.sum()),
        "returns_negated": int(kept.select((transactions.is_return() & (pl.col("amount") > 0))
                                           .sum()).item()),
        "outliers": int(kept.get_column("is_outlier").sum()),
        "reasons": {"cancelled_order": dropped.height}}
    return clean_orders, quarantine, figures


def _same_as_on_the_driver(fx: dict[str, Any], cfg: config.Config,
                           result: clean.CleanResult, derived: bool) -> None:
    processed = cfg.processed_dir
    written = pl.read_parquet(processed / "orders.parquet")
    entry = result.ledger["orders"]
    label = entry["sources"][0]["label"]
    assert label.startswith(LABEL_START)
    merge_log = pl.read_parquet(processed / "merge_log.parquet")
    want, q, figures = _on_the_driver(fx["lake"], merge_log, label)
    assert written.equals(want)  # rows, columns, types and order (by order id)
    assert figures["repointed"] > 0 or derived
    assert {k: entry[k] for k in figures} == figures
    got_q = pl.read_parquet(processed / "quarantine.parquet").filter(pl.col("table") == "orders")
    assert got_q.equals(q.cast(dict(got_q.schema)))
    if derived:
        assert result.ledger["customers"]["derived_from"] == "orders"
        sorted_orders = fx["lake"].sort("order_id").drop("is_outlier")
        archive = customers_from_orders(from_frame(sorted_orders, "orders", label))
        customers = pl.read_parquet(processed / "customers.parquet")
        ids = archive.frame.get_column("customer_id")
        assert customers.get_column("customer_id").to_list() == ids.to_list()
        assert customers.get_column("channel").to_list() == archive.frame["channel"].to_list()


@pytest.mark.parametrize("derived", [False, True], ids=["customers", "derived"])
@pytest.mark.parametrize("engine", ["polars", "duckdb"])
def test_the_engine_gives_what_the_driver_gave(fixture, tmp_path, engine, derived, monkeypatch):
    """Clean tables, quarantine and ledger as before, and no query brings every order."""
    monkeypatch.delenv(context.ENGINE_VAR, raising=False)
    collected: list[int] = []
    real = engine_orders.collect

    def counting(frame: Any) -> pl.DataFrame:
        out = real(frame)
        collected.append(out.height)
        return out

    monkeypatch.setattr(engine_orders, "collect", counting)
    cfg = _project(fixture, tmp_path, {"name": engine}, customers=not derived)
    result = clean.run(cfg)
    _same_as_on_the_driver(fixture, cfg, result, derived)
    # per-customer tables and the cancelled orders at most: never the orders themselves
    n_customers = fixture["lake"].get_column("customer_id").n_unique()
    assert collected and max(collected) <= n_customers < fixture["lake"].height


def test_the_derived_archive_is_the_one_from_the_orders(fixture, tmp_path, monkeypatch):
    """engine_orders.customers gives customers_from_orders' archive of the sorted orders,
    lines included."""
    monkeypatch.delenv(context.ENGINE_VAR, raising=False)
    cfg = _project(fixture, tmp_path, {"name": "duckdb"}, customers=False)
    spec = cfg.sources["orders"]
    eo = engine_orders.read(spec, engine_orders.EngineSettings.from_mapping({"name": "duckdb"}))
    try:
        got = engine_orders.customers(eo)
    finally:
        eo.close()
    want = customers_from_orders(from_frame(fixture["lake"].sort("order_id").drop("is_outlier"),
                                            "orders", spec.label))
    assert got.frame.equals(want.frame)
    assert got.sources == want.sources


def test_spark_gives_what_the_driver_gave(fixture, spark, tmp_path, monkeypatch):
    monkeypatch.delenv(context.ENGINE_VAR, raising=False)
    cfg = _project(fixture, tmp_path / "derived", SPARK, customers=False)
    _same_as_on_the_driver(fixture, cfg, clean.run(cfg), derived=True)
    bad = fixture["lake"].with_columns(pl.lit(None, dtype=pl.String).alias("customer_id"))
    spark.createDataFrame(bad.to_arrow()).createOrReplaceTempView("orders_without_ids")
    cfg = _project(fixture, tmp_path / "bad", SPARK, orders={"table": "orders_without_ids"})
    with pytest.raises(DataError, match=f"orders.customer_id: {bad.height} of {bad.height} rows "
                                        "are empty.*rows \\[\\{'order_id'"):
        clean.run(cfg)


def _bad(orders: pl.DataFrame) -> dict[str, tuple[pl.DataFrame, str]]:
    i = pl.int_range(pl.len())
    return {
        "null_ids": (orders.with_columns(pl.when(i < 2).then(None).otherwise("customer_id")
                                         .alias("customer_id")),
                     "orders.customer_id: 2 of 100 rows are empty; every row needs a value; "
                     "rows \\[\\{'order_id'"),
        "null_dates": (orders.with_columns(pl.when(i == 5).then(None).otherwise("order_date")
                                           .alias("order_date")),
                       "orders.order_date: 1 of 100 rows are empty"),
        "null_amounts": (orders.with_columns(pl.when(i < 3).then(None).otherwise("amount")
                                             .alias("amount")),
                         "orders.amount: 3 of 100 rows are empty"),
        "null_statuses": (orders.with_columns(pl.when(i == 9).then(None).otherwise("status")
                                              .alias("status")),
                          "orders.status: 1 of 100 rows are empty"),
        "statuses": (orders.with_columns(pl.when(i < 4).then(pl.lit("paid")).otherwise("status")
                                         .alias("status")),
                     "orders.status: 4 rows have values outside \\{completed, cancelled, "
                     "returned\\} \\(e.g. 'paid'\\); rows \\[\\{.*'status': 'paid'"),
        "quantities": (orders.with_columns(pl.when(i == 0).then(-2).otherwise("quantity")
                                           .alias("quantity")),
                       "orders.quantity: 1 rows are outside \\[0, inf\\]; rows \\[\\{.*"
                       "'quantity': -2"),
        "repeated": (pl.concat([orders, orders.head(2)]),
                     "orders.order_id: 2 value\\(s\\) repeat on 4 rows \\(e.g. "),
    }


@pytest.mark.parametrize("engine", ["polars", "duckdb"])
def test_each_kind_of_unclean_order_stops_with_its_message(fixture, tmp_path, engine,
                                                          monkeypatch):
    monkeypatch.delenv(context.ENGINE_VAR, raising=False)
    orders = fixture["lake"].filter(pl.col("status") != "cancelled").head(100)
    for name, (frame, match) in _bad(orders).items():
        folder = tmp_path / name
        folder.mkdir()
        frame.write_parquet(folder / "orders.parquet")
        cfg = _project(fixture, folder, {"name": engine},
                       orders={"path": str(folder / "orders.parquet")})
        with pytest.raises(DataError) as caught:
            clean.run(cfg)
        text = str(caught.value)
        assert text.startswith(f"{LABEL_START}path "), name
        assert "not clean canonical orders: " in text and "correct them at the source" in text
        assert re.search(match, text), (name, text)
        assert not (folder / "processed" / "orders.parquet").exists(), name
    # every problem is listed, each with its own examples
    both = _bad(orders)["null_amounts"][0].with_columns(pl.lit("paid").alias("status"))
    both.write_parquet(tmp_path / "both.parquet")
    cfg = _project(fixture, tmp_path / "both", {"name": engine},
                   orders={"path": str(tmp_path / "both.parquet")})
    with pytest.raises(DataError, match="orders.amount: 3 of 100 rows are empty.*; "
                                        "orders.status: 100 rows have values outside"):
        clean.run(cfg)
