"""Benchmark: ingest + clean of a large orders export against plain polars reading.

Generates (deterministically, seed 7) an orders CSV of ``--orders`` rows (default
5 million) for ``--orders / 10`` customers, written the way the dirty demo export
is: mixed ``2024-03-05`` / ``2024/03/05`` dates, some ``¥1,234.50`` amounts,
cancelled and returned orders, a few exact duplicates and bad rows.  Then times:

1. baseline: ``polars.read_csv`` of the orders file (types inferred from the first 10,000
   rows, so that the ``¥`` amounts make the amount column text rather than an error);
2. for comparison: ``polars.read_csv`` of orders + customers, every value as text;
3. ``workbench.ingest.read_sources`` of orders + customers (text, mapping, lines);
4. ``workbench.clean.clean_tables`` (coercion, every rule, merge, ledger);
5. ``workbench.clean.write_outputs`` (the Parquet files and the ledger, as a set);

and prints a table with each time and its ratio to the baseline (target: the
full ingest + clean within a few times the plain read).  The five steps run one
after the other in each of ``--repeat`` rounds (default 5), so that other jobs on
the machine and its changing speed disturb the baseline and the pipeline alike;
the table shows each step's best time and median time, and the ratios of the
medians and of the best times.

    python benchmarks/bench_clean.py [--orders 5000000] [--keep DIR] [--repeat 5] [--formatted]

``--keep DIR`` keeps the generated files and reuses them on the next run.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from workbench import clean, config, ingest


def make_data(folder: Path, n_orders: int, seed: int = 7,
              formatted: bool = False) -> dict[str, int]:
    """Write customers.csv and orders.csv into ``folder``; returns the row counts.

    ``formatted``: every amount written as '¥1,234.50' and every status in Chinese (已完成,
    已取消, 退货), as many Chinese ERP exports do, instead of 2 % of the amounts with a '¥'.
    """
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
    if formatted:
        amt_txt = pl.Series(amount).map_elements(lambda v: f"¥{v:,.2f}", return_dtype=pl.String)
        status = pl.Series(status).replace_strict(
            {"completed": "已完成", "cancelled": "已取消", "returned": "退货"}).to_numpy()
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


def _time(fn):
    """Wall time of one call of ``fn`` and its value."""
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--orders", type=int, default=5_000_000)
    ap.add_argument("--keep", default=None,
                    help="write the data here and keep it (reused when it is already there)")
    ap.add_argument("--formatted", action="store_true",
                    help="every amount as '¥1,234.50' and every status in Chinese (use its own "
                         "--keep folder)")
    ap.add_argument("--repeat", type=int, default=5,
                    help="rounds of the five steps; best and median times are shown")
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
            t_gen, rows = _time(lambda: make_data(folder, args.orders, formatted=args.formatted))
        size = (folder / "orders.csv").stat().st_size / 1e6
        print(f"data: {rows['orders']:,} order rows ({size:,.0f} MB), {rows['customers']:,} "
              f"customers, generated in {t_gen:.1f} s")
        cfg = config.from_dict({
            "company": {"founded": "2019-01-01"},
            "sources": {"customers": {"path": "customers.csv", "date_format": "%Y/%m/%d"},
                        "orders": {"path": "orders.csv",
                                   "date_format": ["%Y-%m-%d", "%Y/%m/%d"]}},
        }, root=folder)
        rules = clean.CleaningRules.from_config(cfg)
        steps = ["base", "text", "ingest", "clean", "write"]
        out = Path(tempfile.mkdtemp(prefix="bench-clean-out-"))
        times: dict[str, list[float]] = {k: [] for k in steps}
        for _ in range(max(1, args.repeat)):
            t, base = _time(lambda: pl.read_csv(folder / "orders.csv", infer_schema_length=10_000))
            times["base"].append(t)
            t, _ = _time(lambda: [pl.read_csv(folder / f, infer_schema=False)
                                  for f in ("orders.csv", "customers.csv")])
            times["text"].append(t)
            result = raw = None  # free the previous round's tables first
            t, raw = _time(lambda: ingest.read_sources(cfg.sources))
            times["ingest"].append(t)
            t, result = _time(lambda raw=raw: clean.clean_tables(raw, rules,
                                                                 today=date(2026, 11, 25)))
            times["clean"].append(t)
            t, _ = _time(lambda result=result: clean.write_outputs(result, out))
            times["write"].append(t)
        shutil.rmtree(out, ignore_errors=True)
        times["total"] = [i + c for i, c in zip(times["ingest"], times["clean"], strict=True)]
        times["all"] = [t + w for t, w in zip(times["total"], times["write"], strict=True)]
        best = {k: min(v) for k, v in times.items()}
        med = {k: statistics.median(v) for k, v in times.items()}
        e = result.ledger["orders"]
        print(f"\n{'':<46}{'':>8}{'':>10}{'x baseline':>22}")
        print(f"{'step (' + str(len(times['base'])) + ' rounds)':<46}{'best s':>8}{'median s':>10}"
              f"{'median':>12}{'best':>10}")
        for key, name in [("base", "polars.read_csv(orders) [baseline]"),
                          ("text", "polars.read_csv(orders + customers, text)"),
                          ("ingest", "ingest.read_sources (orders + customers)"),
                          ("clean", "clean.clean_tables (all rules + ledger)"),
                          ("total", "ingest + clean"),
                          ("write", "clean.write_outputs (Parquet set)"),
                          ("all", "ingest + clean + write (workbench clean)")]:
            print(f"{name:<46}{best[key]:>8.2f}{med[key]:>10.2f}{med[key] / med['base']:>12.1f}"
                  f"{best[key] / best['base']:>10.1f}")
        print(f"\norders: {e['rows_in']:,} in, {e['rows_kept']:,} kept, "
              f"{e['rows_quarantined']:,} quarantined {e['reasons']}")
        assert base.height == e["rows_in"]
        return 0
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
