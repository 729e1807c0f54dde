"""Benchmark: the whole report (clean + report, the real CLI) on the dirty demo at growing sizes.

For each size (customers; default 20,000, 200,000 and 1,000,000) it writes the dirty
demo (``workbench demo-data --dirty --seed 7``), a project folder with the repository's
``workbench.yaml`` reading it, and runs, as a user would, one process after the other::

    workbench clean  --config <project>/workbench.yaml
    workbench report --config <project>/workbench.yaml --out <project>/reports
    workbench report --config <project>/workbench.yaml --out <project>/reports-reclean --reclean

(the first report reuses the clean tables the clean command has just written; the second
cleans again inside the report, as a scheduled run on new exports does).

Each command's process tree (the notebook kernels included) is sampled while it runs
(``benchmarks/proctree.py``): the table shows per size the seconds of each report step
(from the period's ``manifest.json``), the clean command, the report command, their
total, the CPU seconds of both trees, the peak memory of the largest process (its
``VmHWM``, as ``/usr/bin/time -v`` reports it) and of the whole tree at one time (the
report's own process plus the running kernel), the growth factor of the total from the
previous size, and the churn model's ROC AUC / average precision on the test cut-off.

The baseline, measured in the same run: the same report at the smallest size (or
``--baseline-size``) with every sample switched off (``churn.train_sample: null``,
``segmentation.cluster_sample: null``), so each row's ratio says how much longer the
report takes than the baseline size does without sampling.  Targets (docs/scale.md, "One machine: a million customers"): 1,000,000
customers in under 3 minutes and under 3 GB on two cores.

    python benchmarks/bench_report.py [--sizes 20000,200000,1000000] [--baseline-size N] [--keep DIR]

``--keep DIR`` keeps the generated data and projects and reuses the data on the next run.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from proctree import TreeRun, run_tree  # noqa: E402  (next to this file)

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
GB = 1024**3

def _workbench() -> list[str]:
    exe = BIN / "workbench"
    return [str(exe)] if exe.is_file() else [sys.executable, "-m", "workbench"]


def run(cmd: list[str], log: Path) -> TreeRun:
    """Run ``cmd`` measuring its process tree.  Raises on a non-zero exit (log kept)."""
    result = run_tree(cmd, log)
    if result.returncode:
        raise SystemExit(f"{' '.join(cmd)} exited {result.returncode}; see {log}")
    return result


def make_data(folder: Path, customers: int) -> Path:
    """The dirty demo of ``customers`` customers in ``folder`` (reused when already there)."""
    if not (folder / "orders.csv").is_file():
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run([*_workbench(), "demo-data", "--out", str(folder), "--customers",
                        str(customers), "--seed", "7", "--dirty"], check=True,
                       stdout=subprocess.DEVNULL)
    return folder


def make_project(folder: Path, data: Path, sampling: bool = True) -> Path:
    """A project folder: the repository's workbench.yaml, its demo sources read from ``data``."""
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "data" / "raw").mkdir(parents=True)
    (folder / "data" / "raw" / "demo").symlink_to(data.resolve())
    cfg = yaml.safe_load((ROOT / "workbench.yaml").read_text(encoding="utf-8"))
    if not sampling:
        cfg.setdefault("churn", {})["train_sample"] = None
        cfg.setdefault("segmentation", {})["cluster_sample"] = None
    path = folder / "workbench.yaml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def measure(root: Path, customers: int, sampling: bool = True) -> dict[str, Any]:
    """clean + report on a fresh project for ``customers``; per-step seconds, totals, peak memory."""
    data = make_data(root / f"data-{customers}", customers)
    project = root / f"project-{customers}{'' if sampling else '-unsampled'}"
    cfg = make_project(project, data, sampling)
    wb = _workbench()
    clean = run([*wb, "clean", "--config", str(cfg)], project / "clean.log")
    report = run([*wb, "report", "--config", str(cfg), "--out", str(project / "reports")],
                 project / "report.log")
    manifest = json.loads(next((project / "reports").glob("*/manifest.json")).read_text())
    # the report as a scheduled run meets new exports: cleaning inside it
    alone = run([*wb, "report", "--config", str(cfg), "--out", str(project / "reports-reclean"),
                 "--reclean"], project / "report-reclean.log")
    steps = {s["name"]: float(s.get("seconds") or 0.0) for s in manifest["steps"]}
    churn_json = next(project.glob("data/processed/*/results/churn.json"), None)
    churn = json.loads(churn_json.read_text()) if churn_json else {}
    return {"customers": customers, "sampling": sampling, "steps": steps,
            "clean_cmd": clean.wall, "report_cmd": report.wall, "total": clean.wall + report.wall,
            "cpu": clean.cpu + report.cpu,
            "peak_gb": max(clean.largest_peak, report.largest_peak) / GB,
            "tree_gb": max(clean.tree_peak, report.tree_peak) / GB,
            "alone": alone.wall, "alone_peak_gb": alone.largest_peak / GB,
            "roc_auc": churn.get("roc_auc"), "pr_auc": churn.get("pr_auc")}


def table(rows: list[dict[str, Any]], baseline: dict[str, Any]) -> str:
    names = list(baseline["steps"])
    for r in rows:
        names += [n for n in r["steps"] if n not in names]
    head = ["size", *names, "clean cmd", "report cmd", "total s", "CPU s", "peak GB", "tree GB",
            "growth", "x base", "report --reclean", "its peak GB", "AUC", "AP"]
    lines = [" | ".join(head), " | ".join("---" for _ in head)]
    prev = None
    for r in [baseline, *rows]:
        label = f"{r['customers']:,}" + ("" if r["sampling"] else " (no sampling: baseline)")
        growth = f"{r['total'] / prev['total']:.2f}" if prev is not None and r["sampling"] else ""
        lines.append(" | ".join([
            label, *(f"{r['steps'].get(n, float('nan')):.1f}" for n in names),
            f"{r['clean_cmd']:.1f}", f"{r['report_cmd']:.1f}", f"{r['total']:.1f}",
            f"{r['cpu']:.0f}", f"{r['peak_gb']:.2f}", f"{r['tree_gb']:.2f}", growth,
            f"{r['total'] / baseline['total']:.2f}", f"{r['alone']:.1f}", f"{r['alone_peak_gb']:.2f}",
            f"{r['roc_auc']:.4f}" if r["roc_auc"] is not None else "",
            f"{r['pr_auc']:.4f}" if r["pr_auc"] is not None else ""]))
        if r["sampling"]:
            prev = r
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="20000,200000,1000000",
                    help="customers per run, comma-separated (default 20000,200000,1000000)")
    ap.add_argument("--baseline-size", type=int, default=None,
                    help="customers of the unsampled baseline run (default: the smallest size)")
    ap.add_argument("--keep", default=None, help="write data and projects here and keep them")
    args = ap.parse_args(argv)
    sizes = sorted(int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip())
    base_size = args.baseline_size or sizes[0]
    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-report-"))
    root.mkdir(parents=True, exist_ok=True)
    try:
        baseline = measure(root, base_size, sampling=False)
        print(f"baseline {base_size:,} without sampling: {baseline['total']:.1f} s", flush=True)
        rows = []
        for n in sizes:
            rows.append(measure(root, n))
            print(f"{n:,}: {rows[-1]['total']:.1f} s, {rows[-1]['peak_gb']:.2f} GB", flush=True)
        print()
        print(table(rows, baseline))
        print("\nsteps: seconds per report step (manifest.json); clean cmd / report cmd: wall "
              "seconds of each command (the report's 'clean' step reuses the tables that "
              "'workbench clean' has just written from the same inputs); CPU s: user + sys of "
              "both commands' process trees; peak GB: largest process; tree GB: largest sum "
              "of a command's processes at one time; growth: total / previous size's; "
              "x base: total / baseline; report --reclean: wall seconds of the report cleaning "
              "again itself (a scheduled run on new exports), and its largest process; AUC, "
              "AP: churn model on the test cut-off.")
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
