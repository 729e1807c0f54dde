"""Run a command and measure it as a whole process tree: wall and CPU seconds, peak memory.

The benchmarks that start other processes (the report's notebook kernels, Spark's JVM)
measure them here, one way for all:

- ``wall``: seconds from start to exit;
- ``cpu``: user + system seconds of every process of the tree (the latest figure read of
  each, sampled while it runs; a process that lives less than one sampling interval is
  missed, which on a two-core machine is noise);
- ``tree_peak``: the largest sum of the tree's resident memory at one sample (what the
  machine must have free);
- ``largest_peak``: the largest peak of one process (``VmHWM`` from ``/proc``, which
  catches peaks between samples), as ``/usr/bin/time -v`` would report for the largest
  child;
- ``peaks_by_name``: that peak per executable name (``java`` for Spark's JVM);
- ``processes``: each process's peak with the seconds (from the start) it was first and
  last seen, so a peak is put to its step by the run's log (a report's notebook kernel
  lives for one step).

Linux only (``/proc``); needs ``psutil``.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["ProcessPeak", "TreeRun", "run_tree"]


@dataclass
class TreeRun:
    """What :func:`run_tree` measured (bytes and seconds)."""

    returncode: int
    wall: float
    cpu: float
    tree_peak: int
    largest_peak: int
    peaks_by_name: dict[str, int] = field(default_factory=dict)
    processes: list[ProcessPeak] = field(default_factory=list)


@dataclass(frozen=True)
class ProcessPeak:
    """One process of the tree: its ``VmHWM`` and when it was seen (seconds from start)."""

    pid: int
    name: str
    peak: int
    first_seen: float
    last_seen: float


def _hwm_bytes(pid: int) -> int:
    """The peak resident memory (``VmHWM``) of a running process in bytes, 0 when gone."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def run_tree(cmd: Sequence[str], log: Path, *, cwd: Path | None = None,
             env: Mapping[str, str] | None = None, interval: float = 0.2) -> TreeRun:
    """Run ``cmd`` (stdout and stderr into ``log``) and sample its process tree every
    ``interval`` seconds until it exits."""
    import psutil

    with log.open("w") as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(list(cmd), stdout=out, stderr=subprocess.STDOUT, cwd=cwd,
                                env=dict(env) if env is not None else None)
        root = psutil.Process(proc.pid)
        tree_peak, hwm, cpu, names = 0, {}, {}, {}
        seen: dict[int, list[float]] = {}
        while proc.poll() is None:
            now = time.perf_counter() - t0
            try:
                tree = [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                break
            total = 0
            for p in tree:
                try:
                    total += p.memory_info().rss
                    t = p.cpu_times()
                    cpu[p.pid] = t.user + t.system
                    names[p.pid] = p.name()  # the latest: a shell that execs java is java
                except psutil.Error:
                    continue
                hwm[p.pid] = max(hwm.get(p.pid, 0), _hwm_bytes(p.pid))
                seen.setdefault(p.pid, [now, now])[1] = now
            tree_peak = max(tree_peak, total)
            time.sleep(interval)
        code = proc.wait()
        wall = time.perf_counter() - t0
    by_name: dict[str, int] = {}
    for pid, peak in hwm.items():
        name = names.get(pid, "?")
        by_name[name] = max(by_name.get(name, 0), peak)
    processes = [ProcessPeak(pid, names.get(pid, "?"), peak, *seen.get(pid, [0.0, 0.0]))
                 for pid, peak in hwm.items()]
    return TreeRun(returncode=code, wall=wall, cpu=sum(cpu.values()), tree_peak=tree_peak,
                   largest_peak=max(hwm.values(), default=0), peaks_by_name=by_name,
                   processes=sorted(processes, key=lambda r: r.first_seen))
