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

import lazy_loader as _lazy

from . import sections, text  # noqa: F401  (the report's words, registered in workbench.i18n on import)

# Each name of __init__.pyi is imported on first use: ``workbench report`` loads the runner
# without the summary's tables (pandas) while its notebooks' kernels do the work.
__getattr__, __dir__, __all__ = _lazy.attach_stub(__name__, __file__)
