"""The transaction-level work on polars, DuckDB or Spark, written once against narwhals.

``engine.name`` in ``workbench.yaml`` (or ``workbench report --engine``) chooses the
engine; :func:`open_engine` opens it, :mod:`.sources` reads orders at scale (``sources.orders.engine``) and
:mod:`.compute` runs the rules of :mod:`workbench.transactions` and the RFM summary
of :mod:`workbench.rfm` on it.  See ``docs/scale.md``.
"""

from .compute import (
    calibration_holdout,
    cohort_table,
    lazy,
    monthly_kpis,
    net_revenue,
    outlier_cap,
    purchases,
    rfm_summary,
    transactions,
)
from .session import Engine, EngineError, open_engine, to_polars
from .settings import ENGINE_VAR, ENGINES, EngineSettings, chosen
from .sources import (
    CanonicalOrders,
    canonical_orders,
    read_orders,
    read_source,
    repoint,
)

__all__ = ["ENGINES", "ENGINE_VAR", "CanonicalOrders", "Engine", "EngineError", "EngineSettings",
           "calibration_holdout", "canonical_orders", "chosen", "cohort_table", "lazy",
           "monthly_kpis", "net_revenue", "open_engine", "outlier_cap", "purchases",
           "read_orders", "read_source", "repoint", "rfm_summary", "to_polars", "transactions"]
