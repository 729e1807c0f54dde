"""Seconds and peak memory of ``workbench clean`` on a project whose only source is
``sources.orders: {engine: {path: <dataset>}}`` (no customer archive: it is derived from the
orders), measured as a process tree (:mod:`proctree`) and stopped above a memory limit.

The dataset is one of ``benchmarks/gen_orders.py`` (generated here when the folder does not
hold it yet).  ``--tree`` runs the command from another source tree (a ``git worktree`` of an
earlier commit), so a change is measured before and after on the same data:

    python benchmarks/bench_engine_clean.py --dataset /tmp/orders-5m --customers 500000 \\
        --orders 5000000 --engine duckdb [--tree /tmp/before]

``--report`` runs the whole ``workbench report`` instead (its clean step included), the
project's report as a user runs it through the engine path:

    python benchmarks/bench_engine_clean.py --dataset /tmp/orders-10m --customers 1000000 \\
        --orders 10000000 --report

``--tables DIR`` adds the other tables of the same customers (``gen_orders.py --tables``:
``customers``, ``visits``, ``complaints``, ``surveys``, one Parquet file each) as sources
read by the single-machine ingest, so the service and management steps run too.

It prints the wall and CPU seconds, the driver's peak (``VmHWM``: DuckDB and polars run in
it; with ``--report`` the largest process, the report's own or a notebook kernel) and the
whole tree's, the ledger's orders entry and, with ``--report``, each step's seconds and
status; the clean tables are left in ``--work``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from proctree import run_tree  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
GB = 1024**3


def _project(args: argparse.Namespace) -> Path:
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    engine: dict = {"name": args.engine}
    if args.engine == "duckdb":
        engine["duckdb"] = {"threads": args.threads, "memory_limit": args.duckdb_memory_limit}
    if args.engine == "spark":
        engine["spark"] = {"master": f"local[{args.threads}]", "conf": {
            "spark.driver.memory": args.spark_driver_memory,
            "spark.sql.shuffle.partitions": 64, "spark.ui.enabled": False,
            "spark.local.dir": str(work / "spark-local")}}
    cfg = {"company": {"name": "bench", "founded": "2019-01-01", "currency": "CNY"},
           "paths": {"raw": str(work), "processed": str(work / "processed"),
                     "reports": str(work / "reports")},
           "sources": {"orders": {"engine": {"path": str(Path(args.dataset).resolve())}}},
           "engine": engine}
    if args.tables:
        for table in ("customers", "visits", "complaints", "surveys"):
            cfg["sources"][table] = {"path": str(Path(args.tables, f"{table}.parquet").resolve())}
    path = work / "workbench.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    return path


def _watch(limit: int, stop: threading.Event, hit: list[int]) -> None:
    """Kill the measured command's tree when its memory passes ``limit`` bytes."""
    me = psutil.Process()
    while not stop.is_set():
        total = 0
        kids = me.children(recursive=True)
        for p in kids:
            try:
                total += p.memory_info().rss
            except psutil.Error:
                pass
        if total > limit:
            hit.append(total)
            for p in kids:
                try:
                    p.kill()
                except psutil.Error:
                    pass
            return
        time.sleep(0.2)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", required=True)
    ap.add_argument("--customers", type=int, default=500_000)
    ap.add_argument("--orders", type=int, default=5_000_000)
    ap.add_argument("--engine", default="duckdb", choices=("polars", "duckdb", "spark"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--duckdb-memory-limit", default="4GB")
    ap.add_argument("--spark-driver-memory", default="6g")
    ap.add_argument("--tree", default=str(ROOT), help="the source tree to run (default: this one)")
    ap.add_argument("--work", default=None, help="the project folder (default: beside the dataset)")
    ap.add_argument("--limit-gb", type=float, default=16.0, help="stop the run above this")
    ap.add_argument("--report", action="store_true", help="run workbench report, not clean")
    ap.add_argument("--tables", default=None, help="a folder of customers, visits, complaints "
                    "and surveys Parquet files of the same customers (generated when missing)")
    args = ap.parse_args()
    if not (Path(args.dataset) / "_dataset.json").exists() or (
            args.tables and not (Path(args.tables) / "surveys.parquet").exists()):
        subprocess.run([sys.executable, str(ROOT / "benchmarks" / "gen_orders.py"),
                        "--customers", str(args.customers), "--orders", str(args.orders),
                        "--out", args.dataset, *(["--tables", args.tables] if args.tables
                                                 else [])], check=True)
    what = "report" if args.report else "clean"
    args.work = args.work or f"{args.dataset.rstrip('/')}-{what}-{args.engine}"
    path = _project(args)
    env = {**os.environ, "PYTHONPATH": str(Path(args.tree) / "src")}
    env.pop("WORKBENCH_ENGINE", None)
    stop, hit = threading.Event(), []
    watcher = threading.Thread(target=_watch, args=(int(args.limit_gb * GB), stop, hit),
                               daemon=True)
    watcher.start()
    cmd = [sys.executable, "-m", "workbench", what, "--config", str(path)]
    if args.report:
        cmd += ["--out", str(Path(args.work) / "reports")]
    log = Path(args.work) / f"{what}.log"
    run = run_tree(cmd, log, cwd=Path(args.work), env=env)
    stop.set()
    print(f"tree {args.tree} engine {args.engine}: exit {run.returncode}"
          + (f" (stopped above {args.limit_gb} GB: {hit[0] / GB:.2f} GB)" if hit else ""))
    print(f"wall {run.wall:.1f} s, CPU {run.cpu:.1f} s, driver peak {run.largest_peak / GB:.2f} GB, "
          f"tree peak {run.tree_peak / GB:.2f} GB, by name "
          + ", ".join(f"{k} {v / GB:.2f} GB" for k, v in run.peaks_by_name.items()))
    big = [r for r in run.processes if r.peak >= 0.25 * GB]
    if big:
        print("processes above 0.25 GB (seconds from the start; a kernel lives for one step): "
              + ", ".join(f"{r.name} {r.peak / GB:.2f} GB {r.first_seen:.0f}-{r.last_seen:.0f} s"
                          for r in big))
    ledger = Path(args.work) / "processed" / "ledger.json"
    if run.returncode == 0 and ledger.exists():
        entry = json.loads(ledger.read_text(encoding="utf-8"))["orders"]
        print(json.dumps({k: entry[k] for k in ("rows_in", "rows_kept", "rows_quarantined",
                                                 "amount_in", "amount_kept", "outliers")}))
    else:
        print(log.read_text()[-2000:])
    for manifest in sorted((Path(args.work) / "reports").glob("*/manifest.json")):
        steps = json.loads(manifest.read_text(encoding="utf-8"))["steps"]
        print("steps: " + ", ".join(f"{st['name']} {float(st.get('seconds') or 0):.1f} s "
                                    f"{st.get('status', '')}" for st in steps))
    return run.returncode


if __name__ == "__main__":
    raise SystemExit(main())
