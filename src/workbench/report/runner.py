"""Running one period: every notebook through papermill in one staging folder, each page
rendered, the manifest written, then published (or kept under ``_failed/``).

Everything is written to a temporary folder beside the final one and swapped in
only when the whole period succeeded, so the previous good report of a period is
never damaged.  A failed step stops the period with :class:`~workbench.errors.StepFailed`
naming the step, the exception and the cell.
"""

from __future__ import annotations

import html
import logging
import os
import shutil
import tempfile
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from .. import config as config_mod
from .. import i18n
from .. import io as wio
from ..errors import StepFailed, UsageError
from .index import build_reports_index
from .manifest import StepRecord, build_manifest, file_sha256, gather_results, now
from .planning import Period, results_dir_for
from .progress import Progress
from .render import render_html, simple_page
from .steps import FAILED_DIR, KERNEL_NAME, NOTEBOOK_RESULTS, STEP_PARAMETERS, SUMMARY, html_name
from .text import ROOM

__all__ = ["PeriodRun", "RunInputs", "run_period"]


@dataclass
class PeriodRun:
    """The outcome of one period: its folder and manifest."""

    period: Period
    folder: Path
    manifest: dict[str, Any]


@dataclass
class RunInputs:
    """What every period of one run shares (chosen once by :func:`workbench.report.run`)."""

    reports_dir: Path
    lang: str
    show_pii: bool
    notebooks: Sequence[str]
    notebook_dir: Path
    extra: Mapping[str, Mapping[str, Any]]
    clean_step: StepRecord
    ledger: Mapping[str, Any]
    progress: Progress
    versions: Mapping[str, Any]
    commit: str | None
    inputs: list[dict[str, Any]]


def _quiet_papermill() -> tuple[logging.Logger, int]:
    pm_log = logging.getLogger("papermill")
    level = pm_log.level
    pm_log.setLevel(logging.WARNING)
    return pm_log, level


def declared_parameters(path: Path) -> set[str]:
    """The names a notebook's ``parameters`` cell declares (empty when it cannot be read)."""
    # papermill (and the Jupyter machinery behind it) is imported only when a report runs.
    import papermill as pm

    pm_log, level = _quiet_papermill()
    try:
        return set(pm.inspect_notebook(str(path)))
    except Exception:  # noqa: BLE001 - a notebook papermill cannot inspect declares nothing extra
        return set()
    finally:
        pm_log.setLevel(level)


def _execute(src: Path, dst: Path, parameters: dict[str, Any], cwd: Path) -> None:
    # papermill is imported only when a report runs (it pulls in the Jupyter client).
    import papermill as pm

    pm_log, level = _quiet_papermill()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pm.execute_notebook(str(src), str(dst), parameters=parameters,
                                kernel_name=KERNEL_NAME, progress_bar=False, log_output=False,
                                cwd=str(cwd),
                                # the kernel's own start-up notices are not the report's business
                                extra_arguments=["--IPKernelApp.log_level=ERROR"])
    finally:
        pm_log.setLevel(level)


def short_error(exc: BaseException) -> tuple[str, str, dict[str, Any]]:
    """(exception name, message, details) without the traceback."""
    # papermill is imported only when a report runs (see _execute).
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        evalue = str(exc.evalue).strip().splitlines()
        msg = evalue[-1] if len(evalue) == 1 else " ".join(s.strip() for s in evalue)[:500]
        return exc.ename, msg, {"cell_index": exc.cell_index, "execution_count": exc.exec_count}
    return type(exc).__name__, str(exc).strip()[:500], {}


def _period_links(notebooks: Sequence[str], lang: str) -> list[tuple[str, str]]:
    links = []
    if SUMMARY in notebooks:
        links.append(("index.html", i18n.t(SUMMARY, lang, ROOM)))
    links += [(f"{n}.html", i18n.t(n, lang, ROOM)) for n in notebooks if n != SUMMARY]
    return links


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def run_period(cfg: config_mod.Config, period: Period, shared: RunInputs) -> PeriodRun:
    """Run one period in a staging folder beside the final one; never leave the staging behind."""
    shared.reports_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{period.label}.running-", dir=shared.reports_dir))
    try:
        return _run_period_in(staging, cfg, period, shared)
    finally:  # published or moved to _failed/ on the normal paths; removed if interrupted
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


class _Pages:
    """Renders each executed notebook of a period into the staging folder."""

    def __init__(self, staging: Path, cfg: config_mod.Config, period: Period, shared: RunInputs):
        self.staging, self.period, self.lang = staging, period, shared.lang
        self.links = _period_links(shared.notebooks, shared.lang)
        self.company = str(cfg.company.get("name") or "")
        self.written: list[str] = []

    def notebook(self, nb: str, executed_path: Path) -> str:
        # nbformat is imported only when a report runs (with papermill's Jupyter stack).
        import nbformat

        executed = nbformat.read(executed_path, as_version=4)
        lang, label = self.lang, self.period.label
        page = render_html(
            executed, title=f"{i18n.t(nb, lang, ROOM)} · {label}", lang=lang, links=self.links,
            current=html_name(nb),
            subtitle=f"{self.company} · {i18n.t('period', lang, ROOM)} {label} · "
                     f"{i18n.t('as_of', lang, ROOM)} {self.period.as_of}")
        (self.staging / html_name(nb)).write_text(page, encoding="utf-8")
        self.written.append(html_name(nb))
        return html_name(nb)

    def plain_index(self) -> None:
        """The period's index.html when no summary notebook ran: links to the sections."""
        items = "".join(f'<li><a href="{h}">{html.escape(lbl)}</a></li>' for h, lbl in self.links)
        content = f"<h1>{html.escape(self.company)} {self.period.label}</h1><ul>{items}</ul>"
        (self.staging / "index.html").write_text(
            simple_page(self.period.label, content, self.lang), encoding="utf-8")
        self.written.insert(0, "index.html")


def _step_parameters(nb: str, src: Path, common: Mapping[str, Any], period: Period,
                     extra: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    params = dict(common)
    declared = declared_parameters(src) if src.is_file() else set()
    if "freq" in STEP_PARAMETERS.get(nb, ()) and "freq" in declared:
        params["freq"] = period.freq
    params.update(extra.get(nb, {}))
    return params


def _run_steps(staging: Path, period: Period, shared: RunInputs, common: Mapping[str, Any],
               pages: _Pages, steps: list[StepRecord]) -> dict[str, Any] | None:
    """Run the notebooks in order; the first failure stops them and is returned."""
    for nb in shared.notebooks:
        rec = StepRecord(nb, status="running", started=now())
        steps.append(rec)
        src = shared.notebook_dir / f"{nb}.ipynb"
        dst = staging / "notebooks" / f"{nb}.ipynb"
        params = _step_parameters(nb, src, common, period, shared.extra)
        rec.extra = {"notebook": f"notebooks/{nb}.ipynb", "parameters": params}
        t0 = shared.progress.start(nb)
        error: dict[str, Any] | None = None
        try:
            if not src.is_file():
                raise UsageError(f"notebook {src} does not exist; the report runs "
                                 f"{', '.join(shared.notebooks)} from {shared.notebook_dir}.")
            _execute(src, dst, params, cwd=shared.notebook_dir)
            rec.extra["html"] = pages.notebook(nb, dst)
            rec.status = "ok"
        except Exception as exc:  # noqa: BLE001 - every failure becomes a StepFailed later
            ename, evalue, details = short_error(exc)
            rec.status = "failed"
            error = {"step": nb, "ename": ename, "evalue": evalue, **details}
        rec.finished = now()
        rec.seconds = round(time.monotonic() - t0, 2)
        shared.progress.finish(nb, t0, rec.status == "ok",
                               "" if error is None else f"{error['ename']}: {error['evalue']}")
        if error is not None:
            return error
    return None


def _run_period_in(staging: Path, cfg: config_mod.Config, period: Period,
                   shared: RunInputs) -> PeriodRun:
    os.chmod(staging, 0o777 & ~_umask())  # mkdtemp makes it private; a report is for readers
    (staging / "notebooks").mkdir()
    progress = shared.progress
    progress.attach(staging / "run.log")
    t_start, started = time.monotonic(), now()
    results_dir = results_dir_for(cfg, period)
    results_dir.mkdir(parents=True, exist_ok=True)
    common = {
        "config_path": str(Path(cfg.path).resolve()) if cfg.path else None,
        "as_of": period.as_of.isoformat(),
        "results_dir": str(results_dir),
        "lang": shared.lang,
        "show_pii": bool(shared.show_pii),
    }
    parameters: dict[str, Any] = {**common, "freq": period.freq,
                                  "notebook_dir": str(shared.notebook_dir),
                                  "notebooks": list(shared.notebooks), "kernel": KERNEL_NAME}
    if shared.extra:
        parameters["extra"] = {k: dict(v) for k, v in shared.extra.items()}
    clean_step = shared.clean_step
    progress.message(f"report {period.label} (as of {period.as_of}, {period.freq}) -> "
                     f"{shared.reports_dir / period.label}")
    progress.message(f"clean: {clean_step.status} in {clean_step.seconds} s (shared by this run)")
    # Results of the steps about to run are recomputed; stale copies must not reach the manifest.
    for nb in shared.notebooks:
        stale = results_dir / "results" / f"{NOTEBOOK_RESULTS.get(nb, '')}.json"
        if nb in NOTEBOOK_RESULTS and stale.is_file():
            stale.unlink()
    steps = [clean_step]
    pages = _Pages(staging, cfg, period, shared)
    error = _run_steps(staging, period, shared, common, pages, steps)
    if error is None and SUMMARY not in shared.notebooks:
        pages.plain_index()
    manifest = build_manifest(
        period=period, status="ok" if error is None else "failed", parameters=parameters,
        inputs=shared.inputs, ledger=shared.ledger, steps=steps,
        results=gather_results(results_dir), started=started, finished=now(),
        seconds=time.monotonic() - t_start, versions=shared.versions, commit=shared.commit,
        reports=pages.written, error=error,
        config={"path": common["config_path"],
                "sha256": file_sha256(cfg.path) if cfg.path else None})
    wio.atomic_write_json(manifest, staging / "manifest.json")
    os.chmod(staging / "manifest.json", 0o666 & ~_umask())
    progress.attach(None)
    if error is not None:
        _keep_failed(staging, period, shared, error)
    final = _publish(staging, period, shared)
    progress.message(f"report {period.label}: ok in {manifest['seconds']:.1f} s -> "
                     f"{final / 'index.html'}")
    return PeriodRun(period, final, manifest)


def _keep_failed(staging: Path, period: Period, shared: RunInputs,
                 error: Mapping[str, Any]) -> NoReturn:
    """Move the staging folder to ``_failed/<period>/`` and raise the run's StepFailed."""
    failed = shared.reports_dir / FAILED_DIR / period.label
    failed.parent.mkdir(parents=True, exist_ok=True)
    if failed.exists():
        shutil.rmtree(failed)
    os.replace(staging, failed)
    build_reports_index(shared.reports_dir, shared.lang)
    kept = failed / "notebooks" / f"{error['step']}.ipynb"
    where = (f"The executed notebook is kept in {kept}" if kept.is_file() else
             f"The notebooks executed before it are kept in {failed / 'notebooks'}")
    cell = f" (cell {error['cell_index']})" if error.get("cell_index") is not None else ""
    raise StepFailed(
        error["step"],
        f"{error['ename']}: {str(error['evalue']).rstrip('.')}{cell}. Period {period.label} was "
        f"not published; the previous report (if any) is unchanged. {where}; "
        f"the log is {failed / 'run.log'}.")


def _publish(staging: Path, period: Period, shared: RunInputs) -> Path:
    """Swap the staging folder in as ``<reports>/<period>/`` and rebuild the reports index."""
    reports_dir = shared.reports_dir
    final = reports_dir / period.label
    old = None
    if final.exists():
        old = reports_dir / f".{period.label}.old-{os.getpid()}-{time.time_ns()}"
        os.replace(final, old)
    os.replace(staging, final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    stale_failure = reports_dir / FAILED_DIR / period.label
    if stale_failure.exists():
        shutil.rmtree(stale_failure)
    build_reports_index(reports_dir, shared.lang)
    return final
