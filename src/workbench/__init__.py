"""workbench: an open workbench for customer analytics.

Rooms (one module per concept of customer management):

- :mod:`workbench.schema`  the five canonical tables and their validation
- :mod:`workbench.config`  the project configuration (``workbench.yaml``)
- :mod:`workbench.demo`    the deterministic demo-data generator
- :mod:`workbench.datasets` real data sets (CDNOW)
- :mod:`workbench.ingest`, :mod:`workbench.clean`  reading exports; cleaning with a ledger
- :mod:`workbench.rfm`, :mod:`workbench.segment`  RFM summaries; ABC, RFM segments, lifecycle, tiers
- :mod:`workbench.clv`     lifetime value with lifetimes' BG/NBD, Pareto/NBD and Gamma-Gamma
- :mod:`workbench.churn`   churn warning
- :mod:`workbench.service` complaints, visits, satisfaction, cohorts, KPI scorecard
- :mod:`workbench.plots`   the chart style; :mod:`workbench.i18n` zh/en labels
- :mod:`workbench.report`  papermill runs, HTML, manifest
"""

__version__ = "0.1.0"
