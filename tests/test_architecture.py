"""The house's layout, checked from the code: floors, no cycles, room sizes, lazy imports.

docs/architecture.md draws the floors; these tests keep the code to the drawing.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "workbench"

# Floors, bottom first: a module may import its own floor or the ones below.
FLOORS: list[set[str]] = [
    {"errors", "io", "formatting", "periods", "i18n", "privacy", "settings", "frames", "exports",
     "sampling"},
    {"schema", "config", "sources", "transactions"},
    {"rfm"}, {"engine"},
    {"ingest", "clean", "demo", "datasets", "onboarding"},
    {"segment"}, {"clv"}, {"churn", "service"},
    {"manage"},
    {"plots"},
    {"context", "report", "cli", "__main__", "notebooks", "templates"},
]
FLOOR = {room: i for i, rooms in enumerate(FLOORS) for room in rooms}
MAX_LINES = 800


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).with_suffix("")
        parts = [p for p in rel.parts if p != "__init__"]
        out[".".join(["workbench", *parts])] = path
    return out


def _room(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _imports(module: str, path: Path) -> list[tuple[str, int, bool]]:
    """(imported workbench module, line, inside a function) for every import of the package."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found: list[tuple[str, int, bool]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inside = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            if isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")
                    base = base[: len(base) - (child.level - 1)]
                    target = ".".join(base + ([child.module] if child.module else []))
                else:
                    target = child.module or ""
                if target.startswith("workbench"):
                    names = [f"{target}.{a.name}" for a in child.names] if not child.module else []
                    for t in names or [target]:
                        found.append((t, child.lineno, in_function))
            elif isinstance(child, ast.Import):
                for a in child.names:
                    if a.name.startswith("workbench"):
                        found.append((a.name, child.lineno, in_function))
            visit(child, inside)

    visit(tree, False)
    return found


def test_every_room_has_a_floor():
    rooms = {_room(m) for m in _modules()} - {""}
    assert rooms <= set(FLOOR), f"rooms without a floor in this test: {sorted(rooms - set(FLOOR))}"


def test_no_import_runs_upward():
    upward = []
    for module, path in _modules().items():
        room = _room(module)
        if not room:
            continue
        for target, line, _ in _imports(module, path):
            other = _room(target)
            if other in FLOOR and other != room and FLOOR[other] > FLOOR[room]:
                upward.append(f"{path.relative_to(SRC)}:{line} ({room}) imports {target}")
    assert not upward, "imports that run up a floor:\n" + "\n".join(upward)


def test_no_circular_imports_between_rooms():
    graph: dict[str, set[str]] = {}
    for module, path in _modules().items():
        room = _room(module)
        for target, _, in_function in _imports(module, path):
            other = _room(target)
            if room and other in FLOOR and other != room and not in_function:
                graph.setdefault(room, set()).add(other)

    def reach(start: str) -> set[str]:
        seen, todo = set(), [start]
        while todo:
            for nxt in graph.get(todo.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    circles = sorted(r for r in graph if r in reach(r))
    assert not circles, f"rooms that import themselves through others: {circles}"


def test_no_module_is_a_mansion():
    big = {str(p.relative_to(SRC)): n for p in SRC.rglob("*.py")
           if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not big, f"modules over {MAX_LINES} lines (split them by concept): {big}"


def test_imports_inside_functions_say_why():
    silent = []
    for module, path in _modules().items():
        lines = path.read_text(encoding="utf-8").splitlines()
        for _target, line, in_function in _imports(module, path):
            if not in_function:
                continue
            here, above = lines[line - 1], lines[line - 2] if line > 1 else ""
            if "#" not in here and not above.strip().startswith("#"):
                silent.append(f"{path.relative_to(SRC)}:{line}: {here.strip()}")
    assert not silent, "imports of the package inside a function without a reason:\n" + "\n".join(silent)


@pytest.mark.parametrize("room", ["transactions", "rfm", "segment", "clv", "churn", "service",
                                  "clean", "ingest"])
def test_analytics_never_load_the_chart_layer(room):
    code = (f"import sys, workbench.{room}; "
            "bad = [m for m in ('matplotlib', 'workbench.plots', 'seaborn') if m in sys.modules]; "
            "print(bad); sys.exit(1 if bad else 0)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"importing workbench.{room} loads {proc.stdout.strip()}{proc.stderr[-500:]}"
