"""The transaction model and the calendar: the house's business rules, each pinned by a case."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import ClassVar

import pandas as pd
import polars as pl
import pytest

from workbench import periods, transactions
from workbench.errors import DataError, UsageError
from workbench.settings import Settings
from workbench.transactions import TransactionSettings


def _orders() -> pl.DataFrame:
    """Purchases, a return written positive, a cancellation, a free sample and outliers."""
    rows = [
        # order, customer, date, amount, status, is_outlier
        ("o1", "A", date(2024, 1, 5), 100.0, "completed", False),
        ("o2", "A", date(2024, 1, 5), 50.0, "completed", False),      # same day: one purchase day
        ("o3", "A", date(2024, 3, 1), 30.0, "returned", False),       # positive return -> -30
        ("o4", "A", date(2024, 4, 1), 80.0, "cancelled", False),      # not a transaction
        ("o5", "B", date(2024, 2, 1), 5000.0, "completed", True),     # outlier-only buyer
        ("o6", "B", date(2024, 5, 1), 7000.0, None, True),            # null status = completed
        ("o7", "C", date(2024, 2, 2), 0.0, "completed", False),       # free sample: neither
        ("o8", "C", date(2024, 6, 30), -20.0, "completed", False),    # negative = return
        ("o9", "D", date(2024, 7, 1), 200.0, "completed", False),     # after the as-of date
    ]
    return pl.DataFrame(rows, schema=["order_id", "customer_id", "order_date", "amount", "status",
                                      "is_outlier"], orient="row")


AS_OF = date(2024, 6, 30)


def test_rules_classify_each_order():
    log = transactions.transactions(_orders(), AS_OF).collect()
    kinds = dict(zip(log["order_id"], log["kind"], strict=True))
    assert kinds == {"o1": "purchase", "o2": "purchase", "o3": "return", "o5": "purchase",
                     "o6": "purchase", "o7": "other", "o8": "return"}
    amounts = dict(zip(log["order_id"], log["amount"], strict=True))
    assert amounts["o3"] == -30.0 and amounts["o8"] == -20.0
    assert log["day"].dtype == pl.Date


def test_outliers_stay_purchases_and_are_capped_by_default():
    log = transactions.transactions(_orders(), AS_OF).collect()
    # unflagged purchases: 100 and 50 -> the 0.99 quantile (linear) is 99.5
    values = dict(zip(log["order_id"], log["value"], strict=True))
    assert values["o5"] == pytest.approx(99.5) and values["o6"] == pytest.approx(99.5)
    assert values["o1"] == 100.0 and values["o3"] == -30.0
    act = transactions.customer_activity(log).collect()
    b = act.filter(pl.col("customer_id") == "B").row(0, named=True)
    assert b["n_orders"] == 2 and b["purchase_days"] == 2 and b["outlier_orders"] == 2
    assert b["gross"] == pytest.approx(199.0)


@pytest.mark.parametrize(("policy", "b_gross"), [("keep", 12000.0), ("exclude", 0.0)])
def test_outlier_policies(policy, b_gross):
    s = TransactionSettings.from_mapping({"outlier_amounts": policy})
    act = transactions.customer_activity(transactions.transactions(_orders(), AS_OF, s)).collect()
    b = act.filter(pl.col("customer_id") == "B").row(0, named=True)
    assert b["purchase_days"] == 2 and b["gross"] == b_gross


def test_activity_counts_purchase_days_and_nets_returns():
    act = transactions.customer_activity(transactions.transactions(_orders(), AS_OF)).collect()
    a = act.filter(pl.col("customer_id") == "A").row(0, named=True)
    assert (a["n_orders"], a["purchase_days"]) == (2, 1)
    assert (a["gross"], a["returns"], a["net"]) == (150.0, 30.0, 120.0)
    assert a["first_purchase"] == a["last_purchase"] == date(2024, 1, 5)
    c = act.filter(pl.col("customer_id") == "C").row(0, named=True)
    assert c["n_orders"] == 0 and c["purchase_days"] == 0 and c["last_purchase"] is None
    assert "D" not in act["customer_id"].to_list()  # after the as-of date


def test_first_purchases_are_the_activity_s_first_purchase_in_partitions_too(monkeypatch):
    from workbench import frames
    log = transactions.transactions(_orders(), AS_OF)
    first = transactions.first_purchases(log)
    assert first.rows() == [("A", date(2024, 1, 5)), ("B", date(2024, 2, 1))]  # C never bought
    act = (transactions.customer_activity(log).filter(pl.col("first_purchase").is_not_null())
           .select("customer_id", "first_purchase").collect())
    assert first.equals(act)
    monkeypatch.setattr(frames, "ROWS_PER_PART", 1)                # one partition per row
    assert transactions.first_purchases(log.collect()).equals(first)


def test_carried_columns_ride_along_and_a_missing_one_is_named():
    orders = _orders().with_columns(pl.Series("product_category", list("xxyyzzwwx")))
    log = transactions.transactions(orders, AS_OF, carry=["product_category"]).collect()
    assert log.columns[-2:] == ["product_category", "value"]
    assert dict(zip(log["order_id"], log["product_category"], strict=True))["o5"] == "z"
    with pytest.raises(DataError, match="product_category"):
        transactions.transactions(_orders(), AS_OF, carry=["product_category"])


def test_net_revenue_window_excludes_its_start_and_includes_its_end():
    log = transactions.transactions(_orders(), AS_OF)
    # 3 months at 2024-06-30: 2024-03-31 < day <= 2024-06-30
    net = dict(transactions.net_revenue(log, AS_OF, 3).collect().iter_rows())
    assert net == {"B": pytest.approx(99.5), "C": -20.0}
    net12 = transactions.net_revenue(log, AS_OF, 12).collect()
    assert net12.columns == ["customer_id", "net_revenue_12m"]
    assert dict(net12.iter_rows())["A"] == 120.0


def test_datetime_dates_and_pandas_input():
    df = _orders().with_columns(pl.col("order_date").cast(pl.Datetime("us")) + pl.duration(hours=23))
    log = transactions.transactions(df.to_pandas(), AS_OF).collect()
    assert "o8" in log["order_id"].to_list()  # 23:00 on the as-of day is known
    assert "o9" not in log["order_id"].to_list()
    assert log["day"].dtype == pl.Date


def test_missing_optional_columns_and_clear_errors():
    bare = _orders().select("customer_id", "order_date", "amount")
    log = transactions.transactions(bare, AS_OF).collect()
    assert set(log["kind"]) == {"purchase", "return", "other"}
    assert log["is_outlier"].sum() == 0 and "order_id" not in log.columns
    with pytest.raises(DataError, match=r"orders: column\(s\) \['amount'\] missing"):
        transactions.transactions(bare.drop("amount"), AS_OF)


def test_lazy_all_the_way():
    log = transactions.transactions(_orders().lazy(), AS_OF)
    assert isinstance(log, pl.LazyFrame)
    assert isinstance(transactions.customer_activity(log), pl.LazyFrame)
    assert isinstance(transactions.net_revenue(log, AS_OF), pl.LazyFrame)


def test_as_of_filter_per_table():
    v = pl.DataFrame({"visit_date": [date(2024, 6, 30), date(2024, 7, 1)]})
    assert transactions.as_of_filter(v, "visits", AS_OF).collect().height == 1
    c = pl.DataFrame({"opened_at": [datetime(2024, 6, 30, 23, 59), datetime(2024, 7, 1)]})
    assert transactions.as_of_filter(c, "complaints", AS_OF).collect().height == 1
    with pytest.raises(UsageError, match="no date column"):
        transactions.as_of_filter(v, "owners", AS_OF)


# --------------------------------------------------------------------------- settings


def test_settings_refuse_unknown_keys_and_wrong_types():
    with pytest.raises(UsageError, match=r"workbench.yaml transactions: unknown key\(s\) \['cap'\]"):
        TransactionSettings.from_mapping({"cap": 1})
    with pytest.raises(UsageError, match=r"transactions.outlier_amounts: 'drop' is not one of"):
        TransactionSettings.from_mapping({"outlier_amounts": "drop"})
    with pytest.raises(UsageError, match=r"outlier_cap_quantile: '0.9' is not a number"):
        TransactionSettings.from_mapping({"outlier_cap_quantile": "0.9"})
    with pytest.raises(UsageError, match=r"outlier_cap_quantile: 0.2 must be a quantile"):
        TransactionSettings.from_mapping({"outlier_cap_quantile": 0.2})
    with pytest.raises(UsageError, match="expected a mapping"):
        TransactionSettings.from_mapping(["cap"])  # type: ignore[arg-type]
    assert TransactionSettings.from_mapping({"outlier_cap_quantile": 1}).outlier_cap_quantile == 1.0


def test_settings_types_of_every_shape():
    @dataclass(frozen=True)
    class S(Settings):
        SECTION: ClassVar[str] = "demo"
        MOVED: ClassVar[Mapping[str, str]] = {"old": "transactions.outlier_amounts"}
        n: int = 1
        share: float | None = None
        shares: tuple[float, ...] = (0.5, 0.5)
        weights: Mapping[str, float] = field(default_factory=dict)
        on: bool = True

    s = S.from_mapping({"n": 3, "share": None, "shares": [1, 2], "weights": {"a": 1}, "on": False})
    assert (s.n, s.share, s.shares, dict(s.weights), s.on) == (3, None, (1.0, 2.0), {"a": 1.0}, False)
    for key, value, msg in [("n", "3", "demo.n: '3' is not a whole number"),
                            ("n", True, "demo.n: True is not a whole number"),
                            ("shares", "0.5", "demo.shares: '0.5' is not a list"),
                            ("weights", {"a": "x"}, "demo.weights.a: 'x' is not a number"),
                            ("on", "yes", "demo.on: 'yes' is not true or false"),
                            ("old", 1, "demo.old: this key moved to transactions.outlier_amounts")]:
        with pytest.raises(UsageError, match=msg):
            S.from_mapping({key: value})


# --------------------------------------------------------------------------- periods


@pytest.mark.parametrize(("d", "n", "expected"), [
    (date(2024, 3, 31), -1, date(2024, 2, 29)),
    (date(2024, 2, 29), 12, date(2025, 2, 28)),
    (date(2024, 2, 28), 1, date(2024, 3, 28)),
    (date(2023, 2, 28), 1, date(2023, 3, 31)),   # a month end stays a month end
    (date(2024, 1, 15), -13, date(2022, 12, 15)),
])
def test_add_months(d, n, expected):
    assert periods.add_months(d, n) == expected


def test_period_bounds_labels_and_index():
    assert periods.period_bounds(date(2026, 10, 31)) == (date(2026, 10, 1), date(2026, 10, 31))
    assert periods.period_bounds(date(2026, 1, 31), shift=-1) == (date(2025, 12, 1), date(2025, 12, 31))
    assert periods.period_bounds(date(2026, 9, 30), "quarter", -4) == (date(2025, 7, 1), date(2025, 9, 30))
    assert periods.period_bounds(date(2026, 12, 2), "week") == (date(2026, 11, 30), date(2026, 12, 6))
    assert periods.period_of(date(2026, 9, 30), "quarter") == "2026-Q3"
    assert periods.period_of(date(2026, 1, 1), "week") == "2026-W01"
    assert periods.next_period_end(date(2026, 12, 31), "quarter") == date(2027, 3, 31)
    assert periods.last_complete_month_end(date(2026, 11, 15)) == date(2026, 10, 31)
    assert periods.trailing_window(date(2026, 2, 28), 12) == (date(2025, 2, 28), date(2026, 2, 28))
    df = pl.DataFrame({"d": [date(2025, 12, 31), date(2026, 1, 1), date(2026, 4, 1)]})
    idx = df.select(m=periods.period_index("d"), q=periods.period_index("d", "quarter"))
    assert idx["m"].diff().to_list()[1:] == [1, 3] and idx["q"].diff().to_list()[1:] == [1, 1]
    with pytest.raises(UsageError, match="period frequency 'year'"):
        periods.period_of(date(2026, 1, 1), "year")
    assert periods.DAYS_PER_MONTH == pytest.approx(30.4375)
    assert isinstance(pd.Timestamp(date(2026, 1, 1)), pd.Timestamp)


def test_open_complaints_and_reproducible_sums():
    c = pl.DataFrame({
        "opened_at": [datetime(2024, 6, 1), datetime(2024, 6, 1), datetime(2024, 6, 1),
                      datetime(2024, 7, 1)],
        "resolved_at": [datetime(2024, 6, 2), datetime(2024, 7, 2), None, None],
    })
    open_ = c.select(transactions.is_open_at(AS_OF, c.schema["resolved_at"])).to_series()
    assert open_.to_list() == [False, True, True, False]
    d = c.with_columns(pl.col("resolved_at").dt.date())
    assert d.select(transactions.is_open_at(AS_OF, pl.Date)).to_series().to_list() == [
        False, True, True, False]
    # the same values in another row order give the same bits
    vals = [0.1 * k for k in range(1, 2000)]
    rows = pl.DataFrame({"customer_id": ["A"] * len(vals), "day": [AS_OF] * len(vals),
                         "kind": ["purchase"] * len(vals), "value": vals,
                         "is_outlier": [False] * len(vals)})
    one = transactions.net_revenue(rows, AS_OF).collect().item(0, 1)
    two = transactions.net_revenue(rows.reverse(), AS_OF).collect().item(0, 1)
    assert one == two


def test_the_rules_build_the_same_expression_in_narwhals():
    """The rule helpers take the expression namespace: narwhals gives polars' answers."""
    import narwhals as nw

    orders = _orders()
    frame = nw.from_native(orders.lazy())
    rules = {"cancelled": transactions.is_cancelled, "return": transactions.is_return,
             "purchase": transactions.is_purchase, "signed": transactions.signed_amount,
             "kind": transactions.transaction_kind}
    for name, rule in rules.items():
        ns_call = rule(ns=nw) if name == "cancelled" else rule("amount", "status", ns=nw)
        got = frame.select(ns_call.alias("x")).collect("polars").to_native().get_column("x")
        ref = orders.select(rule().alias("x")).get_column("x")
        assert got.to_list() == ref.to_list(), name
    assert orders.select(transactions.transaction_kind().alias("k"))["k"].to_list() == [
        "purchase", "purchase", "return", "other", "purchase", "purchase", "other", "return",
        "purchase"]  # o4 is cancelled: neither a purchase nor a return
    month = frame.select(periods.period_index("order_date", "month", ns=nw).alias("m"))
    assert month.collect("polars").to_native()["m"].to_list() == orders.select(
        periods.period_index("order_date", "month"))["order_date"].to_list()
    window = transactions.window_filter(date(2024, 2, 1), date(2024, 5, 1), ns=nw)
    kept = frame.rename({"order_date": "day"}).filter(window).collect("polars").to_native()
    assert kept["order_id"].to_list() == ["o3", "o4", "o6", "o7"]  # 2024-02-01 < day <= 2024-05-01


def test_money_is_summed_in_cents_and_divided_once():
    values = pl.DataFrame({"v": [0.1, 0.2, 19.99, -5.01]})
    cents = values.select(transactions.cents_sum(pl.col("v"))).item()
    assert cents == 1528
    assert values.select(transactions.money_sum(pl.col("v"))).item() == 15.28
    assert values.select(transactions.from_cents(pl.lit(cents))).item() == 15.28
