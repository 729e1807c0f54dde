"""Ingestion: encodings, text normalisation, amounts, header mapping, every source kind."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import duckdb
import polars as pl
import pytest
import xlsxwriter
import yaml

from workbench import config, ingest
from workbench.config import ConfigError
from workbench.errors import DataError

ORDERS_ZH = ("订单编号,客户编号,下单日期,金额,订单状态\n"
             "SO1,C001,2024-03-05,\"¥1,234.50\",已完成\n"
             "SO2,Ｃ００２,2024/03/06,99,已退货\n"
             "SO3,C001,2024-13-01,10,completed\n")


def _cfg(tmp_path: Path, sources: dict) -> config.Config:
    return config.from_dict({"sources": sources}, root=tmp_path)


# --------------------------------------------------------------------------- text and amounts

def test_normalize_text_folds_fullwidth_ascii_but_keeps_chinese():
    s = pl.Series(["  ＡＢＣ１２３　", "张伟", "华东（上海）有限公司", "   ", None, "a\u3000b"])
    out = pl.select(ingest.normalize_text(pl.lit(s))).to_series().to_list()
    assert out == ["ABC123", "张伟", "华东(上海)有限公司", None, None, "a b"]


def test_parse_amount_accepts_only_unambiguous_forms():
    s = pl.Series(["¥1,234.50", "￥99", "RMB 12.5", "1234.5元", "(12.00)", "-3", "1,234,567",
                   "1 234,00", "1,23", "12.3.4", "abc", "", "1.5e3", "+7", ".5", "5.", "1,234."])
    out = pl.select(ingest.parse_amount(pl.lit(s))).to_series().to_list()
    assert out == [1234.5, None, 12.5, 1234.5, -12.0, -3.0, 1234567.0,
                   None, None, None, None, None, None, 7.0, 0.5, 5.0, 1234.0]
    # '￥' (full-width yen) is folded by normalize_text before amounts are parsed
    folded = pl.select(ingest.parse_amount(ingest.normalize_text(pl.lit("￥99")))).item()
    assert folded == 99.0


# --------------------------------------------------------------------------- encodings

def test_detect_encoding(tmp_path):
    text = "客户编号,客户名称\nC1,张伟\n"
    cases = {"utf8.csv": text.encode("utf-8"), "bom.csv": text.encode("utf-8-sig"),
             "gbk.csv": text.encode("gbk"), "ascii.csv": b"a,b\n1,2\n"}
    found = {}
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        found[name] = ingest.detect_encoding(tmp_path / name)
    assert found == {"utf8.csv": "utf-8", "bom.csv": "utf-8-sig", "gbk.csv": "gb18030",
                     "ascii.csv": "utf-8"}
    (tmp_path / "bin.csv").write_bytes(b"PK\x03\x04\x00\x00\xff\xfe")
    with pytest.raises(DataError, match="bin.csv: is not a text file"):
        ingest.detect_encoding(tmp_path / "bin.csv")
    with pytest.raises(DataError, match="missing.csv: cannot be read"):
        ingest.detect_encoding(tmp_path / "missing.csv")


def test_normalize_encoding_aliases_and_unknown():
    assert [ingest.normalize_encoding(e) for e in ("GBK", "gb2312", "cp936", "UTF8", "utf-8-sig")] \
        == ["gb18030", "gb18030", "gb18030", "utf-8", "utf-8-sig"]
    with pytest.raises(ConfigError, match="encoding 'klingon' is unknown"):
        ingest.normalize_encoding("klingon")


def test_transcode_streams_chunks_that_cut_characters(tmp_path):
    text = "".join(f"{i},客户{i},华东贸易有限公司\n" for i in range(200))
    src = tmp_path / "in.csv"
    src.write_bytes(text.encode("gb18030"))
    out = ingest.transcode_to_utf8(src, "gb18030", tmp_path / "out.csv", chunk_size=7)
    assert out.read_text(encoding="utf-8") == text
    assert src.read_bytes() == text.encode("gb18030")  # raw file untouched
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"a,b\n1,2\n" + b"\xff\xff\n")
    with pytest.raises(DataError, match=r"bad.csv: line 3 is not valid gb18030"):
        ingest.transcode_to_utf8(bad, "gb18030", tmp_path / "x.csv")


# --------------------------------------------------------------------------- sources

def test_gb18030_csv_with_chinese_headers(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_bytes(ORDERS_ZH.encode("gb18030"))
    spec = _cfg(tmp_path, {"orders": {"path": "orders.csv",
                                      "date_format": ["%Y-%m-%d", "%Y/%m/%d"]}}).sources["orders"]
    raw = ingest.read_source(spec)
    assert raw.sources == [{"label": str(path), "encoding": "gb18030", "rows": 3}]
    assert raw.frame.columns == ["order_id", "customer_id", "order_date", "amount", "status",
                                 "_source", "_line"]
    assert raw.frame.get_column("customer_id").to_list() == ["C001", "C002", "C001"]
    assert raw.frame.get_column("_line").to_list() == [2, 3, 4]
    co = ingest.coerce(raw)
    assert co.good.select("order_id", "order_date", "amount", "status").rows() == [
        ("SO1", dt.date(2024, 3, 5), 1234.5, "completed"),
        ("SO2", dt.date(2024, 3, 6), 99.0, "returned")]
    assert co.failed.select("_line", "reason").rows() == [(4, "unparseable_date")]
    assert "2024-13-01" in co.failed.get_column("record").item()


def test_date_format_is_never_guessed(tmp_path):
    (tmp_path / "o.csv").write_text("order_id,customer_id,order_date,amount,status\n"
                                    "a,c,05/03/2024,1,completed\nb,c,2024-03-05,1,completed\n",
                                    encoding="utf-8")
    spec = _cfg(tmp_path, {"orders": {"path": "o.csv", "date_format": "%d/%m/%Y"}}).sources["orders"]
    co = ingest.coerce(ingest.read_source(spec))
    # the configured format only: the ISO date is not accepted behind the user's back
    assert co.good.select("order_id", "order_date").rows() == [("a", dt.date(2024, 3, 5))]
    assert co.failed.select("_line", "reason").rows() == [(3, "unparseable_date")]
    default = _cfg(tmp_path, {"orders": {"path": "o.csv"}}).sources["orders"]
    co = ingest.coerce(ingest.read_source(default))
    assert co.failed.select("_line", "reason").rows() == [(2, "unparseable_date")]


def _orders_rows():
    return [("SO1", "C001", dt.date(2024, 3, 5), 1234.5, "completed"),
            ("SO2", "C002", dt.date(2024, 3, 6), -99.0, "returned")]


def test_excel_two_sheets_stacked(tmp_path):
    path = tmp_path / "orders.xlsx"
    wb = xlsxwriter.Workbook(path)
    datefmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    for name, rows in (("2023", [("SO1", "C001", dt.date(2024, 3, 5), 1234.5, "已完成")]),
                       ("2024", [("SO2", "C002", "2024/03/06", "-99", "returned")]),
                       ("notes", [])):
        ws = wb.add_worksheet(name)
        ws.write_row(0, 0, ["订单编号", "客户编号", "下单日期", "金额", "订单状态"])
        for i, r in enumerate(rows, start=1):
            ws.write(i, 0, r[0])
            ws.write(i, 1, r[1])
            if isinstance(r[2], dt.date):
                ws.write_datetime(i, 2, dt.datetime.combine(r[2], dt.time()), datefmt)
            else:
                ws.write(i, 2, r[2])
            ws.write(i, 3, r[3])
            ws.write(i, 4, r[4])
    wb.close()
    spec = _cfg(tmp_path, {"orders": {"path": "orders.xlsx", "sheets": ["2023", "2024"],
                                      "date_format": ["%Y-%m-%d", "%Y/%m/%d"]}}).sources["orders"]
    raw = ingest.read_source(spec)
    assert [s["label"] for s in raw.sources] == [f"{path}#2023", f"{path}#2024"]
    assert raw.frame.select("_source", "_line").rows() == [(f"{path}#2023", 2), (f"{path}#2024", 2)]
    co = ingest.coerce(raw)
    assert co.failed.height == 0
    assert co.good.select("order_id", "customer_id", "order_date", "amount", "status").rows() == \
        _orders_rows()
    missing = _cfg(tmp_path, {"orders": {"path": "orders.xlsx", "sheet": "2025"}}).sources["orders"]
    with pytest.raises(DataError, match=r"orders.xlsx: sheet '2025' does not exist; the workbook "
                                        r"has sheets 2023, 2024, notes"):
        ingest.read_source(missing)


def _orders_frame() -> pl.DataFrame:
    return pl.DataFrame({"oid": ["SO1", "SO2"], "cid": ["C001", "C002"],
                         "day": ["2024-03-05", "2024-03-06"], "amt": [1234.5, -99.0],
                         "st": ["completed", "returned"]})


MAPPING = {"oid": "order_id", "cid": "customer_id", "day": "order_date", "amt": "amount",
           "st": "status"}


def test_sqlite_and_duckdb_through_the_same_configuration(tmp_path):
    df = _orders_frame()
    con = sqlite3.connect(tmp_path / "erp.sqlite")
    con.execute("create table sales (oid text, cid text, day text, amt real, st text)")
    con.executemany("insert into sales values (?,?,?,?,?)", df.rows())
    con.commit()
    con.close()
    dcon = duckdb.connect(str(tmp_path / "erp.duckdb"))
    dcon.execute("create table sales (oid varchar, cid varchar, day date, amt double, st varchar)")
    dcon.executemany("insert into sales values (?,?,?,?,?)", df.rows())
    dcon.close()
    df.write_parquet(tmp_path / "sales.parquet")
    query = "select * from sales order by oid"
    for src in ({"url": "sqlite:///erp.sqlite", "query": query},
                {"url": "duckdb:///erp.duckdb", "query": query},
                {"path": "sales.parquet"}):
        spec = _cfg(tmp_path, {"orders": {**src, "columns": MAPPING}}).sources["orders"]
        raw = ingest.read_source(spec)
        co = ingest.coerce(raw)
        assert co.failed.height == 0, src
        got = co.good.select("order_id", "customer_id", "order_date", "amount", "status").rows()
        assert got == _orders_rows(), src
        assert raw.frame.get_column("_line").to_list() == [2, 3]
    spec = _cfg(tmp_path, {"orders": {"url": "sqlite:///erp.sqlite", "query": "select * from nope",
                                      "columns": MAPPING}}).sources["orders"]
    with pytest.raises(DataError, match="no such table: nope"):
        ingest.read_source(spec)


# --------------------------------------------------------------------------- bad input

def test_missing_required_column_names_file_and_column(tmp_path):
    (tmp_path / "o.csv").write_text("订单编号,客户编号,金额,订单状态\nSO1,C1,5,completed\n",
                                    encoding="utf-8")
    spec = _cfg(tmp_path, {"orders": {"path": "o.csv"}}).sources["orders"]
    with pytest.raises(DataError) as err:
        ingest.read_source(spec)
    msg = str(err.value)
    assert f"{tmp_path / 'o.csv'}: required column 'order_date' (下单日期) is missing" in msg
    assert "sources.orders.columns" in msg


def test_mapping_of_an_absent_header(tmp_path):
    (tmp_path / "o.csv").write_text("id,cust,d,amt,st\n", encoding="utf-8")
    spec = _cfg(tmp_path, {"orders": {"path": "o.csv", "columns": {"单号": "order_id"}}}) \
        .sources["orders"]
    with pytest.raises(DataError, match=r"maps column '单号' to 'order_id', but the file has no "
                                        r"such header; its headers are id, cust, d, amt, st"):
        ingest.read_source(spec)


def test_mapping_to_unknown_canonical_column_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="maps '金额' to 'price', which is not a column"):
        _cfg(tmp_path, {"orders": {"path": "o.csv", "columns": {"金额": "price"}}})


def test_date_format_must_be_string_or_list(tmp_path):
    with pytest.raises(ConfigError, match="sources.orders.date_format must be a strftime format"):
        _cfg(tmp_path, {"orders": {"path": "o.csv", "date_format": 5}})
    spec = _cfg(tmp_path, {"orders": {"path": "o.csv", "date_format": ["%Y-%m-%d", "%Y/%m/%d"]}})
    assert spec.sources["orders"].date_formats == ("%Y-%m-%d", "%Y/%m/%d")
    assert spec.sources["orders"].datetime_formats == ()


def test_invalid_values_and_ranges_are_reported_per_row():
    surveys = pl.DataFrame({"survey_id": ["s1", "s2", "s3", "s4", "s5"],
                            "customer_id": ["c", "c", "c", None, "c"],
                            "survey_date": ["2024-01-01"] * 5,
                            "nps": ["10", "11", "x", "5", "7.0"], "csat": ["5", "4", "4", "4", "0"]})
    co = ingest.coerce(ingest.from_frame(surveys, "surveys"))
    assert co.good.select("survey_id", "nps", "csat").rows() == [("s1", 10, 5)]
    assert co.failed.select("_line", "reason", "detail").rows() == [
        (3, "invalid_value", "nps is outside 0..10: '11'"),
        (4, "invalid_value", "nps is not a whole number: 'x'"),
        (5, "missing_customer_id", "customer_id is empty"),
        (6, "invalid_value", "csat is outside 1..5: '0'"),
    ]


def test_complaint_resolved_before_opened_is_invalid():
    df = pl.DataFrame({"complaint_id": ["k1", "k2"], "customer_id": ["c", "c"],
                       "opened_at": ["2024-01-02 10:00:00", "2024-01-02 10:00:00"],
                       "resolved_at": ["2024-01-03 09:00:00", "2024-01-01 09:00:00"],
                       "severity": ["高", "LOW"]})
    co = ingest.coerce(ingest.from_frame(df, "complaints"))
    assert co.good.select("complaint_id", "severity").rows() == [("k1", "high")]
    assert co.failed.select("_line", "reason").rows() == [(3, "invalid_value")]


def test_one_configuration_mixing_every_source_kind(tmp_path, capsys):
    """GB18030 CSV with Chinese headers, a two-sheet Excel file, SQLite, DuckDB and Parquet
    feed one cleaning run through one workbench.yaml; raw files stay byte-identical."""
    from workbench import cli

    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "customers.csv").write_bytes(
        "客户编号,客户名称,联系电话,注册日期\nC001,张伟,138 1234 5678,2020/01/02\n"
        "C002,李娜,13900000000,2020/02/03\nC003,张伟,+86 13812345678,2021/05/06\n"
        .encode("gb18030"))
    wb = xlsxwriter.Workbook(raw / "orders.xlsx")
    for name, rows in (("2023", [("SO1", "C001", "2023-03-05", "¥1,234.50", "已完成")]),
                       ("2024", [("SO2", "C003", "2024/03/06", "99", "已退货"),
                                 ("SO3", "C002", "2024-03-07", "20", "已取消")])):
        ws = wb.add_worksheet(name)
        ws.write_row(0, 0, ["订单编号", "客户编号", "下单日期", "金额", "订单状态"])
        for i, r in enumerate(rows, start=1):
            ws.write_row(i, 0, r)
    wb.close()
    con = sqlite3.connect(raw / "crm.sqlite")
    con.execute("create table v (vid text, cid text, d text, kind text)")
    con.executemany("insert into v values (?,?,?,?)",
                    [("V1", "C002", "2024-01-01", "微信"), ("V2", "C009", "2024-01-02", "电话")])
    con.commit()
    con.close()
    dcon = duckdb.connect(str(raw / "service.duckdb"))
    dcon.execute("create table k (complaint_id varchar, customer_id varchar, opened_at timestamp,"
                 " severity varchar)")
    dcon.execute("insert into k values ('K1', 'C001', '2024-02-01 09:30:00', 'high')")
    dcon.close()
    pl.DataFrame({"survey_id": ["S1"], "customer_id": ["C003"], "survey_date": [dt.date(2024, 5, 1)],
                  "nps": [9], "csat": [5]}).write_parquet(raw / "surveys.parquet")
    before = {p.name: p.read_bytes() for p in raw.iterdir()}
    cfg = {
        "company": {"founded": "2019-01-01"},
        "paths": {"processed": "processed"},
        "sources": {
            "customers": {"path": "raw/customers.csv", "date_format": "%Y/%m/%d"},
            "orders": {"path": "raw/orders.xlsx", "sheets": ["2023", "2024"],
                       "date_format": ["%Y-%m-%d", "%Y/%m/%d"]},
            "visits": {"url": "sqlite:///raw/crm.sqlite", "query": "select * from v",
                       "columns": {"vid": "visit_id", "cid": "customer_id", "d": "visit_date"}},
            "complaints": {"url": "duckdb:///raw/service.duckdb", "query": "select * from k"},
            "surveys": {"path": "raw/surveys.parquet"},
        },
    }
    (tmp_path / "workbench.yaml").write_text(yaml.safe_dump(cfg, allow_unicode=True),
                                             encoding="utf-8")
    assert cli.main(["clean", "--config", str(tmp_path / "workbench.yaml")]) == 0
    out = tmp_path / "processed"
    ledger = json.loads((out / "ledger.json").read_text(encoding="utf-8"))
    assert {t: (e["rows_in"], e["rows_kept"], e["rows_quarantined"], e["rows_merged"])
            for t, e in ledger.items() if t not in ("absent", "fingerprint")} == {
        "customers": (3, 2, 0, 1), "orders": (3, 2, 1, 0), "visits": (2, 1, 1, 0),
        "complaints": (1, 1, 0, 0), "surveys": (1, 1, 0, 0)}
    assert ledger["customers"]["encoding"] == "gb18030"
    assert [s["encoding"] for s in ledger["orders"]["sources"]] == ["xlsx", "xlsx"]
    assert ledger["visits"]["reasons"] == {"unknown_customer": 1}
    assert ledger["visits"]["ignored_columns"] == []  # 'kind' is a canonical header already
    orders = pl.read_parquet(out / "orders.parquet")
    assert orders.select("order_id", "customer_id", "order_date", "amount", "status").rows() == [
        ("SO1", "C001", dt.date(2023, 3, 5), 1234.5, "completed"),
        ("SO2", "C001", dt.date(2024, 3, 6), -99.0, "returned")]
    assert pl.read_parquet(out / "visits.parquet").select("visit_id", "kind").rows() == \
        [("V1", "wechat")]
    assert pl.read_parquet(out / "complaints.parquet").get_column("opened_at").to_list() == \
        [dt.datetime(2024, 2, 1, 9, 30)]
    merge = pl.read_parquet(out / "merge_log.parquet")
    assert merge.select("duplicate_id", "kept_id", "matched_on", "line").rows() == \
        [("C003", "C001", "phone", 4)]
    q = pl.read_parquet(out / "quarantine.parquet")
    assert q.select("table", "source", "line", "reason").rows() == [
        ("orders", f"{raw / 'orders.xlsx'}#2024", 3, "cancelled_order"),
        ("visits", f"sqlite:///{raw / 'crm.sqlite'} [select * from v]", 3, "unknown_customer")]
    assert {p.name: p.read_bytes() for p in raw.iterdir()} == before


def test_parse_dates_on_many_rows_parses_each_distinct_text_once():
    texts = ["2024-03-05", "2024/03/06", "2024-02-30", None, "2024-03-05 00:00:00"] * 20_001
    s = pl.Series("d", texts)
    got = ingest.parse_dates(s, ["%Y-%m-%d", "%Y/%m/%d"])
    assert got.len() == s.len() and got.dtype == pl.Date
    assert got.head(5).to_list() == [dt.date(2024, 3, 5), dt.date(2024, 3, 6), None, None,
                                     dt.date(2024, 3, 5)]
    assert got.null_count() == 2 * 20_001


def test_eager_parsers_agree_with_the_expressions():
    """parse_amounts (fast cast first) and parse_ints give what parse_amount and the plain
    rules give on the normalised text, for padded, full-width and odd values."""
    texts = ["¥1,234.50", "￥99", "RMB 12.5", "1234.5元", "(12.00)", "(-12)", "-3", "1,234,567",
             "1 234,00", "1,23", "12.3.4", "abc", "", "   ", "1.5e3", "inf", "NaN", "+7", ".5",
             " 42 ", "４２", "\u300012\u3000", "5.", "¥1,234.", "1,2,3", None]
    s = pl.Series(texts)  # unnamed on purpose
    want = pl.select(ingest.parse_amount(ingest.normalize_text(pl.lit(s)))).to_series()
    got = ingest.parse_amounts(s)
    assert got.to_list() == want.to_list()
    assert ingest.parse_ints(pl.Series(["7", " 8 ", "９", "1,234", "12.0", "12.5", "x", "+3",
                                         "", None])).to_list() == \
        [7, 8, 9, 1234, 12, None, None, 3, None, None]


def test_categories_of_a_long_column_translated_once_per_label():
    """Past 50,000 rows the labels are translated once each: the same as value by value."""
    labels = ["已完成", "已取消", "退货", "completed", " Returned ", "ｃａｎｃｅｌｌｅｄ", "lost", "",
              "  ", "\u3000已取消", "CANCELED", None]
    s = pl.Series("status", labels * 6_000)
    allowed = ("completed", "cancelled", "returned")
    whole = ingest.parse_categories(s, "status", allowed)
    pieces = pl.concat([ingest.parse_categories(s.slice(i, 12_000), "status", allowed)
                        for i in range(0, s.len(), 12_000)])
    assert whole.equals(pieces)
    assert whole.head(12).to_list() == ["completed", "cancelled", "returned", "completed",
                                        "returned", "cancelled", "lost", None, None,
                                        "cancelled", "cancelled", None]
    assert s.head(1).to_list() == ["已完成"]  # the input is left as it was


@pytest.mark.parametrize("formatted_share", [0.1, 0.9])
def test_amounts_the_same_whether_few_or_most_are_formatted(formatted_share):
    """Most amounts formatted ('¥1,234.50') are read over the whole column, a few one by one:
    the same values either way, as parse_amount gives on the normalised text."""
    import random

    rng = random.Random(4)
    odd = ["¥1,234.50", "¥-5.5", " ¥7 ", "￥1,000", "¥1e3", "¥inf", "¥(3)", "¥1,2,3", "RMB 5",
           "¥5.", "", None, "(1,234.50)", "1,234"]
    texts = [rng.choice(odd) if rng.random() < formatted_share else str(rng.randint(-50, 5000))
             for _ in range(5_000)]
    s = pl.Series(texts)
    want = pl.select(ingest.parse_amount(ingest.normalize_text(pl.lit(s)))).to_series()
    assert ingest.parse_amounts(s).to_list() == want.to_list()
