"""Executed notebooks as code-free HTML pages for readers (nbconvert), with the house style.

:func:`render_html` is pure: it takes a notebook node and returns the page.

A page is safe to open whatever the data holds (``docs/security.md``):

- what a notebook's code displays is data: HTML outputs (tables) are sanitised with an
  allow list (:func:`sanitise_html_output`: tables, text markup and styles stay; scripts,
  event handlers, frames, forms, images and off-site links go), Markdown outputs
  (sentences with customer, owner or segment names) have raw HTML and links with a scheme
  neutralised (:func:`escape_markdown`), JavaScript outputs are dropped;
- the page template (``templates/report.html.j2``) has no script at all (no require.js,
  MathJax, Mermaid or widget loader), and every page carries a Content-Security-Policy
  (:data:`CONTENT_SECURITY_POLICY`) that allows no script, no remote resource and no form;
  a page with sortable tables (:func:`workbench.plots.interactive_table`) gets the one fixed
  table script, once, and its policy allows exactly that script by its SHA-256
  (:data:`SORTABLE_CONTENT_SECURITY_POLICY`), never ``'unsafe-inline'``.
"""

from __future__ import annotations

import copy
import html
import logging
import re
import warnings
from collections.abc import Sequence
from typing import Any

import bleach  # type: ignore[import-untyped]  # no stubs published with bleach
from bleach.css_sanitizer import CSSSanitizer  # type: ignore[import-untyped]

from .. import i18n
from ..plots.tables import SCRIPT as TABLE_SCRIPT
from ..plots.tables import SCRIPT_SHA256 as TABLE_SCRIPT_SHA256
from .resources import template_text
from .text import ROOM

__all__ = ["CONTENT_SECURITY_POLICY", "clean_notebook", "escape_markdown", "render_html",
           "sanitise_html_output", "simple_page"]


#: A static report runs no script, loads nothing from elsewhere and posts nothing: inline styles
#: (nbconvert's and the house style) and embedded images (charts, the lab theme's icons) only.
CONTENT_SECURITY_POLICY = ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
                           "font-src data:; base-uri 'none'; form-action 'none'")
_CSP_META = f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">'
#: A page with sortable tables (:func:`workbench.plots.interactive_table`) runs exactly one
#: script, the fixed table script, allowed by its SHA-256 (never 'unsafe-inline').
SORTABLE_CONTENT_SECURITY_POLICY = (f"{CONTENT_SECURITY_POLICY}; "
                                    f"script-src 'sha256-{TABLE_SCRIPT_SHA256}'")
_SORTABLE_CSP_META = ('<meta http-equiv="Content-Security-Policy" '
                      f'content="{SORTABLE_CONTENT_SECURITY_POLICY}">')
#: The page template (package data); nbconvert finds it through a loader under this name.
_TEMPLATE = "report.html.j2"

# What a displayed HTML output may hold: tables (pandas and its Styler), text markup, lists.
_HTML_TAGS = frozenset({
    "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption", "colgroup", "col", "style",
    "div", "span", "p", "br", "hr", "b", "i", "u", "em", "strong", "small", "sub", "sup", "code",
    "pre", "kbd", "ul", "ol", "li", "dl", "dt", "dd", "blockquote", "h1", "h2", "h3", "h4", "h5",
    "h6", "a", "abbr",
})
_HTML_ATTRIBUTES = frozenset({"class", "id", "title", "colspan", "rowspan", "style", "align",
                              "data-sort", "data-search"})
_CSS_PROPERTIES = frozenset({
    "color", "background", "background-color", "font-weight", "font-style", "font-size",
    "text-align", "vertical-align", "white-space", "border", "border-top", "border-bottom",
    "border-left", "border-right", "border-collapse", "padding", "margin", "width", "min-width",
    "max-width", "text-decoration", "display"})
_CSS = CSSSanitizer(allowed_css_properties=_CSS_PROPERTIES)

# Markdown: code spans (mistune escapes what they hold), link targets, reference definitions.
_CODE_SPAN_RE = re.compile(r"(`+)(?:.|\n)*?(?<!`)\1(?!`)")
_LINK_OPEN_RE = re.compile(r"\]\(")
# A plain relative target: no scheme (no ':'), no entity ('&'), no host ('//'), no backslash.
_SAFE_TARGET_RE = re.compile(r"\s*+(?!//)[\w./#?=%~+-]*(?:[\s)]|$)")
_REF_DEF_RE = re.compile(r"^( {0,3})\[", re.MULTILINE)

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


def sanitise_html_output(markup: str) -> str:
    """An HTML output of a notebook (a table) with nothing active left in it.

    Allowed: table markup, text markup, lists, ``<style>`` blocks (the pandas Styler's,
    written by our code), ``class``/``id``/``style``/``data-sort`` attributes (CSS properties
    from a short list) and relative links.  Anything else is written out as visible text
    (``&lt;script&gt;``): scripts, event handlers, images, frames, forms, ``javascript:``
    and other URLs with a scheme.
    """
    return bleach.clean(markup, tags=_HTML_TAGS, attributes=_allowed_attribute,
                        protocols=["http", "https"], strip=False, strip_comments=True,
                        css_sanitizer=_CSS)


def _allowed_attribute(tag: str, name: str, value: str) -> bool:
    if name in _HTML_ATTRIBUTES:
        return True
    if tag == "style":
        return name == "type"
    if tag == "a" and name == "href":  # a relative link only (bleach checks the scheme too)
        return _SAFE_TARGET_RE.fullmatch(value + ")") is not None
    return False


def _escape_markdown_text(text: str) -> str:
    """Markdown outside code spans: no raw HTML, no link to anything but a relative page."""
    text = text.replace("<", "&lt;")
    pieces, last = [], 0
    for m in _LINK_OPEN_RE.finditer(text):
        if not _SAFE_TARGET_RE.match(text, m.end()):
            pieces += [text[last:m.start()], "]\\("]
            last = m.end()
    text = "".join(pieces) + text[last:]
    return _REF_DEF_RE.sub(lambda m: m.group(1) + "\\[", text)


def escape_markdown(markdown: str) -> str:
    """Markdown that code displayed (it may hold names from the data) made inert.

    ``<`` becomes ``&lt;`` (no tag, comment or autolink can be written; the reader sees
    the character), a link or image whose target is not a plain relative path
    (``javascript:``, ``https://``, ``//host``, an entity-encoded scheme) is left as text,
    and a line that would define a reference link is escaped.  Code spans are kept as they
    are: Markdown shows their content literally.  Emphasis and lists stay Markdown.
    """
    parts, last = [], 0
    for m in _CODE_SPAN_RE.finditer(markdown):
        parts += [_escape_markdown_text(markdown[last:m.start()]), m.group(0)]
        last = m.end()
    parts.append(_escape_markdown_text(markdown[last:]))
    return "".join(parts)


_ACTIVE_MIME = ("application/javascript", "application/vnd.jupyter.widget-view+json",
                "text/javascript")


def _safe_output(output: Any) -> Any:
    """An output with its data made inert (see :func:`sanitise_html_output`, :func:`escape_markdown`)."""
    data = output.get("data")
    if not data:
        return output
    for mime in _ACTIVE_MIME:
        data.pop(mime, None)
    if "text/html" in data:
        data["text/html"] = sanitise_html_output(_text(data["text/html"]))
    if "text/markdown" in data:
        data["text/markdown"] = escape_markdown(_text(data["text/markdown"]))
    if "image/svg+xml" in data:  # an SVG may carry script; charts are PNG, so keep the text form
        del data["image/svg+xml"]
    return output


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def clean_notebook(nb: Any) -> Any:
    """A copy of an executed notebook fit for readers: no stderr, no warnings, no errors, no
    parameter cells, code cells only where they show something, and every displayed output
    made inert (HTML sanitised, Markdown escaped, JavaScript dropped)."""
    nb = copy.deepcopy(nb)
    keep = []
    for cell in nb.cells:
        if set(cell.get("metadata", {}).get("tags", [])) & _HIDDEN_TAGS:
            continue
        if cell.cell_type == "code":
            cell.outputs = [_safe_output(o) for o in cell.get("outputs", []) if _shown(o)]
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
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    # nbconvert's own sanitize_html is off on purpose: its allow list has no <thead>/<th> and
    # shows a Styler's <style> block as text, so it breaks every table; the outputs are
    # sanitised by clean_notebook instead, with an allow list made for tables.
    exporter = HTMLExporter(template_name="lab", template_file=_TEMPLATE,
                            extra_loaders=[DictLoader({_TEMPLATE: template_text(_TEMPLATE)})],
                            exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True, embed_images=True, sanitize_html=False)
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
    body = re.sub(r"(<head[^>]*>\s*<meta charset=[^>]*>)", lambda m: m.group(1) + "\n" + _CSP_META,
                  body, count=1)
    if _CSP_META not in body:  # a template without the usual <meta charset>: first in <head>
        body = re.sub(r"(<head[^>]*>)", lambda m: m.group(1) + "\n" + _CSP_META, body, count=1)
    if 'class="wb-sortable' in body:
        # Sortable tables: the one fixed table script, once, allowed by its hash and nothing else.
        body = body.replace(_CSP_META, _SORTABLE_CSP_META, 1)
        body = body.replace("</body>", f"<script>{TABLE_SCRIPT}</script>\n</body>", 1)
    top = _nav(links, current, lang, subtitle) + _toc(body, lang)
    return re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + "\n" + top, body, count=1)


def simple_page(title: str, content: str, lang: str) -> str:
    """A page in the house style around ``content`` (HTML), for pages no notebook makes."""
    return (f'<!DOCTYPE html>\n<html lang="{_lang_attr(lang)}"><head><meta charset="utf-8">'
            f'{_CSP_META}<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<title>{html.escape(title)}</title><style type="text/css">\n{_css()}\n</style>'
            f'</head><body class="wb-simple"><main>{content}</main></body></html>\n')
