"""Where the report's notebooks and page styles are: package data, found with importlib.resources.

- **Notebooks** live at the repository root (``notebooks/``); ``pyproject.toml`` ships
  that folder in the wheel as the data-only package ``workbench.notebooks``, so an
  installed workbench finds them with ``importlib.resources.files("workbench.notebooks")``.
  An editable install cannot import that package (the checkout's ``src/`` is on the
  path and setuptools' editable finder maps no data-only subpackage), so the lookup
  falls back to the checkout's own ``notebooks/`` folder beside ``src/``.
- **Templates** (``report.css``) are package data of ``workbench`` (``templates/``).
"""

from __future__ import annotations

from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

from ..errors import UsageError

__all__ = ["NOTEBOOK_PACKAGE", "notebook_dir", "template_text"]

#: The package that holds the notebooks in an installed wheel.
NOTEBOOK_PACKAGE = "workbench.notebooks"
#: The notebooks folder of a source checkout (src/workbench/report/ -> the repository root).
_CHECKOUT_NOTEBOOKS = Path(__file__).resolve().parents[3] / "notebooks"


def _as_dir(folder: Traversable) -> Path | None:
    """A real folder for ``folder`` (papermill runs notebooks from the file system)."""
    if isinstance(folder, Path):
        return folder if folder.is_dir() else None
    # A namespace package's MultiplexedPath: its entries are real paths.
    for item in folder.iterdir():
        if isinstance(item, Path):
            return item.parent
    return None


def _installed_notebook_dir() -> Path | None:
    try:
        folder = resources.files(NOTEBOOK_PACKAGE)
    except ModuleNotFoundError:  # an editable install or a checkout on sys.path
        return None
    return _as_dir(folder)


def notebook_dir() -> Path:
    """The report's notebooks: the installed ``workbench.notebooks``, else the checkout's.

    Raises:
        UsageError: neither exists (set ``report.notebooks`` in the configuration).
    """
    found = _installed_notebook_dir()
    if found is None and _CHECKOUT_NOTEBOOKS.is_dir():
        found = _CHECKOUT_NOTEBOOKS
    if found is None:
        raise UsageError(f"the report's notebooks were not found (neither the installed package "
                         f"{NOTEBOOK_PACKAGE} nor {_CHECKOUT_NOTEBOOKS}); set report.notebooks in "
                         f"the configuration.")
    return found


def template_text(name: str) -> str:
    """The text of ``templates/<name>`` shipped with the package ('' when absent)."""
    item = resources.files("workbench").joinpath("templates", name)
    return item.read_text(encoding="utf-8") if item.is_file() else ""
