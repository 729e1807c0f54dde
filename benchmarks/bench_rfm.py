"""Benchmark: workbench.rfm.summary against lifetimes' summary_data_from_transaction_data.

Not a test.  Generates seeded transaction logs, times both on the same data in
one run, checks that the outputs are identical (frequency, recency and T equal
to the last bit, monetary value within 1e-9) and prints a table with the ratio.

    python benchmarks/bench_rfm.py                       # 1M and 5M rows (a few minutes)
    python benchmarks/bench_rfm.py --sizes 200000        # quick
    python benchmarks/bench_rfm.py --sizes 0 --streaming-rows 50000000

``--streaming-rows N`` also writes an N-row log as Parquet (in chunks, to
``--workdir``) and runs ``summary`` on ``pl.scan_parquet`` in a child process
with the streaming engine, reporting the time and the child's peak memory
(``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss``).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl

START = np.datetime64("2022-01-01T00:00:00", "s")
SPAN_SECONDS = 730 * 86_400  # two years: crosses weeks, months and a year end


def generate(rows: int, seed: int, customers: int | None = None) -> pl.DataFrame:
    """A seeded transaction log: ``customer_id`` (text like 'C00012345'), ``ts``
    (timestamp to the second, so several purchases fall on one day), ``amount``."""
    rng = np.random.default_rng(seed)
    customers = customers or max(rows // 10, 1)
    ids = rng.integers(0, customers, rows)
    ts = (START + rng.integers(0, SPAN_SECONDS, rows).astype("timedelta64[s]")).astype(
        "datetime64[us]")
    amount = np.round(rng.gamma(2.0, 60.0, rows), 2)
    return pl.DataFrame({
        "customer_id": pl.Series(ids).cast(pl.String).str.zfill(8).str.pad_start(9, "C"),
        "ts": ts,
        "amount": amount,
    })


def _best(fn, repeat: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def check_same(got: pd.DataFrame, expected: pd.DataFrame) -> float:
    """Raise unless equal; return the largest monetary difference."""
    if list(got.index) != list(expected.index) or list(got.columns) != list(expected.columns):
        raise AssertionError("different customers or columns")
    for col in ("frequency", "recency", "T"):
        if not np.array_equal(got[col].to_numpy(float), expected[col].to_numpy(float)):
            raise AssertionError(f"column {col} differs")
    diff = float(np.abs(got["monetary_value"].to_numpy(float)
                        - expected["monetary_value"].to_numpy(float)).max())
    if diff >= 1e-9:
        raise AssertionError(f"monetary_value differs by {diff}")
    return diff


def compare(rows: int, seed: int, freq: str, repeat: int) -> dict:
    from lifetimes.utils import summary_data_from_transaction_data

    from workbench import rfm

    log = generate(rows, seed)
    pdf = log.to_pandas()
    args = ("customer_id", "ts", "amount")
    t_lt, expected = _best(lambda: summary_data_from_transaction_data(pdf, *args, freq=freq), 1)
    t_pd, got = _best(lambda: rfm.summary(pdf, *args, freq=freq), repeat)
    t_pl, got_pl = _best(lambda: rfm.summary(log, *args, freq=freq), repeat)
    diff = check_same(got, expected)
    check_same(got_pl.to_pandas().set_index("customer_id"), expected)
    return {"rows": rows, "customers": len(expected), "freq": freq, "lifetimes_s": t_lt,
            "workbench_pandas_s": t_pd, "workbench_polars_s": t_pl,
            "ratio_pandas": t_lt / t_pd, "ratio_polars": t_lt / t_pl, "max_monetary_diff": diff}


def print_table(results: list[dict]) -> None:
    head = (f"{'rows':>11} {'customers':>10} {'freq':>4} {'lifetimes s':>12} "
            f"{'wb(pandas) s':>13} {'wb(polars) s':>13} {'ratio':>7} {'ratio(pl)':>9} "
            f"{'max |dm|':>9}")
    print(head)
    print("-" * len(head))
    for r in results:
        print(f"{r['rows']:>11,} {r['customers']:>10,} {r['freq']:>4} {r['lifetimes_s']:>12.2f} "
              f"{r['workbench_pandas_s']:>13.2f} {r['workbench_polars_s']:>13.2f} "
              f"{r['ratio_pandas']:>6.1f}x {r['ratio_polars']:>8.1f}x "
              f"{r['max_monetary_diff']:>9.1e}")


# --------------------------------------------------------------------------- streaming


def write_parquet_chunks(rows: int, seed: int, folder: Path, chunk: int) -> list[Path]:
    """Write ``rows`` rows in files of ``chunk`` rows; one customer universe for all files."""
    folder.mkdir(parents=True, exist_ok=True)
    customers = max(rows // 10, 1)
    paths = []
    for i, start in enumerate(range(0, rows, chunk)):
        part = generate(min(chunk, rows - start), seed + i, customers=customers)
        path = folder / f"part-{i:04d}.parquet"
        part.write_parquet(path, row_group_size=1_000_000)
        paths.append(path)
        del part
    return paths


def child_scan(folder: str, freq: str) -> None:
    """Run in a child process: summary over the Parquet files; print JSON."""
    from workbench import rfm

    t0 = time.perf_counter()
    out = rfm.summary(pl.scan_parquet(Path(folder) / "*.parquet"), "customer_id", "ts",
                      "amount", freq=freq)
    elapsed = time.perf_counter() - t0
    print(json.dumps({
        "seconds": elapsed,
        "customers": out.height,
        "repeat_purchases": float(out["frequency"].sum()),
        "mean_monetary_value": float(out["monetary_value"].mean()),
    }))


def streaming(rows: int, seed: int, freq: str, workdir: Path, keep: bool) -> dict:
    folder = workdir / f"rfm_bench_{rows}"
    t0 = time.perf_counter()
    if not folder.exists():
        write_parquet_chunks(rows, seed, folder, chunk=5_000_000)
    t_write = time.perf_counter() - t0
    size = sum(p.stat().st_size for p in folder.glob("*.parquet"))
    proc = subprocess.run(
        [sys.executable, __file__, "--child-scan", str(folder), "--freq", freq],
        capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr)
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result.update(rows=rows, parquet_gb=size / 1e9, write_seconds=t_write,
                  peak_rss_gb=peak_kib * 1024 / 1e9)
    if not keep:
        shutil.rmtree(folder)
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000000,5000000",
                    help="comma-separated row counts to compare with lifetimes (0: none)")
    ap.add_argument("--freq", default="D", help="period: D, W, M or h")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--repeat", type=int, default=2, help="workbench runs per size (best kept)")
    ap.add_argument("--streaming-rows", type=int, default=0,
                    help="also run the streaming Parquet test with this many rows (off: 0)")
    ap.add_argument("--workdir", default=tempfile.gettempdir(),
                    help="folder for the streaming test's Parquet files")
    ap.add_argument("--keep", action="store_true", help="keep the Parquet files")
    ap.add_argument("--child-scan", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.child_scan:
        child_scan(args.child_scan, args.freq)
        return 0

    print(f"polars {pl.__version__}, pandas {pd.__version__}, {os.cpu_count()} cpu(s)")
    sizes = [int(s) for s in args.sizes.split(",") if int(s) > 0]
    results = []
    for rows in sizes:
        results.append(compare(rows, args.seed, args.freq, args.repeat))
        print_table(results[-1:])
    if results:
        print()
        print_table(results)
        for r in results:
            if r["rows"] >= 5_000_000:
                verdict = "met" if r["ratio_pandas"] >= 6 else "NOT met"
                print(f"target >= 6x faster than lifetimes at {r['rows']:,} rows "
                      f"(pandas in, pandas out): {verdict} ({r['ratio_pandas']:.1f}x)")
    if args.streaming_rows:
        r = streaming(args.streaming_rows, args.seed, args.freq, Path(args.workdir), args.keep)
        print()
        print(f"streaming: {r['rows']:,} rows ({r['parquet_gb']:.2f} GB Parquet, written in "
              f"{r['write_seconds']:.0f} s): summary in {r['seconds']:.1f} s, "
              f"{r['customers']:,} customers, peak memory {r['peak_rss_gb']:.2f} GB "
              f"({'under' if r['peak_rss_gb'] < 4 else 'OVER'} 4 GB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
