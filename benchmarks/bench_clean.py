"""Benchmark: ingest + clean of a large orders export against plain polars reading.

Generates (deterministically, seed 7) an orders CSV of ``--orders`` rows (default
5 million) for ``--orders / 10`` customers, written the way the dirty demo export
is: mixed ``2024-03-05`` / ``2024/03/05`` dates, some ``¥1,234.50`` amounts,
cancelled and returned orders, a few exact duplicates and bad rows.  Then times:

1. baseline: ``polars.read_csv`` of the orders file (types inferred);
2. for comparison: ``polars.read_csv`` of orders + customers, every value as text;
3. ``workbench.ingest.read_sources`` of orders + customers (text, mapping, lines);
4. ``workbench.clean.clean_tables`` (coercion, every rule, merge, ledger);

and prints a table with each time and its ratio to the baseline (target: the
full ingest + clean within a few times the plain read).  Every step runs
``--repeat`` times (default 3) and its best time is shown, so that other jobs
on the machine disturb the baseline and the pipeline alike.

    python benchmarks/bench_clean.py [--orders 5000000] [--keep DIR] [--repeat 3]

``--keep DIR`` keeps the generated files and reuses them on the next run.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from workbench import clean, config, ingest


def make_data(folder: Path, n_orders: int, seed: int = 7) -> dict[str, int]:
    """Write customers.csv and orders.csv into ``folder``; returns the row counts."""
    rng = np.random.default_rng(seed)
    n_cust = max(10, n_orders // 10)
    cid = pl.Series([f"C{i:08d}" for i in range(n_cust)])
    signup = pl.date_range(date(2019, 1, 2), date(2020, 12, 31), eager=True)
    cust = pl.DataFrame({
        "客户编号": cid,
        "客户名称": pl.Series([f"客户{i}" for i in range(n_cust)]),
        "联系电话": pl.Series([f"138{i:08d}" for i in range(n_cust)]),
        "注册日期": signup.sample(n_cust, with_replacement=True, seed=seed).sort()
        .dt.strftime("%Y/%m/%d"),
    })
    cust.write_csv(folder / "customers.csv")

    days = pl.Series(rng.integers(0, 2000, n_orders)).cast(pl.Int32)
    start = pl.Series([date(2021, 1, 1)])[0]
    dates = pl.select(pl.lit(start) + pl.duration(days=pl.lit(days))).to_series()
    slash = rng.random(n_orders) < 0.3
    iso = dates.dt.strftime("%Y-%m-%d")
    sl = dates.dt.strftime("%Y/%m/%d")
    date_txt = pl.select(pl.when(pl.lit(pl.Series(slash))).then(pl.lit(sl)).otherwise(pl.lit(iso))) \
        .to_series()
    amount = np.round(rng.gamma(2.0, 300.0, n_orders) + 1, 2)
    status = rng.choice(["completed", "cancelled", "returned"], n_orders, p=[0.93, 0.04, 0.03])
    amount = np.where(status == "returned", -amount, amount)
    amt_txt = pl.Series(amount).cast(pl.String)
    fancy = rng.random(n_orders) < 0.02
    amt_txt = pl.select(pl.when(pl.lit(pl.Series(fancy)) & (pl.lit(pl.Series(amount)) > 0))
                        .then(pl.format("¥{}", pl.lit(amt_txt))).otherwise(pl.lit(amt_txt))) \
        .to_series()
    orders = pl.DataFrame({
        "订单编号": pl.Series([f"SO{i:09d}" for i in range(n_orders)]),
        "客户编号": cid.gather(rng.integers(0, n_cust, n_orders)),
        "下单日期": date_txt,
        "金额": amt_txt,
        "数量": pl.Series(rng.integers(1, 20, n_orders)).cast(pl.String),
        "产品类别": pl.Series(rng.choice(["办公用品", "电子产品", "食品", "家居"], n_orders)),
        "渠道": pl.Series(rng.choice(["天猫", "京东", "线下门店", "企业直销"], n_orders)),
        "订单状态": pl.Series(status),
    })
    dup = orders.sample(max(1, n_orders // 1000), seed=seed)
    bad = orders.head(10).with_columns(pl.lit("待定").alias("下单日期"))
    orders = pl.concat([orders, dup, bad])
    orders.write_csv(folder / "orders.csv")
    return {"customers": cust.height, "orders": orders.height}


def _time(fn, repeat: int = 1):
    """Best wall time of ``repeat`` calls of ``fn`` and the value of the last call."""
    best, value = float("inf"), None
    for _ in range(repeat):
        value = None  # free the previous result before the next run
        start = time.perf_counter()
        value = fn()
        best = min(best, time.perf_counter() - start)
    return best, value


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--orders", type=int, default=5_000_000)
    ap.add_argument("--keep", default=None,
                    help="write the data here and keep it (reused when it is already there)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per step; the best is shown")
    args = ap.parse_args(argv)
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-clean-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        have = args.keep and (folder / "orders.csv").is_file() and (folder / "customers.csv").is_file()
        if have:
            t_gen, rows = 0.0, {"orders": pl.scan_csv(folder / "orders.csv").select(pl.len())
                                .collect().item(),
                                "customers": pl.scan_csv(folder / "customers.csv")
                                .select(pl.len()).collect().item()}
        else:
            t_gen, rows = _time(lambda: make_data(folder, args.orders))
        size = (folder / "orders.csv").stat().st_size / 1e6
        print(f"data: {rows['orders']:,} order rows ({size:,.0f} MB), {rows['customers']:,} "
              f"customers, generated in {t_gen:.1f} s")
        cfg = config.from_dict({
            "company": {"founded": "2019-01-01"},
            "sources": {"customers": {"path": "customers.csv", "date_format": "%Y/%m/%d"},
                        "orders": {"path": "orders.csv",
                                   "date_format": ["%Y-%m-%d", "%Y/%m/%d"]}},
        }, root=folder)
        n = max(1, args.repeat)
        t_base, base = _time(lambda: pl.read_csv(folder / "orders.csv"), n)
        t_text, _ = _time(lambda: [pl.read_csv(folder / f, infer_schema=False)
                                   for f in ("orders.csv", "customers.csv")], n)
        t_ingest, raw = _time(lambda: ingest.read_sources(cfg.sources), n)
        rules = clean.CleaningRules.from_config(cfg)
        t_clean, result = _time(lambda: clean.clean_tables(raw, rules, today=date(2026, 11, 25)),
                                n)
        e = result.ledger["orders"]
        total = t_ingest + t_clean
        print(f"\n{'step (best of ' + str(n) + ')':<46}{'seconds':>9}{'x baseline':>12}")
        for name, t in [("polars.read_csv(orders) [baseline]", t_base),
                        ("polars.read_csv(orders + customers, text)", t_text),
                        ("ingest.read_sources (orders + customers)", t_ingest),
                        ("clean.clean_tables (all rules + ledger)", t_clean),
                        ("ingest + clean", total)]:
            print(f"{name:<46}{t:>9.2f}{t / t_base:>12.1f}")
        print(f"\norders: {e['rows_in']:,} in, {e['rows_kept']:,} kept, "
              f"{e['rows_quarantined']:,} quarantined {e['reasons']}")
        assert base.height == e["rows_in"]
        return 0
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
