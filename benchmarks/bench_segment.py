"""Benchmark: the segmentation step (notebook 02) and the churn room's call, at growing sizes.

Not a test.  For each size it runs, in a fresh process, what ``02_segmentation``
computes on the clean tables (charts aside) and what the churn warning asks of the
room at each cut-off:

- ``build``: :func:`workbench.segment.build_segments` with clusters;
- ``sensitivity``: :func:`workbench.segment.tier_sensitivity` on the buyers;
- ``migration``: :func:`workbench.segment.migration_since` (a second segmentation,
  without clusters, at the earlier month end, and the transition matrices);
- ``present``: key results, sentences, the profiles and cross tables the notebook shows;
- ``cutoff``: ``build_segments(..., cluster=False)`` at a cut-off six months earlier, the
  call the churn room makes at each of its cut-offs.

The table shows per size the seconds of each step, the step's total (wall and CPU:
user + system of the process, the fairer figure on a shared machine), the peak resident
memory of the process, and the ratio of the total's cost per customer to the smallest
size's (1.0 = it grows linearly with the customers).

The baseline, measured in the same run: ``--against REV`` runs the same steps with the
package as it was at git revision ``REV`` (its ``src`` folder, extracted with ``git
archive``) and adds its total seconds, its CPU seconds and their ratio to today's (old / new),
and its peak memory.  Targets (docs/scale.md):
the whole step at 1,000,000 customers in about 20 s and under 3 GB on two cores.

    python benchmarks/bench_segment.py                              # 20k and 200k (demo)
    python benchmarks/bench_segment.py --processed /tmp/p1m/data/processed   # + that folder
    python benchmarks/bench_segment.py --sizes 20000 --against HEAD~5

Demo sizes are generated with :func:`workbench.demo.build.generate` (seed 7) into
``--workdir`` (kept and reused with ``--keep``); ``--processed DIR`` adds a folder of
clean tables (``orders.parquet``, ``customers.parquet``, ``surveys.parquet``), e.g. the
one ``workbench clean`` wrote for a million customers.
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
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
AS_OF = date(2026, 10, 31)
STEPS = ("build", "sensitivity", "migration", "present", "cutoff")
TABLES = ("orders", "customers", "surveys")


def prepare(size: int, seed: int, folder: Path) -> Path:
    """The clean demo tables of ``size`` customers as Parquet in ``folder`` (reused)."""
    out = folder / f"demo_{size}_{seed}"
    if all((out / f"{t}.parquet").is_file() for t in TABLES):
        return out
    code = ("import sys; from pathlib import Path; from workbench.demo.build import generate\n"
            "out = Path(sys.argv[3]); out.mkdir(parents=True, exist_ok=True)\n"
            "for name, df in generate(int(sys.argv[1]), int(sys.argv[2])).items():\n"
            "    df.write_parquet(out / f'{name}.parquet')\n")
    subprocess.run([sys.executable, "-c", code, str(size), str(seed), str(out)], check=True,
                   env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    return out


def child(folder: str) -> None:
    """Run in a fresh process: the steps on the tables of ``folder``; print JSON."""
    import polars as pl

    from workbench import segment as sg
    from workbench import transactions as tx
    from workbench.context import load_processed

    proc = Path(folder)
    settings = sg.SegmentSettings()
    ts = tx.TransactionSettings()
    load = {t: load_processed(proc, t, AS_OF) for t in TABLES}
    seconds: dict[str, float] = {}
    wall0, cpu0 = time.perf_counter(), _cpu()

    def timed(name: str, fn: Any) -> Any:
        start = time.perf_counter()
        out = fn()
        seconds[name] = time.perf_counter() - start
        return out

    seg = timed("build", lambda: sg.build_segments(
        load["orders"], load["customers"], as_of=AS_OF, surveys=load["surveys"],
        settings=settings, transaction_settings=ts))
    buyers = seg.table.filter(pl.col("frequency") > 0)
    sens = timed("sensitivity", lambda: sg.tier_sensitivity(
        buyers, weights=settings.tier_weights, cuts=settings.tier_cuts,
        method=settings.tier_method, delta=settings.sensitivity_delta))
    before = sg.migration_as_of(AS_OF, settings.migration_months)
    mig = timed("migration", lambda: sg.migration_since(
        lambda t: load_processed(proc, t, before), before, seg))

    def present() -> None:
        people = sg.with_attributes(seg.table, load["customers"], ["province", "channel"])
        sg.key_results(seg, migration=mig, migration_from=before)
        sg.narrative(seg, "en", "CNY", sensitivity=sens, migration=mig, migration_from=before)
        for by in ("abc_class", "rfm_segment", "lifecycle_stage", "tier", "channel"):
            sg.segment_profile(people, by)
        sg.cluster_profiles(seg.table)
        sg.profile_crosstab(people, "tier", "province", top=10)
        sg.profile_crosstab(people, "rfm_segment", "channel")

    timed("present", present)
    cut = AS_OF - timedelta(days=183)
    known = {t: load_processed(proc, t, cut) for t in TABLES}
    timed("cutoff", lambda: sg.build_segments(known["orders"], known["customers"], as_of=cut,
                                              surveys=known["surveys"], cluster=False))
    print(json.dumps({
        "customers": seg.table.height, "seconds": seconds,
        "total": sum(seconds.values()), "wall": time.perf_counter() - wall0,
        "cpu": _cpu() - cpu0,
        "peak_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e9,
        "tiers": seg.results["tiers"], "k": seg.results.get("clusters", {}).get("k"),
    }))


def _cpu() -> float:
    t = os.times()
    return t.user + t.system


def run(folder: Path, src: Path) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, __file__, "--child", str(folder)], check=False,
                          capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(src)})
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-3000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def old_source(rev: str, workdir: Path) -> Path:
    """The ``src`` folder of git revision ``rev``, extracted into ``workdir``."""
    out = workdir / f"src_{rev.replace('/', '_').replace('~', '_')}"
    if not out.exists():
        out.mkdir(parents=True)
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "src"], check=True,
                                 capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(out)], input=archive, check=True)
    return out / "src"


def print_table(rows: list[dict[str, Any]], against: str | None) -> None:
    head = (f"{'customers':>10} " + " ".join(f"{s:>11}" for s in STEPS)
            + f" {'total s':>8} {'cpu s':>7} {'peak GB':>8} {'per-cust':>8}")
    if against:
        head += f" {'old s':>7} {'old cpu s':>9} {'old/new':>7} {'old GB':>6}"
    print(head)
    print("-" * len(head))
    base = rows[0]
    for r in rows:
        growth = (r["cpu"] / r["customers"]) / (base["cpu"] / base["customers"])
        line = (f"{r['customers']:>10,} " + " ".join(f"{r['seconds'][s]:>11.2f}" for s in STEPS)
                + f" {r['total']:>8.1f} {r['cpu']:>7.1f} {r['peak_gb']:>8.2f} {growth:>7.2f}x")
        if against and "old" in r:
            o = r["old"]
            line += (f" {o['total']:>7.1f} {o['cpu']:>9.1f} {o['cpu'] / r['cpu']:>6.1f}x "
                     f"{o['peak_gb']:>6.2f}")
        print(line)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="20000,200000",
                    help="comma-separated demo sizes in customers (0: none)")
    ap.add_argument("--processed", action="append", default=[],
                    help="also a folder of clean tables (may repeat), e.g. a million customers")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--against", help="git revision whose package is the baseline (same run)")
    ap.add_argument("--workdir", default=None, help="where demo tables are written")
    ap.add_argument("--keep", action="store_true", help="keep the demo tables for the next run")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        child(args.child)
        return 0

    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="bench_segment_"))
    workdir.mkdir(parents=True, exist_ok=True)
    print(f"{os.cpu_count()} cpu(s); steps in seconds (wall); cpu = user + system")
    folders = [prepare(int(s), args.seed, workdir) for s in args.sizes.split(",") if int(s) > 0]
    folders += [Path(p) for p in args.processed]
    old = old_source(args.against, workdir) if args.against else None
    rows = []
    try:
        for folder in folders:
            r = run(folder, ROOT / "src")
            if old is not None:
                r["old"] = run(folder, old)
                if r["old"]["tiers"] != r["tiers"]:
                    print(f"note: tier counts differ from {args.against}: {r['old']['tiers']} "
                          f"vs {r['tiers']}")
            rows.append(r)
            print_table(rows[-1:], args.against)
    finally:
        if not args.keep and not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)
    print()
    print_table(rows, args.against)
    for r in rows:
        if r["customers"] >= 1_000_000:
            ok = r["total"] <= 20 * 1.5 and r["peak_gb"] < 3
            print(f"target at {r['customers']:,} customers (about 20 s, under 3 GB): "
                  f"{'met' if ok else 'NOT met'} ({r['total']:.1f} s, {r['peak_gb']:.2f} GB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
