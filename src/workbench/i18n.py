"""Chinese and English labels for reports (``lang: zh|en``).

Each analysis module registers its own labels with :func:`register`, so this
file holds only the shared vocabulary.  :func:`t` looks a key up and falls back
to the key itself, so a missing label is visible but never breaks a report.

A key means one thing everywhere: registering it again with other words is an
error (otherwise the text of a report would depend on which module was imported
last).  A module whose column shares a name with another module's but means
something else registers it in its own ``namespace`` and asks for it with
``t(key, lang, namespace)``, which falls back to the shared key.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["LANGS", "register", "t", "labels", "column_labels"]

LANGS = ("zh", "en")

_LABELS: dict[str, dict[str, str]] = {}


def register(labels: Mapping[str, Mapping[str, str]], namespace: str | None = None) -> None:
    """Add labels: ``{key: {"zh": ..., "en": ...}}``, optionally under ``namespace``.

    Registering the same key again with the same words is harmless; with other
    words it raises ``ValueError`` naming both (use a namespace instead).
    """
    for key, pair in labels.items():
        missing = [lang for lang in LANGS if lang not in pair]
        if missing:
            raise ValueError(f"label '{key}' lacks {missing}; give both 'zh' and 'en'.")
        full = f"{namespace}:{key}" if namespace else key
        new = {lang: pair[lang] for lang in LANGS}
        old = _LABELS.get(full)
        if old is not None and old != new:
            raise ValueError(
                f"label '{full}' is already registered as {old}, not {new}; a key means one "
                f"thing everywhere: use the same words or register it in a namespace."
            )
        _LABELS[full] = new


def t(key: str, lang: str = "en", namespace: str | None = None) -> str:
    """The label of ``key`` in ``lang`` (the key itself when no label is registered).

    With ``namespace``, a label registered in that namespace comes first.
    """
    if lang not in LANGS:
        raise ValueError(f"unknown language '{lang}'; use one of {LANGS}.")
    pair = _LABELS.get(f"{namespace}:{key}") if namespace else None
    pair = pair or _LABELS.get(key)
    return pair[lang] if pair else key


def labels(keys, lang: str = "en", namespace: str | None = None) -> list[str]:
    """Labels of several keys, in order."""
    return [t(k, lang, namespace) for k in keys]


def column_labels(columns, lang: str = "en", namespace: str | None = None) -> dict[str, str]:
    """A rename mapping for table headers: ``df.rename(column_labels(df.columns, lang))``."""
    return {c: t(c, lang, namespace) for c in columns}


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
