"""Charts: one consistent style (:mod:`.style`) and the domain charts of each room.

:func:`setup` registers a CJK font that the project's own install provides
(Noto Sans CJK SC from the ``mplfonts`` package), so Chinese labels render on a
fresh machine with no system fonts, and applies the house style (colours,
sizes, number formats).  Domain charts live in submodules
(``workbench.plots.segment``, ``workbench.plots.clv`` ...); they draw what the
analytics modules computed and compute nothing themselves.

The names of ``__init__.pyi`` are loaded on first use (``lazy_loader.attach_stub``): the
report's HTML rendering reads :mod:`.tables`' script without loading matplotlib.
"""

from __future__ import annotations

import lazy_loader as _lazy

__getattr__, __dir__, __all__ = _lazy.attach_stub(__name__, __file__)
