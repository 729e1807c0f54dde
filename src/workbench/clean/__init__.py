"""Cleaning: reason-coded rules, customer de-duplication, quarantine and a balancing ledger.

The pure core is :func:`clean_tables` (text tables in, clean tables + quarantine +
merge log + ledger out); :func:`run` adds the I/O around it (read the configured
sources, write ``data/processed/`` atomically as a set).  Nothing is lost: every
raw row ends in a clean table, in the quarantine (with a reason code from
``docs/architecture.md``) or in the merge log, and the run fails with
:class:`~workbench.errors.DataError` when the ledger does not balance.

What a cancelled order, a return and a signed amount are is the transaction model's
(:mod:`workbench.transactions`); cleaning applies it to the raw exports.

Modules, one concept each:

- :mod:`.rules`: :class:`CleaningRules` (``cleaning:`` in ``workbench.yaml``), the reason
  codes and the row rules;
- :mod:`.quarantine`: the drop masks (rules, duplicates) and the quarantined records;
- :mod:`.dedupe`: duplicate customers, the merge log, re-pointed ids;
- :mod:`.outliers`: ``is_outlier``;
- :mod:`.ledger`: :class:`CleanResult`, the ledger and its check;
- :mod:`.pipeline`: :func:`clean_tables`, :func:`run`, :func:`write_outputs`, :func:`load_outputs`;
- :mod:`.fresh`: the fingerprint of what a cleaning read, and whether the tables on disk
  are still those the inputs give (the report then reuses them);
- :mod:`.present`: tables and sentences for a reader (:func:`narrative`, :func:`key_results`,
  :func:`localize`).
"""

from __future__ import annotations

import lazy_loader as _lazy

from . import text  # noqa: F401  (the room's words, registered in workbench.i18n on import)

# Each name of __init__.pyi is imported on first use: importing the package (or its settings,
# as the report's configuration check does) does not load the models and libraries it does
# not use.
__getattr__, __dir__, __all__ = _lazy.attach_stub(__name__, __file__)
