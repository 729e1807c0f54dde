"""Every room counts the same purchases and the same money: the transaction model, end to end.

The fixture is the real demo generator's data (clean, 1,200 customers) with the
hard cases put in by hand: key accounts whose every order the cleaning flagged
as an outlier (at amounts far above the cap), a customer whose only order was
cancelled, returns written with positive amounts, and zero-amount orders.
Segmentation, CLV, churn and service are then run as the notebooks run them.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest

from workbench import churn, clv, demo, segment, service, transactions
from workbench.transactions import TransactionSettings

AS_OF = date(2026, 6, 30)


@pytest.fixture(scope="module")
def tables() -> dict[str, pl.DataFrame]:
    t = dict(demo.generate(1200, seed=21))
    orders = t["orders"].with_columns(pl.lit(False).alias("is_outlier"))
    known = orders.filter((pl.col("order_date").cast(pl.Date) <= AS_OF)
                          & (pl.col("status") == "completed") & (pl.col("amount") > 0))
    buyers = (known.group_by("customer_id").agg(pl.col("order_date").cast(pl.Date).n_unique().alias("d"))
              .filter(pl.col("d") >= 2).sort("customer_id").get_column("customer_id"))
    key_accounts = buyers.head(3).to_list()
    # Key accounts: every order flagged, booked at amounts no cap keeps.
    orders = orders.with_columns(
        pl.when(pl.col("customer_id").is_in(key_accounts)).then(True)
        .otherwise(pl.col("is_outlier")).alias("is_outlier"),
        pl.when(pl.col("customer_id").is_in(key_accounts) & (pl.col("amount") > 0))
        .then(pl.col("amount") * 1000).otherwise(pl.col("amount")).alias("amount"))
    silent = (t["customers"].join(orders.select("customer_id"), on="customer_id", how="anti")
              .sort("customer_id").get_column("customer_id").head(2).to_list())
    template = orders.head(1)
    extra = pl.concat([
        # a customer whose only order was cancelled: still a prospect
        template.with_columns(pl.lit("X-CANCEL").alias("order_id"), pl.lit(silent[0]).alias("customer_id"),
                              pl.lit("cancelled").alias("status"), pl.lit(500.0).alias("amount")),
        # a free sample (amount 0) is no purchase either
        template.with_columns(pl.lit("X-FREE").alias("order_id"), pl.lit(silent[1]).alias("customer_id"),
                              pl.lit("completed").alias("status"), pl.lit(0.0).alias("amount")),
        # a return written with a positive amount, inside the last 12 months
        template.with_columns(pl.lit("X-RET").alias("order_id"), pl.lit(buyers[5]).alias("customer_id"),
                              pl.lit("returned").alias("status"), pl.lit(123.0).alias("amount"),
                              pl.lit(AS_OF - timedelta(days=10)).cast(template.schema["order_date"])
                              .alias("order_date")),
    ])
    t["orders"] = pl.concat([orders, extra])
    t["_key_accounts"] = pl.DataFrame({"customer_id": key_accounts})
    t["_silent"] = pl.DataFrame({"customer_id": silent})
    return t


def _canonical(t: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    return {k: v for k, v in t.items() if not k.startswith("_")}


@pytest.fixture(scope="module", params=["cap", "keep", "exclude"])
def policy(request) -> TransactionSettings:
    return TransactionSettings.from_mapping({"outlier_amounts": request.param})


@pytest.fixture(scope="module")
def segments(tables, policy) -> pl.DataFrame:
    t = _canonical(tables)
    return segment.build_segments(t["orders"], t["customers"], as_of=AS_OF, surveys=t["surveys"],
                                  transaction_settings=policy, cluster=False).table


def test_no_buyer_is_a_prospect(tables, segments, policy):
    log = transactions.transactions(tables["orders"], AS_OF, policy)
    buyers = set(transactions.purchases(log).collect().get_column("customer_id"))
    stage = dict(segments.select("customer_id", "lifecycle_stage").iter_rows())
    prospects_who_bought = sorted(c for c in buyers if stage.get(c) == "prospect")
    assert not prospects_who_bought
    for c in tables["_key_accounts"]["customer_id"]:
        assert stage[c] != "prospect"
        assert segments.filter(pl.col("customer_id") == c)["tier"].item() is not None
    # The cancelled-only and free-sample customers bought nothing.
    assert all(stage[c] == "prospect" for c in tables["_silent"]["customer_id"])


def test_purchase_days_are_clv_repeat_purchases_plus_one(tables, segments, policy):
    summary = clv.summary_from_orders(tables["orders"], AS_OF, clv.CLVSettings(), transactions=policy)
    both = segments.select("customer_id", "purchase_days").join(
        summary.select("customer_id", "frequency"), on="customer_id", how="full", coalesce=True)
    buyers = both.filter(pl.col("purchase_days").fill_null(0) > 0)
    assert buyers.height == summary.height > 800
    assert (buyers["purchase_days"] == buyers["frequency"] + 1).all()
    key = tables["_key_accounts"]["customer_id"].to_list()
    assert summary.filter(pl.col("customer_id").is_in(key)).height == len(key)


def test_net_revenue_12m_is_one_number_per_customer(tables, segments, policy):
    t = _canonical(tables)
    log = transactions.transactions(t["orders"], AS_OF, policy)
    expected = dict(transactions.net_revenue(log, AS_OF, 12).collect().iter_rows())
    seg = dict(segments.select("customer_id", "net_revenue_12m").iter_rows())
    svc = service.analyse(t, segments.select("customer_id", "tier"), AS_OF,
                          transaction_settings=policy)
    scorecard_input = dict(svc.net_revenue_12m.select("customer_id", "net_revenue_12m").iter_rows())
    assert expected and scorecard_input == expected
    assert all(seg[c] == v for c, v in expected.items())
    assert all(v == 0 for c, v in seg.items() if c not in expected)
    returner = tables["orders"].filter(pl.col("order_id") == "X-RET")["customer_id"].item()
    assert expected[returner] < seg_without_return(log, returner)


def seg_without_return(log: pl.LazyFrame, customer: str) -> float:
    """The customer's 12-month purchases alone (the return must have been netted off)."""
    start, end = AS_OF.replace(year=AS_OF.year - 1), AS_OF
    buys = transactions.purchases(log).filter(
        (pl.col("customer_id") == customer) & (pl.col("day") > start) & (pl.col("day") <= end))
    return float(buys.select(pl.col("value").sum()).collect().item() or 0.0)


def test_the_warning_list_carries_the_same_net_revenue(tables):
    policy = TransactionSettings()
    t = _canonical(tables)
    analysis = churn.analyse(t, AS_OF, churn.ChurnSettings(importance_repeats=1), seed=3,
                             transactions=policy)
    warning = churn.warning_list(analysis, t["customers"], flagged_only=False)
    log = transactions.transactions(t["orders"], AS_OF, policy)
    expected = dict(transactions.net_revenue(log, AS_OF, 12).collect().iter_rows())
    got = dict(warning.select("customer_id", "net_revenue_12m").iter_rows())
    assert len(got) > 300
    assert all(v == expected.get(c, 0.0) for c, v in got.items())
    scores = dict(analysis.scores.select("customer_id", "net_revenue_12m").iter_rows())
    assert all(v == expected.get(c, 0.0) for c, v in scores.items())
