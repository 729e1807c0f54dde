"""Guessing a source entry from an export: how to read it, which header is which column,
the date format, line-level orders, derived fields and presets.

Every guess is made from the file itself (its first lines and a sample of its values) and
the header vocabulary (``headers.yaml``, a data table, not code); what cannot be decided is
said, never guessed (day/month order when every day is 12 or less, unknown status labels).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from .. import schema
from ..config import SourceSpec
from ..ingest import detect_encoding, parse_categories, read
from ..sources import PRESETS, preset

__all__ = ["Guess", "guess_source", "header_key", "vocabulary"]

_SAMPLE_ROWS = 20_000
_KEY = re.compile(r"[\s_\-./()（）:]+")


def header_key(h: str) -> str:
    """A header compared the vocabulary's way: lower case, without spaces and punctuation."""
    return _KEY.sub("", str(h).strip().lower())


@cache
def vocabulary() -> Mapping[str, Any]:
    """``headers.yaml``: per table, per canonical column, the usual headers (best first)."""
    text = resources.files("workbench.onboarding").joinpath("headers.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    assert isinstance(data, Mapping)
    return data


@dataclass
class Guess:
    """What :func:`guess_source` found for one file.

    Attributes:
        entry: the source entry to write (keys of ``sources.<table>``).
        notes: the comment of each key (why it was guessed).
        guessed: what was guessed, in plain words (printed by ``workbench init``).
        undecided: what could not be decided (printed, and written as comments).
    """

    table: str
    entry: dict[str, Any] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    guessed: list[str] = field(default_factory=list)
    undecided: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- reading


def _separator(lines: list[str]) -> str | None:
    """The field separator of text lines (the candidate giving the same field count > 1 on
    most lines), ``whitespace`` for space-aligned files, None when nothing fits."""
    best, score = None, 0
    for sep in (",", ";", "\t", "|"):
        counts = [len(ln.split(sep)) for ln in lines if ln.strip()]
        if not counts or max(counts) < 2:
            continue
        modal = max(set(counts), key=counts.count)
        agree = sum(c == modal for c in counts)
        if modal > 1 and agree > score:
            best, score = sep, agree
    if best is None:
        counts = [len(ln.split()) for ln in lines if ln.strip()]
        if counts and min(counts) > 1:
            return "whitespace"
    return best


def _header_row(lines: list[str], sep: str) -> int:
    """Rows above the header: title lines of fewer fields than the table below them."""
    def width(ln: str) -> int:
        return len(ln.split()) if sep == "whitespace" else len(ln.split(sep))
    widths = [width(ln) for ln in lines if ln.strip()]
    if not widths:
        return 0
    modal = max(set(widths[1:] or widths), key=(widths[1:] or widths).count)
    for i, w in enumerate(widths):
        if w == modal:
            return i
    return 0


def _read_sample(path: Path, table: str, g: Guess) -> pl.DataFrame:
    fmt = {".xlsx": "excel", ".xlsm": "excel", ".xls": "excel", ".parquet": "parquet",
           ".pq": "parquet", ".tsv": "tsv"}.get(path.suffix.lower(), "csv")
    if fmt == "excel":
        import fastexcel  # imported here: only Excel exports need it

        sheets = fastexcel.read_excel(str(path)).sheet_names
        frames = [pl.read_excel(path, sheet_name=s, engine="calamine", infer_schema_length=0)
                  for s in sheets]
        same = [s for s, f in zip(sheets, frames, strict=True) if f.columns == frames[0].columns]
        if len(same) > 1:
            g.entry["sheets"] = same
            g.guessed.append(f"{path.name}: sheets {', '.join(same)} have the same headers: "
                             f"stacked")
        elif len(sheets) > 1:
            g.entry["sheet"] = sheets[0]
            g.undecided.append(f"{path.name}: sheets {', '.join(sheets)} differ; reading "
                               f"'{sheets[0]}' (set sheet: or sheets:)")
        return pl.concat([f for s, f in zip(sheets, frames, strict=True) if s in same]
                         or frames[:1], how="diagonal_relaxed")
    if fmt == "parquet":
        return pl.read_parquet(path, n_rows=_SAMPLE_ROWS).cast(pl.String)
    enc = detect_encoding(path)
    with open(path, encoding=enc, errors="replace", newline="") as fh:
        head = [next(fh, "") for _ in range(30)]
    head = [ln.rstrip("\r\n") for ln in head if ln]
    sep = "\t" if fmt == "tsv" else _separator(head)
    if sep is None:
        sep = ","
    g.entry["encoding"] = enc
    g.guessed.append(f"{path.name}: encoding {enc}")
    if sep != ",":
        g.entry["separator"] = sep
        g.guessed.append(f"{path.name}: fields separated by {sep!r}")
    skip = _header_row(head, sep)
    if skip:
        g.entry["skip_rows"] = skip
        g.guessed.append(f"{path.name}: {skip} title row(s) above the header")
    spec = SourceSpec(table=table, path=path, format=fmt, encoding=enc,
                      separator=sep if fmt != "tsv" else "\t", skip_rows=skip)
    tmp = path.parent
    if sep == "whitespace":
        df, _ = read._read_csv(spec, table, tmp)
        return df.head(_SAMPLE_ROWS)
    df, _ = read._read_csv(spec, table, tmp)
    return df.head(_SAMPLE_ROWS)


# --------------------------------------------------------------------------- mapping


def _map_headers(headers: list[str], table: str, line_level_ok: bool) -> dict[str, str]:
    """{header: canonical column} from the vocabulary: each column takes its best-ranked
    header, each header feeds one column."""
    vocab = vocabulary()[table]
    keys = {header_key(h): h for h in headers}
    out: dict[str, str] = {}
    for column, aliases in vocab.items():
        if not line_level_ok and table == "orders" and column in ("unit_price", "discount"):
            pass
        for alias in aliases:
            h = keys.get(header_key(alias))
            if h is not None and h not in out:
                out[h] = column
                break
    return out


# --------------------------------------------------------------------------- dates

_DATE_PARTS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日", "%d/%m/%Y",
               "%m/%d/%Y", "%d.%m.%Y", "%d-%m-%Y", "%m-%d-%Y")
_TIME_PARTS = ("", " %H:%M:%S", " %H:%M", "T%H:%M:%S", " %H:%M:%S %z", "T%H:%M:%S%z",
               " %H:%M:%S%.f")


def _date_formats(values: pl.Series, dtype: Any) -> tuple[list[str], list[str]]:
    """The formats that read every value (``formats``) and the day/month pairs that both
    read them all (``ambiguous``)."""
    vals = values.drop_nulls().str.strip_chars().unique().head(5000)
    vals = vals.filter(vals != "")
    if vals.len() == 0:
        return [], []
    fits = []
    for d in _DATE_PARTS:
        for t in _TIME_PARTS:
            fmt = d + t
            target = pl.Datetime("us") if "%z" not in fmt else pl.Datetime("us", "UTC")
            try:
                parsed = vals.str.strptime(target, fmt, strict=False)
            except pl.exceptions.PolarsError:
                continue
            if parsed.null_count() == 0:
                fits.append(fmt)
    if not fits:
        return [], []
    day_first = [f for f in fits if f.startswith(("%d/", "%d.", "%d-"))]
    month_first = [f for f in fits if f.startswith(("%m/", "%m-"))]
    if day_first and month_first:
        return [], [day_first[0], month_first[0]]
    return fits[:1], []


# --------------------------------------------------------------------------- the guess


def _preset_for(headers: list[str]) -> str | None:
    keys = {header_key(h) for h in headers}
    best, share = None, 0.0
    for name in PRESETS:
        expects = [header_key(h) for h in preset(name).get("expects") or []]
        if not expects:
            continue
        s = sum(e in keys for e in expects) / len(expects)
        if s > share:
            best, share = name, s
    return best if share >= 0.6 else None


def _floats(s: pl.Series) -> bool:
    v = s.drop_nulls()
    v = v.filter(v.str.strip_chars() != "")
    hits = int(v.str.contains(r"^\s*\d+\.0+\s*$").sum())
    return v.len() > 0 and hits > 0.95 * v.len()


def guess_source(path: Path, table: str, preset_name: str | None = None) -> Guess:
    """Guess ``sources.<table>`` for the export at ``path`` (see the module doc)."""
    g = Guess(table)
    df = _read_sample(path, table, g)
    headers = list(df.columns)
    name = preset_name or (_preset_for(headers) if table == "orders" else None)
    from_preset: dict[str, str] = {}
    if name is not None:
        p = preset(name)
        g.entry["preset"] = name
        g.guessed.append(f"{path.name}: looks like a {name} export (preset {name}: "
                         f"{' '.join(str(p.get('description', '')).split()[:12])} ...)")
        src = p.get("source") or {}
        keys = {header_key(h): h for h in headers}
        for h, c in (src.get("columns") or {}).items():
            if header_key(h) in keys:
                from_preset[keys[header_key(h)]] = c
    mapping = _map_headers(headers, table, True)
    # The preset's mapping wins; the vocabulary adds what the preset does not map.
    taken = set(from_preset.values())
    extra = {h: c for h, c in mapping.items() if h not in from_preset and c not in taken}
    columns = {**from_preset, **extra}
    canon = {c: h for h, c in columns.items()}
    if extra:
        g.entry["columns"] = extra
    for h, c in columns.items():
        g.guessed.append(f"{path.name}: '{h}' -> {c}")
    ignored = [h for h in headers if h not in columns]
    if ignored:
        g.undecided.append(f"{path.name}: not used: {', '.join(ignored)}")
    derive: dict[str, Any] = {}
    src = preset(name).get("source") or {} if name else {}
    pre_derive = src.get("derive") or {}
    if table == "orders":
        _orders(df, canon, g, derive, pre_derive, bool(src.get("lines")))
    _dates(df, table, canon, g)
    spec = schema.get(table)
    missing = [c for c in spec.required if c not in canon and c not in derive
               and c not in pre_derive]
    for c in missing:
        g.undecided.append(f"{path.name}: no header found for the required column {c}; map it "
                           f"in columns ({{'<header>': {c}}})")
    if derive:
        g.entry["derive"] = derive
    return g


def _orders(df: pl.DataFrame, canon: dict[str, str], g: Guess, derive: dict[str, Any],
            pre_derive: Mapping[str, Any], preset_lines: bool) -> None:
    """Line-level orders and derived fields of an orders export."""
    key = canon.get("order_id")
    if key is not None and not preset_lines:
        ids = df.get_column(key).drop_nulls()
        if ids.len() and ids.n_unique() < ids.len() and (
                "product_id" in canon or "product_name" in canon or "unit_price" in canon):
            g.entry["lines"] = {"order_key": "order_id"}
            g.guessed.append(f"'{key}' repeats across rows with products: one row per order "
                             f"line, grouped into orders by {key}")
    if key is None and "order_id" not in pre_derive:
        derive["order_id"] = {"row_number": True}
        g.guessed.append("no order number: each row is one order, numbered by its line")
    if "amount" not in canon and "amount" not in pre_derive and "quantity" in canon \
            and "unit_price" in canon:
        derive["amount"] = {"multiply": ["quantity", "unit_price"]}
        if "discount" in canon:
            derive["amount"]["minus"] = "discount"
        g.guessed.append("no amount column: amount = quantity x unit_price"
                         + (" - discount" if "discount" in canon else ""))
    cid = canon.get("customer_id")
    if cid is not None and "customer_id" not in pre_derive and _floats(df.get_column(cid)):
        derive["customer_id"] = {"whole_number": True}
        g.guessed.append(f"'{cid}' writes ids as floats (17850.0): read as whole numbers")
    if "status" in pre_derive:
        return
    status = canon.get("status")
    if status is None:
        rules: list[dict[str, Any]] = []
        if key is not None:
            ids = df.get_column(key).drop_nulls()
            if bool(ids.str.starts_with("C").any()) and not bool(ids.str.starts_with("C").all()):
                rules.append({"column": "order_id", "starts_with": "C", "then": "cancelled"})
                g.guessed.append(f"'{key}' starting with C: a cancellation (cancelled; use "
                                 f"then: returned to count them as returns)")
        qty = canon.get("quantity")
        if qty is not None and bool(df.get_column(qty).str.strip_chars().str.starts_with("-")
                                    .any()):
            rules.append({"column": "quantity", "below": 0, "then": "returned"})
            g.guessed.append("a negative quantity: a return")
        derive["status"] = {"rules": rules, "default": "completed"} if rules \
            else {"default": "completed"}
        if not rules:
            g.guessed.append("no status column: every order completed")
        return
    values = df.get_column(status).drop_nulls().unique().head(200)
    known = vocabulary()["status_values"]
    mapped = {v: known[v.strip().lower()] for v in values if v.strip().lower() in known}
    rest = values.filter(~values.is_in(list(mapped)))
    typed = parse_categories(rest, "status", schema.ORDER_STATUSES)
    unknown = rest.filter(typed.is_null()).to_list()
    if mapped:
        derive["status"] = {"map": mapped, "default": "completed"}
        g.guessed.append(f"statuses {', '.join(f'{k}={v}' for k, v in mapped.items())}")
    if unknown:
        g.undecided.append(f"status values {', '.join(map(str, unknown[:10]))} are not known: "
                           f"rows with them are quarantined invalid_value until you add them "
                           f"to derive.status.map")


def _dates(df: pl.DataFrame, table: str, canon: dict[str, str], g: Guess) -> None:
    spec = schema.get(table)
    found: dict[str, list[str]] = {"date_format": [], "datetime_format": []}
    for c in spec.columns:
        if c.name not in canon or c.dtype not in (pl.Date, pl.Datetime("us")):
            continue
        h = canon[c.name]
        fits, ambiguous = _date_formats(df.get_column(h).cast(pl.String), c.dtype)
        key = "date_format" if c.dtype == pl.Date else "datetime_format"
        if ambiguous:
            g.undecided.append(f"'{h}': every day is 12 or less, so day and month cannot be "
                               f"told apart: set {key} to {ambiguous[0]!r} (day first) or "
                               f"{ambiguous[1]!r} (month first)")
            g.notes[key] = f"AMBIGUOUS: {ambiguous[0]!r} or {ambiguous[1]!r}? choose one"
        elif fits:
            found[key] += [f for f in fits if f not in found[key]]
            g.guessed.append(f"'{h}': dates written {fits[0]}")
        else:
            g.undecided.append(f"'{h}': no date format reads every value; set {key}")
    for key, fmts in found.items():
        if fmts:
            g.entry[key] = fmts[0] if len(fmts) == 1 else fmts
