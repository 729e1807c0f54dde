"""Benchmark: the demo-data generator against plain polars CSV writing.

For each size (default 20,000 and 200,000 customers, seed 7, dirty export)
times:

1. ``workbench.demo.write_demo`` (generation + dirty injections + files);
2. baseline: ``polars.DataFrame.write_csv`` of the same five clean tables
   (the rows alone, no generation);

and prints rows, file size, both times and their ratio.  Target: 200,000
customers well under a minute (``workbench demo-data --customers 200000``).
CPU time (user + system of this process) is shown next to wall time, because
wall time on a shared machine depends on what else runs.

    python benchmarks/bench_demo.py [--sizes 20000 200000] [--seed 7] [--clean]
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

from workbench import demo


def _cpu() -> float:
    t = os.times()
    return t.user + t.system


def run(sizes: list[int], seed: int, dirty: bool) -> list[dict]:
    rows = []
    work = Path(tempfile.mkdtemp(prefix="bench_demo_"))
    try:
        for n in sizes:
            out = work / f"demo_{n}"
            w0, c0 = time.perf_counter(), _cpu()
            info = demo.write_demo(out, customers=n, seed=seed, dirty=dirty)
            wall, cpu = time.perf_counter() - w0, _cpu() - c0
            size = sum(p.stat().st_size for p in out.iterdir())

            tables = demo.generate(n, seed)     # untimed: the baseline writes finished tables
            base = work / f"base_{n}"
            base.mkdir()
            w0, c0 = time.perf_counter(), _cpu()
            for name, df in tables.items():
                df.write_csv(base / f"{name}.csv")
            bwall, bcpu = time.perf_counter() - w0, _cpu() - c0
            rows.append({"customers": n, "orders": info["rows"]["orders"],
                         "rows": sum(info["rows"].values()), "mb": size / 1e6,
                         "wall": wall, "cpu": cpu, "base_wall": bwall, "base_cpu": bcpu})
            shutil.rmtree(out)
            shutil.rmtree(base)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 200_000])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--clean", action="store_true", help="time the clean export instead of the dirty one")
    args = parser.parse_args()
    results = run(args.sizes, args.seed, dirty=not args.clean)
    print(f"write_demo ({'clean' if args.clean else 'dirty'}) vs polars write_csv of the same tables")
    print(f"{'customers':>10} {'orders':>9} {'rows':>10} {'MB':>7} {'wall s':>8} {'cpu s':>7} "
          f"{'base wall':>10} {'base cpu':>9} {'ratio(wall)':>12}")
    for r in results:
        print(f"{r['customers']:>10,} {r['orders']:>9,} {r['rows']:>10,} {r['mb']:>7.1f} {r['wall']:>8.2f} "
              f"{r['cpu']:>7.2f} {r['base_wall']:>10.3f} {r['base_cpu']:>9.3f} "
              f"{r['wall'] / max(r['base_wall'], 1e-9):>12.1f}")
    slow = [r for r in results if r["customers"] >= 200_000 and r["cpu"] > 45]
    if slow:
        print("target missed: 200,000 customers should take well under a minute of CPU")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
