"""The transaction-level work on polars, DuckDB or Spark, written once against narwhals.

``engine.name`` in ``workbench.yaml`` (or ``workbench report --engine``) chooses the
engine; :func:`open_engine` opens it, :mod:`.sources` reads orders at scale (``sources.orders.engine``) and
:mod:`.compute` runs the rules of :mod:`workbench.transactions` and the RFM summary
of :mod:`workbench.rfm` on it.  See ``docs/scale.md``.
"""

from __future__ import annotations

import lazy_loader as _lazy

# Each name of __init__.pyi is imported on first use: the report's manifest reads the
# engine's settings and session without loading the RFM code and pandas.
__getattr__, __dir__, __all__ = _lazy.attach_stub(__name__, __file__)
