"""Generate a large, seeded Parquet dataset of clean canonical orders, hive-partitioned by month.

The columns and types are those ``workbench clean`` writes to
``data/processed/orders.parquet`` (``order_id, customer_id, order_date, amount, quantity,
gross_margin, product_category, channel, status, is_outlier``); the files sit in
``year=YYYY/month=MM/part-0.parquet`` folders, the partition keys in the folder names only
(a true hive layout), as an export from a warehouse would be.

The customers follow a simple buy-till-you-die process, so the per-customer tables look
like real ones: each customer is acquired in some month (more in later months), buys
once then, keeps buying at a personal monthly rate (gamma distributed) until a
geometric dropout, and spends around a personal mean (log-normal).  About 2 % of the
orders are cancelled, 3 % returned (a few of them booked as a negative amount), 0.1 %
are free samples (amount 0) and 1 in 20,000 is a mistyped amount (x50 to x500) that the
cleaning flagged ``is_outlier``.  The rates are scaled so the dataset holds about
``orders`` orders (the exact count is in ``_dataset.json``).

One month is drawn and written at a time (numpy, then polars), so the generator stays
far below 4 GB at 5,000,000 customers / 50,000,000 orders (about 1 GB of Parquet).  The
same arguments give the same files; a folder that already holds the dataset for them is
reused.

With ``--tables DIR`` it also writes the other canonical tables of the same customers, one
Parquet file each, as a CRM would export them beside a warehouse's orders:
``customers.parquet`` (type, province, city, industry, channel, sales rep, signup date;
no names or contacts), ``visits.parquet``, ``complaints.parquet`` and
``surveys.parquet`` (a visit every 20 months or so of an owned customer's active life,
a complaint per 400 orders, a survey response per 200 orders; their dates fall
inside the customer's active months).

    python benchmarks/gen_orders.py --customers 5000000 --orders 50000000 --out DIR [--tables DIR]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from workbench import periods, schema
from workbench.demo.vocabulary import COMPLAINT_CATEGORIES, INDUSTRIES, PLACES

#: The first month of the data and the last day (the as-of date of the benchmark).
FIRST_MONTH = date(2022, 1, 1)
AS_OF = date(2026, 10, 31)
CATEGORIES = ["电子产品", "食品饮料", "家居用品", "个护美妆", "办公用品", "礼品定制",
              "软件服务", "工业耗材"]
CATEGORY_WEIGHTS = [0.22, 0.18, 0.17, 0.17, 0.13, 0.05, 0.045, 0.035]
CHANNELS = ["天猫", "京东", "线上商城", "微信小程序", "线下门店", "直销", "经销商"]
CHANNEL_WEIGHTS = [0.23, 0.19, 0.165, 0.16, 0.13, 0.08, 0.045]
STATUSES = ["completed", "returned", "cancelled"]
STATUS_WEIGHTS = [0.95, 0.03, 0.02]
P_NEGATIVE_RETURN = 0.05   # of the returns: booked as a negative amount, status completed
P_FREE = 0.001             # free samples: amount 0
P_OUTLIER = 1 / 20_000     # mistyped amounts, flagged by the cleaning
MEAN_LIFETIME_MONTHS = 30  # geometric dropout
RATE_SHAPE = 0.7           # gamma shape of the monthly purchase rates (heterogeneous buyers)
MARKER = "_dataset.json"
N_REPS = 1_000             # sales reps of the side tables
P_UNOWNED = 0.2            # customers in the shared pool (no sales rep)
P_B2B = 0.3
VISITS_PER_MONTH = 0.05    # of an owned customer's active months
COMPLAINTS_PER_ORDER = 0.0025
SURVEYS_PER_ORDER = 0.005


def _months() -> list[date]:
    """The first day of each month from FIRST_MONTH to AS_OF's month."""
    return [periods.add_months(FIRST_MONTH, i)
            for i in range(periods.months_between(FIRST_MONTH, AS_OF) + 1)]


def _days_in(month: date) -> int:
    """The days of ``month`` that the data covers (up to AS_OF in its month)."""
    return min(periods.month_end(month), AS_OF).day


def _customers(n: int, orders: int, n_months: int, seed: int) -> dict[str, np.ndarray]:
    """Per customer: acquisition month, last active month, monthly rate, spend mean."""
    rng = np.random.default_rng([seed, 0])
    weights = np.linspace(1.0, 2.0, n_months)  # the business grows
    acq = rng.choice(n_months, size=n, p=weights / weights.sum()).astype(np.int32)
    life = rng.geometric(1 / MEAN_LIFETIME_MONTHS, size=n).astype(np.int32)
    last = np.minimum(acq + life - 1, n_months - 1)
    rate = rng.gamma(RATE_SHAPE, 1.0, size=n)
    months_after = (last - acq).astype(np.float64)  # active months after the first
    # one order at acquisition, then Poisson(rate * scale) a month: scale to the target
    extra = max(orders - n, 0)
    scale = extra / max(float((rate * months_after).sum()), 1e-9)
    spend = np.exp(rng.normal(5.2, 0.6, size=n))
    return {"acq": acq, "last": last, "rate": rate * scale, "spend": spend}


def _month_orders(month_index: int, month: date, cust: dict[str, np.ndarray], seed: int,
                  first_number: int) -> pl.DataFrame:
    """The orders of one month, in date order, numbered from ``first_number``."""
    rng = np.random.default_rng([seed, 1 + month_index])
    acq, last = cust["acq"], cust["last"]
    active = np.flatnonzero((acq <= month_index) & (last >= month_index))
    counts = (acq[active] == month_index).astype(np.int64)
    later = acq[active] < month_index
    counts[later] = rng.poisson(cust["rate"][active[later]])
    who = np.repeat(active, counts)
    rows = who.size
    day = np.sort(rng.integers(0, _days_in(month), rows, dtype=np.int32))
    rng.shuffle(who)  # orders of a day come in any customer order
    amount = np.round(cust["spend"][who] * np.exp(rng.normal(0.0, 0.5, rows)), 2)
    amount = np.maximum(amount, 0.01)
    status = rng.choice(3, size=rows, p=STATUS_WEIGHTS)
    negative = (status == 1) & (rng.random(rows) < P_NEGATIVE_RETURN)
    amount[negative] = -amount[negative]
    status[negative] = 0
    amount[rng.random(rows) < P_FREE] = 0.0
    outlier = rng.random(rows) < P_OUTLIER
    amount[outlier] = np.round(np.abs(amount[outlier]) * rng.uniform(50, 500, outlier.sum()), 2)
    status[outlier] = 0
    quantity = rng.geometric(0.55, rows).astype(np.int64)
    margin = np.round(amount * rng.uniform(0.08, 0.45, rows), 2)
    start = np.datetime64(month, "D")
    ids = pl.DataFrame({"n": np.arange(first_number, first_number + rows), "c": who + 1}).select(
        pl.format("SO{}", pl.col("n").cast(pl.String).str.zfill(9)).alias("order_id"),
        pl.format("C{}", pl.col("c").cast(pl.String).str.zfill(7)).alias("customer_id"))
    return pl.DataFrame({
        "order_id": ids.get_column("order_id"),
        "customer_id": ids.get_column("customer_id"),
        "order_date": pl.Series(start + day.astype("timedelta64[D]"), dtype=pl.Date),
        "amount": amount,
        "quantity": quantity,
        "gross_margin": margin,
        "product_category": pl.Series(np.asarray(CATEGORIES)[
            rng.choice(len(CATEGORIES), rows, p=CATEGORY_WEIGHTS)]),
        "channel": pl.Series(np.asarray(CHANNELS)[
            rng.choice(len(CHANNELS), rows, p=CHANNEL_WEIGHTS)]),
        "status": pl.Series(np.asarray(STATUSES)[status]),
        "is_outlier": outlier,
    })


def generate(out: Path, customers: int, orders: int, seed: int = 7,
             log: Any = print) -> dict[str, Any]:
    """Write the dataset to ``out`` (reused when ``out`` already holds it); returns its facts."""
    params = {"customers": customers, "target_orders": orders, "seed": seed,
              "first_month": FIRST_MONTH.isoformat(), "as_of": AS_OF.isoformat()}
    marker = out / MARKER
    if marker.is_file():
        facts = json.loads(marker.read_text())
        if facts.get("params") == params:
            log(f"reusing {out} ({facts['orders']:,} orders)")
            return dict(facts)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    months = _months()
    cust = _customers(customers, orders, len(months), seed)
    t0, number, counts = time.perf_counter(), 1, {}
    for i, month in enumerate(months):
        frame = _month_orders(i, month, cust, seed, number)
        number += frame.height
        folder = out / f"year={month.year}" / f"month={month.month:02d}"
        folder.mkdir(parents=True)
        frame.write_parquet(folder / "part-0.parquet", compression="zstd",
                            row_group_size=256_000)
        counts[f"{month:%Y-%m}"] = frame.height
        status = frame.get_column("status")
        counts_by_status = {s: int((status == s).sum()) for s in STATUSES}
        log(f"  {month:%Y-%m}: {frame.height:>10,} orders {counts_by_status} "
            f"({time.perf_counter() - t0:.0f} s)")
        del frame
    facts = {"params": params, "orders": number - 1, "months": counts,
             "seconds": round(time.perf_counter() - t0, 1)}
    marker.write_text(json.dumps(facts, indent=1))
    return facts


def _event_days(rng: np.random.Generator, who: np.ndarray, cust: dict[str, np.ndarray],
                 months: list[date]) -> np.ndarray:
    """A day (numpy datetime64[D]) inside each customer's active months, per event."""
    first = np.asarray(months, dtype="datetime64[D]")
    start = first[cust["acq"][who]]
    end = np.minimum(np.asarray([periods.month_end(m) for m in months], dtype="datetime64[D]")
                     [cust["last"][who]], np.datetime64(AS_OF, "D"))
    span = (end - start).astype(np.int64) + 1
    return start + np.floor(rng.random(who.size) * span).astype("timedelta64[D]")


def generate_tables(out: Path, customers: int, orders: int, seed: int = 7,
                    log: Any = print) -> dict[str, int]:
    """Write customers, visits, complaints and surveys of the dataset's customers to ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    months = _months()
    cust = _customers(customers, orders, len(months), seed)
    rng = np.random.default_rng([seed, 10_000])
    n = customers
    ids = pl.Series(np.arange(1, n + 1)).cast(pl.String).str.zfill(7)
    cid = ("C" + ids).alias("customer_id")
    place_w = np.asarray([w for *_, w in PLACES])
    place = rng.choice(len(PLACES), n, p=place_w / place_w.sum())
    ind_w = np.asarray([w for _, w, _ in INDUSTRIES])
    b2b = rng.random(n) < P_B2B
    owned = rng.random(n) >= P_UNOWNED
    rep = rng.integers(1, N_REPS + 1, n)
    reps = pl.Series(rep).cast(pl.String).str.zfill(4)
    first = np.asarray(months, dtype="datetime64[D]")[cust["acq"]]
    signup = first - rng.integers(0, 60, n).astype("timedelta64[D]")
    table = pl.DataFrame({
        "customer_id": cid,
        "customer_type": np.where(b2b, "B2B", "B2C"),
        "province": np.asarray([p for p, _, _ in PLACES])[place],
        "city": np.asarray([c for _, c, _ in PLACES])[place],
        "industry": pl.Series(np.asarray([i for i, _, _ in INDUSTRIES])[
            rng.choice(len(INDUSTRIES), n, p=ind_w / ind_w.sum())]).set(pl.Series(~b2b), None),
        "channel": np.asarray(CHANNELS)[rng.choice(len(CHANNELS), n, p=CHANNEL_WEIGHTS)],
        "sales_rep": pl.Series("销售" + reps).set(pl.Series(~owned), None),
        "signup_date": pl.Series(signup, dtype=pl.Date),
    })
    table.write_parquet(out / "customers.parquet")
    counts = {"customers": n}
    active = (cust["last"] - cust["acq"] + 1).astype(np.float64)
    per_customer_orders = 1 + cust["rate"] * (active - 1)
    events = {
        "visits": np.where(owned, rng.poisson(VISITS_PER_MONTH * active), 0),
        "complaints": rng.poisson(COMPLAINTS_PER_ORDER * per_customer_orders),
        "surveys": rng.poisson(SURVEYS_PER_ORDER * per_customer_orders),
    }
    for name, count in events.items():
        who = np.repeat(np.arange(n), count)
        day = _event_days(rng, who, cust, months)
        m = who.size
        key = schema.get(name).key
        prefix = {"visits": "V", "complaints": "CP", "surveys": "S"}[name]
        frame = pl.DataFrame({
            key: (prefix + pl.Series(np.arange(1, m + 1)).cast(pl.String).str.zfill(9)),
            "customer_id": cid.gather(who)})
        if name == "visits":
            frame = frame.with_columns(
                visit_date=pl.Series(day, dtype=pl.Date),
                sales_rep=table.get_column("sales_rep").gather(who),
                kind=pl.Series(np.asarray(schema.VISIT_KINDS)[
                    rng.choice(4, m, p=[0.45, 0.1, 0.25, 0.2])]),
                outcome=pl.Series(np.asarray(["跟进", "成交", "无意向", "待定"])[
                    rng.integers(0, 4, m)]))
        elif name == "complaints":
            opened = (day.astype("datetime64[us]")
                      + (rng.integers(8 * 3600, 20 * 3600, m) * 10**6).astype("timedelta64[us]"))
            hours = rng.exponential(40.0, m)
            resolved = opened + (hours * 3600 * 10**6).astype("timedelta64[us]")
            still_open = (resolved > np.datetime64(AS_OF, "us")) | (rng.random(m) < 0.01)
            frame = frame.with_columns(
                opened_at=pl.Series(opened, dtype=pl.Datetime("us")),
                resolved_at=pl.Series(resolved, dtype=pl.Datetime("us"))
                .set(pl.Series(still_open), None),
                category=pl.Series(np.asarray(COMPLAINT_CATEGORIES)[
                    rng.integers(0, len(COMPLAINT_CATEGORIES), m)]),
                severity=pl.Series(np.asarray(schema.COMPLAINT_SEVERITIES)[
                    rng.choice(4, m, p=[0.42, 0.35, 0.17, 0.06])]))
        else:
            nps = np.clip(np.round(rng.normal(7.5, 2.2, m)), 0, 10).astype(np.int64)
            frame = frame.with_columns(
                survey_date=pl.Series(day, dtype=pl.Date), nps=nps,
                csat=np.clip(np.round(1 + nps * 0.4 + rng.normal(0, 0.6, m)), 1, 5)
                .astype(np.int64))
        frame.write_parquet(out / f"{name}.parquet")
        counts[name] = m
        log(f"  {name}: {m:,} rows")
    return counts


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", type=int, default=5_000_000)
    ap.add_argument("--orders", type=int, default=50_000_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", required=True, help="the dataset's folder")
    ap.add_argument("--tables", help="also write customers, visits, complaints and surveys "
                    "(one Parquet file each) to this folder")
    args = ap.parse_args(argv)
    facts = generate(Path(args.out), args.customers, args.orders, args.seed)
    print(f"{facts['orders']:,} orders of {args.customers:,} customers in {args.out}")
    if args.tables:
        counts = generate_tables(Path(args.tables), args.customers, args.orders, args.seed)
        print(f"{counts} in {args.tables}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
