"""Benchmark: the transaction-level work on polars, DuckDB and Spark, on one large dataset.

Writes (or reuses, ``--keep DIR``) a seeded hive-partitioned Parquet dataset of clean
canonical orders (``benchmarks/gen_orders.py``; default 5,000,000 customers and about
50,000,000 orders), then runs for each engine, each in its own process, the
transaction step as the report uses it::

    orders  = engine.read_orders(eng, {"path": DIR})
    log     = eng.keep(engine.transactions(orders, as_of))   # the outlier policy: cap
    buys    = engine.purchases(log)
    engine.rfm_summary(buys, observation_period_end=as_of)
    engine.calibration_holdout(buys, calibration_end, as_of)  # the CLV room's holdout
    engine.net_revenue(log, as_of, (3, 12))
    engine.cohort_table(log); engine.monthly_kpis(log)

polars scans the dataset lazily and collects with the streaming engine; DuckDB runs
with ``--threads`` and ``--duckdb-memory-limit``; Spark in local mode (``--spark-master``,
default ``local[2]``) with ``spark.driver.memory`` ``--spark-driver-memory`` (default 6g).

For each engine the table shows: the wall seconds of the process (start-up and engine
start included) and of the transaction step alone, the CPU seconds of the process tree
(user + sys; wall times on a shared machine are inflated by the other jobs, CPU seconds
much less), the peak memory of the driver (the Python process: its own ``ru_maxrss``),
of Spark's JVM (a child process of the driver: its ``VmHWM`` read from ``/proc`` while it
runs, since ``RUSAGE_CHILDREN`` only counts children that were waited for) and of the
whole process tree (the largest sum of the tree's resident memory, sampled every 0.2 s),
the rows of the per-customer RFM table, and the ratio of the wall seconds to polars'
measured in the same run.  Then it checks that the engines' tables agree: the RFM
summary (``frequency, recency, T`` exactly, ``monetary_value`` within 1e-9), the
calibration/holdout table (likewise), the net revenue windows, the cohort table and the
monthly KPIs (to the last bit).

    python benchmarks/bench_engines.py --customers 500000 --orders 5000000 --keep /tmp/orders-5m
    python benchmarks/bench_engines.py --keep /tmp/orders-50m          # 5M customers, 50M orders

Target (docs/scale.md, "Engines"): every engine under 8 GB of driver memory at 5,000,000
customers / 50,000,000 orders.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import gen_orders  # noqa: E402  (the generator next to this file)
from proctree import run_tree  # noqa: E402

ENGINES = ("polars", "duckdb", "spark")
TABLES = ("summary", "cal_hold", "net", "cohorts", "kpis")
GB = 1024**3


# --------------------------------------------------------------------------- one engine


def _settings(args: argparse.Namespace, name: str) -> Any:
    from workbench.engine import EngineSettings

    return EngineSettings.from_mapping({
        "name": name,
        "duckdb": {"threads": args.threads, "memory_limit": args.duckdb_memory_limit},
        "spark": {"master": args.spark_master, "conf": {
            "spark.driver.memory": args.spark_driver_memory,
            "spark.driver.maxResultSize": "4g",
            "spark.sql.shuffle.partitions": args.spark_shuffle_partitions,
            "spark.local.dir": str(Path(args.result).parent / "spark-local"),
            "spark.ui.enabled": False}},
    })


def worker(args: argparse.Namespace) -> int:
    """Run the transaction step on ``args.worker``; write its tables and timings."""
    import polars as pl

    from workbench import engine as E
    from workbench import periods
    from workbench.clv import CLVSettings

    out = Path(args.result)
    out.mkdir(parents=True, exist_ok=True)
    as_of = date.fromisoformat(args.as_of)
    cal_end = periods.period_bounds(as_of, "month", -CLVSettings().holdout_months)[1]
    seconds: dict[str, float] = {}

    def timed(key: str, fn: Any) -> Any:
        t0 = time.perf_counter()
        result = fn()
        seconds[key] = time.perf_counter() - t0
        return result

    t_start = time.perf_counter()
    with E.open_engine(_settings(args, args.worker)) as eng:
        seconds["open engine"] = time.perf_counter() - t_start
        t_step = time.perf_counter()
        log = timed("log", lambda: eng.keep(E.transactions(
            E.read_orders(eng, {"path": args.data}), as_of)))
        buys = E.purchases(log)
        tables = {
            "summary": timed("rfm_summary", lambda: E.rfm_summary(
                buys, observation_period_end=as_of)),
            "cal_hold": timed("calibration_holdout", lambda: E.calibration_holdout(
                buys, cal_end, as_of)),
            "net": timed("net_revenue", lambda: E.net_revenue(log, as_of, (3, 12))),
            "cohorts": timed("cohort_table", lambda: E.cohort_table(log)),
            "kpis": timed("monthly_kpis", lambda: E.monthly_kpis(log)),
        }
        seconds["step"] = time.perf_counter() - t_step
    for key, frame in tables.items():
        first = frame.columns[0]
        frame.sort(first, *(["periods_since"] if key == "cohorts" else [])).write_parquet(
            out / f"{key}.parquet")
    facts = {"engine": args.worker, "seconds": seconds,
             "rows": {k: v.height for k, v in tables.items()},
             "driver_maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
             "calibration_end": cal_end.isoformat(), "polars": pl.__version__}
    (out / "result.json").write_text(json.dumps(facts, indent=1))
    return 0


# --------------------------------------------------------------------------- measuring


def run_engine(args: argparse.Namespace, name: str, data: Path, work: Path) -> dict[str, Any]:
    """One engine in its own process: wall seconds, CPU seconds and peak memory of its tree."""
    result = work / name
    shutil.rmtree(result, ignore_errors=True)
    result.mkdir(parents=True)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", name, "--data", str(data),
           "--result", str(result), "--as-of", args.as_of, "--threads", str(args.threads),
           "--duckdb-memory-limit", args.duckdb_memory_limit,
           "--spark-master", args.spark_master,
           "--spark-driver-memory", args.spark_driver_memory,
           "--spark-shuffle-partitions", str(args.spark_shuffle_partitions)]
    env = {**os.environ, "POLARS_MAX_THREADS": str(args.threads)}
    run = run_tree(cmd, work / f"{name}.log", cwd=result, env=env)
    if run.returncode:
        raise SystemExit(f"{name} exited {run.returncode}; see {work / f'{name}.log'}")
    facts = json.loads((result / "result.json").read_text())
    driver = facts["driver_maxrss_kb"] * 1024
    return {**facts, "wall": run.wall, "cpu": run.cpu,
            "driver_bytes": driver, "jvm_bytes": run.peaks_by_name.get("java"),
            "total_bytes": max(run.tree_peak, driver), "result": str(result)}


# --------------------------------------------------------------------------- agreement


def agreement(runs: list[dict[str, Any]]) -> list[str]:
    """Each engine's tables against the first engine's; lines to print.  Raises on a mismatch."""
    import polars as pl

    base = runs[0]
    lines, failed = [], []
    exact_cols = {"summary": ["frequency", "recency", "T"],
                  "cal_hold": ["frequency_cal", "recency_cal", "T_cal", "frequency_holdout",
                               "duration_holdout"]}
    for run in runs[1:]:
        parts = []
        for key in TABLES:
            ref = pl.read_parquet(Path(base["result"]) / f"{key}.parquet")
            got = pl.read_parquet(Path(run["result"]) / f"{key}.parquet")
            if key not in exact_cols:
                same = got.equals(ref)
                parts.append(f"{key} {'identical' if same else 'DIFFERENT'}")
                if not same:
                    failed.append(f"{run['engine']} {key}")
                continue
            ids_same = got.columns == ref.columns and got.get_column("customer_id").equals(
                ref.get_column("customer_id"))
            exact = ids_same and all(got.get_column(c).equals(ref.get_column(c))
                                     for c in exact_cols[key])
            money = [c for c in ref.columns if c.startswith("monetary_value")]
            diff = max(((got.get_column(c) - ref.get_column(c)).abs().max() or 0.0)
                       for c in money) if ids_same else float("inf")
            ok = exact and diff <= 1e-9
            if not ok:
                failed.append(f"{run['engine']} {key}")
            parts.append(f"{key} {ref.height:,} customers: {'/'.join(exact_cols[key][:3])} "
                         f"{'exact' if exact else 'DIFFERENT'}, money max |diff| {diff:.1e}")
        lines.append(f"{run['engine']} vs {base['engine']}: " + "; ".join(parts))
    if failed:
        lines.append(f"MISMATCH: {', '.join(failed)}")
    return lines


def table(runs: list[dict[str, Any]], orders: int, customers: int) -> str:
    base = next((r for r in runs if r["engine"] == "polars"), runs[0])
    head = ["engine", "wall s", "step s", "CPU s", "driver GB", "JVM GB", "total GB",
            "RFM rows", f"x {base['engine']}"]
    lines = [f"{customers:,} customers, {orders:,} orders", "",
             " | ".join(head), " | ".join("---" for _ in head)]
    for r in runs:
        lines.append(" | ".join([
            r["engine"], f"{r['wall']:.1f}", f"{r['seconds']['step']:.1f}", f"{r['cpu']:.1f}",
            f"{r['driver_bytes'] / GB:.2f}",
            f"{r['jvm_bytes'] / GB:.2f}" if r["jvm_bytes"] else "-",
            f"{r['total_bytes'] / GB:.2f}", f"{r['rows']['summary']:,}",
            f"{r['wall'] / base['wall']:.2f}"]))
    parts = [k for k in runs[0]["seconds"] if k not in ("step",)]
    lines += ["", "step seconds | " + " | ".join(parts), " | ".join("---" for _ in parts + [0])]
    for r in runs:
        lines.append(r["engine"] + " | " + " | ".join(f"{r['seconds'][k]:.1f}" for k in parts))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", type=int, default=5_000_000)
    ap.add_argument("--orders", type=int, default=50_000_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--keep", default=None, help="write the dataset and results here and keep "
                    "them; the dataset is reused on the next run with the same sizes and seed")
    ap.add_argument("--engines", default=",".join(ENGINES))
    ap.add_argument("--threads", type=int, default=2, help="DuckDB threads, polars threads")
    ap.add_argument("--duckdb-memory-limit", default="4GB")
    ap.add_argument("--spark-master", default="local[2]")
    ap.add_argument("--spark-driver-memory", default="6g")
    ap.add_argument("--spark-shuffle-partitions", type=int, default=64)
    ap.add_argument("--as-of", default=gen_orders.AS_OF.isoformat())
    ap.add_argument("--worker", choices=ENGINES, help=argparse.SUPPRESS)
    ap.add_argument("--data", help=argparse.SUPPRESS)
    ap.add_argument("--result", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        return worker(args)
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    unknown = sorted(set(engines) - set(ENGINES))
    if unknown:
        ap.error(f"unknown engine(s) {unknown}; choose from {list(ENGINES)}")
    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-engines-"))
    root.mkdir(parents=True, exist_ok=True)
    try:
        data = root / f"orders-{args.customers}-{args.orders}-{args.seed}"
        facts = gen_orders.generate(data, args.customers, args.orders, args.seed,
                                    log=lambda *_: None)
        print(f"dataset: {data} ({facts['orders']:,} orders, {len(facts['months'])} monthly "
              f"partitions)", flush=True)
        work = root / "runs"
        runs = []
        for name in engines:
            runs.append(run_engine(args, name, data, work))
            r = runs[-1]
            print(f"{name}: {r['wall']:.1f} s, driver {r['driver_bytes'] / GB:.2f} GB, "
                  f"total {r['total_bytes'] / GB:.2f} GB", flush=True)
        print()
        print(table(runs, facts["orders"], args.customers))
        print("\nwall s: the engine's process (start-up and engine start included); step s: "
              "the transaction step; CPU s: user + sys of the process tree; driver GB: peak "
              "of the Python process; JVM GB: peak of Spark's JVM; total GB: peak of the "
              "process tree (sampled); x: wall s / polars' wall s, same run.\n")
        lines = agreement(runs) if len(runs) > 1 else []
        print("\n".join(lines))
        if any(line.startswith("MISMATCH") for line in lines):
            return 1
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
