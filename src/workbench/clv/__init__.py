"""Customer lifetime value: lifetimes' purchase and spend models, fitted fast and validated out of sample.

The workflow follows Fader, Hardie and Lee:

1. an RFM summary per customer from the transaction model's purchases
   (:func:`summary_from_orders`: :func:`workbench.rfm.summary` over
   ``transactions.purchases(log)``, money = the log's ``value``; ``frequency`` =
   repeat purchase periods, ``recency`` and ``T`` in periods since the first
   purchase, ``monetary_value`` = mean value of the repeat purchases, net of returns);
2. :func:`fit`: a purchase model (BG/NBD ``"bgnbd"``, Pareto/NBD
   ``"paretonbd"`` or MBG/NBD ``"mbgnbd"``) and the Gamma-Gamma spend model,
   both from ``lifetimes``, fitted on *collapsed* data (customers with the same
   values share one likelihood term, passed as ``weights``) and made robust to
   lifetimes' optimiser failures (:mod:`workbench.clv.robust`);
3. :func:`predict`: expected purchases over a horizon in months, probability
   alive, expected spend per purchase and the discounted CLV;
4. :func:`validate`: calibration/holdout comparison of the purchase models and
   the naive "repeat the calibration rate" baseline;
5. :func:`analyse`: all of it for notebook 03, shown with :func:`narrative`,
   :func:`localize` and saved with :func:`key_results`.

Time units
----------
A summary counts time in *periods*: ``period="D", freq_multiplier=7`` means one
period is 7 days (weeks built from daily data, as in the CDNOW literature).
:class:`CLVFit` records ``period_days``.  A month is the house's month,
:data:`workbench.periods.DAYS_PER_MONTH` = 365.25 / 12 = 30.4375 days, so a
horizon of ``h`` months is ``h * 30.4375 / period_days`` periods.  CLV
discounts month by month: ``sum_{m=1..h} spend * (E[N(m)] - E[N(m-1)]) / (1 + d) ** m``
where ``E[N(m)]`` is the expected number of purchases in the first ``m`` months
(lifetimes' ``customer_lifetime_value`` sum, with the month expressed in the
summary's own period).

Modules: ``inputs`` (checks, collapsing, time units), ``backend`` (lifetimes),
``pareto`` (Pareto/NBD terms), ``robust`` (robust fitting), ``fit``, ``predict``,
``validate``, ``tracking`` (matrices, period transactions, tracking, alive
history), ``settings`` (:class:`CLVSettings`), ``orders`` (from orders to
summaries; value by group), ``analysis``, ``present``, ``text`` (room ``clv``).

Analytics only: nothing here reads or writes files.
"""

from __future__ import annotations

from .analysis import CLVAnalysis, analyse
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
