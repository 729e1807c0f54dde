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

import lazy_loader as _lazy

from . import text  # noqa: F401  (the room's words, registered in workbench.i18n on import)

# Each name of __init__.pyi is imported on first use: importing the package (or its settings,
# as the report's configuration check does) does not load the models and libraries it does
# not use.
__getattr__, __dir__, __all__ = _lazy.attach_stub(__name__, __file__)
