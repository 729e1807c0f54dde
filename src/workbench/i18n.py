"""Chinese and English text for reports (``lang: zh|en``): the one text store of the house.

One key scheme for every room:

- **shared vocabulary** (column names of the canonical tables and words of the
  trade) is registered here under plain keys: ``customer_id``, ``revenue``;
- **a room's own text** (its column labels, chart labels and sentence templates)
  is registered by the room under ``<room>.<key>``: ``i18n.register({...}, room="churn")``
  stores ``churn.revenue_12m``.  Sentence templates use ``str.format`` fields:
  ``{customers}``, ``{share}``.

:func:`t` looks a key up (with ``room``: the room's key first, then the shared
one) and falls back to the key itself, so a missing label is visible but never
breaks a report; :func:`say` fills a sentence template.  A key means one thing
everywhere: registering it again with other words is an error (otherwise the
text of a report would depend on which module was imported last).
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["LANGS", "column_labels", "labels", "register", "say", "t"]

LANGS = ("zh", "en")

_LABELS: dict[str, dict[str, str]] = {}


def _full(key: str, room: str | None) -> str:
    return f"{room}.{key}" if room else key


def register(labels: Mapping[str, Mapping[str, str]], room: str | None = None) -> None:
    """Add text: ``{key: {"zh": ..., "en": ...}}``, under ``<room>.<key>`` when ``room`` is given.

    Registering the same key again with the same words is harmless; with other
    words it raises ``ValueError`` naming both (use the room's own key instead).
    """
    for key, pair in labels.items():
        missing = [lang for lang in LANGS if lang not in pair]
        if missing:
            raise ValueError(f"label '{key}' lacks {missing}; give both 'zh' and 'en'.")
        full = _full(key, room)
        new = {lang: pair[lang] for lang in LANGS}
        old = _LABELS.get(full)
        if old is not None and old != new:
            raise ValueError(
                f"label '{full}' is already registered as {old}, not {new}; a key means one "
                f"thing everywhere: use the same words or register it under the room's own key."
            )
        _LABELS[full] = new


def t(key: str, lang: str = "en", room: str | None = None) -> str:
    """The text of ``key`` in ``lang`` (the key itself when nothing is registered).

    With ``room``, the room's ``<room>.<key>`` comes first, then the shared ``key``.
    """
    if lang not in LANGS:
        raise ValueError(f"unknown language '{lang}'; use one of {LANGS}.")
    pair = _LABELS.get(_full(key, room)) if room else None
    pair = pair or _LABELS.get(key)
    return pair[lang] if pair else key


def say(key: str, lang: str = "en", room: str | None = None, **values: object) -> str:
    """A sentence: the template ``key`` (see :func:`t`) filled with ``values``."""
    return t(key, lang, room).format(**values)


def labels(keys, lang: str = "en", room: str | None = None) -> list[str]:
    """Labels of several keys, in order."""
    return [t(k, lang, room) for k in keys]


def column_labels(columns, lang: str = "en", room: str | None = None) -> dict[str, str]:
    """A rename mapping for table headers: ``df.rename(column_labels(df.columns, lang))``."""
    return {c: t(c, lang, room) for c in columns}


# The shared vocabulary (glossary of the trade).  Module-specific labels live in their modules.
register({
    "customer_id": {"zh": "客户编号", "en": "Customer ID"},
    "name": {"zh": "客户名称", "en": "Name"},
    "company": {"zh": "公司名称", "en": "Company"},
    "phone": {"zh": "联系电话", "en": "Phone"},
    "email": {"zh": "电子邮箱", "en": "E-mail"},
    "province": {"zh": "省份", "en": "Province"},
    "city": {"zh": "城市", "en": "City"},
    "industry": {"zh": "行业", "en": "Industry"},
    "channel": {"zh": "渠道", "en": "Channel"},
    "sales_rep": {"zh": "客户经理", "en": "Account manager"},
    "signup_date": {"zh": "注册日期", "en": "Signup date"},
    "customer_type": {"zh": "客户类型", "en": "Customer type"},
    "order_id": {"zh": "订单编号", "en": "Order ID"},
    "order_date": {"zh": "下单日期", "en": "Order date"},
    "amount": {"zh": "金额", "en": "Amount"},
    "quantity": {"zh": "数量", "en": "Quantity"},
    "product_category": {"zh": "产品类别", "en": "Product category"},
    "status": {"zh": "状态", "en": "Status"},
    "customers": {"zh": "客户", "en": "Customers"},
    "orders": {"zh": "订单", "en": "Orders"},
    "visits": {"zh": "拜访", "en": "Visits"},
    "complaints": {"zh": "投诉", "en": "Complaints"},
    "surveys": {"zh": "满意度调查", "en": "Surveys"},
    "revenue": {"zh": "销售额", "en": "Revenue"},
    "revenue_share": {"zh": "销售额占比", "en": "Revenue share"},
    "tier": {"zh": "客户等级", "en": "Tier"},
    "segment": {"zh": "客户分群", "en": "Segment"},
    "clv": {"zh": "客户终身价值", "en": "Customer lifetime value"},
    "churn_probability": {"zh": "流失概率", "en": "Churn probability"},
    "revenue_at_risk": {"zh": "风险收入", "en": "Revenue at risk"},
    "count": {"zh": "数量", "en": "Count"},
    "share": {"zh": "占比", "en": "Share"},
    "total": {"zh": "合计", "en": "Total"},
    "other": {"zh": "其他", "en": "Other"},
})
