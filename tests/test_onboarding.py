"""workbench init on generated exports (invoice lines, Shopify), then workbench clean on the
configuration it wrote, without edits: the ledger balances to the line and to the cent."""

from __future__ import annotations

import csv
import json
import random
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from workbench import cli, config
from workbench.errors import ConfigError


def _invoice_lines(path: Path, seed: int = 5) -> dict:
    """An export shaped like the public Online Retail file; returns what the tests expect."""
    rnd = random.Random(seed)
    rows, expect = [], {"lines": 0, "missing": 0, "cancel_lines": 0, "orders": set(),
                        "kept_cents": 0, "customers": set()}
    for n in range(400):
        cancel = rnd.random() < 0.1
        no = ("C" if cancel else "") + str(536365 + n)
        cust = None if rnd.random() < 0.25 else rnd.randint(12000, 12150)
        when = f"{rnd.randint(1, 12)}/{rnd.randint(13, 28)}/2011 {rnd.randint(8, 18)}:{rnd.randint(0, 59):02d}"
        for j in range(rnd.randint(1, 5)):
            qty = rnd.randint(1, 24) * (-1 if cancel else 1)
            price = rnd.choice(["2.55", "3.39", "0.85", "1.25", "12.75"])
            rows.append([no, f"8512{j}A", f"WHITE HANGING HEART {j}", qty, when, price,
                         f"{cust}.0" if cust else "", "United Kingdom"])
            expect["lines"] += 1
            if cust is None:
                expect["missing"] += 1
            elif cancel:
                expect["cancel_lines"] += 1
            else:
                expect["orders"].add(no)
                expect["customers"].add(str(cust))
                expect["kept_cents"] += int(Decimal(qty) * Decimal(price) * 100)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate",
                    "UnitPrice", "CustomerID", "Country"])
        w.writerows(rows)
    return expect


def _shopify(path: Path, seed: int = 9) -> dict:
    """Shopify's orders export: order fields only on an order's first line item."""
    rnd = random.Random(seed)
    head = ["Name", "Email", "Financial Status", "Created at", "Lineitem quantity",
            "Lineitem name", "Lineitem price", "Lineitem sku", "Lineitem discount", "Total",
            "Billing City"]
    rows, expect = [], {"lines": 0, "orders": set(), "kept_cents": 0, "cancelled": 0}
    for n in range(150):
        status = rnd.choice(["paid"] * 6 + ["refunded", "voided", "partially_refunded"])
        email = f"buyer{rnd.randint(1, 60)}@example.com"
        created = f"2024-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d} 10:{n % 60:02d}:00 +0800"
        items = []
        for _ in range(rnd.randint(1, 3)):
            items.append((rnd.randint(1, 3), rnd.choice(["19.90", "5.00", "129.00"]),
                          rnd.choice(["0.00", "0.00", "2.50"])))
        total = sum(Decimal(q) * Decimal(p) - Decimal(d) for q, p, d in items)
        for i, (q, p, d) in enumerate(items):
            first = i == 0
            rows.append([f"#{1001 + n}", email, status if first else "", created, q,
                         f"Tee {i}", p, f"SKU-{i}", d, str(total) if first else "",
                         "Hangzhou" if first else ""])
            expect["lines"] += 1
        if status in ("refunded", "voided"):
            expect["cancelled"] += len(items)
        else:
            expect["orders"].add(f"#{1001 + n}")
            expect["kept_cents"] += int(total * 100)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(head)
        w.writerows(rows)
    return expect


def _init_and_clean(tmp_path: Path, export: Path, capsys) -> tuple[dict, Path]:
    out = tmp_path / "workbench.yaml"
    assert cli.main(["init", "--orders", str(export), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "guessed:" in printed
    assert cli.main(["clean", "--config", str(out)]) == 0
    processed = tmp_path / "data" / "processed"
    return json.loads((processed / "ledger.json").read_text(encoding="utf-8")), processed


def test_init_then_clean_invoice_lines(tmp_path, capsys):
    export = tmp_path / "Online Retail.csv"
    expect = _invoice_lines(export)
    ledger, processed = _init_and_clean(tmp_path, export, capsys)
    text = (tmp_path / "workbench.yaml").read_text(encoding="utf-8")
    assert "preset: invoice-lines" in text and "%m/%d/%Y %H:%M" in text
    lines = ledger["order_lines"]
    assert lines["rows_in"] == expect["lines"]
    assert lines["rows_in"] == lines["rows_kept"] + lines["rows_quarantined"]
    assert lines["reasons"] == {"missing_customer_id": expect["missing"],
                                "cancelled_order": expect["cancel_lines"]}
    assert lines["amount_in"] == pytest.approx(lines["amount_kept"] + lines["amount_quarantined"],
                                               abs=0.001)
    orders = ledger["orders"]
    assert orders["rows_in"] == lines["orders_built"] == len(expect["orders"])
    assert round(orders["amount_in"] * 100) == round(lines["amount_kept"] * 100) \
        == expect["kept_cents"]
    clean_orders = pl.read_parquet(processed / "orders.parquet")
    assert set(clean_orders["order_id"]) == expect["orders"]
    assert round(clean_orders["amount"].sum() * 100) == expect["kept_cents"]
    q = pl.read_parquet(processed / "quarantine.parquet").filter(pl.col("table") == "order_lines")
    assert q.filter(pl.col("reason") == "missing_customer_id").height == expect["missing"]
    assert q.filter(pl.col("reason") == "cancelled_order")["record"].str.contains('"C').all()
    customers = pl.read_parquet(processed / "customers.parquet")
    assert set(customers["customer_id"]) == expect["customers"]  # 17850.0 -> 17850
    assert set(customers["province"]) == {"United Kingdom"}
    first = clean_orders.group_by("customer_id").agg(pl.col("order_date").min())
    assert customers.join(first, on="customer_id").filter(
        pl.col("signup_date") != pl.col("order_date")).height == 0
    order_lines = pl.read_parquet(processed / "order_lines.parquet")
    assert order_lines.height == lines["rows_kept"]
    assert set(ledger["absent"]) == {"visits", "complaints", "surveys"}
    assert not (processed / "visits.parquet").exists()


def test_init_then_clean_shopify(tmp_path, capsys):
    export = tmp_path / "orders_export.csv"
    expect = _shopify(export)
    ledger, processed = _init_and_clean(tmp_path, export, capsys)
    assert "preset: shopify-orders" in (tmp_path / "workbench.yaml").read_text(encoding="utf-8")
    lines = ledger["order_lines"]
    assert lines["rows_in"] == expect["lines"]
    assert lines["reasons"] == {"cancelled_order": expect["cancelled"]}
    orders = pl.read_parquet(processed / "orders.parquet")
    assert set(orders["order_id"]) == expect["orders"]
    assert round(orders["amount"].sum() * 100) == expect["kept_cents"]  # sum of Total
    assert ledger["orders"]["rows_in"] == len(expect["orders"])
    assert set(pl.read_parquet(processed / "customers.parquet")["city"]) == {"Hangzhou"}


def test_init_refuses_to_overwrite_and_states_ambiguous_dates(tmp_path, capsys):
    export = tmp_path / "orders.csv"
    export.write_text("订单编号,客户编号,下单日期,金额\nA1,C1,03/04/2024,10\nA2,C2,05/06/2024,12\n",
                      encoding="utf-8")
    out = tmp_path / "workbench.yaml"
    out.write_text("keep: me\n", encoding="utf-8")
    assert cli.main(["init", "--orders", str(export), "--out", str(out)]) == 2
    assert out.read_text(encoding="utf-8") == "keep: me\n"
    assert cli.main(["init", "--orders", str(export), "--out", str(out), "--force"]) == 0
    printed = capsys.readouterr().out
    assert "day and month cannot be told apart" in printed
    text = out.read_text(encoding="utf-8")
    assert "'%d/%m/%Y'" in text and "'%m/%d/%Y'" in text and "status: {default: completed}" in text


@pytest.mark.parametrize("entry, message", [
    ({"skip_rows": "two"}, "sources.orders.skip_rows: 'two' is not a whole number"),
    ({"columns": ["a", "b"]}, "sources.orders.columns: ['a', 'b'] is not a mapping"),
    ({"path": ["a.csv"]}, "sources.orders.path: ['a.csv'] is not a file path"),
    ({"derive": {"amount": {"multiply": ["quantity", "price"]}}},
     "sources.orders.derive.amount.multiply[1]: 'price' is not a number column"),
    ({"derive": {"status": {"map": {"paid": "won"}}}},
     "sources.orders.derive.status.map.paid: 'won' is not one of completed, cancelled, returned"),
    ({"derive": {"status": {"rules": [{"column": "order_id", "then": "cancelled"}]}}},
     "needs exactly one test"),
    ({"preset": "sap-orders"}, "preset 'sap-orders' is unknown"),
    ({"lines": {"order_key": "InvoiceNo"}}, "sources.orders.lines.order_key: 'InvoiceNo'"),
])
def test_source_type_errors_name_the_key(tmp_path, entry, message):
    with pytest.raises(ConfigError, match=None) as err:
        config.from_dict({"sources": {"orders": {"path": "a.csv", **entry}}}, tmp_path)
    assert message in str(err.value)
    assert err.value.exit_code == 2


def _read(tmp_path: Path, text: str, **entry) -> pl.DataFrame:
    from workbench import ingest

    (tmp_path / "o.csv").write_text(text, encoding="utf-8")
    cfg = config.from_dict({"sources": {"orders": {"path": "o.csv", **entry}}}, tmp_path)
    return ingest.read_source(cfg.sources["orders"]).frame


def test_derived_fields_on_text(tmp_path):
    df = _read(tmp_path, "单号,客户,日期,数量,单价,折扣,状态\n"
                         "A1,0017850,2024-01-02,3,2.55,,已完成\nA2,17850.0,2024-01-03,2,x,,paid\n"
                         "CA3,12,2024-01-04,-1,5,0.5,已退货\nA4,13,2024-01-05,1,10,1,lost\n",
               columns={"单号": "order_id", "客户": "customer_id", "日期": "order_date",
                        "数量": "quantity", "单价": "unit_price", "折扣": "discount",
                        "状态": "status"},
               lines={"order_key": "order_id"},
               derive={"amount": {"multiply": ["quantity", "unit_price"], "minus": "discount"},
                       "customer_id": {"whole_number": True, "strip_zeros": True},
                       "status": {"rules": [{"column": "order_id", "starts_with": "c",
                                             "then": "cancelled"}],
                                  "map": {"PAID": "completed"}},
                       "channel": {"constant": "online"}})
    assert df["customer_id"].to_list() == ["17850", "17850", "12", "13"]
    assert df["amount"].to_list() == ["7.65", "2 x x", "-5.5", "9.0"]
    # rules first, then the map (case-insensitive), else the value as read (coercion translates
    # 已完成; 'lost' is quarantined invalid_value there)
    assert df["status"].to_list() == ["已完成", "completed", "cancelled", "lost"]
    assert set(df["channel"]) == {"online"}


def test_file_shape_errors_name_the_problem(tmp_path):
    from workbench.errors import DataError

    with pytest.raises(DataError, match=r"'客户' appears twice \(columns 2 and 3\)"):
        _read(tmp_path, "单号,客户,客户\nA1,C1,C2\n")
    with pytest.raises(DataError, match="separated by ';'.*separator: ';'"):
        _read(tmp_path, "订单编号;客户编号\nA1;C1\n")
    df = _read(tmp_path, "A1  C1   2024-01-02  10.5\nA2  C2   2024-01-03  3\n",
               separator="whitespace", column_names=["order_id", "customer_id", "order_date",
                                                     "amount"], derive={"status": {"default": "completed"}})
    assert df["amount"].to_list() == ["10.5", "3"] and df["_line"].to_list() == [1, 2]
