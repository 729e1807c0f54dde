"""Benchmark: de-duplicating a large customer archive, probabilistic against exact keys.

Generates (deterministically, seed 7) ``--customers`` customers (default 500,000) the way the
demo writes them (Chinese names, companies for 7 %, unique mobiles, e-mails, places, sales
reps), then appends 1 % duplicates with variant spellings (dashes and +86 in phones, upper-case
e-mails, homophone typos, traditional characters, a new phone, missing phone and e-mail) and
200 strangers on the placeholder phone 13800138000.  Then times, in each of ``--repeat`` rounds:

1. baseline: the exact-key path (``cleaning.dedupe: exact``, :func:`workbench.clean.dedupe.
   dedupe_customers`), which also finds the placeholders;
2. the probabilistic path (``cleaning.dedupe: probabilistic``: comparison columns, training,
   scoring, decisions), on DuckDB.

and prints a table with each path's best and median time, its CPU time and peak memory, the
ratios to the baseline, and the precision and recall of both against the injected duplicates
(target: the probabilistic path under 2 minutes at 500,000 customers).  Each round of each path
runs in a fresh process (the table is handed over as Parquet), so its peak resident memory is
its own.

``--demo FOLDER`` takes the customers of a dirty demo instead (``workbench demo-data --dirty``:
``customers.csv`` read through ingest, the truth from its ``truth.json``), e.g. the
1,000,000-customer demo (targets there: under a minute and under 3 GB).

    python benchmarks/bench_dedupe.py [--customers 500000 | --demo FOLDER] [--repeat 1]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import opencc
import polars as pl

from workbench.clean import CleaningRules
from workbench.clean.dedupe import dedupe_customers
from workbench.clean.evaluate import merge_accuracy
from workbench.demo.people import company_names, person_names
from workbench.demo.vocabulary import INDUSTRIES, PLACES


def customers(n: int, seed: int = 7) -> tuple[pl.DataFrame, dict]:
    rng = np.random.default_rng(seed)
    names, sur_py, given_py = person_names(rng, n)
    pw = np.array([w for _, _, w in PLACES])
    place = rng.choice(len(PLACES), size=n, p=pw / pw.sum())
    province = np.array([p for p, _, _ in PLACES], dtype=object)[place]
    city = np.array([c for _, c, _ in PLACES], dtype=object)[place]
    b2b = rng.random(n) < 0.07
    company = np.full(n, None, dtype=object)
    idx = np.flatnonzero(b2b)
    ind = np.array([i for i, _, _ in INDUSTRIES], dtype=object)[rng.integers(0, 8, len(idx))]
    company[idx], _ = company_names(rng, city[idx], ind)
    phone = np.char.add("1", (rng.choice(10 ** 10, n, replace=False) % (9 * 10 ** 9)
                              + 3 * 10 ** 9).astype(str)).astype(object)
    email = np.where(rng.random(n) < 0.8, sur_py + given_py + np.arange(n).astype(str) + "@qq.com",
                     None).astype(object)
    reps = np.array([f"销售{i:02d}" for i in range(30)], dtype=object)
    rep = reps[rng.integers(0, 30, n)]
    signup = [date(2023, 1, 1) + timedelta(days=int(d)) for d in rng.integers(0, 1000, n)]
    base = pl.DataFrame({
        "customer_id": [f"C{i + 1:07d}" for i in range(n)], "name": names.tolist(),
        "company": company.tolist(), "customer_type": np.where(b2b, "B2B", "B2C").tolist(),
        "phone": phone.tolist(), "email": email.tolist(), "province": province.tolist(),
        "city": city.tolist(), "industry": None, "channel": "线上商城", "sales_rep": rep.tolist(),
        "signup_date": signup}, schema_overrides={"industry": pl.String})
    # duplicates
    k = n // 100
    orig = np.sort(rng.choice(n, k, replace=False))
    recs = base[orig.tolist()].to_dicts()
    s2t = opencc.OpenCC("s2t")
    truth = []
    for j, r in enumerate(recs):
        v = j % 6
        if v == 0:
            r["phone"] = f"+86 {r['phone'][:3]}-{r['phone'][3:7]}-{r['phone'][7:]}"
        elif v == 1 and r["email"]:
            r["email"] = r["email"].upper()
            r["phone"] = None
        elif v == 2:
            r["name"] = s2t.convert(r["name"])
        elif v == 3:
            r["phone"] = "1" + str(int(r["phone"][1:]) ^ 12345)[-10:].zfill(10)
        elif v == 4 and r["company"]:
            r["company"] = r["company"].replace("有限公司", "(有限公司)")
        dup = f"D{j + 1:07d}"
        truth.append({"duplicate_id": dup, "original_id": r["customer_id"]})
        r["customer_id"] = dup
        r["signup_date"] = r["signup_date"] + timedelta(days=30)
    strangers = base.sample(200, seed=seed).with_columns(
        pl.format("S{}", pl.int_range(200).cast(pl.String).str.zfill(6)).alias("customer_id"),
        pl.lit("13800138000").alias("phone"), pl.lit(None, dtype=pl.String).alias("email"),
        pl.Series("name", person_names(rng, 200)[0].tolist()))
    table = pl.concat([base, pl.DataFrame(recs, schema=base.schema), strangers])
    return table, {"duplicates": truth,
                   "non_duplicates": [{"customer_id": c} for c in strangers["customer_id"]]}


def demo_customers(folder: Path) -> tuple[pl.DataFrame, dict]:
    """The typed customer table of a dirty demo and its truth."""
    from workbench import config, ingest
    cfg = config.from_dict({"company": {"founded": "2019-01-01"}, "sources": {
        "customers": {"path": "customers.csv", "date_format": "%Y/%m/%d"},
        "orders": {"path": "orders.csv"}}}, root=folder)
    raw = ingest.read_sources({"customers": cfg.sources["customers"]})["customers"]
    truth = json.loads((folder / "truth.json").read_text(encoding="utf-8"))
    return ingest.coerce(raw).typed, truth


PATHS = {"exact keys (baseline)": "exact", "probabilistic (DuckDB)": "probabilistic"}


def child(table: Path, truth: Path, method: str) -> None:
    """One round of one path in this process: prints its figures as JSON."""
    df = pl.read_parquet(table)
    rules = dataclasses.replace(CleaningRules(), dedupe=method)
    before = resource.getrusage(resource.RUSAGE_SELF)
    t = time.perf_counter()
    res = dedupe_customers(df, rules)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_SELF)
    acc = merge_accuracy(res.merge_log, json.loads(truth.read_text(encoding="utf-8")))
    print(json.dumps({"wall": wall, "cpu": after.ru_utime + after.ru_stime - before.ru_utime
                      - before.ru_stime, "peak_gb": after.ru_maxrss / 1e6,
                      "before_gb": before.ru_maxrss / 1e6, "merged": res.merge_log.height,
                      "precision": acc["precision"], "recall": acc["recall"],
                      "strangers": len(acc["stranger_merges"]),
                      "candidate_pairs": res.info.get("candidate_pairs", 0),
                      "review_pairs": res.info.get("review_pairs", 0)}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--customers", type=int, default=500_000)
    ap.add_argument("--demo", type=Path, default=None,
                    help="a dirty demo folder (customers.csv, truth.json) instead of --customers")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--child", nargs=3, metavar=("TABLE", "TRUTH", "METHOD"), default=None,
                    help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(Path(args.child[0]), Path(args.child[1]), args.child[2])
        return
    t = time.perf_counter()
    table, truth = demo_customers(args.demo) if args.demo else customers(args.customers)
    print(f"{table.height:,} customer rows {'read' if args.demo else 'generated'} in "
          f"{time.perf_counter() - t:.1f} s")
    with tempfile.TemporaryDirectory(prefix="bench-dedupe-") as tmp:
        tpath, jpath = Path(tmp) / "customers.parquet", Path(tmp) / "truth.json"
        table.write_parquet(tpath)
        jpath.write_text(json.dumps(truth, ensure_ascii=False), encoding="utf-8")
        del table
        runs: dict[str, list[dict]] = {k: [] for k in PATHS}
        for _ in range(args.repeat):
            for name, method in PATHS.items():
                out = subprocess.run([sys.executable, __file__, "--child", str(tpath), str(jpath),
                                      method], check=True, capture_output=True, text=True)
                runs[name].append(json.loads(out.stdout.strip().splitlines()[-1]))
    base = runs["exact keys (baseline)"]
    b_wall = statistics.median(r["wall"] for r in base)
    b_best = min(r["wall"] for r in base)
    b_cpu = statistics.median(r["cpu"] for r in base)
    b_peak = max(r["peak_gb"] for r in base)
    print(f"\n{'path':<24}{'best s':>8}{'median s':>10}{'x base':>8}{'x (best)':>9}{'CPU s':>8}"
          f"{'x base':>8}{'peak GB':>9}{'x base':>8}{'merged':>8}{'precision':>10}{'recall':>8}"
          f"{'strangers':>10}")
    for name, rs in runs.items():
        wall = [r["wall"] for r in rs]
        cpu = statistics.median(r["cpu"] for r in rs)
        peak = max(r["peak_gb"] for r in rs)
        r = rs[-1]
        print(f"{name:<24}{min(wall):>8.2f}{statistics.median(wall):>10.2f}"
              f"{statistics.median(wall) / b_wall:>8.1f}{min(wall) / b_best:>9.1f}{cpu:>8.1f}"
              f"{cpu / b_cpu:>8.1f}{peak:>9.2f}{peak / b_peak:>8.1f}{r['merged']:>8,}"
              f"{r['precision']:>10.4f}{r['recall']:>8.4f}{r['strangers']:>10}")
    r = runs["probabilistic (DuckDB)"][-1]
    print(f"\ncandidate pairs {r['candidate_pairs']:,}; review queue {r['review_pairs']:,}; "
          f"peak memory includes the table itself ({r['before_gb']:.2f} GB before the call)")


if __name__ == "__main__":
    main()
