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

Everything is written to a temporary folder beside the final one and swapped in
only when the whole period succeeded, so the previous good report of a period is
never damaged.  A failed run keeps its executed notebooks in
``<reports>/_failed/<period>/`` and stops with :class:`~workbench.errors.StepFailed`
naming the step, the exception and the cell.  ``<reports>/index.html`` lists every
period and is rebuilt after each run.

The pure helpers (:func:`parse_period`, :func:`plan_periods`, :func:`gather_results`,
:func:`findings`, :func:`revenue_by_tier`, :func:`build_manifest`) touch no files
except where their docstring says so.
"""

from __future__ import annotations

import calendar
import hashlib
import html
import json
import logging
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from . import __version__, i18n
from . import config as config_mod
from . import context as context_mod
from . import io as wio
from .errors import StepFailed, UsageError, WorkbenchError

__all__ = [
    "NOTEBOOKS",
    "NOTEBOOK_RESULTS",
    "RESULT_STEPS",
    "STEP_PARAMETERS",
    "Period",
    "PeriodRun",
    "StepRecord",
    "build_manifest",
    "build_reports_index",
    "default_period",
    "file_sha256",
    "findings",
    "findings_markdown",
    "gather_results",
    "git_commit",
    "input_files",
    "main",
    "package_versions",
    "parse_period",
    "plan_periods",
    "render_html",
    "results_dir_for",
    "revenue_by_tier",
    "run",
    "section_links",
    "summary_intro",
]

log = logging.getLogger("workbench.report")

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
#: The packages whose versions the manifest records.
VERSION_PACKAGES = ("pandas", "polars", "numpy", "scipy", "scikit-learn", "lifetimes",
                    "matplotlib", "papermill", "nbconvert")
KERNEL_NAME = "python3"
FAILED_DIR = "_failed"

_PERIOD_RE = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER_RE = re.compile(r"^(\d{4})-Q([1-4])$", re.IGNORECASE)

i18n.register({
    "report.01_data_cleaning": {"zh": "数据清洗", "en": "Data cleaning"},
    "report.02_segmentation": {"zh": "客户分级与分群", "en": "Tiers and segments"},
    "report.03_clv": {"zh": "客户终身价值", "en": "Customer lifetime value"},
    "report.04_churn": {"zh": "流失预警", "en": "Churn warning"},
    "report.05_service": {"zh": "客户服务", "en": "Customer service"},
    "report.00_summary": {"zh": "管理摘要", "en": "Executive summary"},
    "report.contents": {"zh": "目录", "en": "Contents"},
    "report.all_periods": {"zh": "全部报告期", "en": "All periods"},
    "report.period": {"zh": "报告期", "en": "Period"},
    "report.as_of": {"zh": "截至日期", "en": "As of"},
    "report.status": {"zh": "状态", "en": "Status"},
    "report.run_at": {"zh": "运行时间", "en": "Run at"},
    "report.duration": {"zh": "耗时(秒)", "en": "Duration (s)"},
    "report.report": {"zh": "报告", "en": "Report"},
    "report.reports_title": {"zh": "客户分析报告", "en": "Customer analytics reports"},
    "report.kpi": {"zh": "指标", "en": "KPI"},
    "report.current": {"zh": "本期", "en": "This period"},
    "report.previous": {"zh": "上期", "en": "Previous period"},
    "report.change": {"zh": "变化", "en": "Change"},
    "report.trend": {"zh": "趋势", "en": "Trend"},
})


# --------------------------------------------------------------------------- periods


@dataclass(frozen=True)
class Period:
    """One reporting period: its label (folder name), as-of date and length."""

    label: str
    as_of: date
    freq: str = "month"


def _quarter_end(year: int, quarter: int) -> date:
    month = quarter * 3
    return date(year, month, calendar.monthrange(year, month)[1])


def parse_period(text: str) -> Period:
    """Parse ``YYYY-MM`` (a month) or ``YYYY-Qn`` (a quarter) into a :class:`Period`.

    >>> parse_period("2026-10").as_of
    datetime.date(2026, 10, 31)
    >>> parse_period("2026-Q3")
    Period(label='2026-Q3', as_of=datetime.date(2026, 9, 30), freq='quarter')
    """
    value = str(text).strip()
    m = _PERIOD_RE.match(value)
    if m and 1 <= int(m.group(2)) <= 12:
        year, month = int(m.group(1)), int(m.group(2))
        end = context_mod.month_end(date(year, month, 1))
        return Period(f"{year}-{month:02d}", end, "month")
    q = _QUARTER_RE.match(value)
    if q:
        year, quarter = int(q.group(1)), int(q.group(2))
        return Period(f"{year}-Q{quarter}", _quarter_end(year, quarter), "quarter")
    raise UsageError(
        f"period '{text}' is not a month (YYYY-MM, e.g. 2026-10) or a quarter (YYYY-Qn, e.g. 2026-Q3)."
    )


def default_period(last_complete_month_end: date, freq: str = "month") -> Period:
    """The last complete month (or calendar quarter) given the end of the last complete month."""
    d = last_complete_month_end
    if freq == "quarter":
        quarter = d.month // 3  # the last quarter whose final month is complete
        year = d.year
        if quarter == 0:
            year, quarter = year - 1, 4
        return Period(f"{year}-Q{quarter}", _quarter_end(year, quarter), "quarter")
    return Period(context_mod.period_of(d, "month"), d, "month")


def _next(p: Period) -> Period:
    if p.freq == "quarter":
        year, quarter = int(p.label[:4]), int(p.label[-1])
        year, quarter = (year + 1, 1) if quarter == 4 else (year, quarter + 1)
        return Period(f"{year}-Q{quarter}", _quarter_end(year, quarter), "quarter")
    nxt = date(p.as_of.year + (p.as_of.month == 12), p.as_of.month % 12 + 1, 1)
    return Period(context_mod.period_of(nxt, "month"), context_mod.month_end(nxt), "month")


def plan_periods(*, period: str | None = None, as_of: str | date | None = None,
                 period_from: str | None = None, period_to: str | None = None,
                 freq: str = "month", last_complete: date | None = None) -> list[Period]:
    """The periods a report run covers, from the command-line choices.

    Args:
        period: ``YYYY-MM`` or ``YYYY-Qn`` (its own form decides the frequency).
        as_of: a date; the period is the month (or quarter, with ``freq='quarter'``) holding it.
        period_from, period_to: a back-fill, both ends included (same form for both).
        freq: ``month`` or ``quarter``.
        last_complete: end of the last complete month in the data (the default period).

    Raises:
        UsageError: malformed or contradictory choices.
    """
    if freq not in ("month", "quarter"):
        raise UsageError(f"freq '{freq}' is not supported; use month or quarter.")
    chosen = [x for x in (period, as_of, period_from) if x]
    if len(chosen) > 1:
        raise UsageError("give only one of --period, --as-of or --from/--to.")
    if period_to and not period_from:
        raise UsageError("--to needs --from (a back-fill runs from one period to another).")
    if period:
        return [parse_period(period)]
    if as_of:
        day = context_mod.parse_date(as_of, "--as-of")
        return [Period(context_mod.period_of(day, freq), day, freq)]
    if period_from:
        if not period_to:
            raise UsageError("--from needs --to (the last period of the back-fill).")
        first, last = parse_period(period_from), parse_period(period_to)
        if first.freq != last.freq:
            raise UsageError(f"--from {period_from} and --to {period_to} must both be months "
                             f"(YYYY-MM) or both quarters (YYYY-Qn).")
        if first.as_of > last.as_of:
            raise UsageError(f"--from {period_from} comes after --to {period_to}.")
        out = [first]
        while out[-1].as_of < last.as_of:
            out.append(_next(out[-1]))
        return out
    if last_complete is None:
        raise UsageError("no period given and the data's last complete month is unknown.")
    return [default_period(last_complete, freq)]


# --------------------------------------------------------------------------- results


def gather_results(results_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """Every step's key results in ``<results_dir>/results/*.json``, in pipeline order."""
    folder = Path(results_dir) / "results"
    found = {p.stem: p for p in folder.glob("*.json")} if folder.is_dir() else {}
    order = [s for s in RESULT_STEPS if s in found] + sorted(s for s in found if s not in RESULT_STEPS)
    return {s: wio.load_step_results(results_dir, s) for s in order}


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    return None


def _sum_key(tables: Mapping[str, Any], key: str) -> float:
    return float(sum(_num(v.get(key)) or 0 for v in tables.values() if isinstance(v, Mapping)))


def _ledger_tables(cleaning: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {k: v for k, v in cleaning.items() if isinstance(v, Mapping) and "rows_in" in v}


def _scorecard(service: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """The service step's scorecard ``{kpi: {current, previous, prev_delta, ...}}`` (or {})."""
    sc = service.get("scorecard")
    if not isinstance(sc, Mapping):
        return {}
    return {str(k): v for k, v in sc.items() if isinstance(v, Mapping)}


def revenue_by_tier(orders, tiers, as_of: date, freq: str = "month", periods: int = 12,
                    outlier_col: str | None = "is_outlier"):
    """Net revenue per period and tier over the ``periods`` periods ending at ``as_of``.

    Orders flagged in ``outlier_col`` (cleaning's ``is_outlier``) are left out, as in the
    service scorecard's money KPIs, so one freak order does not dwarf the trend; pass
    ``outlier_col=None`` to keep them.

    Args:
        orders: clean orders (``customer_id``, ``order_date``, ``amount``), polars or pandas.
        tiers: ``customer_id, tier`` (``segments.parquet``); customers without a tier count
            as tier ``-``.
        as_of: end of the last period (orders after it are ignored).
        freq: ``month`` or ``quarter``.
        periods: how many periods.
        outlier_col: boolean column marking orders to leave out (ignored when absent).

    Returns:
        polars DataFrame ``period, start, tier, revenue`` with a row for every period and
        tier (0 where a tier sold nothing), sorted by period start then tier.
    """
    import polars as pl

    if freq not in ("month", "quarter"):
        raise UsageError(f"freq '{freq}' is not supported; use month or quarter.")
    o = orders if isinstance(orders, pl.DataFrame) else pl.from_pandas(orders)
    t = tiers if isinstance(tiers, pl.DataFrame) else pl.from_pandas(tiers)
    for name, df, cols in (("orders", o, ("customer_id", "order_date", "amount")),
                           ("tiers", t, ("customer_id", "tier"))):
        missing = [c for c in cols if c not in df.columns]
        if missing:
            raise UsageError(f"revenue_by_tier: {name} lacks column(s) {missing}.")
    if outlier_col and outlier_col in o.columns:
        o = o.filter(~pl.col(outlier_col).fill_null(False))
    bounds = [context_mod.period_bounds(as_of, freq, -k) for k in range(periods - 1, -1, -1)]
    day = pl.col("order_date").cast(pl.Date)
    frames = [
        o.filter((day >= start) & (day <= min(end, as_of)))
        .select("customer_id", pl.col("amount").cast(pl.Float64))
        .with_columns(pl.lit(context_mod.period_of(end, freq)).alias("period"),
                      pl.lit(start).alias("start"))
        for start, end in bounds
    ]
    tier_map = t.select("customer_id", pl.col("tier").cast(pl.String))
    sums = (pl.concat(frames).join(tier_map, on="customer_id", how="left")
            .with_columns(pl.col("tier").fill_null("-"))
            .group_by("period", "start", "tier").agg(pl.col("amount").sum().alias("revenue")))
    tier_names = sorted(set(tier_map.get_column("tier").drop_nulls().to_list())
                        | set(sums.get_column("tier").to_list()))
    grid = pl.DataFrame({"period": [context_mod.period_of(e, freq) for _, e in bounds],
                         "start": [s for s, _ in bounds]}).join(
        pl.DataFrame({"tier": tier_names}, schema={"tier": pl.String}), how="cross")
    return (grid.join(sums, on=["period", "start", "tier"], how="left")
            .with_columns(pl.col("revenue").fill_null(0.0))
            .sort("start", "tier"))


_F = {
    "revenue_up": {"zh": "本期销售额为 {cur},较上期增长 {pct}。",
                   "en": "Revenue this period was {cur}, up {pct} on the previous period."},
    "revenue_down": {"zh": "本期销售额为 {cur},较上期下降 {pct}。",
                     "en": "Revenue this period was {cur}, down {pct} on the previous period."},
    "revenue_flat": {"zh": "本期销售额为 {cur},与上期持平。",
                     "en": "Revenue this period was {cur}, level with the previous period."},
    "tier_a": {"zh": "A 级客户共 {n} 家,占 {total} 家已分级客户的 {cshare},贡献了 {rshare} 的销售额。",
               "en": "The {n} tier-A customers ({cshare} of {total} tiered customers) bring in {rshare} "
                     "of revenue."},
    "tier_a_count": {"zh": "A 级客户共 {n} 家,占 {total} 家已分级客户的 {cshare}。",
                     "en": "{n} of {total} tiered customers ({cshare}) are tier A."},
    "churn_risk": {"zh": "流失预警名单列出 {n} 家客户,风险收入合计 {money}。",
                   "en": "The churn warning list flags {n} customers with {money} of revenue at risk."},
    "churn_risk_money": {"zh": "面临流失风险的收入合计 {money}。",
                         "en": "Revenue at risk from likely churners totals {money}."},
    "churn_model": {"zh": "流失模型的 ROC AUC 为 {auc:.2f}(仅按最近购买时间排序为 {base:.2f}),"
                          "名单前 10% 客户的流失比例是平均水平的 {lift:.1f} 倍。",
                    "en": "The churn model ranks customers with ROC AUC {auc:.2f} (recency alone: "
                          "{base:.2f}); its top 10% churn {lift:.1f} times as often as average."},
    "churn_model_weak": {"zh": "注意:流失模型的 ROC AUC 为 {auc:.2f},不如仅按最近购买时间排序({base:.2f});"
                               "本期请以最近购买时间为主安排挽留,详见流失预警报告。",
                         "en": "Caution: the churn model (ROC AUC {auc:.2f}) ranks customers no better than "
                               "recency alone ({base:.2f}) this period; lean on recency for win-back "
                               "calls (see the churn report)."},
    "clv": {"zh": "CLV 模型({model})在验证期的平均绝对误差为每位客户 {mae:.2f} 次购买。",
            "en": "The CLV model ({model}) was off by {mae:.2f} purchases per customer on "
                  "average over the hold-out period."},
    "clv_base": {"zh": "CLV 模型({model})在验证期的平均绝对误差为每位客户 {mae:.2f} 次购买"
                       "(简单按历史频率外推为 {base:.2f})。",
                 "en": "The CLV model ({model}) was off by {mae:.2f} purchases per customer on "
                       "average over the hold-out period (naive extrapolation: {base:.2f})."},
    "quarantine": {"zh": "数据清洗隔离了 {q} 行原始记录(占 {share}),合并重复 {m} 行;"
                         "原因见数据清洗报告。",
                   "en": "Cleaning quarantined {q} raw rows ({share} of the input) and merged {m} "
                         "duplicates; the data-cleaning report lists why."},
    "nps": {"zh": "净推荐值(NPS)为 {nps:.0f}。", "en": "Net promoter score (NPS) is {nps:.0f}."},
}


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def findings(results: Mapping[str, Any], lang: str = "en", *, tier_revenue_share: float | None = None,
             currency: str = "¥", limit: int = 5) -> list[str]:
    """The findings that matter, as sentences, computed from the steps' key results.

    Args:
        results: ``{step: key results}`` as from :func:`gather_results`.
        lang: ``zh`` or ``en``.
        tier_revenue_share: share of revenue from tier-A customers, when the caller has it;
            otherwise the segmentation's ``tier_revenue_share.A``, else the service
            scorecard's ``revenue_share_A`` of the period.
        currency: money symbol.
        limit: at most this many findings (3 to 5 is what a reader takes in).

    Returns:
        Sentences in order of business weight: revenue change, tier-A concentration,
        churn revenue at risk, churn model quality, CLV validation error, data quality, NPS.
        A step without results gives no sentence.
    """
    from .plots import fmt_money

    out: list[str] = []

    def say(key: str, **kw: Any) -> None:
        out.append(_F[key][lang].format(**kw))

    def money(v: float) -> str:
        return fmt_money(v, lang, currency)


    service = results.get("service") or {}
    sc = _scorecard(service)
    rev = sc.get("revenue") or {}
    cur, prev = _num(rev.get("current")), _num(rev.get("previous"))
    if cur is not None:
        change = _num(rev.get("prev_delta"))
        if change is None and prev:
            change = cur / prev - 1
        # Without a comparable previous period the revenue level alone is no finding.
        if change is not None and abs(change) < 0.0005:
            say("revenue_flat", cur=money(cur), pct="0%")
        elif change is not None:
            say("revenue_up" if change > 0 else "revenue_down", cur=money(cur), pct=_pct(abs(change)))

    seg = results.get("segmentation") or {}
    tiers = seg.get("tiers") or {}
    # Tiers are given to buying customers, so the tiers' sum is the base.
    total = float(sum(_num(v) or 0 for v in tiers.values())) or _num(seg.get("customers"))
    n_a = _num(tiers.get("A"))
    share = tier_revenue_share
    if share is None and isinstance(seg.get("tier_revenue_share"), Mapping):
        share = _num(seg["tier_revenue_share"].get("A"))
    if share is None:
        share = _num((sc.get("revenue_share_A") or {}).get("current"))
    if n_a is not None and total:
        if share is not None:
            say("tier_a", n=int(n_a), total=int(total), cshare=_pct(n_a / total), rshare=_pct(share))
        else:
            say("tier_a_count", n=int(n_a), total=int(total), cshare=_pct(n_a / total))

    churn = results.get("churn") or {}
    risk = churn.get("revenue_at_risk")
    risk = _num(risk.get("total")) if isinstance(risk, Mapping) else _num(risk)
    flagged = churn.get("flagged", churn.get("warning_list_size", churn.get("n_flagged")))
    if risk is not None:
        if _num(flagged) is not None:
            say("churn_risk", n=int(flagged), money=money(risk))
        else:
            say("churn_risk_money", money=money(risk))
    auc = _num(churn.get("roc_auc"))
    base = _num(((churn.get("baselines") or {}).get("recency") or {}).get("roc_auc"))
    lift = _num(churn.get("lift_at_10"))
    if auc is not None and base is not None and lift is not None:
        say("churn_model" if auc > base else "churn_model_weak", auc=auc, base=base, lift=lift)

    clv = results.get("clv") or {}
    mae = _num(clv.get("holdout_mae"))
    base_mae = _num(clv.get("baseline_mae"))
    if mae is not None and base_mae is not None:
        say("clv_base", model=clv.get("model", "?"), mae=mae, base=base_mae)
    elif mae is not None:
        say("clv", model=clv.get("model", "?"), mae=mae)

    cleaning = _ledger_tables(results.get("cleaning") or {})
    rows_in = _sum_key(cleaning, "rows_in")
    if rows_in:
        q = _sum_key(cleaning, "rows_quarantined")
        say("quarantine", q=f"{int(q):,}", share=_pct(q / rows_in),
            m=f"{int(_sum_key(cleaning, 'rows_merged')):,}")

    nps = _num(service.get("nps"))
    if nps is not None:
        say("nps", nps=nps)
    return out[:limit]


def findings_markdown(items: Sequence[str]) -> str:
    """Findings as a Markdown bullet list (a sentence saying so when there are none)."""
    return "\n".join(f"- {x}" for x in items) if items else "- –"


def section_links(lang: str = "en", notebooks: Sequence[str] = NOTEBOOKS) -> str:
    """Markdown links from the summary to each section report of the same period."""
    return "\n".join(f"- [{i18n.t(f'report.{n}', lang)}]({n}.html)" for n in notebooks if n != SUMMARY)


def summary_intro(company: str | None, as_of: date, freq: str = "month", lang: str = "en") -> str:
    """The opening line of the summary: company, period and as-of date."""
    label = context_mod.period_of(as_of, freq)
    start, _ = context_mod.period_bounds(as_of, freq) if freq == "month" else \
        (date(as_of.year, 3 * ((as_of.month - 1) // 3) + 1, 1), as_of)
    name = company or ""
    if lang == "zh":
        return (f"**{name}** {label} 报告期管理摘要(数据期间 {start} 至 {as_of})。"
                f"下表为本期关键指标及与上期的对比,随后是本期最值得关注的发现。")
    return (f"Executive summary of **{name}** for {label} (data from {start} to {as_of}). "
            f"The scorecard compares this period with the previous one; the findings after it "
            f"are what matters most this period.")


# --------------------------------------------------------------------------- manifest


def file_sha256(path: str | os.PathLike[str]) -> str:
    """The SHA-256 of a file, read in blocks (reads the file)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def input_files(cfg: config_mod.Config) -> list[dict[str, Any]]:
    """Each configured source with its size and SHA-256 (database sources: URL and query)."""
    out = []
    for table, spec in cfg.sources.items():
        if spec.path is not None:
            p = Path(spec.path)
            exists = p.is_file()
            out.append({"table": table, "path": str(p), "bytes": p.stat().st_size if exists else None,
                        "sha256": file_sha256(p) if exists else None})
        else:
            out.append({"table": table, "url": spec.url, "query": spec.query})
    return out


def package_versions() -> dict[str, str | None]:
    """Versions of Python, the workbench and the libraries that shape the numbers."""
    from importlib import metadata

    out: dict[str, str | None] = {"python": platform.python_version(), "workbench": __version__}
    for name in VERSION_PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def git_commit(folder: str | os.PathLike[str] | None = None) -> str | None:
    """The commit checked out in the git repository holding ``folder`` (the package by default)."""
    where = Path(folder) if folder else Path(__file__).resolve().parent
    try:
        proc = subprocess.run(["git", "-C", str(where), "rev-parse", "HEAD"], capture_output=True,
                              text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    sha = proc.stdout.strip()
    return sha if proc.returncode == 0 and re.fullmatch(r"[0-9a-f]{40}", sha) else None


@dataclass
class StepRecord:
    """How one step of a run went (times are ISO 8601 UTC)."""

    name: str
    status: str = "pending"
    seconds: float | None = None
    started: str | None = None
    finished: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        d = {"name": self.name, "status": self.status, "seconds": self.seconds,
             "started": self.started, "finished": self.finished}
        d.update(self.extra)
        return d


def _rows_from_ledger(ledger: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {t: {"rows_in": v.get("rows_in"), "rows_out": v.get("rows_kept"),
                "rows_quarantined": v.get("rows_quarantined"), "rows_merged": v.get("rows_merged")}
            for t, v in _ledger_tables(ledger).items()}


def build_manifest(*, period: Period, status: str, parameters: Mapping[str, Any],
                   inputs: list[dict[str, Any]], ledger: Mapping[str, Any],
                   steps: Sequence[StepRecord], results: Mapping[str, Any],
                   started: str, finished: str, seconds: float,
                   versions: Mapping[str, Any], commit: str | None,
                   reports: Sequence[str] = (), error: Mapping[str, Any] | None = None,
                   config: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Assemble ``manifest.json`` (pure): the shape monitoring scripts rely on.

    ``results`` gets the ledger as ``cleaning`` when the cleaning notebook has not
    written its own results.
    """
    res = dict(results)
    if "cleaning" not in res and ledger:
        res = {"cleaning": dict(_ledger_tables(ledger)), **res}
    manifest = {
        "period": period.label,
        "as_of": period.as_of.isoformat(),
        "freq": period.freq,
        "status": status,
        "started": started,
        "finished": finished,
        "seconds": round(seconds, 2),
        "parameters": dict(parameters),
        "config": dict(config or {}),
        "inputs": inputs,
        "rows": _rows_from_ledger(ledger),
        "versions": dict(versions),
        "git_commit": commit,
        "steps": [s.as_dict() for s in steps],
        "reports": list(reports),
        "results": res,
    }
    if error:
        manifest["error"] = dict(error)
    return manifest


# --------------------------------------------------------------------------- HTML

_CSS_FILE = Path(__file__).resolve().parent / "templates" / "report.css"


def _css() -> str:
    return _CSS_FILE.read_text(encoding="utf-8") if _CSS_FILE.is_file() else ""


def _clean_notebook(nb):
    """A copy of an executed notebook fit for readers: no stderr, no warnings, no errors, no code."""
    import copy

    nb = copy.deepcopy(nb)
    keep = []
    for cell in nb.cells:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if tags & {"injected-parameters", "parameters", "remove_cell", "remove-cell"}:
            continue
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.get("outputs", [])
                            if not (o.get("output_type") == "stream" and o.get("name") == "stderr")
                            and o.get("output_type") != "error"
                            and not (o.get("output_type") == "stream"
                                     and re.search(r"\b\w*Warning: ", o.get("text", "")))]
            if not cell.outputs:
                continue
        keep.append(cell)
    nb.cells = keep
    return nb


_HEADING_RE = re.compile(r'<h([1-3])\s+id="([^"]+)"[^>]*>(.*?)</h\1>', re.DOTALL)


def _toc(body: str, lang: str) -> str:
    items = []
    for level, anchor, inner in _HEADING_RE.findall(body):
        text = re.sub(r"<[^>]+>", "", inner).replace("¶", "").strip()
        if text:
            items.append(f'<li class="toc-h{level}"><a href="#{anchor}">{text}</a></li>')
    if not items:
        return ""
    return (f'<nav class="wb-toc"><div class="wb-toc-title">{i18n.t("report.contents", lang)}</div>'
            f'<ul>{"".join(items)}</ul></nav>')


def _nav(links: Sequence[tuple[str, str]], current: str, lang: str, subtitle: str) -> str:
    parts = []
    for href, label in links:
        cls = ' class="current"' if href == current else ""
        parts.append(f'<a href="{html.escape(href)}"{cls}>{html.escape(label)}</a>')
    parts.append(f'<a href="../index.html">{i18n.t("report.all_periods", lang)}</a>')
    return (f'<header class="wb-header"><div class="wb-subtitle">{html.escape(subtitle)}</div>'
            f'<nav class="wb-nav">{" ".join(parts)}</nav></header>')


def render_html(nb, *, title: str, lang: str = "en", links: Sequence[tuple[str, str]] = (),
                current: str = "", subtitle: str = "") -> str:
    """Render an executed notebook as a code-free HTML page (pure; returns the HTML).

    Stderr streams, warnings and error outputs are dropped; images are embedded; a
    navigation bar (``links``: ``(href, label)`` pairs) and a table of contents built
    from the notebook's headings are added at the top.
    """
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="lab", exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True, embed_images=True)
    exporter.log.setLevel(logging.ERROR)  # charts carry titles; the missing-alt-text notice is noise
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        body, _ = exporter.from_notebook_node(_clean_notebook(nb),
                                              resources={"metadata": {"name": title}})
    # The lab template wraps rendered markdown in an "input area"; it is prose, not code.
    body = body.replace('<div class="jp-InputArea jp-Cell-inputArea"><div class="jp-RenderedHTMLCommon',
                        '<div class="wb-MarkdownArea"><div class="jp-RenderedHTMLCommon')
    body = re.sub(r"<title>.*?</title>", f"<title>{html.escape(title)}</title>", body, count=1, flags=re.DOTALL)
    body = body.replace("</head>", f'<style type="text/css">\n{_css()}\n</style>\n</head>', 1)
    lang_attr = "zh-CN" if lang == "zh" else "en"
    body = re.sub(r"<html[^>]*>", f'<html lang="{lang_attr}">', body, count=1)
    top = _nav(links, current, lang, subtitle) + _toc(body, lang)
    return re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + "\n" + top, body, count=1)


def _simple_page(title: str, content: str, lang: str) -> str:
    lang_attr = "zh-CN" if lang == "zh" else "en"
    return (f'<!DOCTYPE html>\n<html lang="{lang_attr}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<title>{html.escape(title)}</title><style type="text/css">\n{_css()}\n</style></head>'
            f'<body class="wb-simple"><main>{content}</main></body></html>\n')


def build_reports_index(reports_dir: str | os.PathLike[str], lang: str = "en") -> Path:
    """Rebuild ``<reports_dir>/index.html`` from the period folders and their manifests.

    Lists every ``<period>/manifest.json`` and every ``_failed/<period>/manifest.json``
    (newest period first) with status, as-of date, run time and a link.  Writes the file.
    """
    root = Path(reports_dir)
    entries = []
    for mf in sorted(root.glob("*/manifest.json")) + sorted(root.glob(f"{FAILED_DIR}/*/manifest.json")):
        try:
            m = json.loads(mf.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        folder = mf.parent.relative_to(root).as_posix()
        target = "index.html" if (mf.parent / "index.html").is_file() else "run.log"
        entries.append((str(m.get("period", mf.parent.name)), m, f"{folder}/{target}"))
    entries.sort(key=lambda e: (e[0], e[1].get("status") == "ok"), reverse=True)

    def t(k: str) -> str:
        return html.escape(i18n.t(k, lang))

    rows = []
    for label, m, href in entries:
        status = str(m.get("status", "?"))
        rows.append(
            f'<tr class="status-{html.escape(status)}"><td>{html.escape(label)}</td>'
            f'<td>{html.escape(str(m.get("as_of", "")))}</td><td>{html.escape(status)}</td>'
            f'<td>{html.escape(str(m.get("finished", ""))[:19].replace("T", " "))}</td>'
            f'<td>{html.escape(str(m.get("seconds", "")))}</td>'
            f'<td><a href="{html.escape(href)}">{t("report.report")}</a></td></tr>')
    head = "".join(f"<th>{t(k)}</th>" for k in ("report.period", "report.as_of", "report.status",
                                                "report.run_at", "report.duration", "report.report"))
    content = (f'<h1>{t("report.reports_title")}</h1><table class="dataframe wb-index">'
               f'<thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>')
    path = root / "index.html"
    root.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".index.html.{os.getpid()}.tmp")
    tmp.write_text(_simple_page(i18n.t("report.reports_title", lang), content, lang), encoding="utf-8")
    os.replace(tmp, path)
    return path


# --------------------------------------------------------------------------- progress


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class _Progress:
    """Per-step progress: a live line with elapsed seconds on a terminal, log lines otherwise.

    Every message also goes to the run's log file (when one is attached).
    """

    def __init__(self, stream=None, live: bool | None = None):
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty() if live is None else live
        self._file: logging.Handler | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def attach(self, path: Path | None) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        if path is not None:
            self._file = logging.FileHandler(path, encoding="utf-8")
            self._file.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s",
                                                      "%Y-%m-%d %H:%M:%S"))

    def message(self, text: str, level: int = logging.INFO) -> None:
        if self._file is not None:
            self._file.handle(log.makeRecord(log.name, level, __file__, 0, text, None, None))
        if self.live:
            self.stream.write(text + "\n")
            self.stream.flush()
        else:
            log.log(level, text)

    def start(self, name: str) -> float:
        t0 = time.monotonic()
        if self._file is not None:
            self._file.handle(log.makeRecord(log.name, logging.INFO, __file__, 0,
                                             f"{name}: started", None, None))
        if self.live:
            self._stop.clear()

            def tick():
                while not self._stop.wait(0.5):
                    self.stream.write(f"\r  … {name:<18} {time.monotonic() - t0:6.0f} s")
                    self.stream.flush()

            self.stream.write(f"  … {name:<18} {0:6.0f} s")
            self.stream.flush()
            self._thread = threading.Thread(target=tick, daemon=True)
            self._thread.start()
        else:
            log.info("%s: started", name)
        return t0

    def finish(self, name: str, t0: float, ok: bool, note: str = "") -> None:
        secs = time.monotonic() - t0
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            self._thread = None
        text = f"{name}: {'done' if ok else 'FAILED'} in {secs:.1f} s{(' ' + note) if note else ''}"
        if self._file is not None:
            self._file.handle(log.makeRecord(log.name, logging.INFO if ok else logging.ERROR,
                                             __file__, 0, text, None, None))
        if self.live:
            mark = "✓" if ok else "✗"
            self.stream.write(f"\r  {mark} {name:<18} {secs:6.1f} s{('  ' + note) if note else ''}\n")
            self.stream.flush()
        else:
            log.log(logging.INFO if ok else logging.ERROR, text)

    def close(self) -> None:
        self.attach(None)


# --------------------------------------------------------------------------- running


@dataclass
class PeriodRun:
    """The outcome of one period: its folder and manifest."""

    period: Period
    folder: Path
    manifest: dict[str, Any]


def _default_notebook_dir(cfg: config_mod.Config) -> Path:
    configured = cfg.section("report").get("notebooks")
    if configured:
        p = Path(str(configured)).expanduser()
        return p if p.is_absolute() else (cfg.root / p).resolve()
    return Path(__file__).resolve().parents[2] / "notebooks"


def _declared_parameters(path: Path) -> set[str]:
    import papermill as pm

    pm_log = logging.getLogger("papermill")
    level = pm_log.level
    pm_log.setLevel(logging.WARNING)
    try:
        return set(pm.inspect_notebook(str(path)))
    except Exception:  # noqa: BLE001 - a notebook papermill cannot inspect declares nothing extra
        return set()
    finally:
        pm_log.setLevel(level)


def _load_ledger(cfg: config_mod.Config) -> dict[str, Any]:
    path = cfg.processed_dir / "ledger.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def _execute(src: Path, dst: Path, parameters: dict[str, Any], cwd: Path) -> None:
    import papermill as pm

    pm_log = logging.getLogger("papermill")
    level = pm_log.level
    pm_log.setLevel(logging.WARNING)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pm.execute_notebook(str(src), str(dst), parameters=parameters, kernel_name=KERNEL_NAME,
                                progress_bar=False, log_output=False, cwd=str(cwd),
                                # the kernel's own start-up notices are not the report's business
                                extra_arguments=["--IPKernelApp.log_level=ERROR"])
    finally:
        pm_log.setLevel(level)


def _short_error(exc: BaseException) -> tuple[str, str, dict[str, Any]]:
    """(exception name, message, details) without the traceback."""
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        evalue = str(exc.evalue).strip().splitlines()
        msg = evalue[-1] if len(evalue) == 1 else " ".join(s.strip() for s in evalue)[:500]
        return exc.ename, msg, {"cell_index": exc.cell_index, "execution_count": exc.exec_count}
    return type(exc).__name__, str(exc).strip()[:500], {}


def _period_links(notebooks: Sequence[str], lang: str) -> list[tuple[str, str]]:
    links = []
    if SUMMARY in notebooks:
        links.append(("index.html", i18n.t(f"report.{SUMMARY}", lang)))
    links += [(f"{n}.html", i18n.t(f"report.{n}", lang)) for n in notebooks if n != SUMMARY]
    return links


def results_dir_for(cfg: config_mod.Config, period: Period) -> Path:
    """Where a period's steps write: ``<processed>/<as_of>/`` (the notebooks' own default) for a
    month, ``<processed>/<as_of>_quarter/`` for a quarter, so the two never overwrite each other."""
    suffix = "_quarter" if period.freq == "quarter" else ""
    return cfg.processed_dir / f"{period.as_of.isoformat()}{suffix}"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _html_name(notebook: str) -> str:
    return "index.html" if notebook == SUMMARY else f"{notebook}.html"


def _run_period(cfg: config_mod.Config, period: Period, *, reports_dir: Path, **kwargs) -> PeriodRun:
    """Run one period in a staging folder beside the final one; never leave the staging behind."""
    reports_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{period.label}.running-", dir=reports_dir))
    try:
        return _run_period_in(staging, cfg, period, reports_dir=reports_dir, **kwargs)
    finally:  # published or moved to _failed/ on the normal paths; removed if interrupted
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def _run_period_in(staging: Path, cfg: config_mod.Config, period: Period, *, reports_dir: Path, lang: str,
                show_pii: bool, notebooks: Sequence[str], notebook_dir: Path,
                extra: Mapping[str, Mapping[str, Any]], clean_step: StepRecord,
                ledger: Mapping[str, Any], progress: _Progress,
                versions: Mapping[str, Any], commit: str | None,
                inputs: list[dict[str, Any]]) -> PeriodRun:
    os.chmod(staging, 0o777 & ~_umask())  # mkdtemp makes it private; a report is for readers
    (staging / "notebooks").mkdir()
    progress.attach(staging / "run.log")
    t_start, started = time.monotonic(), _now()
    results_dir = results_dir_for(cfg, period)
    results_dir.mkdir(parents=True, exist_ok=True)
    common = {
        "config_path": str(Path(cfg.path).resolve()) if cfg.path else None,
        "as_of": period.as_of.isoformat(),
        "results_dir": str(results_dir),
        "lang": lang,
        "show_pii": bool(show_pii),
    }
    parameters = {**common, "freq": period.freq, "notebook_dir": str(notebook_dir),
                  "notebooks": list(notebooks), "kernel": KERNEL_NAME}
    if extra:
        parameters["extra"] = {k: dict(v) for k, v in extra.items()}
    progress.message(f"report {period.label} (as of {period.as_of}, {period.freq}) -> "
                     f"{reports_dir / period.label}")
    progress.message(f"clean: {clean_step.status} in {clean_step.seconds} s (shared by this run)")
    # Results of the steps about to run are recomputed; stale copies must not reach the manifest.
    for nb in notebooks:
        stale = results_dir / "results" / f"{NOTEBOOK_RESULTS.get(nb, '')}.json"
        if nb in NOTEBOOK_RESULTS and stale.is_file():
            stale.unlink()
    steps = [clean_step]
    links = _period_links(notebooks, lang)
    company = str(cfg.company.get("name") or "")
    error: dict[str, Any] | None = None
    reports: list[str] = []
    for nb in notebooks:
        rec = StepRecord(nb, status="running", started=_now())
        steps.append(rec)
        src = notebook_dir / f"{nb}.ipynb"
        dst = staging / "notebooks" / f"{nb}.ipynb"
        params = dict(common)
        wanted = STEP_PARAMETERS.get(nb, ())
        declared = _declared_parameters(src) if src.is_file() else set()
        params.update({k: period.freq for k in wanted if k == "freq" and k in declared})
        params.update(extra.get(nb, {}))
        rec.extra = {"notebook": f"notebooks/{nb}.ipynb", "parameters": params}
        t0 = progress.start(nb)
        try:
            if not src.is_file():
                raise UsageError(f"notebook {src} does not exist; the report runs "
                                 f"{', '.join(notebooks)} from {notebook_dir}.")
            _execute(src, dst, params, cwd=notebook_dir)
            import nbformat

            executed = nbformat.read(dst, as_version=4)
            title = f"{i18n.t(f'report.{nb}', lang)} · {period.label}"
            page = render_html(executed, title=title, lang=lang, links=links,
                               current=_html_name(nb),
                               subtitle=f"{company} · {i18n.t('report.period', lang)} "
                                        f"{period.label} · {i18n.t('report.as_of', lang)} "
                                        f"{period.as_of}")
            (staging / _html_name(nb)).write_text(page, encoding="utf-8")
            reports.append(_html_name(nb))
            rec.extra["html"] = _html_name(nb)
            rec.status = "ok"
        except Exception as exc:  # noqa: BLE001 - every failure becomes a StepFailed below
            ename, evalue, details = _short_error(exc)
            rec.status = "failed"
            error = {"step": nb, "ename": ename, "evalue": evalue, **details}
        rec.finished = _now()
        rec.seconds = round(time.monotonic() - t0, 2)
        progress.finish(nb, t0, rec.status == "ok",
                        "" if error is None else f"{error['ename']}: {error['evalue']}")
        if error is not None:
            break

    if error is None and SUMMARY not in notebooks:
        items = "".join(f'<li><a href="{h}">{html.escape(lbl)}</a></li>' for h, lbl in links)
        (staging / "index.html").write_text(
            _simple_page(period.label, f"<h1>{html.escape(company)} {period.label}</h1><ul>{items}</ul>",
                         lang), encoding="utf-8")
        reports.insert(0, "index.html")
    status = "ok" if error is None else "failed"
    manifest = build_manifest(
        period=period, status=status, parameters=parameters, inputs=inputs, ledger=ledger,
        steps=steps, results=gather_results(results_dir), started=started, finished=_now(),
        seconds=time.monotonic() - t_start, versions=versions, commit=commit, reports=reports,
        error=error,
        config={"path": common["config_path"],
                "sha256": file_sha256(cfg.path) if cfg.path else None})
    wio.atomic_write_json(manifest, staging / "manifest.json")
    os.chmod(staging / "manifest.json", 0o666 & ~_umask())
    progress.attach(None)

    if error is not None:
        failed = reports_dir / FAILED_DIR / period.label
        failed.parent.mkdir(parents=True, exist_ok=True)
        if failed.exists():
            shutil.rmtree(failed)
        os.replace(staging, failed)
        build_reports_index(reports_dir, lang)
        kept = failed / "notebooks" / f"{error['step']}.ipynb"
        where = (f"The executed notebook is kept in {kept}" if kept.is_file() else
                 f"The notebooks executed before it are kept in {failed / 'notebooks'}")
        cell = f" (cell {error['cell_index']})" if error.get("cell_index") is not None else ""
        raise StepFailed(
            error["step"],
            f"{error['ename']}: {str(error['evalue']).rstrip('.')}{cell}. Period {period.label} was "
            f"not published; the previous report (if any) is unchanged. {where}; "
            f"the log is {failed / 'run.log'}.")

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
    build_reports_index(reports_dir, lang)
    progress.message(f"report {period.label}: ok in {manifest['seconds']:.1f} s -> {final / 'index.html'}")
    return PeriodRun(period, final, manifest)


def run(config_path: str | os.PathLike[str] | None = None, *, period: str | None = None,
        as_of: str | date | None = None, period_from: str | None = None,
        period_to: str | None = None, freq: str = "month", out: str | os.PathLike[str] | None = None,
        lang: str | None = None, notebooks: Sequence[str] = NOTEBOOKS,
        notebook_dir: str | os.PathLike[str] | None = None,
        parameters: Mapping[str, Mapping[str, Any]] | None = None,
        clean: bool = True, progress_stream=None, live: bool | None = None) -> list[PeriodRun]:
    """Run the periodic report: cleaning once, then every notebook for each period.

    Args:
        config_path: the configuration (None: ``$WORKBENCH_CONFIG`` or ``./workbench.yaml``).
        period, as_of, period_from, period_to, freq: which periods (see :func:`plan_periods`);
            none of them: the last complete month (or quarter) in the data.
        out: reports folder (default: the configuration's ``paths.reports``).
        lang: ``zh`` or ``en`` (default: the configuration's ``report.lang``).
        notebooks: notebook names (without ``.ipynb``) in run order; default :data:`NOTEBOOKS`.
        notebook_dir: where they are (default: ``report.notebooks`` of the configuration,
            else the project's ``notebooks/`` folder).
        parameters: extra parameters per notebook, e.g. ``{"03_clv": {"model": "pareto"}}``.
        clean: run :func:`workbench.clean.run` first (False reuses the clean tables on disk).
        progress_stream, live: where progress goes and whether it is a live terminal line.

    Returns:
        One :class:`PeriodRun` per period, in order.

    Raises:
        StepFailed: a notebook (or rendering) failed; the message names the step, the
            error and where the failed notebook is kept.  Later periods are not run.
        UsageError, DataError: bad choices, configuration or input data (from cleaning).
    """
    cfg = config_mod.load(config_path)
    language = lang or cfg.lang
    if language not in i18n.LANGS:
        raise UsageError(f"lang '{language}' is not supported; use 'zh' or 'en'.")
    if period_to and not period_from:
        raise UsageError("--to needs --from (a back-fill runs from one period to another).")
    reports_dir = Path(out).expanduser().resolve() if out else cfg.reports_dir
    nb_dir = Path(notebook_dir).expanduser().resolve() if notebook_dir else _default_notebook_dir(cfg)
    if not nb_dir.is_dir():
        raise UsageError(f"notebook folder {nb_dir} does not exist; set report.notebooks in the "
                         f"configuration or pass notebook_dir.")
    extra = {k: dict(v) for k, v in (parameters or {}).items()}
    unknown = set(extra) - set(notebooks)
    if unknown:
        raise UsageError(f"parameters given for {sorted(unknown)}, which are not among the "
                         f"notebooks run ({', '.join(notebooks)}).")
    # Check the period choices before the (long) cleaning; the default needs the clean data.
    if period or as_of or period_from:
        plan_periods(period=period, as_of=as_of, period_from=period_from, period_to=period_to,
                     freq=freq)
    progress = _Progress(progress_stream, live)
    try:
        clean_step = StepRecord("clean", status="running", started=_now())
        if clean:
            from . import clean as clean_mod

            t0 = progress.start("clean")
            try:
                clean_mod.run(cfg)
            except WorkbenchError as exc:
                progress.finish("clean", t0, False, f"{type(exc).__name__}: {exc}")
                raise type(exc)(f"step 'clean' failed: {exc}") from exc
            except Exception as exc:
                progress.finish("clean", t0, False, f"{type(exc).__name__}: {exc}")
                raise StepFailed("clean", f"{type(exc).__name__}: {exc}") from exc
            progress.finish("clean", t0, True)
            clean_step.seconds = round(time.monotonic() - t0, 2)
            clean_step.status = "ok"
        else:
            clean_step.status = "skipped"
            clean_step.seconds = 0.0
        clean_step.finished = _now()
        ledger = _load_ledger(cfg)
        clean_step.extra = {"rows": _rows_from_ledger(ledger)}
        last = None if (period or as_of or period_from) else \
            context_mod.default_as_of(cfg.processed_dir)
        periods = plan_periods(period=period, as_of=as_of, period_from=period_from,
                               period_to=period_to, freq=freq, last_complete=last)
        versions, commit, inputs = package_versions(), git_commit(), input_files(cfg)
        runs = []
        for p in periods:
            runs.append(_run_period(cfg, p, reports_dir=reports_dir, lang=language,
                                    show_pii=cfg.show_pii, notebooks=list(notebooks),
                                    notebook_dir=nb_dir, extra=extra, clean_step=clean_step,
                                    ledger=ledger, progress=progress, versions=versions,
                                    commit=commit, inputs=inputs))
        return runs
    finally:
        progress.close()


def main(args) -> int:
    """Entry point of ``workbench report`` (``args``: the CLI's argparse Namespace)."""
    runs = run(getattr(args, "config", None), period=getattr(args, "period", None),
               as_of=getattr(args, "as_of", None), period_from=getattr(args, "period_from", None),
               period_to=getattr(args, "period_to", None), freq=getattr(args, "freq", "month") or "month",
               out=getattr(args, "out", None), lang=getattr(args, "lang", None))
    for r in runs:
        print(f"{r.period.label}: {r.folder / 'index.html'}")
    if runs:
        print(f"all periods: {runs[-1].folder.parent / 'index.html'}")
    return 0
