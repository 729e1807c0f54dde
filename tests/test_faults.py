"""Delivery under bad conditions: a wrong configuration, a full or read-only disk, a killed
run, two runs at once, degenerate data, and sections that cannot run.

Everything is real: the CLI, papermill kernels on tiny notebooks, subprocesses killed with
SIGKILL, tmpfs mounts (as root; skipped with the reason otherwise).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import nbformat
import polars as pl
import pytest
import yaml

from workbench import cli, config, report
from workbench import io as wio
from workbench.errors import ConfigError, DataError, StepFailed
from workbench.report import locking, preflight

PY = sys.executable


# --------------------------------------------------------------------------- helpers

def _tree(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _dotted(folder: Path) -> list[str]:
    """Hidden entries (staging folders, temporary files) except the lock file."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".")
                  and p.name != locking.LOCK_NAME) if folder.is_dir() else []


class _Mount:
    """A tmpfs of ``size`` at ``path`` (root only); ``ro()`` remounts it read-only."""

    def __init__(self, path: Path, size: str):
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        if os.geteuid() != 0:
            pytest.skip("mounting a small tmpfs needs root (mount -t tmpfs); not root here")
        proc = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                              capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            pytest.skip(f"mount -t tmpfs failed here: {proc.stderr.strip()}")

    def ro(self) -> None:
        subprocess.run(["mount", "-o", "remount,ro", str(self.path)], check=True)

    def fill(self, leave_bytes: int) -> None:
        """Fill the file system until about ``leave_bytes`` are free."""
        free = os.statvfs(self.path).f_bavail * os.statvfs(self.path).f_frsize
        with open(self.path / "filler.bin", "wb") as fh:
            fh.write(b"\0" * max(0, free - leave_bytes))

    def umount(self) -> None:
        subprocess.run(["umount", "-l", str(self.path)], check=False)


@pytest.fixture
def mount(tmp_path):
    made: list[_Mount] = []

    def make(name: str, size: str) -> _Mount:
        m = _Mount(tmp_path / name, size)
        made.append(m)
        return m

    yield make
    for m in made:
        m.umount()


_PARAMS = "config_path = None\nas_of = None\nresults_dir = None\nlang = None\nshow_pii = None"


def _notebook(path: Path, body: str, title: str) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(_PARAMS, metadata={"tags": ["parameters"]}),
                nbformat.v4.new_markdown_cell(f"# {title}"),
                nbformat.v4.new_code_cell(
                    "import os, time\nimport workbench.context, workbench.io\n"
                    "from workbench.errors import DataError, ModelError\n"
                    "ctx = workbench.context.resolve(config_path, as_of, results_dir, lang, "
                    "show_pii)\nflag = lambda name: (ctx.cfg.root / name).exists()"),
                nbformat.v4.new_code_cell(body)]
    nbformat.write(nb, path)


#: Tiny steps under the report's own names: 02 writes segments, 03 needs them (STEP_NEEDS),
#: 04 stands alone; each misbehaves when a flag file exists in the project folder.
_STEPS = {
    "02_segmentation": (
        "if flag('no_surveys'):\n    raise DataError('surveys.parquet does not exist')\n"
        "if flag('slow'):\n    time.sleep(60)\n"
        "n = ctx.load('orders').height\n"
        "workbench.io.atomic_write_parquet(ctx.load('orders'), ctx.result_path('segments'))\n"
        "workbench.io.save_step_results(ctx.results_dir, 'segmentation', {'customers': n})"),
    "03_clv": (
        "seg = workbench.io.read_parquet(ctx.result_path('segments'), '02_segmentation')\n"
        "workbench.io.save_step_results(ctx.results_dir, 'clv', {'rows': seg.height})"),
    "04_churn": (
        "if flag('short_history'):\n"
        "    raise ModelError('too few repeat buyers (2) to fit the churn model; at least 30')\n"
        "if flag('bug'):\n    raise KeyError('a real defect')\n"
        "workbench.io.save_step_results(ctx.results_dir, 'churn', {'roc_auc': 0.75})"),
}
STEPS = list(_STEPS)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A tiny project: hand-made clean orders, the three tiny steps above."""
    root = tmp_path_factory.mktemp("faults")
    processed = root / "processed"
    processed.mkdir()
    pl.DataFrame({"order_id": ["o1", "o2", "o3"], "customer_id": ["c1", "c2", "c1"],
                  "order_date": [date(2026, 8, 3), date(2026, 9, 14), date(2026, 10, 20)],
                  "amount": [10.0, 20.0, 30.0]}).write_parquet(processed / "orders.parquet")
    nbs = root / "nbs"
    nbs.mkdir()
    for name, body in _STEPS.items():
        _notebook(nbs / f"{name}.ipynb", body, name)
    (root / "workbench.yaml").write_text(yaml.safe_dump({
        "company": {"name": "Test Co", "currency": "CNY"},
        "paths": {"processed": "processed", "reports": "reports"},
        "report": {"lang": "en", "notebooks": "nbs"}}), encoding="utf-8")
    return root


def _run(project: Path, **kw):
    return report.run(project / "workbench.yaml", period="2026-10", notebooks=STEPS,
                      clean=False, progress_stream=io.StringIO(), live=False, **kw)


@pytest.fixture(scope="module")
def published(project):
    """One good run of the tiny project (2026-10)."""
    return _run(project)[0]


# --------------------------------------------------------------------------- A. configuration

def _config(tmp_path: Path, **sections) -> Path:
    data = {"company": {"name": "X", "founded": "2019-01-01", "currency": "CNY"},
            "paths": {"processed": "processed", "reports": "reports"},
            "sources": {"customers": {"path": "c.csv"}, "orders": {"path": "o.csv"}}}
    for k, v in sections.items():
        data[k] = {**data.get(k, {}), **v} if isinstance(v, dict) else v
    path = tmp_path / "workbench.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_validate_config_names_key_value_and_expectation(tmp_path):
    path = _config(tmp_path, segmentation={"k_min": "3"})
    with pytest.raises(ConfigError) as info:
        report.validate_config(config.load(path))
    assert str(info.value) == "workbench.yaml segmentation.k_min: '3' is not a whole number."
    assert info.value.exit_code == 2


def test_validate_config_lists_every_problem(tmp_path):
    path = _config(tmp_path, paths={"processed": ["a", "b"]},
                   company={"currency": "yuan"}, churn={"flag_share": "lots"},
                   clv={"penalizer": True}, report={"lock_wait_seconds": -1},
                   cleaning={"outliers": {"method": "iqr"}})
    problems = report.config_problems(config.load(path))
    assert len(problems) == 6, problems
    text = "\n".join(problems)
    assert "paths.processed: ['a', 'b'] is not a folder path" in text
    assert "company.currency: 'yuan' is not a currency code; expected a 3-letter" in text
    assert "churn.flag_share: 'lots'" in text
    assert "clv.penalizer: True" in text
    assert "report.lock_wait_seconds: -1.0 must be a number of seconds" in text
    assert "outliers.method 'iqr'" in text


def test_validate_config_accepts_the_shipped_configuration():
    root = Path(__file__).resolve().parents[1]
    assert report.config_problems(config.load(root / "workbench.yaml")) == []


def test_clean_with_a_bad_setting_stops_before_reading_or_writing(tmp_path, capsys):
    path = _config(tmp_path, service={"sla_hours": {"low": "a week"}})
    code = cli.main(["clean", "--config", str(path)])
    err = capsys.readouterr().err
    assert code == 2
    assert "service.sla_hours.low: 'a week' is not a number" in err
    assert not (tmp_path / "processed").exists()  # nothing was read (c.csv is absent) or written


def test_report_with_a_bad_setting_exits_2_before_cleaning(tmp_path, capsys):
    path = _config(tmp_path, company={"founded": [2019]})
    code = cli.main(["report", "--config", str(path)])
    assert code == 2
    assert "founded" in capsys.readouterr().err
    assert not (tmp_path / "processed").exists() and not (tmp_path / "reports").exists()


# --------------------------------------------------------------------------- B. disk faults

def test_full_disk_parquet_write_names_folder_and_keeps_previous_file(mount):
    m = mount("full", "2m")
    target = m.path / "segments.parquet"
    wio.atomic_write_parquet(pl.DataFrame({"x": [1, 2, 3]}), target)
    before = target.read_bytes()
    big = pl.DataFrame({"x": pl.int_range(0, 2_000_000, eager=True).cast(pl.Float64) * 1.37})
    with pytest.raises(wio.OutputError) as info:
        wio.atomic_write_parquet(big, target)
    msg = str(info.value)
    assert info.value.exit_code == 5
    assert f"no space left on the disk holding {m.path}" in msg and "Free space" in msg
    assert target.read_bytes() == before
    assert sorted(p.name for p in m.path.iterdir()) == ["segments.parquet"]  # no temp file


def test_read_only_folder_write_is_a_clear_error(mount):
    m = mount("ro", "1m")
    m.ro()
    with pytest.raises(wio.OutputError,
                       match=f"{m.path / 'results'} is on a read-only file system"):
        wio.atomic_write_json({"a": 1}, m.path / "results" / "churn.json")


def test_clean_on_a_full_disk_exits_5_and_keeps_previous_tables(mount, degenerate, capsys):
    m = mount("processed", "4m")
    root, customers, orders = degenerate
    path = _case(root, "full_disk", customers, orders)
    cfg = yaml.safe_load(path.read_text(encoding="utf-8"))
    cfg["paths"]["processed"] = str(m.path / "processed")
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    assert cli.main(["clean", "--config", str(path)]) == 0
    before = _tree(m.path / "processed")
    m.fill(leave_bytes=4096)
    code = cli.main(["clean", "--config", str(path)])
    err = capsys.readouterr().err
    assert code == 5, err
    assert f"no space left on the disk holding {m.path / 'processed'}" in err
    assert "Traceback" not in err
    assert _tree(m.path / "processed") == before
    assert _dotted(m.path / "processed") == []


def test_report_into_a_read_only_reports_folder(project, published, mount, capsys):
    m = mount("reports-ro", "1m")
    m.ro()
    with pytest.raises(wio.OutputError, match=f"{m.path} is on a read-only file system"):
        report.run(project / "workbench.yaml", period="2026-10", notebooks=STEPS, clean=False,
                   out=m.path, progress_stream=io.StringIO(), live=False)
    assert _dotted(project / "processed") == []


def test_report_on_a_full_reports_disk_keeps_the_published_report(project, published, mount):
    m = mount("reports-full", "16m")
    first = _run(project, out=m.path)[0]
    before = _tree(first.folder)
    m.fill(leave_bytes=8192)
    with pytest.raises(wio.OutputError) as info:
        _run(project, out=m.path)
    assert f"no space left on the disk holding {m.path}" in str(info.value)
    assert "was not published" in str(info.value) or "unchanged" in str(info.value)
    assert _tree(first.folder) == before
    assert _dotted(m.path) == []
    assert _dotted(project / "processed") == []


# --------------------------------------------------------------------------- C. a killed run

@pytest.mark.slow
def test_killed_report_changes_nothing_and_next_run_cleans_up(project, published):
    reports, processed = published.folder.parent, project / "processed"
    results = processed / "2026-10-31"
    before_report, before_results = _tree(published.folder), _tree(results)
    assert "results/segmentation.json" in before_results
    (project / "slow").touch()
    try:
        script = ("import sys; from workbench import report; report.run(sys.argv[1], "
                  f"period='2026-10', notebooks={STEPS!r}, clean=False)")
        proc = subprocess.Popen([PY, "-c", script, str(project / "workbench.yaml")],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        # Wait until 02 (sleeping) runs in its kernel: its staging folders exist by then.
        while time.monotonic() < deadline:
            logs = list(reports.glob(".2026-10.running-*/run.log"))
            if logs and "02_segmentation: started" in logs[0].read_text(encoding="utf-8"):
                break
            time.sleep(0.2)
        else:
            pytest.fail("the run never reached step 02")
        time.sleep(1.0)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        (project / "slow").unlink()
    assert _dotted(reports) and _dotted(processed)  # what a killed run leaves ...
    assert _tree(published.folder) == before_report  # ... changes nothing published
    assert _tree(results) == before_results  # ... nor the results computed before
    owner = locking.read_owner(processed / locking.LOCK_NAME)
    assert owner["pid"] == proc.pid
    again = _run(project)[0]  # takes over the dead run's lock, removes its staging folders
    assert again.manifest["status"] == "ok"
    assert _dotted(reports) == [] and _dotted(processed) == []
    assert not (processed / locking.LOCK_NAME).exists()


# --------------------------------------------------------------------------- D. two runs at once

_HOLD = """
import sys, time
from workbench.report import locking
with locking.hold([sys.argv[1]]):
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def _holder(folder: Path, seconds: float) -> subprocess.Popen:
    proc = subprocess.Popen([PY, "-c", _HOLD, str(folder), str(seconds)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    return proc


def test_second_run_exits_6_naming_the_owner(project, capsys):
    holder = _holder(project / "processed", 30)
    try:
        code = cli.main(["report", "--config", str(project / "workbench.yaml"),
                         "--period", "2026-10"])
        err = capsys.readouterr().err
        assert code == 6
        assert f"pid {holder.pid} on {os.uname().nodename}" in err
        assert str(project / "processed" / locking.LOCK_NAME) in err
        assert "lock_wait_seconds" in err
        t0 = time.monotonic()
        with pytest.raises(locking.LockBusy, match="after waiting 0.5 s"):
            locking.RunLock(project / "processed").acquire(wait_seconds=0.5)
        assert time.monotonic() - t0 >= 0.5
    finally:
        holder.kill()
        holder.wait()


def test_waiting_run_gets_the_lock_when_the_owner_finishes(tmp_path):
    holder = _holder(tmp_path, 1.0)
    t0 = time.monotonic()
    lock = locking.RunLock(tmp_path).acquire(wait_seconds=20)
    try:
        assert 0.3 < time.monotonic() - t0 < 15
        assert locking.read_owner(lock.path)["pid"] == os.getpid()
        assert lock.took_over is None  # released properly, not taken over
    finally:
        lock.release()
        holder.wait()
    assert not lock.path.exists()


def test_stale_lock_of_a_dead_process_is_taken_over(tmp_path):
    holder = _holder(tmp_path, 60)
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert locking.read_owner(tmp_path / locking.LOCK_NAME)["pid"] == holder.pid
    with locking.hold([tmp_path]) as (lock,):
        assert lock.took_over is not None and lock.took_over["pid"] == holder.pid
        assert locking.read_owner(lock.path)["pid"] == os.getpid()


# --------------------------------------------------------------------------- E. degenerate data

def _write_csv(path: Path, rows: list[dict]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


@pytest.fixture(scope="module")
def degenerate(tmp_path_factory):
    """Tiny raw exports: good customers and orders to corrupt case by case."""
    root = tmp_path_factory.mktemp("degenerate")
    customers = [{"customer_id": f"C{i}", "name": f"N{i}", "signup_date": "2025-01-05"}
                 for i in range(1, 6)]
    orders = [{"order_id": f"O{i}", "customer_id": f"C{i % 5 + 1}",
               "order_date": f"2025-{i % 9 + 1:02d}-1{i % 9}", "amount": 100 + i,
               "status": "completed"} for i in range(40)]
    return root, customers, orders


def _case(root: Path, name: str, customers: list[dict], orders: list[dict]) -> Path:
    folder = root / name
    folder.mkdir()
    if customers:
        _write_csv(folder / "customers.csv", customers)
    else:
        (folder / "customers.csv").write_text("customer_id,name,signup_date\n", encoding="utf-8")
    _write_csv(folder / "orders.csv", orders)
    (folder / "workbench.yaml").write_text(yaml.safe_dump({
        "company": {"name": "T", "founded": "2019-01-01", "currency": "CNY"},
        "paths": {"processed": "processed", "reports": "reports"},
        "sources": {"customers": {"path": "customers.csv", "date_format": "%Y-%m-%d"},
                    "orders": {"path": "orders.csv", "date_format": "%Y-%m-%d"}},
        "cleaning": {"dedupe": "exact"},  # five distinct customers: nothing to match
        "report": {"lang": "en"}}), encoding="utf-8")
    return folder / "workbench.yaml"


@pytest.mark.parametrize("case, period, expected", [
    ("all_cancelled", None,
     r"none of the 40 orders read from .*orders\.csv survived cleaning; quarantined: "
     r"cancelled_order 40 \(100%\).*export completed and returned orders too"),
    ("unknown_customers", None,
     r"none of the 40 orders .* unknown_customer 40 \(100%\).*customer ids are not in the "
     r"customer file.*\(5 customers kept\)"),
    ("empty_customer_file", None,
     r"unknown_customer 40 .*The customer file .*customers\.csv is empty for the workbench: it "
     r"has no data rows"),
    ("before_any_data", "2024-12",
     r"period 2024-12 \(as of 2024-12-31\) has nothing to analyse: no order is dated on or "
     r"before the as-of date 2024-12-31: the 40 clean orders run from 2025-01-1\d to .*Choose "
     r"a period from 2025-01 on"),
])
def test_degenerate_data_says_the_real_cause(degenerate, case, period, expected, capsys):
    root, customers, orders = degenerate
    if case == "all_cancelled":
        orders = [{**o, "status": "cancelled"} for o in orders]
    elif case == "unknown_customers":
        orders = [{**o, "customer_id": "Z" + o["customer_id"]} for o in orders]
    elif case == "empty_customer_file":
        customers = []
    path = _case(root, case, customers, orders)
    argv = ["report", "--config", str(path)] + (["--period", period] if period else [])
    code = cli.main(argv)
    err = capsys.readouterr().err
    assert code == 3, err
    assert re.search(expected, err, re.S), err
    assert "choose a later as_of" not in err
    assert not (path.parent / "reports" / (period or "x")).exists()


def test_preflight_only_returns(tmp_path):
    processed = tmp_path / "processed"
    processed.mkdir()
    pl.DataFrame({"order_id": ["o1"], "customer_id": ["c1"], "order_date": [date(2025, 3, 1)],
                  "amount": [-20.0], "status": ["returned"]}).write_parquet(
        processed / "orders.parquet")
    cfg = config.from_dict({"paths": {"processed": str(processed)}}, root=tmp_path)
    with pytest.raises(DataError, match=r"none of the 1 transactions known at 2025-03-31 is a "
                                        r"purchase \(returns: 1, other: 0\)"):
        preflight.check_period(cfg, date(2025, 3, 31), {})
    assert preflight.top_reasons({"reasons": {"a": 1, "b": 5, "c": 0, "d": 5}}) == [
        ("b", 5), ("d", 5), ("a", 1)]


# --------------------------------------------------------------------------- F. sections

def test_good_run_records_every_section_ok(published):
    m = published.manifest
    assert m["status"] == "ok"
    assert m["sections"] == {n: {"status": "ok", "reason": None} for n in STEPS}


def test_missing_input_skips_the_section_and_what_needs_it(project, published):
    before = _tree(published.folder)
    (project / "no_surveys").touch()
    try:
        run = _run(project)[0]
    finally:
        (project / "no_surveys").unlink()
    folder = published.folder
    assert run.folder == folder
    m = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert m == run.manifest
    assert m["status"] == "partial"
    assert m["sections"]["02_segmentation"] == {
        "status": "skipped", "reason": "DataError: surveys.parquet does not exist"}
    assert m["sections"]["03_clv"]["status"] == "skipped"
    assert "Tiers and segments" in m["sections"]["03_clv"]["reason"]
    assert m["sections"]["04_churn"] == {"status": "ok", "reason": None}
    page = (folder / "02_segmentation.html").read_text(encoding="utf-8")
    assert "This section could not be produced" in page
    assert "surveys.parquet does not exist" in page
    assert "orders: 3 rows known at 2026-10-31" in page
    assert "customers: no source in the configuration (add the export as sources.customers" in page
    assert "needs the results of “Tiers and segments”" in (folder / "03_clv.html").read_text(
        encoding="utf-8")
    # The skipped sections' stale outputs are gone from this period's results.
    assert list(m["results"]) == ["churn"]
    assert not (project / "processed" / "2026-10-31" / "segments.parquet").exists()
    assert _tree(folder) != before


def test_unfit_model_skips_only_its_section(project, published):
    (project / "short_history").touch()
    try:
        run = _run(project)[0]
    finally:
        (project / "short_history").unlink()
    m = run.manifest
    assert m["status"] == "partial"
    assert m["sections"]["04_churn"]["reason"] == (
        "ModelError: too few repeat buyers (2) to fit the churn model; at least 30")
    assert [s["status"] for s in m["sections"].values()] == ["ok", "ok", "skipped"]
    step = next(s for s in m["steps"] if s["name"] == "04_churn")
    assert step["error"]["ename"] == "ModelError" and step["html"] == "04_churn.html"


def test_nothing_reportable_is_the_data_exit_code(project, published):
    before = _tree(published.folder)
    (project / "no_surveys").touch()
    try:
        with pytest.raises(DataError, match="no analysis section could be produced; "
                                            "02_segmentation") as info:
            report.run(project / "workbench.yaml", period="2026-10",
                       notebooks=["02_segmentation", "03_clv"], clean=False,
                       progress_stream=io.StringIO(), live=False)
    finally:
        (project / "no_surveys").unlink()
    assert info.value.exit_code == 3 and "was not published" in str(info.value)
    assert _tree(published.folder) == before


def test_a_real_bug_still_fails_the_run(project, published):
    (project / "bug").touch()
    try:
        with pytest.raises(StepFailed, match="KeyError") as info:
            _run(project)
    finally:
        (project / "bug").unlink()
    assert info.value.exit_code == 1


def test_clean_stale_removes_staging_and_restores_an_interrupted_swap(tmp_path):
    old = tmp_path / ".2026-10-31.old-123-456"
    old.mkdir()
    (old / "segments.parquet").write_bytes(b"previous")
    for name in (".2026-10.running-abc", ".clean-x1y2", ".clean-backup-1a2b3c4d"):
        (tmp_path / name).mkdir()
    (tmp_path / ".orders.parquet.q1w2.tmp").write_bytes(b"half")
    (tmp_path / "2026-09-30").mkdir()
    (tmp_path / ".2026-09-30.old-1-2").mkdir()  # its replacement did arrive: just removed
    done = report.clean_stale(tmp_path)
    assert len(done) == 5
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".clean-backup-1a2b3c4d", "2026-09-30", "2026-10-31"]  # a backup is never removed
    assert (tmp_path / "2026-10-31" / "segments.parquet").read_bytes() == b"previous"


def test_a_step_outliving_its_run_writes_nothing(tmp_path):
    """A kernel that outlives its killed run (it notices its parent died only after a moment)
    must not re-create the run's staging folder once a later run has removed it."""
    staging = tmp_path / ".2026-10-31.running-abc123"
    staging.mkdir()
    wio.atomic_write_json({"a": 1}, staging / "results" / "x.json")  # the run is alive: fine
    assert (staging / "results" / "x.json").is_file()
    import shutil

    shutil.rmtree(staging)  # a later run cleaned up what the killed run left
    with pytest.raises(wio.OutputError, match=r"running-abc123 no longer exists"):
        wio.atomic_write_parquet(pl.DataFrame({"a": [1]}), staging / "segments.parquet")
    with pytest.raises(wio.OutputError, match="no longer exists"):
        wio.save_step_results(staging / "results", "segmentation", {"customers": 1})
    assert not staging.exists()
    # An ordinary folder is still created as needed.
    wio.atomic_write_json({"a": 1}, tmp_path / "new" / "deep" / "x.json")
    assert (tmp_path / "new" / "deep" / "x.json").is_file()
