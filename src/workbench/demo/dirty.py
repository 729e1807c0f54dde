"""The dirty export: what real exports contain, injected on purpose, and the truth about it.

Every injected defect is listed in ``truth.json["dirty"]`` with its ids and its
1-based file line (header = line 1), so the cleaning step can be checked against
it (``docs/demo-data.md``).  The defects are drawn from one stream seeded with
``(seed, 404)``, in a fixed order: duplicate customers, defective and duplicated
order rows, formatted amounts, duplicated visits, out-of-scale survey answers.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import polars as pl

from ..transactions import is_cancelled, is_purchase, is_return
from .export import DATETIME_FORMAT, DIRTY_DATE_FORMATS, VISITS_HEADERS_ZH, as_text, csv_bytes
from .hard_cases import hard_customer_cases
from .model import DemoData
from .sampling import canonical
from .vocabulary import SLASH_DATE_CHANNELS

__all__ = ["dirty_files", "n_inject"]

_FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
_ORDER_DEFECTS = ("non_positive_amount", "missing_customer_id", "future_date", "before_founded",
                  "unknown_customer", "unparseable_date", "unparseable_amount")


def n_inject(rows: int, share: float, least: int) -> int:
    """How many defects of a kind to inject: ``share`` of ``rows``, at least ``least``."""
    return max(least, round(rows * share))


def dirty_files(demo: DemoData, seed: int) -> tuple[dict[str, bytes], dict[str, Any], dict[str, int]]:
    """Build the dirty export: returns (file bytes, truth['dirty'], rows written per table)."""
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 404]))
    t = demo.tables
    dirty: dict[str, Any] = {}

    # ---- orders: clean completed + returns + cancelled, as text in the two systems' formats
    orders = pl.concat([t["orders"], demo.cancelled]).sort(["order_date", "order_id"])
    slash = pl.col("channel").is_in(list(SLASH_DATE_CHANNELS))
    kind = (pl.when(is_cancelled()).then(pl.lit("cancelled"))
            .when(is_return()).then(pl.lit("returned")).otherwise(pl.lit("clean")))
    otext = as_text(orders, slash_mask=slash).with_columns(
        orders.select(kind.alias("_kind"))["_kind"], pl.lit(None, dtype=pl.String).alias("_ref"))
    otext, dup_rows, dup_info = _duplicate_customers(rng, demo, orders, otext)
    orders_out, o_dirty = _order_defects(rng, demo, orders, otext, n_dup=len(dup_info))

    # ---- customers: canonical headers, dates as 2024/03/05, duplicates at the end (new ids)
    ctext = as_text(t["customers"], date_fmt=DIRTY_DATE_FORMATS["customers"])
    if dup_rows:
        dups = canonical(pl.DataFrame(dup_rows).with_columns(pl.col("signup_date").cast(pl.Date)),
                         "customers")
        ctext = pl.concat([ctext, as_text(dups, date_fmt=DIRTY_DATE_FORMATS["customers"])])
    # the harder cases come last, from a stream of their own (every row above is unchanged)
    hard_rows, hard = hard_customer_cases(
        np.random.default_rng(np.random.SeedSequence([int(seed), 405])), t["customers"],
        first_number=t["customers"].height + len(dup_info) + 1,
        width=len(t["customers"]["customer_id"][0]) - 1, end=date.fromisoformat(demo.truth["end_date"]))
    ctext = pl.concat([ctext, as_text(hard_rows, date_fmt=DIRTY_DATE_FORMATS["customers"])])
    c_line = {c: i + 2 for i, c in enumerate(ctext["customer_id"].to_list())}
    moved_ids = (orders_out.filter(pl.col("customer_id").is_in([d["duplicate_id"] for d in dup_info]))
                 .group_by("customer_id").agg(pl.col("order_id").unique().sort()))
    moved_of = dict(zip(moved_ids["customer_id"].to_list(), moved_ids["order_id"].to_list(), strict=True))
    for d in dup_info:
        d["line"] = c_line[d["duplicate_id"]]
        d["original_line"] = c_line[d["original_id"]]
        d["order_ids"] = list(moved_of.get(d["duplicate_id"], []))
    for d in hard["hard_duplicates"]:
        d["line"] = c_line[d["duplicate_id"]]
        d["original_line"] = c_line[d["original_id"]]
    for d in hard["non_duplicates"]:
        d["line"] = c_line[d["customer_id"]]
    dirty["customers"] = {"encoding": "utf-8", "date_format": DIRTY_DATE_FORMATS["customers"],
                          "duplicates": dup_info, **hard}
    dirty["orders"] = o_dirty

    visits_out, dirty["visits"] = _visits(rng, t["visits"])

    # ---- complaints: as exported (date-times 2024-03-05 14:30:00)
    complaints_out = as_text(t["complaints"])
    dirty["complaints"] = {"encoding": "utf-8", "datetime_format": DATETIME_FORMAT}

    sv, dirty["surveys"] = _surveys(rng, t["surveys"])

    dirty["expected_reasons"] = {
        "customers": {"duplicate_customer": len(dup_info) + len(hard["hard_duplicates"])},
        "orders": {
            "exact_duplicate": len(o_dirty["exact_duplicates"]),
            "cancelled_order": len(o_dirty["cancelled"]),
            **{k: len(o_dirty[k]) for k in _ORDER_DEFECTS},
        },
        "visits": {"exact_duplicate": len(dirty["visits"]["exact_duplicates"])},
        "surveys": {"invalid_value": len(dirty["surveys"]["invalid_value"])},
        "complaints": {},
    }
    files = {
        "customers.csv": csv_bytes(ctext),
        "orders.csv": csv_bytes(orders_out, bom=True),
        "visits.csv": csv_bytes(visits_out, encoding="gb18030"),
        "complaints.csv": csv_bytes(complaints_out),
        "surveys.csv": csv_bytes(sv),
    }
    rows = {"customers": ctext.height, "orders": orders_out.height, "visits": visits_out.height,
            "complaints": complaints_out.height, "surveys": sv.height}
    return files, dirty, rows


def _duplicate_customers(rng: np.random.Generator, demo: DemoData, orders: pl.DataFrame,
                         otext: pl.DataFrame
                         ) -> tuple[pl.DataFrame, list[dict[str, Any]], list[dict[str, Any]]]:
    """The same person entered twice with variant spellings; some later orders move to the copy.

    Returns the order text with the moved customer ids, the duplicate customer
    records and their truth (without line numbers).
    """
    cust = demo.tables["customers"]
    n = cust.height
    width = len(cust["customer_id"][0]) - 1
    ord_counts = demo.tables["orders"].filter(is_purchase()).group_by("customer_id").len()
    eligible = ord_counts.filter(pl.col("len") >= 2).sort("customer_id")["customer_id"].to_numpy()
    n_dup = min(len(eligible), n_inject(n, 0.01, 3))
    originals = np.sort(rng.choice(eligible, size=n_dup, replace=False)) if n_dup else np.array([], object)
    chosen = pl.Series(originals.astype(str), dtype=pl.String).implode()
    crow = {r["customer_id"]: r for r in cust.filter(pl.col("customer_id").is_in(chosen)).to_dicts()}
    reps = demo.truth["facts"]["sales_reps"]
    dup_rows: list[dict[str, Any]] = []
    dup_info: list[dict[str, Any]] = []
    customer_col = otext["customer_id"].to_numpy().copy()
    purchase_arr = orders.select(is_purchase().alias("p"))["p"].to_numpy()
    date_arr = orders["order_date"].to_numpy()
    # rows of each chosen original, in file order (one pass, not one scan per customer)
    rows_of: dict[str, list[int]] = {str(c): [] for c in originals}
    hits = otext.select(pl.col("customer_id").is_in(chosen))["customer_id"].to_numpy()
    for i in np.flatnonzero(hits):
        rows_of[customer_col[i]].append(int(i))
    for k, orig in enumerate(originals):
        orig = str(orig)
        rec = dict(crow[orig])
        dup_id = f"C{n + k + 1:0{width}d}"
        variants = []
        phone_variant = rng.integers(0, 3)
        if phone_variant == 0:
            rec["phone"] = rec["phone"].translate(_FULLWIDTH)
            variants.append("fullwidth_phone")
        elif phone_variant == 1:
            ph = rec["phone"]
            rec["phone"] = f"{ph[:3]}-{ph[3:7]}-{ph[7:]}"
            variants.append("phone_dashes")
        else:
            rec["phone"] = "+86 " + rec["phone"]
            variants.append("phone_country_code")
        if rec["company"] and rng.random() < 0.8:
            base = rec["company"].removesuffix("有限公司")
            rec["company"] = base + ("有限责任公司" if rng.random() < 0.5 else "(有限公司)")
            variants.append("company_legal_form")
        if rng.random() < 0.5:
            nm = rec["name"]
            rec["name"] = (nm[0] + " " + nm[1:]) if rng.random() < 0.5 else f" {nm}  "
            variants.append("name_spaces")
        if rec["email"] and rng.random() < 0.6:
            rec["email"] = rec["email"].upper()
            variants.append("email_case")
        # the duplicate was entered when the customer ordered a second time
        mine = np.array(rows_of[orig], dtype=np.int64)
        own = mine[purchase_arr[mine]]
        own = own[np.argsort(date_arr[own], kind="stable")]
        second_day = date_arr[own[1]]
        rec["signup_date"] = max(second_day.astype("datetime64[D]").item(), crow[orig]["signup_date"])
        if rng.random() < 0.5:
            rec["sales_rep"] = reps[int(rng.integers(0, len(reps)))]
        later = mine[date_arr[mine] >= np.datetime64(rec["signup_date"])]
        moved = later[rng.random(len(later)) < 0.5]
        if len(moved) == 0:
            moved = later[-1:]
        customer_col[moved] = dup_id
        rec["customer_id"] = dup_id
        dup_rows.append(rec)
        dup_info.append({"duplicate_id": dup_id, "original_id": orig, "variants": variants})
    otext = otext.with_columns(pl.Series("customer_id", customer_col, dtype=pl.String))
    return otext, dup_rows, dup_info


def _order_defects(rng: np.random.Generator, demo: DemoData, orders: pl.DataFrame, otext: pl.DataFrame,
                   n_dup: int) -> tuple[pl.DataFrame, dict[str, Any]]:
    """Extra order rows with exactly one defect each, exact duplicates, formatted amounts.

    Returns the orders file's rows (text) and ``truth["dirty"]["orders"]``.
    """
    n = demo.tables["customers"].height
    width = len(demo.tables["customers"]["customer_id"][0]) - 1
    m = otext.height
    key = np.arange(m, dtype=float)
    plain = orders.filter(~pl.col("order_id").str.ends_with("-R"))["order_id"]
    next_no = [int(plain.str.slice(2).cast(pl.Int64).to_numpy().max()) + 1]
    o_width = len(orders["order_id"][0]) - 2
    buyers = demo.tables["orders"]["customer_id"].unique().sort().to_numpy()
    template = otext.filter(pl.col("_kind") == "clean")

    def new_rows(kind: str, count: int, **override: list[str | None]) -> pl.DataFrame:
        pick = rng.choice(template.height, size=count, replace=False)
        rows = template[pick.tolist()]
        ids = [f"SO{next_no[0] + i:0{o_width}d}" for i in range(count)]
        next_no[0] += count
        rows = rows.with_columns(pl.Series("order_id", ids, dtype=pl.String),
                                 pl.Series("customer_id", rng.choice(buyers, count).astype(str),
                                           dtype=pl.String),
                                 pl.lit(kind).alias("_kind"))
        for col, values in override.items():
            rows = rows.with_columns(pl.Series(col, values, dtype=pl.String))
        return rows

    def some_dates(year_from: int, year_to: int, count: int) -> list[str | None]:
        lo = date(year_from, 1, 1).toordinal()
        hi = date(year_to, 12, 28).toordinal()
        return [date.fromordinal(int(x)).isoformat() for x in rng.integers(lo, hi, count)]

    few = n_inject(m, 0.0008, 2)
    extras = [
        new_rows("non_positive_amount", few, amount=[("0.00" if i % 2 == 0 else f"-{rng.integers(5, 300)}.00")
                                                      for i in range(few)]),
        new_rows("missing_customer_id", few, customer_id=[None] * few),
        new_rows("future_date", few, order_date=some_dates(2099, 2099, few)),
        new_rows("before_founded", few, order_date=some_dates(2015, 2016, few)),
        new_rows("unknown_customer", few, customer_id=[
            f"C{n + n_dup + 5000 + int(x):0{width}d}" for x in rng.choice(10 ** 5, few, replace=False)]),
        new_rows("unparseable_date", 2, order_date=["2024-02-30", "待定"]),
        new_rows("unparseable_amount", 2, amount=["约500元", "N/A"]),
        new_rows("outlier", 2, amount=[f"{x:.2f}" for x in (3_860_000.0, 5_240_000.0)],
                 gross_margin=[None, None], status=["completed", "completed"]),
    ]
    dup_src = rng.choice(np.flatnonzero(otext["_kind"].to_numpy() == "clean"),
                         size=n_inject(m, 0.004, 3), replace=False)
    exact = otext[dup_src.tolist()].with_columns(pl.lit("exact_duplicate").alias("_kind"),
                                                 pl.Series("_ref", otext["order_id"].to_numpy()[dup_src],
                                                           dtype=pl.String))
    extra = pl.concat(extras)
    keys = np.concatenate([key, dup_src + rng.uniform(0.1, 0.9, len(dup_src)) + 0.0,
                           rng.uniform(0, m, extra.height)])
    full = pl.concat([otext, exact, extra]).with_columns(pl.Series("_key", keys))
    full = full.with_row_index("_i").sort(["_key", "_i"]).drop("_i")
    # currency signs and thousands separators in some amounts (value unchanged)
    fmt_mask = (rng.random(full.height) < 0.02) & full["_kind"].is_in(["clean", "returned"]).to_numpy()
    amounts = full["amount"].to_list()
    for i in np.flatnonzero(fmt_mask):
        v = float(amounts[i])
        amounts[i] = f"-¥{abs(v):,.2f}" if v < 0 else f"¥{v:,.2f}"
    full = full.with_columns(pl.Series("amount", amounts, dtype=pl.String))
    line = np.arange(full.height) + 2
    kinds = full["_kind"].to_numpy()
    oid = full["order_id"].to_numpy()
    line_of = {}
    for i in np.flatnonzero(kinds != "exact_duplicate"):
        line_of[oid[i]] = int(line[i])

    def listing(kind: str, extra_cols: tuple[str, ...] = ()) -> list[dict[str, Any]]:
        out = []
        for i in np.flatnonzero(kinds == kind):
            d: dict[str, Any] = {"line": int(line[i]), "order_id": str(oid[i])}
            for c in extra_cols:
                d[c] = full[c][int(i)]
            out.append(d)
        return out

    o_dirty: dict[str, Any] = {
        "encoding": "utf-8-sig", "bom": True,
        "date_formats": DIRTY_DATE_FORMATS["orders"],
        "slash_date_channels": list(SLASH_DATE_CHANNELS),
        "exact_duplicates": [{"line": int(line[i]), "order_id": str(oid[i]),
                              "original_line": line_of[str(oid[i])]}
                             for i in np.flatnonzero(kinds == "exact_duplicate")],
        "cancelled": listing("cancelled"),
        "returned": [{"line": int(line[i]), "order_id": str(oid[i]),
                      "original_order_id": str(oid[i]).removesuffix("-R"),
                      "original_line": line_of[str(oid[i]).removesuffix("-R")]}
                     for i in np.flatnonzero(kinds == "returned")],
    }
    for kind in _ORDER_DEFECTS:
        o_dirty[kind] = listing(kind, ("customer_id", "order_date", "amount"))
    o_dirty["outliers"] = listing("outlier", ("customer_id", "amount"))
    o_dirty["currency_format_lines"] = [int(x) for x in line[fmt_mask]]
    o_dirty["slash_date_lines"] = int(full.filter(pl.col("order_date").str.contains("/")).height)
    return full.drop(["_kind", "_ref", "_key"]), o_dirty


def _visits(rng: np.random.Generator, visits: pl.DataFrame) -> tuple[pl.DataFrame, dict[str, Any]]:
    """The visits file: GB18030, Chinese headers, exact duplicate rows; and its truth."""
    vis = as_text(visits, date_fmt=DIRTY_DATE_FORMATS["visits"])
    vm = vis.height
    vdup = (np.sort(rng.choice(vm, size=min(vm, n_inject(vm, 0.008, 3)), replace=False)) if vm
            else np.array([], int))
    vkeys = np.concatenate([np.arange(vm, dtype=float), vdup + rng.uniform(0.1, 0.9, len(vdup))])
    vfull = pl.concat([vis.with_columns(pl.lit(False).alias("_dup")),
                       vis[vdup.tolist()].with_columns(pl.lit(True).alias("_dup"))])
    vfull = vfull.with_columns(pl.Series("_key", vkeys)).with_row_index("_i").sort(["_key", "_i"])
    vlines = np.arange(vfull.height) + 2
    vdflag = vfull["_dup"].to_numpy()
    vids = vfull["visit_id"].to_numpy()
    v_line_of = {vids[i]: int(vlines[i]) for i in np.flatnonzero(~vdflag)}
    truth = {
        "encoding": "gb18030", "headers": VISITS_HEADERS_ZH, "date_format": DIRTY_DATE_FORMATS["visits"],
        "exact_duplicates": [{"line": int(vlines[i]), "visit_id": str(vids[i]),
                              "original_line": v_line_of[vids[i]]} for i in np.flatnonzero(vdflag)],
    }
    return vfull.drop(["_i", "_key", "_dup"]).rename(VISITS_HEADERS_ZH), truth


def _surveys(rng: np.random.Generator, surveys: pl.DataFrame) -> tuple[pl.DataFrame, dict[str, Any]]:
    """The surveys file with a few answers outside the scales (NPS 11, CSAT 0); and its truth."""
    sv = as_text(surveys, date_fmt=DIRTY_DATE_FORMATS["surveys"])
    nbad = 2
    if not sv.height:
        return sv, {"encoding": "utf-8", "invalid_value": []}
    pick = rng.choice(sv.height, size=nbad, replace=False)
    last = int(surveys["survey_id"].str.slice(2).cast(pl.Int64).to_numpy().max())
    sw = len(surveys["survey_id"][0]) - 2
    bad = sv[pick.tolist()].with_columns(
        pl.Series("survey_id", [f"SV{last + 1 + i:0{sw}d}" for i in range(nbad)], dtype=pl.String),
        pl.Series("nps", ["11", "7"], dtype=pl.String),
        pl.Series("csat", ["4", "0"], dtype=pl.String))
    pos = np.sort(rng.choice(sv.height + nbad, size=nbad, replace=False))
    skeys = np.concatenate([np.arange(sv.height, dtype=float), pos - 0.5])
    sv = pl.concat([sv, bad]).with_columns(pl.Series("_key", skeys)).sort("_key").drop("_key")
    slines = {s: i + 2 for i, s in enumerate(sv["survey_id"].to_list())}
    return sv, {"encoding": "utf-8", "invalid_value": [
        {"line": slines[s], "survey_id": s, "column": c, "value": v}
        for s, c, v in zip(bad["survey_id"].to_list(), ["nps", "csat"], ["11", "0"], strict=True)]}
