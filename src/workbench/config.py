"""The project configuration (``workbench.yaml``): sources, paths and analysis settings.

The configuration says where each canonical table comes from and where outputs
go.  Relative paths are relative to the configuration file's folder.  This
module reads and checks the configuration; it never reads data.

Resolution order when no path is given (:func:`load`):

1. the ``WORKBENCH_CONFIG`` environment variable;
2. ``workbench.yaml`` in the current folder or the nearest parent folder.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from . import schema
from .errors import ConfigError
from .sources import (
    ENGINE_SOURCE_KEY,
    LINE_COLUMNS,
    PRESETS,
    Derived,
    check_engine_source,
    check_source_types,
    describe_engine_source,
    merge_preset,
    parse_derived,
    parse_lines,
)

__all__ = ["ENV_VAR", "PRESETS", "Config", "ConfigError", "Derived", "SourceSpec", "find_config",
           "from_dict", "load"]

ENV_VAR = "WORKBENCH_CONFIG"
CONFIG_NAME = "workbench.yaml"

_TOP_KEYS = {"company", "paths", "sources", "cleaning", "transactions", "segmentation", "clv",
             "churn", "service", "report", "engine"}
_SOURCE_KEYS = {"path", "url", "query", "format", "encoding", "date_format", "datetime_format",
                "sheet", "sheets", "separator", "columns", "skip_rows", "preset", "lines",
                "derive", "column_names", "max_unparseable", "_preset_columns", "engine"}
_FORMATS = {"csv", "tsv", "excel", "parquet", "sql", "engine"}


def _as_formats(value: str | tuple[str, ...] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(value)


def _formats(value: Any, key: str, table: str, where: str) -> str | tuple[str, ...] | None:
    """Check a date_format / datetime_format value: a string or a list of strings."""
    if value is None:
        return None
    if isinstance(value, str) and value.strip():
        return value
    if isinstance(value, (list, tuple)) and value and all(
            isinstance(v, str) and v.strip() for v in value):
        return tuple(value)
    raise ConfigError(
        f"{where}: sources.{table}.{key} must be a strftime format such as '%Y-%m-%d' or a list "
        f"of formats tried in order (e.g. ['%Y-%m-%d', '%Y/%m/%d']); got {value!r}."
    )


@dataclass(frozen=True)
class SourceSpec:
    """Where one canonical table comes from.

    Exactly one of ``path`` (a file), ``url`` + ``query`` (a database) or, for the
    orders only, ``engine`` (clean orders the engine reads: ``docs/scale.md``) is set.

    Attributes:
        table: canonical table name.
        path: file path (CSV, TSV, Excel, Parquet), absolute after loading.
        url: database URL (a DuckDB file ``duckdb:///path.duckdb`` or a SQLAlchemy URL).
        query: SQL query returning the table.
        format: csv, tsv, excel, parquet or sql; guessed from the file suffix if omitted.
        encoding: text encoding of CSV/TSV, or ``auto`` to detect it.
        date_format: strftime format of date columns, or a tuple of formats tried in
            order (never guessed when given; see :attr:`date_formats`).
        datetime_format: strftime format(s) of date-time columns, likewise.
        sheet: Excel sheet name (or ``sheets``: several sheets stacked).
        separator: CSV field separator.
        columns: mapping from source header to canonical column name.
        skip_rows: rows to skip before the header.
        preset: the named preset the source started from (``workbench.sources.PRESETS``).
        optional_columns: the preset's header mapping: used for the headers the file has.
        order_key: the source is line-level (one row per order line) and this canonical
            column (``order_id``) groups lines into orders; None: one row per order.
        derive: derived columns (``workbench.sources.Derived``), by canonical column.
        column_names: the names of the columns of a file without a header row.
        max_unparseable: the share of a CSV/TSV file's lines that may be set aside as
            ``unparseable_line`` (more refuses the file; ``workbench.ingest.scan``).
        engine: ``sources.orders.engine``: clean canonical orders read by the engine (a
            Parquet ``path``, a ``table`` or a ``query``;
            :func:`workbench.sources.check_engine_source`), format ``engine``; None otherwise.
    """

    table: str
    path: Path | None = None
    url: str | None = None
    query: str | None = None
    format: str = "csv"
    encoding: str = "auto"
    date_format: str | tuple[str, ...] | None = None
    datetime_format: str | tuple[str, ...] | None = None
    sheet: str | None = None
    sheets: tuple[str, ...] = ()
    separator: str | None = None
    columns: Mapping[str, str] = field(default_factory=dict)
    skip_rows: int = 0
    preset: str | None = None
    optional_columns: Mapping[str, str] = field(default_factory=dict)
    order_key: str | None = None
    derive: Mapping[str, Derived] = field(default_factory=dict)
    column_names: tuple[str, ...] = ()
    max_unparseable: float = 0.01
    engine: Mapping[str, Any] | None = None

    @property
    def line_level(self) -> bool:
        """One row per order line (grouped into orders by :attr:`order_key`)."""
        return self.order_key is not None

    @property
    def date_formats(self) -> tuple[str, ...]:
        """The configured date formats as a tuple (empty: use the unambiguous defaults)."""
        return _as_formats(self.date_format)

    @property
    def datetime_formats(self) -> tuple[str, ...]:
        """The configured date-time formats as a tuple (empty: use the unambiguous defaults)."""
        return _as_formats(self.datetime_format)

    @property
    def label(self) -> str:
        """A short human description of the source, for messages."""
        if self.engine is not None:
            return f"{ENGINE_SOURCE_KEY} ({describe_engine_source(self.engine)})"
        if self.path is not None:
            extra = f" (sheet {self.sheet!r})" if self.sheet else ""
            return f"{self.path}{extra}"
        return f"{self.url} [{(self.query or '').strip()[:60]}]"


@dataclass(frozen=True)
class Config:
    """A loaded configuration.

    Attributes:
        path: the configuration file (None for a configuration built in code).
        root: folder that relative paths are resolved against.
        company: company facts (name, founded date, currency).
        raw_dir, processed_dir, reports_dir: resolved folders.
        sources: one :class:`SourceSpec` per canonical table that has a source.
        sections: the analysis sections (cleaning, segmentation, clv, churn, service, report)
            as plain dictionaries; each module documents the keys it reads.
    """

    path: Path | None
    root: Path
    company: Mapping[str, Any]
    raw_dir: Path
    processed_dir: Path
    reports_dir: Path
    sources: Mapping[str, SourceSpec]
    sections: Mapping[str, Mapping[str, Any]]

    def section(self, name: str) -> dict[str, Any]:
        """The settings of one analysis section (an empty dict when absent)."""
        return dict(self.sections.get(name) or {})

    @property
    def founded(self) -> date | None:
        """The date the company started: orders before it are impossible."""
        value = self.company.get("founded")
        if value is None:
            return None
        if isinstance(value, date):
            return value
        return date.fromisoformat(str(value))

    @property
    def currency(self) -> str:
        """The company's currency (an ISO 4217 code such as 'CNY'; default CNY)."""
        return str(self.company.get("currency") or "CNY")

    @property
    def lang(self) -> str:
        return str(self.section("report").get("lang", "en"))

    @property
    def show_pii(self) -> bool:
        return bool(self.section("report").get("show_pii", False))


def find_config(start: Path | None = None) -> Path:
    """Locate the configuration: ``$WORKBENCH_CONFIG``, else the nearest ``workbench.yaml``."""
    env = os.environ.get(ENV_VAR)
    if env:
        p = Path(env).expanduser()
        if not p.is_file():
            raise ConfigError(f"{ENV_VAR}={env} does not point at a file; fix or unset it.")
        return p.resolve()
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            return candidate
    raise ConfigError(
        f"no {CONFIG_NAME} found in {here} or its parents, and {ENV_VAR} is not set; "
        f"pass --config FILE or create {CONFIG_NAME} at the project root."
    )


def _guess_format(path: Path) -> str:
    suffix = path.suffix.lower()
    return {".csv": "csv", ".txt": "csv", ".tsv": "tsv", ".xlsx": "excel", ".xlsm": "excel",
            ".xls": "excel", ".parquet": "parquet", ".pq": "parquet"}.get(suffix, "csv")


def _engine_source(table: str, raw: Mapping[str, Any], root: Path, where: str,
                   engine_name: str | None) -> SourceSpec:
    """``sources.orders: {engine: {...}}``: clean orders the engine reads (no text repair, so
    no other key of a file source applies)."""
    if table != "orders":
        raise ConfigError(f"{where}: sources.{table}.engine: only the orders can come from the "
                          f"engine; give sources.{table} a path or a url.")
    other = sorted(set(raw) - {"engine"})
    if other:
        raise ConfigError(f"{where}: sources.orders reads clean orders on the engine, so it takes "
                          f"no other key ({other}); an export that needs columns, formats or "
                          f"encodings mapped is a file source (sources.orders.path).")
    return SourceSpec(table=table, format="engine",
                      engine=check_engine_source(raw["engine"], where, root, engine_name))


def _source(table: str, raw: Mapping[str, Any], root: Path, where: str,
            engine_name: str | None = None) -> SourceSpec:
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where}: sources.{table} must be a mapping with at least 'path' or 'url'.")
    if "engine" in raw:
        return _engine_source(table, raw, root, where, engine_name)
    raw = merge_preset(raw, table, where)
    unknown = set(raw) - _SOURCE_KEYS
    if unknown:
        raise ConfigError(
            f"{where}: sources.{table} has unknown key(s) {sorted(unknown)}; "
            f"allowed keys are {sorted(_SOURCE_KEYS)}."
        )
    check_source_types(raw, table, where)
    path = raw.get("path")
    url = raw.get("url")
    if bool(path) == bool(url):
        raise ConfigError(f"{where}: sources.{table} needs exactly one of 'path' or 'url'.")
    if url and not raw.get("query"):
        raise ConfigError(f"{where}: sources.{table} reads from a database, so it needs a 'query'.")
    resolved = None
    if path:
        resolved = Path(str(path)).expanduser()
        if not resolved.is_absolute():
            resolved = (root / resolved).resolve()
    guessed = "sql" if resolved is None else _guess_format(resolved)
    fmt = str(raw.get("format") or guessed)
    if fmt not in _FORMATS:
        raise ConfigError(f"{where}: sources.{table}.format '{fmt}' is not one of {sorted(_FORMATS)}.")
    columns = {str(k): str(v) for k, v in (raw.get("columns") or {}).items()}
    # columns: {header: customer.<column>} feeds the customer archive derived from the orders.
    optional = {str(k): str(v) for k, v in (raw.get("_preset_columns") or {}).items()}
    order_key = parse_lines(raw.get("lines"), table, where)
    names = list(schema.get(table).names)
    if order_key is not None:
        names += [c for c in LINE_COLUMNS if c not in names]
    attributes = [f"customer.{c}" for c in schema.get("customers").names
                  if c not in ("customer_id", "signup_date")] if table == "orders" else []
    for key, mapping in (("columns", columns), ("preset columns", optional)):
        for src, dst in mapping.items():
            if dst not in names and dst not in attributes:
                raise ConfigError(
                    f"{where}: sources.{table}.{key} maps '{src}' to '{dst}', which is not a "
                    f"column of the canonical table '{table}'"
                    + (" (read line by line)" if order_key else "")
                    + f"; use one of {', '.join(names + attributes)}"
                    + (" (customer.<column>: an attribute of the customer archive derived "
                       "from the orders)" if attributes else "") + "."
                )
    derive = parse_derived(raw.get("derive"), table, names, where)
    if url and str(url).startswith(("duckdb:///", "sqlite:///")):
        # Resolve relative database files against the configuration folder.
        scheme, _, rest = str(url).partition(":///")
        if rest and not rest.startswith("/") and rest != ":memory:":
            url = f"{scheme}:///{(root / rest).resolve()}"
    sheets = raw.get("sheets") or ()
    return SourceSpec(
        table=table,
        path=resolved,
        url=url,
        query=raw.get("query"),
        format=fmt,
        encoding=str(raw.get("encoding") or "auto"),
        date_format=_formats(raw.get("date_format"), "date_format", table, where),
        datetime_format=_formats(raw.get("datetime_format"), "datetime_format", table, where),
        sheet=raw.get("sheet"),
        sheets=tuple(str(s) for s in sheets),
        separator=raw.get("separator") or ("\t" if fmt == "tsv" else None),
        columns=columns,
        skip_rows=int(raw.get("skip_rows") or 0),
        preset=raw.get("preset"),
        optional_columns=optional,
        order_key=order_key,
        derive=derive,
        column_names=tuple(str(c) for c in raw.get("column_names") or ()),
        max_unparseable=float(raw.get("max_unparseable", 0.01)),
    )


def from_dict(data: Mapping[str, Any], root: Path, path: Path | None = None) -> Config:
    """Build a :class:`Config` from parsed YAML (``root`` resolves relative paths)."""
    where = str(path) if path else "configuration"
    if not isinstance(data, Mapping):
        raise ConfigError(f"{where}: the file must hold a YAML mapping (key: value lines).")
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise ConfigError(
            f"{where}: unknown section(s) {sorted(unknown)}; allowed sections are {sorted(_TOP_KEYS)}."
        )
    def _mapping(key: str) -> dict[str, Any]:
        value = data.get(key) or {}
        if not isinstance(value, Mapping):
            raise ConfigError(f"{where}: {key}: {value!r} is not a mapping of keys to values; "
                              f"write one 'key: value' per line under '{key}:'.")
        return dict(value)

    paths = _mapping("paths")

    def _dir(key: str, default: str) -> Path:
        p = Path(str(paths.get(key, default))).expanduser()
        return p if p.is_absolute() else (root / p).resolve()

    sources_raw = data.get("sources") or {}
    if not isinstance(sources_raw, Mapping):
        raise ConfigError(f"{where}: 'sources' must map table names to source settings.")
    sources = {}
    engine_raw = data.get("engine")
    engine_name = str(engine_raw.get("name") or "polars") if isinstance(engine_raw, Mapping) \
        else "polars"
    for table, raw in sources_raw.items():
        if table not in schema.TABLES:
            raise ConfigError(
                f"{where}: sources.{table}: unknown table; the canonical tables are "
                f"{', '.join(schema.TABLES)}."
            )
        sources[table] = _source(table, raw, root, where, engine_name)
    sections = {k: _mapping(k) for k in
                ("cleaning", "transactions", "segmentation", "clv", "churn", "service", "report",
                 "engine")}
    company = _mapping("company")
    if company.get("founded") is not None:
        try:
            date.fromisoformat(str(company["founded"]))
        except ValueError:
            raise ConfigError(
                f"{where}: company.founded '{company['founded']}' is not a date (YYYY-MM-DD)."
            ) from None
    return Config(
        path=path,
        root=root,
        company=company,
        raw_dir=_dir("raw", "data/raw"),
        processed_dir=_dir("processed", "data/processed"),
        reports_dir=_dir("reports", "reports"),
        sources=sources,
        sections=sections,
    )


def load(path: str | os.PathLike[str] | None = None) -> Config:
    """Read and check a configuration file (see the module doc for the default location)."""
    p = Path(path).expanduser().resolve() if path else find_config()
    if not p.is_file():
        raise ConfigError(f"configuration file {p} does not exist; pass an existing --config FILE.")
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{p}: not valid YAML ({exc}).") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{p}: the configuration must be saved as UTF-8.") from None
    return from_dict(data, root=p.parent, path=p)
