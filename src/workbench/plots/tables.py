"""Tables readers can sort and search in the published HTML, offline, with personal data masked.

:func:`interactive_table` renders a frame as a plain, escaped HTML ``<table>`` (every cell
through :func:`html.escape`; numbers keep their raw value in ``data-sort`` for sorting)
and, as a *separate* ``application/javascript`` output, one small script that is **the
same text on every page** (:data:`SCRIPT`): it adds a search box above each
``table.wb-sortable`` and sorts a column when its header is clicked.  No data is inside
the script and nothing is loaded from the network, so:

- in Jupyter (and any page that keeps script outputs) the table sorts and searches offline;
- the published report drops every script output and sanitises the HTML
  (:mod:`workbench.report.render`); a page that holds a ``table.wb-sortable`` gets this
  one script once, at the end of its body, and its Content-Security-Policy allows exactly
  it by its hash, ``script-src 'sha256-<SCRIPT_SHA256>'`` (:data:`SCRIPT_SHA256`), never
  ``'unsafe-inline'``: no other script, and no script that data could change, can run.

Personal data (``name``, ``phone``, ``email``, ``contact``) is masked by
:func:`workbench.privacy.mask_frame` unless ``show_pii``.
"""

from __future__ import annotations

import base64
import hashlib
import html
import math
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from ..frames import as_polars
from ..privacy import mask_frame

__all__ = ["SCRIPT", "SCRIPT_SHA256", "InteractiveTable", "interactive_table"]

SCRIPT = (
    "(function(){document.querySelectorAll('table.wb-sortable:not([data-wb])')"
    ".forEach(function(t){t.setAttribute('data-wb','1');var b=t.tBodies[0];"
    "var q=document.createElement('input');q.type='search';"
    "q.placeholder=t.getAttribute('data-search')||'Search';q.className='wb-search';"
    "q.addEventListener('input',function(){var s=q.value.toLowerCase();"
    "Array.prototype.forEach.call(b.rows,function(r){"
    "r.hidden=s!==''&&r.textContent.toLowerCase().indexOf(s)<0;});});"
    "t.parentNode.insertBefore(q,t);"
    "Array.prototype.forEach.call(t.tHead.rows[0].cells,function(h,i){"
    "h.className='wb-sort';h.addEventListener('click',function(){"
    "var d=h.getAttribute('data-dir')==='asc'?'desc':'asc';h.setAttribute('data-dir',d);"
    "var rows=Array.prototype.slice.call(b.rows);rows.sort(function(x,y){"
    "var a=x.cells[i],c=y.cells[i];var u=a.getAttribute('data-sort'),v=c.getAttribute('data-sort');"
    "var r=(u!==null&&v!==null)?(parseFloat(u)-parseFloat(v)):"
    "a.textContent.localeCompare(c.textContent);return d==='asc'?r:-r;});"
    "rows.forEach(function(r){b.appendChild(r);});});});});})();"
)
"""The one script of every interactive table (constant: its hash goes into the CSP)."""

SCRIPT_SHA256 = base64.b64encode(hashlib.sha256(SCRIPT.encode("utf-8")).digest()).decode("ascii")
"""Base64 SHA-256 of :data:`SCRIPT`: ``script-src 'sha256-<this>'`` allows it under a CSP."""

_PII = {"name": "name", "contact": "contact", "phone": "phone", "email": "email"}


def _cell(value: Any, fmt: Any) -> tuple[str, str | None]:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "", None
    if isinstance(value, bool):
        return ("✓" if value else ""), ("1" if value else "0")
    if isinstance(value, (int, float)):
        text = fmt(value) if fmt else (f"{value:,.2f}" if isinstance(value, float) else f"{value:,}")
        return text, format(float(value), ".12g")  # enough digits to sort, none of float noise
    if isinstance(value, (date, datetime)):
        return value.isoformat(), None
    if isinstance(value, (list, tuple)):
        return "; ".join(map(str, value)), None
    return str(value), None


class InteractiveTable:
    """An HTML table shown by Jupyter (``_repr_html_``) and kept in the rendered page."""

    def __init__(self, markup: str) -> None:
        self.markup = markup

    def _repr_html_(self) -> str:
        return self.markup

    def _ipython_display_(self) -> None:
        # IPython is there only inside a notebook kernel; the room itself never needs it.
        from IPython.display import HTML, Javascript, display

        display(HTML(self.markup))
        display(Javascript(SCRIPT))

    def __str__(self) -> str:
        return self.markup


def interactive_table(frame: Any, *, headers: Mapping[str, str] | None = None,
                      formats: Mapping[str, Any] | None = None, show_pii: bool = False,
                      pii_columns: Mapping[str, str] | None = None, max_rows: int | None = 2000,
                      search_label: str = "Search", caption: str | None = None,
                      total: int | None = None) -> InteractiveTable:
    """``frame`` as a sortable, searchable, escaped HTML table (see the module's notes).

    Args:
        headers: column -> header shown (default: the column name).
        formats: column -> function turning a number into its display text.
        show_pii: show personal columns unmasked.
        pii_columns: column -> kind (name, phone, email) to mask (default: those present
            of ``name``, ``contact``, ``phone``, ``email``).
        max_rows: rows shown at most (the caption says how many were left out).
        total: the rows of the whole table when ``frame`` holds only its first rows (cut
            before it was made a display frame, so a million-row table is never copied).
    """
    df = as_polars(frame, "table")
    masks = dict(pii_columns) if pii_columns is not None else {
        c: k for c, k in _PII.items() if c in df.columns}
    total = df.height if total is None else max(total, df.height)
    if max_rows is not None:
        df = df.head(max_rows)
    df = mask_frame(df, show_pii, masks) if masks else df  # the rows shown only
    heads, fmts = dict(headers or {}), dict(formats or {})
    out = [f'<table class="wb-sortable dataframe" data-search="{html.escape(search_label)}">']
    note = caption or ""
    if total > df.height:
        note = f"{note} ({df.height} / {total})".strip()
    if note:
        out.append(f"<caption>{html.escape(note)}</caption>")
    out.append("<thead><tr>" + "".join(f"<th>{html.escape(str(heads.get(c, c)))}</th>"
                                       for c in df.columns) + "</tr></thead><tbody>")
    for row in df.iter_rows():
        cells = []
        for c, v in zip(df.columns, row, strict=True):
            text, key = _cell(v, fmts.get(c))
            attr = f' data-sort="{html.escape(key)}"' if key is not None else ""
            cells.append(f"<td{attr}>{html.escape(text)}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    return InteractiveTable("".join(out))
