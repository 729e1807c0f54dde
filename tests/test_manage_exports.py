"""The management lists' files: CSV text column-wise as csv.writer writes it, XLSX up to a size."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

import polars as pl
import pytest

from workbench import exports, manage
from workbench.errors import ConfigError


def _row_by_row(df: pl.DataFrame) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(df.columns)
    for row in df.iter_rows():
        w.writerow([exports._cell(v) for v in row])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def test_csv_is_the_row_by_row_text(tmp_path):
    df = pl.DataFrame({
        "customer_id": ["C1", "C2", "C3", "C4"],
        "company": ['Acme, "East"', "=HYPERLINK(1)", None, "two\nlines"],
        "clv": [1234.5, 1e-05, float("nan"), None],
        "orders": [3, None, 0, -2],
        "flagged": [True, False, None, True],
        "due": [date(2026, 11, 1), None, date(2027, 2, 28), date(2026, 12, 31)],
        "opened_at": [datetime(2026, 10, 2, 9, 30), datetime(2026, 10, 2, 9, 30, 0, 5), None,
                      datetime(2026, 1, 1)],
    })
    path = exports.write_table(df, tmp_path / "list", formats=("csv",))["csv"]
    data = path.read_bytes()
    assert data == _row_by_row(exports.safe_frame(df))
    lines = data.decode("utf-8-sig").split("\r\n")
    assert lines[1] == 'C1,"Acme, ""East""",1234.5,3,True,2026-11-01,2026-10-02 09:30:00'
    assert lines[2] == "C2,'=HYPERLINK(1),1e-05,,False,,2026-10-02 09:30:00.000005"
    assert lines[3] == "C3,,,0,,2027-02-28,"


def test_lists_longer_than_xlsx_max_rows_are_csv_only():
    st = manage.ManagementSettings()
    assert st.xlsx_max_rows == 100_000
    assert st.export_formats(100_000) == ("csv", "xlsx")
    assert st.export_formats(100_001) == ("csv",)
    assert manage.ManagementSettings.from_mapping({"xlsx_max_rows": 0}).export_formats(1) == ("csv",)
    with pytest.raises(ConfigError, match="xlsx_max_rows"):
        manage.ManagementSettings.from_mapping({"xlsx_max_rows": 2_000_000})


def test_the_csv_only_note_names_each_list_once():
    assert manage.csv_only_note([], "en", 100_000) is None
    note = manage.csv_only_note(["customer_360", "care_plan_Li", "care_plan_Wang", "claim_list"],
                                "en", 100_000)
    assert note == ("These lists have more than 100,000 rows and are written as CSV only "
                    "(no XLSX): care_plan, claim_list, customer_360")
