"""The harder customer cases of the dirty export: duplicates that share no key exactly, and
strangers that do share one.

They are appended to ``customers.csv`` after every other row, drawn from a random stream of
their own (``(seed, 405)``), so the rest of the export stays byte for byte what it was.  The
duplicates have no orders of their own (entered in the CRM again, never ordered under the
new id); the strangers are real, different customers (prospects) and stay in the archive.

Duplicates (``truth.json["dirty"]["customers"]["hard_duplicates"]``, ``kind``):

- ``name_typo``: one character of the name replaced by a homophone (the input method's typo)
  or dropped; phone unchanged;
- ``company_typo``: one character of the company's brand replaced by a homophone or the name
  written with a dropped character; phone unchanged;
- ``new_phone``: a new phone number; name and e-mail unchanged, city without 市;
- ``missing_keys``: phone and e-mail left empty;
- ``traditional``: name and company in traditional characters, phone with dashes;
- ``branch_order``: the company written as a branch, 华信科技(上海)有限公司 for
  上海华信科技有限公司, with a new phone;
- ``pinyin_company``: the company written in pinyin (``Shanghai Huaxin Keji Youxian Gongsi``).

Strangers (``non_duplicates``, ``kind``): ``placeholder_phone`` (13800138000),
``zero_phone`` (00000000000), ``placeholder_email`` (test@test.com, na@na.com, phone 无),
``family_phone`` (a relative of an existing customer: same phone, surname, city and sales
rep, no character of the given name in common),
``switchboard`` (three firms sharing one office landline).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import numpy as np
import opencc
import polars as pl
from pypinyin import lazy_pinyin

from .people import company_names, person_names

__all__ = ["HARD_KINDS", "STRANGER_KINDS", "hard_customer_cases"]

HARD_KINDS = ("name_typo", "company_typo", "new_phone", "missing_keys", "traditional",
              "branch_order", "pinyin_company")
STRANGER_KINDS = ("placeholder_phone", "zero_phone", "placeholder_email", "family_phone",
                  "switchboard")

# Homophones an input method offers for the characters of the demo's names and brands.
_HOMOPHONE = dict(zip(
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚华建文玲鹏辉宇婷浩鑫欣佳晨雪梅琳志国斌博俊雨子思嘉慧凯帆然昊倩颖"
    "信恒达瑞丰盛泰鼎宏源汇通远金联创新天启正大中兴安康和裕德润海星辰",
    "玮方纳民婧莉蔷垒君阳永燕洁鹃韬铭潮侠萍钢桦健雯铃朋晖雨亭昊新新家辰学玫林智果彬搏骏宇紫丝佳惠恺凡冉浩茜影"
    "新衡答睿峰胜太顶鸿元惠同源今连闯心添起政达忠星按抗合玉得闰还兴晨", strict=True))
_S2T = opencc.OpenCC("s2t")
_B2B = "B2B"


def _typo(rng: np.random.Generator, text: str, start: int) -> str:
    """One character from ``start`` on replaced by a homophone (else dropped)."""
    idx = [i for i in range(start, len(text)) if text[i] in _HOMOPHONE]
    if idx and (rng.random() < 0.75 or len(text) < 3):
        i = idx[int(rng.integers(0, len(idx)))]
        return text[:i] + _HOMOPHONE[text[i]] + text[i + 1:]
    i = int(rng.integers(start, len(text)))
    return text[:i] + text[i + 1:]


def _pinyin_words(text: str) -> str:
    return " ".join(w.capitalize() for w in lazy_pinyin(text))


def hard_customer_cases(rng: np.random.Generator, customers: pl.DataFrame, first_number: int,
                        width: int, end: date) -> tuple[pl.DataFrame, dict[str, list[dict[str, Any]]]]:
    """The hard duplicates and the strangers (customer rows, canonical columns and types) and
    their truth: ``{"hard_duplicates": [...], "non_duplicates": [...]}`` without lines."""
    n = customers.height
    recs = customers.to_dicts()
    b2b = [i for i, r in enumerate(recs) if r["customer_type"] == _B2B and r["company"]]
    with_email = [i for i, r in enumerate(recs) if r["email"]]
    phones = {r["phone"] for r in recs}
    companies = {r["company"] for r in recs if r["company"]}
    rows: list[dict[str, Any]] = []
    hard: list[dict[str, Any]] = []
    strangers: list[dict[str, Any]] = []
    used: set[int] = set()
    each = max(2, round(n * 0.0015))

    def new_id() -> str:
        return f"C{first_number + len(rows):0{width}d}"

    def later(d: date) -> date:
        span = max((end - d).days, 0)
        return d + timedelta(days=int(rng.integers(0, span + 1)))

    def new_phone() -> str:
        while True:
            p = f"1{int(rng.choice([3, 5, 8]))}{int(rng.integers(0, 10))}" \
                f"{int(rng.integers(0, 10 ** 8)):08d}"
            if p not in phones:
                phones.add(p)
                return p

    def pick(pool: list[int]) -> int | None:
        """A customer of ``pool`` not used yet (None when a small archive has none left)."""
        free = [i for i in pool if i not in used]
        if not free:
            return None
        i = free[int(rng.integers(0, len(free)))]
        used.add(i)
        return i

    for kind in HARD_KINDS:
        pool = b2b if kind in ("company_typo", "branch_order", "pinyin_company") else \
            with_email if kind == "new_phone" else list(range(n))
        for _ in range(each):
            i = pick(pool)
            if i is None:
                break
            rec = dict(recs[i])
            if kind == "name_typo":
                rec["name"] = _typo(rng, rec["name"], 1)
            elif kind == "company_typo":
                core = rec["company"].removesuffix("有限公司")
                rec["company"] = _typo(rng, core, 2) + "有限公司"
            elif kind == "new_phone":
                rec["phone"] = new_phone()
                rec["city"] = rec["city"].removesuffix("市")
            elif kind == "missing_keys":
                rec["phone"] = None
                rec["email"] = None
            elif kind == "traditional":
                rec["name"] = _S2T.convert(rec["name"])
                if rec["company"]:
                    rec["company"] = _S2T.convert(rec["company"])
                p = rec["phone"]
                rec["phone"] = f"{p[:3]}-{p[3:7]}-{p[7:]}"
            elif kind == "branch_order":
                city = rec["city"].removesuffix("市")
                core = rec["company"].removesuffix("有限公司")
                rec["company"] = f"{core.removeprefix(city)}({city})有限公司"
                rec["phone"] = new_phone()
            elif kind == "pinyin_company":
                rec["company"] = _pinyin_words(rec["company"].removesuffix("有限公司")) + \
                    " Youxian Gongsi"
            rec["customer_id"] = new_id()
            rec["signup_date"] = later(recs[i]["signup_date"])
            rows.append(rec)
            hard.append({"duplicate_id": rec["customer_id"], "original_id": recs[i]["customer_id"],
                         "kind": kind})

    def stranger(kind: str, template: int, **values: Any) -> None:
        rec = dict(recs[template])
        rec.update({"customer_id": new_id(), "email": None, "company": None, "industry": None,
                    "customer_type": "B2C", **values})
        rec["signup_date"] = later(recs[0]["signup_date"])
        rows.append(rec)
        strangers.append({"customer_id": rec["customer_id"], "kind": kind,
                          "phone": rec["phone"], "email": rec["email"]})

    groups = [("placeholder_phone", 40, {"phone": "13800138000"}),
              ("zero_phone", 15, {"phone": "00000000000"}),
              ("placeholder_email", 15, {"phone": "无", "email": "test@test.com"}),
              ("placeholder_email", 10, {"phone": "无", "email": "na@na.com"})]
    for kind, count, values in groups:
        names, _, _ = person_names(rng, count)
        for k in range(count):
            stranger(kind, int(rng.integers(0, n)), name=str(names[k]), **values)
    for _ in range(each):
        j = pick(list(range(n)))
        if j is None:
            break
        i = j
        names, _, _ = person_names(rng, 8)
        sur = recs[i]["name"][0]
        mine = set(recs[i]["name"][1:])
        given = next((str(x)[1:] for x in names if not set(str(x)[1:]) & mine), "子涵")
        stranger("family_phone", i, name=sur + given, phone=recs[i]["phone"],
                 sales_rep=recs[i]["sales_rep"])
        strangers[-1]["relative_of"] = recs[i]["customer_id"]
    for _ in range(max(1, each // 2)):
        t = int(rng.integers(0, n))
        city = recs[t]["city"]
        area = ("010", "021", "020", "022", "023", "025", "027", "028", "0571", "0755")
        line = f"{area[int(rng.integers(0, len(area)))]}-{int(rng.integers(6 * 10 ** 7, 9 * 10 ** 7))}"
        names, _, _ = person_names(rng, 3)
        firms = [c for c in company_names(rng, np.array([city] * 6, dtype=object),
                                          np.array(["零售"] * 6, dtype=object))[0]
                 if c not in companies][:3]
        for k, firm in enumerate(firms):
            companies.add(firm)
            stranger("switchboard", t, name=str(names[k]), phone=line, company=firm,
                     customer_type=_B2B, industry="零售")
    table = pl.DataFrame(rows, schema=customers.schema) if rows else customers.clear()
    return table, {"hard_duplicates": hard, "non_duplicates": strangers}
