# The package's names: what ``__init__.py`` loads on first use (lazy_loader.attach_stub)
# and what type checkers read.
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
