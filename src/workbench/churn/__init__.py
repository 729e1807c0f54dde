"""Churn warning: honest labels, leak-free features, scikit-learn models, evaluation, reasons, warning list.

The method, in the order the notebook ``04_churn`` follows it (details in ``docs/churn.md``):

1. **Window** (:mod:`.window`).  A customer *churns* at a cut-off ``c`` when they
   make no purchase in the ``N`` days after it, ``(c, c + N]``.
   :func:`fit_window` proposes ``N`` from the purchase cycle (90 % quantile of the
   gaps between purchase days, rounded up to whole months).
2. **Population.**  Only customers who *can* churn are scored: a purchase on or
   before ``c`` and the last one at most ``lapsed_days`` (default ``N``) before it.
3. **Features** (:mod:`.features`, :mod:`.alive`) from rows dated on or before ``c``
   only, the orders read as the house's transaction log at ``c``
   (:mod:`workbench.transactions`).
4. **Out-of-time evaluation and scoring** (:mod:`.analysis`, :mod:`.models`,
   :mod:`.evaluation`): :func:`analyse`.
5. **Reasons** (:mod:`.importance`, :mod:`.reasons`): permutation importance and
   rule-based reasons in zh and en.
6. **Warning list** (:mod:`.warning`): flagged customers ranked by churn
   probability x value (CLV from step 03, else 12-month net revenue).

Presentation in :mod:`.present` (``key_results``, ``narrative``, ``localize``),
disk in :mod:`.persist`, settings in :mod:`.settings` (section ``churn:``).
"""

from __future__ import annotations

import lazy_loader as _lazy

from . import text  # noqa: F401  (the room's words, registered in workbench.i18n on import)

# Each name of __init__.pyi is imported on first use: importing the package (or its settings,
# as the report's configuration check does) does not load the models and libraries it does
# not use.
__getattr__, __dir__, __all__ = _lazy.attach_stub(__name__, __file__)
