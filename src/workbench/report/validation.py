"""The whole ``workbench.yaml`` checked before any step runs.

:func:`validate_config` reads every analysis section through its room's settings class
(the one convention: ``Settings.from_mapping`` refuses unknown keys and ill-typed values),
and checks ``paths:`` and ``company:``, so a typo such as ``segmentation.k_min: "3"`` stops
``workbench report`` and ``workbench clean`` with exit code 2 *before* cleaning, instead of
failing inside a notebook minutes later.  Every problem found is reported at once, each
naming the key's path, the value found and what is expected.

The configuration floor cannot import the rooms, so this check lives in delivery.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from .. import config as config_mod
from ..churn import ChurnSettings
from ..clean import CleaningRules
from ..clv import CLVSettings
from ..engine.settings import EngineSettings
from ..errors import ConfigError, UsageError
from ..manage import ManagementSettings
from ..segment import SegmentSettings
from ..service import ServiceSettings
from ..settings import Settings
from ..transactions import TransactionSettings
from .settings import ReportSettings

__all__ = ["COMPANY_KEYS", "PATH_KEYS", "SECTION_SETTINGS", "config_problems", "validate_config"]

#: ``paths:`` keys and what each holds.
PATH_KEYS: dict[str, str] = {"raw": "the raw exports", "processed": "the clean tables and results",
                             "reports": "the published reports"}
#: ``company:`` keys.
COMPANY_KEYS = ("name", "founded", "currency")
_CURRENCY = re.compile(r"[A-Z]{3}")


#: Each analysis section and the settings class that reads it (a new room adds its line).
SECTION_SETTINGS: dict[str, type[Settings]] = {
    "cleaning": CleaningRules,
    "transactions": TransactionSettings,
    "engine": EngineSettings,
    "segmentation": SegmentSettings,
    "clv": CLVSettings,
    "churn": ChurnSettings,
    "service": ServiceSettings,
    "management": ManagementSettings,
    "report": ReportSettings,
}


def _raw(cfg: config_mod.Config) -> Mapping[str, Any]:
    """The configuration file as parsed YAML ({} for a configuration built in code)."""
    if cfg.path is None or not Path(cfg.path).is_file():
        return {"company": dict(cfg.company)}
    data = yaml.safe_load(Path(cfg.path).read_text(encoding="utf-8")) or {}
    return data if isinstance(data, Mapping) else {}


def _where(cfg: config_mod.Config, key: str) -> str:
    return f"{cfg.path or 'workbench.yaml'} {key}"


def _path_problems(cfg: config_mod.Config, raw: Mapping[str, Any]) -> list[str]:
    paths = raw.get("paths")
    if paths is None:
        return []
    if not isinstance(paths, Mapping):
        return [f"{_where(cfg, 'paths')}: {paths!r} is not a mapping; expected "
                f"{{raw: data/raw, processed: data/processed, reports: reports}}."]
    out = []
    unknown = sorted(str(k) for k in paths if k not in PATH_KEYS)
    if unknown:
        out.append(f"{_where(cfg, 'paths')}: unknown key(s) {unknown}; known keys are "
                   f"{sorted(PATH_KEYS)}.")
    for key, what in PATH_KEYS.items():
        value = paths.get(key)
        if key in paths and (not isinstance(value, str) or not value.strip()):
            out.append(f"{_where(cfg, f'paths.{key}')}: {value!r} is not a folder path; expected "
                       f"one path as text (the folder of {what}).")
    return out


def _company_problems(cfg: config_mod.Config, raw: Mapping[str, Any]) -> list[str]:
    company = raw.get("company")
    if company is None:
        return []
    if not isinstance(company, Mapping):
        return [f"{_where(cfg, 'company')}: {company!r} is not a mapping; expected "
                f"{{name: ..., founded: YYYY-MM-DD, currency: CNY}}."]
    out = []
    unknown = sorted(str(k) for k in company if k not in COMPANY_KEYS)
    if unknown:
        out.append(f"{_where(cfg, 'company')}: unknown key(s) {unknown}; known keys are "
                   f"{list(COMPANY_KEYS)}.")
    name = company.get("name")
    if name is not None and not isinstance(name, str):
        out.append(f"{_where(cfg, 'company.name')}: {name!r} is not a text; expected the "
                   f"company's name as shown in report headers.")
    founded = company.get("founded")
    if founded is not None and not (isinstance(founded, date) and not isinstance(founded, datetime)):
        ok = isinstance(founded, str)
        if ok:
            try:
                date.fromisoformat(founded.strip())
            except ValueError:
                ok = False
        if not ok:
            out.append(f"{_where(cfg, 'company.founded')}: {founded!r} is not a date; expected "
                       f"YYYY-MM-DD (e.g. 2019-01-01).")
    currency = company.get("currency")
    if currency is not None and not (isinstance(currency, str) and _CURRENCY.fullmatch(currency)):
        out.append(f"{_where(cfg, 'company.currency')}: {currency!r} is not a currency code; "
                   f"expected a 3-letter ISO 4217 code in capitals (CNY, USD, EUR).")
    return out


def config_problems(cfg: config_mod.Config) -> list[str]:
    """Every problem of a loaded configuration, one sentence each (empty: it is fine)."""
    raw = _raw(cfg)
    problems = _path_problems(cfg, raw) + _company_problems(cfg, raw)
    for section, settings in SECTION_SETTINGS.items():
        value = raw.get(section) if cfg.path is not None else cfg.sections.get(section)
        if value is not None and not isinstance(value, Mapping):
            problems.append(f"{_where(cfg, section)}: {value!r} is not a mapping of keys to "
                            f"values.")
            continue
        try:
            settings.from_mapping(value)
        except UsageError as exc:  # ConfigError and the rules' own usage errors
            problems.append(str(exc))
    return problems


def validate_config(cfg: config_mod.Config) -> None:
    """Check the whole configuration before any step runs.

    Raises:
        ConfigError: one or more problems (exit code 2); the message lists each with the
            key's path, the value found and what is expected.
    """
    problems = config_problems(cfg)
    if len(problems) == 1:
        raise ConfigError(problems[0])
    if problems:
        raise ConfigError(f"{len(problems)} problems in the configuration; nothing was run:\n  - "
                          + "\n  - ".join(problems))
