"""The examples on real public data run through `workbench clean` as documented."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import polars as pl
import pytest
from test_onboarding import _invoice_lines

from workbench import cli, datasets

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _copy(name: str, tmp_path: Path) -> Path:
    folder = tmp_path / name
    shutil.copytree(EXAMPLES / name, folder)
    return folder


@pytest.mark.slow
def test_cdnow_example_cleans_the_master_file(tmp_path):
    folder = _copy("cdnow", tmp_path)
    datasets.copy_cdnow_master(folder)
    assert cli.main(["clean", "--config", str(folder / "workbench.yaml")]) == 0
    out = folder / "data" / "processed"
    ledger = json.loads((out / "ledger.json").read_text(encoding="utf-8"))
    assert ledger["orders"]["rows_in"] == 69_659
    assert ledger["orders"]["reasons"] == {"non_positive_amount": 80}
    assert ledger["orders"]["rows_kept"] == 69_579
    assert ledger["orders"]["amount_kept"] == pytest.approx(2_500_315.63, abs=0.005)
    assert ledger["customers"]["rows_in"] == ledger["customers"]["rows_kept"] == 23_570
    assert ledger["customers"]["derived_from"] == "orders"
    assert set(ledger["absent"]) == {"visits", "complaints", "surveys"}
    customers = pl.read_parquet(out / "customers.parquet")
    assert customers["signup_date"].max().isoformat() <= "1997-03-31"  # the Q1 1997 cohort


def test_invoice_lines_example(tmp_path):
    folder = _copy("invoice-lines", tmp_path)
    expect = _invoice_lines(folder / "Online Retail.csv")
    assert cli.main(["clean", "--config", str(folder / "workbench.yaml")]) == 0
    out = folder / "data" / "processed"
    ledger = json.loads((out / "ledger.json").read_text(encoding="utf-8"))
    lines = ledger["order_lines"]
    assert lines["rows_in"] == expect["lines"] == lines["rows_kept"] + lines["rows_quarantined"]
    assert ledger["orders"]["rows_in"] == len(expect["orders"])
    assert round(ledger["orders"]["amount_kept"] * 100) == expect["kept_cents"]
