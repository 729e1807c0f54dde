"""pyproject.toml, environment.yml and requirements/lock.txt describe the same dependencies."""

from __future__ import annotations

import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements" / "lock.txt"
# The optional-dependency groups that environment.yml and the lock hold.
GROUPS = ("test", "lint")

# conda-forge names that differ from PyPI names.
CONDA_TO_PYPI = {"matplotlib-base": "matplotlib", "python-duckdb": "duckdb", "lazy_loader": "lazy-loader"}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ;]", requirement.strip(), maxsplit=1)[0].lower()


def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def _declared() -> list[Requirement]:
    """The runtime dependencies and those of the test and lint extras."""
    project = _project()
    declared = list(project["dependencies"])
    for group in GROUPS:
        declared += project["optional-dependencies"][group]
    return [Requirement(r) for r in declared]


def _lock() -> list[Requirement]:
    """Each pin of the lock (a package may be pinned more than once, under exclusive markers)."""
    text = LOCK.read_text().replace("\\\n", " ")
    pins = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        line = re.sub(r"\s--hash=\S+", "", line).strip()
        pin = Requirement(line)
        (spec,) = pin.specifier
        assert spec.operator == "==", f"not pinned exactly in the lock: {line}"
        pins.append(pin)
    return pins


def _applies(req: Requirement) -> bool:
    return req.marker is None or req.marker.evaluate({"extra": ""})


def _pinned(pin: Requirement) -> Version:
    return Version(next(iter(pin.specifier)).version)


def test_environment_yml_mirrors_pyproject():
    project = _project()
    pypi = {_name(r) for r in project["dependencies"]}
    for group in GROUPS:
        pypi |= {_name(r) for r in project["optional-dependencies"][group]}

    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda, pip = set(), set()
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            pip |= {_name(r) for r in dep["pip"] if not r.startswith("-e")}
        else:
            name = _name(dep)
            if name not in ("python", "pip"):
                conda.add(CONDA_TO_PYPI.get(name, name))
    assert "-e ." in next(d for d in env["dependencies"] if isinstance(d, dict))["pip"]
    assert conda | pip == pypi, (
        f"only in pyproject: {sorted(pypi - conda - pip)}; "
        f"only in environment.yml: {sorted((conda | pip) - pypi)}"
    )
    assert not conda & pip, f"listed twice in environment.yml: {sorted(conda & pip)}"


def test_lock_pins_every_declared_dependency_within_its_specifier():
    pins: dict[str, list[Requirement]] = {}
    for pin in _lock():
        pins.setdefault(canonicalize_name(pin.name), []).append(pin)
    # This test reads the lock with packaging, so the lock must install it.
    assert "packaging" in pins, "packaging is not in the lock"
    build = tomllib.loads((ROOT / "pyproject.toml").read_text())["build-system"]["requires"]

    missing, outside = [], []
    for req in _declared() + [Requirement(r) for r in build]:
        found = pins.get(canonicalize_name(req.name))
        if not found:
            missing.append(str(req))
            continue
        # A universal lock may pin a package once per Python range: each pin must fit.
        outside += [
            f"{req} locked at {pin}"
            for pin in found
            if not req.specifier.contains(_pinned(pin), prereleases=True)
        ]
    assert not missing, f"not in {LOCK.relative_to(ROOT)} (run make lock): {missing}"
    assert not outside, f"outside pyproject's specifier (run make lock): {outside}"


def test_installed_versions_are_the_locked_ones():
    venv = ROOT / ".venv"
    if Path(sys.prefix).resolve() != venv.resolve():
        pytest.skip(
            f"not running from the project's .venv (sys.prefix is {sys.prefix}): "
            "only make's .venv is installed from the lock"
        )
    wrong = []
    for pin in filter(_applies, _lock()):
        try:
            installed = metadata.version(pin.name)
        except metadata.PackageNotFoundError:
            wrong.append(f"{pin.name}: locked at {_pinned(pin)}, not installed")
            continue
        if Version(installed) != _pinned(pin):
            wrong.append(f"{pin.name}: locked at {_pinned(pin)}, installed {installed}")
    assert not wrong, (
        f".venv differs from the lock (make rebuilds it when the lock changes): {wrong}"
    )
