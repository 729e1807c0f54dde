"""The de-duplication's match model on Spark (local mode): the same settings as on DuckDB give
the same candidates, prior and decisions within the sampling noise of the u estimates, and meet
the same targets against the demo truth.  Spark runs for real (Java is required: a missing Java
fails these tests)."""

from __future__ import annotations

import dataclasses
import json

import pytest

from workbench import clean, config, ingest
from workbench.clean.dedupe import dedupe_customers
from workbench.clean.evaluate import merge_accuracy


@pytest.fixture(scope="module")
def archive(small_demo, small_config):
    cfg = config.load(small_config)
    raw = ingest.read_sources({"customers": cfg.sources["customers"]})
    typed = ingest.coerce(raw["customers"]).typed
    truth = json.loads((small_demo / "truth.json").read_text(encoding="utf-8"))
    return typed, truth


def _pairs(result) -> set[tuple[str, str]]:
    return set(zip(result.merge_log["duplicate_id"], result.merge_log["kept_id"], strict=True))


def test_spark_backend_runs_the_same_settings(archive, spark):
    typed, truth = archive
    duck = dedupe_customers(typed, clean.CleaningRules())
    rules = dataclasses.replace(clean.CleaningRules(), linkage_backend="spark")
    sp = dedupe_customers(typed, rules, spark=spark)
    # Blocking, placeholders and the prior do not depend on the engine.
    assert sp.info["candidate_pairs"] == duck.info["candidate_pairs"] > 0
    assert sp.placeholders == duck.placeholders
    assert sp.info["prior_weight"] == pytest.approx(duck.info["prior_weight"], abs=1e-6)
    # u is estimated from a random sample, and each engine draws its own: the decisions agree
    # on nearly every pair and meet the same targets.
    a, b = _pairs(duck), _pairs(sp)
    assert len(a & b) / len(a | b) >= 0.9, (a ^ b)
    acc = merge_accuracy(sp.merge_log, truth)
    assert acc["precision"] >= 0.99 and acc["recall"] >= 0.9, acc
    assert acc["stranger_merges"] == []
    assert sp.kept.height + sp.merge_log.height == typed.height
