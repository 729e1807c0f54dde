"""The true model behind the demo company: its facts, the generating parameters, what is returned.

Everything the generator draws comes from these numbers; ``truth.json`` records
them so an analysis can be checked against what really generated the data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any

import polars as pl

__all__ = [
    "B2B_SHARE",
    "BGNBD",
    "CANCEL_SHARE",
    "COMPANY_NAME",
    "CURRENCY",
    "DEFAULT_END_DATE",
    "FOUNDED",
    "GAMMA_GAMMA",
    "N_REPS",
    "PROSPECT_SHARE",
    "RETURN_SHARE",
    "SERVICE_COUPLING",
    "SIGNUP_GROWTH",
    "TIME_UNIT",
    "UNOWNED_SHARE",
    "DemoData",
]

DEFAULT_END_DATE = date(2026, 10, 31)
FOUNDED = date(2019, 1, 1)
COMPANY_NAME = "华东示例贸易有限公司"
CURRENCY = "CNY"
TIME_UNIT = "day"

# True model parameters (time unit: day; money: CNY).
BGNBD = {"r": 0.55, "alpha": 45.0, "a": 0.75, "b": 3.2}
GAMMA_GAMMA = {"p": 3.0, "q": 2.5, "v": 300.0}

B2B_SHARE = 0.07
PROSPECT_SHARE = {"B2C": 0.12, "B2B": 0.04}
UNOWNED_SHARE = {"B2C": 0.25, "B2B": 0.03}
SERVICE_COUPLING = 0.7       # correlation of dissatisfaction with the (normal score of the) dropout p
SIGNUP_GROWTH = math.log(3.0)  # signups per day triple from the first to the last day
RETURN_SHARE = 0.03
CANCEL_SHARE = 0.02
N_REPS = 30


@dataclass(frozen=True)
class DemoData:
    """What :func:`workbench.demo.generate_with_truth` returns.

    Attributes:
        tables: the five clean canonical tables (``customers``, ``orders``,
            ``visits``, ``complaints``, ``surveys``) as polars DataFrames.
        truth: the generating parameters and facts, as written to ``truth.json``
            (without the ``dirty`` section, which only :func:`workbench.demo.write_demo` adds).
        latent: one row per customer: ``customer_id, customer_type, buyer,
            lam, p, nu, dissatisfaction, first_purchase, alive, death_date``
            (``lam`` in purchases per day; ``nu`` the Gamma-Gamma scale: the
            mean order value is ``p_gg / nu``; ``alive`` at the end date).
        cancelled: the cancelled orders (canonical ``orders`` columns); only the
            dirty export writes them, but they take order numbers.
    """

    tables: dict[str, pl.DataFrame]
    truth: dict[str, Any]
    latent: pl.DataFrame
    cancelled: pl.DataFrame
