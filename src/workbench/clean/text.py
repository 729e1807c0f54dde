"""The cleaning room's words in :mod:`workbench.i18n` (room ``cleaning``), registered on
import: light (no pandas, no models), so importing the package registers them."""

from __future__ import annotations

from .. import i18n

ROOM = "cleaning"

i18n.register({
    "rows_in": {"zh": "原始行数", "en": "Rows in"},
    "rows_kept": {"zh": "保留", "en": "Kept"},
    "rows_quarantined": {"zh": "隔离", "en": "Quarantined"},
    "rows_merged": {"zh": "合并", "en": "Merged"},
    "amount_in": {"zh": "原始金额", "en": "Amount in"},
    "amount_kept": {"zh": "保留金额", "en": "Amount kept"},
    "amount_quarantined": {"zh": "隔离金额", "en": "Amount quarantined"},
    "table": {"zh": "数据表", "en": "Table"},
    "reason": {"zh": "原因", "en": "Reason"},
    "rows": {"zh": "行数", "en": "Rows"},
    "source": {"zh": "来源", "en": "Source"},
    "line": {"zh": "行号", "en": "Line"},
    "detail": {"zh": "说明", "en": "Detail"},
    "record": {"zh": "原始记录", "en": "Raw record"},
    "duplicate_id": {"zh": "重复编号", "en": "Duplicate ID"},
    "kept_id": {"zh": "保留编号", "en": "Kept ID"},
    "matched_on": {"zh": "匹配字段", "en": "Matched on"},
    "exact_duplicate": {"zh": "完全重复行", "en": "Exact duplicate row"},
    "duplicate_key": {"zh": "编号重复但内容不同", "en": "Same ID, different content"},
    "duplicate_customer": {"zh": "重复客户(已合并)", "en": "Duplicate customer (merged)"},
    "cancelled_order": {"zh": "已取消订单", "en": "Cancelled order"},
    "missing_customer_id": {"zh": "缺少客户编号", "en": "Missing customer ID"},
    "unknown_customer": {"zh": "客户编号不在客户档案中", "en": "Customer not in archive"},
    "future_date": {"zh": "日期在未来", "en": "Date in the future"},
    "before_founded": {"zh": "日期早于公司成立", "en": "Date before the company existed"},
    "non_positive_amount": {"zh": "金额为零或负数(非退货)", "en": "Zero or negative amount (not a return)"},
    "unparseable_date": {"zh": "日期无法识别", "en": "Unreadable date"},
    "unparseable_amount": {"zh": "金额无法识别", "en": "Unreadable amount"},
    "invalid_value": {"zh": "取值无效", "en": "Invalid value"},
    "unparseable_line": {"zh": "整行无法解析", "en": "Unreadable line"},
    "is_outlier": {"zh": "异常大额", "en": "Outlier"},
    "encoding": {"zh": "编码", "en": "Encoding"},
    "ignored_columns": {"zh": "未使用的列", "en": "Unused columns"},
    "label": {"zh": "原因", "en": "Reason"},
    "table.customers": {"zh": "客户", "en": "Customers"},
    "table.orders": {"zh": "订单", "en": "Orders"},
    "table.visits": {"zh": "拜访", "en": "Visits"},
    "table.complaints": {"zh": "投诉", "en": "Complaints"},
    "table.surveys": {"zh": "满意度调查", "en": "Surveys"},
    "phone": {"zh": "联系电话", "en": "Phone"},
    "email": {"zh": "电子邮箱", "en": "E-mail"},
    "company": {"zh": "公司名称", "en": "Company"},
    "name": {"zh": "客户名称", "en": "Name"},
    "amount": {"zh": "金额", "en": "Amount"},
}, room="cleaning")

i18n.register({
    "reason_sep": {"zh": "、", "en": ", "},
    "summary": {
        "zh": ("本次共读入 **{rows_in}** 行原始记录,保留 **{kept}** 行({share}),"
               "隔离 **{quarantined}** 行,合并重复客户 **{merged}** 个。"
               "每一行都有去向:原始行数 = 保留 + 隔离 + 合并,逐表核对无误。"
               "隔离最多的原因:{top}。"),
        "en": ("Cleaning read **{rows_in}** raw rows, kept **{kept}** ({share}), quarantined "
               "**{quarantined}** and merged **{merged}** duplicate customers. Every row is "
               "accounted for: rows in = kept + quarantined + merged, checked table by table. "
               "Most frequent reasons: {top}."),
    },
    "summary_amounts": {
        "zh": ("订单金额:原始 {amount_in} = 保留 {amount_kept} + "
               "隔离 {amount_quarantined}(退货以负数计入)。"),
        "en": (" Order amounts: {amount_in} in = {amount_kept} kept + "
               "{amount_quarantined} quarantined (returns count negative)."),
    },
    "orders_note": {
        "zh": ("金额无法识别的订单 {unparsed} 行(按 0 计);正数退货改为负数 {negated} 行;"
               "改挂到保留客户编号的订单 {repointed} 行;标记为异常大额的订单 {outliers} 行。"),
        "en": ("Orders with an unreadable amount: {unparsed} (counted as 0); returns with a "
               "positive amount negated: {negated}; orders moved to the surviving customer id: "
               "{repointed}; orders flagged as unusually large: {outliers}."),
    },
}, room=ROOM)

i18n.register({
    "dedupe_line": {"zh": "去重方法:**{method}** · 占位号码/邮箱(不作为证据):{placeholders} · 待人工复核:**{review}** 对",
                    "en": "De-duplication: **{method}** · placeholder keys (not evidence): {placeholders} · review queue: **{review}** pairs"},
    "dedupe_none": {"zh": "无", "en": "none"},
}, room=ROOM)
