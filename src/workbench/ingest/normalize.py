"""Text normalisation, written once: the text rule, categories, phones, e-mails, company
names and money text.

- **Text**: full-width ASCII (``ＡＢＣ１２３``, the ideographic space, ``￥``) is folded
  to ASCII, surrounding whitespace is trimmed and an empty value becomes missing;
  Chinese characters and Chinese punctuation are left alone.
- **Categories**: the usual Chinese labels of categorical values (:data:`VALUE_ALIASES`:
  已取消 -> ``cancelled``, 微信 -> ``wechat`` ...), used by
  :func:`workbench.ingest.parse_categories`.
- **Phones, e-mails, company names**: the forms customers are matched on
  (:func:`normalize_phone`, :func:`normalize_email`, :func:`normalize_company`).
- **Money text**: :func:`parse_amount` ('¥1,234.50', 'RMB 99', '(12.00)').

Expressions (lazy-friendly) and a few eager helpers that touch only the values
that need work (the speed of a long column, ``docs/cleaning.md`` "Speed").
"""

from __future__ import annotations

import re

import phonenumbers
import polars as pl

__all__ = [
    "DEFAULT_SUFFIXES",
    "VALUE_ALIASES",
    "company_key",
    "normalize_company",
    "normalize_email",
    "normalize_phone",
    "normalize_series",
    "normalize_text",
    "parse_amount",
]

# Full-width ASCII (U+FF01..U+FF5E) -> ASCII, ideographic space -> space, full-width yen.
# Only these are folded: Chinese characters and CJK punctuation are left alone.
_FULLWIDTH = [chr(c) for c in range(0xFF01, 0xFF5F)] + ["\u3000", "\uffe5", "\u00a0"]
_ASCII = [chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)] + [" ", "¥", " "]
_STRIP = " \t\r\n\u00a0\u3000\ufeff\u200b"

# Order statuses and other categorical values as Chinese exports write them.
VALUE_ALIASES: dict[str, dict[str, str]] = {
    "status": {"已完成": "completed", "完成": "completed", "已成交": "completed",
               "已取消": "cancelled", "取消": "cancelled", "canceled": "cancelled",
               "已退货": "returned", "退货": "returned", "return": "returned"},
    "kind": {"电话": "phone", "邮件": "email", "上门": "on-site", "拜访": "on-site",
             "微信": "wechat", "onsite": "on-site", "on site": "on-site"},
    "severity": {"低": "low", "中": "medium", "高": "high", "严重": "critical"},
    "customer_type": {"企业": "B2B", "个人": "B2C", "b2b": "B2B", "b2c": "B2C"},
}


def normalize_text(expr: pl.Expr) -> pl.Expr:
    """Fold full-width ASCII to ASCII, trim whitespace, empty -> null (Chinese untouched)."""
    # A chain, each step using the previous once: polars evaluates a sub-expression that is
    # used twice (e.g. in when/then/otherwise) twice in an eager select.
    return (expr.str.strip_chars().str.replace_many(_FULLWIDTH, _ASCII).str.strip_chars(_STRIP)
            .replace("", None))


def _trim_expr(expr: pl.Expr) -> pl.Expr:
    trimmed = expr.str.strip_chars()
    return pl.when(trimmed != "").then(trimmed)


def normalize_series(s: pl.Series) -> pl.Series:
    """Eager :func:`normalize_text`; the full-width folding runs only on non-ASCII values."""
    s = pl.select(_trim_expr(pl.lit(s.cast(pl.String)))).to_series().alias(s.name)
    return _fold_wide(s)


# Characters that normalisation changes (full-width ASCII, ideographic space, ¥, nbsp, BOM, ZWSP).
_ODD = "[\uff01-\uff5e\u3000\uffe5\u00a0\ufeff\u200b]"


def _fold_wide(s: pl.Series) -> pl.Series:
    """Fold full-width characters, touching only the values that hold one."""
    wide = (s.str.len_bytes() != s.str.len_chars()).fill_null(False)
    if not wide.any():
        return s
    widx = wide.arg_true()
    odd = s.gather(widx).str.contains(_ODD).fill_null(False)
    if not odd.any():
        return s
    idx = widx.filter(odd)
    folded = pl.select(normalize_text(pl.lit(s.gather(idx)))).to_series()
    return s.clone().scatter(idx, folded)  # scatter works in place: not on the caller's series


def _normalize_values(s: pl.Series) -> pl.Series:
    """Trim (empty -> null), then fold full-width characters: the text rule of every value.

    Columns that need nothing are returned as they are (no copy); the work runs only
    on the values that need it.
    """
    stripped = s.str.strip_chars()
    if (stripped.str.len_bytes() != s.str.len_bytes()).any():
        s = stripped
    if (s == "").any():
        s = pl.select(pl.when(pl.lit(s) != "").then(pl.lit(s))).to_series().alias(s.name)
    return _fold_wide(s)


def _normalize_column(s: pl.Series) -> pl.Series:
    """:func:`_normalize_values` of a whole column; a long column that repeats few distinct
    values (dates, statuses, categories) is normalised once per distinct value."""
    n = s.len()
    if n > 50_000:
        step = n // 10_000
        sample = s.gather_every(step)
        if sample.n_unique() * 20 < sample.len():
            distinct = s.drop_nulls().unique()
            if distinct.len() * 20 < n:
                normed = _normalize_values(distinct)
                changed = ~normed.eq_missing(distinct)
                if not changed.any():
                    return s
                return s.replace(distinct.filter(changed), normed.filter(changed))
    return _normalize_values(s)


# A number as amounts are written: plain ('12', '-3.5', '.5', '5.'), or with thousands
# separators in the unambiguous 1,234,567.89 form.
_NUMBER = r"[+-]?(?:\d+\.?\d*|\.\d+|\d{1,3}(?:,\d{3})+(?:\.\d*)?)"


def parse_amount(expr: pl.Expr) -> pl.Expr:
    """Parse money text: '¥1,234.50', 'RMB 99', '1234.5元', '(12.00)' -> -12.0.

    Thousands separators are accepted only in the unambiguous form ``1,234,567.89``;
    anything else that is not a plain number gives null.
    """
    # One chain of replacements, each using the previous result once (a sub-expression
    # used twice is evaluated twice in an eager select).  The text is prefixed with 'X';
    # '(12.00)' becomes 'X-12.00' ('(-12)' becomes 'X12'); only a well-formed number loses
    # its 'X', so everything else fails the final cast and gives null.
    t = (pl.lit("X") + expr.str.replace_all(r"(?i)^(rmb|cny)|(?i)(rmb|cny)$", "")
         .str.replace_all(r"[¥$元\s]", ""))
    t = t.str.replace(r"^X\(-([^-+].*)\)$", "X${1}").str.replace(r"^X\(\+?(.*)\)$", "X-${1}")
    t = t.str.replace(f"^X({_NUMBER})$", "${1}")
    return t.str.replace_all(",", "").cast(pl.Float64, strict=False)


# --------------------------------------------------------------------------- people and companies

# Chinese legal forms, removed from the end of company names before matching.
DEFAULT_SUFFIXES = ("股份有限公司", "有限责任公司", "有限公司")
# Latin legal forms, removed only as separate words at the end ('ABC Co., Ltd.'; not 'Costco').
_LATIN_FORMS = (r"(?:[\s,.&]+(?:co|corp|corporation|inc|incorporated|ltd|limited|company|llc|plc"
                r"|gmbh)\b\.?)+\s*$")


def _national_numbers(digits: pl.Series) -> pl.Series:
    """``phonenumbers`` (region CN) on each distinct value that is not plainly a Chinese mobile:
    the national significant number of a possible number (+cc for other countries), else null."""
    mobile = digits.str.contains(r"^1[3-9]\d{9}$").fill_null(True)
    if mobile.all():
        return digits
    idx = (~mobile).arg_true()
    others = digits.gather(idx)
    distinct = others.unique()
    out: list[str | None] = []
    for v in distinct.to_list():
        try:
            num = phonenumbers.parse(v, "CN")
        except phonenumbers.NumberParseException:
            out.append(None)
            continue
        if not phonenumbers.is_possible_number(num):
            out.append(None)
            continue
        nsn = phonenumbers.national_significant_number(num)
        out.append(nsn if num.country_code == 86 else f"+{num.country_code}{nsn}")
    mapped = others.replace_strict(distinct, pl.Series(out, dtype=pl.String), default=None,
                                   return_dtype=pl.String)
    return digits.clone().scatter(idx, mapped)


def normalize_phone(expr: pl.Expr) -> pl.Expr:
    """The phone as its national number (``phonenumbers``, default region CN): separators,
    full-width digits and a +86/0086 prefix removed, a trunk 0 dropped (``021-6234 5678`` ->
    ``2162345678``); another country keeps ``+cc``; an impossible number or fewer than 7 digits
    -> null.

    A plain Chinese mobile (11 digits, 1[3-9]...) is already its national number and skips the
    per-value parse; the other values are parsed once per distinct value.
    """
    # After the first step only digits (and a leading +) are left; 00 is the international prefix.
    d = (normalize_text(expr).str.replace_all(r"[^\d+]", "").str.replace_all(r"(\d)\+", "${1}")
         .str.replace(r"^00", "+").str.replace(r"^\+?86(1[3-9]\d{9})$", "${1}"))
    return (d.map_batches(_national_numbers, return_dtype=pl.String, is_elementwise=True)
            .str.extract(r"^(\+?\d{7,})$"))


def normalize_email(expr: pl.Expr) -> pl.Expr:
    """Trimmed lower-case address; values without '@' -> null."""
    e = normalize_text(expr).str.to_lowercase().str.replace_all(r"\s", "")
    return e.str.extract(r"(?s)^(.*@.*)$")


def _company_base(expr: pl.Expr) -> pl.Expr:
    return (normalize_text(expr).str.to_lowercase()
            .str.replace_all(r"[\s()（）\[\]【】.,，。·&\-_'\"/]", ""))


def company_key(text: str) -> str:
    """A legal-form suffix as company names are compared (lower case, no punctuation)."""
    return pl.select(_company_base(pl.lit(text))).item() or ""


def normalize_company(expr: pl.Expr, suffixes: tuple[str, ...] = DEFAULT_SUFFIXES) -> pl.Expr:
    """Company name for matching: full-width folded, lower-case, legal form removed
    (有限公司, 有限责任公司, 股份有限公司, (有限公司), or 'Co., Ltd.', 'Inc' as separate words),
    then spaces, brackets and punctuation removed; fewer than 2 characters left -> null."""
    text = (normalize_text(expr).str.to_lowercase()
            .str.replace_all(r"[()（）\[\]【】]", " ").str.strip_chars())
    text = text.str.replace(_LATIN_FORMS, "")
    base = _company_base(text)
    alternatives = "|".join(re.escape(x) for x in sorted(set(suffixes), key=len, reverse=True) if x)
    core = base.str.replace(f"(?:{alternatives})+$", "") if alternatives else base
    return core.str.extract(r"(?s)^(.{2,})$")
