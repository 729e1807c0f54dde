"""The order forecast fitted on a seeded sample of customers forecasts every customer."""

from __future__ import annotations

import polars as pl
import pytest

from workbench import manage, periods
from workbench.errors import ConfigError


@pytest.fixture(scope="module")
def demo(small_processed):
    from workbench import context

    ctx = context.resolve(small_processed)
    cutoff = periods.period_bounds(ctx.as_of, "month", -1)[1]
    return ctx.transactions().lazy().filter(pl.col("day") <= cutoff).collect(), cutoff


def test_a_sample_as_large_as_the_customers_changes_nothing(demo):
    log, cutoff = demo
    n = log.get_column("customer_id").n_unique()
    full, new_full, d_full = manage.forecast_customers(log, cutoff, sample=None)
    same, new_same, d_same = manage.forecast_customers(log, cutoff, sample=n)
    assert full.equals(same) and new_full == new_same and d_full["params"] == d_same["params"]


def test_the_sampled_fit_forecasts_every_customer_close_to_the_full_fit(demo):
    log, cutoff = demo
    full, _, d_full = manage.forecast_customers(log, cutoff, sample=None)
    part, _, d_part = manage.forecast_customers(log, cutoff, sample=400, seed=1)
    again, _, _ = manage.forecast_customers(log, cutoff, sample=400, seed=1)
    assert part.equals(again)  # seeded
    assert part.height == full.height
    assert full.height == log.filter(pl.col("kind") == "purchase").get_column("customer_id").n_unique()
    assert d_part["params"] != d_full["params"]
    ratio = part.get_column("forecast").sum() / full.get_column("forecast").sum()
    assert ratio == pytest.approx(1.0, abs=0.2) and ratio != 1.0


def test_forecast_sample_setting():
    assert manage.ManagementSettings().forecast_sample == 100_000
    assert manage.ManagementSettings.from_mapping({"forecast_sample": None}).forecast_sample is None
    with pytest.raises(ConfigError, match="forecast_sample"):
        manage.ManagementSettings.from_mapping({"forecast_sample": 10})


def test_a_cut_off_log_cut_from_the_later_log_is_the_log_at_the_cut_off(small_processed):
    from workbench import context
    from workbench import transactions as tx

    ctx = context.resolve(small_processed)
    orders = ctx.load("orders")
    later = tx.transactions(orders, ctx.as_of, ctx.transaction_settings).collect()
    cutoff = periods.period_bounds(ctx.as_of, "month", -3)[1]
    at = tx.transactions(orders, cutoff, ctx.transaction_settings).collect()
    cut = tx.log_at(later, cutoff, ctx.transaction_settings).collect()
    assert cut.equals(at) and cut.height < later.height
    # the outlier cap is the cut-off's own: flagged purchases are capped differently
    flagged = at.filter(pl.col("is_outlier") & (pl.col("kind") == "purchase"))
    assert flagged.height > 0
    first = tx.first_purchases(later).filter(pl.col("first_purchase") <= cutoff)
    assert first.equals(tx.first_purchases(at))


def test_the_last_three_month_ends():
    assert manage.last_month_ends(periods.parse_date("2026-03-31", "d")) == [
        periods.parse_date(d, "d") for d in ("2026-03-31", "2026-02-28", "2026-01-31")]
