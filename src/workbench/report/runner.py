"""Running one period: every notebook through papermill in staging folders, each page
rendered, the manifest written, then published (or kept under ``_failed/``).

Everything is written to temporary folders beside the final ones and swapped in only
when the period can be published: the report pages in ``<reports>/.<period>.running-*``,
the per-period results (Parquet, ``results/*.json``) in ``<processed>/.<as_of>.running-*``,
a copy of the previous results to start from.  So a killed or failed run changes
nothing that was published or computed before, and a later run removes the staging
folders a killed run left (:func:`clean_stale`).

A step that raises one of :data:`~workbench.report.steps.SKIPPABLE_ERRORS` (a missing
input, a model that cannot be fitted) is *skipped*: its page explains why, the steps that
need it are skipped too, and the rest publishes.  Any other error stops the period with
:class:`~workbench.errors.StepFailed` naming the step, the exception and the cell.
"""

from __future__ import annotations

import html
import logging
import os
import re
import shutil
import tempfile
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from .. import config as config_mod
from .. import i18n
from .. import io as wio
from ..errors import DataError, ModelError, StepFailed, UsageError, WorkbenchError
from .index import build_reports_index
from .manifest import StepRecord, build_manifest, file_sha256, gather_results, now
from .planning import Period, results_dir_for
from .progress import Progress
from .render import render_html, simple_page
from .sections import SectionStatus, needs_reason, sections_of, skipped_content
from .steps import (
    ANALYSIS_STEPS,
    FAILED_DIR,
    KERNEL_NAME,
    NOTEBOOK_RESULTS,
    SKIPPABLE_ERRORS,
    STEP_NEEDS,
    STEP_PARAMETERS,
    SUMMARY,
    html_name,
)
from .steps import step as step_of
from .text import ROOM

__all__ = ["PeriodRun", "RunInputs", "clean_stale", "run_period"]


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
    engine: Mapping[str, Any] = field(default_factory=lambda: {"name": "polars"})


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
                                # the kernel's own start-up notices are not the report's business;
                                # the kernel exits when this process dies (a killed run leaves
                                # no kernel behind that would still write into its staging)
                                extra_arguments=["--IPKernelApp.log_level=ERROR",
                                                 f"--IPKernelApp.parent_handle={os.getpid()}"])
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


_STAGING = wio.STAGING_MARK
_OLD = ".old-"


def _swap_in(staging: Path, final: Path) -> None:
    """Put ``staging`` in place of ``final`` (two renames; the old folder is removed after)."""
    old = None
    if final.exists():
        old = final.parent / f".{final.name}{_OLD}{os.getpid()}-{time.time_ns()}"
        os.replace(final, old)
    os.replace(staging, final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def clean_stale(folder: Path) -> list[str]:
    """Remove what killed runs left in ``folder``: staging folders (``.<name>.running-*``),
    temporary files, a cleaning's staging (``.clean-*``); put back a previous folder
    (``.<name>.old-*``) whose replacement never arrived.  Call it only holding the folder's
    lock.  Returns what was done, for the log."""
    done: list[str] = []
    if not folder.is_dir():
        return done
    for p in sorted(folder.iterdir()):
        name = p.name
        if not name.startswith("."):
            continue
        if _OLD in name and p.is_dir():
            final = folder / name[1:name.index(_OLD)]
            if not final.exists():
                os.replace(p, final)
                done.append(f"restored {final} from {name}")
            else:
                shutil.rmtree(p, ignore_errors=True)
                done.append(f"removed {p}")
        elif (_STAGING in name or (name.startswith(".clean-") and
                                   not name.startswith(".clean-backup-"))) and p.is_dir():
            shutil.rmtree(p, ignore_errors=True)
            done.append(f"removed {p}")
        elif name.endswith(".tmp") and p.is_file():
            p.unlink(missing_ok=True)
            done.append(f"removed {p}")
    return done


def run_period(cfg: config_mod.Config, period: Period, shared: RunInputs) -> PeriodRun:
    """Run one period in staging folders beside the final ones; never leave them behind."""
    reports_dir = shared.reports_dir
    final_results = results_dir_for(cfg, period)
    with wio.disk_faults(reports_dir, f"the report of {period.label}"):
        reports_dir.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{period.label}{_STAGING}", dir=reports_dir))
    stage_results: Path | None = None
    try:
        with wio.disk_faults(final_results.parent, f"the results of {period.label}"):
            final_results.parent.mkdir(parents=True, exist_ok=True)
            stage_results = Path(tempfile.mkdtemp(prefix=f".{final_results.name}{_STAGING}",
                                                  dir=final_results.parent))
            if final_results.is_dir():  # steps not rerun keep their outputs; all are copies
                shutil.copytree(final_results, stage_results, dirs_exist_ok=True,
                                ignore=shutil.ignore_patterns(".*"))
            os.chmod(stage_results, 0o777 & ~_umask())
        return _run_period_in(staging, stage_results, final_results, cfg, period, shared)
    finally:  # published or moved to _failed/ on the normal paths; removed otherwise
        for folder in (staging, stage_results):
            if folder is not None and folder.exists():
                shutil.rmtree(folder, ignore_errors=True)


class _Pages:
    """Renders each executed notebook of a period into the staging folder."""

    def __init__(self, staging: Path, cfg: config_mod.Config, period: Period, shared: RunInputs):
        self.staging, self.period, self.lang, self.cfg = staging, period, shared.lang, cfg
        self.links = _period_links(shared.notebooks, shared.lang)
        self.company = str(cfg.company.get("name") or "")
        self.written: list[str] = []

    def _subtitle(self) -> str:
        lang, label = self.lang, self.period.label
        return (f"{self.company} · {i18n.t('period', lang, ROOM)} {label} · "
                f"{i18n.t('as_of', lang, ROOM)} {self.period.as_of}")

    def notebook(self, nb: str, executed_path: Path) -> str:
        # nbformat is imported only when a report runs (with papermill's Jupyter stack).
        import nbformat

        executed = nbformat.read(executed_path, as_version=4)
        page = render_html(
            executed, title=f"{i18n.t(nb, self.lang, ROOM)} · {self.period.label}",
            lang=self.lang, links=self.links, current=html_name(nb), subtitle=self._subtitle())
        (self.staging / html_name(nb)).write_text(page, encoding="utf-8")
        self.written.append(html_name(nb))
        return html_name(nb)

    def skipped(self, nb: str, reason: str) -> str:
        """The page of a section that could not run: what happened, why, its inputs."""
        content = skipped_content(nb, reason, self.cfg, self.period.label, self.period.as_of,
                                  self.lang)
        nav = "".join(f'<a href="{h}">{html.escape(lbl)}</a> · ' for h, lbl in self.links)
        nav += f'<a href="../index.html">{html.escape(i18n.t("all_periods", self.lang, ROOM))}</a>'
        body = (f'<nav class="wb-nav">{nav}</nav><p class="wb-subtitle">'
                f'{html.escape(self._subtitle())}</p>{content}')
        title = f"{i18n.t(nb, self.lang, ROOM)} · {self.period.label}"
        (self.staging / html_name(nb)).write_text(simple_page(title, body, self.lang),
                                                  encoding="utf-8")
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


def _relocate(executed: Path, stage: Path, final: Path) -> None:
    """Name the final results folder, not its staging copy, in an executed notebook (its
    injected parameters and any output that shows a path): that is where the files are
    once the period is published, and where a rerun of the notebook should write."""
    if not executed.is_file():
        return
    text = executed.read_text(encoding="utf-8")
    if str(stage) in text:
        executed.write_text(text.replace(str(stage), str(final)), encoding="utf-8")


@dataclass
class _Steps:
    """The outcome of a period's notebooks."""

    records: list[StepRecord]
    sections: dict[str, SectionStatus]
    error: dict[str, Any] | None = None


def _fault(error: Mapping[str, Any], folder: Path, step: str) -> wio.OutputError | None:
    """An OutputError when a step failed because a folder could not take its outputs."""
    if error.get("ename") == "OutputError":
        return wio.OutputError(f"step '{step}': {error.get('evalue')}")
    probe = OSError(str(error.get("evalue")))
    found = re.search(r"\[Errno (\d+)\]", str(error.get("evalue")))
    if found:
        probe.errno = int(found.group(1))
    fault = wio.disk_fault(probe, folder, f"the outputs of step '{step}'")
    return fault


def _run_steps(staging: Path, stage_results: Path, final_results: Path, period: Period,
               shared: RunInputs, common: Mapping[str, Any], pages: _Pages,
               steps: list[StepRecord]) -> _Steps:
    """Run the notebooks in order.  A skippable error makes its section an explanation page
    (and skips the steps that need it); any other error stops the run and is returned."""
    out = _Steps(steps, {})
    run_common = {**common, "results_dir": str(stage_results)}
    for nb in shared.notebooks:
        rec = StepRecord(nb, status="running", started=now())
        steps.append(rec)
        src = shared.notebook_dir / f"{nb}.ipynb"
        dst = staging / "notebooks" / f"{nb}.ipynb"
        params = _step_parameters(nb, src, common, period, shared.extra)
        rec.extra = {"notebook": f"notebooks/{nb}.ipynb", "parameters": params}
        t0 = shared.progress.start(nb)
        blocked = [n for n in STEP_NEEDS.get(nb, ()) if n in out.sections
                   and out.sections[n].status != "ok"]
        error: dict[str, Any] | None = None
        note = ""
        if blocked:
            reason = needs_reason(blocked[0], out.sections[blocked[0]].reason or "", shared.lang)
            rec.status, note = "skipped", reason
            rec.extra.update({"reason": reason, "html": pages.skipped(nb, reason)})
            rec.extra.pop("notebook")
        else:
            try:
                if not src.is_file():
                    raise UsageError(f"notebook {src} does not exist; the report runs "
                                     f"{', '.join(shared.notebooks)} from {shared.notebook_dir}.")
                try:
                    _execute(src, dst, _step_parameters(nb, src, run_common, period,
                                                        shared.extra), cwd=shared.notebook_dir)
                finally:
                    _relocate(dst, stage_results, final_results)
                rec.extra["html"] = pages.notebook(nb, dst)
                rec.status = "ok"
            except Exception as exc:  # noqa: BLE001 - every failure is recorded below
                ename, evalue, details = short_error(exc)
                evalue = evalue.replace(str(stage_results), str(final_results))
                if ename in SKIPPABLE_ERRORS:
                    reason = f"{ename}: {evalue}"
                    rec.status, note = "skipped", reason
                    rec.extra.update({"reason": reason, "error": {"ename": ename,
                                                                  "evalue": evalue, **details}})
                    rec.extra["html"] = pages.skipped(nb, evalue)
                else:
                    rec.status = "failed"
                    error = {"step": nb, "ename": ename, "evalue": evalue, **details}
                    note = f"{ename}: {evalue}"
        rec.finished = now()
        rec.seconds = round(time.monotonic() - t0, 2)
        out.sections[nb] = SectionStatus(
            rec.status, rec.extra.get("reason") or (note if rec.status == "failed" else None),
            (rec.extra.get("error") or {}).get("ename"))
        shared.progress.finish(nb, t0, rec.status == "ok", note, skipped=rec.status == "skipped")
        if error is not None:
            out.error = error
            return out
    return out


def _nothing_reported(result: _Steps) -> tuple[str, SectionStatus] | None:
    """The first skipped analysis section when none of the run's analysis sections ran."""
    analysis = [(n, s) for n, s in result.sections.items() if n in ANALYSIS_STEPS]
    if analysis and all(s.status != "ok" for _n, s in analysis):
        return next(((n, s) for n, s in analysis if s.ename), analysis[0])
    return None


def _run_period_in(staging: Path, stage_results: Path, final_results: Path,
                   cfg: config_mod.Config, period: Period, shared: RunInputs) -> PeriodRun:
    reports_dir = shared.reports_dir
    with wio.disk_faults(reports_dir, f"the report of {period.label}"):
        os.chmod(staging, 0o777 & ~_umask())  # mkdtemp makes it private; a report is for readers
        (staging / "notebooks").mkdir()
    progress = shared.progress
    progress.attach(staging / "run.log")
    t_start, started = time.monotonic(), now()
    common = {
        "config_path": str(Path(cfg.path).resolve()) if cfg.path else None,
        "as_of": period.as_of.isoformat(),
        "results_dir": str(final_results),
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
                     f"{reports_dir / period.label}")
    progress.message(f"clean: {clean_step.status} in {clean_step.seconds} s (shared by this run)")
    # The steps about to run recompute their outputs: last run's copies must not reach the
    # manifest or the summary (a section skipped this time shows nothing stale).
    for nb in shared.notebooks:
        patterns = [f"results/{NOTEBOOK_RESULTS[nb]}.json"] if nb in NOTEBOOK_RESULTS else []
        for pattern in [*patterns, *step_of(nb).outputs]:
            for stale in stage_results.glob(pattern):
                if stale.is_file():
                    stale.unlink()
    pages = _Pages(staging, cfg, period, shared)
    try:
        result = _run_steps(staging, stage_results, final_results, period, shared, common,
                            pages, [clean_step])
    except OSError as exc:
        fault = wio.disk_fault(exc, reports_dir, f"the report of {period.label}")
        if fault is None:
            raise
        raise fault from exc
    error = result.error
    empty = _nothing_reported(result) if error is None else None
    if empty is not None:
        step, section = empty
        error = {"step": step, "ename": section.ename or "DataError",
                 "evalue": f"no analysis section could be produced; {step}: "
                           f"{section.reason or ''}"}
    if error is None and SUMMARY not in shared.notebooks:
        pages.plain_index()
    skipped = any(s.status == "skipped" for s in result.sections.values())
    status = "failed" if error is not None else ("partial" if skipped else "ok")
    with wio.disk_faults(reports_dir, f"the report of {period.label}"):
        manifest = build_manifest(
            period=period, status=status, parameters=parameters,
            inputs=shared.inputs, ledger=shared.ledger, steps=result.records,
            results=gather_results(stage_results), started=started, finished=now(),
            seconds=time.monotonic() - t_start, versions=shared.versions, commit=shared.commit,
            reports=pages.written, error=error, sections=sections_of(result.sections),
            engine=shared.engine,
            config={"path": common["config_path"],
                    "sha256": file_sha256(cfg.path) if cfg.path else None})
        wio.atomic_write_json(manifest, staging / "manifest.json")
        os.chmod(staging / "manifest.json", 0o666 & ~_umask())
    progress.attach(None)
    if error is not None:
        _keep_failed(staging, period, shared, error, empty is not None,
                     _fault(error, final_results.parent if error.get("ename") == "OutputError"
                            else reports_dir, error["step"]))
    with wio.disk_faults(final_results.parent, f"the results of {period.label}"):
        _swap_in(stage_results, final_results)
    final = _publish(staging, period, shared)
    done = "ok" if status == "ok" else (
        "published without " + ", ".join(n for n, s in result.sections.items()
                                         if s.status == "skipped"))
    progress.message(f"report {period.label}: {done} in {manifest['seconds']:.1f} s -> "
                     f"{final / 'index.html'}")
    return PeriodRun(period, final, manifest)


def _keep_failed(staging: Path, period: Period, shared: RunInputs, error: Mapping[str, Any],
                 empty: bool = False, fault: WorkbenchError | None = None) -> NoReturn:
    """Move the staging folder to ``_failed/<period>/`` and raise the run's error: StepFailed
    for a failed step, the data or model error when nothing could be reported, the
    OutputError when a folder could not take the outputs."""
    failed = shared.reports_dir / FAILED_DIR / period.label
    with wio.disk_faults(shared.reports_dir, f"the failed run of {period.label}"):
        failed.parent.mkdir(parents=True, exist_ok=True)
        if failed.exists():
            shutil.rmtree(failed)
        os.replace(staging, failed)
    try:
        build_reports_index(shared.reports_dir, shared.lang)
    except OSError as exc:  # a full disk must not hide the step's own error
        shared.progress.message(f"the reports index was not rebuilt: {exc}", logging.WARNING)
    kept = failed / "notebooks" / f"{error['step']}.ipynb"
    where = (f"The executed notebook is kept in {kept}" if kept.is_file() else
             f"The notebooks executed before it are kept in {failed / 'notebooks'}")
    cell = f" (cell {error['cell_index']})" if error.get("cell_index") is not None else ""
    tail = (f"Period {period.label} was not published; the previous report (if any) and its "
            f"results are unchanged. {where}; the log is {failed / 'run.log'}.")
    if fault is not None:
        raise type(fault)(f"{str(fault).rstrip('.')}. {tail}")
    if empty:
        cls: type[WorkbenchError] = ModelError if error["ename"] == "ModelError" else DataError
        raise cls(f"{str(error['evalue']).rstrip('.')}. {tail}")
    raise StepFailed(
        error["step"], f"{error['ename']}: {str(error['evalue']).rstrip('.')}{cell}. {tail}")


def _publish(staging: Path, period: Period, shared: RunInputs) -> Path:
    """Swap the staging folder in as ``<reports>/<period>/`` and rebuild the reports index."""
    reports_dir = shared.reports_dir
    final = reports_dir / period.label
    with wio.disk_faults(reports_dir, f"the report of {period.label}"):
        _swap_in(staging, final)
        stale_failure = reports_dir / FAILED_DIR / period.label
        if stale_failure.exists():
            shutil.rmtree(stale_failure)
        build_reports_index(reports_dir, shared.lang)
    return final
