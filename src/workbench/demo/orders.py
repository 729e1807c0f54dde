"""The orders table: products, quantities, channels, margins, cancellations and returns.

Every purchase of :mod:`workbench.demo.process` becomes a ``completed`` order.  A
share of order numbers goes to orders that were later cancelled (only the dirty
export shows them), and a share of completed orders comes back within a month
as a ``returned`` row ``<order_id>-R`` with a negative amount: the data the
transaction model (``docs/architecture.md#the-transaction-model``) reads as
purchases and returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from .model import CANCEL_SHARE, RETURN_SHARE
from .people import Customers
from .process import Latent, Purchases
from .sampling import canonical, dates, norm, pick_idx, seq_ids, take
from .vocabulary import (
    ALL_CHANNELS,
    B2B_CHANNEL_IDX,
    B2B_CHANNEL_W,
    B2B_CHANNELS,
    B2C_CHANNEL_IDX,
    B2C_CHANNEL_W,
    B2C_CHANNELS,
    CATEGORIES,
    ERP_CHANNELS,
)

__all__ = ["OrderBook", "build_orders"]


@dataclass(frozen=True)
class OrderBook:
    """The orders table, the cancelled orders, and per order number what the service data needs.

    The arrays run over all numbered orders: the completed ones first (in the order
    of :class:`workbench.demo.process.Purchases`), then the cancelled ones.
    """

    table: pl.DataFrame      # completed and returned orders, canonical columns
    cancelled: pl.DataFrame  # cancelled orders, canonical columns
    cust: np.ndarray         # customer index of each numbered order
    day: np.ndarray          # day index of each numbered order
    last: np.ndarray         # the purchase after which the customer left
    completed: np.ndarray    # True for a completed (not cancelled) order
    id_width: int            # digits of the order numbers (the service ids follow it)


def build_orders(rng: np.random.Generator, latent: Latent, purchases: Purchases,
                 amount: np.ndarray, customers: Customers, start: date, n_days: int) -> OrderBook:
    """The orders of the purchases, with cancellations and returns."""
    is_b2b, chan, cid = latent.is_b2b, customers.chan, customers.cid
    o_cust, o_day = purchases.o_cust, purchases.o_day
    n, m = len(is_b2b), len(o_cust)
    cat_names = [c for c, *_ in CATEGORIES]
    unit = np.array([c[1] for c in CATEGORIES])
    mrate = np.array([c[2] for c in CATEGORIES])
    pref_cat = np.where(is_b2b, rng.choice(len(CATEGORIES), n, p=norm([c[4] for c in CATEGORIES])),
                        rng.choice(len(CATEGORIES), n, p=norm([c[3] for c in CATEGORIES])))
    any_cat_b2b = rng.choice(len(CATEGORIES), m, p=norm([c[4] for c in CATEGORIES]))
    any_cat_b2c = rng.choice(len(CATEGORIES), m, p=norm([c[3] for c in CATEGORIES]))
    cat = np.where(rng.random(m) < 0.6, pref_cat[o_cust],
                   np.where(is_b2b[o_cust], any_cat_b2b, any_cat_b2c))
    qty = np.maximum(1, np.round(amount / unit[cat] * rng.uniform(0.7, 1.3, m))).astype(np.int64)
    o_channel = np.where(rng.random(m) < 0.85, chan[o_cust],
                         np.where(is_b2b[o_cust],
                                  B2B_CHANNEL_IDX[pick_idx(rng, len(B2B_CHANNELS), B2B_CHANNEL_W, m)],
                                  B2C_CHANNEL_IDX[pick_idx(rng, len(B2C_CHANNELS), B2C_CHANNEL_W, m)]))
    erp = np.isin(o_channel, [ALL_CHANNELS.index(c) for c in ERP_CHANNELS])
    margin = np.where(erp, np.round(amount * mrate[cat] * rng.uniform(0.75, 1.25, m), 2), np.nan)

    # cancelled orders (only exported in dirty mode, but they take order numbers)
    nc = round(CANCEL_SHARE * m)
    csrc = rng.choice(m, size=nc, replace=False) if nc and m else np.zeros(0, np.int64)
    c_day = np.maximum(o_day[csrc] - rng.integers(0, 3, nc), 0)
    c_amount = np.round(amount[csrc] * rng.uniform(0.5, 1.5, nc), 2)
    status_all = np.concatenate([np.zeros(m, np.int8), np.ones(nc, np.int8)])
    all_cust = np.concatenate([o_cust, o_cust[csrc]])
    all_day = np.concatenate([o_day, c_day])
    all_amount = np.concatenate([amount, np.maximum(c_amount, 0.01)])
    all_qty = np.concatenate([qty, qty[csrc]])
    all_margin = np.concatenate([margin, np.where(np.isnan(margin[csrc]), np.nan,
                                                  np.round(c_amount * mrate[cat[csrc]], 2))])
    all_cat = np.concatenate([cat, cat[csrc]])
    all_channel = np.concatenate([o_channel, o_channel[csrc]])
    all_last = np.concatenate([purchases.o_last, np.zeros(nc, bool)])
    srt = np.lexsort((rng.random(len(all_day)), all_day))
    o_width = max(8, len(str(len(srt) + 1000)))
    ono = np.empty(len(srt), dtype=np.int64)      # order numbers follow the order date
    ono[srt] = np.arange(1, len(srt) + 1)

    # returns: a share of completed orders comes back within a month (negative amounts)
    completed = np.flatnonzero(status_all == 0)
    nr = round(RETURN_SHARE * len(completed))
    rsrc = rng.choice(completed, size=nr, replace=False) if nr else np.zeros(0, np.int64)
    r_day = all_day[rsrc] + rng.integers(1, 31, nr)
    keep_r = r_day < n_days
    rsrc, r_day = rsrc[keep_r], r_day[keep_r]
    full = rng.random(len(rsrc)) < 0.7
    frac = np.where(full, 1.0, rng.uniform(0.2, 0.8, len(rsrc)))
    r_amount = -np.maximum(np.round(all_amount[rsrc] * frac, 2), 0.01)
    r_qty = np.where(full, all_qty[rsrc], np.maximum(1, np.round(all_qty[rsrc] * frac))).astype(np.int64)
    r_margin = -np.round(all_margin[rsrc] * frac, 2)

    keep = status_all == 0
    table = pl.DataFrame({
        "order_id": pl.concat([seq_ids("SO", ono[keep], o_width),
                               seq_ids("SO", ono[rsrc], o_width) + "-R"]),
        "customer_id": cid.gather(np.concatenate([all_cust[keep], all_cust[rsrc]])),
        "order_date": dates(start, np.concatenate([all_day[keep], r_day])),
        "amount": pl.Series(np.concatenate([all_amount[keep], r_amount]), dtype=pl.Float64),
        "quantity": pl.Series(np.concatenate([all_qty[keep], r_qty]), dtype=pl.Int64),
        "gross_margin": pl.Series(np.concatenate([all_margin[keep], r_margin]), dtype=pl.Float64,
                                  nan_to_null=True),
        "product_category": take(cat_names, np.concatenate([all_cat[keep], all_cat[rsrc]])),
        "channel": take(ALL_CHANNELS, np.concatenate([all_channel[keep], all_channel[rsrc]])),
        "status": take(["completed", "returned"], np.repeat([0, 1], [int(keep.sum()), len(rsrc)])),
    }).sort(["order_date", "order_id"])
    cancelled = pl.DataFrame({
        "order_id": seq_ids("SO", ono[~keep], o_width),
        "customer_id": cid.gather(all_cust[~keep]),
        "order_date": dates(start, all_day[~keep]),
        "amount": pl.Series(all_amount[~keep], dtype=pl.Float64),
        "quantity": pl.Series(all_qty[~keep], dtype=pl.Int64),
        "gross_margin": pl.Series(all_margin[~keep], dtype=pl.Float64, nan_to_null=True),
        "product_category": take(cat_names, all_cat[~keep]),
        "channel": take(ALL_CHANNELS, all_channel[~keep]),
        "status": pl.Series(["cancelled"] * int((~keep).sum()), dtype=pl.String),
    }).sort(["order_date", "order_id"])
    return OrderBook(table=table, cancelled=canonical(cancelled, "orders"),
                     cust=all_cust, day=all_day, last=all_last, completed=keep, id_width=o_width)
