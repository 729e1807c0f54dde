"""Spreadsheets people open: no text cell is ever a live formula, numbers stay numbers."""

from __future__ import annotations

import csv
from datetime import date

import openpyxl
import polars as pl
import pytest

from workbench import exports
from workbench.errors import UsageError

HOSTILE = ["=1+1", "+SUM(1+1)*cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\t=1", "\r=1",
           "=HYPERLINK(\"http://x\",\"y\")", "plain", "a=b", "华东贸易"]


def _frame() -> pl.DataFrame:
    n = len(HOSTILE)
    return pl.DataFrame({
        "company": HOSTILE,
        "amount": [-120.5] + [float(i) for i in range(1, n)],
        "orders": list(range(n)),
        "day": [date(2026, 1, i + 1) for i in range(n)],
        "reasons": [["=bad", "ok"]] + [["ok"]] * (n - 1),
        "note": [None] * n,
    }, schema_overrides={"note": pl.String})


def test_neutralise():
    assert exports.neutralise("=1+1") == "'=1+1" and exports.neutralise("-5") == "'-5"
    assert exports.neutralise("a=b") == "a=b" and exports.neutralise(-5) == -5
    assert exports.neutralise(None) is None


def test_csv_has_no_formula_text_and_keeps_numbers(tmp_path):
    path = exports.write_csv(_frame(), tmp_path / "list.csv", headers={"company": "=公司"})
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert rows[0][0] == "'=公司"
    for cell in (r[0] for r in rows[1:]):
        assert not cell.startswith(exports.FORMULA_PREFIXES), cell
    assert rows[1][0] == "'=1+1" and rows[8][0] == "plain" and rows[9][0] == "a=b"
    assert rows[1][1] == "-120.5"  # a real negative number is a number
    assert rows[1][4] == "'=bad; ok" and rows[1][5] == ""


def test_xlsx_cells_are_never_formulas(tmp_path):
    out = exports.write_table(_frame(), tmp_path / "list", sheet="预警/名单:[1]")
    assert set(out) == {"csv", "xlsx"} and out["xlsx"].suffix == ".xlsx"
    book = openpyxl.load_workbook(out["xlsx"])
    ws = book.worksheets[0]
    assert ws.title == "预警_名单__1_"
    cells = [c for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    texts = [c.value for c in cells if isinstance(c.value, str)]
    assert not [t for t in texts if t.startswith(exports.FORMULA_PREFIXES)]
    assert ws["A2"].value == "'=1+1"
    assert ws["B2"].value == -120.5 and ws["B2"].data_type == "n"
    assert ws["C3"].value == 1 and ws["D2"].is_date


def test_bad_arguments(tmp_path):
    with pytest.raises(UsageError, match="not csv or xlsx"):
        exports.write_table(_frame(), tmp_path / "x", formats=("pdf",))
    with pytest.raises(UsageError, match="2 headers for 6 columns"):
        exports.write_csv(_frame(), tmp_path / "x.csv", headers=["a", "b"])
    assert not list(tmp_path.iterdir())  # nothing half-written


# Formula-like after blanks a program may trim, in full-width forms, or with a control first.
TRICKY = [" =1+1", "\u3000=cmd|' /C calc'!A0", "\u00a0@SUM(1)", "\ufeff=1", "\u200b+1", "＝1+1",
          "－1+1", "＠SUM(1)", "＋1", "\tfoo", "\nfoo", "\rfoo", " \t -1+1"]
HARMLESS = [" hello", "a=b", "", "  ", "'=1+1", "x\n=1", "华东贸易", "1-2", "C000001"]


def test_neutralise_blanks_full_width_and_controls():
    for value in TRICKY:
        assert exports.is_formula_like(value), repr(value)
        assert exports.neutralise(value) == "'" + value  # the text read after ' is unchanged
        assert exports.neutralise(exports.neutralise(value)) == "'" + value  # idempotent
    for value in HARMLESS:
        assert not exports.is_formula_like(value) and exports.neutralise(value) == value, repr(value)
    assert not exports.is_formula_like(-5) and exports.neutralise(-1.5) == -1.5


def test_frame_and_value_rules_agree():
    values = TRICKY + HARMLESS + HOSTILE
    out = exports.safe_frame(pl.DataFrame({"t": values}))["t"].to_list()
    assert out == [exports.neutralise(v) for v in values]


def test_every_text_cell_is_checked_whatever_its_column_type(tmp_path):
    from decimal import Decimal

    import pandas as pd

    frame = pd.DataFrame({"obj": pd.Series(["=1+1", " @x", "ok"], dtype=object),
                          "cat": pd.Categorical(["+1", "b", "＝2"]),
                          "money": [Decimal("-12.50"), Decimal("3.10"), Decimal("0")]})
    out = exports.write_table(frame, tmp_path / "t")
    rows = list(csv.reader(out["csv"].read_text(encoding="utf-8-sig").splitlines()))
    assert [r[0] for r in rows[1:]] == ["'=1+1", "' @x", "ok"]
    assert [r[1] for r in rows[1:]] == ["'+1", "b", "'＝2"]
    assert rows[1][2] == "-12.50"  # a decimal amount is a number
    ws = openpyxl.load_workbook(out["xlsx"]).worksheets[0]
    assert [ws.cell(r, 1).value for r in (2, 3, 4)] == ["'=1+1", "' @x", "ok"]
    assert ws["C2"].value == -12.5 and ws["C2"].data_type == "n"
    assert not [c for row in ws.iter_rows() for c in row if c.data_type == "f"]
