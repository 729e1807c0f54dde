"""Deterministic demo data for a made-up Chinese trading company, with the truth behind it.

The generator draws every customer's behaviour from known models so that each
later analysis has something real to find (see ``docs/demo-data.md``):

- purchases follow the BG/NBD "buy till you die" process in **days**
  (rate ``lambda ~ Gamma(r, alpha)``, dropout after each repeat purchase with
  probability ``p ~ Beta(a, b)``), run in a seasonal operational time
  (Spring Festival dip, 618 and Double 11 peaks);
- order values follow the Gamma-Gamma model (``p, q, v``);
- a few B2B key accounts buy more often and spend more (chosen among the
  customers whose drawn rate and spend are high, so the marginal
  distributions stay exactly BG/NBD and Gamma-Gamma);
- a latent dissatisfaction, coupled to the dropout probability, drives
  complaints, open complaints, low NPS and fewer visits, so service data
  predicts churn.

Public functions:

- :func:`generate` -> the five clean canonical tables (polars);
- :func:`generate_with_truth` -> :class:`DemoData`: the tables, ``truth`` (what
  ``truth.json`` holds) and ``latent`` (one row per customer with the drawn
  parameters: rate, dropout probability, spend scale, dissatisfaction, alive);
- :func:`write_demo` -> the CSV files and ``truth.json`` (clean or dirty);
- :func:`config_for` -> the ``workbench.yaml`` content that reads a demo folder.

Everything is a function of ``(customers, seed, end_date, years)``: the same
arguments always give the same tables and the same bytes on disk.
"""

from __future__ import annotations

import calendar
import json
import math
import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from scipy import special, stats

from . import schema
from .errors import UsageError
from .periods import parse_date

__all__ = [
    "BGNBD",
    "COMPANY_NAME",
    "DEFAULT_END_DATE",
    "FILES",
    "FOUNDED",
    "GAMMA_GAMMA",
    "LUNAR_NEW_YEAR",
    "TIME_UNIT",
    "DemoData",
    "config_for",
    "generate",
    "generate_with_truth",
    "seasonal_intensity",
    "write_demo",
]

DEFAULT_END_DATE = date(2026, 10, 31)
FOUNDED = date(2019, 1, 1)
COMPANY_NAME = "华东示例贸易有限公司"
TIME_UNIT = "day"

# True model parameters (time unit: day; money: CNY).
BGNBD = {"r": 0.55, "alpha": 45.0, "a": 0.75, "b": 3.2}
GAMMA_GAMMA = {"p": 3.0, "q": 2.5, "v": 300.0}

# Lunar New Year's day (正月初一) of each year the generator supports.
LUNAR_NEW_YEAR = {
    2016: date(2016, 2, 8), 2017: date(2017, 1, 28), 2018: date(2018, 2, 16),
    2019: date(2019, 2, 5), 2020: date(2020, 1, 25), 2021: date(2021, 2, 12),
    2022: date(2022, 2, 1), 2023: date(2023, 1, 22), 2024: date(2024, 2, 10),
    2025: date(2025, 1, 29), 2026: date(2026, 2, 17), 2027: date(2027, 2, 6),
    2028: date(2028, 1, 26), 2029: date(2029, 2, 13), 2030: date(2030, 2, 3),
    2031: date(2031, 1, 23), 2032: date(2032, 2, 11), 2033: date(2033, 1, 31),
    2034: date(2034, 2, 19), 2035: date(2035, 2, 8),
}

# Seasonal multipliers of the purchase intensity (relative to an ordinary day).
SEASON = {
    "spring_festival": {"from_days": -7, "to_days": 6, "factor": 0.3},
    "pre_festival": {"from_days": -24, "to_days": -8, "factor": 1.15},
    "618": {"month": 6, "from_day": 1, "to_day": 17, "factor": 2.0, "peak_day": 18, "peak_factor": 4.0},
    "double11": {"month": 11, "from_day": 1, "to_day": 10, "factor": 2.2, "peak_day": 11,
                 "peak_factor": 5.0},
}

# How key accounts (B2B) differ: they order on working days, hardly care about the
# shopping festivals (their factors are raised to this power), buy more at year end
# (budgets), and stop longer at the Spring Festival.  Consumers shop a bit more at weekends.
SEASON_BY_TYPE = {
    "B2C": {"weekend": 1.15},
    "B2B": {"weekend": 0.3, "festival_power": 0.4, "spring_festival": 0.15,
            "year_end": {"month": 12, "factor": 1.3}},
}

FILES = ("customers.csv", "orders.csv", "visits.csv", "complaints.csv", "surveys.csv", "truth.json")

B2B_SHARE = 0.07
PROSPECT_SHARE = {"B2C": 0.12, "B2B": 0.04}
UNOWNED_SHARE = {"B2C": 0.25, "B2B": 0.03}
SERVICE_COUPLING = 0.7       # correlation of dissatisfaction with the (normal score of the) dropout p
SIGNUP_GROWTH = math.log(3.0)  # signups per day triple from the first to the last day
RETURN_SHARE = 0.03
CANCEL_SHARE = 0.02
N_REPS = 30

# ---------------------------------------------------------------- vocabularies

_SURNAMES = [
    ("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"), ("杨", "yang"),
    ("黄", "huang"), ("赵", "zhao"), ("吴", "wu"), ("周", "zhou"), ("徐", "xu"), ("孙", "sun"),
    ("马", "ma"), ("朱", "zhu"), ("胡", "hu"), ("郭", "guo"), ("何", "he"), ("高", "gao"),
    ("林", "lin"), ("罗", "luo"), ("郑", "zheng"), ("梁", "liang"), ("谢", "xie"), ("宋", "song"),
    ("唐", "tang"), ("许", "xu"), ("韩", "han"), ("冯", "feng"), ("邓", "deng"), ("曹", "cao"),
    ("彭", "peng"), ("曾", "zeng"), ("肖", "xiao"), ("田", "tian"), ("董", "dong"), ("袁", "yuan"),
    ("潘", "pan"), ("于", "yu"), ("蒋", "jiang"), ("蔡", "cai"), ("余", "yu"), ("杜", "du"),
]
_SURNAME_WEIGHTS = np.array([7.3, 7.2, 7.0, 5.4, 4.6, 3.1, 2.3, 2.2, 2.0, 1.9, 1.8, 1.5, 1.3,
                             1.3, 1.2, 1.2, 1.2, 1.1, 1.0, 0.9, 0.9, 0.8, 0.8, 0.7, 0.7, 0.7,
                             0.7, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5,
                             0.5, 0.4, 0.4])
_GIVEN = [
    ("伟", "wei"), ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("丽", "li"),
    ("强", "qiang"), ("磊", "lei"), ("军", "jun"), ("洋", "yang"), ("勇", "yong"), ("艳", "yan"),
    ("杰", "jie"), ("娟", "juan"), ("涛", "tao"), ("明", "ming"), ("超", "chao"), ("秀", "xiu"),
    ("霞", "xia"), ("平", "ping"), ("刚", "gang"), ("桂", "gui"), ("华", "hua"), ("建", "jian"),
    ("文", "wen"), ("玲", "ling"), ("鹏", "peng"), ("辉", "hui"), ("宇", "yu"), ("婷", "ting"),
    ("浩", "hao"), ("鑫", "xin"), ("欣", "xin"), ("佳", "jia"), ("晨", "chen"), ("雪", "xue"),
    ("梅", "mei"), ("琳", "lin"), ("志", "zhi"), ("国", "guo"), ("斌", "bin"), ("博", "bo"),
    ("俊", "jun"), ("雨", "yu"), ("子", "zi"), ("思", "si"), ("嘉", "jia"), ("慧", "hui"),
    ("凯", "kai"), ("帆", "fan"), ("然", "ran"), ("昊", "hao"), ("倩", "qian"), ("颖", "ying"),
]
# (province, city, weight)
_PLACES = [
    ("广东省", "广州市", 7.0), ("广东省", "深圳市", 8.0), ("广东省", "东莞市", 3.0),
    ("广东省", "佛山市", 2.5), ("浙江省", "杭州市", 7.0), ("浙江省", "宁波市", 3.0),
    ("浙江省", "温州市", 2.0), ("江苏省", "南京市", 5.0), ("江苏省", "苏州市", 6.0),
    ("江苏省", "无锡市", 2.5), ("上海市", "上海市", 10.0), ("北京市", "北京市", 8.0),
    ("天津市", "天津市", 2.5), ("重庆市", "重庆市", 3.0), ("四川省", "成都市", 5.0),
    ("湖北省", "武汉市", 4.0), ("湖南省", "长沙市", 3.0), ("山东省", "济南市", 2.5),
    ("山东省", "青岛市", 3.0), ("福建省", "厦门市", 2.5), ("福建省", "福州市", 2.0),
    ("河南省", "郑州市", 3.0), ("陕西省", "西安市", 3.0), ("安徽省", "合肥市", 2.5),
    ("辽宁省", "沈阳市", 1.5), ("辽宁省", "大连市", 1.5), ("云南省", "昆明市", 1.5),
]
_CITY_SHORT = {"广州市": "广州", "深圳市": "深圳", "东莞市": "东莞", "佛山市": "佛山", "杭州市": "杭州",
               "宁波市": "宁波", "温州市": "温州", "南京市": "南京", "苏州市": "苏州", "无锡市": "无锡",
               "上海市": "上海", "北京市": "北京", "天津市": "天津", "重庆市": "重庆", "成都市": "成都",
               "武汉市": "武汉", "长沙市": "长沙", "济南市": "济南", "青岛市": "青岛", "厦门市": "厦门",
               "福州市": "福州", "郑州市": "郑州", "西安市": "西安", "合肥市": "合肥", "沈阳市": "沈阳",
               "大连市": "大连", "昆明市": "昆明"}
# (industry, weight, words used in company names)
_INDUSTRIES = [
    ("制造业", 0.24, ["机械", "精密制造", "电子", "新材料"]),
    ("零售", 0.16, ["商贸", "百货", "零售"]),
    ("餐饮", 0.12, ["餐饮管理", "食品"]),
    ("互联网", 0.15, ["网络科技", "信息技术", "科技"]),
    ("医疗", 0.10, ["医疗器械", "生物科技", "医药"]),
    ("教育", 0.09, ["教育科技", "文化传播"]),
    ("物流", 0.08, ["供应链管理", "物流"]),
    ("建筑", 0.06, ["建设工程", "建材"]),
]
_BRAND_CHARS = list("华信恒达瑞丰盛泰鼎宏嘉源汇通博远金鑫联创新天启明正大中兴安康和裕德润海星辰宇")
_BRAND_PINYIN = dict(zip(_BRAND_CHARS, [
    "hua", "xin", "heng", "da", "rui", "feng", "sheng", "tai", "ding", "hong", "jia", "yuan", "hui",
    "tong", "bo", "yuan", "jin", "xin", "lian", "chuang", "xin", "tian", "qi", "ming", "zheng", "da",
    "zhong", "xing", "an", "kang", "he", "yu", "de", "run", "hai", "xing", "chen", "yu"], strict=True))
_B2C_CHANNELS = ["线上商城", "天猫", "京东", "微信小程序", "线下门店"]
_B2C_CHANNEL_W = np.array([0.18, 0.27, 0.22, 0.18, 0.15])
_B2B_CHANNELS = ["直销", "经销商", "线上商城"]
_B2B_CHANNEL_W = np.array([0.55, 0.35, 0.10])
_ALL_CHANNELS = _B2C_CHANNELS + ["直销", "经销商"]
_ERP_CHANNELS = ("直销", "经销商", "线下门店")       # orders from the ERP carry a gross margin
_SLASH_DATE_CHANNELS = ("线下门店", "经销商")     # their system exports dates as 2024/03/05
# (category, unit price CNY, margin rate, weight for B2C, weight for B2B)
_CATEGORIES = [
    ("办公用品", 45.0, 0.28, 0.10, 0.30),
    ("电子产品", 380.0, 0.14, 0.22, 0.20),
    ("家居用品", 120.0, 0.32, 0.20, 0.04),
    ("食品饮料", 35.0, 0.25, 0.20, 0.06),
    ("个护美妆", 90.0, 0.42, 0.20, 0.00),
    ("工业耗材", 60.0, 0.22, 0.00, 0.22),
    ("软件服务", 1200.0, 0.55, 0.03, 0.12),
    ("礼品定制", 150.0, 0.38, 0.05, 0.06),
]
_EMAIL_DOMAINS = ["qq.com", "163.com", "126.com", "sina.com", "foxmail.com", "outlook.com", "gmail.com"]
_EMAIL_W = np.array([0.42, 0.22, 0.1, 0.06, 0.08, 0.07, 0.05])
_MOBILE_PREFIXES = ["130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151",
                    "152", "153", "155", "156", "157", "158", "159", "180", "181", "182", "183",
                    "185", "186", "187", "188", "189"]
_COMPLAINT_CATEGORIES = ["质量问题", "物流延迟", "售后服务", "价格争议", "账单错误", "发货错误"]
_COMPLAINT_CAT_W = np.array([0.30, 0.26, 0.18, 0.10, 0.08, 0.08])
_SEVERITIES = list(schema.COMPLAINT_SEVERITIES)
_SEVERITY_W = np.array([0.42, 0.35, 0.17, 0.06])
_SEVERITY_MEDIAN_HOURS = np.array([60.0, 30.0, 14.0, 6.0])
_VISIT_KINDS = list(schema.VISIT_KINDS)               # phone, email, on-site, wechat
_VISIT_KIND_W = {"B2C": np.array([0.45, 0.10, 0.05, 0.40]), "B2B": np.array([0.30, 0.15, 0.35, 0.20])}
_OUTCOMES = ["有购买意向", "已下单", "需求确认中", "暂无需求", "未接通", "已解决问题", "约定再次拜访"]
_OUTCOME_W = np.array([0.18, 0.12, 0.2, 0.16, 0.1, 0.1, 0.14])

# The Chinese headers of the dirty visits export (GB18030).
VISITS_HEADERS_ZH = {
    "visit_id": "拜访编号", "customer_id": "客户编号", "visit_date": "拜访日期",
    "sales_rep": "客户经理", "kind": "拜访方式", "outcome": "拜访结果",
}
# Date formats of the dirty export, per table (orders mixes two systems).
DIRTY_DATE_FORMATS: dict[str, Any] = {
    "customers": "%Y/%m/%d",
    "orders": ["%Y-%m-%d", "%Y/%m/%d"],
    "visits": "%Y-%m-%d",
    "surveys": "%Y-%m-%d",
}
DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"
DIRTY_ENCODINGS = {"customers": "utf-8", "orders": "utf-8-sig", "visits": "gb18030",
                   "complaints": "utf-8", "surveys": "utf-8"}


@dataclass(frozen=True)
class DemoData:
    """What :func:`generate_with_truth` returns.

    Attributes:
        tables: the five clean canonical tables (``customers``, ``orders``,
            ``visits``, ``complaints``, ``surveys``) as polars DataFrames.
        truth: the generating parameters and facts, as written to ``truth.json``
            (without the ``dirty`` section, which only :func:`write_demo` adds).
        latent: one row per customer: ``customer_id, customer_type, buyer,
            lam, p, nu, dissatisfaction, first_purchase, alive, death_date``
            (``lam`` in purchases per day; ``nu`` the Gamma-Gamma scale: the
            mean order value is ``p_gg / nu``; ``alive`` at the end date).
    """

    tables: dict[str, pl.DataFrame]
    truth: dict[str, Any]
    latent: pl.DataFrame
    cancelled: pl.DataFrame


# ---------------------------------------------------------------- dates and seasonality

def _as_date(value, what: str) -> date:
    return DEFAULT_END_DATE if value is None else parse_date(value, what)


def _period(end_date, years: float) -> tuple[date, date]:
    end = _as_date(end_date, "end_date")
    if not (isinstance(years, (int, float)) and math.isfinite(years) and years > 0):
        raise UsageError(f"years must be a positive number, got {years!r}.")
    months = years * 12
    after = end + timedelta(days=1)
    if abs(months - round(months)) < 1e-9:
        # whole months: the history starts on the same day of the month, `months` earlier
        idx = after.year * 12 + after.month - 1 - round(months)
        y, m0 = divmod(idx, 12)
        start = date(y, m0 + 1, min(after.day, calendar.monthrange(y, m0 + 1)[1]))
    else:
        start = after - timedelta(days=round(years * 365.25))
    if (end - start).days + 1 < 60:
        raise UsageError(f"years={years} gives less than 60 days of history; ask for at least 0.17 years.")
    if start < FOUNDED:
        raise UsageError(
            f"the history would start on {start}, before the demo company was founded ({FOUNDED}); "
            f"ask for fewer years or a later end date."
        )
    lo, hi = min(LUNAR_NEW_YEAR), max(LUNAR_NEW_YEAR)
    if start.year < lo or end.year >= hi:
        raise UsageError(
            f"the demo calendar covers {lo}-01-01 to {hi - 1}-12-31 (Spring Festival dates); "
            f"{start}..{end} is outside it."
        )
    return start, end


def seasonal_intensity(start: date, end: date, customer_type: str = "B2C") -> np.ndarray:
    """Relative purchase intensity of each day from ``start`` to ``end`` (inclusive).

    For consumers (``"B2C"``) an ordinary weekday is 1.0 and a weekend day 1.15.
    The Spring Festival (one week before to six days after Lunar New Year) drops
    to 0.3, the two weeks before it rise to 1.15, 618 (June 1-17: 2.0, June 18:
    4.0) and Double 11 (Nov 1-10: 2.2, Nov 11: 5.0) peak.  Key accounts
    (``"B2B"``) buy on working days (weekend 0.3), feel the festivals much less
    (factors to the power 0.4), buy more in December (1.3) and stop longer at the
    Spring Festival (0.15); see ``SEASON_BY_TYPE``.  The values are not normalised.
    """
    if customer_type not in SEASON_BY_TYPE:
        raise UsageError(f"customer_type '{customer_type}' is not one of {sorted(SEASON_BY_TYPE)}.")
    mod = SEASON_BY_TYPE[customer_type]
    power = mod.get("festival_power", 1.0)
    n = (end - start).days + 1
    days = np.arange(n)
    base = np.datetime64(start.isoformat(), "D")
    cal = base + days
    years = cal.astype("datetime64[Y]").astype(int) + 1970
    months = cal.astype("datetime64[M]").astype(int) % 12 + 1
    dom = (cal - cal.astype("datetime64[M]")).astype(int) + 1
    s = np.ones(n)
    for year in range(int(years.min()) - 1, int(years.max()) + 2):
        lny = LUNAR_NEW_YEAR.get(year)
        if lny is None:
            continue
        off = (cal - np.datetime64(lny.isoformat(), "D")).astype(int)
        pre, sf = SEASON["pre_festival"], SEASON["spring_festival"]
        s[(off >= pre["from_days"]) & (off <= pre["to_days"])] = pre["factor"] ** power
        s[(off >= sf["from_days"]) & (off <= sf["to_days"])] = mod.get("spring_festival", sf["factor"])
    for key in ("618", "double11"):
        w = SEASON[key]
        in_month = months == w["month"]
        s[in_month & (dom >= w["from_day"]) & (dom <= w["to_day"])] = w["factor"] ** power
        s[in_month & (dom == w["peak_day"])] = w["peak_factor"] ** power
    if "year_end" in mod:
        s[months == mod["year_end"]["month"]] *= mod["year_end"]["factor"]
    weekday = (days + base.astype("datetime64[D]").astype(np.int64) + 3) % 7   # 0 = Monday
    s[weekday >= 5] *= mod["weekend"]
    return s


class _Clock:
    """Maps calendar time (days since start, float) to seasonal operational time and back."""

    def __init__(self, intensity: np.ndarray):
        self.rate = intensity / intensity.mean()
        self.bounds = np.concatenate([[0.0], np.cumsum(self.rate)])
        self.n_days = len(intensity)

    @property
    def total(self) -> float:
        return float(self.bounds[-1])

    def to_op(self, t: np.ndarray) -> np.ndarray:
        d = np.clip(np.floor(t).astype(np.int64), 0, self.n_days - 1)
        return self.bounds[d] + (t - d) * self.rate[d]

    def to_day(self, tau: np.ndarray) -> np.ndarray:
        """The calendar day index (0-based) in which operational time ``tau`` falls."""
        d = np.searchsorted(self.bounds, tau, side="right") - 1
        return np.clip(d, 0, self.n_days - 1)


# ---------------------------------------------------------------- helpers

def _normal_scores(x: np.ndarray) -> np.ndarray:
    """Rank-based normal scores (ties broken by position): a monotone map to N(0, 1)."""
    ranks = np.empty(len(x))
    ranks[np.argsort(x, kind="stable")] = np.arange(len(x))
    return stats.norm.ppf((ranks + 0.5) / max(len(x), 1))


def _pick(rng: np.random.Generator, options: list, weights: np.ndarray, size: int) -> np.ndarray:
    return np.asarray(options, dtype=object)[_pick_idx(rng, len(options), weights, size)]


def _pick_idx(rng: np.random.Generator, k: int, weights: np.ndarray, size: int) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    return rng.choice(k, size=size, p=w / w.sum())


def _take(options: list[str], idx: np.ndarray) -> pl.Series:
    """``options[idx]`` as a polars string Series; a negative index gives null."""
    table = pl.Series(list(options) + [None], dtype=pl.String)
    idx = np.asarray(idx, dtype=np.int64)
    return table.gather(np.where(idx < 0, len(options), idx))


def _seq_ids(prefix: str, numbers: np.ndarray, width: int) -> pl.Series:
    """Identifiers like ``C000123``: ``prefix`` + the number zero-padded to ``width`` digits."""
    return prefix + pl.Series(np.asarray(numbers, dtype=np.int64)).cast(pl.String).str.zfill(width)


def _person_names(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Chinese names and their pinyin parts (surname, given) for e-mail addresses."""
    si = rng.choice(len(_SURNAMES), size=n, p=_SURNAME_WEIGHTS / _SURNAME_WEIGHTS.sum())
    g1 = rng.integers(0, len(_GIVEN), size=n)
    g2 = rng.integers(0, len(_GIVEN), size=n)
    two = rng.random(n) < 0.65
    sur = np.array([s for s, _ in _SURNAMES], dtype=object)
    sur_py = np.array([p for _, p in _SURNAMES], dtype=object)
    giv = np.array([g for g, _ in _GIVEN], dtype=object)
    giv_py = np.array([p for _, p in _GIVEN], dtype=object)
    given = np.where(two, giv[g1] + giv[g2], giv[g1])
    given_py = np.where(two, giv_py[g1] + giv_py[g2], giv_py[g1])
    return sur[si] + given, sur_py[si], given_py


def _company_names(rng: np.random.Generator, cities: np.ndarray, industries: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Unique company names like 上海华信网络科技有限公司 and a pinyin brand for their e-mail domain."""
    n = len(cities)
    words = {ind: w for ind, _, w in _INDUSTRIES}
    out = np.empty(n, dtype=object)
    brand_py = np.empty(n, dtype=object)
    used: set[str] = set()
    todo = np.arange(n)
    while len(todo):
        b1 = rng.integers(0, len(_BRAND_CHARS), size=len(todo))
        b2 = rng.integers(0, len(_BRAND_CHARS), size=len(todo))
        wi = rng.integers(0, 4, size=len(todo))
        left = []
        for k, i in enumerate(todo):
            ws = words[industries[i]]
            brand = _BRAND_CHARS[b1[k]] + _BRAND_CHARS[b2[k]]
            name = f"{_CITY_SHORT[cities[i]]}{brand}{ws[wi[k] % len(ws)]}有限公司"
            if name in used or b1[k] == b2[k]:
                left.append(i)
                continue
            used.add(name)
            out[i] = name
            brand_py[i] = _BRAND_PINYIN[_BRAND_CHARS[b1[k]]] + _BRAND_PINYIN[_BRAND_CHARS[b2[k]]]
        todo = np.array(left, dtype=np.int64)
    return out, brand_py


def _dates(start: date, idx: np.ndarray) -> pl.Series:
    base = np.datetime64(start.isoformat(), "D")
    return pl.Series((base + idx.astype(np.int64)).astype("datetime64[D]")).cast(pl.Date)


# ---------------------------------------------------------------- generation

def generate(customers: int, seed: int, end_date: date | str | None = None,
             years: float = 3.0) -> dict[str, pl.DataFrame]:
    """The five clean canonical tables of a demo company.

    Args:
        customers: number of customers in the archive (prospects included), >= 50.
        seed: random seed; the same arguments always give the same tables.
        end_date: last day of the data (default 2026-10-31).
        years: length of the history before ``end_date``.

    Returns:
        ``{"customers", "orders", "visits", "complaints", "surveys"}`` -> polars
        DataFrames with exactly the canonical columns and types of
        :mod:`workbench.schema`.  The truth behind them is in
        :func:`generate_with_truth`.
    """
    return generate_with_truth(customers, seed, end_date, years).tables


def generate_with_truth(customers: int, seed: int, end_date: date | str | None = None,
                        years: float = 3.0) -> DemoData:
    """Like :func:`generate`, also returning the truth and each customer's latent parameters."""
    if not isinstance(customers, (int, np.integer)) or isinstance(customers, bool) or customers < 50:
        raise UsageError(f"customers must be a whole number >= 50, got {customers!r}.")
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise UsageError(f"seed must be a non-negative whole number, got {seed!r}.")
    n = int(customers)
    start, end = _period(end_date, years)
    ss = np.random.SeedSequence([int(seed), 20190101])
    streams = {k: np.random.default_rng(s) for k, s in zip(
        ("cust", "buy", "spend", "order", "service", "names"), ss.spawn(6), strict=True)}
    intensity = {t: seasonal_intensity(start, end, t) for t in ("B2C", "B2B")}
    clocks = {t: _Clock(v) for t, v in intensity.items()}
    n_days = clocks["B2C"].n_days

    # --- latent customer parameters (exact BG/NBD and Gamma-Gamma marginals)
    rng = streams["cust"]
    lam = rng.gamma(BGNBD["r"], 1.0 / BGNBD["alpha"], size=n)
    p_drop = rng.beta(BGNBD["a"], BGNBD["b"], size=n)
    nu = rng.gamma(GAMMA_GAMMA["q"], 1.0 / GAMMA_GAMMA["v"], size=n)
    z_p = stats.norm.ppf(np.clip(stats.beta.cdf(p_drop, BGNBD["a"], BGNBD["b"]), 1e-12, 1 - 1e-12))
    dissat = SERVICE_COUPLING * z_p + math.sqrt(1 - SERVICE_COUPLING ** 2) * rng.standard_normal(n)
    value_score = 0.9 * _normal_scores(lam) + 0.9 * _normal_scores(-nu) + 0.7 * rng.standard_normal(n)
    n_b2b = max(1, round(B2B_SHARE * n))
    is_b2b = np.zeros(n, dtype=bool)
    is_b2b[np.argsort(-value_score, kind="stable")[:n_b2b]] = True
    ctype = np.where(is_b2b, "B2B", "B2C")

    # signup days: growing acquisition, following the seasonal intensity of the customer type
    growth = np.exp(SIGNUP_GROWTH * np.arange(n_days) / n_days)
    cdf = {t: np.cumsum(growth * v) / np.sum(growth * v) for t, v in intensity.items()}
    u = rng.random(n)
    signup = np.where(is_b2b, np.searchsorted(cdf["B2B"], u, side="right"),
                      np.searchsorted(cdf["B2C"], u, side="right")).clip(0, n_days - 1)
    prospect = rng.random(n) < np.where(is_b2b, PROSPECT_SHARE["B2B"], PROSPECT_SHARE["B2C"])
    delay = np.where(rng.random(n) < 0.55, 0, rng.geometric(1 / 6, size=n))
    t0 = signup + delay + rng.random(n)
    buyer = (~prospect) & (t0 < n_days)

    # --- purchases: BG/NBD in operational time
    rng = streams["buy"]
    bi = np.flatnonzero(buyer)
    b_b2b = is_b2b[bi]

    def to_op(t: np.ndarray, b2b: np.ndarray) -> np.ndarray:
        return np.where(b2b, clocks["B2B"].to_op(t), clocks["B2C"].to_op(t))

    def to_day(tau: np.ndarray, b2b: np.ndarray) -> np.ndarray:
        return np.where(b2b, clocks["B2B"].to_day(tau), clocks["B2C"].to_day(tau))

    tau0 = to_op(t0[bi], b_b2b)
    t_op = np.maximum(clocks["B2C"].total - tau0, 0.0)     # both clocks total n_days
    n_events = rng.poisson(lam[bi] * t_op)
    j_death = rng.geometric(np.clip(p_drop[bi], 1e-9, 1.0))
    k = np.minimum(n_events, j_death)
    died = j_death <= n_events
    has = k > 0
    tk = np.zeros(len(bi))
    tk[has] = t_op[has] * rng.beta(k[has], n_events[has] - k[has] + 1)
    # the first k-1 repeat purchases: sorted uniforms below the k-th (order is irrelevant)
    owner = np.repeat(np.arange(len(bi)), np.maximum(k - 1, 0))
    earlier = rng.random(len(owner)) * tk[owner]
    rep_owner = np.concatenate([owner, np.flatnonzero(has)])
    rep_tau = np.concatenate([tau0[owner] + earlier, tau0[has] + tk[has]])
    first_day = np.floor(t0[bi]).astype(np.int64)
    o_cust = np.concatenate([bi, bi[rep_owner]])
    o_day = np.concatenate([first_day, to_day(rep_tau, b_b2b[rep_owner])])
    o_last = np.concatenate([np.zeros(len(bi), bool), np.zeros(len(owner), bool),
                             died[has]])               # the purchase after which the customer left
    death_day = np.full(n, -1, dtype=np.int64)
    death_day[bi[died & has]] = to_day(tau0[died & has] + tk[died & has], b_b2b[died & has])
    alive = np.ones(n, dtype=bool)
    alive[bi[died & has]] = False

    # --- order values: Gamma-Gamma
    rng = streams["spend"]
    amount = rng.gamma(GAMMA_GAMMA["p"], 1.0 / nu[o_cust])
    amount = np.maximum(np.round(amount, 2), 0.01)

    tables, extra = _build_tables(
        streams, n=n, start=start, end=end, ctype=ctype, is_b2b=is_b2b, signup=signup,
        buyer=buyer, lam=lam, nu=nu, dissat=dissat, alive=alive, death_day=death_day,
        o_cust=o_cust, o_day=o_day, o_last=o_last, amount=amount, n_days=n_days)

    latent = pl.DataFrame({
        "customer_id": extra["customer_ids"],
        "customer_type": ctype.astype(str),
        "buyer": buyer,
        "lam": lam,
        "p": p_drop,
        "nu": nu,
        "dissatisfaction": dissat,
        "first_purchase": _dates(start, np.where(buyer, np.floor(t0), 0)).to_numpy(),
        "alive": alive,
        "death_date": _dates(start, np.maximum(death_day, 0)).to_numpy(),
    }).with_columns(
        pl.when(pl.col("buyer")).then(pl.col("first_purchase")).alias("first_purchase"),
        pl.when(pl.col("alive").not_()).then(pl.col("death_date")).alias("death_date"),
    ).sort("customer_id")
    truth = {
        "seed": int(seed),
        "customers": n,
        "start_date": start.isoformat(),
        "end_date": end.isoformat(),
        "founded": FOUNDED.isoformat(),
        "company": COMPANY_NAME,
        "currency": "CNY",
        "time_unit": TIME_UNIT,
        "bgnbd": dict(BGNBD),
        "gamma_gamma": dict(GAMMA_GAMMA),
        "seasonality": {
            "method": "purchase times of the BG/NBD process are drawn in operational time and "
                      "mapped to calendar days through the cumulative seasonal intensity "
                      "(mean 1 over the period)",
            "windows": SEASON,
            "by_customer_type": SEASON_BY_TYPE,
            "lunar_new_year": {str(y): d.isoformat() for y, d in LUNAR_NEW_YEAR.items()
                               if start.year <= y <= end.year},
        },
        "b2b_share": B2B_SHARE,
        "prospect_share": PROSPECT_SHARE,
        "unowned_share": UNOWNED_SHARE,
        "service_coupling": SERVICE_COUPLING,
        "facts": {
            "b2b_customers": int(is_b2b.sum()),
            "buyers": int(buyer.sum()),
            "prospects": int((~buyer).sum()),
            "alive_buyers_at_end": int((alive & buyer).sum()),
            "sales_reps": extra["reps"],
        },
        "rows": {name: df.height for name, df in tables.items()},
    }
    return DemoData(tables=tables, truth=truth, latent=latent, cancelled=extra["cancelled"])


def _build_tables(streams, *, n, start, end, ctype, is_b2b, signup, buyer, lam, nu, dissat,
                  alive, death_day, o_cust, o_day, o_last, amount, n_days):
    """Turn the latent draws into the five canonical tables."""
    rng = streams["names"]
    # --- customers sorted by signup day -> customer ids in archive order
    order = np.lexsort((rng.random(n), signup))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    width = max(6, len(str(n)))
    cid = _seq_ids("C", rank + 1, width)          # customer ids in generation order

    names, sur_py, given_py = _person_names(rng, n)
    pw = np.array([w for _, _, w in _PLACES])
    place = rng.choice(len(_PLACES), size=n, p=pw / pw.sum())
    province = np.array([p for p, _, _ in _PLACES], dtype=object)[place]
    city = np.array([c for _, c, _ in _PLACES], dtype=object)[place]
    ind_names = [i for i, _, _ in _INDUSTRIES]
    industry = np.where(is_b2b, _pick(rng, ind_names, np.array([w for _, w, _ in _INDUSTRIES]), n), None)
    company = np.full(n, None, dtype=object)
    dom = np.full(n, None, dtype=object)
    b2b_idx = np.flatnonzero(is_b2b)
    company[b2b_idx], brand = _company_names(rng, city[b2b_idx], industry[b2b_idx])
    dom[b2b_idx] = brand + ".com.cn"
    b2b_ch = np.array([_ALL_CHANNELS.index(c) for c in _B2B_CHANNELS])
    b2c_ch = np.array([_ALL_CHANNELS.index(c) for c in _B2C_CHANNELS])
    chan = np.where(is_b2b, b2b_ch[_pick_idx(rng, len(_B2B_CHANNELS), _B2B_CHANNEL_W, n)],
                    b2c_ch[_pick_idx(rng, len(_B2C_CHANNELS), _B2C_CHANNEL_W, n)])
    prefix = np.array(_MOBILE_PREFIXES, dtype=object)[rng.integers(0, len(_MOBILE_PREFIXES), n)]
    suffix = rng.choice(10 ** 8, size=n, replace=False)
    phone = prefix + np.char.zfill(suffix.astype(str), 8).astype(object)
    num = rng.choice(np.arange(10, 10 + 20 * n), size=n, replace=False).astype(str).astype(object)
    free_dom = _pick(rng, _EMAIL_DOMAINS, _EMAIL_W, n)
    style = rng.integers(0, 3, n)
    local = np.where(style == 0, given_py + "." + sur_py + num,
                     np.where(style == 1, sur_py + given_py + num, sur_py + "_" + num))
    email = local + "@" + np.where(is_b2b, dom, free_dom)
    email = np.where(rng.random(n) < np.where(is_b2b, 0.02, 0.18), None, email)
    rep_names, _, _ = _person_names(np.random.default_rng(streams["names"].integers(2 ** 63)), 4 * N_REPS)
    reps = list(dict.fromkeys(rep_names.tolist()))[:N_REPS]
    rep_w = rng.gamma(2.0, 1.0, N_REPS)
    owned = rng.random(n) >= np.where(is_b2b, UNOWNED_SHARE["B2B"], UNOWNED_SHARE["B2C"])
    rep = np.where(owned, _pick_idx(rng, N_REPS, rep_w, n), -1)
    cust = pl.DataFrame({
        "customer_id": cid,
        "name": pl.Series(names.tolist(), dtype=pl.String),
        "company": pl.Series(company.tolist(), dtype=pl.String),
        "customer_type": pl.Series(ctype.tolist(), dtype=pl.String),
        "phone": pl.Series(phone.tolist(), dtype=pl.String),
        "email": pl.Series(email.tolist(), dtype=pl.String),
        "province": pl.Series(province.tolist(), dtype=pl.String),
        "city": pl.Series(city.tolist(), dtype=pl.String),
        "industry": pl.Series(industry.tolist(), dtype=pl.String),
        "channel": _take(_ALL_CHANNELS, chan),
        "sales_rep": _take(reps, rep),
        "signup_date": _dates(start, signup),
    })

    # --- orders
    rng = streams["order"]
    m = len(o_cust)
    cat_names = [c for c, *_ in _CATEGORIES]
    unit = np.array([c[1] for c in _CATEGORIES])
    mrate = np.array([c[2] for c in _CATEGORIES])
    pref_cat = np.where(is_b2b, rng.choice(len(_CATEGORIES), n, p=_norm([c[4] for c in _CATEGORIES])),
                        rng.choice(len(_CATEGORIES), n, p=_norm([c[3] for c in _CATEGORIES])))
    any_cat_b2b = rng.choice(len(_CATEGORIES), m, p=_norm([c[4] for c in _CATEGORIES]))
    any_cat_b2c = rng.choice(len(_CATEGORIES), m, p=_norm([c[3] for c in _CATEGORIES]))
    cat = np.where(rng.random(m) < 0.6, pref_cat[o_cust],
                   np.where(is_b2b[o_cust], any_cat_b2b, any_cat_b2c))
    qty = np.maximum(1, np.round(amount / unit[cat] * rng.uniform(0.7, 1.3, m))).astype(np.int64)
    o_channel = np.where(rng.random(m) < 0.85, chan[o_cust],
                         np.where(is_b2b[o_cust], b2b_ch[_pick_idx(rng, len(_B2B_CHANNELS), _B2B_CHANNEL_W, m)],
                                  b2c_ch[_pick_idx(rng, len(_B2C_CHANNELS), _B2C_CHANNEL_W, m)]))
    erp = np.isin(o_channel, [_ALL_CHANNELS.index(c) for c in _ERP_CHANNELS])
    margin = np.where(erp, np.round(amount * mrate[cat] * rng.uniform(0.75, 1.25, m), 2), np.nan)

    # cancelled orders (only exported in dirty mode, but they take order numbers)
    nc = round(CANCEL_SHARE * m)
    csrc = rng.choice(m, size=nc, replace=False) if nc and m else np.zeros(0, np.int64)
    c_day = np.maximum(o_day[csrc] - rng.integers(0, 3, nc), 0)
    c_amount = np.round(amount[csrc] * rng.uniform(0.5, 1.5, nc), 2)
    status_all = np.concatenate([np.zeros(m, np.int8), np.ones(nc, np.int8)])
    all_cust = np.concatenate([o_cust, o_cust[csrc]])
    all_day = np.concatenate([o_day, c_day])
    all_amount = np.concatenate([amount, np.maximum(c_amount, 0.01)])
    all_qty = np.concatenate([qty, qty[csrc]])
    all_margin = np.concatenate([margin, np.where(np.isnan(margin[csrc]), np.nan,
                                                  np.round(c_amount * mrate[cat[csrc]], 2))])
    all_cat = np.concatenate([cat, cat[csrc]])
    all_channel = np.concatenate([o_channel, o_channel[csrc]])
    all_last = np.concatenate([o_last, np.zeros(nc, bool)])
    srt = np.lexsort((rng.random(len(all_day)), all_day))
    o_width = max(8, len(str(len(srt) + 1000)))
    ono = np.empty(len(srt), dtype=np.int64)      # order numbers follow the order date
    ono[srt] = np.arange(1, len(srt) + 1)

    # returns: a share of completed orders comes back within a month (negative amounts)
    completed = np.flatnonzero(status_all == 0)
    nr = round(RETURN_SHARE * len(completed))
    rsrc = rng.choice(completed, size=nr, replace=False) if nr else np.zeros(0, np.int64)
    r_day = all_day[rsrc] + rng.integers(1, 31, nr)
    keep_r = r_day < n_days
    rsrc, r_day = rsrc[keep_r], r_day[keep_r]
    full = rng.random(len(rsrc)) < 0.7
    frac = np.where(full, 1.0, rng.uniform(0.2, 0.8, len(rsrc)))
    r_amount = -np.maximum(np.round(all_amount[rsrc] * frac, 2), 0.01)
    r_qty = np.where(full, all_qty[rsrc], np.maximum(1, np.round(all_qty[rsrc] * frac))).astype(np.int64)
    r_margin = -np.round(all_margin[rsrc] * frac, 2)

    keep = status_all == 0
    ord_df = pl.DataFrame({
        "order_id": pl.concat([_seq_ids("SO", ono[keep], o_width),
                               _seq_ids("SO", ono[rsrc], o_width) + "-R"]),
        "customer_id": cid.gather(np.concatenate([all_cust[keep], all_cust[rsrc]])),
        "order_date": _dates(start, np.concatenate([all_day[keep], r_day])),
        "amount": pl.Series(np.concatenate([all_amount[keep], r_amount]), dtype=pl.Float64),
        "quantity": pl.Series(np.concatenate([all_qty[keep], r_qty]), dtype=pl.Int64),
        "gross_margin": pl.Series(np.concatenate([all_margin[keep], r_margin]), dtype=pl.Float64,
                                  nan_to_null=True),
        "product_category": _take(cat_names, np.concatenate([all_cat[keep], all_cat[rsrc]])),
        "channel": _take(_ALL_CHANNELS, np.concatenate([all_channel[keep], all_channel[rsrc]])),
        "status": _take(["completed", "returned"],
                        np.repeat([0, 1], [int(keep.sum()), len(rsrc)])),
    }).sort(["order_date", "order_id"])
    cancelled = pl.DataFrame({
        "order_id": _seq_ids("SO", ono[~keep], o_width),
        "customer_id": cid.gather(all_cust[~keep]),
        "order_date": _dates(start, all_day[~keep]),
        "amount": pl.Series(all_amount[~keep], dtype=pl.Float64),
        "quantity": pl.Series(all_qty[~keep], dtype=pl.Int64),
        "gross_margin": pl.Series(all_margin[~keep], dtype=pl.Float64, nan_to_null=True),
        "product_category": _take(cat_names, all_cat[~keep]),
        "channel": _take(_ALL_CHANNELS, all_channel[~keep]),
        "status": pl.Series(["cancelled"] * int((~keep).sum()), dtype=pl.String),
    }).sort(["order_date", "order_id"])

    # --- complaints: tied to completed orders; dissatisfied customers complain more,
    # and the order after which a customer leaves often carries a complaint
    rng = streams["service"]
    c_o = np.flatnonzero(keep)
    logit = -4.3 + 0.9 * dissat[all_cust[c_o]] + 0.3 * is_b2b[all_cust[c_o]] + 2.6 * all_last[c_o]
    hit = c_o[rng.random(len(c_o)) < special.expit(logit)]
    nq = len(hit)
    q_cust = all_cust[hit]
    opened_day = all_day[hit] + rng.integers(1, 12, nq)
    opened_sec = rng.integers(8 * 3600, 22 * 3600, nq)
    sev = rng.choice(4, nq, p=_norm(_SEVERITY_W))
    hours = _SEVERITY_MEDIAN_HOURS[sev] * np.exp(0.8 * rng.standard_normal(nq) + 0.35 * dissat[q_cust])
    hours = hours * np.where(is_b2b[q_cust], 0.6, 1.0)
    never = rng.random(nq) < special.expit(-3.6 + 0.9 * dissat[q_cust] + 1.5 * all_last[hit])
    base_dt = np.datetime64(start.isoformat(), "s")
    opened = base_dt + (opened_day * 86400 + opened_sec).astype("timedelta64[s]")
    resolved = opened + np.round(hours * 3600).astype(np.int64).astype("timedelta64[s]")
    end_dt = np.datetime64((end + timedelta(days=1)).isoformat(), "s")
    in_time = opened < end_dt
    open_now = never | (resolved >= end_dt)
    q_sel = np.flatnonzero(in_time)
    q_sorted = q_sel[np.lexsort((rank[q_cust[q_sel]], opened[q_sel]))]
    cq = pl.DataFrame({
        "complaint_id": _seq_ids("TS", np.arange(1, len(q_sorted) + 1), o_width - 1),
        "customer_id": cid.gather(q_cust[q_sorted]),
        "opened_at": pl.Series(opened[q_sorted].astype("datetime64[us]")),
        "resolved_at": pl.Series(np.where(open_now[q_sorted], np.datetime64("NaT"),
                                          resolved[q_sorted]).astype("datetime64[us]")),
        "category": _take(_COMPLAINT_CATEGORIES,
                          _pick_idx(rng, len(_COMPLAINT_CATEGORIES), _COMPLAINT_CAT_W, nq)[q_sorted]),
        "severity": _take(_SEVERITIES, sev[q_sorted]),
    }).with_columns(pl.col("opened_at").cast(pl.Datetime("us")), pl.col("resolved_at").cast(pl.Datetime("us")))

    # --- surveys after some orders: NPS and CSAT fall with dissatisfaction and complaints
    complained = np.zeros(len(all_day), bool)
    complained[hit] = True
    sp = np.where(is_b2b[all_cust[c_o]], 0.14, 0.06)
    s_o = c_o[rng.random(len(c_o)) < sp]
    s_day = all_day[s_o] + rng.integers(2, 15, len(s_o))
    s_ok = s_day < n_days
    s_o, s_day = s_o[s_ok], s_day[s_ok]
    s_c = all_cust[s_o]
    nps_raw = 8.4 - 1.5 * dissat[s_c] - 4.0 * complained[s_o] + 1.4 * rng.standard_normal(len(s_o))
    nps = np.clip(np.round(nps_raw), 0, 10).astype(np.int64)
    csat = np.clip(np.round(1.2 + 0.38 * nps_raw + 0.5 * rng.standard_normal(len(s_o))), 1, 5).astype(np.int64)
    ss = np.lexsort((rank[s_c], s_day))
    sv = pl.DataFrame({
        "survey_id": _seq_ids("SV", np.arange(1, len(ss) + 1), o_width - 1),
        "customer_id": cid.gather(s_c[ss]),
        "survey_date": _dates(start, s_day[ss]),
        "nps": pl.Series(nps[ss], dtype=pl.Int64),
        "csat": pl.Series(csat[ss], dtype=pl.Int64),
    })

    # --- visits: more for key accounts and big spenders, fewer for neglected (dissatisfied) ones
    mean_spend_z = _normal_scores(-nu)
    rate_year = np.where(is_b2b, 7.0, 0.5) * np.exp(0.45 * mean_spend_z - 0.45 * dissat)
    rate_year = rate_year * np.where(owned, 1.0, 0.2)
    v_from = signup.astype(float)
    v_to = np.where(buyer, np.where(alive, n_days, np.minimum(death_day + 60, n_days)),
                    np.minimum(signup + 180, n_days)).astype(float)
    span = np.maximum(v_to - v_from, 0.0)
    nv = rng.poisson(rate_year * span / 365.25)
    v_c = np.repeat(np.arange(n), nv)
    v_day = np.floor(v_from[v_c] + rng.random(len(v_c)) * span[v_c]).astype(np.int64)
    kind_b2b = rng.choice(4, len(v_c), p=_norm(_VISIT_KIND_W["B2B"]))
    kind_b2c = rng.choice(4, len(v_c), p=_norm(_VISIT_KIND_W["B2C"]))
    kind = np.where(is_b2b[v_c], kind_b2b, kind_b2c)
    v_rep = np.where(owned[v_c], rep[v_c], _pick_idx(rng, N_REPS, np.ones(N_REPS), len(v_c)))
    outcome = _pick_idx(rng, len(_OUTCOMES), _OUTCOME_W, len(v_c))
    vs = np.lexsort((rank[v_c], v_day))
    vi = pl.DataFrame({
        "visit_id": _seq_ids("V", np.arange(1, len(vs) + 1), o_width),
        "customer_id": cid.gather(v_c[vs]),
        "visit_date": _dates(start, v_day[vs]),
        "sales_rep": _take(reps, v_rep[vs]),
        "kind": _take(_VISIT_KINDS, kind[vs]),
        "outcome": _take(_OUTCOMES, outcome[vs]),
    })

    tables = {
        "customers": cust.sort("customer_id"),
        "orders": ord_df,
        "visits": vi,
        "complaints": cq,
        "surveys": sv,
    }
    tables = {name: df.select(schema.get(name).names).cast(schema.get(name).polars_schema)
              for name, df in tables.items()}
    return tables, {"reps": reps, "cancelled": cancelled.cast(schema.get("orders").polars_schema),
                    "customer_ids": cid}


def _norm(w) -> np.ndarray:
    w = np.asarray(w, dtype=float)
    return w / w.sum()


# ---------------------------------------------------------------- writing

def _money_str(col: str) -> pl.Expr:
    """Amounts as text with exactly two decimals ('1234.50', '-12.00'); nulls stay null."""
    cents = (pl.col(col) * 100).round(0).cast(pl.Int64)
    a = cents.abs()
    return pl.concat_str([
        pl.when(cents < 0).then(pl.lit("-")).otherwise(pl.lit("")),
        (a // 100).cast(pl.String), pl.lit("."), (a % 100).cast(pl.String).str.zfill(2),
    ]).alias(col)


def _as_text(df: pl.DataFrame, table: str, date_fmt: str | None = None,
             slash_mask: pl.Expr | None = None) -> pl.DataFrame:
    """Every column of a canonical table as the text a CSV export would hold."""
    exprs = []
    for name, dtype in df.schema.items():
        if dtype == pl.Float64:
            exprs.append(_money_str(name))
        elif dtype == pl.Date:
            iso = pl.col(name).dt.strftime(date_fmt or "%Y-%m-%d")
            if slash_mask is not None:
                iso = pl.when(slash_mask).then(pl.col(name).dt.strftime("%Y/%m/%d")).otherwise(iso)
            exprs.append(iso.alias(name))
        elif isinstance(dtype, pl.Datetime):
            exprs.append(pl.col(name).dt.strftime(DATETIME_FORMAT).alias(name))
        else:
            exprs.append(pl.col(name).cast(pl.String).alias(name))
    return df.select(exprs)


def _csv_bytes(df: pl.DataFrame, encoding: str = "utf-8", bom: bool = False) -> bytes:
    text = df.write_csv(line_terminator="\n")
    data = text.encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


_FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def _n_inject(rows: int, share: float, least: int) -> int:
    return max(least, round(rows * share))


def _dirty_files(demo: DemoData, seed: int) -> tuple[dict[str, bytes], dict[str, Any], dict[str, int]]:
    """Build the dirty export: returns (file bytes, truth['dirty'], rows written per table)."""
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 404]))
    t = demo.tables
    cust = t["customers"]
    n = cust.height
    width = len(cust["customer_id"][0]) - 1
    dirty: dict[str, Any] = {}

    # ---- orders: clean completed + returns + cancelled, as text in the two systems' formats
    orders = pl.concat([t["orders"], demo.cancelled]).sort(["order_date", "order_id"])
    slash = pl.col("channel").is_in(list(_SLASH_DATE_CHANNELS))
    otext = _as_text(orders, "orders", slash_mask=slash).with_columns(
        pl.lit("clean").alias("_kind"), pl.lit(None, dtype=pl.String).alias("_ref"))
    otext = otext.with_columns(
        pl.when(pl.col("order_id").is_in(demo.cancelled["order_id"].implode()))
        .then(pl.lit("cancelled")).otherwise(pl.col("_kind")).alias("_kind"))
    otext = otext.with_columns(
        pl.when(pl.col("status") == "returned").then(pl.lit("returned")).otherwise(pl.col("_kind"))
        .alias("_kind"))
    m = otext.height
    key = np.arange(m, dtype=float)

    # duplicate customers: the same person entered twice with variant spellings
    ord_counts = t["orders"].filter(pl.col("status") == "completed").group_by("customer_id").len()
    eligible = ord_counts.filter(pl.col("len") >= 2).sort("customer_id")["customer_id"].to_numpy()
    n_dup = min(len(eligible), _n_inject(n, 0.01, 3))
    originals = np.sort(rng.choice(eligible, size=n_dup, replace=False)) if n_dup else np.array([], object)
    crow = {r["customer_id"]: r for r in
            cust.filter(pl.col("customer_id").is_in(pl.Series(originals.astype(str), dtype=pl.String)
                                                    .implode())).to_dicts()}
    reps = demo.truth["facts"]["sales_reps"]
    dup_rows, dup_info = [], []
    customer_col = otext["customer_id"].to_numpy().copy()
    status_arr = otext["status"].to_numpy()
    date_arr = orders["order_date"].to_numpy()
    # rows of each chosen original, in file order (one pass, not one scan per customer)
    rows_of: dict[str, list[int]] = {str(c): [] for c in originals}
    hits = otext.select(pl.col("customer_id").is_in(pl.Series(originals.astype(str), dtype=pl.String)
                                                    .implode()))["customer_id"].to_numpy()
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
        own = mine[status_arr[mine] == "completed"]
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

    # extra rows, each with exactly one defect
    plain = orders.filter(~pl.col("order_id").str.ends_with("-R"))["order_id"]
    next_no = [int(plain.str.slice(2).cast(pl.Int64).max()) + 1]
    o_width = len(orders["order_id"][0]) - 2
    buyers = t["orders"]["customer_id"].unique().sort().to_numpy()
    template = otext.filter(pl.col("_kind") == "clean")

    def new_rows(kind: str, count: int, **override) -> pl.DataFrame:
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

    def some_dates(year_from: int, year_to: int, count: int) -> list[str]:
        lo = date(year_from, 1, 1).toordinal()
        hi = date(year_to, 12, 28).toordinal()
        return [date.fromordinal(int(x)).isoformat() for x in rng.integers(lo, hi, count)]

    few = _n_inject(m, 0.0008, 2)
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
                         size=_n_inject(m, 0.004, 3), replace=False)
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

    def listing(kind: str, extra_cols=()) -> list[dict]:
        idx = np.flatnonzero(kinds == kind)
        out = []
        for i in idx:
            d = {"line": int(line[i]), "order_id": str(oid[i])}
            for c in extra_cols:
                d[c] = full[c][int(i)]
            out.append(d)
        return out

    o_dirty: dict[str, Any] = {
        "encoding": "utf-8-sig", "bom": True,
        "date_formats": DIRTY_DATE_FORMATS["orders"],
        "slash_date_channels": list(_SLASH_DATE_CHANNELS),
        "exact_duplicates": [{"line": int(line[i]), "order_id": str(oid[i]),
                              "original_line": line_of[str(oid[i])]}
                             for i in np.flatnonzero(kinds == "exact_duplicate")],
        "cancelled": listing("cancelled"),
        "returned": [{"line": int(line[i]), "order_id": str(oid[i]),
                      "original_order_id": str(oid[i]).removesuffix("-R"),
                      "original_line": line_of[str(oid[i]).removesuffix("-R")]}
                     for i in np.flatnonzero(kinds == "returned")],
    }
    for kind in ("non_positive_amount", "missing_customer_id", "future_date", "before_founded",
                 "unknown_customer", "unparseable_date", "unparseable_amount"):
        o_dirty[kind] = listing(kind, ("customer_id", "order_date", "amount"))
    o_dirty["outliers"] = listing("outlier", ("customer_id", "amount"))
    o_dirty["currency_format_lines"] = [int(x) for x in line[fmt_mask]]
    o_dirty["slash_date_lines"] = int(full.filter(pl.col("order_date").str.contains("/")).height)
    orders_out = full.drop(["_kind", "_ref", "_key"])

    # ---- customers: canonical headers, dates as 2024/03/05, duplicates at the end (new ids)
    ctext = _as_text(cust, "customers", date_fmt=DIRTY_DATE_FORMATS["customers"])
    if dup_rows:
        dups = pl.DataFrame(dup_rows).with_columns(pl.col("signup_date").cast(pl.Date))
        dups = dups.select(schema.get("customers").names).cast(schema.get("customers").polars_schema)
        ctext = pl.concat([ctext, _as_text(dups, "customers", date_fmt=DIRTY_DATE_FORMATS["customers"])])
    c_line = {c: i + 2 for i, c in enumerate(ctext["customer_id"].to_list())}
    moved_ids = (orders_out.filter(pl.col("customer_id").is_in([d["duplicate_id"] for d in dup_info]))
                 .group_by("customer_id").agg(pl.col("order_id").unique().sort()))
    moved_of = dict(zip(moved_ids["customer_id"].to_list(), moved_ids["order_id"].to_list(), strict=True))
    for d in dup_info:
        d["line"] = c_line[d["duplicate_id"]]
        d["original_line"] = c_line[d["original_id"]]
        d["order_ids"] = list(moved_of.get(d["duplicate_id"], []))
    dirty["customers"] = {"encoding": "utf-8", "date_format": DIRTY_DATE_FORMATS["customers"],
                          "duplicates": dup_info}
    dirty["orders"] = o_dirty

    # ---- visits: GB18030, Chinese headers, exact duplicate rows
    vis = _as_text(t["visits"], "visits", date_fmt=DIRTY_DATE_FORMATS["visits"])
    vm = vis.height
    vdup = np.sort(rng.choice(vm, size=min(vm, _n_inject(vm, 0.008, 3)), replace=False)) if vm else np.array([], int)
    vkeys = np.concatenate([np.arange(vm, dtype=float), vdup + rng.uniform(0.1, 0.9, len(vdup))])
    vfull = pl.concat([vis.with_columns(pl.lit(False).alias("_dup")),
                       vis[vdup.tolist()].with_columns(pl.lit(True).alias("_dup"))])
    vfull = vfull.with_columns(pl.Series("_key", vkeys)).with_row_index("_i").sort(["_key", "_i"])
    vlines = np.arange(vfull.height) + 2
    vdflag = vfull["_dup"].to_numpy()
    vids = vfull["visit_id"].to_numpy()
    v_line_of = {vids[i]: int(vlines[i]) for i in np.flatnonzero(~vdflag)}
    dirty["visits"] = {
        "encoding": "gb18030", "headers": VISITS_HEADERS_ZH, "date_format": DIRTY_DATE_FORMATS["visits"],
        "exact_duplicates": [{"line": int(vlines[i]), "visit_id": str(vids[i]),
                              "original_line": v_line_of[vids[i]]} for i in np.flatnonzero(vdflag)],
    }
    visits_out = vfull.drop(["_i", "_key", "_dup"]).rename(VISITS_HEADERS_ZH)

    # ---- complaints: as exported (date-times 2024-03-05 14:30:00)
    complaints_out = _as_text(t["complaints"], "complaints")
    dirty["complaints"] = {"encoding": "utf-8", "datetime_format": DATETIME_FORMAT}

    # ---- surveys: a few answers outside the scales
    sv = _as_text(t["surveys"], "surveys", date_fmt=DIRTY_DATE_FORMATS["surveys"])
    nbad = 2
    if sv.height:
        pick = rng.choice(sv.height, size=nbad, replace=False)
        last = int(t["surveys"]["survey_id"].str.slice(2).cast(pl.Int64).max()) if t["surveys"].height else 0
        sw = len(t["surveys"]["survey_id"][0]) - 2 if t["surveys"].height else 7
        bad = sv[pick.tolist()].with_columns(
            pl.Series("survey_id", [f"SV{last + 1 + i:0{sw}d}" for i in range(nbad)], dtype=pl.String),
            pl.Series("nps", ["11", "7"], dtype=pl.String),
            pl.Series("csat", ["4", "0"], dtype=pl.String))
        pos = np.sort(rng.choice(sv.height + nbad, size=nbad, replace=False))
        skeys = np.concatenate([np.arange(sv.height, dtype=float), pos - 0.5])
        sv = pl.concat([sv, bad]).with_columns(pl.Series("_key", skeys)).sort("_key").drop("_key")
        slines = {s: i + 2 for i, s in enumerate(sv["survey_id"].to_list())}
        dirty["surveys"] = {"encoding": "utf-8", "invalid_value": [
            {"line": slines[s], "survey_id": s, "column": c, "value": v}
            for s, c, v in zip(bad["survey_id"].to_list(), ["nps", "csat"], ["11", "0"], strict=True)]}
    else:
        dirty["surveys"] = {"encoding": "utf-8", "invalid_value": []}

    dirty["expected_reasons"] = {
        "customers": {"duplicate_customer": len(dup_info)},
        "orders": {
            "exact_duplicate": len(o_dirty["exact_duplicates"]),
            "cancelled_order": len(o_dirty["cancelled"]),
            "non_positive_amount": len(o_dirty["non_positive_amount"]),
            "missing_customer_id": len(o_dirty["missing_customer_id"]),
            "future_date": len(o_dirty["future_date"]),
            "before_founded": len(o_dirty["before_founded"]),
            "unknown_customer": len(o_dirty["unknown_customer"]),
            "unparseable_date": len(o_dirty["unparseable_date"]),
            "unparseable_amount": len(o_dirty["unparseable_amount"]),
        },
        "visits": {"exact_duplicate": len(dirty["visits"]["exact_duplicates"])},
        "surveys": {"invalid_value": len(dirty["surveys"]["invalid_value"])},
        "complaints": {},
    }
    files = {
        "customers.csv": _csv_bytes(ctext),
        "orders.csv": _csv_bytes(orders_out, bom=True),
        "visits.csv": _csv_bytes(visits_out, encoding="gb18030"),
        "complaints.csv": _csv_bytes(complaints_out),
        "surveys.csv": _csv_bytes(sv),
    }
    rows = {"customers": ctext.height, "orders": orders_out.height, "visits": visits_out.height,
            "complaints": complaints_out.height, "surveys": sv.height}
    return files, dirty, rows


def _truth_json(truth: dict[str, Any]) -> str:
    """``truth.json`` text: readable for the first three levels, then one record per line.

    Long lists of injected rows are written compactly (one JSON value per line),
    which keeps the file readable and fast to write at 200,000 customers.
    """
    def dump(value: Any, indent: int) -> str:
        pad = "  " * indent
        if isinstance(value, dict) and value and indent < 3:
            inner = ",\n".join(f"{pad}  {json.dumps(str(k), ensure_ascii=False)}: {dump(v, indent + 1)}"
                               for k, v in value.items())
            return "{\n" + inner + "\n" + pad + "}"
        if isinstance(value, list) and value and isinstance(value[0], dict):
            inner = ",\n".join(f"{pad}  {json.dumps(v, ensure_ascii=False, default=str)}" for v in value)
            return "[\n" + inner + "\n" + pad + "]"
        return json.dumps(value, ensure_ascii=False, default=str)

    return dump(truth, 0) + "\n"


def _clean_files(demo: DemoData) -> tuple[dict[str, bytes], dict[str, int]]:
    files, rows = {}, {}
    for name, df in demo.tables.items():
        files[f"{name}.csv"] = _csv_bytes(_as_text(df, name))
        rows[name] = df.height
    return files, rows


def write_demo(out: Path | str, customers: int, seed: int, dirty: bool = False, end_date=None,
               years: float = 3.0) -> dict[str, Any]:
    """Write a demo dataset (five CSV files and ``truth.json``) into the folder ``out``.

    The clean version (``dirty=False``) has canonical headers, UTF-8 and ISO
    dates.  The dirty version adds what real exports contain (see
    ``docs/demo-data.md``); every injected defect is listed in
    ``truth.json["dirty"]`` with its ids and 1-based file line numbers
    (header = line 1).  Files are written to a temporary folder next to
    ``out`` and moved into place at the end, so a crash never leaves a
    complete-looking folder.  An existing ``out`` is replaced only if it holds
    nothing but demo files.

    Returns:
        ``{"rows": {table: rows written}, "path": str(out), "dirty": bool,
        "seed": int, "customers": int, "files": {file name: bytes}}``.
    """
    out = Path(out).expanduser().resolve()
    if out.exists():
        if not out.is_dir():
            raise UsageError(f"{out} exists and is not a folder; choose another --out.")
        foreign = sorted(p.name for p in out.iterdir() if p.name not in FILES)
        if foreign:
            raise UsageError(
                f"{out} already holds files that are not demo data ({', '.join(foreign[:5])}); "
                f"choose an empty or new folder for --out."
            )
    demo = generate_with_truth(customers, seed, end_date, years)
    truth = dict(demo.truth)
    if dirty:
        files, dirty_truth, rows = _dirty_files(demo, seed)
        truth["dirty"] = dirty_truth
    else:
        files, rows = _clean_files(demo)
        truth["dirty"] = None
    truth["rows_written"] = rows
    files["truth.json"] = _truth_json(truth).encode("utf-8")

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o777 & ~umask)
    old = None
    try:
        for name in FILES:
            (tmp / name).write_bytes(files[name])
        if out.exists():
            old = out.parent / f".{out.name}.old-{os.getpid()}"
            os.replace(out, old)
        os.replace(tmp, out)
    except BaseException:
        if old is not None and old.exists() and not out.exists():
            os.replace(old, out)
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return {"rows": rows, "path": str(out), "dirty": bool(dirty), "seed": int(seed),
            "customers": int(customers), "files": {k: len(v) for k, v in files.items()}}


def config_for(raw_dir, processed_dir, reports_dir, dirty: bool = True) -> dict[str, Any]:
    """The ``workbench.yaml`` content (a dict) that reads a demo folder written by :func:`write_demo`.

    Args:
        raw_dir: the folder :func:`write_demo` wrote.
        processed_dir, reports_dir: where cleaning and reports write.
        dirty: the folder was written with ``dirty=True`` (the default; the
            encodings, Chinese headers and date formats differ).

    Returns:
        A mapping with ``company``, ``paths``, ``sources`` and ``report``; every
        path is absolute.  ``sources.orders.date_format`` is a list: the
        orders export mixes ``2024-03-05`` and ``2024/03/05`` (tried in order,
        never ambiguous).
    """
    raw = Path(raw_dir).expanduser().resolve()
    return {
        "company": company_block(),
        "paths": {"raw": str(raw), "processed": str(Path(processed_dir).expanduser().resolve()),
                  "reports": str(Path(reports_dir).expanduser().resolve())},
        "sources": sources_block(raw, dirty=dirty),
        "report": {"lang": "zh", "show_pii": False},
    }


def company_block() -> dict[str, Any]:
    """The ``company:`` block of the demo configuration."""
    return {"name": COMPANY_NAME, "founded": FOUNDED.isoformat(), "currency": "CNY"}


def sources_block(raw_dir, dirty: bool = True) -> dict[str, dict[str, Any]]:
    """The ``sources:`` block for a demo folder (paths joined to ``raw_dir`` as given)."""
    raw = Path(raw_dir)
    if not dirty:
        return {name: {"path": str(raw / f"{name}.csv"), "encoding": "utf-8",
                       **({"datetime_format": DATETIME_FORMAT} if name == "complaints"
                          else {"date_format": "%Y-%m-%d"})}
                for name in schema.TABLES}
    return {
        "customers": {"path": str(raw / "customers.csv"), "encoding": DIRTY_ENCODINGS["customers"],
                      "date_format": DIRTY_DATE_FORMATS["customers"]},
        "orders": {"path": str(raw / "orders.csv"), "encoding": DIRTY_ENCODINGS["orders"],
                   "date_format": list(DIRTY_DATE_FORMATS["orders"])},
        "visits": {"path": str(raw / "visits.csv"), "encoding": DIRTY_ENCODINGS["visits"],
                   "date_format": DIRTY_DATE_FORMATS["visits"],
                   "columns": {zh: en for en, zh in VISITS_HEADERS_ZH.items()}},
        "complaints": {"path": str(raw / "complaints.csv"), "encoding": DIRTY_ENCODINGS["complaints"],
                       "datetime_format": DATETIME_FORMAT},
        "surveys": {"path": str(raw / "surveys.csv"), "encoding": DIRTY_ENCODINGS["surveys"],
                    "date_format": DIRTY_DATE_FORMATS["surveys"]},
    }
