"""The buying behaviour: each customer's latent parameters, purchase times and order values.

- Purchases follow the BG/NBD "buy till you die" process in **days** (rate
  ``lambda ~ Gamma(r, alpha)``, dropout after each repeat purchase with
  probability ``p ~ Beta(a, b)``), run in the seasonal operational time of
  :class:`workbench.demo.seasons.Clock`.
- Order values follow the Gamma-Gamma model (``p, q, v``).
- A few B2B key accounts are chosen among the customers whose drawn rate and
  spend are high, so the marginal distributions stay exactly BG/NBD and Gamma-Gamma.
- A latent dissatisfaction is coupled to the dropout probability (it drives the
  service data, :mod:`workbench.demo.service`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from .model import B2B_SHARE, BGNBD, GAMMA_GAMMA, PROSPECT_SHARE, SERVICE_COUPLING, SIGNUP_GROWTH
from .sampling import normal_scores
from .seasons import Clock

__all__ = ["Latent", "Purchases", "draw_latent", "draw_purchases", "draw_spend"]


@dataclass(frozen=True)
class Latent:
    """One value per customer, in generation order (not yet archive order)."""

    lam: np.ndarray          # purchase rate per (operational) day
    p_drop: np.ndarray       # dropout probability after each repeat purchase
    nu: np.ndarray           # Gamma-Gamma scale (mean order value p / nu)
    dissat: np.ndarray       # latent dissatisfaction, N(0, 1)
    is_b2b: np.ndarray
    ctype: np.ndarray        # "B2B" / "B2C"
    signup: np.ndarray       # signup day index
    t0: np.ndarray           # calendar time of the first purchase (days since start, float)
    buyer: np.ndarray        # not a prospect and first purchase within the history


@dataclass(frozen=True)
class Purchases:
    """The completed purchases (one row per order) and who left after which one."""

    o_cust: np.ndarray       # customer index of each order
    o_day: np.ndarray        # day index of each order
    o_last: np.ndarray       # the purchase after which the customer left
    death_day: np.ndarray    # per customer: day of leaving, -1 if never left
    alive: np.ndarray        # per customer: still active at the end date


def draw_latent(rng: np.random.Generator, n: int, intensity: dict[str, np.ndarray]) -> Latent:
    """The latent parameters and signup/first-purchase times of ``n`` customers."""
    n_days = len(intensity["B2C"])
    lam = rng.gamma(BGNBD["r"], 1.0 / BGNBD["alpha"], size=n)
    p_drop = rng.beta(BGNBD["a"], BGNBD["b"], size=n)
    nu = rng.gamma(GAMMA_GAMMA["q"], 1.0 / GAMMA_GAMMA["v"], size=n)
    z_p = stats.norm.ppf(np.clip(stats.beta.cdf(p_drop, BGNBD["a"], BGNBD["b"]), 1e-12, 1 - 1e-12))
    dissat = SERVICE_COUPLING * z_p + math.sqrt(1 - SERVICE_COUPLING ** 2) * rng.standard_normal(n)
    value_score = 0.9 * normal_scores(lam) + 0.9 * normal_scores(-nu) + 0.7 * rng.standard_normal(n)
    n_b2b = max(1, round(B2B_SHARE * n))
    is_b2b = np.zeros(n, dtype=bool)
    is_b2b[np.argsort(-value_score, kind="stable")[:n_b2b]] = True
    ctype = np.where(is_b2b, "B2B", "B2C")

    # signup days: growing acquisition, following the seasonal intensity of the customer type
    growth = np.exp(SIGNUP_GROWTH * np.arange(n_days) / n_days)
    cdf = {t: np.cumsum(growth * v) / np.sum(growth * v) for t, v in intensity.items()}
    u = rng.random(n)
    signup = np.where(is_b2b, np.searchsorted(cdf["B2B"], u, side="right"),
                      np.searchsorted(cdf["B2C"], u, side="right")).clip(0, n_days - 1)
    prospect = rng.random(n) < np.where(is_b2b, PROSPECT_SHARE["B2B"], PROSPECT_SHARE["B2C"])
    delay = np.where(rng.random(n) < 0.55, 0, rng.geometric(1 / 6, size=n))
    t0 = signup + delay + rng.random(n)
    buyer = (~prospect) & (t0 < n_days)
    return Latent(lam=lam, p_drop=p_drop, nu=nu, dissat=dissat, is_b2b=is_b2b, ctype=ctype,
                  signup=signup, t0=t0, buyer=buyer)


def draw_purchases(rng: np.random.Generator, latent: Latent, clocks: dict[str, Clock]) -> Purchases:
    """The BG/NBD purchases of the buyers, drawn in operational time and mapped to days."""
    n = len(latent.lam)
    bi = np.flatnonzero(latent.buyer)
    b_b2b = latent.is_b2b[bi]

    def to_op(t: np.ndarray, b2b: np.ndarray) -> np.ndarray:
        return np.where(b2b, clocks["B2B"].to_op(t), clocks["B2C"].to_op(t))

    def to_day(tau: np.ndarray, b2b: np.ndarray) -> np.ndarray:
        return np.where(b2b, clocks["B2B"].to_day(tau), clocks["B2C"].to_day(tau))

    tau0 = to_op(latent.t0[bi], b_b2b)
    t_op = np.maximum(clocks["B2C"].total - tau0, 0.0)     # both clocks total n_days
    n_events = rng.poisson(latent.lam[bi] * t_op)
    j_death = rng.geometric(np.clip(latent.p_drop[bi], 1e-9, 1.0))
    k = np.minimum(n_events, j_death)
    died = j_death <= n_events
    has = k > 0
    tk = np.zeros(len(bi))
    tk[has] = t_op[has] * rng.beta(k[has], n_events[has] - k[has] + 1)
    # the first k-1 repeat purchases: sorted uniforms below the k-th (order is irrelevant)
    owner = np.repeat(np.arange(len(bi)), np.maximum(k - 1, 0))
    earlier = rng.random(len(owner)) * tk[owner]
    rep_owner = np.concatenate([owner, np.flatnonzero(has)])
    rep_tau = np.concatenate([tau0[owner] + earlier, tau0[has] + tk[has]])
    first_day = np.floor(latent.t0[bi]).astype(np.int64)
    o_cust = np.concatenate([bi, bi[rep_owner]])
    o_day = np.concatenate([first_day, to_day(rep_tau, b_b2b[rep_owner])])
    o_last = np.concatenate([np.zeros(len(bi), bool), np.zeros(len(owner), bool),
                             died[has]])               # the purchase after which the customer left
    death_day = np.full(n, -1, dtype=np.int64)
    death_day[bi[died & has]] = to_day(tau0[died & has] + tk[died & has], b_b2b[died & has])
    alive = np.ones(n, dtype=bool)
    alive[bi[died & has]] = False
    return Purchases(o_cust=o_cust, o_day=o_day, o_last=o_last, death_day=death_day, alive=alive)


def draw_spend(rng: np.random.Generator, latent: Latent, purchases: Purchases) -> np.ndarray:
    """Gamma-Gamma order values (CNY, two decimals, at least 0.01) of the purchases."""
    amount = rng.gamma(GAMMA_GAMMA["p"], 1.0 / latent.nu[purchases.o_cust])
    return np.maximum(np.round(amount, 2), 0.01)
