"""The steps of a report: which notebooks run, in which order, and what each writes.

Plain constants and name rules shared by the runner, the manifest and the pages.
"""

from __future__ import annotations

__all__ = ["FAILED_DIR", "KERNEL_NAME", "NOTEBOOKS", "NOTEBOOK_RESULTS", "RESULT_STEPS",
           "STEP_PARAMETERS", "SUMMARY", "html_name"]

#: The notebooks of a report, in the order they run (the summary reads the others' results).
NOTEBOOKS: tuple[str, ...] = (
    "01_data_cleaning",
    "02_segmentation",
    "03_clv",
    "04_churn",
    "05_service",
    "00_summary",
)
#: The summary notebook; rendered as the period's ``index.html``.
SUMMARY = "00_summary"
#: The key-results files (``results/<step>.json``) in the order the manifest lists them.
RESULT_STEPS: tuple[str, ...] = ("cleaning", "segmentation", "clv", "churn", "service")
#: Which results file each notebook writes (stale copies are removed before it runs).
NOTEBOOK_RESULTS: dict[str, str] = {
    "01_data_cleaning": "cleaning",
    "02_segmentation": "segmentation",
    "03_clv": "clv",
    "04_churn": "churn",
    "05_service": "service",
}
#: Parameters injected on top of the five common ones, per notebook (only when the
#: notebook's ``parameters`` cell declares them).
STEP_PARAMETERS: dict[str, tuple[str, ...]] = {"05_service": ("freq",), "00_summary": ("freq",)}
#: The Jupyter kernel the notebooks run in.
KERNEL_NAME = "python3"
#: Where the last failed run of a period is kept, under the reports folder.
FAILED_DIR = "_failed"


def html_name(notebook: str) -> str:
    """The page a notebook becomes: the summary is the period's ``index.html``."""
    return "index.html" if notebook == SUMMARY else f"{notebook}.html"
