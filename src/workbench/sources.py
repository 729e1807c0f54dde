"""What a source entry of ``workbench.yaml`` may say beyond where the file is: line-level
orders, derived columns, presets, and the type checks of every source key.

A source entry (``sources.<table>`` in ``workbench.yaml``) is read by :mod:`workbench.config`;
this module holds the parts of it that describe the *shape of an export*:

- ``lines: {order_key: <column>}``: the file has one row per order line; lines are
  grouped into orders by the order key (see ``docs/cleaning.md``, "Line-level sources");
- ``derive: {<column>: {...}}``: canonical columns computed from others (:class:`Derived`):
  ``multiply`` (amount = quantity x unit price, ``minus`` a discount), ``map``/``rules``/
  ``default`` (a status from values and conditions), ``whole_number``/``strip_zeros``
  (identifiers written as ``17850.0`` or ``0017850``), ``constant`` and ``row_number``;
- ``preset: <name>``: a named mapping and rules shipped as package data
  (``workbench/presets/<name>.yaml``), overridable key by key;
- ``engine: {path | table | query}`` (orders only): clean orders the engine reads
  (:func:`check_engine_source`; ``docs/scale.md``, "Sources at scale").

Every error is a :class:`~workbench.errors.ConfigError` naming the key's path, the value
found and what is expected (exit code 2).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from . import schema
from .errors import ConfigError
from .settings import check_value

__all__ = ["ENGINE_SOURCE_KEY", "ENGINE_SOURCE_KEYS", "LINE_COLUMNS", "ORDER_LINES", "PRESETS",
           "TEXT_SUFFIXES", "Derived", "StatusRule", "check_engine_source", "check_source_types",
           "describe_engine_source", "merge_preset", "parse_derived", "parse_lines", "preset"]

#: The columns a line-level orders source may have besides the orders columns.
LINE_COLUMNS = ("unit_price", "discount", "product_id", "product_name")

#: The order lines kept for product-level analysis (``order_lines.parquet``), when the
#: orders source is line-level.  Not one of the five canonical tables: optional.
ORDER_LINES = schema.TableSchema(
    name="order_lines", key="order_id", label_zh="订单明细",
    description="One row per order line of a line-level orders source (lines of clean orders).",
    columns=(
        schema.Column("order_id", pl.String, required=True, nullable=False, label_zh="订单编号",
                      description="The order the line belongs to."),
        schema.Column("line", pl.Int64, required=True, nullable=False, label_zh="行号",
                      description="The line's 1-based line in its source file (header = 1)."),
        schema.Column("customer_id", pl.String, required=True, nullable=False,
                      label_zh="客户编号", description="The customer who ordered."),
        schema.Column("order_date", pl.Date, required=True, nullable=False,
                      label_zh="下单日期", description="Date of the line."),
        schema.Column("product_id", pl.String, label_zh="产品编号", description="Product code."),
        schema.Column("product_name", pl.String, label_zh="产品名称",
                      description="Product description."),
        schema.Column("product_category", pl.String, label_zh="产品类别",
                      description="Product category."),
        schema.Column("quantity", pl.Int64, label_zh="数量",
                      description="Items on the line (negative on a return line)."),
        schema.Column("unit_price", pl.Float64, label_zh="单价", description="Price of one item."),
        schema.Column("discount", pl.Float64, label_zh="折扣", description="Discount of the line."),
        schema.Column("amount", pl.Float64, required=True, nullable=False, label_zh="金额",
                      description="Line amount, signed like orders (returns negative)."),
        schema.Column("status", pl.String, required=True, nullable=False,
                      allowed=schema.ORDER_STATUSES, label_zh="订单状态",
                      description="completed or returned (cancelled lines are quarantined)."),
    ),
)

_LINE_TYPES: dict[str, Any] = {"unit_price": pl.Float64, "discount": pl.Float64,
                               "product_id": pl.String, "product_name": pl.String}

# The type of every plain source key (the keys with their own parser are checked there).
_SOURCE_TYPES: dict[str, Any] = {
    "path": str, "url": str, "query": str, "format": str, "encoding": str, "sheet": str | int,
    "sheets": tuple[str | int, ...], "separator": str, "columns": Mapping[str, str],
    "skip_rows": int, "preset": str, "column_names": tuple[str, ...], "max_unparseable": float,
}
_EXAMPLES = {
    "path": "a file path such as data/raw/orders.csv",
    "columns": "a mapping of source header to canonical column, e.g. {单号: order_id}",
    "skip_rows": "a whole number of rows above the header, e.g. 2",
    "sheets": "a list of sheet names, e.g. ['2024', '2025']",
    "column_names": "a list of column names for a file without a header row",
    "max_unparseable": "a share of the lines between 0 and 1, e.g. 0.01",
}


def _fail(where: str, key: str, value: Any, expected: str) -> ConfigError:
    return ConfigError(f"{where}: {key}: {value!r} is not {expected}.")


def check_source_types(raw: Mapping[str, Any], table: str, where: str) -> None:
    """The plain keys of ``sources.<table>`` have the right types.

    Raises:
        ConfigError: ``<file>: sources.orders.skip_rows: 'two' is not a whole number ...``.
    """
    for key, tp in _SOURCE_TYPES.items():
        value = raw.get(key)
        if value is None:
            continue
        path = f"sources.{table}.{key}"
        try:
            check_value(value, tp, path)
        except ConfigError:
            raise _fail(where, path, value, _EXAMPLES.get(key) or _describe(tp)) from None
    skip = raw.get("skip_rows")
    if isinstance(skip, int) and skip < 0:
        raise _fail(where, f"sources.{table}.skip_rows", skip, "a whole number 0 or more")
    share = raw.get("max_unparseable")
    if isinstance(share, (int, float)) and not 0 <= share <= 1:
        raise _fail(where, f"sources.{table}.max_unparseable", share,
                    "a share of the lines between 0 and 1, e.g. 0.01")
    sep = raw.get("separator")
    if isinstance(sep, str) and sep != "whitespace" and len(sep) != 1:
        raise _fail(where, f"sources.{table}.separator", sep,
                    "one character (',', ';', '\\t', '|') or 'whitespace'")


def _describe(tp: Any) -> str:
    return {str: "a text", int: "a whole number"}.get(tp, str(tp))


# --------------------------------------------------------------------------- engine sources

#: Where ``workbench.yaml`` names clean orders for the engine to read.
ENGINE_SOURCE_KEY = "sources.orders.engine"
#: The keys of an engine source.
ENGINE_SOURCE_KEYS = ("path", "table", "query", "hive_partitioning")
#: Exports that need the single-machine ingest (text repair) before an engine reads them.
TEXT_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xls", ".json")


def check_engine_source(value: Any, where: str, root: Path | None = None,
                        engine_name: str | None = None) -> dict[str, Any]:
    """``sources.orders.engine`` of ``workbench.yaml``, checked: exactly one of ``path``,
    ``table`` or ``query`` (text) and an optional ``hive_partitioning`` (true/false); a local
    ``path`` is resolved against ``root`` (the configuration's folder); a table or a query
    needs ``engine_name`` duckdb or spark when it is given.

    Raises:
        ConfigError: ``<file>: sources.orders.engine ...`` saying what is wrong and how to write it.
    """
    example = ("e.g. {path: data/lake/orders/}, {table: sales.orders} or "
               "{query: \"SELECT * FROM sales.orders\"}")
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where}: {ENGINE_SOURCE_KEY}: {value!r} must be a mapping with one of "
                          f"path, table or query ({example}).")
    unknown = sorted(set(value) - set(ENGINE_SOURCE_KEYS))
    if unknown:
        raise ConfigError(f"{where}: {ENGINE_SOURCE_KEY} has unknown key(s) {unknown}; allowed keys "
                          f"are {list(ENGINE_SOURCE_KEYS)}.")
    given = [k for k in ("path", "table", "query") if value.get(k) is not None]
    if len(given) != 1:
        raise ConfigError(f"{where}: {ENGINE_SOURCE_KEY} needs exactly one of path, table or query "
                          f"({example}); got {given or 'none'}.")
    key = given[0]
    text = value[key]
    if not isinstance(text, str) or not text.strip():
        raise ConfigError(f"{where}: {ENGINE_SOURCE_KEY}.{key}: {text!r} must be a non-empty text.")
    hive = value.get("hive_partitioning", True)
    if not isinstance(hive, bool):
        raise ConfigError(f"{where}: {ENGINE_SOURCE_KEY}.hive_partitioning: {hive!r} must be true "
                          f"or false.")
    if "hive_partitioning" in value and key != "path":
        raise ConfigError(f"{where}: {ENGINE_SOURCE_KEY}.hive_partitioning applies to a path only.")
    out: dict[str, Any] = {key: text.strip()}
    if "hive_partitioning" in value:
        out["hive_partitioning"] = hive
    if key == "path":
        if text.lower().endswith(TEXT_SUFFIXES):
            raise ConfigError(f"{where}: {ENGINE_SOURCE_KEY}.path: {text} is a text export; it needs "
                              f"the cleaning's text repair: give it as sources.orders.path "
                              f"instead (the engine reads Parquet, tables and queries).")
        local = "://" not in text
        if local and root is not None and not Path(text).expanduser().is_absolute():
            out["path"] = str((root / Path(text).expanduser()).resolve())
        elif local:
            out["path"] = str(Path(text).expanduser())
    elif engine_name == "polars":
        raise ConfigError(f"{where}: {ENGINE_SOURCE_KEY}.{key} needs engine.name duckdb or spark; the "
                          f"polars engine reads Parquet paths only ({ENGINE_SOURCE_KEY}.path).")
    return out


def describe_engine_source(source: Mapping[str, Any]) -> str:
    """A short description of an engine source, for messages and the ledger."""
    for key in ("path", "table", "query"):
        if source.get(key):
            text = " ".join(str(source[key]).split())
            return f"{key} {text if len(text) <= 80 else text[:77] + '...'}"
    return str(dict(source))



# --------------------------------------------------------------------------- presets

_PRESET_KEYS = {"description", "table", "expects", "source"}


@cache
def _preset_names() -> tuple[str, ...]:
    folder = resources.files("workbench").joinpath("presets")
    return tuple(sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml")))


class _Presets:
    """The names of the shipped presets (``workbench/presets/*.yaml``), read lazily."""

    def __iter__(self) -> Iterator[str]:
        return iter(_preset_names())

    def __contains__(self, name: object) -> bool:
        return name in _preset_names()

    def __repr__(self) -> str:
        return repr(list(_preset_names()))


PRESETS = _Presets()


@cache
def preset(name: str) -> Mapping[str, Any]:
    """A shipped preset: ``description, table, expects`` (headers) and ``source`` (keys of a
    source entry).

    Raises:
        ConfigError: no such preset (the message lists the shipped ones).
    """
    if name not in _preset_names():
        raise ConfigError(f"preset {name!r} is unknown; the presets are "
                          f"{', '.join(_preset_names())}.")
    text = resources.files("workbench").joinpath("presets", f"{name}.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    assert isinstance(data, Mapping) and set(data) <= _PRESET_KEYS, name
    return data


def merge_preset(raw: Mapping[str, Any], table: str, where: str) -> dict[str, Any]:
    """The source entry with its preset's keys filled in, key by key.

    The entry's own keys win.  ``columns`` and ``derive`` are merged
    entry by entry (a ``derive`` entry set to null removes the preset's); the preset's
    ``columns`` are *optional* (``_preset_columns``: used for the headers the file has), and
    a canonical column the entry maps itself is not also mapped by the preset.
    """
    name = raw.get("preset")
    if name is None:
        return dict(raw)
    if not isinstance(name, str):
        raise _fail(where, f"sources.{table}.preset", name, f"one of {', '.join(PRESETS)}")
    try:
        p = preset(name)
    except ConfigError as exc:
        raise ConfigError(f"{where}: sources.{table}.preset: {exc}") from None
    if p.get("table", "orders") != table:
        raise ConfigError(f"{where}: sources.{table}.preset: {name!r} is a preset for "
                          f"sources.{p.get('table')}, not {table}.")
    base = dict(p.get("source") or {})
    out = {**base, **raw}
    own = raw.get("columns") or {}
    if isinstance(own, Mapping):
        taken = {str(v) for v in own.values()}
        out["_preset_columns"] = {k: v for k, v in (base.get("columns") or {}).items()
                                  if v not in taken and k not in own}
        out["columns"] = dict(own)
    if isinstance(raw.get("derive"), Mapping) and isinstance(base.get("derive"), Mapping):
        merged = {**base["derive"], **raw["derive"]}
        out["derive"] = {k: v for k, v in merged.items() if v is not None}
    return out


# --------------------------------------------------------------------------- lines


def parse_lines(value: Any, table: str, where: str) -> str | None:
    """``lines: {order_key: order_id}``: the canonical column that groups lines into orders."""
    if value is None or value is False:
        return None
    path = f"sources.{table}.lines"
    if table != "orders":
        raise ConfigError(f"{where}: {path}: only the orders source can be read line by line.")
    if not isinstance(value, Mapping) or set(value) != {"order_key"}:
        raise _fail(where, path, value, "a mapping {order_key: order_id} (the column that "
                    "names the order each line belongs to)")
    key = value["order_key"]
    if key != "order_id":
        raise _fail(where, f"{path}.order_key", key,
                    "order_id (map the order number's header to order_id in columns)")
    return "order_id"


# --------------------------------------------------------------------------- derived columns

_RULE_TESTS = ("starts_with", "equals", "below", "above", "empty")
_NUMERIC = ("amount", "quantity", "gross_margin", "unit_price", "discount")


@dataclass(frozen=True)
class StatusRule:
    """One condition of ``derive.<column>.rules``: when it holds, the column is ``then``.

    Exactly one test: ``starts_with`` / ``equals`` (text, ignoring case), ``below`` /
    ``above`` (a number), ``empty`` (true: the column is empty; false: it is not).
    """

    column: str
    then: str
    starts_with: str | None = None
    equals: str | None = None
    below: float | None = None
    above: float | None = None
    empty: bool | None = None


@dataclass(frozen=True)
class Derived:
    """A canonical column computed from other columns of the same source row.

    Exactly one kind:

    - ``constant``: the same text on every row (``channel: {constant: online}``);
    - ``multiply`` (+ optional ``minus``): the product of number columns, minus one
      (``amount: {multiply: [quantity, unit_price], minus: discount}``), to the cent;
    - ``map`` / ``rules`` / ``default``: a category from ``from`` (default: the column
      itself): the first rule that holds, else the mapped value, else the value as read
      (translated as usual), else ``default`` when empty;
    - ``whole_number`` / ``strip_zeros``: an identifier as text: ``17850.0`` -> ``17850``,
      ``0017850`` -> ``17850``;
    - ``row_number``: the row's line in its source (an id for exports that have none).
    """

    column: str
    constant: str | None = None
    multiply: tuple[str, ...] = ()
    minus: str | None = None
    source: str | None = None
    map: Mapping[str, str] = field(default_factory=dict)
    rules: tuple[StatusRule, ...] = ()
    default: str | None = None
    whole_number: bool = False
    strip_zeros: bool = False
    row_number: bool = False

    @property
    def kind(self) -> str:
        if self.constant is not None:
            return "constant"
        if self.multiply:
            return "multiply"
        if self.row_number:
            return "row_number"
        if self.whole_number or self.strip_zeros:
            return "identifier"
        return "category"

    @property
    def inputs(self) -> tuple[str, ...]:
        """The columns the value is computed from."""
        if self.kind == "multiply":
            return self.multiply + ((self.minus,) if self.minus else ())
        if self.kind in ("identifier", "category"):
            return tuple(dict.fromkeys([self.source or self.column, *(r.column for r in self.rules)]))
        return ()


_DERIVE_TYPES: dict[str, Any] = {
    "constant": str | int | float, "multiply": tuple[str, ...], "minus": str, "from": str,
    "map": Mapping[str, str], "rules": tuple[Any, ...], "default": str, "whole_number": bool,
    "strip_zeros": bool, "row_number": bool,
}
_KINDS = {"constant": {"constant"}, "multiply": {"multiply", "minus"},
          "row_number": {"row_number"}, "identifier": {"whole_number", "strip_zeros", "from"},
          "category": {"from", "map", "rules", "default"}}
_RULE_TYPES: dict[str, Any] = {"column": str, "then": str, "starts_with": str | int,
                               "equals": str | int, "below": float, "above": float,
                               "empty": bool}


def _dtype(table: str, column: str) -> Any:
    spec = schema.get(table)
    return spec.column(column).dtype if column in spec.names else _LINE_TYPES[column]


def _allowed(table: str, column: str) -> tuple[str, ...] | None:
    spec = schema.get(table)
    return spec.column(column).allowed if column in spec.names else None


def _rule(value: Any, table: str, names: list[str], path: str, where: str) -> StatusRule:
    if not isinstance(value, Mapping):
        raise _fail(where, path, value, "a mapping such as {column: order_id, starts_with: C, "
                    "then: cancelled}")
    unknown = sorted(set(value) - set(_RULE_TYPES))
    if unknown:
        raise ConfigError(f"{where}: {path}: unknown key(s) {unknown}; known keys are "
                          f"{sorted(_RULE_TYPES)}.")
    vals = {k: check_value(v, _RULE_TYPES[k], f"{where}: {path}.{k}") for k, v in value.items()}
    for k in ("column", "then"):
        if k not in vals:
            raise ConfigError(f"{where}: {path}: '{k}' is missing (e.g. {{column: order_id, "
                              f"starts_with: C, then: cancelled}}).")
    tests = [k for k in _RULE_TESTS if k in vals]
    if len(tests) != 1:
        raise ConfigError(f"{where}: {path}: needs exactly one test of {list(_RULE_TESTS)}; "
                          f"got {tests or 'none'}.")
    if vals["column"] not in names:
        raise _fail(where, f"{path}.column", vals["column"],
                    f"a canonical column of the source ({', '.join(names)})")
    if tests[0] in ("below", "above") and vals["column"] not in _NUMERIC:
        raise _fail(where, f"{path}.column", vals["column"],
                    f"a number column for '{tests[0]}' ({', '.join(_NUMERIC)})")
    for k in ("starts_with", "equals"):
        if k in vals:
            vals[k] = str(vals[k])
    return StatusRule(**vals)


def _derived(column: str, value: Any, table: str, names: list[str], where: str) -> Derived:
    path = f"sources.{table}.derive.{column}"
    if column not in names:
        raise _fail(where, path, value, f"derivable: '{column}' is not a column of the source "
                    f"({', '.join(names)})")
    if not isinstance(value, Mapping):
        raise _fail(where, path, value, "a mapping with one kind of derivation, e.g. "
                    "{multiply: [quantity, unit_price]}, {constant: online}, "
                    "{map: {paid: completed}}, {whole_number: true}")
    unknown = sorted(set(value) - set(_DERIVE_TYPES))
    if unknown:
        raise ConfigError(f"{where}: {path}: unknown key(s) {unknown}; known keys are "
                          f"{sorted(_DERIVE_TYPES)}.")
    vals = {k: check_value(v, _DERIVE_TYPES[k], f"{where}: {path}.{k}") for k, v in value.items()}
    kinds = [k for k, keys in _KINDS.items() if set(vals) <= keys]
    if not vals or not kinds:
        raise ConfigError(f"{where}: {path}: mixes kinds of derivation ({sorted(vals)}); use "
                          f"one of: constant | multiply (+ minus) | map/rules/default (+ from) | "
                          f"whole_number/strip_zeros (+ from) | row_number.")
    kind = kinds[0] if "from" not in vals or len(kinds) == 1 else (
        "identifier" if {"whole_number", "strip_zeros"} & set(vals) else "category")
    dtype = _dtype(table, column)
    allowed = _allowed(table, column)

    def need(ok: bool, key: str, got: Any, expected: str) -> None:
        if not ok:
            raise _fail(where, f"{path}.{key}" if key else path, got, expected)

    def category(v: Any, key: str) -> str:
        if allowed is not None:
            need(v in allowed, key, v, f"one of {', '.join(allowed)}")
        return str(v)

    if kind == "multiply":
        need(dtype == pl.Float64, "", value, f"a multiply: {column} is not a money column")
        for i, c in enumerate(vals["multiply"]):
            need(c in names and c in _NUMERIC, f"multiply[{i}]", c,
                 f"a number column of the source ({', '.join(n for n in names if n in _NUMERIC)})")
        need(len(vals["multiply"]) >= 1, "multiply", vals["multiply"], "a list of columns")
        if "minus" in vals:
            need(vals["minus"] in names and vals["minus"] in _NUMERIC, "minus", vals["minus"],
                 "a number column of the source")
        return Derived(column, multiply=vals["multiply"], minus=vals.get("minus"))
    if kind == "constant":
        return Derived(column, constant=category(str(vals["constant"]), "constant"))
    need(dtype == pl.String, "", value, f"a {kind} derivation: {column} is not a text column")
    if kind == "row_number":
        need(vals["row_number"] is True, "row_number", vals["row_number"], "true")
        return Derived(column, row_number=True)
    source = vals.get("from")
    if source is not None:
        need(source in names, "from", source, f"a column of the source ({', '.join(names)})")
    if kind == "identifier":
        return Derived(column, source=source, whole_number=vals.get("whole_number", False),
                       strip_zeros=vals.get("strip_zeros", False))
    rules = tuple(_rule(r, table, names, f"{path}.rules[{i}]", where)
                  for i, r in enumerate(vals.get("rules") or ()))
    for i, r in enumerate(rules):
        category(r.then, f"rules[{i}].then")
    mapping = {str(k): category(v, f"map.{k}") for k, v in (vals.get("map") or {}).items()}
    default = category(vals["default"], "default") if "default" in vals else None
    return Derived(column, source=source, map=mapping, rules=rules, default=default)


def parse_derived(value: Any, table: str, names: list[str], where: str) -> dict[str, Derived]:
    """``derive:`` of a source: one :class:`Derived` per canonical column."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise _fail(where, f"sources.{table}.derive", value,
                    "a mapping of column to derivation, e.g. {amount: {multiply: [quantity, "
                    "unit_price]}}")
    out = {str(c): _derived(str(c), v, table, names, where) for c, v in value.items()}
    for d in out.values():
        for c in d.inputs:
            if c in out and c != d.column and out[c].kind not in ("identifier", "constant"):
                raise ConfigError(f"{where}: sources.{table}.derive.{d.column}: uses '{c}', "
                                  f"which is itself derived; derive it from source columns.")
    return out
