"""The de-duplication's match model on Spark (local mode): ``cleaning.linkage_backend: spark``
runs the real cleaning with the same settings as on DuckDB; it finds the same candidates,
placeholders and prior, nearly the same merges (u is estimated from a random sample, which each
engine draws itself), and meets the same targets against the demo truth.  Spark runs for real:
a missing Java fails this test."""

from __future__ import annotations

import json

import yaml

from workbench import clean, config, ingest
from workbench.clean.dedupe import dedupe_customers
from workbench.clean.evaluate import merge_accuracy


def _pairs(log) -> set[tuple[str, str]]:
    return set(zip(log["duplicate_id"], log["kept_id"], strict=True))


def test_cleaning_with_the_linkage_on_spark(small_demo, small_config, tmp_path, spark):
    cfg_map = yaml.safe_load(small_config.read_text(encoding="utf-8"))
    cfg_map.setdefault("cleaning", {})["linkage_backend"] = "spark"
    cfg_map["paths"] = {**cfg_map.get("paths", {}), "processed": str(tmp_path / "processed")}
    path = tmp_path / "workbench.yaml"
    path.write_text(yaml.safe_dump(cfg_map, allow_unicode=True, sort_keys=False), encoding="utf-8")
    cfg = config.load(path)
    assert clean.CleaningRules.from_config(cfg).linkage_backend == "spark"

    on_spark = clean.run(cfg)  # the cleaning's own check: the ledger balances exactly
    typed = ingest.coerce(ingest.read_sources(
        {"customers": cfg.sources["customers"]})["customers"]).typed
    duck = dedupe_customers(typed, clean.CleaningRules())
    info = on_spark.ledger["customers"]["dedupe"]
    assert info["candidate_pairs"] == duck.info["candidate_pairs"] > 0
    assert info["placeholders"] == duck.placeholders
    assert abs(info["prior_weight"] - duck.info["prior_weight"]) < 1e-6
    a, b = _pairs(duck.merge_log), _pairs(on_spark.merge_log)
    assert len(a & b) / len(a | b) >= 0.9, a ^ b
    truth = json.loads((small_demo / "truth.json").read_text(encoding="utf-8"))
    acc = merge_accuracy(on_spark.merge_log, truth)
    assert acc["precision"] >= 0.99 and acc["recall"] >= 0.9, acc
    assert acc["stranger_merges"] == []
    assert (tmp_path / "processed" / "customers.parquet").is_file()
    assert spark.sparkContext._jsc is not None  # the shared session was left running
