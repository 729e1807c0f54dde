"""``workbench report``: cleaning once, then every notebook for each requested period.

:func:`run` chooses what every period shares (configuration, language, notebooks,
versions, input hashes) and hands each period to :func:`workbench.report.runner.run_period`.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import logging
import os
import sys
import time
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any, TextIO

from .. import clean as clean_mod
from .. import config as config_mod
from .. import context as context_mod
from .. import i18n
from .. import io as wio
from ..context import ENGINE_VAR
from ..errors import StepFailed, UsageError, WorkbenchError
from ..transactions import TransactionSettings
from . import locking
from .manifest import (
    StepRecord,
    engine_record,
    git_commit,
    input_files,
    load_ledger,
    now,
    package_versions,
    rows_from_ledger,
)
from .planning import plan_periods
from .preflight import check_period
from .progress import Progress
from .resources import notebook_dir as packaged_notebook_dir
from .runner import PeriodRun, RunInputs, clean_stale, run_period
from .settings import ReportSettings
from .steps import ANALYSIS_STEPS, NOTEBOOKS
from .validation import validate_config

__all__ = ["ReportSettings", "main", "run"]


def default_notebook_dir(cfg: config_mod.Config) -> Path:
    """``report.notebooks`` of the configuration, else the workbench's own notebooks."""
    configured = ReportSettings.from_mapping(cfg.section("report")).notebooks
    if configured:
        p = Path(configured).expanduser()
        return p if p.is_absolute() else (cfg.root / p).resolve()
    return packaged_notebook_dir()


def _give_back_memory() -> None:
    """Return the memory the cleaning freed to the system before the notebooks run, each in a
    kernel of its own: the C allocators keep freed pages for reuse, and at millions of orders
    this process would otherwise hold about a gigabyte beside every kernel."""
    gc.collect()
    arrow = sys.modules.get("pyarrow")
    if arrow is not None:
        arrow.default_memory_pool().release_unused()
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc (macOS, Windows, musl): nothing to trim
        return
    libc.malloc_trim(0)


def _clean(cfg: config_mod.Config, progress: Progress, clean: bool | str) -> StepRecord:
    """The report's cleaning step: ``True`` cleans, ``False`` reuses the clean tables on disk,
    ``"auto"`` cleans unless they were written from the same inputs, settings and code
    (:func:`workbench.clean.fresh.is_current`; the step then says ``reused``)."""
    step = StepRecord("clean", status="running", started=now())
    if clean not in (True, False, "auto"):
        raise UsageError(f"clean={clean!r}: give True (clean), False (reuse the clean tables) "
                         f"or 'auto' (clean unless the inputs are unchanged).")
    if clean:
        t0 = progress.start("clean")
        note = ""
        try:
            stamp = clean_mod.fresh.fingerprint(cfg) if clean == "auto" else None
            if stamp is not None and clean_mod.fresh.is_current(cfg, current=stamp):
                note = "reused: written from these same inputs, settings and code (--reclean)"
                step.extra = {"reused": True}
            else:
                with wio.disk_faults(cfg.processed_dir, "the clean tables"):
                    clean_mod.run(cfg, fingerprint=stamp)
        except WorkbenchError as exc:
            progress.finish("clean", t0, False, f"{type(exc).__name__}: {exc}")
            raise type(exc)(f"step 'clean' failed: {exc}") from exc
        except Exception as exc:
            progress.finish("clean", t0, False, f"{type(exc).__name__}: {exc}")
            raise StepFailed("clean", f"{type(exc).__name__}: {exc}") from exc
        progress.finish("clean", t0, True, note)
        _give_back_memory()
        step.seconds = round(time.monotonic() - t0, 2)
        step.status = "ok"
    else:
        step.status = "skipped"
        step.seconds = 0.0
    step.finished = now()
    return step


def run(config_path: str | os.PathLike[str] | None = None, *, period: str | None = None,
        as_of: str | date | None = None, period_from: str | None = None,
        period_to: str | None = None, freq: str = "month",
        out: str | os.PathLike[str] | None = None, lang: str | None = None,
        notebooks: Sequence[str] = NOTEBOOKS, notebook_dir: str | os.PathLike[str] | None = None,
        parameters: Mapping[str, Mapping[str, Any]] | None = None,
        clean: bool | str = "auto",
        progress_stream: TextIO | None = None, live: bool | None = None,
        lock_wait: float | None = None, engine: str | None = None) -> list[PeriodRun]:
    """Run the periodic report: cleaning once, then every notebook for each period.

    Args:
        config_path: the configuration (None: ``$WORKBENCH_CONFIG`` or ``./workbench.yaml``).
        period, as_of, period_from, period_to, freq: which periods (see
            :func:`workbench.report.plan_periods`); none of them: the last complete month
            (or quarter) in the data.
        out: reports folder (default: the configuration's ``paths.reports``).
        lang: ``zh`` or ``en`` (default: the configuration's ``report.lang``).
        notebooks: notebook names (without ``.ipynb``) in run order; default :data:`NOTEBOOKS`.
        notebook_dir: where they are (default: ``report.notebooks`` of the configuration,
            else the notebooks shipped with the workbench).
        parameters: extra parameters per notebook, e.g. ``{"03_clv": {"model": "pareto"}}``.
        clean: ``"auto"`` runs :func:`workbench.clean.run` first unless the clean tables on
            disk were written from the same inputs, settings and code (the fingerprint in
            ``ledger.json``); True always cleans; False reuses the clean tables on disk.
        progress_stream, live: where progress goes and whether it is a live terminal line.
        lock_wait: seconds to wait for another run holding the processed or reports folder
            (default: ``report.lock_wait_seconds``, 0).
        engine: the engine of the transaction-level work (``polars``, ``duckdb``, ``spark``;
            default: ``$WORKBENCH_ENGINE``, else the configuration's ``engine.name``).  The
            notebooks' kernels get it as ``$WORKBENCH_ENGINE``; the manifest records it.

    Returns:
        One :class:`PeriodRun` per period, in order.

    Raises:
        StepFailed: a notebook (or rendering) failed; the message names the step, the
            error and where the failed notebook is kept.  Later periods are not run.
        UsageError, DataError: bad choices, configuration or input data (from cleaning,
            or a period with nothing to analyse); ModelError: no analysis section could be
            fitted.  A section that cannot run on its own is skipped, not raised.
        OutputError: a folder cannot take the outputs (disk full, read-only, permission).
        LockBusy: another run writes the same processed or reports folder.
    """
    cfg = config_mod.load(config_path)
    validate_config(cfg)  # every section before any step: a typo is exit 2, not a notebook error
    settings = ReportSettings.from_mapping(cfg.section("report"))
    language = lang or cfg.lang
    if language not in i18n.LANGS:
        raise UsageError(f"lang '{language}' is not supported; use 'zh' or 'en'.")
    if period_to and not period_from:
        raise UsageError("--to needs --from (a back-fill runs from one period to another).")
    reports_dir = Path(out).expanduser().resolve() if out else cfg.reports_dir
    nb_dir = (Path(notebook_dir).expanduser().resolve() if notebook_dir
              else default_notebook_dir(cfg))
    if not nb_dir.is_dir():
        raise UsageError(f"notebook folder {nb_dir} does not exist; set report.notebooks in the "
                         f"configuration or pass notebook_dir.")
    extra = {k: dict(v) for k, v in (parameters or {}).items()}
    unknown = set(extra) - set(notebooks)
    if unknown:
        raise UsageError(f"parameters given for {sorted(unknown)}, which are not among the "
                         f"notebooks run ({', '.join(notebooks)}).")
    chosen = bool(period or as_of or period_from)
    # Check the period choices before the (long) cleaning; the default needs the clean data.
    if chosen:
        plan_periods(period=period, as_of=as_of, period_from=period_from, period_to=period_to,
                     freq=freq)
    wait = settings.lock_wait_seconds if lock_wait is None else float(lock_wait)
    if wait < 0:
        raise UsageError(f"--lock-wait {wait:g}: the seconds to wait cannot be negative.")
    engine_cfg = context_mod.engine_settings(cfg, engine)
    progress = Progress(progress_stream, live)
    analyses = any(nb in ANALYSIS_STEPS for nb in notebooks)
    saved_engine = os.environ.get(ENGINE_VAR)
    os.environ[ENGINE_VAR] = engine_cfg.name  # the notebooks' kernels inherit the environment
    try:
        with locking.hold([cfg.processed_dir, reports_dir], wait):
            for folder in (cfg.processed_dir, reports_dir):
                for done in clean_stale(folder):
                    progress.message(f"left by an interrupted run: {done}", logging.WARNING)
            clean_step = _clean(cfg, progress, clean)
            ledger = load_ledger(cfg)
            clean_step.extra["rows"] = rows_from_ledger(ledger)
            last = None if chosen else _default_as_of(cfg, ledger, analyses)
            planned = plan_periods(period=period, as_of=as_of, period_from=period_from,
                                   period_to=period_to, freq=freq, last_complete=last)
            shared = RunInputs(
                reports_dir=reports_dir, lang=language, show_pii=cfg.show_pii,
                notebooks=list(notebooks), notebook_dir=nb_dir, extra=extra,
                clean_step=clean_step, ledger=ledger, progress=progress,
                versions=package_versions(), commit=git_commit(), inputs=input_files(cfg, ledger),
                engine=engine_record(engine_cfg))
            runs = []
            tx = TransactionSettings.from_mapping(cfg.section("transactions"))
            for p in planned:
                if analyses:
                    try:
                        check_period(cfg, p.as_of, ledger, tx)
                    except WorkbenchError as exc:
                        raise type(exc)(f"period {p.label} (as of {p.as_of}) has nothing to "
                                        f"analyse: {exc} The period was not run; its previous "
                                        f"report (if any) is unchanged.") from None
                runs.append(run_period(cfg, p, shared))
            return runs
    finally:
        if saved_engine is None:
            os.environ.pop(ENGINE_VAR, None)
        else:
            os.environ[ENGINE_VAR] = saved_engine
        progress.close()


def _default_as_of(cfg: config_mod.Config, ledger: Mapping[str, Any], analyses: bool) -> date:
    """The last complete month of the clean orders; with no orders, the real cause."""
    try:
        return context_mod.default_as_of(cfg.processed_dir)
    except WorkbenchError:
        if analyses:  # say why there are no orders (the ledger's counts and reasons)
            check_period(cfg, date.max, ledger)
        raise


def main(args: argparse.Namespace) -> int:
    """Entry point of ``workbench report`` (``args``: the CLI's argparse Namespace)."""
    code = getattr(args, "alerts_exit_code", None)
    if code is not None and not 1 <= code <= 125:
        raise UsageError(f"--alerts-exit-code {code}: give an exit code from 1 to 125.")
    runs = run(getattr(args, "config", None), period=getattr(args, "period", None),
               as_of=getattr(args, "as_of", None), period_from=getattr(args, "period_from", None),
               period_to=getattr(args, "period_to", None),
               freq=getattr(args, "freq", "month") or "month",
               out=getattr(args, "out", None), lang=getattr(args, "lang", None),
               lock_wait=getattr(args, "lock_wait", None), engine=getattr(args, "engine", None),
               clean=True if getattr(args, "reclean", False) else "auto")
    for r in runs:
        skipped = [n for n, s in r.manifest.get("sections", {}).items() if s["status"] != "ok"]
        note = f" (without {', '.join(skipped)}: see those pages)" if skipped else ""
        print(f"{r.period.label}: {r.folder / 'index.html'}{note}")
    if runs:
        print(f"all periods: {runs[-1].folder.parent / 'index.html'}")
    # --alerts-exit-code N: N only when every period succeeded (a failure raised above) and
    # at least one management alert fired, so a cron line can mail only then.
    fired = sum(len(((r.manifest.get("results") or {}).get("management") or {}).get("alerts")
                    or []) for r in runs)
    if code and fired:
        print(f"{fired} alert(s) fired: exit code {code} (--alerts-exit-code)")
        return int(code)
    return 0
