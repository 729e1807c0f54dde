"""Executed notebooks as code-free HTML pages for readers (nbconvert), with the house style.

:func:`render_html` is pure: it takes a notebook node and returns the page.
"""

from __future__ import annotations

import copy
import html
import logging
import re
import warnings
from collections.abc import Sequence
from typing import Any

from .. import i18n
from .resources import template_text
from .text import ROOM

__all__ = ["clean_notebook", "render_html", "simple_page"]

_HEADING_RE = re.compile(r'<h([1-3])\s+id="([^"]+)"[^>]*>(.*?)</h\1>', re.DOTALL)
_HIDDEN_TAGS = {"injected-parameters", "parameters", "remove_cell", "remove-cell"}


def _css() -> str:
    return template_text("report.css")


def _lang_attr(lang: str) -> str:
    return "zh-CN" if lang == "zh" else "en"


def _shown(output: Any) -> bool:
    """False for what a reader must not see: stderr, error output, printed warnings."""
    kind = output.get("output_type")
    if kind == "error":
        return False
    if kind == "stream":
        if output.get("name") == "stderr":
            return False
        return not re.search(r"\b\w*Warning: ", output.get("text", ""))
    return True


def clean_notebook(nb: Any) -> Any:
    """A copy of an executed notebook fit for readers: no stderr, no warnings, no errors, no
    parameter cells, and code cells only where they show something."""
    nb = copy.deepcopy(nb)
    keep = []
    for cell in nb.cells:
        if set(cell.get("metadata", {}).get("tags", [])) & _HIDDEN_TAGS:
            continue
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.get("outputs", []) if _shown(o)]
            if not cell.outputs:
                continue
        keep.append(cell)
    nb.cells = keep
    return nb


def _toc(body: str, lang: str) -> str:
    items = []
    for level, anchor, inner in _HEADING_RE.findall(body):
        text = re.sub(r"<[^>]+>", "", inner).replace("¶", "").strip()
        if text:
            items.append(f'<li class="toc-h{level}"><a href="#{anchor}">{text}</a></li>')
    if not items:
        return ""
    return (f'<nav class="wb-toc"><div class="wb-toc-title">{i18n.t("contents", lang, ROOM)}'
            f'</div><ul>{"".join(items)}</ul></nav>')


def _nav(links: Sequence[tuple[str, str]], current: str, lang: str, subtitle: str) -> str:
    parts = []
    for href, label in links:
        cls = ' class="current"' if href == current else ""
        parts.append(f'<a href="{html.escape(href)}"{cls}>{html.escape(label)}</a>')
    parts.append(f'<a href="../index.html">{i18n.t("all_periods", lang, ROOM)}</a>')
    return (f'<header class="wb-header"><div class="wb-subtitle">{html.escape(subtitle)}</div>'
            f'<nav class="wb-nav">{" ".join(parts)}</nav></header>')


def render_html(nb: Any, *, title: str, lang: str = "en", links: Sequence[tuple[str, str]] = (),
                current: str = "", subtitle: str = "") -> str:
    """Render an executed notebook as a code-free HTML page (pure; returns the HTML).

    Stderr streams, warnings and error outputs are dropped; images are embedded; a
    navigation bar (``links``: ``(href, label)`` pairs) and a table of contents built
    from the notebook's headings are added at the top.
    """
    # nbconvert is imported here: it takes a second to import and only rendering needs it
    # (the summary notebook imports workbench.report for its findings).
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="lab", exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True, embed_images=True)
    exporter.log.setLevel(logging.ERROR)  # charts carry titles; the alt-text notice is noise
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        body, _ = exporter.from_notebook_node(clean_notebook(nb),
                                              resources={"metadata": {"name": title}})
    # The lab template wraps rendered markdown in an "input area"; it is prose, not code.
    body = body.replace(
        '<div class="jp-InputArea jp-Cell-inputArea"><div class="jp-RenderedHTMLCommon',
        '<div class="wb-MarkdownArea"><div class="jp-RenderedHTMLCommon')
    body = re.sub(r"<title>.*?</title>", f"<title>{html.escape(title)}</title>", body, count=1,
                  flags=re.DOTALL)
    body = body.replace("</head>", f'<style type="text/css">\n{_css()}\n</style>\n</head>', 1)
    body = re.sub(r"<html[^>]*>", f'<html lang="{_lang_attr(lang)}">', body, count=1)
    top = _nav(links, current, lang, subtitle) + _toc(body, lang)
    return re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + "\n" + top, body, count=1)


def simple_page(title: str, content: str, lang: str) -> str:
    """A page in the house style around ``content`` (HTML), for pages no notebook makes."""
    return (f'<!DOCTYPE html>\n<html lang="{_lang_attr(lang)}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<title>{html.escape(title)}</title><style type="text/css">\n{_css()}\n</style>'
            f'</head><body class="wb-simple"><main>{content}</main></body></html>\n')
