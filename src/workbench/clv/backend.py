"""lifetimes, imported once and run quietly.

lifetimes (and autograd, which it uses) take seconds to import and set a pandas
option that no longer exists, so it is imported on first use; its fitters print
the optimizer output on failure and raise numpy warnings, which :func:`_quiet`
keeps out of the reports.
"""

from __future__ import annotations

import contextlib
import io as _io
import warnings
from collections.abc import Iterator
from types import ModuleType

import numpy as np


def _lifetimes() -> ModuleType:
    """Import lifetimes without its import-time pandas deprecation warning (it sets a removed option)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # imported here, not at the top: slow to import and noisy (see the module docstring)
        import lifetimes
        import lifetimes.utils
    return lifetimes


@contextlib.contextmanager
def _quiet() -> Iterator[_io.StringIO]:
    """lifetimes prints the optimizer output on failure and raises numpy warnings; keep reports clean."""
    buf = _io.StringIO()
    with warnings.catch_warnings(), np.errstate(all="ignore"), contextlib.redirect_stdout(buf):
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", FutureWarning)
        yield buf
