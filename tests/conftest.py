"""Shared fixtures: a small dirty demo dataset, its configuration, and its clean tables.

The data is generated once per test session by the real generator and cleaned
by the real cleaning pipeline (no mocks).  Tests that need other data build
small tables by hand.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

SMALL_CUSTOMERS = 800
SMALL_SEED = 11


@pytest.fixture(scope="session")
def small_demo(tmp_path_factory) -> Path:
    """Folder with a small dirty demo dataset (five CSV files and truth.json)."""
    from workbench import demo

    out = tmp_path_factory.mktemp("demo") / "raw"
    demo.write_demo(out=out, customers=SMALL_CUSTOMERS, seed=SMALL_SEED, dirty=True)
    return out


@pytest.fixture(scope="session")
def small_config(small_demo, tmp_path_factory) -> Path:
    """A workbench.yaml that reads the small demo data and writes into a temporary project."""
    from workbench import demo

    root = tmp_path_factory.mktemp("project")
    cfg = demo.config_for(small_demo, processed_dir=root / "processed", reports_dir=root / "reports")
    path = root / "workbench.yaml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def small_processed(small_config) -> Path:
    """Run the real cleaning on the small demo data; returns the config path."""
    from workbench import clean, config

    clean.run(config.load(small_config))
    return small_config


@pytest.fixture(scope="session")
def spark(tmp_path_factory):
    """One Spark session in local mode for the whole test run (started on first use).

    Java is required: without it the session cannot start and the tests that use it fail.
    """
    from pyspark.sql import SparkSession

    warehouse = tmp_path_factory.mktemp("spark-warehouse")
    session = (SparkSession.builder.master("local[2]").appName("workbench-tests")
               .config("spark.sql.shuffle.partitions", "2")
               .config("spark.default.parallelism", "2")
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.warehouse.dir", str(warehouse))
               .config("spark.driver.memory", "1g")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
