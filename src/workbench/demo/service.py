"""The service data: complaints, surveys and sales visits, driven by the latent dissatisfaction.

Dissatisfied customers complain more, wait longer for a resolution, leave more
complaints open, answer surveys with a low NPS and get fewer visits; the order
after which a customer leaves often carries a complaint.  So service data
predicts churn, as the service and churn analyses expect.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl
from scipy import special

from .model import N_REPS
from .orders import OrderBook
from .people import Customers
from .process import Latent, Purchases
from .sampling import dates, norm, normal_scores, pick_idx, seq_ids, take
from .vocabulary import (
    COMPLAINT_CAT_W,
    COMPLAINT_CATEGORIES,
    OUTCOME_W,
    OUTCOMES,
    SEVERITIES,
    SEVERITY_MEDIAN_HOURS,
    SEVERITY_W,
    VISIT_KIND_W,
    VISIT_KINDS,
)

__all__ = ["build_complaints", "build_service", "build_surveys", "build_visits"]


def build_complaints(rng: np.random.Generator, latent: Latent, customers: Customers, book: OrderBook,
                     start: date, end: date) -> tuple[pl.DataFrame, np.ndarray]:
    """Complaints tied to completed orders; returns the table and the complained-about orders."""
    dissat, is_b2b, cust, last = latent.dissat, latent.is_b2b, book.cust, book.last
    c_o = np.flatnonzero(book.completed)
    logit = -4.3 + 0.9 * dissat[cust[c_o]] + 0.3 * is_b2b[cust[c_o]] + 2.6 * last[c_o]
    hit = c_o[rng.random(len(c_o)) < special.expit(logit)]
    nq = len(hit)
    q_cust = cust[hit]
    opened_day = book.day[hit] + rng.integers(1, 12, nq)
    opened_sec = rng.integers(8 * 3600, 22 * 3600, nq)
    sev = rng.choice(4, nq, p=norm(SEVERITY_W))
    hours = SEVERITY_MEDIAN_HOURS[sev] * np.exp(0.8 * rng.standard_normal(nq) + 0.35 * dissat[q_cust])
    hours = hours * np.where(is_b2b[q_cust], 0.6, 1.0)
    never = rng.random(nq) < special.expit(-3.6 + 0.9 * dissat[q_cust] + 1.5 * last[hit])
    base_dt = np.datetime64(start.isoformat(), "s")
    opened = base_dt + (opened_day * 86400 + opened_sec).astype("timedelta64[s]")
    resolved = opened + np.round(hours * 3600).astype(np.int64).astype("timedelta64[s]")
    end_dt = np.datetime64((end + timedelta(days=1)).isoformat(), "s")
    in_time = opened < end_dt
    open_now = never | (resolved >= end_dt)
    q_sel = np.flatnonzero(in_time)
    q_sorted = q_sel[np.lexsort((customers.rank[q_cust[q_sel]], opened[q_sel]))]
    table = pl.DataFrame({
        "complaint_id": seq_ids("TS", np.arange(1, len(q_sorted) + 1), book.id_width - 1),
        "customer_id": customers.cid.gather(q_cust[q_sorted]),
        "opened_at": pl.Series(opened[q_sorted].astype("datetime64[us]")),
        "resolved_at": pl.Series(np.where(open_now[q_sorted], np.datetime64("NaT"),
                                          resolved[q_sorted]).astype("datetime64[us]")),
        "category": take(COMPLAINT_CATEGORIES,
                         pick_idx(rng, len(COMPLAINT_CATEGORIES), COMPLAINT_CAT_W, nq)[q_sorted]),
        "severity": take(SEVERITIES, sev[q_sorted]),
    }).with_columns(pl.col("opened_at").cast(pl.Datetime("us")), pl.col("resolved_at").cast(pl.Datetime("us")))
    return table, hit


def build_surveys(rng: np.random.Generator, latent: Latent, customers: Customers, book: OrderBook,
                  hit: np.ndarray, start: date, n_days: int) -> pl.DataFrame:
    """Surveys after some orders: NPS and CSAT fall with dissatisfaction and complaints."""
    complained = np.zeros(len(book.day), bool)
    complained[hit] = True
    c_o = np.flatnonzero(book.completed)
    sp = np.where(latent.is_b2b[book.cust[c_o]], 0.14, 0.06)
    s_o = c_o[rng.random(len(c_o)) < sp]
    s_day = book.day[s_o] + rng.integers(2, 15, len(s_o))
    s_ok = s_day < n_days
    s_o, s_day = s_o[s_ok], s_day[s_ok]
    s_c = book.cust[s_o]
    nps_raw = 8.4 - 1.5 * latent.dissat[s_c] - 4.0 * complained[s_o] + 1.4 * rng.standard_normal(len(s_o))
    nps = np.clip(np.round(nps_raw), 0, 10).astype(np.int64)
    csat = np.clip(np.round(1.2 + 0.38 * nps_raw + 0.5 * rng.standard_normal(len(s_o))), 1, 5).astype(np.int64)
    ss = np.lexsort((customers.rank[s_c], s_day))
    return pl.DataFrame({
        "survey_id": seq_ids("SV", np.arange(1, len(ss) + 1), book.id_width - 1),
        "customer_id": customers.cid.gather(s_c[ss]),
        "survey_date": dates(start, s_day[ss]),
        "nps": pl.Series(nps[ss], dtype=pl.Int64),
        "csat": pl.Series(csat[ss], dtype=pl.Int64),
    })


def build_visits(rng: np.random.Generator, latent: Latent, purchases: Purchases, customers: Customers,
                 book: OrderBook, start: date, n_days: int) -> pl.DataFrame:
    """Visits: more for key accounts and big spenders, fewer for neglected (dissatisfied) ones."""
    is_b2b, signup, owned, rep = latent.is_b2b, latent.signup, customers.owned, customers.rep
    n = len(is_b2b)
    mean_spend_z = normal_scores(-latent.nu)
    rate_year = np.where(is_b2b, 7.0, 0.5) * np.exp(0.45 * mean_spend_z - 0.45 * latent.dissat)
    rate_year = rate_year * np.where(owned, 1.0, 0.2)
    v_from = signup.astype(float)
    v_to = np.where(latent.buyer,
                    np.where(purchases.alive, n_days, np.minimum(purchases.death_day + 60, n_days)),
                    np.minimum(signup + 180, n_days)).astype(float)
    span = np.maximum(v_to - v_from, 0.0)
    nv = rng.poisson(rate_year * span / 365.25)
    v_c = np.repeat(np.arange(n), nv)
    v_day = np.floor(v_from[v_c] + rng.random(len(v_c)) * span[v_c]).astype(np.int64)
    kind_b2b = rng.choice(4, len(v_c), p=norm(VISIT_KIND_W["B2B"]))
    kind_b2c = rng.choice(4, len(v_c), p=norm(VISIT_KIND_W["B2C"]))
    kind = np.where(is_b2b[v_c], kind_b2b, kind_b2c)
    v_rep = np.where(owned[v_c], rep[v_c], pick_idx(rng, N_REPS, np.ones(N_REPS), len(v_c)))
    outcome = pick_idx(rng, len(OUTCOMES), OUTCOME_W, len(v_c))
    vs = np.lexsort((customers.rank[v_c], v_day))
    return pl.DataFrame({
        "visit_id": seq_ids("V", np.arange(1, len(vs) + 1), book.id_width),
        "customer_id": customers.cid.gather(v_c[vs]),
        "visit_date": dates(start, v_day[vs]),
        "sales_rep": take(customers.reps, v_rep[vs]),
        "kind": take(VISIT_KINDS, kind[vs]),
        "outcome": take(OUTCOMES, outcome[vs]),
    })


def build_service(rng: np.random.Generator, latent: Latent, purchases: Purchases, customers: Customers,
                  book: OrderBook, start: date, end: date, n_days: int) -> dict[str, pl.DataFrame]:
    """``{"complaints", "surveys", "visits"}``, drawn in this order from the one service stream."""
    complaints, hit = build_complaints(rng, latent, customers, book, start, end)
    surveys = build_surveys(rng, latent, customers, book, hit, start, n_days)
    visits = build_visits(rng, latent, purchases, customers, book, start, n_days)
    return {"complaints": complaints, "surveys": surveys, "visits": visits}
