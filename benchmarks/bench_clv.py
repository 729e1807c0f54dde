"""Speed of workbench.clv.fit on large summaries, and equality with the customer-level fit.

Targets: BG/NBD + Gamma-Gamma on 500k customers in a few seconds; Pareto/NBD on
500k customers in under a minute.  Collapsing identical (frequency, recency, T)
rows into lifetimes ``weights`` must give the same parameters as fitting every
customer: the baseline is lifetimes' own uncollapsed fit at a smaller size
(50k by default), timed in the same run, and the parameters must agree within
1e-6 relative.

The data are simulated from the BG/NBD model over three years and summarised in
whole weeks (``freq="W"``), with Gamma-Gamma spend.  Collapsing pays when
periods are whole units: a summary in days counted as weeks (``freq="D",
freq_multiplier=7``) over years has nearly one pattern per repeat customer,
and then only the faster Pareto/NBD likelihood helps.

It also times :func:`workbench.clv.summary_from_orders` on simulated orders of
``--orders`` customers (about five orders each, returns, cancellations and
flagged outliers) and checks the transaction model's rule at that size: every
customer's purchase days equal ``frequency + 1``.

    python benchmarks/bench_clv.py [--large 500000] [--small 50000] [--orders 200000] [--seed 3]
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from datetime import date, timedelta

import numpy as np
import pandas as pd
import polars as pl

from workbench import clv, transactions


def simulate(n: int, seed: int, weeks: int = 156) -> pd.DataFrame:
    """BG/NBD purchases and Gamma-Gamma spend, summarised in whole weeks (``freq="W"``).

    Customers join uniformly over ``weeks`` weeks; a purchase in week ``k`` after
    the first gives recency ``k`` (whole periods, as an RFM summary on weekly
    periods has it).
    """
    rng = np.random.default_rng(seed)
    T = rng.integers(1, weeks + 1, n).astype(float)
    lam = rng.gamma(0.25, 1 / 2.0, n)          # purchases per week while alive
    p = rng.beta(0.8, 2.5, n)                  # drop-out probability after each purchase
    t = np.zeros(n)
    freq = np.zeros(n)
    rec = np.zeros(n)
    active = np.ones(n, dtype=bool)
    while active.any():
        idx = np.flatnonzero(active)
        t[idx] += rng.exponential(1 / lam[idx])
        bought = np.ceil(t[idx]) <= T[idx]
        b = idx[bought]
        new_week = np.ceil(t[b]) > rec[b]     # several purchases in one week count once
        freq[b[new_week]] += 1
        rec[b] = np.ceil(t[b])
        die = rng.random(len(b)) < p[b]
        active[idx[~bought]] = False
        active[b[die]] = False
    nu = rng.gamma(3.7, 1 / 15.0, n)
    spend = np.where(freq > 0, rng.gamma(6.25 * np.maximum(freq, 1), 1 / (nu * np.maximum(freq, 1))), 0.0)
    return pd.DataFrame({"frequency": freq, "recency": rec, "T": T,
                         "monetary_value": np.round(spend, 2)},
                        index=pd.Index([f"c{i}" for i in range(n)], name="customer_id"))


def simulate_orders(n: int, seed: int) -> pl.DataFrame:
    """About five orders per customer over three years: 3% returns, 1% cancelled, 0.5% flagged outliers."""
    rng = np.random.default_rng(seed)
    cid = np.repeat(np.arange(n), rng.poisson(4, n) + 1)
    m = len(cid)
    amount = np.round(rng.gamma(2.0, 150.0, m), 2)
    ret = rng.random(m) < 0.03
    amount[ret] *= -0.5
    flag = rng.random(m) < 0.005
    amount[flag] *= 40
    start = date(2023, 1, 1)
    return pl.DataFrame({
        "customer_id": [f"c{i}" for i in cid],
        "order_id": [f"o{i}" for i in range(m)],
        "order_date": pl.date_range(start, start + timedelta(days=3 * 365 - 1), eager=True)
        .gather(rng.integers(0, 3 * 365, m)),
        "amount": amount,
        "status": np.where(rng.random(m) < 0.01, "cancelled", "completed"),
        "is_outlier": flag,
    })


def rel_diff(a: dict, b: dict) -> float:
    return max(abs(a[k] - b[k]) / abs(b[k]) for k in b)


def uncollapsed(model: str, s: pd.DataFrame) -> dict:
    """lifetimes on every customer (no weights), with the optimizer settings clv.fit uses."""
    lt = clv._lifetimes()
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        if model == "paretonbd":
            m = lt.ParetoNBDFitter().fit(s["frequency"], s["recency"], s["T"],
                                         initial_params=np.ones(4), tol=1e-9, maxiter=20000)
        else:
            cls = {"bgnbd": lt.BetaGeoFitter, "mbgnbd": lt.ModifiedBetaGeoFitter}[model]
            m = cls().fit(s["frequency"], s["recency"], s["T"])
    return {k: float(v) for k, v in m.params_.items()}


def uncollapsed_spend(s: pd.DataFrame) -> dict:
    lt = clv._lifetimes()
    r = s[(s["frequency"] > 0) & (s["monetary_value"] > 0)]
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        m = lt.GammaGammaFitter().fit(r["frequency"], r["monetary_value"])
    return {k: float(v) for k, v in m.params_.items()}


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - start


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--large", type=int, default=500_000)
    ap.add_argument("--small", type=int, default=50_000)
    ap.add_argument("--orders", type=int, default=200_000)
    ap.add_argument("--seed", type=int, default=3)
    args = ap.parse_args(argv)

    failures = []
    clv._lifetimes()  # import once before timing (lifetimes + autograd take seconds to import)
    small = simulate(args.small, args.seed)
    large = simulate(args.large, args.seed + 1)
    print(f"simulated: {len(small):,} and {len(large):,} customers "
          f"({(small['frequency'] > 0).mean():.0%} repeat)")
    print(f"{'model':<12}{'n':>9}{'patterns':>10}{'collapsed s':>13}{'uncollapsed s':>15}"
          f"{'speed-up':>10}{'max rel diff':>14}")
    for model in ("bgnbd", "paretonbd"):
        fit_s, t_col = timed(clv.fit, small, model, period="W")
        ref, t_unc = timed(uncollapsed, model, small)
        diff = rel_diff(fit_s.params, ref)
        print(f"{model:<12}{len(small):>9,}{fit_s.n_patterns:>10,}{t_col:>13.2f}{t_unc:>15.2f}"
              f"{t_unc / t_col:>9.1f}x{diff:>14.1e}")
        if diff > 1e-6:
            failures.append(f"{model}: collapsed parameters differ from the uncollapsed fit by {diff:.1e}")
        if model == "bgnbd":
            ref_g, t_g = timed(uncollapsed_spend, small)
            gdiff = rel_diff(fit_s.spend_params, ref_g)
            print(f"{'gammagamma':<12}{fit_s.n_spend_customers:>9,}{fit_s.n_spend_patterns:>10,}"
                  f"{'(in above)':>13}{t_g:>15.2f}{'':>10}{gdiff:>14.1e}")
            if gdiff > 1e-6:
                failures.append(f"Gamma-Gamma: collapsed parameters differ by {gdiff:.1e}")
        fit_l, t_large = timed(clv.fit, large, model, period="W")
        extrapolated = t_unc * len(large) / len(small)
        print(f"{model:<12}{len(large):>9,}{fit_l.n_patterns:>10,}{t_large:>13.2f}"
              f"{'~' + format(extrapolated, '.0f'):>15}{extrapolated / t_large:>9.1f}x{'':>14}"
              f"   (uncollapsed time extrapolated linearly from {len(small):,})")
        limit = 10.0 if model == "bgnbd" else 60.0
        if t_large > limit:
            failures.append(f"{model} on {len(large):,} customers took {t_large:.1f} s (target {limit:.0f} s)")
        _, t_pred = timed(clv.predict, fit_l, large, 12, 0.01)
        print(f"{'  predict':<12}{len(large):>9,}{'':>10}{t_pred:>13.2f}   (12 months, {model})")
    orders = simulate_orders(args.orders, args.seed + 2)
    as_of = date(2025, 12, 31)
    summary, t_sum = timed(clv.summary_from_orders, orders, as_of)
    print(f"{'summary':<12}{summary.height:>9,}{'':>10}{t_sum:>13.2f}   "
          f"(summary_from_orders on {orders.height:,} orders)")
    days = transactions.customer_activity(transactions.transactions(orders, as_of)).filter(
        pl.col("purchase_days") > 0).collect()
    joined = days.join(summary, on="customer_id", how="full", coalesce=True)
    bad = joined.filter((pl.col("frequency") + 1 != pl.col("purchase_days"))
                        | pl.col("frequency").is_null() | pl.col("purchase_days").is_null())
    if bad.height:
        failures.append(f"{bad.height} customers whose purchase days are not frequency + 1")
    if t_sum > 10.0:
        failures.append(f"summary_from_orders on {orders.height:,} orders took {t_sum:.1f} s (target 10 s)")
    for f in failures:
        print("FAIL:", f, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
