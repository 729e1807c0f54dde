"""Run every benchmark (benchmarks/bench_*.py) with its default sizes, one after another.

Each benchmark prints a table with its timings and the ratio against a baseline
measured in the same run.  Pass names to run only some: ``python benchmarks/run.py rfm clv``.
``bench_report`` (clean + the whole report at 20,000, 200,000 and 1,000,000 customers, the
real command line) is the long one: about half an hour on two cores.
Benchmarks are never part of the test suite: speed targets are met here.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    scripts = sorted(HERE.glob("bench_*.py"))
    if argv:
        scripts = [s for s in scripts if any(s.stem == f"bench_{name}" for name in argv)]
    if not scripts:
        print("no benchmark matched", argv, file=sys.stderr)
        return 2
    failed = []
    for script in scripts:
        print(f"\n=== {script.name} ===", flush=True)
        start = time.perf_counter()
        code = subprocess.call([sys.executable, str(script)])
        print(f"--- {script.name}: exit {code}, {time.perf_counter() - start:.1f} s", flush=True)
        if code:
            failed.append(script.name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
