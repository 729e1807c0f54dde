"""The ``workbench`` command: argument parsing and messages only.

Each subcommand calls one function of the package; errors the workbench raises
on purpose become one clear message and an exit code (see :mod:`workbench.errors`).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from . import __version__
from .errors import WorkbenchError

__all__ = ["main", "build_parser"]

log = logging.getLogger("workbench")

EXIT_CODES = """exit codes:
  0  success
  1  a pipeline step failed (the message names the step)
  2  wrong usage or configuration
  3  bad input data (the message names the file, column or row)
  4  a model could not be fitted on the data given
  5  an output could not be written (disk full, read-only folder, no permission)
  6  another run is writing the same folders (the message names it)
"""


# Each subcommand imports its module when it runs, not at start-up: importing them all
# (polars, pandas, scipy through demo, clean and report) makes `workbench --help` take about
# 1.9 s instead of 0.14 s (measured with .venv/bin/python -m workbench --help).


def _cmd_demo_data(args: argparse.Namespace) -> int:
    from . import demo  # lazy: keeps `workbench --help` fast (see above)

    info = demo.write_demo(
        out=Path(args.out),
        customers=args.customers,
        seed=args.seed,
        dirty=args.dirty,
        end_date=args.end_date,
        years=args.years,
    )
    for table, rows in info["rows"].items():
        print(f"  {table:<11} {rows:>10,} rows")
    print(f"demo data written to {args.out} (seed {args.seed}{', dirty' if args.dirty else ''})")
    return 0


def _cmd_clean(args: argparse.Namespace) -> int:
    from . import clean, config, io, report  # lazy: keeps `workbench --help` fast (see above)

    cfg = config.load(args.config)
    report.validate_config(cfg)  # the whole file, before anything is read or written
    wait = args.lock_wait
    if wait is None:
        wait = report.ReportSettings.from_mapping(cfg.section("report")).lock_wait_seconds
    with report.locking.hold([cfg.processed_dir], wait):
        for done in report.clean_stale(cfg.processed_dir):
            log.warning("left by an interrupted run: %s", done)
        with io.disk_faults(cfg.processed_dir, "the clean tables"):
            result = clean.run(cfg)
    print(clean.format_ledger(result.ledger))
    print(f"clean tables written to {cfg.processed_dir}")
    return 0


def _cmd_init(args: argparse.Namespace) -> int:
    from . import onboarding  # lazy: keeps `workbench --help` fast (see above)

    files = {"orders": args.orders, "customers": args.customers, "visits": args.visits,
             "complaints": args.complaints, "surveys": args.surveys}
    result = onboarding.init(files, args.out, preset=args.preset, force=args.force)
    print("guessed:")
    for line in result.guessed:
        print(f"  {line}")
    if result.undecided:
        print("could not decide (marked TODO in the file):")
        for line in result.undecided:
            print(f"  {line}")
    print(f"configuration written to {result.path}; review it, then run "
          f"`workbench clean --config {result.path}`")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from . import report  # lazy: keeps `workbench --help` fast (see above)

    return report.main(args)  # --engine reaches the notebooks' kernels through report.run


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 <= value <= 86400:
        raise argparse.ArgumentTypeError(f"{text!r}: give 0 to 86400 seconds")
    return value


def _lock_wait_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--lock-wait", type=_seconds, default=None, metavar="SECONDS",
                   help="wait this long for another run writing the same folders "
                        "(default: the configuration's report.lock_wait_seconds, 0)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="workbench",
        description="Customer analytics workbench: clean CRM exports, tier customers, "
                    "value them (CLV), warn of churn, and publish periodic reports.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"workbench {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="show debug messages")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser(
        "demo-data",
        help="write a realistic, deterministic demo dataset (five CSV tables)",
        description="Write the five canonical tables as CSV for a made-up Chinese company "
                    "over several years, with the generator's true parameters in truth.json. "
                    "The same seed always gives the same bytes.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--out", default="data/raw/demo", help="output folder (default: %(default)s)")
    p.add_argument("--customers", type=int, default=20000,
                   help="number of customers (default: %(default)s)")
    p.add_argument("--seed", type=int, default=7, help="random seed (default: %(default)s)")
    p.add_argument("--dirty", action="store_true",
                   help="add what real exports contain: duplicates, variant names, cancelled "
                        "and returned orders, bad rows, mixed date formats, BOM, GB18030")
    p.add_argument("--end-date", default=None,
                   help="last day of the data, YYYY-MM-DD (default: a fixed date)")
    p.add_argument("--years", type=float, default=3.0,
                   help="years of history (default: %(default)s)")
    p.set_defaults(func=_cmd_demo_data)

    p = sub.add_parser(
        "clean",
        help="ingest the configured sources and write clean tables with a ledger",
        description="Read every source named in the configuration, clean it with reason-coded "
                    "rules, and write data/processed/ (Parquet per table, quarantine, merge log "
                    "and ledger.json). Nothing is written unless the ledger balances.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--config", default=None,
                   help="configuration file (default: $WORKBENCH_CONFIG or ./workbench.yaml)")
    _lock_wait_option(p)
    p.set_defaults(func=_cmd_clean)

    p = sub.add_parser(
        "init",
        help="guess a workbench.yaml for your exports (mapping, dates, derived fields)",
        description="Read the exports, guess which header is which column (English and Chinese "
                    "headers), the date formats, line-level orders, derived fields and presets, "
                    "and write a commented workbench.yaml to review. Prints what it guessed "
                    "and what it could not decide.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--orders", required=True, help="the orders (or order lines) export")
    for table in ("customers", "visits", "complaints", "surveys"):
        p.add_argument(f"--{table}", default=None, help=f"the {table} export (optional)")
    p.add_argument("--out", default="workbench.yaml", help="file to write (default: %(default)s)")
    p.add_argument("--preset", default=None,
                   help="start from a named export format: invoice-lines, shopify-orders, "
                        "fxiaoke-orders, zoho-deals (default: recognised from the headers)")
    p.add_argument("--force", action="store_true", help="replace an existing file")
    p.set_defaults(func=_cmd_init)

    p = sub.add_parser(
        "report",
        help="run the periodic report: cleaning, every notebook, HTML and manifest",
        description="Run cleaning and the analysis notebooks for a period with papermill, render "
                    "them to code-free HTML in <out>/<period>/ and write manifest.json. The "
                    "previous report of the period is replaced only when the whole run succeeds.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--config", default=None,
                   help="configuration file (default: $WORKBENCH_CONFIG or ./workbench.yaml)")
    when = p.add_mutually_exclusive_group()
    when.add_argument("--period", default=None,
                      help="period to report, YYYY-MM (a month) or YYYY-Qn (a quarter); "
                           "default: the last complete period in the data")
    when.add_argument("--as-of", default=None, help="report as of this date, YYYY-MM-DD")
    when.add_argument("--from", dest="period_from", default=None,
                      help="first period of a back-fill, YYYY-MM (with --to)")
    p.add_argument("--to", dest="period_to", default=None,
                   help="last period of a back-fill, YYYY-MM (with --from)")
    p.add_argument("--freq", choices=("month", "quarter"), default="month",
                   help="reporting period length (default: %(default)s)")
    p.add_argument("--out", default=None,
                   help="reports folder (default: the configuration's paths.reports)")
    p.add_argument("--lang", choices=("zh", "en"), default=None,
                   help="report language (default: the configuration's report.lang)")
    p.add_argument("--engine", choices=("polars", "duckdb", "spark"), default=None,
                   help="engine of the transaction log and the per-customer RFM tables "
                        "(default: the configuration's engine.name, polars)")
    p.add_argument("--reclean", action="store_true",
                   help="clean even when the clean tables were written from the same inputs, "
                        "settings and code (by default they are then reused)")
    p.add_argument("--alerts-exit-code", type=int, default=None, metavar="N",
                   help="exit with N (1-125) when the run succeeded and at least one "
                        "management alert fired (for cron: mail only then)")
    _lock_wait_option(p)
    p.set_defaults(func=_cmd_report)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(message)s",
        datefmt="%Y-%m-%d %H:%M:%S",
    )
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except WorkbenchError as exc:
        print(f"workbench {args.command}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"workbench {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
