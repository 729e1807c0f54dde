"""Deterministic demo data for a made-up Chinese trading company, with the truth behind it.

The generator draws every customer's behaviour from known models so that each
later analysis has something real to find (see ``docs/demo-data.md``):

- purchases follow the BG/NBD "buy till you die" process in **days**
  (rate ``lambda ~ Gamma(r, alpha)``, dropout after each repeat purchase with
  probability ``p ~ Beta(a, b)``), run in a seasonal operational time
  (Spring Festival dip, 618 and Double 11 peaks);
- order values follow the Gamma-Gamma model (``p, q, v``);
- a few B2B key accounts buy more often and spend more (chosen among the
  customers whose drawn rate and spend are high, so the marginal
  distributions stay exactly BG/NBD and Gamma-Gamma);
- a latent dissatisfaction, coupled to the dropout probability, drives
  complaints, open complaints, low NPS and fewer visits, so service data
  predicts churn.

Public functions:

- :func:`generate` -> the five clean canonical tables (polars);
- :func:`generate_with_truth` -> :class:`DemoData`: the tables, ``truth`` (what
  ``truth.json`` holds) and ``latent`` (one row per customer with the drawn
  parameters: rate, dropout probability, spend scale, dissatisfaction, alive);
- :func:`write_demo` -> the CSV files and ``truth.json`` (clean or dirty);
- :func:`config_for` -> the ``workbench.yaml`` content that reads a demo folder.

Everything is a function of ``(customers, seed, end_date, years)``: the same
arguments always give the same tables and the same bytes on disk.

The package holds one concept per module:

- :mod:`.model`: the company's facts and the true parameters, :class:`DemoData`;
- :mod:`.seasons`: the history's period, seasonal intensity (Spring Festival,
  618, Double 11), the operational-time clock;
- :mod:`.vocabulary`: names, places, industries, channels, products, service terms;
- :mod:`.process`: latent parameters, BG/NBD purchase times, Gamma-Gamma spend;
- :mod:`.people`: the customers table (names, companies, contacts, sales reps);
- :mod:`.orders`: the orders table (products, margins, cancellations, returns);
- :mod:`.service`: complaints, surveys and visits;
- :mod:`.build`: :func:`generate`, :func:`generate_with_truth`;
- :mod:`.export`: the text of each column, CSV bytes, the dirty export's formats;
- :mod:`.dirty`: the injected defects and their truth;
- :mod:`.write`: :func:`write_demo`, ``truth.json``, :func:`config_for`.
"""

from __future__ import annotations

from .build import generate, generate_with_truth
from .export import DATETIME_FORMAT, DIRTY_DATE_FORMATS, DIRTY_ENCODINGS, VISITS_HEADERS_ZH
from .model import (
    B2B_SHARE,
    BGNBD,
    CANCEL_SHARE,
    COMPANY_NAME,
    CURRENCY,
    DEFAULT_END_DATE,
    FOUNDED,
    GAMMA_GAMMA,
    N_REPS,
    PROSPECT_SHARE,
    RETURN_SHARE,
    SERVICE_COUPLING,
    SIGNUP_GROWTH,
    TIME_UNIT,
    UNOWNED_SHARE,
    DemoData,
)
from .seasons import LUNAR_NEW_YEAR, SEASON, SEASON_BY_TYPE, seasonal_intensity
from .write import FILES, company_block, config_for, sources_block, write_demo

__all__ = [
    "B2B_SHARE",
    "BGNBD",
    "CANCEL_SHARE",
    "COMPANY_NAME",
    "CURRENCY",
    "DATETIME_FORMAT",
    "DEFAULT_END_DATE",
    "DIRTY_DATE_FORMATS",
    "DIRTY_ENCODINGS",
    "FILES",
    "FOUNDED",
    "GAMMA_GAMMA",
    "LUNAR_NEW_YEAR",
    "N_REPS",
    "PROSPECT_SHARE",
    "RETURN_SHARE",
    "SEASON",
    "SEASON_BY_TYPE",
    "SERVICE_COUPLING",
    "SIGNUP_GROWTH",
    "TIME_UNIT",
    "UNOWNED_SHARE",
    "VISITS_HEADERS_ZH",
    "DemoData",
    "company_block",
    "config_for",
    "generate",
    "generate_with_truth",
    "seasonal_intensity",
    "sources_block",
    "write_demo",
]
