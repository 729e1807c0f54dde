"""The five canonical tables of the workbench: columns, types and validation.

Every source (CRM export, ERP dump, Excel sheet, SQL query) is mapped onto these
tables by :mod:`workbench.ingest`; every analysis reads them.  This module is
the one place where their columns are defined.  It describes and checks data;
it never transforms it.

>>> import polars as pl
>>> from workbench import schema
>>> problems = schema.validate(pl.DataFrame({"order_id": ["o1"]}), "orders")
>>> [p.message for p in problems][:1]  # doctest: +ELLIPSIS
["orders: required column 'customer_id' is missing..."]
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import polars as pl

from .errors import DataError

__all__ = [
    "Column",
    "TableSchema",
    "Problem",
    "SchemaError",
    "TABLES",
    "ORDER_STATUSES",
    "VISIT_KINDS",
    "COMPLAINT_SEVERITIES",
    "get",
    "validate",
    "ensure_valid",
    "empty_frame",
    "conform",
    "describe_markdown",
]

ORDER_STATUSES = ("completed", "cancelled", "returned")
VISIT_KINDS = ("phone", "email", "on-site", "wechat")
COMPLAINT_SEVERITIES = ("low", "medium", "high", "critical")
CUSTOMER_TYPES = ("B2B", "B2C")


@dataclass(frozen=True)
class Column:
    """One canonical column.

    Attributes:
        name: canonical (English, snake_case) name.
        dtype: the polars type the column has after ingestion.
        required: the column must be present in every source.
        nullable: empty values are allowed.
        unique: values must not repeat (identifiers).
        allowed: the only values allowed (categorical columns), if any.
        min, max: inclusive bounds for numeric columns, if any.
        label_zh: the usual Chinese header, used for reports and for recognising exports.
        description: what the column means, in plain words.
    """

    name: str
    dtype: pl.DataType | type[pl.DataType]
    required: bool = False
    nullable: bool = True
    unique: bool = False
    allowed: tuple[str, ...] | None = None
    min: float | None = None
    max: float | None = None
    label_zh: str = ""
    description: str = ""


@dataclass(frozen=True)
class TableSchema:
    """A canonical table: its name, key and columns."""

    name: str
    key: str
    columns: tuple[Column, ...]
    label_zh: str = ""
    description: str = ""

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    @property
    def polars_schema(self) -> dict[str, pl.DataType | type[pl.DataType]]:
        return {c.name: c.dtype for c in self.columns}

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"table '{self.name}' has no column '{name}'; its columns are {self.names}")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a table, in plain words."""

    table: str
    column: str | None
    kind: str
    message: str
    rows: int = 0
    examples: tuple = field(default_factory=tuple)

    def __str__(self) -> str:
        return self.message


class SchemaError(DataError):
    """A table does not match its canonical schema; ``problems`` lists every problem."""

    def __init__(self, problems: list[Problem], source: str | None = None):
        self.problems = problems
        self.source = source
        where = f" in {source}" if source else ""
        lines = [f"{len(problems)} problem(s){where}:"] + [f"  - {p.message}" for p in problems]
        super().__init__("\n".join(lines))


_S, _D, _DT, _F, _I = pl.String, pl.Date, pl.Datetime("us"), pl.Float64, pl.Int64

TABLES: dict[str, TableSchema] = {
    "customers": TableSchema(
        name="customers",
        key="customer_id",
        label_zh="客户档案",
        description="One row per customer (the customer archive).",
        columns=(
            Column("customer_id", _S, required=True, nullable=False, unique=True,
                   label_zh="客户编号", description="Stable identifier of the customer."),
            Column("name", _S, label_zh="客户名称",
                   description="Contact person or customer name (personal data, masked in reports)."),
            Column("company", _S, label_zh="公司名称",
                   description="Company name for business customers; empty for consumers."),
            Column("customer_type", _S, allowed=CUSTOMER_TYPES, label_zh="客户类型",
                   description="B2B (company) or B2C (consumer)."),
            Column("phone", _S, label_zh="联系电话", description="Phone number (personal data)."),
            Column("email", _S, label_zh="电子邮箱", description="E-mail address (personal data)."),
            Column("province", _S, label_zh="省份", description="Province (省)."),
            Column("city", _S, label_zh="城市", description="City (市)."),
            Column("industry", _S, label_zh="行业", description="Industry of the customer."),
            Column("channel", _S, label_zh="渠道", description="Acquisition channel."),
            Column("sales_rep", _S, label_zh="客户经理",
                   description="Owner: the sales representative or account manager; empty = shared pool (公海)."),
            Column("signup_date", _D, required=True, nullable=False, label_zh="注册日期",
                   description="Date the customer entered the archive."),
        ),
    ),
    "orders": TableSchema(
        name="orders",
        key="order_id",
        label_zh="订单",
        description="One row per order or return.",
        columns=(
            Column("order_id", _S, required=True, nullable=False, unique=True,
                   label_zh="订单编号", description="Identifier of the order."),
            Column("customer_id", _S, required=True, nullable=False,
                   label_zh="客户编号", description="The customer who ordered."),
            Column("order_date", _D, required=True, nullable=False,
                   label_zh="下单日期", description="Date of the order."),
            Column("amount", _F, required=True, nullable=False, label_zh="金额",
                   description="Value in CNY: positive for orders, negative for returns (refunds)."),
            Column("quantity", _I, min=0, label_zh="数量", description="Number of items."),
            Column("gross_margin", _F, label_zh="毛利",
                   description="Gross margin of the order in CNY, where the ERP provides it."),
            Column("product_category", _S, label_zh="产品类别", description="Product category."),
            Column("channel", _S, label_zh="渠道", description="Sales channel of the order."),
            Column("status", _S, required=True, nullable=False, allowed=ORDER_STATUSES,
                   label_zh="订单状态", description="completed, cancelled or returned."),
        ),
    ),
    "visits": TableSchema(
        name="visits",
        key="visit_id",
        label_zh="拜访记录",
        description="One row per contact by the sales team (visit management).",
        columns=(
            Column("visit_id", _S, required=True, nullable=False, unique=True,
                   label_zh="拜访编号", description="Identifier of the visit."),
            Column("customer_id", _S, required=True, nullable=False,
                   label_zh="客户编号", description="The customer visited."),
            Column("visit_date", _D, required=True, nullable=False,
                   label_zh="拜访日期", description="Date of the visit."),
            Column("sales_rep", _S, label_zh="客户经理", description="Who made the visit."),
            Column("kind", _S, allowed=VISIT_KINDS, label_zh="拜访方式",
                   description="phone, email, on-site or wechat."),
            Column("outcome", _S, label_zh="拜访结果", description="Free-text or coded outcome."),
        ),
    ),
    "complaints": TableSchema(
        name="complaints",
        key="complaint_id",
        label_zh="客户投诉",
        description="One row per complaint (intake, handling, resolution).",
        columns=(
            Column("complaint_id", _S, required=True, nullable=False, unique=True,
                   label_zh="投诉编号", description="Identifier of the complaint."),
            Column("customer_id", _S, required=True, nullable=False,
                   label_zh="客户编号", description="The complaining customer."),
            Column("opened_at", _DT, required=True, nullable=False,
                   label_zh="受理时间", description="When the complaint was received."),
            Column("resolved_at", _DT, label_zh="解决时间",
                   description="When it was resolved; empty while open."),
            Column("category", _S, label_zh="投诉类别", description="What the complaint is about."),
            Column("severity", _S, allowed=COMPLAINT_SEVERITIES, label_zh="严重程度",
                   description="low, medium, high or critical."),
        ),
    ),
    "surveys": TableSchema(
        name="surveys",
        key="survey_id",
        label_zh="满意度调查",
        description="One row per satisfaction survey response.",
        columns=(
            Column("survey_id", _S, required=True, nullable=False, unique=True,
                   label_zh="问卷编号", description="Identifier of the response."),
            Column("customer_id", _S, required=True, nullable=False,
                   label_zh="客户编号", description="The responding customer."),
            Column("survey_date", _D, required=True, nullable=False,
                   label_zh="调查日期", description="Date of the response."),
            Column("nps", _I, min=0, max=10, label_zh="推荐意愿(NPS)",
                   description="Likelihood to recommend, 0-10."),
            Column("csat", _I, min=1, max=5, label_zh="满意度(CSAT)",
                   description="Satisfaction, 1-5."),
        ),
    ),
}


def get(table: str) -> TableSchema:
    """Return the schema of a canonical table, with a clear error for an unknown name."""
    try:
        return TABLES[table]
    except KeyError:
        raise KeyError(
            f"unknown table '{table}': the canonical tables are {', '.join(TABLES)}"
        ) from None


def _examples(values: Iterable, n: int = 3) -> tuple:
    out = []
    for v in values:
        out.append(v)
        if len(out) >= n:
            break
    return tuple(out)


def _type_ok(actual: pl.DataType, expected: pl.DataType | type[pl.DataType]) -> bool:
    if isinstance(expected, type):
        return isinstance(actual, expected) or actual == expected
    if isinstance(expected, pl.Datetime):
        return isinstance(actual, pl.Datetime)
    return actual == expected


def validate(df: pl.DataFrame, table: str) -> list[Problem]:
    """Check ``df`` against the canonical schema of ``table``.

    Returns every problem found (an empty list when the table is valid): missing
    required columns, unknown columns, wrong types, empty required values,
    repeated identifiers, values outside the allowed set or range.  Nothing
    stops at the first problem.
    """
    if not isinstance(df, pl.DataFrame):
        raise TypeError(f"validate expects a polars DataFrame, got {type(df).__name__}")
    spec = get(table)
    problems: list[Problem] = []
    present = set(df.columns)

    for name in spec.required:
        if name not in present:
            problems.append(Problem(
                table, name, "missing_column",
                f"{table}: required column '{name}' ({spec.column(name).label_zh}) is missing; "
                f"map a source column to it in the configuration.",
            ))
    unknown = [c for c in df.columns if c not in spec.names]
    for name in unknown:
        problems.append(Problem(
            table, name, "unknown_column",
            f"{table}: column '{name}' is not part of the canonical table; "
            f"known columns are {', '.join(spec.names)}.",
        ))

    n = df.height
    for col in spec.columns:
        if col.name not in present:
            continue
        s = df.get_column(col.name)
        if not _type_ok(s.dtype, col.dtype):
            problems.append(Problem(
                table, col.name, "wrong_type",
                f"{table}.{col.name}: expected type {col.dtype}, found {s.dtype}.",
            ))
            continue
        nulls = s.null_count()
        if not col.nullable and nulls:
            problems.append(Problem(
                table, col.name, "missing_value",
                f"{table}.{col.name}: {nulls} of {n} rows are empty; every row needs a value.",
                rows=nulls,
            ))
        if col.unique:
            dup = df.filter(s.is_duplicated() & s.is_not_null()).get_column(col.name)
            if dup.len():
                problems.append(Problem(
                    table, col.name, "duplicate_key",
                    f"{table}.{col.name}: {dup.n_unique()} value(s) repeat on {dup.len()} rows "
                    f"(e.g. {', '.join(map(str, _examples(dup.unique(maintain_order=True))))}); "
                    f"identifiers must be unique.",
                    rows=dup.len(), examples=_examples(dup.unique(maintain_order=True)),
                ))
        if col.allowed is not None:
            bad = s.filter(s.is_not_null() & ~s.is_in(list(col.allowed)))
            if bad.len():
                ex = _examples(bad.unique(maintain_order=True))
                problems.append(Problem(
                    table, col.name, "not_allowed",
                    f"{table}.{col.name}: {bad.len()} rows have values outside "
                    f"{{{', '.join(col.allowed)}}} (e.g. {', '.join(map(repr, ex))}).",
                    rows=bad.len(), examples=ex,
                ))
        if col.min is not None or col.max is not None:
            cond = pl.lit(False)
            if col.min is not None:
                cond = cond | (pl.col(col.name) < col.min)
            if col.max is not None:
                cond = cond | (pl.col(col.name) > col.max)
            bad = df.filter(cond).get_column(col.name)
            if bad.len():
                ex = _examples(bad.unique(maintain_order=True))
                problems.append(Problem(
                    table, col.name, "out_of_range",
                    f"{table}.{col.name}: {bad.len()} rows are outside "
                    f"[{col.min if col.min is not None else '-inf'}, "
                    f"{col.max if col.max is not None else 'inf'}] (e.g. {', '.join(map(str, ex))}).",
                    rows=bad.len(), examples=ex,
                ))
    return problems


def ensure_valid(df: pl.DataFrame, table: str, source: str | None = None) -> pl.DataFrame:
    """Return ``df`` unchanged if it is valid, else raise :class:`SchemaError` listing every problem."""
    problems = validate(df, table)
    if problems:
        raise SchemaError(problems, source=source)
    return df


def empty_frame(table: str) -> pl.DataFrame:
    """An empty DataFrame with every canonical column of ``table`` and its type."""
    return pl.DataFrame(schema=get(table).polars_schema)


def conform(df: pl.DataFrame, table: str) -> pl.DataFrame:
    """Add missing optional columns (as nulls) and order columns canonically.

    Does not cast or drop anything: columns that are not canonical are kept at
    the end, so :func:`validate` still reports them.
    """
    spec = get(table)
    missing = [pl.lit(None, dtype=c.dtype).alias(c.name) for c in spec.columns
               if c.name not in df.columns and not c.required]
    if missing:
        df = df.with_columns(missing)
    ordered = [c for c in spec.names if c in df.columns]
    return df.select(ordered + [c for c in df.columns if c not in spec.names])


def describe_markdown() -> str:
    """The data model as a Markdown page (used for docs/data-model.md)."""
    lines = ["# The canonical data model", "",
             "Every source is mapped onto these five tables (`workbench.schema`).", ""]
    for spec in TABLES.values():
        lines += [f"## `{spec.name}` ({spec.label_zh})", "", spec.description,
                  f"Key: `{spec.key}`.", "",
                  "| column | 中文 | type | required | rules | meaning |",
                  "|---|---|---|---|---|---|"]
        for c in spec.columns:
            rules = []
            if not c.nullable:
                rules.append("not empty")
            if c.unique:
                rules.append("unique")
            if c.allowed:
                rules.append("one of " + ", ".join(c.allowed))
            if c.min is not None or c.max is not None:
                rules.append(f"{c.min if c.min is not None else ''}..{c.max if c.max is not None else ''}")
            lines.append(f"| `{c.name}` | {c.label_zh} | {c.dtype} | {'yes' if c.required else 'no'} "
                         f"| {'; '.join(rules)} | {c.description} |")
        lines.append("")
    return "\n".join(lines)
