"""Drawing a whole demo company: :func:`generate` and :func:`generate_with_truth`.

The random streams are spawned from ``(seed, 20190101)``, one per concern (customers'
latent parameters, purchase times, spend, orders, service, names), so each table
builder draws from its own stream in a fixed order.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import polars as pl

from .. import schema
from ..errors import UsageError
from .model import (
    B2B_SHARE,
    BGNBD,
    COMPANY_NAME,
    CURRENCY,
    FOUNDED,
    GAMMA_GAMMA,
    PROSPECT_SHARE,
    SERVICE_COUPLING,
    TIME_UNIT,
    UNOWNED_SHARE,
    DemoData,
)
from .orders import build_orders
from .people import build_customers
from .process import draw_latent, draw_purchases, draw_spend
from .sampling import canonical, dates
from .seasons import LUNAR_NEW_YEAR, SEASON, SEASON_BY_TYPE, Clock, history, seasonal_intensity
from .service import build_service

__all__ = ["generate", "generate_with_truth"]

_STREAMS = ("cust", "buy", "spend", "order", "service", "names")


def generate(customers: int, seed: int, end_date: date | str | None = None,
             years: float = 3.0) -> dict[str, pl.DataFrame]:
    """The five clean canonical tables of a demo company.

    Args:
        customers: number of customers in the archive (prospects included), >= 50.
        seed: random seed; the same arguments always give the same tables.
        end_date: last day of the data (default 2026-10-31).
        years: length of the history before ``end_date``.

    Returns:
        ``{"customers", "orders", "visits", "complaints", "surveys"}`` -> polars
        DataFrames with exactly the canonical columns and types of
        :mod:`workbench.schema`.  The truth behind them is in
        :func:`generate_with_truth`.
    """
    return generate_with_truth(customers, seed, end_date, years).tables


def generate_with_truth(customers: int, seed: int, end_date: date | str | None = None,
                        years: float = 3.0) -> DemoData:
    """Like :func:`generate`, also returning the truth and each customer's latent parameters."""
    if not isinstance(customers, (int, np.integer)) or isinstance(customers, bool) or customers < 50:
        raise UsageError(f"customers must be a whole number >= 50, got {customers!r}.")
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise UsageError(f"seed must be a non-negative whole number, got {seed!r}.")
    n = int(customers)
    start, end = history(end_date, years)
    ss = np.random.SeedSequence([int(seed), 20190101])
    streams = {k: np.random.default_rng(s) for k, s in zip(_STREAMS, ss.spawn(len(_STREAMS)), strict=True)}
    intensity = {t: seasonal_intensity(start, end, t) for t in ("B2C", "B2B")}
    clocks = {t: Clock(v) for t, v in intensity.items()}
    n_days = clocks["B2C"].n_days

    latent = draw_latent(streams["cust"], n, intensity)
    purchases = draw_purchases(streams["buy"], latent, clocks)
    amount = draw_spend(streams["spend"], latent, purchases)
    people = build_customers(streams["names"], latent, start)
    book = build_orders(streams["order"], latent, purchases, amount, people, start, n_days)
    service = build_service(streams["service"], latent, purchases, people, book, start, end, n_days)
    built = {"customers": people.table.sort("customer_id"), "orders": book.table,
             "visits": service["visits"], "complaints": service["complaints"],
             "surveys": service["surveys"]}
    tables = {name: canonical(built[name], name) for name in schema.TABLES}

    buyer, alive, death_day = latent.buyer, purchases.alive, purchases.death_day
    lat = pl.DataFrame({
        "customer_id": people.cid,
        "customer_type": latent.ctype.astype(str),
        "buyer": buyer,
        "lam": latent.lam,
        "p": latent.p_drop,
        "nu": latent.nu,
        "dissatisfaction": latent.dissat,
        "first_purchase": dates(start, np.where(buyer, np.floor(latent.t0), 0)).to_numpy(),
        "alive": alive,
        "death_date": dates(start, np.maximum(death_day, 0)).to_numpy(),
    }).with_columns(
        pl.when(pl.col("buyer")).then(pl.col("first_purchase")).alias("first_purchase"),
        pl.when(pl.col("alive").not_()).then(pl.col("death_date")).alias("death_date"),
    ).sort("customer_id")
    truth: dict[str, Any] = {
        "seed": int(seed),
        "customers": n,
        "start_date": start.isoformat(),
        "end_date": end.isoformat(),
        "founded": FOUNDED.isoformat(),
        "company": COMPANY_NAME,
        "currency": CURRENCY,
        "time_unit": TIME_UNIT,
        "bgnbd": dict(BGNBD),
        "gamma_gamma": dict(GAMMA_GAMMA),
        "seasonality": {
            "method": "purchase times of the BG/NBD process are drawn in operational time and "
                      "mapped to calendar days through the cumulative seasonal intensity "
                      "(mean 1 over the period)",
            "windows": SEASON,
            "by_customer_type": SEASON_BY_TYPE,
            "lunar_new_year": {str(y): d.isoformat() for y, d in LUNAR_NEW_YEAR.items()
                               if start.year <= y <= end.year},
        },
        "b2b_share": B2B_SHARE,
        "prospect_share": PROSPECT_SHARE,
        "unowned_share": UNOWNED_SHARE,
        "service_coupling": SERVICE_COUPLING,
        "facts": {
            "b2b_customers": int(latent.is_b2b.sum()),
            "buyers": int(buyer.sum()),
            "prospects": int((~buyer).sum()),
            "alive_buyers_at_end": int((alive & buyer).sum()),
            "sales_reps": people.reps,
        },
        "rows": {name: df.height for name, df in tables.items()},
    }
    return DemoData(tables=tables, truth=truth, latent=lat, cancelled=book.cancelled)
