"""The customers: Chinese person and company names, places, contacts, channels, sales reps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from .model import N_REPS, UNOWNED_SHARE
from .process import Latent
from .sampling import dates, pick, pick_idx, seq_ids, take
from .vocabulary import (
    ALL_CHANNELS,
    B2B_CHANNEL_IDX,
    B2B_CHANNEL_W,
    B2B_CHANNELS,
    B2C_CHANNEL_IDX,
    B2C_CHANNEL_W,
    B2C_CHANNELS,
    BRAND_CHARS,
    BRAND_PINYIN,
    CITY_SHORT,
    EMAIL_DOMAINS,
    EMAIL_W,
    GIVEN,
    INDUSTRIES,
    MOBILE_PREFIXES,
    PLACES,
    SURNAME_WEIGHTS,
    SURNAMES,
)

__all__ = ["Customers", "build_customers", "company_names", "person_names"]


@dataclass(frozen=True)
class Customers:
    """The customers table and what the other tables need of it (generation order)."""

    table: pl.DataFrame      # canonical columns, generation order (sort by customer_id for the archive)
    cid: pl.Series           # customer id of each customer
    rank: np.ndarray         # archive position (0-based) of each customer
    chan: np.ndarray         # index into ALL_CHANNELS of each customer's channel
    owned: np.ndarray        # has a sales rep
    rep: np.ndarray          # index into reps, -1 if unowned
    reps: list[str]          # the sales reps' names


def person_names(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Chinese names and their pinyin parts (surname, given) for e-mail addresses."""
    si = rng.choice(len(SURNAMES), size=n, p=SURNAME_WEIGHTS / SURNAME_WEIGHTS.sum())
    g1 = rng.integers(0, len(GIVEN), size=n)
    g2 = rng.integers(0, len(GIVEN), size=n)
    two = rng.random(n) < 0.65
    sur = np.array([s for s, _ in SURNAMES], dtype=object)
    sur_py = np.array([p for _, p in SURNAMES], dtype=object)
    giv = np.array([g for g, _ in GIVEN], dtype=object)
    giv_py = np.array([p for _, p in GIVEN], dtype=object)
    given = np.where(two, giv[g1] + giv[g2], giv[g1])
    given_py = np.where(two, giv_py[g1] + giv_py[g2], giv_py[g1])
    return sur[si] + given, sur_py[si], given_py


def company_names(rng: np.random.Generator, cities: np.ndarray, industries: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Unique company names like 上海华信网络科技有限公司 and a pinyin brand for their e-mail domain."""
    n = len(cities)
    words = {ind: w for ind, _, w in INDUSTRIES}
    out = np.empty(n, dtype=object)
    brand_py = np.empty(n, dtype=object)
    used: set[str] = set()
    todo = np.arange(n)
    while len(todo):
        b1 = rng.integers(0, len(BRAND_CHARS), size=len(todo))
        b2 = rng.integers(0, len(BRAND_CHARS), size=len(todo))
        wi = rng.integers(0, 4, size=len(todo))
        left = []
        for k, i in enumerate(todo):
            ws = words[industries[i]]
            brand = BRAND_CHARS[b1[k]] + BRAND_CHARS[b2[k]]
            name = f"{CITY_SHORT[cities[i]]}{brand}{ws[wi[k] % len(ws)]}有限公司"
            if name in used or b1[k] == b2[k]:
                left.append(i)
                continue
            used.add(name)
            out[i] = name
            brand_py[i] = BRAND_PINYIN[BRAND_CHARS[b1[k]]] + BRAND_PINYIN[BRAND_CHARS[b2[k]]]
        todo = np.array(left, dtype=np.int64)
    return out, brand_py


def build_customers(rng: np.random.Generator, latent: Latent, start: date) -> Customers:
    """The customers table: ids in signup order, names, contacts, places, channel and sales rep."""
    is_b2b, signup = latent.is_b2b, latent.signup
    n = len(is_b2b)
    # customers sorted by signup day -> customer ids in archive order
    order = np.lexsort((rng.random(n), signup))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    width = max(6, len(str(n)))
    cid = seq_ids("C", rank + 1, width)          # customer ids in generation order

    names, sur_py, given_py = person_names(rng, n)
    pw = np.array([w for _, _, w in PLACES])
    place = rng.choice(len(PLACES), size=n, p=pw / pw.sum())
    province = np.array([p for p, _, _ in PLACES], dtype=object)[place]
    city = np.array([c for _, c, _ in PLACES], dtype=object)[place]
    ind_names = [i for i, _, _ in INDUSTRIES]
    ind_w = np.array([w for _, w, _ in INDUSTRIES])
    industry: np.ndarray = np.where(is_b2b, pick(rng, ind_names, ind_w, n), np.array(None, dtype=object))
    company = np.full(n, None, dtype=object)
    dom = np.full(n, None, dtype=object)
    b2b_idx = np.flatnonzero(is_b2b)
    company[b2b_idx], brand = company_names(rng, city[b2b_idx], industry[b2b_idx])
    dom[b2b_idx] = brand + ".com.cn"
    chan = np.where(is_b2b, B2B_CHANNEL_IDX[pick_idx(rng, len(B2B_CHANNELS), B2B_CHANNEL_W, n)],
                    B2C_CHANNEL_IDX[pick_idx(rng, len(B2C_CHANNELS), B2C_CHANNEL_W, n)])
    prefix = np.array(MOBILE_PREFIXES, dtype=object)[rng.integers(0, len(MOBILE_PREFIXES), n)]
    suffix = rng.choice(10 ** 8, size=n, replace=False)
    phone = prefix + np.char.zfill(suffix.astype(str), 8).astype(object)
    num = rng.choice(np.arange(10, 10 + 20 * n), size=n, replace=False).astype(str).astype(object)
    free_dom = pick(rng, EMAIL_DOMAINS, EMAIL_W, n)
    style = rng.integers(0, 3, n)
    local = np.where(style == 0, given_py + "." + sur_py + num,
                     np.where(style == 1, sur_py + given_py + num, sur_py + "_" + num))
    email = local + "@" + np.where(is_b2b, dom, free_dom)
    email = np.where(rng.random(n) < np.where(is_b2b, 0.02, 0.18), np.array(None, dtype=object), email)
    # the reps' names come from a stream of their own, seeded from this one
    rep_names, _, _ = person_names(np.random.default_rng(rng.integers(2 ** 63)), 4 * N_REPS)
    reps = list(dict.fromkeys(rep_names.tolist()))[:N_REPS]
    rep_w = rng.gamma(2.0, 1.0, N_REPS)
    owned = rng.random(n) >= np.where(is_b2b, UNOWNED_SHARE["B2B"], UNOWNED_SHARE["B2C"])
    rep = np.where(owned, pick_idx(rng, N_REPS, rep_w, n), -1)
    table = pl.DataFrame({
        "customer_id": cid,
        "name": pl.Series(names.tolist(), dtype=pl.String),
        "company": pl.Series(company.tolist(), dtype=pl.String),
        "customer_type": pl.Series(latent.ctype.tolist(), dtype=pl.String),
        "phone": pl.Series(phone.tolist(), dtype=pl.String),
        "email": pl.Series(email.tolist(), dtype=pl.String),
        "province": pl.Series(province.tolist(), dtype=pl.String),
        "city": pl.Series(city.tolist(), dtype=pl.String),
        "industry": pl.Series(industry.tolist(), dtype=pl.String),
        "channel": take(ALL_CHANNELS, chan),
        "sales_rep": take(reps, rep),
        "signup_date": dates(start, signup),
    })
    return Customers(table=table, cid=cid, rank=rank, chan=chan, owned=owned, rep=rep, reps=reps)
