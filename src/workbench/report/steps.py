"""The steps of a report: which notebooks run, in which order, and what each reads and writes.

One table, :data:`STEPS`; the other constants are derived from it.  A new step is one
more :class:`Step` line (before the summary, which reads the others' results).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ANALYSIS_STEPS", "FAILED_DIR", "KERNEL_NAME", "NOTEBOOKS", "NOTEBOOK_RESULTS",
           "RESULT_STEPS", "SKIPPABLE_ERRORS", "STEPS", "STEP_NEEDS", "STEP_PARAMETERS",
           "STEP_TABLES", "SUMMARY", "Step", "html_name"]


@dataclass(frozen=True)
class Step:
    """One notebook of the report.

    Attributes:
        name: the notebook's name without ``.ipynb``.
        results: the key-results file it writes (``results/<results>.json``), if any.
        needs: earlier steps whose outputs it cannot do without: when one of them could not
            run, this step is skipped with that reason.
        tables: the clean tables it reads (named on its page when it cannot run).
        analysis: an analysis section; a period none of whose analysis sections could run
            has nothing to report and is not published.
        parameters: parameters injected on top of the five common ones (only when the
            notebook's ``parameters`` cell declares them).
        outputs: the files it writes in the results folder (glob patterns), removed from the
            run's copy of the previous results before it runs, so a section that cannot run
            this time never shows last time's figures.
    """

    name: str
    results: str | None = None
    needs: tuple[str, ...] = ()
    tables: tuple[str, ...] = ()
    analysis: bool = True
    parameters: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()


#: The notebooks of a report, in the order they run.
STEPS: tuple[Step, ...] = (
    Step("01_data_cleaning", "cleaning", tables=("customers", "orders"), analysis=False),
    Step("02_segmentation", "segmentation", tables=("orders", "customers", "surveys"),
         outputs=("segments.parquet",)),
    Step("03_clv", "clv", needs=("02_segmentation",), tables=("orders", "customers"),
         outputs=("clv.parquet",)),
    Step("04_churn", "churn", tables=("orders", "customers"),
         outputs=("churn_scores.parquet", "warning_list.*", "churn_model.*")),
    Step("05_service", "service", needs=("02_segmentation",),
         tables=("customers", "orders", "complaints", "visits", "surveys"), parameters=("freq",),
         outputs=("scorecard.parquet",)),
    Step("06_management", "management", needs=("02_segmentation",),
         tables=("customers", "orders", "complaints", "visits", "surveys"), parameters=("freq",)),
    Step("00_summary", analysis=False, parameters=("freq",)),
)
_BY_NAME = {s.name: s for s in STEPS}

#: The notebook names in run order.
NOTEBOOKS: tuple[str, ...] = tuple(s.name for s in STEPS)
#: The summary notebook; rendered as the period's ``index.html``.
SUMMARY = "00_summary"
#: The key-results files (``results/<step>.json``) in the order the manifest lists them.
RESULT_STEPS: tuple[str, ...] = tuple(s.results for s in STEPS if s.results)
#: Which results file each notebook writes (stale copies are removed before it runs).
NOTEBOOK_RESULTS: dict[str, str] = {s.name: s.results for s in STEPS if s.results}
#: Parameters injected on top of the five common ones, per notebook.
STEP_PARAMETERS: dict[str, tuple[str, ...]] = {s.name: s.parameters for s in STEPS
                                               if s.parameters}
#: Earlier steps each step cannot do without.
STEP_NEEDS: dict[str, tuple[str, ...]] = {s.name: s.needs for s in STEPS if s.needs}
#: The clean tables each step reads.
STEP_TABLES: dict[str, tuple[str, ...]] = {s.name: s.tables for s in STEPS}
#: The analysis sections (see :attr:`Step.analysis`).
ANALYSIS_STEPS: tuple[str, ...] = tuple(s.name for s in STEPS if s.analysis)
#: Errors that mean "this section cannot run on this data" (missing input, a model that
#: cannot be fitted): the section's page explains why and the rest of the report publishes.
#: Any other exception is a defect and fails the run.
SKIPPABLE_ERRORS: tuple[str, ...] = ("DataError", "ModelError")
#: The Jupyter kernel the notebooks run in.
KERNEL_NAME = "python3"
#: Where the last failed run of a period is kept, under the reports folder.
FAILED_DIR = "_failed"


def step(name: str) -> Step:
    """The :class:`Step` of a notebook (a notebook not in :data:`STEPS`: an analysis step
    with no declared inputs)."""
    return _BY_NAME.get(name) or Step(name)


def html_name(notebook: str) -> str:
    """The page a notebook becomes: the summary is the period's ``index.html``."""
    return "index.html" if notebook == SUMMARY else f"{notebook}.html"
