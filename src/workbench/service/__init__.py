"""Service and relationship analytics: complaints, visits, satisfaction, cohorts and the KPI scorecard.

Customer management is more than purchases: how complaints are handled, how
often each tier is visited and how satisfied customers are show whether the
company really serves its tiers differently (客户服务差异化), and the KPI
scorecard is how management evaluates it (绩效评估).

One concept per module, every public name re-exported here
(``from workbench.service import scorecard`` and ``workbench.service.scorecard`` work):

- :mod:`.common` - tiers and owners, day windows, the transaction log;
- :mod:`.complaints` - rates, SLA and resolution, backlog, repeat complainers, aftermath;
- :mod:`.visits` - cadence, overdue key customers, visits against customer value;
- :mod:`.satisfaction` - NPS with its interval, CSAT, detractors with open complaints;
- :mod:`.cohorts` - cohort tables, new vs returning, churned customers;
- :mod:`.scorecard` - period KPIs and the scorecard with its small-number guard;
- :mod:`.settings` - :class:`ServiceSettings` (``service:`` in ``workbench.yaml``);
- :mod:`.analysis` - :func:`analyse`, every figure of notebook 05 in one call;
- :mod:`.present` - :func:`key_results`, :func:`narrative`, :func:`localize`.

Purchases, returns, money and as-of bounds are the transaction model's
(:mod:`workbench.transactions`, ``docs/architecture.md#the-transaction-model``);
periods and trailing windows are :mod:`workbench.periods`' (a trailing window
is ``start < day <= end``).  Nothing here reads or writes files.
"""

from __future__ import annotations

import lazy_loader as _lazy

from . import text  # noqa: F401  (the room's words, registered in workbench.i18n on import)

# Each name of __init__.pyi is imported on first use: importing the package (or its settings,
# as the report's configuration check does) does not load the models and libraries it does
# not use.
__getattr__, __dir__, __all__ = _lazy.attach_stub(__name__, __file__)
