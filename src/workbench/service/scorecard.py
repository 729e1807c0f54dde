"""The KPI scorecard (绩效评估): period KPIs against the previous period and last year.

Purchases and money follow the transaction model
(``docs/architecture.md#the-transaction-model``); periods are
:func:`workbench.periods.period_bounds` (first and last day, both included).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import polars as pl

from .. import i18n, periods, transactions
from ..frames import as_polars
from ..transactions import TransactionSettings
from .common import NO_TIER, customers_on_file, in_period, transaction_log
from .satisfaction import latest_responses, nps_score
from .text import ROOM

__all__ = ["KPIS", "Kpi", "kpi_label", "period_kpis", "scorecard", "scorecard_dict"]


@dataclass(frozen=True)
class Kpi:
    """One scorecard row: its unit, how its change is given, and which way is good."""

    key: str
    unit: str              # count | money | share | points | per100 | hours
    delta: str             # pct (relative change) | diff (absolute change)
    higher_is_better: bool | None


KPIS: tuple[Kpi, ...] = (
    Kpi("active_customers", "count", "pct", True),
    Kpi("new_customers", "count", "pct", True),
    Kpi("retention_rate", "share", "diff", True),
    Kpi("revenue", "money", "pct", True),
    Kpi("aov", "money", "pct", True),
    Kpi("repeat_rate", "share", "diff", True),
    Kpi("nps", "points", "diff", True),
    Kpi("complaint_rate", "per100", "diff", False),
    Kpi("median_resolution_hours", "hours", "pct", False),
    Kpi("outlier_orders", "count", "diff", None),
)
"""The scorecard's KPIs (plus ``revenue_share_<tier>`` rows, one per tier, neutral)."""

_YEAR_SHIFT = {"month": -12, "quarter": -4, "week": -52}


def kpi_label(key: str, lang: str = "en") -> str:
    """The label of a KPI key (``revenue_share_<tier>`` included) in ``lang``."""
    if key.startswith("revenue_share_"):
        tier = key.removeprefix("revenue_share_")
        if tier == NO_TIER:
            return i18n.t("kpi.revenue_share_none", lang, room=ROOM)
        return i18n.say("kpi.revenue_share", lang, room=ROOM, tier=tier)
    return i18n.t(f"kpi.{key}", lang, room=ROOM)


def period_kpis(orders: Any, customers: Any, complaints: Any, surveys: Any, tiers: Any,
                start: date, end: date, freq: str = "month", *,
                settings: TransactionSettings | None = None, first: pl.DataFrame | None = None
                ) -> dict[str, tuple[float | None, int]]:
    """The scorecard KPIs of one period ``start`` .. ``end`` (both days), each with its base count.

    ``orders`` are canonical orders (read with ``transactions(orders, end, settings)``)
    or a transaction log.  Definitions (``docs/service.md``):

    - ``active_customers``: customers with a purchase in the period (base: itself).
    - ``new_customers``: customers whose first purchase falls in the period.
    - ``retention_rate``: share of the previous period's active customers active again
      (base: previous period's active customers).
    - ``revenue``: net ``value`` of the period's transactions (purchases minus returns,
      after the outlier policy; base: transactions).
    - ``revenue_share_<tier>``: share of net revenue from each tier (tiers as of the
      as-of date; base: active customers).
    - ``aov``: mean ``value`` of the period's purchases (base: purchases).
    - ``repeat_rate``: share of active customers whose first purchase was before the period.
    - ``nps``: NPS of the latest response per customer in the period (base: answers).
    - ``complaint_rate``: complaints opened in the period per 100 customers on file at
      the period end (base: customers on file).
    - ``median_resolution_hours``: median hours to resolve of complaints resolved in the
      period (base: those complaints).
    - ``outlier_orders``: purchases flagged ``is_outlier`` by the cleaning in the period
      (base: purchases).  They are purchases like any other; their amount enters the
      money KPIs as ``transactions.outlier_amounts`` says.

    ``first`` (``customer_id, first_purchase`` of everyone who bought, from
    ``transactions.customer_activity``) may be given when several periods share one log.
    Of the log only the period's and the previous period's rows are held.

    Returns:
        ``{kpi: (value or None, base count)}``.
    """
    log = transaction_log(orders, end, settings)
    people = as_polars(customers, "customers", ["customer_id", "signup_date"])
    comp = as_polars(complaints, "complaints", ["complaint_id", "customer_id", "opened_at",
                                                "resolved_at"])
    surv = as_polars(surveys, "surveys", ["survey_id", "customer_id", "survey_date", "nps"])
    seg = as_polars(tiers, "segments", ["customer_id", "tier"])
    out: dict[str, tuple[float | None, int]] = {}
    pstart, pend = periods.period_bounds(end, freq, -1)
    day = pl.col("day")
    o = log.filter((day >= start) & (day <= end)).collect(engine="streaming")
    buys = o.filter(pl.col("kind") == "purchase")
    active = buys.select(pl.col("customer_id").unique())
    n_active = active.height
    out["active_customers"] = (float(n_active), n_active)
    if first is None:
        first = transactions.first_purchases(log)
    new = first.filter((pl.col("first_purchase") >= start) & (pl.col("first_purchase") <= end))
    out["new_customers"] = (float(new.height), new.height)
    prev_active = (log.filter((day >= pstart) & (day <= pend) & (pl.col("kind") == "purchase"))
                   .select(pl.col("customer_id").unique()).collect(engine="streaming"))
    n_prev = prev_active.height
    kept = prev_active.join(active, on="customer_id", how="semi").height
    out["retention_rate"] = ((kept / n_prev) if n_prev else None, n_prev)
    out["outlier_orders"] = (float(buys.get_column("is_outlier").sum()), buys.height)
    revenue = float(o.get_column("value").sum()) if o.height else 0.0
    out["revenue"] = (revenue, o.height)
    seg = seg.select("customer_id", pl.col("tier").cast(pl.String).fill_null(NO_TIER))
    tier_list = sorted(set(seg.get_column("tier").unique().to_list()) - {NO_TIER})
    by_tier = (o.join(seg, on="customer_id", how="left")
               .with_columns(pl.col("tier").fill_null(NO_TIER))
               .group_by("tier").agg(pl.col("value").sum()))
    shares = dict(by_tier.iter_rows())
    if NO_TIER in shares and NO_TIER not in tier_list:
        tier_list.append(NO_TIER)
    for t in tier_list:
        out[f"revenue_share_{t}"] = ((shares.get(t, 0.0) / revenue) if revenue else None, n_active)
    out["aov"] = (float(buys.get_column("value").to_numpy().mean()) if buys.height else None,
                  buys.height)
    n_before = active.join(first.filter(pl.col("first_purchase") < start), on="customer_id",
                           how="semi").height
    out["repeat_rate"] = ((n_before / n_active) if n_active else None, n_active)
    resp = latest_responses(in_period(surv, "survey_date", start, end), None)
    r = nps_score(resp.get_column("nps").to_list())
    out["nps"] = (r["nps"], r["n"])
    on_file = customers_on_file(people, end).height
    n_comp = in_period(comp, "opened_at", start, end).height
    out["complaint_rate"] = ((100 * n_comp / on_file) if on_file else None, on_file)
    res = in_period(comp.filter(pl.col("resolved_at").is_not_null()), "resolved_at", start, end)
    hrs = res.select(((pl.col("resolved_at") - pl.col("opened_at")).dt.total_microseconds()
                      / 3.6e9).alias("h")).get_column("h").to_numpy()
    out["median_resolution_hours"] = (float(np.median(hrs)) if res.height else None, res.height)
    return out


def _delta(kpi: Kpi | None, cur: float | None, base_cur: int, ref: float | None, base_ref: int,
           min_base: int) -> tuple[float | None, str | None]:
    """Change from ``ref`` to ``cur`` and a note when no change can be given."""
    if cur is None or ref is None:
        return None, "no_data"
    if base_cur < min_base or base_ref < min_base:
        return None, "too_few"
    kind = kpi.delta if kpi else "diff"
    if kind == "pct":
        if ref == 0:
            return None, "zero_base"
        return cur / ref - 1, None
    return cur - ref, None


def _direction(delta: float | None, higher_is_better: bool | None
               ) -> tuple[str | None, bool | None]:
    if delta is None:
        return None, None
    if delta == 0:
        return "flat", None
    direction = "up" if delta > 0 else "down"
    if higher_is_better is None:
        return direction, None
    return direction, (delta > 0) == higher_is_better


_SCHEMA = {"kpi": pl.String, "label_zh": pl.String, "label_en": pl.String, "unit": pl.String,
           "delta_kind": pl.String, "current": pl.Float64, "previous": pl.Float64,
           "prev_delta": pl.Float64, "last_year": pl.Float64, "yoy_delta": pl.Float64,
           "direction": pl.String, "good": pl.Boolean, "yoy_direction": pl.String,
           "yoy_good": pl.Boolean, "prev_note": pl.String, "yoy_note": pl.String,
           "n_current": pl.Int64, "n_previous": pl.Int64, "n_last_year": pl.Int64,
           "period": pl.String, "previous_period": pl.String, "last_year_period": pl.String}


def scorecard(orders: Any, customers: Any, complaints: Any, surveys: Any, tiers: Any,
              as_of: date, freq: str = "month", min_base: int = 20, *,
              settings: TransactionSettings | None = None) -> pl.DataFrame:
    """The KPI scorecard (绩效评估) of the period ending at ``as_of``.

    The current period is ``periods.period_bounds(as_of, freq)`` (cut at ``as_of``; use a
    period end as the as-of date for like-for-like comparisons); beside it the previous
    period (``shift=-1``) and the same period last year (``shift=-12`` months, ``-4``
    quarters or ``-52`` weeks).  KPI definitions: :func:`period_kpis`.

    Changes: counts, money and resolution hours change in percent (``0.1`` = +10 %);
    shares and NPS in absolute difference (share points as a fraction, NPS points).
    Small-number guard: no change is given when the count behind either value is below
    ``min_base`` (note ``too_few``, shown as "n/a (too few)").

    Args:
        orders: canonical orders or a transaction log, read once at ``as_of`` (so the
            outlier cap is the one known at ``as_of`` for all three periods).
        customers, complaints, surveys: canonical tables (restricted to ``as_of``).
        tiers: ``customer_id, tier`` (``segments.parquet``).
        as_of: the as-of date.
        freq: ``month``, ``quarter`` or ``week``.
        min_base: smallest count for which a change is computed.
        settings: the outlier policy (``ctx.transaction_settings``) for canonical orders.

    Returns:
        One row per KPI: ``kpi, label_zh, label_en, unit, delta_kind, current, previous,
        prev_delta, last_year, yoy_delta, direction, good`` (``direction`` up/down/flat and
        ``good`` true/false/null refer to the change from the previous period),
        ``yoy_direction, yoy_good, prev_note, yoy_note, n_current, n_previous, n_last_year,
        period, previous_period, last_year_period``.
    """
    log = transaction_log(orders, as_of, settings)
    cur_start, cur_end = periods.period_bounds(as_of, freq, 0)
    cur_end = min(cur_end, as_of)
    prev = periods.period_bounds(as_of, freq, -1)
    ly = periods.period_bounds(as_of, freq, _YEAR_SHIFT[freq])
    first = transactions.first_purchases(log)
    vals = [period_kpis(log, customers, complaints, surveys, tiers, s, e, freq, first=first)
            for s, e in ((cur_start, cur_end), prev, ly)]
    spec = {k.key: k for k in KPIS}
    keys = [k.key for k in KPIS]
    for extra in vals[0]:
        if extra not in keys:
            keys.insert(keys.index("aov"), extra)
    rows = []
    for key in keys:
        kpi = spec.get(key)
        (c, nc), (p, np_), (y, ny) = (v.get(key, (None, 0)) for v in vals)
        d_prev, note_prev = _delta(kpi, c, nc, p, np_, min_base)
        d_ly, note_ly = _delta(kpi, c, nc, y, ny, min_base)
        hib = kpi.higher_is_better if kpi else None
        direction, good = _direction(d_prev, hib)
        yd, yg = _direction(d_ly, hib)
        unit, dk = (kpi.unit, kpi.delta) if kpi else ("share", "diff")
        rows.append({"kpi": key, "label_zh": kpi_label(key, "zh"), "label_en": kpi_label(key, "en"),
                     "unit": unit, "delta_kind": dk,
                     "current": c, "previous": p, "prev_delta": d_prev, "last_year": y,
                     "yoy_delta": d_ly, "direction": direction, "good": good,
                     "yoy_direction": yd, "yoy_good": yg, "prev_note": note_prev,
                     "yoy_note": note_ly, "n_current": nc, "n_previous": np_, "n_last_year": ny,
                     "period": periods.period_of(as_of, freq),
                     "previous_period": periods.period_of(prev[1], freq),
                     "last_year_period": periods.period_of(ly[1], freq)})
    return pl.DataFrame(rows, schema=_SCHEMA)


def scorecard_dict(sc: Any) -> dict[str, dict[str, Any]]:
    """The scorecard for the manifest: ``{kpi: {"current", "previous", "last_year",
    "prev_delta", "yoy_delta", "good"}}``."""
    card = as_polars(sc, "scorecard", ["kpi", "current", "previous", "last_year"])
    return {r["kpi"]: {"current": r["current"], "previous": r["previous"],
                       "last_year": r["last_year"], "prev_delta": r.get("prev_delta"),
                       "yoy_delta": r.get("yoy_delta"), "good": r.get("good")}
            for r in card.iter_rows(named=True)}
