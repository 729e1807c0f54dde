"""The periodic report: cleaning, every notebook through papermill, code-free HTML, manifest.

``workbench report`` (:func:`main`) cleans the configured sources once, then for each
requested period runs the analysis notebooks in order (:data:`NOTEBOOKS`) with the
period's parameters injected, renders each executed notebook to HTML without code
and writes ``<reports>/<period>/``::

    index.html              the executive summary (00_summary rendered)
    01_data_cleaning.html   one page per section, each with a table of contents
    ...
    notebooks/NN.ipynb      the executed notebooks (the audit record; rerunnable)
    manifest.json           parameters, inputs with hashes, versions, steps, key results
    run.log                 the run's log

One concept per module:

- :mod:`.planning`   which periods a run covers (``parse_period``, ``plan_periods``);
- :mod:`.steps`      the notebooks, their order and the results each writes;
- :mod:`.resources`  where the notebooks and page styles are (package data);
- :mod:`.runner`     one period: papermill runs in a staging folder, failure handling;
- :mod:`.render`     executed notebooks as code-free HTML pages;
- :mod:`.index`      ``<reports>/index.html``;
- :mod:`.manifest`   ``manifest.json``: input hashes, versions, timings, results;
- :mod:`.present`    the executive summary's findings and words (i18n room ``report``);
- :mod:`.trend`      net revenue per period and tier (the transaction model's ``value``);
- :mod:`.validation` the whole configuration checked before any step;
- :mod:`.locking`    one run at a time per folder (lock file with its owner);
- :mod:`.preflight`  a period with nothing to analyse, and the real cause;
- :mod:`.sections`   sections that cannot run: their page and status;
- :mod:`.pipeline`   :func:`run` and :func:`main`.
"""

from __future__ import annotations

from . import locking
from .index import build_reports_index
from .locking import LockBusy
from .manifest import (
    VERSION_PACKAGES,
    StepRecord,
    build_manifest,
    file_sha256,
    gather_results,
    git_commit,
    input_files,
    package_versions,
)
from .pipeline import ReportSettings, default_notebook_dir, main, run
from .planning import Period, default_period, parse_period, plan_periods, results_dir_for
from .present import (
    findings,
    findings_markdown,
    localize,
    narrative,
    section_links,
    summary_intro,
)
from .progress import Progress
from .render import render_html
from .resources import notebook_dir
from .runner import PeriodRun, clean_stale
from .sections import missing_note
from .steps import (
    FAILED_DIR,
    KERNEL_NAME,
    NOTEBOOK_RESULTS,
    NOTEBOOKS,
    RESULT_STEPS,
    STEP_PARAMETERS,
    SUMMARY,
)
from .trend import revenue_by_tier
from .validation import config_problems, validate_config

#: The progress reporter under its former private name (tests drive it directly).
_Progress = Progress

__all__ = [
    "FAILED_DIR",
    "KERNEL_NAME",
    "LockBusy",
    "NOTEBOOKS",
    "NOTEBOOK_RESULTS",
    "RESULT_STEPS",
    "STEP_PARAMETERS",
    "SUMMARY",
    "VERSION_PACKAGES",
    "Period",
    "PeriodRun",
    "Progress",
    "ReportSettings",
    "StepRecord",
    "build_manifest",
    "build_reports_index",
    "clean_stale",
    "config_problems",
    "default_notebook_dir",
    "default_period",
    "file_sha256",
    "findings",
    "findings_markdown",
    "gather_results",
    "git_commit",
    "input_files",
    "localize",
    "locking",
    "main",
    "missing_note",
    "narrative",
    "notebook_dir",
    "package_versions",
    "parse_period",
    "plan_periods",
    "render_html",
    "results_dir_for",
    "revenue_by_tier",
    "run",
    "section_links",
    "summary_intro",
    "validate_config",
]
