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

and prints a table with each path's best and median time and the ratio to the baseline, and
the precision and recall of both against the injected duplicates (target: the probabilistic
path under 2 minutes at 500,000 customers).

    python benchmarks/bench_dedupe.py [--customers 500000] [--repeat 1]
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import time
from datetime import date, timedelta

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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--customers", type=int, default=500_000)
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    t = time.perf_counter()
    table, truth = customers(args.customers)
    print(f"{table.height:,} customer rows generated in {time.perf_counter() - t:.1f} s")
    rules = CleaningRules()
    paths = {"exact keys (baseline)": dataclasses.replace(rules, dedupe="exact"),
             "probabilistic (DuckDB)": rules}
    times: dict[str, list[float]] = {k: [] for k in paths}
    acc = {}
    for _ in range(args.repeat):
        for name, r in paths.items():
            t = time.perf_counter()
            res = dedupe_customers(table, r)
            times[name].append(time.perf_counter() - t)
            acc[name] = (merge_accuracy(res.merge_log, truth), res.info)
    base = statistics.median(times["exact keys (baseline)"])
    best_base = min(times["exact keys (baseline)"])
    print(f"\n{'path':<26}{'best s':>9}{'median s':>10}{'x baseline':>12}{'x (best)':>10}"
          f"{'precision':>11}{'recall':>8}{'strangers':>11}")
    for name, ts in times.items():
        a, info = acc[name]
        print(f"{name:<26}{min(ts):>9.2f}{statistics.median(ts):>10.2f}"
              f"{statistics.median(ts) / base:>12.1f}{min(ts) / best_base:>10.1f}"
              f"{a['precision']:>11.4f}{a['recall']:>8.4f}{len(a['stranger_merges']):>11}")
    info = acc["probabilistic (DuckDB)"][1]
    print(f"\ncandidate pairs {info.get('candidate_pairs', 0):,}; review queue "
          f"{info.get('review_pairs', 0):,}; placeholders {info['placeholders']}")


if __name__ == "__main__":
    main()
