"""Writing the guessed configuration: a commented ``workbench.yaml`` (:func:`init`)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .. import config, schema
from ..errors import ConfigError, DataError, UsageError
from .guess import Guess, guess_source

__all__ = ["InitResult", "init", "render"]


@dataclass
class InitResult:
    """What :func:`init` wrote and found."""

    path: Path
    text: str
    guesses: dict[str, Guess] = field(default_factory=dict)

    @property
    def guessed(self) -> list[str]:
        return [f"{t}: {x}" for t, g in self.guesses.items() for x in g.guessed]

    @property
    def undecided(self) -> list[str]:
        return [f"{t}: {x}" for t, g in self.guesses.items() for x in g.undecided]


def _flow(value: Any) -> str:
    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=10_000)
    return text.strip().removesuffix("...").strip()


def render(guesses: Mapping[str, Guess], paths: Mapping[str, str]) -> str:
    """The configuration text: one commented entry per source."""
    out = ["# workbench.yaml written by `workbench init`: review every line before you trust it.",
           "# Relative paths are relative to this file.  docs/cleaning.md describes every key.",
           "", "company:", "  name: null                       # shown in report headers",
           "  founded: null                    # YYYY-MM-DD: earlier orders are impossible",
           "  currency: CNY                    # ISO 4217 code of the amounts", "",
           "paths:", "  processed: data/processed", "  reports: reports", "", "sources:"]
    for table, g in guesses.items():
        out.append(f"  {table}:")
        out.append(f"    path: {_flow(paths[table])}")
        for key, value in g.entry.items():
            note = g.notes.get(key)
            if isinstance(value, Mapping) and key in ("columns", "derive") and value:
                out.append(f"    {key}:" + ("" if key != "derive" else
                                              "                          # computed columns"))
                for k, v in value.items():
                    out.append(f"      {_flow(k)}: {_flow(v)}")
            else:
                out.append(f"    {key}: {_flow(value)}" + (f"   # {note}" if note else ""))
        for key, note in g.notes.items():
            if key not in g.entry:
                out.append(f"    # {key}: {note}")
        for x in g.undecided:
            out.append(f"    # TODO {x}")
    return "\n".join(out) + "\n"


def init(files: Mapping[str, str | os.PathLike[str] | None], out: str | os.PathLike[str],
         preset: str | None = None, force: bool = False) -> InitResult:
    """Guess a configuration for the exports ``files`` ({table: path}) and write it to ``out``.

    Raises:
        UsageError: ``out`` exists and not ``force``, no orders file, an unknown table.
        DataError: a file cannot be read.
        ConfigError: the written configuration would not load (a bug of the guess).
    """
    target = Path(out)
    if target.exists() and not force:
        raise UsageError(f"{target} exists; pass --force to replace it, or --out another file.")
    given = {t: Path(p) for t, p in files.items() if p is not None}
    if "orders" not in given:
        raise UsageError("workbench init needs at least --orders FILE.")
    unknown = set(given) - set(schema.TABLES)
    if unknown:
        raise UsageError(f"unknown table(s) {sorted(unknown)}; the tables are "
                         f"{', '.join(schema.TABLES)}.")
    for t, p in given.items():
        if not p.is_file():
            raise DataError(f"{p}: file not found (--{t}).")
    guesses = {t: guess_source(p, t, preset if t == "orders" else None)
               for t, p in given.items()}
    root = target.resolve().parent
    paths = {t: os.path.relpath(p.resolve(), root) for t, p in given.items()}
    text = render(guesses, paths)
    try:
        config.from_dict(yaml.safe_load(text), root=root, path=target)
    except ConfigError as exc:  # the guess must always give a loadable configuration
        raise ConfigError(f"the guessed configuration does not load ({exc}); please report "
                          f"this with the file's headers.") from None
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, target)
    return InitResult(path=target, text=text, guesses=guesses)
