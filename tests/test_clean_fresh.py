"""The cleaning's fingerprint: the report reuses the clean tables only when they were written
from the same inputs, settings and code, and cleans again when any of them changed."""

from __future__ import annotations

import io
import json
import logging
import shutil
from pathlib import Path

import nbformat
import pytest
import yaml

from workbench import clean, config, demo, report
from workbench.clean import fresh


@pytest.fixture(scope="module")
def raw_demo(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("fresh") / "raw"
    demo.write_demo(out=out, customers=200, seed=5, dirty=True)
    return out


@pytest.fixture
def project(raw_demo, tmp_path) -> Path:
    """A project of its own (the raw files copied: the tests change them), one notebook."""
    raw = tmp_path / "raw"
    shutil.copytree(raw_demo, raw)
    cfg = demo.config_for(raw, processed_dir=tmp_path / "processed",
                          reports_dir=tmp_path / "reports")
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(
        "config_path = None\nas_of = None\nresults_dir = None\nlang = None\nshow_pii = None",
        metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(
            "import workbench.context\n"
            "ctx = workbench.context.resolve(config_path, as_of, results_dir, lang, show_pii)\n"
            "print(ctx.load('orders').height)")]
    nbformat.write(nb, nbs / "01_data_cleaning.ipynb")
    cfg.setdefault("report", {})["notebooks"] = str(nbs)
    path = tmp_path / "workbench.yaml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _ledger(cfg: config.Config) -> dict:
    return json.loads((cfg.processed_dir / "ledger.json").read_text(encoding="utf-8"))


def test_the_ledger_records_what_the_cleaning_read(project):
    cfg = config.load(project)
    clean.run(cfg)
    stamp = _ledger(cfg)[fresh.FINGERPRINT_KEY]
    files = {f["table"]: f for f in stamp["files"]}
    assert set(files) == set(cfg.sources)
    orders = Path(cfg.sources["orders"].path)
    assert files["orders"]["bytes"] == orders.stat().st_size
    assert files["orders"]["sha256"] == report.file_sha256(orders)
    assert files["orders"]["settings"]["encoding"] == cfg.sources["orders"].encoding
    assert stamp["code"] == fresh.code_digest()
    assert fresh.is_current(cfg)
    # The presentation of the ledger still reads only its tables.
    assert set(clean.ledger_frame(_ledger(cfg))["table"]) <= set(cfg.sources) | {"order_lines"}
    assert {r["table"] for r in clean.sources_frame(_ledger(cfg)).to_dicts()} <= set(cfg.sources)


def test_any_change_to_inputs_settings_or_outputs_cleans_again(project):
    cfg = config.load(project)
    clean.run(cfg)
    assert fresh.is_current(cfg)
    # one byte of one export
    visits = Path(cfg.sources["visits"].path)
    data = visits.read_bytes()
    visits.write_bytes(data + b"\n")
    assert not fresh.is_current(cfg)
    visits.write_bytes(data)
    assert fresh.is_current(cfg)
    # a cleaning rule
    raw = yaml.safe_load(project.read_text(encoding="utf-8"))
    raw.setdefault("cleaning", {})["match_probability"] = 0.97
    changed = project.with_name("changed.yaml")
    changed.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    assert not fresh.is_current(config.load(changed))
    # a source setting
    raw = yaml.safe_load(project.read_text(encoding="utf-8"))
    raw["sources"]["complaints"]["encoding"] = "gb18030"
    changed.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    assert not fresh.is_current(config.load(changed))
    # a clean table gone
    (cfg.processed_dir / "orders.parquet").unlink()
    assert not fresh.is_current(cfg)


def test_code_digest_follows_the_code(tmp_path):
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "a.py").write_text("x = 1\n")
    (pkg / "sub" / "rules.yaml").write_text("k: 1\n")
    (pkg / "notes.txt").write_text("not code\n")
    first = fresh.code_digest.__wrapped__(pkg)
    (pkg / "notes.txt").write_text("still not code\n")
    assert fresh.code_digest.__wrapped__(pkg) == first
    (pkg / "sub" / "rules.yaml").write_text("k: 2\n")
    assert fresh.code_digest.__wrapped__(pkg) != first


def test_a_database_source_has_no_fingerprint(project, tmp_path):
    raw = yaml.safe_load(project.read_text(encoding="utf-8"))
    raw["sources"]["surveys"] = {"url": f"duckdb:///{tmp_path / 'x.duckdb'}",
                                 "query": "select 1"}
    path = tmp_path / "db.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    assert fresh.fingerprint(config.load(path)) is None


def test_the_report_reuses_unchanged_clean_tables_and_cleans_changed_ones(project, caplog):
    cfg = config.load(project)
    clean.run(cfg)
    written = (cfg.processed_dir / "orders.parquet").stat().st_mtime_ns
    kw = dict(notebooks=["01_data_cleaning"], period="2026-09", live=False)
    with caplog.at_level(logging.INFO, logger="workbench.report"):
        run = report.run(project, progress_stream=io.StringIO(), **kw)[0]
    step = next(s for s in run.manifest["steps"] if s["name"] == "clean")
    assert step["status"] == "ok" and step["reused"] is True
    assert any(r.getMessage().startswith("clean: done in") and "reused" in r.getMessage()
               for r in caplog.records)
    assert (cfg.processed_dir / "orders.parquet").stat().st_mtime_ns == written
    # --reclean: cleaned although nothing changed
    run = report.run(project, clean=True, progress_stream=io.StringIO(), **kw)[0]
    step = next(s for s in run.manifest["steps"] if s["name"] == "clean")
    assert "reused" not in step
    assert (cfg.processed_dir / "orders.parquet").stat().st_mtime_ns != written
    # an export changed: the default cleans again, and the rows follow the export
    orders = Path(cfg.sources["orders"].path)
    lines = orders.read_bytes().splitlines(keepends=True)
    orders.write_bytes(b"".join(lines[:-1]))
    rows_before = _ledger(cfg)["orders"]["rows_in"]
    run = report.run(project, progress_stream=io.StringIO(), **kw)[0]
    step = next(s for s in run.manifest["steps"] if s["name"] == "clean")
    assert "reused" not in step
    assert _ledger(cfg)["orders"]["rows_in"] == rows_before - 1
    # the manifest names the inputs the clean tables came from (here: the shortened export)
    inputs = {i["table"]: i for i in run.manifest["inputs"]}
    assert inputs["orders"]["sha256"] == report.file_sha256(orders)
    assert inputs["orders"]["bytes"] == orders.stat().st_size
    assert set(inputs) == set(cfg.sources)
    with pytest.raises(Exception, match="clean='sometimes'"):
        report.run(project, clean="sometimes", progress_stream=io.StringIO(), **kw)
