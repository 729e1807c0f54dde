"""Canonical schema: good tables pass, bad tables report every problem at once."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest

from workbench import schema

ROOT = Path(__file__).resolve().parents[1]


def _orders(**overrides) -> pl.DataFrame:
    data = {
        "order_id": ["o1", "o2", "o3"],
        "customer_id": ["c1", "c1", "c2"],
        "order_date": [date(2025, 1, 2), date(2025, 2, 3), date(2025, 3, 4)],
        "amount": [120.0, 80.5, -20.0],
        "status": ["completed", "completed", "returned"],
    }
    data.update(overrides)
    return schema.conform(pl.DataFrame(data).with_columns(pl.col("amount").cast(pl.Float64)),
                          "orders")


def test_every_table_has_its_key_as_required_unique_column():
    for name, spec in schema.TABLES.items():
        key = spec.column(spec.key)
        assert key.required and key.unique and not key.nullable, name
    assert set(schema.TABLES) == {"customers", "orders", "visits", "complaints", "surveys"}


def test_valid_orders_have_no_problem():
    df = _orders()
    assert schema.validate(df, "orders") == []
    assert schema.ensure_valid(df, "orders") is df
    assert df.columns[:4] == ["order_id", "customer_id", "order_date", "amount"]
    assert df["quantity"].dtype == pl.Int64 and df["quantity"].null_count() == 3


def test_every_problem_is_reported_at_once():
    bad = pl.DataFrame({
        "order_id": ["o1", "o1", "o3"],
        "order_date": [date(2025, 1, 2)] * 3,
        "amount": ["12", "13", "14"],
        "status": ["completed", "lost", None],
        "quantity": [1, -2, 3],
        "colour": ["red", "blue", "green"],
    })
    problems = schema.validate(bad, "orders")
    kinds = sorted((p.kind, p.column) for p in problems)
    assert kinds == [
        ("duplicate_key", "order_id"),
        ("missing_column", "customer_id"),
        ("missing_value", "status"),
        ("not_allowed", "status"),
        ("out_of_range", "quantity"),
        ("unknown_column", "colour"),
        ("wrong_type", "amount"),
    ]
    by_kind = {p.kind: p for p in problems}
    assert "'customer_id'" in by_kind["missing_column"].message
    assert "'lost'" in by_kind["not_allowed"].message
    assert by_kind["duplicate_key"].rows == 2 and by_kind["duplicate_key"].examples == ("o1",)
    with pytest.raises(schema.SchemaError) as err:
        schema.ensure_valid(bad, "orders", source="orders.csv")
    assert "7 problem(s) in orders.csv" in str(err.value)
    assert len(err.value.problems) == 7


def test_survey_ranges_and_datetime_columns():
    surveys = pl.DataFrame({
        "survey_id": ["s1", "s2"], "customer_id": ["c1", "c2"],
        "survey_date": [date(2025, 1, 1)] * 2, "nps": [10, 11], "csat": [0, 5],
    })
    problems = schema.validate(surveys, "surveys")
    assert [(p.kind, p.column, p.rows) for p in problems] == [
        ("out_of_range", "nps", 1), ("out_of_range", "csat", 1)]
    complaints = schema.conform(pl.DataFrame({
        "complaint_id": ["k1"], "customer_id": ["c1"],
        "opened_at": [datetime(2025, 1, 1, 9, 30)],
    }), "complaints")
    assert schema.validate(complaints, "complaints") == []


def test_unknown_table_is_named():
    with pytest.raises(KeyError, match="unknown table 'order'.*customers, orders"):
        schema.get("order")


def test_data_model_page_is_current():
    page = (ROOT / "docs" / "data-model.md").read_text(encoding="utf-8")
    assert page.strip() == schema.describe_markdown().strip(), (
        "docs/data-model.md is out of date: regenerate it with "
        "python -c 'from workbench import schema; print(schema.describe_markdown())' > docs/data-model.md"
    )
