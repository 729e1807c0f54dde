"""Per-step progress of a report run: a live line on a terminal, log lines otherwise."""

from __future__ import annotations

import logging
import sys
import threading
import time
from pathlib import Path
from typing import TextIO

__all__ = ["Progress", "log"]

log = logging.getLogger("workbench.report")


class Progress:
    """Per-step progress: a live line with elapsed seconds on a terminal, log lines otherwise.

    Every message also goes to the run's log file (when one is attached).
    """

    def __init__(self, stream: TextIO | None = None, live: bool | None = None):
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty() if live is None else live
        self._file: logging.Handler | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def attach(self, path: Path | None) -> None:
        """Write the following messages to ``path`` too (None: stop writing to a file)."""
        if self._file is not None:
            self._file.close()
            self._file = None
        if path is not None:
            self._file = logging.FileHandler(path, encoding="utf-8")
            self._file.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s",
                                                      "%Y-%m-%d %H:%M:%S"))

    def _to_file(self, text: str, level: int) -> None:
        if self._file is not None:
            self._file.handle(log.makeRecord(log.name, level, __file__, 0, text, (), None))

    def message(self, text: str, level: int = logging.INFO) -> None:
        self._to_file(text, level)
        if self.live:
            self.stream.write(text + "\n")
            self.stream.flush()
        else:
            log.log(level, text)

    def _tick(self, name: str, t0: float) -> None:
        while not self._stop.wait(0.5):
            self.stream.write(f"\r  … {name:<18} {time.monotonic() - t0:6.0f} s")
            self.stream.flush()

    def start(self, name: str) -> float:
        """Announce step ``name``; returns its start time for :meth:`finish`."""
        t0 = time.monotonic()
        self._to_file(f"{name}: started", logging.INFO)
        if self.live:
            self._stop.clear()
            self.stream.write(f"  … {name:<18} {0:6.0f} s")
            self.stream.flush()
            self._thread = threading.Thread(target=self._tick, args=(name, t0), daemon=True)
            self._thread.start()
        else:
            log.info("%s: started", name)
        return t0

    def finish(self, name: str, t0: float, ok: bool, note: str = "",
               skipped: bool = False) -> None:
        """Report step ``name`` done (``ok``), failed or ``skipped`` (its section explains
        why), with its duration and a note."""
        secs = time.monotonic() - t0
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            self._thread = None
        level = logging.INFO if ok else logging.WARNING if skipped else logging.ERROR
        word = "done" if ok else "skipped" if skipped else "FAILED"
        self._to_file(f"{name}: {word} in {secs:.1f} s{(' ' + note) if note else ''}", level)
        if self.live:
            mark = "✓" if ok else "–" if skipped else "✗"
            self.stream.write(f"\r  {mark} {name:<18} {secs:6.1f} s{('  ' + note) if note else ''}\n")
            self.stream.flush()
        else:
            log.log(level, f"{name}: {word} in {secs:.1f} s{(' ' + note) if note else ''}")

    def close(self) -> None:
        self.attach(None)
