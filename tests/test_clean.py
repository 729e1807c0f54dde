"""Cleaning: every injected problem caught with its reason, the ledger balances, nothing lost."""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

import polars as pl
import pytest
import yaml

from workbench import clean, cli, config, demo, ingest, schema
from workbench.config import ConfigError
from workbench.errors import DataError

SMALL_CUSTOMERS, SMALL_SEED = 800, 11  # as in conftest.py

TODAY = date(2026, 11, 25)


# --------------------------------------------------------------------------- demo data

@pytest.fixture(scope="module")
def generated():
    return demo.generate(SMALL_CUSTOMERS, SMALL_SEED)


@pytest.fixture(scope="module")
def truth(small_demo):
    return json.loads((small_demo / "truth.json").read_text(encoding="utf-8"))["dirty"]


@pytest.fixture(scope="module")
def processed(small_processed):
    cfg = config.load(small_processed)
    out = clean.load_outputs(cfg.processed_dir)
    out["tables"] = {t: pl.read_parquet(cfg.processed_dir / f"{t}.parquet") for t in schema.TABLES}
    return out


def _q(processed, table: str) -> dict[int, str]:
    q = processed["quarantine"].filter(pl.col("table") == table)
    return dict(q.select("line", "reason").iter_rows())


def test_dirty_demo_every_injection_caught_with_its_reason(processed, truth):
    orders = _q(processed, "orders")
    for kind, reason in [("cancelled", "cancelled_order"),
                         ("non_positive_amount", "non_positive_amount"),
                         ("missing_customer_id", "missing_customer_id"),
                         ("future_date", "future_date"), ("before_founded", "before_founded"),
                         ("unknown_customer", "unknown_customer"),
                         ("unparseable_date", "unparseable_date"),
                         ("unparseable_amount", "unparseable_amount")]:
        lines = [d["line"] for d in truth["orders"][kind]]
        assert lines, kind
        assert {ln: orders.get(ln) for ln in lines} == {ln: reason for ln in lines}, kind
    dups = truth["orders"]["exact_duplicates"]
    assert {d["line"]: orders.get(d["line"]) for d in dups} == \
        {d["line"]: "exact_duplicate" for d in dups}
    detail = processed["quarantine"].filter((pl.col("table") == "orders")
                                            & (pl.col("reason") == "exact_duplicate"))
    assert sorted(detail.get_column("detail").str.extract(r"line (\d+)").cast(int).to_list()) == \
        sorted(d["original_line"] for d in dups)
    visits = _q(processed, "visits")
    assert visits == {d["line"]: "exact_duplicate" for d in truth["visits"]["exact_duplicates"]}
    assert _q(processed, "surveys") == {d["line"]: "invalid_value"
                                        for d in truth["surveys"]["invalid_value"]}
    assert _q(processed, "complaints") == {} and _q(processed, "customers") == {}
    # nothing else was quarantined: the counts are exactly the injected ones
    for table, expected in truth["expected_reasons"].items():
        assert processed["ledger"][table]["reasons"] == expected, table


def test_dirty_demo_duplicate_customers_merged_and_logged(processed, truth):
    log = processed["merge_log"]
    # the simple duplicates and every hard one (typos, new phone, missing keys, traditional
    # characters, branch word order, pinyin company), each merged into its original
    want = sorted((d["duplicate_id"], d["original_id"], d["line"])
                  for key in ("duplicates", "hard_duplicates") for d in truth["customers"][key])
    assert sorted(log.select("duplicate_id", "kept_id", "line").rows()) == want
    assert set(log.get_column("table")) == {"customers"}
    simple = log.filter(pl.col("duplicate_id").is_in(
        [d["duplicate_id"] for d in truth["customers"]["duplicates"]]))
    assert all(simple.get_column("matched_on").str.contains("phone"))  # every variant keeps the phone
    assert log.get_column("match_probability").min() >= 0.95
    assert log.get_column("decided_by").str.len_chars().min() > 0
    # no stranger sharing a phone, a placeholder or a switchboard was merged
    strangers = {d["customer_id"] for d in truth["customers"]["non_duplicates"]}
    assert strangers and not strangers & (set(log["duplicate_id"]) | set(log["kept_id"]))
    assert strangers <= set(processed["tables"]["customers"]["customer_id"])
    # orders of merged ids now point at the survivor
    kept_orders = processed["tables"]["orders"]
    moved = [o for d in truth["customers"]["duplicates"] for o in d["order_ids"]]
    got = dict(kept_orders.filter(pl.col("order_id").is_in(moved))
               .select("order_id", "customer_id").iter_rows())
    want_ids = {o: d["original_id"] for d in truth["customers"]["duplicates"]
                for o in d["order_ids"]}
    assert {o: got.get(o, want_ids[o]) for o in want_ids} == want_ids
    assert processed["ledger"]["orders"]["repointed"] == len(got)


def test_dirty_demo_cleans_back_to_the_generated_tables(processed, truth, generated):
    outliers = [d["order_id"] for d in truth["orders"]["outliers"]]
    for table in schema.TABLES:
        got = processed["tables"][table]
        if table == "orders":
            flagged = got.filter(pl.col("is_outlier")).get_column("order_id").to_list()
            assert sorted(flagged) == sorted(outliers)
            got = got.filter(~pl.col("order_id").is_in(outliers)).drop("is_outlier")
        if table == "customers":  # the strangers are real customers, appended to the archive
            strangers = [d["customer_id"] for d in truth["customers"]["non_duplicates"]]
            assert got.get_column("customer_id").tail(len(strangers)).to_list() == strangers
            got = got.filter(~pl.col("customer_id").is_in(strangers))
        assert got.equals(generated[table]), table


def test_dirty_demo_ledger_balances(processed, generated, truth):
    ledger = processed["ledger"]
    assert ledger["absent"] == []
    assert set(ledger) == {"customers", "orders", "visits", "complaints", "surveys", "absent",
                           "fingerprint"}
    for table, e in ledger.items():
        if table not in ("absent", "fingerprint"):
            assert e["rows_in"] == e["rows_kept"] + e["rows_quarantined"] + e["rows_merged"], table
    o = ledger["orders"]
    assert o["amount_in"] == pytest.approx(o["amount_kept"] + o["amount_quarantined"], abs=0.01)
    big = sum(float(d["amount"]) for d in truth["orders"]["outliers"])
    assert o["amount_kept"] == pytest.approx(generated["orders"]["amount"].sum() + big, abs=0.01)
    assert ledger["visits"]["encoding"] == "gb18030"
    assert ledger["orders"]["encoding"] == "utf-8-sig"
    assert ledger["orders"]["returns_negated"] == 0
    q = processed["quarantine"]
    assert q.columns == ["table", "source", "line", "reason", "detail", "record"]
    assert processed["merge_log"].columns == ["table", "duplicate_id", "kept_id", "matched_on",
                                              "source", "line", "match_probability", "decided_by"]
    rec = json.loads(q.filter(pl.col("reason") == "unparseable_amount").get_column("record")[0])
    assert rec["amount"] in {"约500元", "N/A"}


def test_clean_demo_passes_through_unchanged(tmp_path, generated):
    raw = tmp_path / "raw"
    demo.write_demo(out=raw, customers=SMALL_CUSTOMERS, seed=SMALL_SEED, dirty=False)
    cfg = config.from_dict(demo.config_for(raw, tmp_path / "processed", tmp_path / "reports",
                                           dirty=False), root=tmp_path)
    result = clean.run(cfg, today=TODAY)
    for table in schema.TABLES:
        got = pl.read_parquet(tmp_path / "processed" / f"{table}.parquet")
        if table == "orders":
            assert got.get_column("is_outlier").sum() == 0
            got = got.drop("is_outlier")
        assert got.equals(generated[table]), table
        e = result.ledger[table]
        assert (e["rows_in"], e["rows_quarantined"], e["rows_merged"], e["reasons"]) == \
            (generated[table].height, 0, 0, {})


# --------------------------------------------------------------------------- rules on hand-made tables

CUSTOMERS = pl.DataFrame({
    "customer_id": ["c1", "c2", "c3", "c4", "c5", "c6", "c7"],
    "name": ["张伟", "张 伟", "李娜", "王芳", "赵敏", "x", "y"],
    "company": ["华东贸易有限公司", "华东贸易(有限公司)", None, None, "ＡＢＣ Co., Ltd.", "abc",
                "华东贸易股份有限公司"],
    "phone": ["13812345678", "+86 138-1234-5679", "13900000000", "１３９００００００００", None, None,
              None],
    "email": [None, None, "Li@B.cn", None, "m@x.cn", None, None],
    "signup_date": ["2020-01-02", "2020-01-01", "2020-01-01", "2020-01-01", "2021-01-01",
                    "2021-01-01", "2019-06-01"],
})


def test_normalisers():
    s = pl.Series(["+86 138-1234-5678", "0086 13812345678", "138 1234 5678", "1234", None])
    assert pl.select(clean.normalize_phone(pl.lit(s))).to_series().to_list() == \
        ["13812345678"] * 3 + [None, None]
    e = pl.Series([" Li@B.CN ", "no-at", None])
    assert pl.select(clean.normalize_email(pl.lit(e))).to_series().to_list() == ["li@b.cn", None, None]
    c = pl.Series(["华东贸易有限公司", "华东贸易 (有限公司)", "华东贸易有限责任公司", "华东贸易股份有限公司",
                   "华东贸易（有限公司）", "ＡＢＣ Co., Ltd.", "abc company limited", "Costco",
                   "Tesco Inc.", "有限公司", None])
    assert pl.select(clean.normalize_company(pl.lit(c))).to_series().to_list() == \
        ["华东贸易"] * 5 + ["abc", "abc", "costco", "tesco", None, None]


def test_find_duplicate_customers_transitive_earliest_signup_ties_by_id():
    df = ingest.coerce(ingest.from_frame(CUSTOMERS, "customers")).good
    dups = clean.find_duplicate_customers(df)
    # c7 signed up first, so the 华东贸易 group keeps c7; c3/c4 tie on date: c3 wins by id
    assert sorted(dups.rows()) == [("c1", "c7", "company"), ("c2", "c7", "company"),
                                   ("c4", "c3", "phone"), ("c6", "c5", "company")]
    assert clean.find_duplicate_customers(df, keys=("email",)).height == 0
    only_phone = clean.find_duplicate_customers(df, keys=("phone",))
    assert only_phone.rows() == [("c4", "c3", "phone")]


def test_transitive_link_reports_the_shared_key():
    df = pl.DataFrame({"customer_id": ["a", "b", "c"],
                       "signup_date": [date(2020, 1, 1), date(2020, 1, 2), date(2020, 1, 3)],
                       "phone": ["13800000001", "13800000001", None],
                       "email": [None, "b@x.cn", "b@x.cn"], "company": [None, None, None]})
    assert clean.find_duplicate_customers(df).sort("duplicate_id").rows() == \
        [("b", "a", "phone"), ("c", "a", "email")]


def test_outlier_flags_median_plus_k_mad_on_logs():
    amounts = [100.0, 110.0, 90.0, 105.0, 95.0, 100.0, 5000.0, -50.0, 0.5]
    status = ["completed"] * 7 + ["returned", "completed"]
    df = pl.DataFrame({"amount": amounts, "status": status})
    assert clean.outlier_flags(df, "mad", 5.0).to_list() == [False] * 6 + [True, False, False]
    assert clean.outlier_flags(df, "mad", 100.0).sum() == 0
    assert clean.outlier_flags(df, "none").sum() == 0
    same = pl.DataFrame({"amount": [5.0] * 4, "status": ["completed"] * 4})
    assert clean.outlier_flags(same).sum() == 0  # MAD 0: nothing is unusual


def _orders() -> pl.DataFrame:
    rows = [
        ("o1", "c2", "2020-02-01", "100", "completed"),
        ("o2", "c4", "2020/02/02", "50", "returned"),          # positive return -> -50
        ("o3", "c9", "2020-02-03", "10", "completed"),         # unknown customer
        ("o3", "c4", "2020-02-03", "¥10", "cancelled"),        # same id, other content
        ("o4", "c5", "2030-01-01", "5", "completed"),          # future
        ("o5", "c1", "2018-01-01", "1", "completed"),          # before founded
        ("o6", "c6", "2020-05-05", "x", "completed"),          # unparseable amount
        ("o7", "c3", "2020-01-05", "-20", "退货"),              # return kept negative
        ("o7", "c3", "2020-01-05", "-20", "退货"),              # exact duplicate
        ("o8", "c3", "2020-01-06", "30", "已取消"),              # cancelled
        ("o9", "c3", "2020-01-07", "0", "completed"),          # non-positive
        ("o10", None, "2020-01-07", "3", "completed"),         # missing customer
        ("o11", "c1", "2020-02-30", "3", "completed"),         # impossible date
    ]
    return pl.DataFrame(rows, schema=["order_id", "customer_id", "order_date", "amount", "status"],
                        orient="row")


def _run_rules():
    rules = clean.CleaningRules(founded=date(2019, 1, 1), dedupe="exact")  # the key rules
    return clean.clean_tables({"customers": CUSTOMERS, "orders": _orders()}, rules, today=TODAY)


def test_records_of_a_hand_built_raw_table_without_sources():
    """A RawTable whose sources do not describe its rows (built by hand, lines out of order)
    still gets each quarantined row's own raw record, in line order."""
    frame = ingest.from_frame(_orders(), "orders").frame.reverse()
    raw = ingest.RawTable(table="orders", frame=frame, sources=[],
                          date_formats=("%Y-%m-%d", "%Y/%m/%d"))
    rules = clean.CleaningRules(founded=date(2019, 1, 1), dedupe="exact")  # the key rules
    r = clean.clean_tables({"customers": CUSTOMERS, "orders": raw}, rules, today=TODAY)
    q = r.quarantine.filter(pl.col("table") == "orders")
    # Read bottom-up, the later copy of o7 (line 9) is the duplicate this time.
    assert q.get_column("line").to_list() == [4, 5, 6, 7, 8, 9, 11, 12, 13, 14]
    source = _orders().rows(named=True)
    for line, record in q.select("line", "record").iter_rows():
        raw_row = source[line - 2]
        assert {k: v for k, v in json.loads(record).items() if k in raw_row} == raw_row, line
    assert r.ledger["orders"]["amount_quarantined"] == 42.0


def test_rules_on_hand_made_orders():
    r = _run_rules()
    q = r.quarantine.filter(pl.col("table") == "orders").select("line", "reason").rows()
    assert q == [(4, "unknown_customer"), (5, "duplicate_key"), (6, "future_date"),
                 (7, "before_founded"), (8, "unparseable_amount"), (10, "exact_duplicate"),
                 (11, "cancelled_order"), (12, "non_positive_amount"),
                 (13, "missing_customer_id"), (14, "unparseable_date")]
    assert r.tables["orders"].select("order_id", "customer_id", "amount", "status").rows() == [
        ("o1", "c7", 100.0, "completed"), ("o2", "c3", -50.0, "returned"),
        ("o7", "c3", -20.0, "returned")]
    e = r.ledger["orders"]
    assert (e["rows_in"], e["rows_kept"], e["rows_quarantined"], e["rows_merged"]) == (13, 3, 10, 0)
    # amounts: returns count negative, unparseable ones 0
    assert (e["amount_in"], e["amount_kept"], e["amount_quarantined"]) == (72.0, 30.0, 42.0)
    assert (e["amount_unparsed_rows"], e["returns_negated"], e["repointed"]) == (1, 1, 2)
    assert r.ledger["customers"]["reasons"] == {"duplicate_customer": 4}
    assert r.merge_log.select("duplicate_id", "kept_id", "line").rows() == [
        ("c1", "c7", 2), ("c2", "c7", 3), ("c4", "c3", 5), ("c6", "c5", 7)]
    rec = json.loads(r.quarantine.filter(pl.col("line") == 5).get_column("record").item())
    assert rec["amount"] == "¥10" and rec["status"] == "cancelled"


def test_max_date_and_founded_are_configurable():
    rules = clean.CleaningRules(max_date=date(2020, 2, 1), founded=None)
    r = clean.clean_tables({"customers": CUSTOMERS, "orders": _orders()}, rules, today=TODAY)
    reasons = dict(r.quarantine.filter(pl.col("table") == "orders")
                   .select("line", "reason").iter_rows())
    assert reasons[3] == "future_date" and 7 not in reasons  # 2018 is fine without founded
    # customers who signed up after max_date are future too; their orders lose their customer
    assert r.quarantine.filter(pl.col("table") == "customers").select("line", "reason").rows() == \
        [(6, "future_date"), (7, "future_date")]
    assert reasons[6] == "future_date"


def test_ledger_that_does_not_balance_fails():
    r = _run_rules()
    r.ledger["orders"]["rows_kept"] -= 1
    with pytest.raises(DataError, match="ledger of orders does not balance: 13 rows in, 12"):
        clean.check_ledger(r)
    r = _run_rules()
    r.ledger["orders"]["amount_kept"] += 1
    with pytest.raises(DataError, match="ledger of orders does not balance: amount in 72.00, kept \\+ quarantined 73.00"):
        clean.check_ledger(r)


def test_cleaning_section_is_checked(tmp_path):
    cfg = config.from_dict({"cleaning": {"duplicate_key": ["phone"]}}, root=tmp_path)
    with pytest.raises(ConfigError, match=r"cleaning: unknown key\(s\) \['duplicate_key'\]"):
        clean.CleaningRules.from_config(cfg)
    cfg = config.from_dict({"cleaning": {"outliers": {"method": "zscore"}}}, root=tmp_path)
    with pytest.raises(ConfigError, match="cleaning.outliers.method 'zscore'"):
        clean.CleaningRules.from_config(cfg)
    cfg = config.from_dict({"company": {"founded": "2019-01-01"},
                            "cleaning": {"duplicate_keys": ["email"], "max_date": "2025-12-31",
                                         "outliers": {"threshold": 3},
                                         "company_suffixes": ["贸易行"]}}, root=tmp_path)
    rules = clean.CleaningRules.from_config(cfg)
    assert (rules.duplicate_keys, rules.max_date, rules.founded, rules.outlier_threshold) == \
        (("email",), date(2025, 12, 31), date(2019, 1, 1), 3)
    assert "贸易行" in rules.company_suffixes


# --------------------------------------------------------------------------- I/O, atomicity, CLI

def _project(tmp_path: Path, orders_csv: str, **orders_opts) -> Path:
    raw = tmp_path / "raw"
    raw.mkdir(exist_ok=True)
    (raw / "customers.csv").write_text("客户编号,客户名称,注册日期\nC1,张伟,2020-01-01\n", encoding="utf-8")
    (raw / "orders.csv").write_text(orders_csv, encoding="utf-8")
    cfg = {"company": {"founded": "2019-01-01"},
           "paths": {"processed": "processed"},
           "sources": {"customers": {"path": "raw/customers.csv"},
                       "orders": {"path": "raw/orders.csv", **orders_opts}}}
    path = tmp_path / "workbench.yaml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    return path


GOOD_ORDERS = "订单编号,客户编号,下单日期,金额,订单状态\nSO1,C1,2024-03-05,100,completed\n"


def test_cli_clean_writes_the_set(tmp_path, capsys):
    path = _project(tmp_path, GOOD_ORDERS)
    assert cli.main(["clean", "--config", str(path)]) == 0
    out = capsys.readouterr().out
    assert "orders" in out and "amount in 100.00 = kept 100.00 + quarantined 0.00" in out
    names = {p.name for p in (tmp_path / "processed").iterdir()}
    absent = {"visits", "complaints", "surveys"}
    # An absent source gets no file; the ledger lists it under "absent" (no entry of its own).
    assert names == set(clean.OUTPUT_FILES) - {f"{t}.parquet" for t in absent | {"order_lines"}}
    ledger = json.loads((tmp_path / "processed" / "ledger.json").read_text(encoding="utf-8"))
    assert ledger["orders"]["rows_kept"] == 1 and set(ledger["absent"]) == absent
    assert not absent & set(ledger)


@pytest.mark.parametrize("case, code, message", [
    ("missing_column", 3, "required column 'order_date' (下单日期) is missing"),
    ("missing_file", 3, "orders.csv: file not found (sources.orders.path)"),
    ("unknown_encoding", 2, "encoding 'klingon' is unknown"),
    ("undetectable", 3, "orders.csv: is not a text file"),
    ("missing_sheet", 3, "sheet 'Q9' does not exist; the workbook has sheets Sheet1"),
    ("unknown_canonical", 2, ("maps '金额' to 'price', which is not a column of the canonical "
                              "table 'orders'")),
])
def test_cli_bad_input_clear_message_nothing_written(tmp_path, capsys, case, code, message):
    opts: dict = {}
    text = GOOD_ORDERS
    if case == "missing_column":
        text = "订单编号,客户编号,金额,订单状态\nSO1,C1,100,completed\n"
    elif case == "unknown_encoding":
        opts = {"encoding": "klingon"}
    elif case == "missing_sheet":
        opts = {"path": "raw/orders.xlsx", "sheet": "Q9"}
    elif case == "unknown_canonical":
        opts = {"columns": {"金额": "price"}}
    path = _project(tmp_path, text, **opts)
    if case == "missing_file":
        (tmp_path / "raw" / "orders.csv").unlink()
    elif case == "undetectable":
        (tmp_path / "raw" / "orders.csv").write_bytes(b"PK\x03\x04\x00\x01\xff")
    elif case == "missing_sheet":
        pl.DataFrame({"a": [1]}).write_excel(tmp_path / "raw" / "orders.xlsx")
    assert cli.main(["clean", "--config", str(path)]) == code
    err = capsys.readouterr().err
    assert message in err
    if case not in ("unknown_encoding", "unknown_canonical"):
        assert str(tmp_path / "raw" / "orders") in err  # names the file
    out = tmp_path / "processed"  # the run lock may create the folder: no file is written
    assert not out.exists() or not [p for p in out.iterdir() if p.name in clean.OUTPUT_FILES]


def test_failed_run_leaves_previous_outputs_intact(tmp_path, monkeypatch):
    path = _project(tmp_path, GOOD_ORDERS)
    clean.run(config.load(path), today=TODAY)
    out = tmp_path / "processed"
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    (tmp_path / "raw" / "orders.csv").write_text(
        GOOD_ORDERS + "SO2,C1,2024-03-06,200,completed\n", encoding="utf-8")

    # 1. failure while writing the staged files
    real_write = pl.DataFrame.write_parquet

    def failing_write(self, file, *a, **k):
        if Path(file).name == "merge_log.parquet":
            raise OSError("disk full")
        return real_write(self, file, *a, **k)

    monkeypatch.setattr(pl.DataFrame, "write_parquet", failing_write)
    with pytest.raises(OSError, match="disk full"):
        clean.run(config.load(path), today=TODAY)
    monkeypatch.undo()
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before

    # 2. failure while moving the new files into place: the old set is restored
    real_replace = os.replace
    calls = {"n": 0}

    def failing_replace(src, dst):
        if Path(src).parent.name.startswith(".clean-") and not \
                Path(src).parent.name.startswith(".clean-backup"):
            calls["n"] += 1
            if calls["n"] == 3:
                raise OSError("device gone")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="device gone"):
        clean.run(config.load(path), today=TODAY)
    monkeypatch.undo()
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before

    # 3. a good run replaces the set
    result = clean.run(config.load(path), today=TODAY)
    assert result.ledger["orders"]["rows_kept"] == 2
    assert pl.read_parquet(out / "orders.parquet").height == 2
    assert {p.name for p in out.iterdir()} == set(before)
    # a source now absent: its file of the previous run goes (the ledger lists it as absent)
    (out / "visits.parquet").write_bytes(b"stale")
    clean.run(config.load(path), today=TODAY)
    assert not (out / "visits.parquet").exists()


def test_quarantine_examples_mask_personal_data():
    q = pl.DataFrame({"table": ["customers"], "source": ["/x/raw/customers.csv"], "line": [5],
                      "reason": ["invalid_value"], "detail": ["d"],
                      "record": [json.dumps({"customer_id": "c", "name": "张伟",
                                             "phone": "13812345678", "email": "wei@x.cn"},
                                            ensure_ascii=False)]})
    ex = clean.quarantine_examples(q)
    assert ex.get_column("source").item() == "customers.csv"
    assert json.loads(ex.get_column("record").item()) == {
        "customer_id": "c", "name": "张*", "phone": "*******5678", "email": "w***@x.cn"}
    shown = clean.quarantine_examples(q, show_pii=True)
    assert "13812345678" in shown.get_column("record").item()


# --------------------------------------------------------------------------- presentation and charts

def test_summary_amounts_and_tables_from_the_hand_made_run():
    r = _run_rules()
    ledger = r.ledger
    text = clean.summary_text(ledger, "en")
    assert "read **20** raw rows, kept **6** (30.0%), quarantined **10** and merged **4**" in text
    assert "¥72.00 in = ¥30.00 kept + ¥42.00 quarantined" in text
    assert "已取消订单 (1)" in clean.summary_text(ledger, "zh")
    by = clean.amount_by_reason(r.quarantine)
    assert dict(by.select("reason", "amount").iter_rows()) == {
        "unknown_customer": 10.0, "duplicate_key": 10.0, "cancelled_order": 30.0,
        "future_date": 5.0, "before_founded": 1.0, "unparseable_amount": 0.0,
        "exact_duplicate": -20.0, "non_positive_amount": 0.0, "missing_customer_id": 3.0,
        "unparseable_date": 3.0}
    assert by.get_column("amount").sum() == ledger["orders"]["amount_quarantined"]
    assert clean.orders_note(ledger, "en").startswith("Orders with an unreadable amount: 1 ")
    shown = clean.localize(clean.ledger_frame(ledger), "zh")
    assert list(shown.columns) == ["数据表", "原始行数", "保留", "隔离", "合并"]
    assert shown.iloc[1].tolist() == ["订单", 13, 3, 10, 0]
    merges = clean.merges_frame(r.merge_log, r.tables["customers"], show_pii=False, lang="zh")
    assert merges.select("duplicate_id", "kept_id", "matched_on", "name").rows()[2] == \
        ("c4", "c3", "联系电话", "李*")
    src = clean.sources_frame(ledger)
    assert src.select("table", "source", "encoding", "rows").rows()[:2] == \
        [("customers", "memory", "memory", 7), ("orders", "memory", "memory", 13)]


def test_cleaning_charts_draw_the_ledger():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from workbench import plots
    from workbench.plots import cleaning as pc

    plots.setup("zh")
    r = _run_rules()
    ax = pc.rows_outcome(r.ledger, "zh")
    widths = [round(p.get_width(), 4) for p in ax.patches]
    # tables bottom-up (surveys ... customers), kept / quarantined / merged
    # only the tables with a source (orders, customers); the others are absent
    assert widths[:2] == [round(3 / 13, 4), round(3 / 7, 4)]
    assert widths[-2:] == [0, round(4 / 7, 4)]
    assert ax.get_title() == "各数据表行数去向"
    ax = pc.reasons(clean.reasons_frame(r.ledger, "en"), "en")
    assert [t.get_text() for t in ax.get_yticklabels()][-1] == "Customers · Duplicate customer (merged)"
    assert sorted(p.get_width() for p in ax.patches) == [1] * 10 + [4]
    ax = pc.amount_bridge(r.ledger, clean.amount_by_reason(r.quarantine), "en")
    assert sorted(p.get_width() for p in ax.patches) == [-20.0, 1.0, 3.0, 3.0, 5.0, 10.0, 10.0, 30.0]
    assert "Amount in ¥72 = Amount kept ¥30 + Amount quarantined ¥42" in ax.get_title()
    plt.close("all")


def test_repeated_values_on_a_large_column_are_exact():
    ids = [f"SO{i:07d}" for i in range(150_000)]
    ids[10] = ids[149_999] = "SO0000003"  # three copies of one id
    ids[77] = ids[78] = "X"
    s = pl.Series(ids)
    got = clean.repeated_values(s)
    assert got.arg_true().to_list() == [3, 10, 77, 78, 149_999]
    assert got.equals(s.is_duplicated())


def test_long_table_path_gives_the_same_result(small_processed, monkeypatch):
    """Long tables take other paths (the streaming engine, parsers fused over the columns,
    each distinct date text parsed once): forced onto the small dirty demo, they give the
    same tables, quarantine, merge log and ledger as the short-table path."""
    cfg = config.load(small_processed)
    raw = ingest.read_sources(cfg.sources)
    rules = clean.CleaningRules.from_config(cfg)
    short = clean.clean_tables(raw, rules, today=TODAY)
    monkeypatch.setattr(ingest.engine, "STREAM_ROWS", 1)
    long = clean.clean_tables(raw, rules, today=TODAY)
    assert short.quarantine.get_column("reason").n_unique() >= 8 and short.merge_log.height > 0
    for t in schema.TABLES:
        assert long.tables[t].equals(short.tables[t]), t
    assert long.quarantine.equals(short.quarantine)
    assert long.merge_log.equals(short.merge_log)
    assert long.ledger == short.ledger
