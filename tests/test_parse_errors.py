"""CSV/TSV parse errors: every message names the line (physical, counting the header and
``skip_rows``), lines that cannot be split into fields are quarantined ``unparseable_line``
with their raw text, and a file that cannot be read reliably is refused naming its first
bad line.  Real files in tmp_path, through ``workbench clean``."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import yaml

from workbench import cli, ingest
from workbench.config import SourceSpec

HEADER = "订单编号,客户编号,下单日期,金额,订单状态,备注"


def _rows(n: int, start: int = 1) -> list[str]:
    return [f"SO{i},C{1 + i % 3},2024-03-{i:02d},{10 * i},completed,ok" for i in range(start, start + n)]


def _project(tmp_path: Path, orders: bytes | str, **orders_opts) -> Path:
    raw = tmp_path / "raw"
    raw.mkdir(exist_ok=True)
    (raw / "customers.csv").write_text("客户编号,客户名称,注册日期\nC1,张伟,2020-01-01\n"
                                       "C2,李娜,2020-02-01\nC3,王芳,2020-03-01\n", encoding="utf-8")
    data = orders.encode("utf-8") if isinstance(orders, str) else orders
    (raw / "orders.csv").write_bytes(data)
    cfg = {"company": {"founded": "2019-01-01"}, "paths": {"processed": "processed"},
           "sources": {"customers": {"path": "raw/customers.csv"},
                       "orders": {"path": "raw/orders.csv", **orders_opts}}}
    path = tmp_path / "workbench.yaml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    return path


def _clean(tmp_path: Path, capsys) -> tuple[int, str]:
    code = cli.main(["clean", "--config", str(tmp_path / "workbench.yaml")])
    return code, capsys.readouterr().err


def _outputs(tmp_path: Path) -> tuple[dict, pl.DataFrame, pl.DataFrame]:
    out = tmp_path / "processed"
    ledger = json.loads((out / "ledger.json").read_text(encoding="utf-8"))
    return (ledger, pl.read_parquet(out / "quarantine.parquet").filter(pl.col("table") == "orders"),
            pl.read_parquet(out / "orders.parquet"))


def _nothing_written(tmp_path: Path) -> bool:
    out = tmp_path / "processed"
    return not (out / "ledger.json").exists()


def test_extra_field_is_quarantined_with_its_line_and_text(tmp_path, capsys):
    # Two preamble lines (skip_rows), the header on line 3: data lines start at 4.
    bad = "SO5,C2,2024-03-05,50,completed,Smith, John"
    lines = ["导出时间 2024-04-01", "门店: 全部", HEADER, *_rows(4), bad, *_rows(3, 6),
             "SO9,C1,2024-13-45,90,completed,ok", *_rows(11, 10)]
    _project(tmp_path, "\n".join(lines) + "\n", skip_rows=2)
    code, err = _clean(tmp_path, capsys)
    assert code == 0, err
    ledger, q, orders = _outputs(tmp_path)
    e = ledger["orders"]
    assert (e["rows_in"], e["rows_kept"], e["rows_quarantined"]) == (20, 18, 2)
    assert e["rows_in"] == e["rows_kept"] + e["rows_quarantined"] + e["rows_merged"]
    assert e["reasons"] == {"unparseable_date": 1, "unparseable_line": 1}
    assert e["amount_unparsed_rows"] == 1  # the bad line's amount is unknown: counted 0
    assert e["amount_in"] == e["amount_kept"] + e["amount_quarantined"] == \
        sum(10 * i for i in range(1, 21) if i != 5)
    row = q.filter(pl.col("reason") == "unparseable_line").row(0, named=True)
    assert row["line"] == 8 and row["source"].endswith("orders.csv")
    assert json.loads(row["record"]) == {"line_text": bad}
    assert "7 fields where the header has 6" in row["detail"] and "line 8" in row["detail"]
    # The lines after the bad one keep their physical numbers.
    assert q.filter(pl.col("reason") == "unparseable_date")["line"].to_list() == [12]
    assert "SO5" not in orders["order_id"].to_list() and orders.height == 18


def test_unclosed_quote_is_refused_naming_the_line_it_opened(tmp_path, capsys):
    lines = [HEADER, *_rows(3), 'SO4,C1,2024-03-04,40,completed,"长期客户', *_rows(5, 5)]
    _project(tmp_path, "\n".join(lines) + "\n")
    code, err = _clean(tmp_path, capsys)
    assert code == 3
    assert "orders.csv: line 5: a quote (\") opens a field that is never closed" in err
    assert "lines 5-10" in err and _nothing_written(tmp_path)


def test_a_quote_inside_a_value_is_kept_and_a_quoted_line_break_counts_lines(tmp_path, capsys):
    # A quote in the middle of a value is text (polars refuses it, the scan reads it); a
    # quoted note over two lines makes the later lines' numbers physical.
    lines = [HEADER, 'SO1,C1,2024-03-01,10,completed,屏幕 27"', 'SO2,C2,2024-03-02,20,completed,"第一行',
             '第二行"', "SO3,C3,2024-03-03,xx,completed,ok", *_rows(3, 4)]
    _project(tmp_path, "\n".join(lines) + "\n")
    code, err = _clean(tmp_path, capsys)
    assert code == 0, err
    ledger, q, orders = _outputs(tmp_path)
    assert ledger["orders"]["rows_in"] == 6 and ledger["orders"]["rows_kept"] == 5
    assert q.select("line", "reason").rows() == [(5, "unparseable_amount")]


def test_a_quote_that_swallows_rows_is_refused(tmp_path, capsys):
    lines = [HEADER, *_rows(2), 'SO3,C1,2024-03-03,30,completed,"备注', *_rows(2, 4)[:1],
             'SO5,C2,2024-03-05,50,completed,ok"', *_rows(3, 6)]
    _project(tmp_path, "\n".join(lines) + "\n")
    code, err = _clean(tmp_path, capsys)
    assert code == 3 and "line 4: a quote" in err and "lines 4-6" in err
    assert "ambiguous" in err and _nothing_written(tmp_path)


def test_semicolon_file_read_with_the_default_separator_names_the_setting(tmp_path, capsys):
    text = "\n".join(line.replace(",", ";") for line in [HEADER, *_rows(4)]) + "\n"
    text = text.replace(";ok\n", ";ok, fine\n", 1)  # a comma in one value: widths disagree
    _project(tmp_path, text)
    code, err = _clean(tmp_path, capsys)
    assert code == 3
    assert "the file looks ';'-separated" in err
    assert "set `separator: ';'` under sources.orders" in err and _nothing_written(tmp_path)
    # a file read as one column says the same
    _project(tmp_path, "\n".join(line.replace(",", ";") for line in [HEADER, *_rows(4)]) + "\n")
    code, err = _clean(tmp_path, capsys)
    assert code == 3 and "set `separator: ';'` under sources.orders" in err
    _project(tmp_path, text, separator=";")
    code, err = _clean(tmp_path, capsys)
    assert code == 0, err
    assert _outputs(tmp_path)[0]["orders"]["rows_kept"] == 4


def test_nul_byte_quarantines_the_line(tmp_path, capsys):
    lines = [HEADER, *_rows(6), "SO7,C\x001,2024-03-07,70,completed,ok", *_rows(5, 8)]
    _project(tmp_path, ("\n".join(lines) + "\n").encode("utf-8-sig"))  # with a BOM
    code, err = _clean(tmp_path, capsys)
    assert code == 0, err
    ledger, q, orders = _outputs(tmp_path)
    assert (ledger["orders"]["rows_in"], ledger["orders"]["rows_kept"]) == (12, 11)
    row = q.row(0, named=True)
    assert (row["line"], row["reason"]) == (8, "unparseable_line")
    assert "line 8: holds a NUL byte (\\0) in field 2 (客户编号)" in row["detail"]
    assert json.loads(row["record"])["line_text"] == "SO7,C\x001,2024-03-07,70,completed,ok"
    assert "SO7" not in orders["order_id"].to_list()


def test_nul_in_the_header_is_refused(tmp_path, capsys):
    lines = [HEADER.replace("金额", "金\x00额"), *_rows(30)]
    _project(tmp_path, "\n".join(lines) + "\n")
    code, err = _clean(tmp_path, capsys)
    assert code == 3 and "line 1 (the header) cannot be read" in err and "NUL" in err


def test_gb18030_file_with_an_extra_field_keeps_line_numbers(tmp_path, capsys):
    bad = "SO4,C1,2024-03-04,40,completed,北京,朝阳区"
    lines = [HEADER, *_rows(3), bad, *_rows(3, 5), "SO8,C2,2024-03-08,-5,completed,退货?",
             *_rows(4, 9)]
    _project(tmp_path, ("\r\n".join(lines) + "\r\n").encode("gb18030"))
    code, err = _clean(tmp_path, capsys)
    assert code == 0, err
    ledger, q, _ = _outputs(tmp_path)
    assert ledger["orders"]["encoding"] == "gb18030"
    assert (ledger["orders"]["rows_in"], ledger["orders"]["rows_kept"]) == (12, 10)
    assert q.select("line", "reason").rows() == [(5, "unparseable_line"),
                                                 (9, "non_positive_amount")]
    assert json.loads(q["record"][0]) == {"line_text": bad}


def test_every_line_bad_is_refused_naming_the_first(tmp_path, capsys):
    lines = [HEADER, *[r + ",x" for r in _rows(5)]]
    _project(tmp_path, "\n".join(lines) + "\n")
    code, err = _clean(tmp_path, capsys)
    assert code == 3
    assert "5 of 5 lines cannot be parsed" in err
    assert "the first is line 2: 7 fields where the header has 6" in err
    assert _nothing_written(tmp_path)


def test_too_many_bad_lines_are_refused(tmp_path, capsys):
    # 3 bad lines of 50: more than 1 % (at least one line may always be set aside)
    rows = _rows(50)
    for i in (9, 19, 29):
        rows[i] += ",x"
    _project(tmp_path, "\n".join([HEADER, *rows]) + "\n")
    code, err = _clean(tmp_path, capsys)
    assert code == 3 and "3 of 50 lines cannot be parsed" in err and "line 11" in err


def test_clean_files_take_the_fast_path(tmp_path):
    # One row per physical line and no NUL byte: the rows are numbered from the first data
    # line and nothing is set aside.
    path = tmp_path / "orders.csv"
    path.write_text("\n".join([HEADER, *_rows(5)]) + "\n", encoding="utf-8")
    rt = ingest.read_source(SourceSpec(table="orders", path=path))
    assert rt.unparseable is None and rt.frame["_line"].to_list() == [2, 3, 4, 5, 6]
    assert ingest.scan.line_stats(path) == (6, None)


def test_report_masks_the_raw_text_of_an_unparseable_line():
    from workbench.clean import present

    q = pl.DataFrame({"table": ["orders"], "reason": ["unparseable_line"], "source": ["/x/o.csv"],
                      "line": [8], "detail": ["line 8: 7 fields where the header has 6"],
                      "record": [json.dumps({"line_text": "SO5,张伟,13812345678"},
                                            ensure_ascii=False)]})
    masked = present.quarantine_examples(q)
    assert json.loads(masked["record"][0]) == {"line_text": "S" + "*" * 17}
    assert json.loads(present.quarantine_examples(q, show_pii=True)["record"][0]) == \
        {"line_text": "SO5,张伟,13812345678"}
    assert present.label("unparseable_line", "en") == "Unreadable line"


def test_the_share_of_unparseable_lines_is_configurable(tmp_path, capsys):
    rows = _rows(50)
    for i in (9, 19, 29):
        rows[i] += ",x"
    _project(tmp_path, "\n".join([HEADER, *rows]) + "\n", max_unparseable=0.1)
    code, err = _clean(tmp_path, capsys)
    assert code == 0, err
    ledger, q, _ = _outputs(tmp_path)
    bad = q.filter(pl.col("reason") == "unparseable_line")
    assert bad["line"].to_list() == [11, 21, 31] and ledger["orders"]["rows_in"] == 50
    e = ledger["orders"]
    assert e["rows_kept"] + e["rows_quarantined"] == 50 and e["reasons"]["unparseable_line"] == 3
    _project(tmp_path, "\n".join([HEADER, *_rows(5), _rows(1, 6)[0] + ",x"]) + "\n",
             max_unparseable=0)
    code, err = _clean(tmp_path, capsys)
    assert code == 3 and "1 of 6 lines cannot be parsed" in err and "max_unparseable: 0" in err
    _project(tmp_path, "\n".join([HEADER, *_rows(5)]) + "\n", max_unparseable=2)
    code, err = _clean(tmp_path, capsys)
    assert code == 2 and "sources.orders.max_unparseable: 2 is not a share" in err


def test_line_level_source_counts_the_unparseable_line_in_the_order_lines_ledger(tmp_path, capsys):
    lines = [HEADER, "SO1,C1,2024-03-01,10,completed,a", "SO1,C1,2024-03-01,5,completed,b",
             "SO2,C2,2024-03-02,7,completed,a,extra", "SO2,C2,2024-03-02,8,completed,b",
             *[f"SO{i},C3,2024-03-{i:02d},{i},completed,a" for i in range(3, 12)]]
    _project(tmp_path, "\n".join(lines) + "\n", lines={"order_key": "order_id"})
    code, err = _clean(tmp_path, capsys)
    assert code == 0, err
    out = tmp_path / "processed"
    ledger = json.loads((out / "ledger.json").read_text(encoding="utf-8"))
    e = ledger["order_lines"]
    assert (e["rows_in"], e["rows_kept"], e["rows_quarantined"]) == (13, 12, 1)
    assert e["reasons"] == {"unparseable_line": 1}
    assert e["amount_in"] == e["amount_kept"] + e["amount_quarantined"] == 15 + 8 + sum(range(3, 12))
    q = pl.read_parquet(out / "quarantine.parquet").filter(pl.col("table") == "order_lines")
    assert q.select("line", "reason").rows() == [(4, "unparseable_line")]
    assert ledger["orders"]["rows_in"] == 11  # SO2 built from its one good line


def test_invalid_utf8_after_the_sample_names_the_line(tmp_path, capsys):
    # The first megabyte is UTF-8, so the file is read as UTF-8; a GBK line further down is
    # named by its line.
    rows = _rows(1)[0]
    n = 1024 * 1024 // len(rows) + 10
    text = "\n".join([HEADER, *[rows] * n]).encode("utf-8") + b"\n"
    _project(tmp_path, text + "SO9,C1,2024-03-09,90,completed,北京\n".encode("gbk"))
    code, err = _clean(tmp_path, capsys)
    assert code == 3 and f"line {n + 2} is not valid UTF-8 text" in err
    assert "sources.orders.encoding" in err
