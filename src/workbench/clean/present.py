"""Presentation of the cleaning: the ledger, reasons, merges and sources as tables for a
reader, the plain-language sentences (:func:`narrative`), the step's key results
(:func:`key_results`) and :func:`localize` for display.

Text lives in the house's one store (:mod:`workbench.i18n`, room ``cleaning``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import polars as pl

from .. import i18n, privacy
from ..formatting import currency_symbol, fmt_int, fmt_pct
from .ledger import CleanResult
from .rules import DUPLICATE_KEYS, REASONS, TABLE_ORDER
from .text import ROOM

__all__ = ["format_ledger", "key_results", "label", "ledger_frame", "localize", "merges_frame",
           "narrative", "orders_note", "quarantine_examples", "reasons_frame", "sources_frame",
           "summary_text"]


def label(key: str, lang: str = "en") -> str:
    """The label of a cleaning column, reason or table (``table.<name>``) in ``lang``."""
    return i18n.t(key, lang, room=ROOM)


def _ledger(result: CleanResult | Mapping[str, Any]) -> Mapping[str, Any]:
    return result.ledger if isinstance(result, CleanResult) else result


def _tables(ledger: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {t: e for t, e in ledger.items() if isinstance(e, Mapping) and "rows_in" in e}


def _money(value: float, currency: str) -> str:
    """An exact amount (the ledger reconciles to the cent): '¥1,234.50'."""
    return f"{currency_symbol(currency)}{value:,.2f}"


def format_ledger(ledger: Mapping[str, Any]) -> str:
    """The ledger as a plain-text table for the terminal."""
    head = f"{'table':<11}{'rows in':>10}{'kept':>10}{'quarant.':>10}{'merged':>8}  reasons"
    lines = [head, "-" * len(head)]
    for table, e in ledger.items():
        if not isinstance(e, Mapping) or "rows_in" not in e:
            continue
        reasons = ", ".join(f"{r} {n}" for r, n in (e.get("reasons") or {}).items())
        lines.append(f"{table:<11}{e['rows_in']:>10,}{e['rows_kept']:>10,}"
                     f"{e['rows_quarantined']:>10,}{e['rows_merged']:>8,}  {reasons}")
        if "amount_in" in e:
            lines.append(f"{'':<11}amount in {e['amount_in']:,.2f} = kept {e['amount_kept']:,.2f}"
                         f" + quarantined {e['amount_quarantined']:,.2f}")
    return "\n".join(lines)


def ledger_frame(ledger: Mapping[str, Any]) -> pl.DataFrame:
    """Rows in/kept/quarantined/merged per table (codes; :func:`localize` labels them)."""
    rows = []
    for table, e in ledger.items():
        if isinstance(e, Mapping) and "rows_in" in e:
            rows.append({"table": table, "rows_in": e["rows_in"],
                         "rows_kept": e["rows_kept"], "rows_quarantined": e["rows_quarantined"],
                         "rows_merged": e["rows_merged"]})
    df = pl.DataFrame(rows, schema={"table": pl.String, "rows_in": pl.Int64, "rows_kept": pl.Int64,
                                    "rows_quarantined": pl.Int64, "rows_merged": pl.Int64})
    return df


def reasons_frame(ledger: Mapping[str, Any], lang: str = "en") -> pl.DataFrame:
    """One row per (table, reason) with its row count, largest first within each table.

    Columns: ``table, reason`` (codes), ``label`` (the reason in ``lang``), ``rows``.
    """
    rows = [{"table": t, "reason": r, "label": label(r, lang), "rows": int(n)}
            for t, e in ledger.items() if isinstance(e, Mapping)
            for r, n in (e.get("reasons") or {}).items()]
    return pl.DataFrame(rows, schema={"table": pl.String, "reason": pl.String,
                                      "label": pl.String, "rows": pl.Int64})


def merges_frame(merge_log: pl.DataFrame, customers: pl.DataFrame | None = None,
                 show_pii: bool = False, lang: str = "en") -> pl.DataFrame:
    """The merge log for a reader: duplicate id, kept id, matched fields (labels in ``lang``),
    with the kept customer's name (masked unless ``show_pii``) when ``customers`` is given."""
    df = merge_log.select("duplicate_id", "kept_id", "matched_on", "line")
    df = df.with_columns(pl.col("matched_on").str.split(",").list.eval(
        pl.element().replace_strict({k: label(k, lang) for k in DUPLICATE_KEYS},
                                    default=pl.element())).list.join(", "))
    if customers is not None and "name" in customers.columns:
        names = privacy.mask_frame(customers.select("customer_id", "name"), show_pii)
        df = df.join(names.rename({"customer_id": "kept_id"}), on="kept_id", how="left",
                     maintain_order="left")
    return df


def sources_frame(ledger: Mapping[str, Any]) -> pl.DataFrame:
    """One row per source read: table, file (name only, with #sheet), encoding, rows, and the
    source headers that were not used."""
    rows = []
    for t, e in ledger.items():
        if not isinstance(e, Mapping):
            continue
        on_engine = isinstance(e.get("read_on_engine"), Mapping)
        for src in e.get("sources") or []:
            label = str(src["label"])
            # A database or the engine's source is named whole; a file by its name.
            name = label if on_engine or label.startswith(("sqlite", "duckdb", "postgres",
                                                           "mysql")) \
                else Path(label.split("#")[0]).name + (f"#{label.split('#', 1)[1]}"
                                                       if "#" in label else "")
            rows.append({"table": t, "source": name, "encoding": src["encoding"],
                         "rows": int(src["rows"]),
                         "ignored_columns": ", ".join(e.get("ignored_columns") or [])})
    df = pl.DataFrame(rows, schema={"table": pl.String, "source": pl.String,
                                    "encoding": pl.String, "rows": pl.Int64,
                                    "ignored_columns": pl.String})
    return df


def summary_text(ledger: Mapping[str, Any], lang: str = "en", currency: str = "CNY") -> str:
    """A plain-language paragraph (Markdown) on what cleaning did, with the numbers."""
    tabs = _tables(ledger)
    rin = sum(e["rows_in"] for e in tabs.values())
    kept = sum(e["rows_kept"] for e in tabs.values())
    per_reason: dict[str, int] = {}
    for e in tabs.values():
        for r, n in (e.get("reasons") or {}).items():
            if r != "duplicate_customer":
                per_reason[r] = per_reason.get(r, 0) + int(n)
    top = sorted(per_reason.items(), key=lambda x: (-x[1], x[0]))[:3]
    top_txt = i18n.t("reason_sep", lang, room=ROOM).join(
        f"{label(r, lang)} ({fmt_int(n)})" for r, n in top) or "-"
    text = i18n.say("summary", lang, room=ROOM, rows_in=fmt_int(rin), kept=fmt_int(kept),
                    share=fmt_pct(kept / rin if rin else 1.0),
                    quarantined=fmt_int(sum(e["rows_quarantined"] for e in tabs.values())),
                    merged=fmt_int(sum(e["rows_merged"] for e in tabs.values())), top=top_txt)
    o = tabs.get("orders", {})
    if "amount_in" in o:
        text += i18n.say("summary_amounts", lang, room=ROOM,
                         amount_in=_money(o["amount_in"], currency),
                         amount_kept=_money(o["amount_kept"], currency),
                         amount_quarantined=_money(o["amount_quarantined"], currency))
    return text


def orders_note(ledger: Mapping[str, Any], lang: str = "en") -> str:
    """One sentence on the order-specific counts: unreadable amounts, returns, outliers."""
    o = ledger.get("orders") or {}
    return i18n.say("orders_note", lang, room=ROOM,
                    unparsed=fmt_int(int(o.get("amount_unparsed_rows", 0))),
                    negated=fmt_int(int(o.get("returns_negated", 0))),
                    repointed=fmt_int(int(o.get("repointed", 0))),
                    outliers=fmt_int(int(o.get("outliers", 0))))


def narrative(result: CleanResult | Mapping[str, Any], lang: str = "en",
              currency: str = "CNY") -> dict[str, str]:
    """The sentences of the data-quality story: ``summary`` (rows in and out, the top
    reasons, the order amounts reconciled) and ``orders`` (the order-specific counts).

    ``result`` is a :class:`CleanResult` or its ledger (``ledger.json`` as a dict).
    """
    ledger = _ledger(result)
    return {"summary": summary_text(ledger, lang, currency), "orders": orders_note(ledger, lang)}


def key_results(result: CleanResult | Mapping[str, Any]) -> dict[str, Any]:
    """The step's results for the manifest: each table's ledger entry (counts, reasons and,
    for orders, amounts), without the machine-specific source paths."""
    return {t: json.loads(json.dumps({k: v for k, v in e.items() if k != "sources"}))
            for t, e in _tables(_ledger(result)).items()}


def localize(df: pl.DataFrame, lang: str = "en", digits: int = 2) -> pd.DataFrame:
    """A table ready to display: pandas, headers, table names and reason codes in ``lang``,
    floats rounded to ``digits``, missing text shown empty."""
    if "reason" in df.columns:
        df = df.with_columns(pl.col("reason").replace_strict(
            {r: label(r, lang) for r in REASONS}, default=pl.col("reason")))
    if "table" in df.columns:
        df = df.with_columns(pl.col("table").replace_strict(
            {t: label(f"table.{t}", lang) for t in TABLE_ORDER}, default=pl.col("table")))
    df = df.with_columns(pl.col(pl.Float64).round(digits), pl.col(pl.String).fill_null(""))
    return df.to_pandas().rename(columns={c: label(c, lang) for c in df.columns})


def _mask_record(record: str, show_pii: bool) -> str:
    if show_pii or not record:
        return record
    data = json.loads(record)
    maskers = {"name": privacy.mask_name, "phone": privacy.mask_phone, "email": privacy.mask_email}
    for k, f in maskers.items():
        if isinstance(data.get(k), str):
            data[k] = f(data[k])
    if isinstance(data.get("line_text"), str):  # an unparseable line: any field may be personal
        data["line_text"] = privacy.mask_name(data["line_text"])
    return json.dumps(data, ensure_ascii=False)


def quarantine_examples(quarantine: pl.DataFrame, per_reason: int = 2,
                        show_pii: bool = False) -> pl.DataFrame:
    """A few quarantined rows per (table, reason), personal data masked unless ``show_pii``.

    The source is shown as its file name only.
    """
    if quarantine.height == 0:
        return quarantine.select("table", "reason", "source", "line", "detail", "record")
    ex = (quarantine.sort(["table", "reason", "source", "line"])
          .group_by(["table", "reason"], maintain_order=True).head(per_reason))
    return ex.select(
        "table", "reason",
        pl.col("source").map_elements(lambda s: Path(s.split("#")[0]).name
                                      + (f"#{s.split('#')[1]}" if "#" in s else ""),
                                      return_dtype=pl.String),
        "line", "detail",
        pl.col("record").map_elements(lambda r: _mask_record(r, show_pii), return_dtype=pl.String))


def dedupe_text(info: Mapping[str, Any], review_pairs: int, show_pii: bool = False,
                lang: str = "en") -> str:
    """One line on how duplicates were decided: the method (and why it fell back to exact
    keys), the placeholder phones and e-mails found (masked unless ``show_pii``) and the size
    of the review queue."""
    masks = {"phone": privacy.mask_phone, "email": privacy.mask_email}
    found = [str(v if show_pii else masks[f](v)) for f, values in (info.get("placeholders") or {}).items()
             for v in values if f in masks]
    text = i18n.say("dedupe_line", lang, ROOM, method=info.get("dedupe", "exact"),
                    placeholders=", ".join(found) or i18n.t("dedupe_none", lang, ROOM),
                    review=review_pairs)
    fallback = info.get("fallback")
    return f"{text}\n\n{fallback}" if fallback else text
