"""Speed and memory of the churn step (``workbench.churn.analyse``) as the customer base grows.

Target: the churn step at 1,000,000 customers well under a minute on two cores and
under 3 GB of memory, with the default settings (models fitted on a 100,000-row
training sample, the BG/NBD parameters of the probability-alive feature on 100,000
customers, permutation importance on 5,000 test customers).  ``--train-sample`` sets
another training sample (``none``: every row) to weigh speed against accuracy.

Each size runs in a fresh process: the demo company's clean tables
(:func:`workbench.demo.generate`, seed 7, as of 2026-10-31) or, with ``--project``,
the processed tables of a project folder (``data/processed/*.parquet``, then one size
only).  The table prints wall and CPU seconds (user + system: on a machine shared with
other work, CPU time is the fairer figure), peak memory (maximum resident set of the
process, tables included), and the CPU seconds per 1,000 scored customers as a ratio to
the smallest size measured in the same run (1.0 = the step grows linearly), the training
rows stacked and those the models were fitted on, and the scoring model's ROC AUC and
average precision on the test cut-off.

    python benchmarks/bench_churn.py [--sizes 20000,200000,1000000] [--seed 7]
    python benchmarks/bench_churn.py --project /path/to/project [--as-of 2026-10-31]
    python benchmarks/bench_churn.py --project /path/to/project --train-sample 200000
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import resource
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

AS_OF = date(2026, 10, 31)
TABLES = ("customers", "orders", "visits", "complaints", "surveys")


def _load(source: str, seed: int) -> dict:
    import polars as pl

    from workbench import demo

    if source.isdigit():
        return demo.generate(int(source), seed=seed, end_date=AS_OF)
    processed = Path(source) / "data" / "processed"
    return {t: pl.read_parquet(processed / f"{t}.parquet") for t in TABLES
            if (processed / f"{t}.parquet").exists()}


def measure(source: str, seed: int, as_of: date, train_sample: str = "default") -> dict:
    """One size in this process: load the tables, then time ``churn.analyse`` alone."""
    from workbench import churn

    settings = churn.ChurnSettings()
    if train_sample != "default":
        settings = dataclasses.replace(
            settings, train_sample=None if train_sample.lower() == "none" else int(train_sample))

    tables = _load(source, seed)
    customers = tables["customers"].height if "customers" in tables else 0
    before = os.times()
    start = time.perf_counter()
    a = churn.analyse(tables, as_of, settings, model="hgb", seed=7)
    wall = time.perf_counter() - start
    after = os.times()
    cpu = (after.user - before.user) + (after.system - before.system)
    return {"source": source, "customers": customers, "scored": a.scores.height,
            "train_rows": a.train_size, "fitted": a.train_fitted, "wall_s": wall, "cpu_s": cpu,
            "peak_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6,
            "roc_auc": a.metric("hgb", "roc_auc"), "pr_auc": a.metric("hgb", "pr_auc")}


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="20000,200000,1000000")
    p.add_argument("--project", help="a project folder whose data/processed tables are used (one size)")
    p.add_argument("--as-of", default=AS_OF.isoformat())
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--train-sample", default="default",
                   help="training rows the models are fitted on (a number, or none: every row)")
    p.add_argument("--one", help=argparse.SUPPRESS)  # internal: measure one source, print JSON
    args = p.parse_args(argv)
    as_of = date.fromisoformat(args.as_of)
    if args.one:
        print(json.dumps(measure(args.one, args.seed, as_of, args.train_sample)))
        return 0
    sources = [args.project] if args.project else [s.strip() for s in args.sizes.split(",") if s.strip()]
    rows = []
    for source in sources:
        out = subprocess.run([sys.executable, __file__, "--one", source, "--seed", str(args.seed),
                              "--as-of", as_of.isoformat(), "--train-sample", args.train_sample],
                             capture_output=True, text=True)
        if out.returncode:
            print(out.stderr, file=sys.stderr)
            return 1
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    base = rows[0]["cpu_s"] / max(rows[0]["scored"], 1)
    print(f"{'customers':>10} {'scored':>9} {'train rows':>10} {'fitted':>8} {'wall s':>8} {'cpu s':>8} "
          f"{'peak GB':>8} {'cpu/1k scored vs first':>23} {'hgb AUC':>8} {'hgb AP':>7}")
    for r in rows:
        ratio = (r["cpu_s"] / max(r["scored"], 1)) / base
        print(f"{r['customers']:>10,} {r['scored']:>9,} {r['train_rows']:>10,} {r['fitted']:>8,} "
              f"{r['wall_s']:>8.1f} {r['cpu_s']:>8.1f} {r['peak_gb']:>8.2f} {ratio:>23.2f} "
              f"{r['roc_auc']:>8.4f} {r['pr_auc']:>7.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
