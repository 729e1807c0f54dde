# The package's names: what ``__init__.py`` loads on first use (lazy_loader.attach_stub)
# and what type checkers read.
from .analysis import SEGMENT_COLUMNS, CLVAnalysis, analyse
from .backend import _lifetimes, _quiet
from .fit import CORRELATION_THRESHOLD, RETRY_PENALIZER, CLVFit, fit, spend_correlation
from .inputs import (
    DAYS_PER_MONTH,
    MODEL_NAMES,
    MODELS,
    PERIOD_DAYS,
    _as_date,
    _collapse,
    _period_days,
    _to_arrays,
)
from .orders import net_of_returns, summary_from_orders, valuable_at_risk, value_by_group
from .pareto import _pareto_nll_factory, _pareto_terms
from .predict import _cond_expected, _p_alive, predict
from .present import key_results, localize, narrative, params_table, top_customers
from .robust import (
    FTOL,
    GRAD_TOL,
    LOG_BOUND,
    RESTART_SEED,
    ROUTES,
    SAME_POINT,
    _accept,
    _fit_robust,
    _num_grad,
    _num_hess,
    _Problem,
    _Recorder,
    _search,
)
from .settings import CLVSettings
from .text import ROOM
from .tracking import (
    alive_history,
    cumulative_tracking,
    expected_purchases_matrix,
    period_transactions,
    probability_alive_matrix,
)
from .validate import Validation, frequency_bin, holdout_predictions, holdout_table, validate

__all__ = [
    "SEGMENT_COLUMNS",
    "CORRELATION_THRESHOLD",
    "DAYS_PER_MONTH",
    "FTOL",
    "GRAD_TOL",
    "LOG_BOUND",
    "MODELS",
    "MODEL_NAMES",
    "PERIOD_DAYS",
    "RESTART_SEED",
    "RETRY_PENALIZER",
    "ROOM",
    "ROUTES",
    "SAME_POINT",
    "CLVAnalysis",
    "CLVFit",
    "CLVSettings",
    "Validation",
    "_accept",
    "_as_date",
    "_collapse",
    "_cond_expected",
    "_fit_robust",
    "_lifetimes",
    "_num_grad",
    "_num_hess",
    "_p_alive",
    "_pareto_nll_factory",
    "_pareto_terms",
    "_period_days",
    "_Problem",
    "_quiet",
    "_Recorder",
    "_search",
    "_to_arrays",
    "alive_history",
    "analyse",
    "cumulative_tracking",
    "expected_purchases_matrix",
    "fit",
    "frequency_bin",
    "holdout_predictions",
    "holdout_table",
    "key_results",
    "localize",
    "narrative",
    "net_of_returns",
    "params_table",
    "period_transactions",
    "predict",
    "probability_alive_matrix",
    "spend_correlation",
    "summary_from_orders",
    "top_customers",
    "validate",
    "valuable_at_risk",
    "value_by_group",
]
