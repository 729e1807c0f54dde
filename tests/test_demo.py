"""The demo-data generator: determinism, canonical tables, the stated realism, and the dirty export."""

from __future__ import annotations

import json
import re
import warnings
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import polars as pl
import pytest
import yaml

from workbench import config, demo, schema
from workbench.demo import vocabulary
from workbench.errors import UsageError

ROOT = Path(__file__).resolve().parents[1]

with warnings.catch_warnings():   # lifetimes sets a pandas option that pandas 3 deprecates
    warnings.simplefilter("ignore")
    from lifetimes import BetaGeoFitter, GammaGammaFitter
    from lifetimes.utils import summary_data_from_transaction_data
N_FIT = 4000      # customers for the statistical properties (about 13,000 orders)
SEED_FIT = 3


@pytest.fixture(scope="module")
def big() -> demo.DemoData:
    return demo.generate_with_truth(N_FIT, SEED_FIT)


@pytest.fixture(scope="module")
def completed(big) -> pl.DataFrame:
    return big.tables["orders"].filter(pl.col("status") == "completed")


@pytest.fixture(scope="module")
def truth_small(small_demo) -> dict:
    return json.loads((small_demo / "truth.json").read_text(encoding="utf-8"))


def _lines(path: Path, encoding: str = "utf-8") -> list[str]:
    """The file's lines; index 0 is line 1 (the header)."""
    return path.read_bytes().decode(encoding).split("\n")[:-1]


# ---------------------------------------------------------------- API and determinism

def test_generate_returns_the_five_valid_canonical_tables(big):
    tables = big.tables
    assert list(tables) == list(schema.TABLES)
    for name, df in tables.items():
        assert df.columns == schema.get(name).names, name
        assert dict(df.schema) == schema.get(name).polars_schema, name
        assert schema.validate(df, name) == [], name
        assert df.height > 0, name
    assert tables["customers"].height == N_FIT
    assert demo.generate(60, 5)["customers"].height == 60


def test_truth_records_every_true_parameter(big):
    t = big.truth
    assert t["seed"] == SEED_FIT and t["customers"] == N_FIT
    assert t["start_date"] == "2023-11-01" and t["end_date"] == "2026-10-31"
    assert t["founded"] == "2019-01-01"
    assert t["time_unit"] == "day"
    assert set(t["bgnbd"]) == {"r", "alpha", "a", "b"}
    assert set(t["gamma_gamma"]) == {"p", "q", "v"}
    assert t["seasonality"]["lunar_new_year"]["2026"] == "2026-02-17"
    assert t["rows"] == {k: v.height for k, v in big.tables.items()}
    lat = big.latent
    assert lat.height == N_FIT and lat["customer_id"].to_list() == big.tables["customers"]["customer_id"].to_list()
    # the latent first purchase is the first order in the table
    first = big.tables["orders"].group_by("customer_id").agg(pl.col("order_date").min().alias("f"))
    joined = lat.join(first, on="customer_id", how="left")
    assert joined.filter(pl.col("buyer"))["f"].to_list() == joined.filter(pl.col("buyer"))["first_purchase"].to_list()
    assert joined.filter(~pl.col("buyer"))["f"].null_count() == joined.filter(~pl.col("buyer")).height


def test_same_seed_same_bytes_different_seed_differs(tmp_path):
    for dirty in (False, True):
        a = demo.write_demo(tmp_path / f"a{dirty}", customers=300, seed=4, dirty=dirty)
        b = demo.write_demo(tmp_path / f"b{dirty}", customers=300, seed=4, dirty=dirty)
        c = demo.write_demo(tmp_path / f"c{dirty}", customers=300, seed=5, dirty=dirty)
        assert a["rows"] == b["rows"]
        for name in demo.FILES:
            assert (tmp_path / f"a{dirty}" / name).read_bytes() == (tmp_path / f"b{dirty}" / name).read_bytes()
        assert (tmp_path / f"a{dirty}" / "orders.csv").read_bytes() != (tmp_path / f"c{dirty}" / "orders.csv").read_bytes()
        assert c["seed"] == 5
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        f"{x}{d}" for x in "abc" for d in (False, True))     # no temporary folders left behind


def test_write_demo_clean_files_are_the_generated_tables(tmp_path):
    info = demo.write_demo(tmp_path / "raw", customers=200, seed=9)
    tables = demo.generate(200, 9)
    assert info["path"] == str((tmp_path / "raw").resolve())
    assert sorted(p.name for p in (tmp_path / "raw").iterdir()) == sorted(demo.FILES)
    for name, df in tables.items():
        text = (tmp_path / "raw" / f"{name}.csv").read_text(encoding="utf-8")
        assert text.splitlines()[0] == ",".join(schema.get(name).names)
        back = pl.read_csv(tmp_path / "raw" / f"{name}.csv", schema=schema.get(name).polars_schema,
                           try_parse_dates=False)
        assert back.equals(df), name
        assert info["rows"][name] == df.height
    truth = json.loads((tmp_path / "raw" / "truth.json").read_text(encoding="utf-8"))
    assert truth["dirty"] is None and truth["customers"] == 200


def test_write_demo_replaces_a_demo_folder_but_not_foreign_files(tmp_path):
    out = tmp_path / "raw"
    demo.write_demo(out, customers=100, seed=1)
    first = (out / "orders.csv").read_bytes()
    demo.write_demo(out, customers=100, seed=2)
    assert (out / "orders.csv").read_bytes() != first
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(UsageError, match="notes.txt"):
        demo.write_demo(out, customers=100, seed=3)
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["raw"]


@pytest.mark.parametrize("kwargs, message", [
    ({"customers": 10, "seed": 1}, "customers"),
    ({"customers": 100, "seed": -1}, "seed"),
    ({"customers": 100, "seed": 1, "years": 9.0}, "founded"),
    ({"customers": 100, "seed": 1, "end_date": "2026-13-01"}, "not a date"),
    ({"customers": 100, "seed": 1, "end_date": "2036-06-30"}, "calendar"),
])
def test_bad_arguments_raise_clear_usage_errors(kwargs, message):
    with pytest.raises(UsageError, match=message):
        demo.generate(**kwargs)


def test_other_periods_follow_end_date_and_years():
    t = demo.generate_with_truth(100, 2, end_date="2025-06-30", years=1.5).truth
    assert (t["start_date"], t["end_date"]) == ("2024-01-01", "2025-06-30")
    assert demo.generate_with_truth(100, 2, end_date="2026-03-30", years=0.25).truth["start_date"] == "2025-12-31"
    tables = demo.generate(100, 2, end_date=date(2025, 6, 30), years=1.5)
    assert tables["orders"]["order_date"].max() <= date(2025, 6, 30)
    assert tables["customers"]["signup_date"].min() >= date(2024, 1, 1)


# ---------------------------------------------------------------- realism

def test_bgnbd_parameters_are_recovered(big, completed):
    tx = completed.select("customer_id", "order_date").to_pandas()
    tx["order_date"] = pd.to_datetime(tx["order_date"])
    summary = summary_data_from_transaction_data(
        tx, "customer_id", "order_date", observation_period_end=pd.Timestamp(big.truth["end_date"]), freq="D")
    grouped = summary.groupby(["frequency", "recency", "T"]).size().rename("w").reset_index()
    fit = BetaGeoFitter().fit(grouped["frequency"], grouped["recency"], grouped["T"], weights=grouped["w"])
    true = big.truth["bgnbd"]
    # tolerance (sampling spread over seeds 1-8 at 4,000 customers): r and alpha within 20 %,
    # a and b within 30 % (the least identified), the mean rate r/alpha and mean dropout
    # a/(a+b) within 10 %
    for k, tol in (("r", 0.20), ("alpha", 0.20), ("a", 0.30), ("b", 0.30)):
        assert fit.params_[k] == pytest.approx(true[k], rel=tol), k
    assert fit.params_["r"] / fit.params_["alpha"] == pytest.approx(true["r"] / true["alpha"], rel=0.10)
    assert fit.params_["a"] / (fit.params_["a"] + fit.params_["b"]) == pytest.approx(
        true["a"] / (true["a"] + true["b"]), rel=0.10)


def test_gamma_gamma_parameters_are_recovered(big, completed):
    per = (completed.group_by("customer_id")
           .agg(pl.len().alias("n"), pl.col("amount").sum().alias("total"),
                pl.col("amount").first().alias("first_amount"), pl.col("order_date").min().alias("d0"))
           .filter(pl.col("n") >= 2))
    # lifetimes' monetary value: mean of the repeat purchases (first order excluded)
    frame = per.with_columns(((pl.col("total") - pl.col("first_amount")) / (pl.col("n") - 1)).alias("m"))
    # the first order is not necessarily 'first' in the group; recompute exactly
    first = completed.sort(["order_date", "order_id"]).group_by("customer_id", maintain_order=True).first()
    frame = frame.drop("first_amount", "m").join(first.select("customer_id", pl.col("amount").alias("a0")),
                                                 on="customer_id")
    frame = frame.with_columns(((pl.col("total") - pl.col("a0")) / (pl.col("n") - 1)).alias("m"))
    fit = GammaGammaFitter().fit(frame["n"].to_numpy() - 1, frame["m"].to_numpy())
    true = big.truth["gamma_gamma"]
    for k in ("p", "q", "v"):
        assert fit.params_[k] == pytest.approx(true[k], rel=0.35), k

    def mean(d):
        return d["p"] * d["v"] / (d["q"] - 1)

    assert mean(fit.params_) == pytest.approx(mean(true), rel=0.10)


def test_revenue_is_pareto_like(big):
    rev = big.tables["orders"].group_by("customer_id").agg(pl.col("amount").sum()).sort("amount", descending=True)
    total = rev["amount"].sum()
    top20 = rev["amount"].head(int(0.2 * N_FIT)).sum() / total
    assert 0.60 <= top20 <= 0.85


def test_b2b_key_accounts_are_few_and_worth_more(big):
    cust = big.tables["customers"]
    b2b = cust.filter(pl.col("customer_type") == "B2B")
    assert 0.05 <= b2b.height / cust.height <= 0.10
    assert b2b["company"].null_count() == 0
    assert cust.filter(pl.col("customer_type") == "B2C")["company"].null_count() == cust.height - b2b.height
    assert all(re.fullmatch(r"\w{2,3}\w{2}\w{2,6}有限公司", c) for c in b2b["company"].to_list())
    assert b2b["company"].n_unique() == b2b.height
    per = (big.tables["orders"].filter(pl.col("status") == "completed")
           .join(cust.select("customer_id", "customer_type"), on="customer_id")
           .group_by("customer_type").agg(pl.col("amount").mean().alias("avg"),
                                          (pl.len() / pl.col("customer_id").n_unique()).alias("orders_per_buyer")))
    row = {r["customer_type"]: r for r in per.to_dicts()}
    assert row["B2B"]["avg"] > 2 * row["B2C"]["avg"]
    assert row["B2B"]["orders_per_buyer"] > 2 * row["B2C"]["orders_per_buyer"]


def test_prospects_exist_and_have_no_orders(big):
    buyers = big.tables["orders"]["customer_id"].unique()
    prospects = big.tables["customers"].filter(~pl.col("customer_id").is_in(buyers.implode()))
    assert 0.08 <= prospects.height / N_FIT <= 0.20
    assert set(prospects["customer_id"]) == set(big.latent.filter(~pl.col("buyer"))["customer_id"])


def test_seasonality_peaks_and_spring_festival_dip(big):
    daily = big.tables["orders"].group_by("order_date").agg(pl.col("amount").sum())
    for year in (2024, 2025):
        days = pl.DataFrame({"order_date": pl.date_range(date(year, 1, 1), date(year, 12, 31), eager=True)})
        d = days.join(daily, on="order_date", how="left").fill_null(0.0)
        avg = d["amount"].mean()

        def window(a: date, b: date, d=d, avg=avg) -> float:
            return d.filter(pl.col("order_date").is_between(a, b))["amount"].mean() / avg

        lny = demo.LUNAR_NEW_YEAR[year]
        assert window(date(year, 6, 1), date(year, 6, 18)) > 1.3, year
        assert window(date(year, 11, 1), date(year, 11, 11)) > 1.8, year
        assert window(lny - timedelta(days=3), lny + timedelta(days=3)) < 0.6, year


def test_key_accounts_order_on_working_days(big, completed):
    typed = completed.join(big.tables["customers"].select("customer_id", "customer_type"), on="customer_id")
    weekend = dict(typed.group_by("customer_type").agg((pl.col("order_date").dt.weekday() >= 6).mean())
                   .iter_rows())
    assert weekend["B2B"] < 0.15            # 2/7 = 0.29 if orders ignored the weekday
    assert weekend["B2C"] > 0.29


def test_churn_is_higher_after_complaints_and_low_nps(big, completed):
    end = date.fromisoformat(big.truth["end_date"])
    cut = end - timedelta(days=180)
    seen = completed.group_by("customer_id").agg(pl.col("order_date").min().alias("first"),
                                                 pl.col("order_date").max().alias("last"))
    base = seen.filter(pl.col("first") <= cut).with_columns((pl.col("last") <= cut).alias("churned"))
    complained = big.tables["complaints"].filter(pl.col("opened_at").dt.date() <= cut)["customer_id"].unique()
    nps = (big.tables["surveys"].filter(pl.col("survey_date") <= cut)
           .group_by("customer_id").agg(pl.col("nps").mean()))
    base = base.join(nps, on="customer_id", how="left").with_columns(
        pl.col("customer_id").is_in(complained.implode()).alias("complained"))

    def rate(f):
        return base.filter(f)["churned"].mean()

    assert base.filter(pl.col("complained")).height >= 100
    assert rate(pl.col("complained")) > rate(~pl.col("complained")) + 0.10
    assert base.filter(pl.col("nps") <= 6).height >= 30
    assert rate(pl.col("nps") <= 6) > rate(pl.col("nps") >= 9) + 0.15


def test_valuable_customers_get_more_visits(big):
    visits = big.tables["visits"].group_by("customer_id").len()
    rev = big.tables["orders"].group_by("customer_id").agg(pl.col("amount").sum().alias("rev"))
    cust = (big.tables["customers"].join(visits, on="customer_id", how="left")
            .join(rev, on="customer_id", how="left").fill_null(0))
    by_type = dict(cust.group_by("customer_type").agg(pl.col("len").mean()).iter_rows())
    assert by_type["B2B"] > 5 * by_type["B2C"]
    top = cust.filter(pl.col("rev") >= cust["rev"].quantile(0.9))["len"].mean()
    low = cust.filter((pl.col("rev") > 0) & (pl.col("rev") <= cust["rev"].quantile(0.5)))["len"].mean()
    assert top > 3 * low
    unowned = cust.filter(pl.col("sales_rep").is_null())
    assert unowned["len"].mean() < cust.filter(pl.col("sales_rep").is_not_null())["len"].mean()


def test_dimensions_look_real(big):
    c, o = big.tables["customers"], big.tables["orders"]
    places = {(p, ci) for p, ci, _ in vocabulary.PLACES}
    assert set(zip(c["province"], c["city"], strict=True)) <= places
    assert ("广东省", "深圳市") in set(zip(c["province"], c["city"], strict=True))
    assert c["phone"].str.contains(r"^1[358]\d{9}$").all() and c["phone"].n_unique() == c.height
    emails = c["email"].drop_nulls()
    assert emails.str.contains(r"^[a-z._0-9]+@[a-z0-9.]+$").all() and emails.n_unique() == emails.len()
    reps = c["sales_rep"].drop_nulls().unique()
    assert 20 <= reps.len() <= 40
    assert 0.05 <= c["sales_rep"].null_count() / c.height <= 0.40          # 公海 accounts
    assert set(c["industry"].drop_nulls()) <= {i for i, _, _ in vocabulary.INDUSTRIES}
    assert set(o["channel"]) <= set(vocabulary.ALL_CHANNELS) and set(c["channel"]) <= set(vocabulary.ALL_CHANNELS)
    assert set(o["product_category"]) == {x[0] for x in vocabulary.CATEGORIES}
    assert ((o["amount"] * 100 - (o["amount"] * 100).round(0)).abs() < 1e-6).all()
    assert o.filter(pl.col("status") == "completed")["amount"].min() > 0
    assert o["quantity"].min() >= 1
    assert 0.1 < o["gross_margin"].null_count() / o.height < 0.9
    assert set(o["status"]) == {"completed", "returned"}
    v, q, s = big.tables["visits"], big.tables["complaints"], big.tables["surveys"]
    assert set(v["kind"]) == set(schema.VISIT_KINDS)
    assert set(q["severity"]) == set(schema.COMPLAINT_SEVERITIES)
    assert set(q["category"]) >= {"质量问题", "物流延迟", "售后服务", "价格争议", "账单错误"}
    assert 0 < q["resolved_at"].null_count() < q.height / 2                  # some still open
    hours = ((q["resolved_at"] - q["opened_at"]).dt.total_minutes() / 60).drop_nulls()
    assert hours.min() > 0 and 2 < hours.median() < 96
    assert s["nps"].min() <= 2 and s["nps"].max() == 10 and set(s["csat"]) == {1, 2, 3, 4, 5}
    nps_score = 100 * ((s["nps"] >= 9).mean() - (s["nps"] <= 6).mean())
    assert 10 < nps_score < 60
    end = date.fromisoformat(big.truth["end_date"])
    for name, col in (("orders", "order_date"), ("visits", "visit_date"), ("surveys", "survey_date")):
        assert big.tables[name][col].max() <= end, name
    assert q["opened_at"].max().date() <= end


def test_returns_reference_a_real_earlier_order(big):
    o = big.tables["orders"]
    ret = o.filter(pl.col("status") == "returned")
    assert 0.01 < ret.height / o.height < 0.06
    assert ret["order_id"].str.ends_with("-R").all()
    orig = ret.with_columns(pl.col("order_id").str.strip_suffix("-R").alias("oid")).join(
        o.select(pl.col("order_id").alias("oid"), pl.col("customer_id").alias("c0"),
                 pl.col("order_date").alias("d0"), pl.col("amount").alias("a0")), on="oid", how="left")
    assert orig["c0"].null_count() == 0
    assert (orig["customer_id"] == orig["c0"]).all()
    assert (orig["order_date"] > orig["d0"]).all()
    assert ((orig["amount"] < 0) & (-orig["amount"] <= orig["a0"])).all()


# ---------------------------------------------------------------- the dirty export

def test_dirty_files_encodings_headers_and_formats(small_demo, truth_small):
    raw = (small_demo / "orders.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert not (small_demo / "customers.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    visits = (small_demo / "visits.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        visits.decode("utf-8")
    header = visits.decode("gb18030").split("\n")[0]
    assert header == "拜访编号,客户编号,拜访日期,客户经理,拜访方式,拜访结果"
    orders = _lines(small_demo / "orders.csv", "utf-8-sig")
    dates = [line.split(",")[2] for line in orders[1:] if '"' not in line]
    assert any(re.fullmatch(r"\d{4}-\d\d-\d\d", d) for d in dates)
    assert any(re.fullmatch(r"\d{4}/\d\d/\d\d", d) for d in dates)
    assert all(re.fullmatch(r"\d{4}/\d\d/\d\d", line.split(",")[-1])
               for line in _lines(small_demo / "customers.csv")[1:])
    for line in truth_small["dirty"]["orders"]["currency_format_lines"]:
        assert re.search(r',"?-?¥\d{1,3}(,\d{3})*\.\d\d"?,', orders[line - 1])
    assert truth_small["dirty"]["orders"]["currency_format_lines"]


def test_dirty_order_injections_are_where_truth_says(small_demo, truth_small):
    lines = _lines(small_demo / "orders.csv", "utf-8-sig")
    d = truth_small["dirty"]["orders"]
    customers = {line.split(",")[0] for line in _lines(small_demo / "customers.csv")[1:]}

    def fields(n):
        text = "\n".join([lines[0], lines[n - 1]]) + "\n"
        return next(iter(pl.read_csv(text.encode(), infer_schema=False).iter_rows(named=True)))

    for rec in d["exact_duplicates"]:
        assert lines[rec["line"] - 1] == lines[rec["original_line"] - 1]
        assert rec["line"] > rec["original_line"]
    for kind in ("cancelled", "non_positive_amount", "missing_customer_id", "future_date", "before_founded",
                 "unknown_customer", "unparseable_date", "unparseable_amount", "outliers", "returned",
                 "exact_duplicates"):
        assert len(d[kind]) >= 2, kind
        for rec in d[kind]:
            row = fields(rec["line"])
            assert row["order_id"] == rec["order_id"], kind
            if kind == "cancelled":
                assert row["status"] == "cancelled"
            elif kind == "non_positive_amount":
                assert float(row["amount"]) <= 0 and row["status"] == "completed"
            elif kind == "missing_customer_id":
                assert row["customer_id"] is None
            elif kind == "future_date":
                assert row["order_date"].startswith("2099-")
            elif kind == "before_founded":
                assert date.fromisoformat(row["order_date"]) < date(2019, 1, 1)
            elif kind == "unknown_customer":
                assert row["customer_id"] not in customers
            elif kind == "outliers":
                assert float(row["amount"]) > 1_000_000
            elif kind == "returned":
                assert row["status"] == "returned" and row["order_id"] == rec["original_order_id"] + "-R"
                assert fields(rec["original_line"])["order_id"] == rec["original_order_id"]
    statuses = [fields(i)["status"] for i in range(2, len(lines) + 1, 97)]
    assert set(statuses) <= set(schema.ORDER_STATUSES)
    expected = truth_small["dirty"]["expected_reasons"]["orders"]
    assert expected["cancelled_order"] == len(d["cancelled"])
    assert sum(expected.values()) + len(d["outliers"]) + truth_small["rows"]["orders"] == len(lines) - 1


def test_dirty_duplicate_customers_are_variants_of_their_original(small_demo, truth_small):
    cust = pl.read_csv(small_demo / "customers.csv", infer_schema=False)
    rows = {r["customer_id"]: r for r in cust.iter_rows(named=True)}
    dups = truth_small["dirty"]["customers"]["duplicates"]
    assert len(dups) >= 3
    lines = _lines(small_demo / "customers.csv")
    orders = pl.read_csv(small_demo / "orders.csv", infer_schema=False, encoding="utf8")

    def normal(s):
        return re.sub(r"\D", "", s.translate(str.maketrans("０１２３４５６７８９", "0123456789")))[-11:]

    seen_variants = set()
    for rec in dups:
        dup, orig = rows[rec["duplicate_id"]], rows[rec["original_id"]]
        assert lines[rec["line"] - 1].startswith(rec["duplicate_id"] + ",")
        assert lines[rec["original_line"] - 1].startswith(rec["original_id"] + ",")
        assert normal(dup["phone"]) == orig["phone"] and dup["phone"] != orig["phone"]
        assert (dup["name"] or "").replace(" ", "") == orig["name"]
        assert (dup["email"] or "").lower() == (orig["email"] or "")
        seen_variants.update(rec["variants"])
        assert rec["order_ids"]
        pointed = orders.filter(pl.col("order_id").is_in(rec["order_ids"]))["customer_id"].unique().to_list()
        assert pointed == [rec["duplicate_id"]]
        assert orders.filter(pl.col("customer_id") == rec["original_id"]).height >= 1
    assert {"fullwidth_phone", "phone_dashes", "phone_country_code"} & seen_variants


def test_dirty_visits_duplicates_and_surveys_invalid_values(small_demo, truth_small):
    lines = _lines(small_demo / "visits.csv", "gb18030")
    dv = truth_small["dirty"]["visits"]["exact_duplicates"]
    assert len(dv) >= 3
    for rec in dv:
        assert lines[rec["line"] - 1] == lines[rec["original_line"] - 1]
        assert lines[rec["line"] - 1].startswith(rec["visit_id"] + ",")
    kinds = {line.split(",")[4] for line in lines[1:]}
    assert kinds == set(schema.VISIT_KINDS)
    slines = _lines(small_demo / "surveys.csv")
    for rec in truth_small["dirty"]["surveys"]["invalid_value"]:
        row = dict(zip(slines[0].split(","), slines[rec["line"] - 1].split(","), strict=False))
        assert row["survey_id"] == rec["survey_id"] and row[rec["column"]] == rec["value"]


def test_dirty_minus_injections_equals_the_clean_tables(small_demo, truth_small):
    """Drop every recorded injection, undo the formats, map duplicates back: the clean tables remain."""
    clean = demo.generate(truth_small["customers"], truth_small["seed"])
    d = truth_small["dirty"]
    drop = {r["line"] for k in ("exact_duplicates", "cancelled", "non_positive_amount", "missing_customer_id",
                                "future_date", "before_founded", "unknown_customer", "unparseable_date",
                                "unparseable_amount", "outliers") for r in d["orders"][k]}
    orders = pl.read_csv(small_demo / "orders.csv", infer_schema=False).with_row_index("line", offset=2)
    orders = orders.filter(~pl.col("line").is_in(list(drop))).drop("line")
    back = {r["duplicate_id"]: r["original_id"] for r in d["customers"]["duplicates"]}
    orders = orders.with_columns(
        pl.col("customer_id").replace(back),
        pl.coalesce(pl.col("order_date").str.strptime(pl.Date, f, strict=False)
                    for f in d["orders"]["date_formats"]),
        pl.col("amount").str.replace_all(r"[¥,]", "").cast(pl.Float64),
        pl.col("quantity").cast(pl.Int64), pl.col("gross_margin").cast(pl.Float64),
    ).sort(["order_date", "order_id"])
    assert orders.equals(clean["orders"])
    # The hard cases (near duplicates and strangers sharing keys) are appended rows of their own.
    appended = ({r["duplicate_id"] for r in d["customers"]["hard_duplicates"]}
                | {r["customer_id"] for r in d["customers"]["non_duplicates"]})
    assert appended and not appended & set(clean["customers"]["customer_id"])
    cust = pl.read_csv(small_demo / "customers.csv", schema=schema.get("customers").polars_schema | {
        "signup_date": pl.String}).filter(~pl.col("customer_id").is_in(list(back | {a: a for a in appended})))
    cust = cust.with_columns(pl.col("signup_date").str.strptime(pl.Date, "%Y/%m/%d"))
    assert cust.equals(clean["customers"])
    visits = pl.read_csv((small_demo / "visits.csv").read_bytes().decode("gb18030").encode(),
                         infer_schema=False).rename({v: k for k, v in demo.VISITS_HEADERS_ZH.items()})
    visits = visits.unique(maintain_order=True).with_columns(pl.col("visit_date").str.to_date())
    assert visits.equals(clean["visits"])


def test_cleaning_the_dirty_demo_gives_the_clean_tables(small_processed, truth_small):
    """End to end with the real cleaning: equal to the generated tables, outliers flagged not dropped."""
    cfg = config.load(small_processed)
    clean = demo.generate(truth_small["customers"], truth_small["seed"])
    outliers = [r["order_id"] for r in truth_small["dirty"]["orders"]["outliers"]]
    hard = truth_small["dirty"]["customers"]
    strangers = [r["customer_id"] for r in hard["non_duplicates"]]
    for name, df in clean.items():
        got = pl.read_parquet(cfg.processed_dir / f"{name}.parquet")
        if name == "customers":
            # Strangers that share a phone or a placeholder are real customers and stay; every
            # near duplicate the de-duplication found was merged into its original.
            assert set(strangers) <= set(got["customer_id"])
            merged = set(pl.read_parquet(cfg.processed_dir / "merge_log.parquet")["duplicate_id"])
            missed = [r["duplicate_id"] for r in hard["hard_duplicates"] if r["duplicate_id"] not in merged]
            assert len(missed) <= 0.1 * len(hard["hard_duplicates"]), missed
            got = got.filter(~pl.col("customer_id").is_in(strangers + missed))
        if name == "orders":
            assert got.filter(pl.col("order_id").is_in(outliers))["is_outlier"].all()
            got = got.filter(~pl.col("order_id").is_in(outliers))
        got = got.select(df.columns).sort(df.columns[0])
        assert got.equals(df.sort(df.columns[0])), name


# ---------------------------------------------------------------- configuration

def test_config_for_reads_the_dirty_folder(tmp_path, small_demo):
    cfg = demo.config_for(small_demo, tmp_path / "processed", tmp_path / "reports")
    assert cfg["company"]["founded"] == "2019-01-01"
    assert Path(cfg["paths"]["processed"]).is_absolute()
    loaded = config.from_dict(cfg, root=tmp_path)
    assert loaded.founded == date(2019, 1, 1)
    assert loaded.sources["visits"].encoding == "gb18030"
    assert dict(loaded.sources["visits"].columns)["拜访日期"] == "visit_date"
    assert list(loaded.sources["orders"].date_format) == ["%Y-%m-%d", "%Y/%m/%d"]
    for table in schema.TABLES:
        assert loaded.sources[table].path == (small_demo / f"{table}.csv").resolve()
    plain = demo.config_for(small_demo, tmp_path / "p", tmp_path / "r", dirty=False)
    assert plain["sources"]["visits"]["encoding"] == "utf-8" and "columns" not in plain["sources"]["visits"]


def test_root_workbench_yaml_reads_the_demo_like_config_for():
    root = yaml.safe_load((ROOT / "workbench.yaml").read_text(encoding="utf-8"))
    generated = demo.config_for(ROOT / "data/raw/demo", ROOT / "data/processed", ROOT / "reports")

    def strip(sources: dict) -> dict:
        return {t: {**s, "path": Path(s["path"]).name} for t, s in sources.items()}

    assert strip(root["sources"]) == strip(generated["sources"])
    assert {Path(s["path"]).parent.as_posix() for s in root["sources"].values()} == {"data/raw/demo"}
    assert str(root["company"]["founded"]) == generated["company"]["founded"]
    assert root["company"]["name"] == generated["company"]["name"]
