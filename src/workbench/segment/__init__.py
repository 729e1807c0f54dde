"""Customer classification and tiering (客户分类与分级): ABC, RFM segments, lifecycle, tiers, clusters.

Every function takes DataFrames (polars or pandas) and plain values and returns
polars DataFrames or plain values; nothing reads or writes files.  Purchases,
returns, purchase days and money come from the transaction model
(:mod:`workbench.transactions`); the room's rules and defaults are
:class:`SegmentSettings` (the ``segmentation:`` section of ``workbench.yaml``) and
``docs/segmentation.md``.

One concept per module (:func:`build_segments` runs them all and returns the
``segments.parquet`` table):

- :mod:`.metrics` -- customer metrics from the transaction log (:func:`customer_metrics`);
- :mod:`.abc` -- ABC by cumulative revenue share, the Pareto curve;
- :mod:`.rfm_scores` -- R/F/M scores, the segment rules and named segments;
- :mod:`.lifecycle` -- prospect, new, active, at risk, churned;
- :mod:`.tiers` -- :class:`TierScorer` and :func:`tier_sensitivity`;
- :mod:`.clusters` -- :class:`RFMClusterer` and :func:`cluster_profiles`;
- :mod:`.migration` -- transition matrices between two as-of dates;
- :mod:`.profiles` -- size, revenue, AOV and 12-month net revenue by group;
- :mod:`.settings` -- :class:`SegmentSettings`;
- :mod:`.labels` -- the room's words in :mod:`workbench.i18n` (room ``segment``);
- :mod:`.present` -- :func:`key_results`, :func:`narrative`, :func:`localize`;
- :mod:`.pipeline` -- :func:`build_segments`, :func:`migration_since`.
"""

from __future__ import annotations

import lazy_loader as _lazy

from . import labels, text  # noqa: F401  (the room's words, registered in workbench.i18n on import)

# Each name of __init__.pyi is imported on first use: importing the package (or its settings,
# as the report's configuration check does) does not load the models and libraries it does
# not use.
__getattr__, __dir__, __all__ = _lazy.attach_stub(__name__, __file__)
