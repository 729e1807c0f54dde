"""Hostile inputs: a CRM export whose every text holds a script or a spreadsheet formula.

The small clean demo is rewritten so that every text column (names, companies, sales
reps, provinces, cities, industries, channels, product and complaint categories, visit
outcomes) holds one of the attacks below, keeping ids, dates, amounts and the
categorical codes the schema checks.  Then the real ``workbench clean`` and the whole
``workbench report`` run once (papermill + nbconvert), and every page and spreadsheet
they wrote is inspected:

- no page holds a ``<script>`` element, an event-handler attribute or a ``javascript:``
  URL, and the attacks do show, escaped, as text (``&lt;script&gt;``);
- every page carries the Content-Security-Policy;
- no CSV or XLSX cell is a live formula or formula-like text.
"""

from __future__ import annotations

import csv
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import polars as pl
import pytest
import yaml

from workbench import cli, demo, exports, report
from workbench.plots.tables import SCRIPT as TABLE_SCRIPT
from workbench.report.render import CONTENT_SECURITY_POLICY, SORTABLE_CONTENT_SECURITY_POLICY

ATTACKS = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "=cmd|' /C calc'!A0",
           "@SUM(1+1)", "+1+1", "-1+1"]

# Text columns rewritten per raw file; ids, dates, amounts and checked codes are kept.
HOSTILE_COLUMNS = {
    "customers": ["name", "company", "province", "city", "industry", "channel", "sales_rep"],
    "orders": ["product_category", "channel"],
    "visits": ["sales_rep", "outcome"],
    "complaints": ["category"],
}


def _hostile(raw: Path) -> None:
    """Rewrite the text columns of the demo's CSVs: row i gets attack i mod 6 (with the row
    number, so names stay distinct), and a few rows get the attack after blanks."""
    for table, columns in HOSTILE_COLUMNS.items():
        path = raw / f"{table}.csv"
        df = pl.read_csv(path, infer_schema_length=0)
        n = df.height
        attack = pl.Series([ATTACKS[i % len(ATTACKS)] for i in range(n)])
        suffix = pl.Series([f" {i}" for i in range(n)])
        df = df.with_columns(
            (attack + suffix).alias(c) if c in ("name", "company") else attack.alias(c)
            for c in columns if c in df.columns)
        df.write_csv(path)


class _Tags(HTMLParser):
    """Every start tag of a page with its attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {k.lower(): (v or "") for k, v in attrs}))

    handle_startendtag = handle_starttag


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    """(project root, reports folder, exit codes) of clean + report on the hostile data."""
    root = tmp_path_factory.mktemp("hostile")
    raw = root / "raw"
    demo.write_demo(out=raw, customers=300, seed=3, dirty=False)
    _hostile(raw)
    cfg = demo.config_for(raw, processed_dir=root / "processed", reports_dir=root / "reports",
                          dirty=False)
    cfg["report"]["show_pii"] = True  # names unmasked: every attack reaches the pages
    path = root / "workbench.yaml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False), encoding="utf-8")
    codes = (cli.main(["clean", "--config", str(path)]),
             cli.main(["report", "--config", str(path)]))
    return root, root / "reports", codes


@pytest.mark.slow
def test_hostile_data_runs_through(hostile_run):
    root, reports, codes = hostile_run
    assert codes == (0, 0)
    customers = pl.read_parquet(root / "processed" / "customers.parquet")
    assert customers.height > 250  # the attacks are text, not reasons to drop a customer
    assert set(customers["sales_rep"].drop_nulls()) <= set(ATTACKS)
    folder = next(p for p in reports.iterdir() if p.is_dir() and not p.name.startswith(("_", ".")))
    assert json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["status"] == "ok"


@pytest.mark.slow
def test_no_page_runs_anything_from_the_data(hostile_run):
    _root, reports, _codes = hostile_run
    pages = sorted(reports.rglob("*.html"))
    names = {p.name for p in pages}
    assert {"index.html", "02_segmentation.html", "03_clv.html", "04_churn.html",
            "05_service.html"} <= names
    shown = {}
    for page in pages:
        text = page.read_text(encoding="utf-8")
        # A page with sortable tables runs exactly the one fixed table script, allowed by its
        # hash; it is taken out first, so any other script fails the checks below.
        sortable = f"<script>{TABLE_SCRIPT}</script>" in text
        text = text.replace(f"<script>{TABLE_SCRIPT}</script>", "", 1)
        parser = _Tags()
        parser.feed(text)
        where = page.relative_to(reports).as_posix()
        assert not [t for t, _ in parser.tags if t in ("script", "iframe", "object", "embed",
                                                       "form", "base")], where
        handlers = [(t, a) for t, attrs in parser.tags for a in attrs if a.startswith("on")]
        assert not handlers, f"{where}: {handlers[:3]}"
        urls = [v for _, attrs in parser.tags for k, v in attrs.items() if k in ("href", "src")]
        assert not [u for u in urls if u.strip().lower().startswith(("javascript:", "vbscript:"))]
        assert not [u for u in urls if u.startswith("data:") and not u.startswith("data:image/png")]
        assert not re.search(r"<script", text, flags=re.I), where
        csp = [a for t, a in parser.tags if t == "meta"
               and a.get("http-equiv", "").lower() == "content-security-policy"]
        policy = SORTABLE_CONTENT_SECURITY_POLICY if sortable else CONTENT_SECURITY_POLICY
        assert [a["content"] for a in csp] == [policy], where
        shown[page.name] = text.count("&lt;script&gt;alert(1)&lt;/script&gt;")
    # The attacks reached the tables and sentences, as visible text.
    for name in ("02_segmentation.html", "03_clv.html", "04_churn.html", "05_service.html"):
        assert shown[name] > 0, name
    assert "&lt;img src=x onerror=alert(1)&gt;" in (reports.rglob("04_churn.html").__next__()
                                                   .read_text(encoding="utf-8"))


def _cells(path: Path) -> list[tuple[str, object, str]]:
    """(where, value, openpyxl data type or 'csv') of every cell of a CSV or XLSX file."""
    if path.suffix == ".csv":
        rows = list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))
        return [(f"{path.name}:{i + 1}:{j + 1}", v, "csv")
                for i, row in enumerate(rows) for j, v in enumerate(row)]
    book = openpyxl.load_workbook(path)
    return [(f"{path.name}!{ws.title}!{c.coordinate}", c.value, c.data_type)
            for ws in book.worksheets for row in ws.iter_rows() for c in row]


@pytest.mark.slow
def test_no_spreadsheet_holds_a_formula(hostile_run):
    root, _reports, _codes = hostile_run
    files = [p for p in sorted(root.rglob("*")) if p.suffix in (".csv", ".xlsx")
             and (root / "raw") not in p.parents]
    assert {p.name for p in files} >= {"warning_list.csv", "warning_list.xlsx"}
    neutralised = 0
    for path in files:
        cells = _cells(path)
        assert cells, path
        live = [w for w, _, kind in cells if kind == "f"]
        assert not live, f"live formulas: {live[:5]}"
        formula_text = [(w, v) for w, v, _ in cells if exports.is_formula_like(v)]
        assert not formula_text, f"formula-like text: {formula_text[:5]}"
        neutralised += sum(1 for _, v, _ in cells if isinstance(v, str) and v.startswith("'="))
    assert neutralised > 0  # the DDE payload reached the lists, as text
    # Money stays numeric: the XLSX has number cells, negative ones where the data has them.
    book = openpyxl.load_workbook(next(p for p in files if p.name == "warning_list.xlsx"))
    numbers = [c.value for row in book.worksheets[0].iter_rows(min_row=2) for c in row
               if c.data_type == "n" and c.value is not None]
    assert numbers and all(isinstance(v, (int, float)) for v in numbers)


def test_reports_index_escapes_what_it_lists(tmp_path):
    """The index of a reports folder lists labels and values from manifests: escaped."""
    from workbench import io as wio

    folder = tmp_path / "2026-09"
    folder.mkdir()
    wio.atomic_write_json({"period": "<script>alert(1)</script>", "as_of": "<img src=x onerror=1>",
                           "status": "ok\"><script>", "finished": "2026-10-01T00:00:00"},
                          folder / "manifest.json")
    page = report.build_reports_index(tmp_path, "en").read_text(encoding="utf-8")
    parser = _Tags()
    parser.feed(page)
    assert not [t for t, _ in parser.tags if t == "script"]
    assert not [a for _, attrs in parser.tags for a in attrs if a.startswith("on")]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert f'content="{CONTENT_SECURITY_POLICY}"' in page


# --------------------------------------------------------------------------- the pieces


def test_table_html_escapes_cells_labels_and_index_names():
    import pandas as pd

    from workbench.plots import table_html

    df = pd.DataFrame({"<b>col</b>": ["<script>alert(1)</script>", None],
                       "list": [["<img src=x onerror=alert(1)>"], ["a&b"]], "n": [-1234.5, 0.25]},
                      index=pd.Index(["<i>row</i>", "y"], name="<u>name</u>"))
    html = table_html(df)
    parser = _Tags()
    parser.feed(html)
    assert {t for t, _ in parser.tags} <= {"style", "table", "thead", "tbody", "tr", "th", "td"}
    for escaped in ("&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;b&gt;col&lt;/b&gt;",
                    "&lt;i&gt;row&lt;/i&gt;", "&lt;u&gt;name&lt;/u&gt;", "a&amp;b",
                    "&lt;img src=x onerror=alert(1)&gt;"):
        assert escaped in html, escaped
    assert ">-1,234<" in html.replace(" >", ">")  # numbers keep their format
    assert df.index.name == "<u>name</u>"  # the caller's frame is unchanged


def test_escape_markdown_keeps_prose_and_relative_links():
    from workbench.report.render import escape_markdown

    md = ("Top rep **<script>alert(1)</script>**, see [the churn report](04_churn.html#list) "
          "and `a<b`.\n- [x](javascript:alert(1)) [y](https://evil.example) [z]( //evil.example)"
          " ![p](data:image/svg+xml,<svg onload=alert(1)>) [e](&#106;avascript:alert(1))\n"
          "[ref]: javascript:alert(1)\n")
    out = escape_markdown(md)
    assert "**&lt;script>alert(1)&lt;/script>**" in out
    assert "[the churn report](04_churn.html#list)" in out and "`a<b`" in out
    for bad in ("[x](javascript", "[y](https", "[z]( //", "[p](data", "[e](&#106;"):
        assert bad not in out, bad
    assert "\\[ref]: javascript" in out
    assert escape_markdown("- 12 customers, 45% *at risk*") == "- 12 customers, 45% *at risk*"


def test_sanitised_outputs_and_the_page_run_nothing():
    import nbformat

    from workbench.report.render import sanitise_html_output

    styled = ('<style type="text/css">#T_wb_row0_col1 { color: #2e7d32; }</style>'
              '<table id="T_wb" class="dataframe"><thead><tr><th>a</th></tr></thead><tbody><tr>'
              '<td style="text-align: right; position: fixed">1</td></tr></tbody></table>')
    clean = sanitise_html_output(styled)
    assert "<style" in clean and "#T_wb_row0_col1 { color: #2e7d32; }" in clean
    assert "<thead><tr><th>a</th></tr></thead>" in clean and 'class="dataframe"' in clean
    assert "text-align: right" in clean and "position" not in clean
    hostile = sanitise_html_output(
        '<table><tr><td onclick="alert(1)"><script>alert(1)</script><img src=x onerror=alert(1)>'
        '<a href="javascript:alert(1)">l</a><a href="04_churn.html">ok</a>'
        '<a href="https://evil.example">off</a><iframe src="https://x"></iframe></td></tr></table>')
    parser = _Tags()
    parser.feed(hostile)
    assert parser.tags == [("table", {}), ("tbody", {}), ("tr", {}), ("td", {}), ("a", {}),
                           ("a", {"href": "04_churn.html"}), ("a", {})]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in hostile

    nb = nbformat.v4.new_notebook()
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    nb.cells = [nbformat.v4.new_markdown_cell("# Report"), nbformat.v4.new_code_cell("x", outputs=[
        nbformat.v4.new_output("display_data", data={"text/markdown": "Rep <script>alert(1)</script>",
                                                     "text/plain": "md"}),
        nbformat.v4.new_output("display_data", data={"text/html": "<b onmouseover=alert(1)>x</b>",
                                                     "text/plain": "html"}),
        nbformat.v4.new_output("display_data", data={"application/javascript": "alert(2)",
                                                     "text/plain": "js"}),
        nbformat.v4.new_output("display_data", data={"image/svg+xml": "<svg onload=alert(3)/>",
                                                     "text/plain": "svg"})])]
    page = report.render_html(nb, title="<script>t</script>", subtitle="<script>s</script>",
                              links=[("a.html", "<script>l</script>")])
    parser = _Tags()
    parser.feed(page)
    assert "<script" not in page and "alert(2)" not in page and "alert(3)" not in page
    assert not [a for _, attrs in parser.tags for a in attrs if a.startswith("on")]
    assert "Rep &lt;script&gt;alert(1)&lt;/script&gt;" in page
    head = page[:page.index("<title>")]
    assert f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">' in head
    assert "https://" not in page.split("<style", 1)[0]  # no CDN script or stylesheet


def test_simple_page_carries_the_policy():
    from workbench.report.render import simple_page

    page = simple_page("<script>x</script>", "<p>ok</p>", "zh")
    assert page.index("Content-Security-Policy") < page.index("<title>")
    assert "<title>&lt;script&gt;x&lt;/script&gt;</title>" in page



def test_sortable_table_is_published_as_a_plain_escaped_table():
    import nbformat
    from IPython.display import Javascript

    from workbench.plots.tables import SCRIPT, SCRIPT_SHA256, interactive_table

    table = interactive_table(pl.DataFrame({"company": ["<script>alert(1)</script>"],
                                            "revenue": [-12.5]}), show_pii=True)
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("t", outputs=[
        nbformat.v4.new_output("display_data", data={"text/html": table._repr_html_()}),
        nbformat.v4.new_output("display_data", data={"application/javascript": Javascript(SCRIPT).data,
                                                     "text/plain": "js"})])]
    page = report.render_html(nb, title="t")
    # The JavaScript output is dropped; the page runs the one fixed table script, allowed by
    # its hash, and nothing else.
    assert page.count("<script") == 1 and f"<script>{SCRIPT}</script>" in page
    script_src = page.split("script-src", 1)[1].split('"', 1)[0]
    assert script_src == f" 'sha256-{SCRIPT_SHA256}'"
    assert 'class="wb-sortable dataframe"' in page and 'data-sort="-12.5"' in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
