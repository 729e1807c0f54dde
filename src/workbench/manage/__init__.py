"""Managing with the analysis: owner performance, care plan, order forecast, account pool,
CRM write-back and alerts (notebook ``06_management``; ``docs/management.md``).

One concept per module, every public name re-exported here:

- :mod:`.settings` - :class:`ManagementSettings` (``management:`` in ``workbench.yaml``);
- :mod:`.book` - each customer's owner, team, region, tier and segment;
- :mod:`.performance` - the owner scorecard, fair to each book's tier mix;
- :mod:`.care` - the next period's action list per owner, with reasons;
- :mod:`.forecast` - next period's orders from the CLV models x a seasonal index, backtested;
- :mod:`.pool` - reclaim candidates and the claim list (公海);
- :mod:`.crm` - the customer-360 table and CRM import presets (Zoho CRM, 纷享销客);
- :mod:`.alerts` - thresholds checked against this period and the last;
- :mod:`.html` - sortable, searchable tables that work offline and under a CSP;
- :mod:`.analysis` - :func:`analyse`, every figure of notebook 06 in one call;
- :mod:`.present` - :func:`key_results`, :func:`narrative`, :func:`localize`, :func:`alerts_box`.

Purchases and money are the transaction model's (:mod:`workbench.transactions`); tiers and
segments step 02's; CLV step 03's models; the warning list step 04's; visit policy,
complaint SLA and NPS the service room's.  Nothing here reads or writes files.
"""

from __future__ import annotations

import lazy_loader as _lazy

from . import text  # noqa: F401  (the room's words, registered in workbench.i18n on import)

# Each name of __init__.pyi is imported on first use: importing the package (or its settings,
# as the report's configuration check does) does not load the models and libraries it does
# not use.
__getattr__, __dir__, __all__ = _lazy.attach_stub(__name__, __file__)
