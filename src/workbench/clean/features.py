"""The comparison columns of customer record linkage, computed in polars before the records
go to the linkage engine (:mod:`.linkage`).

Every column is a normalised form in which two spellings of one customer agree:

- ``name_n``: the name as text (full-width folded, spaces removed, lower case), traditional
  characters converted to simplified (OpenCC's ``t2s`` table, ``opencc-python-reimplemented``);
- ``name_py``: its pinyin without tones or spaces (``pypinyin``), so 张伟 / 張偉 / Zhang Wei /
  zhangwei agree; Latin names are kept as their letters;
- ``company_n``: :func:`workbench.ingest.normalize_company` of the simplified name;
- ``company_core``: ``company_n`` without place names (provinces, cities, with or without 省/市)
  wherever they stand, so a branch written 华东贸易(北京)有限公司 and 北京华东贸易有限公司 agree;
- ``company_py``: the pinyin of ``company_core`` (a firm written in pinyin, ``Huadong Maoyi
  Youxian Gongsi``, agrees with 华东贸易有限公司);
- ``phone_n``, ``email_n``: :func:`workbench.ingest.normalize_phone` (``phonenumbers``, region
  CN) and :func:`~workbench.ingest.normalize_email`, with placeholder values removed
  (:func:`placeholder_keys`);
- ``province_n``, ``city_n``: without 省 / 市 / 自治区 (上海 and 上海市 agree);
- ``signup_date``; ``sales_rep_n``, ``channel_n`` (the account's owner and channel).

The per-value conversions (OpenCC, pinyin) run once per distinct value, and character by
character where no phrase of their dictionaries occurs (:func:`_by_character`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container, Iterable

import opencc
import polars as pl
from pypinyin import lazy_pinyin
from pypinyin.constants import PHRASES_DICT

from ..ingest import DEFAULT_SUFFIXES, normalize_company, normalize_email, normalize_phone
from ..ingest.normalize import normalize_text

__all__ = ["KNOWN_PLACEHOLDERS", "PLACE_NAMES", "linkage_features", "placeholder_keys",
           "to_pinyin", "to_simplified"]

#: Values that identify nobody, whatever their count (normalised forms).
KNOWN_PLACEHOLDERS: dict[str, frozenset[str]] = {
    "phone": frozenset({"13800138000", "13888888888",
                        "12345678901", "12345678", "1234567", "01234567890", "10000000000",
                        "88888888", "66666666", "4000000000", "4008888888"}),
    "email": frozenset({"test@test.com", "na@na.com", "none@none.com", "null@null.com",
                        "no@no.com", "a@a.com", "abc@abc.com", "test@qq.com", "123@qq.com",
                        "123456@qq.com", "xx@xx.com", "noemail@noemail.com", "n/a@n/a.com",
                        "test@example.com", "admin@admin.com", "wu@wu.com"}),
}
# Phones of one repeated digit (00000000000, 11111111111) and e-mails at the test domains.
_PLACEHOLDER_PATTERNS = {"phone": "^(?:" + "|".join(f"{d}{{7,}}" for d in "0123456789") + ")$",
                         "email": r"@(?:test|example|na|none|null|noemail)\.(?:com|cn|net)$"}

#: Provinces and larger cities, removed from company names for ``company_core``.
PLACE_NAMES = tuple(sorted({
    *"北京 天津 上海 重庆 河北 山西 辽宁 吉林 黑龙江 江苏 浙江 安徽 福建 江西 山东 河南 湖北 湖南 "
     "广东 海南 四川 贵州 云南 陕西 甘肃 青海 台湾 内蒙古 广西 西藏 宁夏 新疆 香港 澳门".split(),
    *"广州 深圳 东莞 佛山 珠海 中山 惠州 汕头 杭州 宁波 温州 绍兴 嘉兴 金华 台州 南京 苏州 无锡 常州 "
     "南通 徐州 扬州 成都 武汉 长沙 济南 青岛 烟台 厦门 福州 泉州 西安 郑州 合肥 南昌 昆明 贵阳 南宁 "
     "沈阳 大连 长春 哈尔滨 石家庄 太原 兰州 乌鲁木齐 呼和浩特 海口 三亚 银川 西宁 拉萨 宜昌 洛阳"
     .split(),
}, key=len, reverse=True))

_CONVERTER = opencc.OpenCC("t2s")
# The same place names in pinyin, removed from the start and end of ``company_py``.
_PLACE_PY = "|".join(sorted({"".join(lazy_pinyin(p)) for p in PLACE_NAMES}, key=len, reverse=True))
_LATIN_FORMS_PY = ("youxianzerengongsi", "gufenyouxiangongsi", "youxiangongsi", "gongsi")


def _per_value(s: pl.Series, fn: Callable[[list[str]], list[str | None]]) -> pl.Series:
    """``fn`` applied once per distinct non-null value of ``s`` (``fn`` maps a list)."""
    distinct = s.drop_nulls().unique()
    if distinct.len() == 0:
        return s
    mapped = pl.Series(fn(distinct.to_list()), dtype=pl.String)
    return s.replace_strict(distinct, mapped, default=None, return_dtype=pl.String)


def _phrase_starts(phrases: Iterable[str]) -> dict[str, tuple[int, ...]]:
    """Per first character, the lengths of the phrases (2 characters or more) it starts."""
    starts: dict[str, set[int]] = {}
    for p in phrases:
        if len(p) > 1:
            starts.setdefault(p[0], set()).add(len(p))
    return {c: tuple(sorted(n)) for c, n in starts.items()}


def _by_character(values: list[str], phrases: Container[str],
                  starts: dict[str, tuple[int, ...]], whole: Callable[[str], str | None],
                  char: Callable[[str], str]) -> list[str | None]:
    """``whole`` of each value, computed character by character where it can be.

    A dictionary-driven conversion (OpenCC, pinyin) reads a value phrase by phrase and, where no
    phrase of its dictionary occurs, character by character.  So a value in which no phrase of
    ``phrases`` occurs (``starts``: :func:`_phrase_starts` of them) converts as the
    concatenation of its characters' conversions, each computed once (``char``); the others go
    through ``whole``.  The result is the same as ``whole`` on every value, many times faster
    (a million names hold a few thousand distinct characters).
    """
    memo: dict[str, str] = {}
    out: list[str | None] = []
    for v in values:
        if any(v[i:i + k] in phrases for i, c in enumerate(v) if c in starts
               for k in starts[c]):
            out.append(whole(v))
            continue
        parts = []
        for c in v:
            got = memo.get(c)
            if got is None:
                got = memo[c] = char(c)
            parts.append(got)
        out.append("".join(parts))
    return out


_T2S: tuple[dict[str, str], dict[str, tuple[int, ...]]] | None = None


def _t2s_phrases() -> tuple[dict[str, str], dict[str, tuple[int, ...]]]:
    """The phrase table of OpenCC's ``t2s`` conversion (its character table comes after) and
    its :func:`_phrase_starts`."""
    global _T2S
    if _T2S is None:
        _CONVERTER.convert("")  # loads the dictionaries
        tables = [t[2] for group in _CONVERTER._dict_chain_data for t in group
                  if isinstance(t, tuple) and t[0] > 1]
        phrases = {k: v for t in tables for k, v in t.items()}
        _T2S = phrases, _phrase_starts(phrases)
    return _T2S


def _simplified(values: list[str]) -> list[str | None]:
    phrases, starts = _t2s_phrases()
    return _by_character(values, phrases, starts, _CONVERTER.convert, _CONVERTER.convert)


def to_simplified(s: pl.Series) -> pl.Series:
    """Traditional characters converted to simplified (OpenCC ``t2s``); ASCII untouched."""
    wide = (s.str.len_bytes() != s.str.len_chars()).fill_null(False)
    if not wide.any():
        return s
    idx = wide.arg_true()
    conv = _per_value(s.gather(idx), _simplified)
    return s.clone().scatter(idx, conv)


def _pinyin_text(text: str) -> str:
    return "".join(lazy_pinyin(text, errors=lambda x: x)).lower()


def _pinyin(text: str) -> str | None:
    out = re.sub(r"[^a-z0-9]", "", _pinyin_text(text))
    return out or None


_PY_STARTS: dict[str, tuple[int, ...]] | None = None


def _pinyins(values: list[str]) -> list[str | None]:
    global _PY_STARTS
    if _PY_STARTS is None:
        _PY_STARTS = _phrase_starts(PHRASES_DICT)
    joined = _by_character(values, PHRASES_DICT, _PY_STARTS, _pinyin_text, _pinyin_text)
    return [re.sub(r"[^a-z0-9]", "", v) or None if v is not None else None for v in joined]


def to_pinyin(s: pl.Series) -> pl.Series:
    """Pinyin without tones, spaces or punctuation (Latin text: its letters, lower case)."""
    return _per_value(s, _pinyins)


def _place_free(company: pl.Series) -> pl.Series:
    pattern = "(?:" + "|".join(re.escape(p) for p in PLACE_NAMES) + ")(?:省|市|自治区)?"
    core = company.str.replace_all(pattern, "")
    # A name made only of place words keeps them (北京 Ltd. is still a name).
    return pl.select(pl.when(core.str.len_chars() >= 2).then(core).otherwise(company)).to_series()


def placeholder_keys(values: pl.Series, field: str, min_customers: int) -> pl.Series:
    """The normalised key values that are placeholders, not evidence: the known ones
    (:data:`KNOWN_PLACEHOLDERS`, one repeated digit, test domains) and every value held by
    more than ``min_customers`` customers.  Sorted, distinct."""
    known = KNOWN_PLACEHOLDERS.get(field, frozenset())
    v = values.drop_nulls()
    counts = v.value_counts()
    shared = counts.filter(pl.col("count") > min_customers).get_column(v.name)
    flagged = v.filter(v.is_in(pl.Series(sorted(known), dtype=pl.String).implode())
                       | v.str.contains(_PLACEHOLDER_PATTERNS.get(field, "$^")))
    return pl.concat([shared, flagged]).unique().sort()


def _region(expr: pl.Expr) -> pl.Expr:
    return (normalize_text(expr).str.replace_all(r"\s", "")
            .str.replace(r"(?:维吾尔自治区|壮族自治区|回族自治区|自治区|特别行政区|省|市)$", "")
            .replace("", None))


def linkage_features(customers: pl.DataFrame, suffixes: Iterable[str] = DEFAULT_SUFFIXES,
                     placeholders: dict[str, pl.Series] | None = None) -> pl.DataFrame:
    """The comparison columns of each customer (module doc), with ``unique_id`` the row
    position and ``customer_id`` as given.  ``placeholders``: per field (``phone``, ``email``)
    the normalised values to treat as missing."""
    sfx = tuple(suffixes)
    cols = customers.columns

    def text(c: str) -> pl.Expr:
        return pl.col(c).cast(pl.String) if c in cols else pl.lit(None, dtype=pl.String)

    base = customers.select(
        pl.int_range(pl.len(), dtype=pl.Int64).alias("unique_id"),
        pl.col("customer_id").cast(pl.String),
        normalize_text(text("name")).str.replace_all(r"[\s·.]", "").str.to_lowercase()
        .replace("", None).alias("name_n"),
        text("company").alias("_company"),
        normalize_phone(text("phone")).alias("phone_n"),
        normalize_email(text("email")).alias("email_n"),
        _region(text("province")).alias("province_n"),
        _region(text("city")).alias("city_n"),
        normalize_text(text("sales_rep")).str.replace_all(r"\s", "").alias("sales_rep_n"),
        normalize_text(text("channel")).alias("channel_n"),
        (pl.col("signup_date").cast(pl.Date) if "signup_date" in cols
         else pl.lit(None, dtype=pl.Date)).alias("signup_date"),
    )
    name = to_simplified(base.get_column("name_n"))
    company_raw = to_simplified(base.get_column("_company"))
    company = pl.select(normalize_company(pl.lit(company_raw), sfx)).to_series()
    core = _place_free(company)
    core_py = (to_pinyin(core).str.replace(f"(?:{'|'.join(_LATIN_FORMS_PY)})$", "")
               .str.replace(f"^(?:{_PLACE_PY})(?:sheng|shi)?", "")
               .str.replace(f"(?:{_PLACE_PY})(?:sheng|shi)?$", ""))
    out = base.drop("_company").with_columns(
        name.alias("name_n"), to_pinyin(name).alias("name_py"),
        company.alias("company_n"), core.alias("company_core"),
        pl.select(pl.when(core_py.str.len_chars() >= 3).then(core_py)).to_series()
        .alias("company_py"))
    for f, bad in (placeholders or {}).items():
        col = f"{f}_n"
        if bad.len():
            out = out.with_columns(pl.when(~pl.col(col).is_in(bad.implode()))
                                   .then(pl.col(col)).alias(col))
    return out
