# The package's names: what ``__init__.py`` loads on first use (lazy_loader.attach_stub)
# and what type checkers read.
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
