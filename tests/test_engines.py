"""polars, DuckDB and Spark give the same per-customer tables, from the same rules.

The engines run :mod:`workbench.engine.compute` (the rules of ``transactions`` and
``rfm`` built with narwhals); the reference is the polars path every room uses
(``transactions.transactions``, ``rfm.summary``, ``rfm.calibration_holdout``,
``transactions.net_revenue``, ``service.cohort_table``).  Spark runs in local mode,
one session for the module, started here: a machine without Java fails these tests.
"""

from __future__ import annotations

import time
from datetime import date

import polars as pl
import pytest

from workbench import demo, rfm, service, transactions
from workbench import engine as E
from workbench.engine import EngineSettings
from workbench.errors import ConfigError, DataError, UsageError
from workbench.transactions import TransactionSettings

ENGINES = ("polars", "duckdb", "spark")
HAND_AS_OF = date(2024, 6, 30)
HAND_CAL = date(2024, 3, 31)
DEMO_AS_OF = date(2026, 6, 30)
DEMO_CAL = date(2025, 12, 31)
RFM = ["frequency", "recency", "T"]
TIMINGS: dict[str, float] = {}


def _hand_orders() -> pl.DataFrame:
    """Purchases on one day, a positive return, a cancellation, a free sample, outliers."""
    rows = [
        ("o1", "A", date(2024, 1, 5), 100.0, "completed", False),
        ("o2", "A", date(2024, 1, 5), 50.0, "completed", False),
        ("o3", "A", date(2024, 3, 1), 30.0, "returned", False),
        ("o4", "A", date(2024, 4, 1), 80.0, "cancelled", False),
        ("o5", "B", date(2024, 2, 1), 5000.0, "completed", True),
        ("o6", "B", date(2024, 5, 1), 7000.0, None, True),
        ("o7", "C", date(2024, 2, 2), 0.0, "completed", False),
        ("o8", "C", date(2024, 6, 30), -20.0, "completed", False),
        ("o9", "D", date(2024, 7, 1), 200.0, "completed", False),
        ("o10", "A", date(2024, 4, 20), 60.25, "completed", False),
        ("o11", "E", date(2024, 1, 9), 12.34, "completed", False),
        ("o12", "E", date(2024, 6, 2), 45.67, "completed", False),
        ("o13", "E", date(2024, 6, 2), 0.01, "completed", False),
    ]
    return pl.DataFrame(rows, schema=["order_id", "customer_id", "order_date", "amount", "status",
                                      "is_outlier"], orient="row")


def _demo_orders() -> pl.DataFrame:
    orders = demo.generate(3000, seed=23)["orders"]
    # flag some big orders, as the cleaning does, so the cap is exercised
    return orders.with_columns((pl.col("amount") > pl.col("amount").quantile(0.995))
                               .alias("is_outlier"))


DATA = {"hand": (_hand_orders, HAND_AS_OF, HAND_CAL), "demo": (_demo_orders, DEMO_AS_OF, DEMO_CAL)}


@pytest.fixture(scope="module")
def opened():
    """One session per engine for the module (Spark: local[2], 2 shuffle partitions)."""
    settings = {
        "polars": EngineSettings(),
        "duckdb": EngineSettings.from_mapping({"name": "duckdb", "duckdb": {"threads": 2}}),
        "spark": EngineSettings.from_mapping({"name": "spark", "spark": {
            "master": "local[2]", "conf": {"spark.sql.shuffle.partitions": 2,
                                           "spark.default.parallelism": 2,
                                           "spark.ui.enabled": False}}}),
    }
    stack, out = [], {}
    start = time.perf_counter()
    for name in ENGINES:
        cm = E.open_engine(settings[name])
        out[name] = cm.__enter__()
        stack.append(cm)
    TIMINGS["open engines"] = time.perf_counter() - start
    yield out
    for cm in reversed(stack):
        cm.__exit__(None, None, None)


def _results(eng: E.Engine, orders: pl.DataFrame, as_of: date, cal: date) -> dict[str, pl.DataFrame]:
    log = eng.keep(E.transactions(eng.to_engine(orders), as_of))
    buys = E.purchases(log)
    return {
        "log": E.to_polars(log).sort("order_id"),
        "summary": E.rfm_summary(buys, observation_period_end=as_of),
        "cal_hold": E.calibration_holdout(buys, cal, as_of),
        "net": E.net_revenue(log, as_of, (3, 12)),
        "cohorts": E.cohort_table(log),
        "kpis": E.monthly_kpis(log),
    }


@pytest.fixture(scope="module")
def results(opened):
    out = {}
    for data, (make, as_of, cal) in DATA.items():
        orders = make()
        for name in ENGINES:
            start = time.perf_counter()
            out[(name, data)] = _results(opened[name], orders, as_of, cal)
            TIMINGS[f"{name} {data}"] = time.perf_counter() - start
    return out


def _reference(data: str) -> dict[str, pl.DataFrame]:
    make, as_of, cal = DATA[data]
    log = transactions.transactions(make(), as_of).collect()
    buys = transactions.purchases(log).collect()
    return {
        "log": log.sort("order_id"),
        "summary": rfm.summary(buys, "customer_id", "day", "value", as_of),
        "cal_hold": rfm.calibration_holdout(buys, "customer_id", "day", cal, as_of,
                                            monetary_value_col="value"),
        "net3": transactions.net_revenue(log, as_of, 3).collect(),
        "net12": transactions.net_revenue(log, as_of, 12).collect(),
        "cohorts": service.cohort_table(log, "month"),
    }


def _money_close(got: pl.DataFrame, ref: pl.DataFrame, exact: list[str], money: list[str]):
    assert got.columns == ref.columns
    assert got.get_column(got.columns[0]).to_list() == ref.get_column(ref.columns[0]).to_list()
    for c in exact:
        assert got.get_column(c).to_list() == ref.get_column(c).to_list(), c
    for c in money:
        diff = (got.get_column(c) - ref.get_column(c)).abs().max()
        assert diff is not None and diff <= 1e-9, (c, diff)


@pytest.mark.parametrize("data", list(DATA))
@pytest.mark.parametrize("name", ENGINES)
def test_the_log_is_the_polars_log(results, name, data):
    got, ref = results[(name, data)]["log"], _reference(data)["log"]
    assert got.schema == ref.schema
    assert got.equals(ref)
    if data == "hand":  # the cap: 0.99 quantile of the unflagged purchases, flagged B capped
        values = dict(zip(got["order_id"], got["value"], strict=True))
        assert values["o5"] == values["o6"] == 98.01 and "o4" not in values


@pytest.mark.parametrize("data", list(DATA))
@pytest.mark.parametrize("name", ENGINES)
def test_rfm_summary_equals_rfm_summary(results, name, data):
    got, ref = results[(name, data)]["summary"], _reference(data)["summary"]
    _money_close(got, ref, RFM, ["monetary_value"])
    if data == "demo":
        assert got.height > 1000 and got.get_column("frequency").max() >= 3


@pytest.mark.parametrize("data", list(DATA))
@pytest.mark.parametrize("name", ENGINES)
def test_calibration_holdout_equals_rfm(results, name, data):
    got, ref = results[(name, data)]["cal_hold"], _reference(data)["cal_hold"]
    _money_close(got, ref, ["frequency_cal", "recency_cal", "T_cal", "frequency_holdout",
                            "duration_holdout"], ["monetary_value_cal", "monetary_value_holdout"])
    assert got.get_column("frequency_holdout").sum() > 0


@pytest.mark.parametrize("data", list(DATA))
@pytest.mark.parametrize("name", ENGINES)
def test_net_revenue_windows_equal_transactions_net_revenue(results, name, data):
    got, ref = results[(name, data)]["net"], _reference(data)
    for m in (3, 12):
        window = got.select("customer_id", f"net_revenue_{m}m").drop_nulls()
        assert window.equals(ref[f"net{m}"]), m  # to the last bit
    if data == "hand":
        assert dict(got.select("customer_id", "net_revenue_12m").iter_rows()) == {
            "A": 180.25, "B": 196.02, "C": -20.0, "E": 58.02}


@pytest.mark.parametrize("data", list(DATA))
@pytest.mark.parametrize("name", ENGINES)
def test_cohorts_and_kpis_equal_on_every_engine(results, name, data):
    mine = results[(name, data)]
    assert mine["cohorts"].equals(results[("polars", data)]["cohorts"])
    assert mine["kpis"].equals(results[("polars", data)]["kpis"])
    # the cohort cells are service.cohort_table's (which fills the empty cells with 0)
    ref = _reference(data)["cohorts"]
    cells = mine["cohorts"].join(ref, on=["cohort", "periods_since"], how="left", suffix="_ref")
    assert cells.height == mine["cohorts"].height > 0
    assert cells["active"].to_list() == cells["active_ref"].to_list()
    assert cells["cohort_size"].to_list() == cells["cohort_size_ref"].to_list()
    assert (cells["revenue"] - cells["revenue_ref"]).abs().max() <= 1e-6
    rest = ref.join(mine["cohorts"], on=["cohort", "periods_since"], how="anti")
    assert rest.get_column("active").sum() == 0 and rest.get_column("revenue").abs().sum() == 0


def test_monthly_kpis_by_hand(results):
    kpis = results[("spark", "hand")]["kpis"]
    jan = kpis.filter(pl.col("month") == "2024-01").row(0, named=True)
    assert jan == {"month": "2024-01", "active_customers": 2, "orders": 3, "net_revenue": 162.34}
    mar = kpis.filter(pl.col("month") == "2024-03").row(0, named=True)
    assert mar["active_customers"] == 0 and mar["net_revenue"] == -30.0


@pytest.mark.parametrize("name", ENGINES)
def test_a_hive_partitioned_parquet_dataset_gives_the_same_summary(opened, tmp_path_factory,
                                                                  name):
    root = tmp_path_factory.getbasetemp() / "orders_hive"
    orders = _demo_orders()
    if not root.exists():  # hive layout: the partition key lives in the folder names only
        parts = orders.with_columns(pl.col("order_date").dt.year().alias("year")).partition_by(
            "year", as_dict=True, include_key=False)
        for (year,), part in parts.items():
            (root / f"year={year}").mkdir(parents=True)
            part.write_parquet(root / f"year={year}" / "part-0.parquet")
        (root / "_SUCCESS").write_text("")  # a marker Spark writes next to its files
    assert len(list(root.glob("year=*/*.parquet"))) >= 3
    src = E.read_orders(opened[name], {"path": str(root)})
    assert "year" in src.collect_schema().names()
    got = E.rfm_summary(E.purchases(E.transactions(src, DEMO_AS_OF)),
                        observation_period_end=DEMO_AS_OF)
    _money_close(got, _reference("demo")["summary"], RFM, ["monetary_value"])


def test_an_sql_query_and_a_table_are_sources(opened):
    spark = opened["spark"]
    orders = _hand_orders()
    spark.to_engine(orders).to_native().createOrReplaceTempView("orders_hand")
    by_query = E.read_orders(spark, {"query": "SELECT * FROM orders_hand WHERE amount <> 0"})
    by_table = E.read_orders(spark, {"table": "orders_hand"})
    for src in (by_query, by_table):
        got = E.rfm_summary(E.purchases(E.transactions(src, HAND_AS_OF)),
                            observation_period_end=HAND_AS_OF)
        _money_close(got, _reference("hand")["summary"], RFM, ["monetary_value"])
    duck = opened["duckdb"]
    duck.native.register("orders_hand", orders.to_arrow())
    assert E.to_polars(E.read_source(duck, {"query": "SELECT count(*) AS n FROM orders_hand"})
                       ).item() == orders.height


def test_text_exports_stay_on_the_single_machine_ingest(opened, tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text("customer_id,order_date,amount\nA,2024-01-01,1\n", encoding="utf-8")
    with pytest.raises(UsageError, match="workbench clean"):
        E.read_orders(opened["duckdb"], {"path": str(path)})
    with pytest.raises(UsageError, match="duckdb or spark"):
        E.read_orders(opened["polars"], {"table": "sales.orders"})
    with pytest.raises(DataError, match="does not exist"):
        E.read_orders(opened["spark"], {"path": str(tmp_path / "nothing")})
    # a cluster's storage is checked by the engine where it runs, not on the driver
    from workbench.engine.sources import _parquet_path
    assert _parquet_path("s3a://bucket/orders/") == ("s3a://bucket/orders/", True)
    assert _parquet_path("hdfs://nn/orders/part-0.parquet")[1] is False


@pytest.mark.parametrize("name", ENGINES)
def test_bad_input_is_named(opened, name):
    bad = pl.DataFrame({"customer_id": ["A", None], "day": [date(2024, 1, 1), date(2024, 1, 2)],
                        "value": [1.0, 2.0]})
    with pytest.raises(DataError, match="1 purchase.*no customer id in column 'customer_id'"):
        E.rfm_summary(opened[name].to_engine(bad))
    with pytest.raises(DataError, match="column\\(s\\) \\['order_date', 'amount'\\] missing"):
        E.transactions(opened[name].to_engine(bad.rename({"value": "total"})))


@pytest.mark.parametrize("policy", ["keep", "exclude"])
def test_other_outlier_policies_match(opened, policy):
    settings = TransactionSettings.from_mapping({"outlier_amounts": policy})
    ref = transactions.transactions(_hand_orders(), HAND_AS_OF, settings).collect().sort("order_id")
    for name in ("duckdb", "spark"):
        got = E.to_polars(E.transactions(opened[name].to_engine(_hand_orders()), HAND_AS_OF,
                                         settings)).sort("order_id")
        assert got.equals(ref), name


def test_engine_settings_are_checked():
    s = EngineSettings.from_mapping({"name": "spark", "spark": {
        "connect": "sc://spark.example:15002", "conf": {"spark.sql.shuffle.partitions": 8}}})
    assert s.spark_connect == "sc://spark.example:15002"
    assert s.spark_conf == {"spark.sql.shuffle.partitions": "8"}
    assert s.with_name("duckdb").name == "duckdb"
    with pytest.raises(ConfigError, match="engine.name"):
        EngineSettings.from_mapping({"name": "dask"})
    with pytest.raises(ConfigError, match="engine.spark.*unknown.*mastr"):
        EngineSettings.from_mapping({"spark": {"mastr": "local[2]"}})
    with pytest.raises(ConfigError, match="engine.duckdb.threads"):
        EngineSettings.from_mapping({"duckdb": {"threads": "four"}})


def test_spark_timings(results):
    """Not a speed target (those live in benchmarks/): prints what the Spark part took."""
    for key, seconds in TIMINGS.items():
        print(f"{key:<16} {seconds:6.1f} s")
    assert TIMINGS["spark demo"] > 0


def test_the_report_context_on_duckdb_gives_the_polars_clv(small_processed, monkeypatch):
    """`workbench report --engine duckdb` sets $WORKBENCH_ENGINE: the notebooks' context then
    builds the log and the RFM summary on DuckDB, and CLV comes out as on polars."""
    from workbench import clv, context

    monkeypatch.delenv(context.ENGINE_VAR, raising=False)
    ctx = context.resolve(small_processed)
    assert ctx.engine_settings.name == "polars"
    ref_log = ctx.transactions().collect()
    ref = clv.analyse(ctx.transactions(), ctx.as_of)
    ref_summary = rfm.summary(transactions.purchases(ref_log).collect(), "customer_id", "day",
                              "value", ctx.as_of)
    monkeypatch.setenv(context.ENGINE_VAR, "duckdb")
    assert ctx.engine_settings.name == "duckdb"
    log = ctx.transactions().collect()
    assert log.equals(ref_log.sort("customer_id", "day", "order_id"))
    _money_close(ctx.rfm_summary(), ref_summary, RFM, ["monetary_value"])
    got = clv.analyse(ctx.transactions(), ctx.as_of)
    assert got.model == ref.model and got.predictions.height == ref.predictions.height > 100
    assert got.predictions.columns == ref.predictions.columns
    for c, dtype in ref.predictions.schema.items():
        if dtype.is_float():
            diff = (got.predictions[c] - ref.predictions[c]).abs().max()
            assert diff is not None and diff <= 1e-6, (c, diff)
        else:
            assert got.predictions[c].to_list() == ref.predictions[c].to_list(), c


def test_the_engine_section_is_checked_up_front(tmp_path):
    import yaml

    from workbench import config, report

    path = tmp_path / "workbench.yaml"
    path.write_text(yaml.safe_dump({"engine": {"name": "sparkk", "spark": {"master": "local[2]"}}}),
                    encoding="utf-8")
    with pytest.raises(ConfigError, match="engine.name: 'sparkk' is not one of"):
        report.validate_config(config.load(path))
    path.write_text(yaml.safe_dump({"engine": {"name": "duckdb", "duckdb": {"threads": 2}}}),
                    encoding="utf-8")
    cfg = config.load(path)
    report.validate_config(cfg)
    assert EngineSettings.from_mapping(cfg.section("engine")).duckdb == {"threads": 2}


@pytest.mark.parametrize("name", ENGINES)
def test_canonical_orders_and_merged_ids_on_every_engine(opened, tmp_path, name):
    """``sources.orders.engine`` reads the canonical columns in their types (timestamps as
    dates, other columns left out) and re-points merged customers on the engine."""
    eng = opened[name]
    path = tmp_path / "orders.parquet"
    _hand_orders().with_columns(pl.col("order_date").cast(pl.Datetime("us")),
                                pl.lit(2024).alias("year")).write_parquet(path)
    read = E.canonical_orders(eng, {"path": str(path)})
    assert read.ignored == ["year"] and read.flagged
    got = E.to_polars(E.repoint(eng, read.frame, pl.DataFrame(
        {"duplicate_id": ["E", "Z"], "kept_id": ["A", "Y"]}))).sort("order_id")
    want = _hand_orders().with_columns(pl.col("customer_id").replace("E", "A")).sort("order_id")
    assert got.equals(want.select(got.columns))
    assert got.columns == ["order_id", "customer_id", "order_date", "amount", "status",
                           "is_outlier"]


def test_the_engine_of_a_run_is_chosen_once(monkeypatch):
    monkeypatch.delenv(E.ENGINE_VAR, raising=False)
    assert E.chosen({"name": "duckdb"}).name == "duckdb"
    assert E.chosen({"name": "duckdb"}, "spark").name == "spark"
    monkeypatch.setenv(E.ENGINE_VAR, "polars")
    assert E.chosen({"name": "duckdb", "duckdb": {"threads": 2}}).duckdb == {"threads": 2}
    assert E.chosen({"name": "duckdb"}).name == "polars"
    with pytest.raises(UsageError, match="engine 'dask' is not one of polars, duckdb, spark"):
        E.chosen({}, "dask")


def test_spark_writes_its_partitions_in_order_a_batch_per_job(opened, tmp_path, monkeypatch):
    """Spark's partitions come to the driver in order, consecutive small ones batched into one
    job (a job per partition costs about half a second), a larger one alone."""
    from workbench.engine import session
    assert session._batches([(0, 5), (1, 5), (2, 20), (3, 1), (4, 1)], 10) == [[0, 1], [2], [3, 4]]
    assert session._batches([], 10) == []
    spark = opened["spark"]
    frame = pl.DataFrame({"k": list(range(1_000))[::-1], "v": [f"r{i}" for i in range(1_000)]})
    native = spark.to_engine(frame).to_native().repartitionByRange(8, "k").sortWithinPartitions("k")
    assert native.rdd.getNumPartitions() == 8
    monkeypatch.setattr(session, "SPARK_BATCH_ROWS", 300)  # about two partitions a batch
    path = tmp_path / "sorted.parquet"
    assert spark.write_parquet(spark.from_native(native), path) == 1_000
    got = pl.read_parquet(path)
    assert got.get_column("k").to_list() == list(range(1_000))
    assert got.get_column("v").to_list() == [f"r{999 - i}" for i in range(1_000)]
