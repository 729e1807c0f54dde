"""Speed and memory of the management step (notebook 06's package calls) on a project.

Target: the step at 1,000,000 customers in well under a minute on two cores, its process
under 3 GB.  What is timed is what notebook 06 computes before it writes its files: the
tiers at the previous period end (read from that period's ``segments.parquet`` when its
report ran, else rebuilt with ``segment.segments_at``), then the clean tables and step
02-04's outputs read (of ``segments.parquet`` the book's columns), then ``manage.analyse``.

Each source tree runs in a fresh process (``--src`` puts a tree's ``src`` first on the
import path, e.g. a checkout of an earlier commit made with ``git archive``): the table
prints wall and CPU seconds (user + system: on a shared machine the fairer figure), the
peak memory of the process, both as a ratio to the first tree of the same run, and the
figures the results are compared by (backtest WAPE per method, care plan actions per
kind, tier migrations), which must agree between trees.

    python benchmarks/bench_manage.py --project /path/to/project [--src OLD/src --src src]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def measure(project: str) -> dict:
    """The step's package calls in this process, on ``project``'s workbench.yaml."""
    from workbench import clv, context, io, manage, periods, segment, service

    ctx = context.resolve(str(Path(project) / "workbench.yaml"), None, None, None, None)
    freq = "month"
    start, cpu = time.perf_counter(), time.process_time()
    settings = manage.ManagementSettings.from_mapping(ctx.cfg.section("management"))
    # as notebook 06: the previous period's tiers first, then the period's tables
    previous_end = periods.period_bounds(ctx.as_of, freq, -1)[1]
    previous_dir = ctx.processed_dir / previous_end.isoformat()
    if (previous_dir / "segments.parquet").is_file():
        before = io.read_parquet(previous_dir / "segments.parquet",
                                 "02_segmentation").select("customer_id", "tier")
    else:
        earlier = segment.segments_at(
            lambda t: ctx.load(t, previous_end), previous_end,
            segment.SegmentSettings.from_mapping(ctx.cfg.section("segmentation")),
            ctx.transaction_settings)
        before = earlier.table.select("customer_id", "tier") if earlier is not None else None
        del earlier
    tables = {name: ctx.load(name) for name in manage.TABLES}
    columns = getattr(manage, "BOOK_SEGMENT_COLUMNS", None)  # an earlier tree reads them all
    segments = (io.read_parquet(ctx.result_path("segments"), "02_segmentation", columns=columns)
                if columns else io.read_parquet(ctx.result_path("segments"), "02_segmentation"))
    optional = {name: io.read_parquet(ctx.result_path(name)) if ctx.result_path(name).is_file()
                else None for name in ("clv", "churn_scores", "warning_list")}
    a = manage.analyse(
        tables, segments, ctx.as_of, settings,
        service_settings=service.ServiceSettings.from_mapping(ctx.cfg.section("service")),
        transaction_settings=ctx.transaction_settings,
        clv_settings=clv.CLVSettings.from_mapping(ctx.cfg.section("clv")),
        clv_table=optional["clv"], churn_scores=optional["churn_scores"],
        warning=optional["warning_list"], segments_before=before, previous=None, freq=freq)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    errors = {f"{r['level']}_{r['method']}": r["wape"] for r in a.backtest.errors.to_dicts()}
    kinds = dict(a.care_plan.group_by("kind").len().sort("kind").iter_rows())
    owner = a.performance["owner"]
    moved = {c: int(owner.get_column(c).sum()) for c in ("upgrades", "downgrades")
             if c in owner.columns}
    return {"customers": tables["customers"].height, "wall": wall, "cpu": cpu,
            "peak_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
            "wape": errors, "care_plan": kinds, "migration": moved,
            "forecast_total": a.forecast_total}


def _child(project: str, src: str | None) -> dict:
    env = dict(os.environ)
    if src:
        env["PYTHONPATH"] = os.pathsep.join([str(Path(src).resolve()),
                                             env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    run = subprocess.run([sys.executable, __file__, "--project", project, "--child"], env=env,
                         capture_output=True, text=True)
    if run.returncode:
        raise SystemExit(f"the step failed with source tree {src or 'installed'}:\n{run.stderr}")
    return json.loads(run.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--project", required=True, help="a project folder (workbench.yaml, "
                    "data/processed with steps 02-04's outputs of its as-of date)")
    ap.add_argument("--src", action="append", default=None,
                    help="a source tree to run (repeatable; default: the installed package)")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(measure(args.project)))
        return
    trees = args.src or [None]
    rows = [(src or "installed", _child(args.project, src)) for src in trees]
    base = rows[0][1]
    print("| tree | customers | wall s | CPU s | peak GB | CPU vs first | peak vs first |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, r in rows:
        print(f"| {name} | {r['customers']:,} | {r['wall']:.1f} | {r['cpu']:.1f} | "
              f"{r['peak_gb']:.2f} | {r['cpu'] / base['cpu']:.2f} | "
              f"{r['peak_gb'] / base['peak_gb']:.2f} |")
    for name, r in rows:
        print(f"{name}: wape {r['wape']}  care_plan {r['care_plan']}  migration "
              f"{r['migration']}  forecast_total {r['forecast_total']:.2f}")


if __name__ == "__main__":
    main()
