"""One run at a time per folder: a lock file with its owner, taken before anything is written.

``workbench report`` locks the processed folder and the reports folder, ``workbench clean``
the processed folder, each with ``<folder>/.workbench.lock``.  The file holds the owner's
pid, host, start time and command as JSON.  Taking it is atomic: the owner's record is
written to a private temporary file that is then *linked* to the lock's name (``link`` fails
when the name exists), so the lock never exists half-written.  While it runs the owner also
holds an advisory ``flock`` on the file, which the kernel drops when the process dies
however it dies; a lock file whose ``flock`` is free (a run killed by SIGKILL, a crash, a
reboot) is stale and taken over, with a log line naming the dead owner.

A second run waits up to ``report.lock_wait_seconds`` (default 0) for the lock, then stops
with :class:`LockBusy` (exit code 6) naming the owner.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import socket
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .. import io as wio
from ..errors import WorkbenchError

__all__ = ["LOCK_NAME", "LockBusy", "RunLock", "hold", "read_owner"]

log = logging.getLogger("workbench.report")

LOCK_NAME = ".workbench.lock"
_POLL_SECONDS = 0.2


class LockBusy(WorkbenchError):
    """Another run holds the lock of a folder this run writes (exit code 6)."""

    exit_code = 6


def read_owner(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The owner record of a lock file ({} when it is absent or unreadable)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _describe(owner: dict[str, Any]) -> str:
    if not owner:
        return "an unknown process (its lock file cannot be read)"
    return (f"pid {owner.get('pid')} on {owner.get('host')}, started {owner.get('started')}"
            f" ({owner.get('command') or 'workbench'})")


def _record() -> dict[str, Any]:
    return {"pid": os.getpid(), "host": socket.gethostname(),
            "started": datetime.now(UTC).isoformat(timespec="seconds"),
            "command": " ".join(["workbench", *sys.argv[1:]])[:300]}


class RunLock:
    """The lock of one folder; use :meth:`acquire` / :meth:`release` or :func:`hold`."""

    def __init__(self, folder: str | os.PathLike[str]):
        self.folder = Path(folder)
        self.path = self.folder / LOCK_NAME
        self._fd: int | None = None
        self.took_over: dict[str, Any] | None = None

    def _try_create(self) -> bool:
        """Create the lock file with our record (atomic link); False when it exists."""
        fd, tmp = tempfile.mkstemp(prefix=".workbench.lock.", suffix=".tmp", dir=self.folder)
        try:
            os.write(fd, (json.dumps(_record()) + "\n").encode("utf-8"))
            os.fsync(fd)
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # ours: nobody else has this file
            try:
                os.link(tmp, self.path)
            except FileExistsError:
                os.close(fd)
                return False
            self._fd = fd
            return True
        except BaseException:
            if self._fd != fd:
                with contextlib.suppress(OSError):
                    os.close(fd)
            raise
        finally:
            with contextlib.suppress(OSError):
                os.unlink(tmp)

    def _take_over_stale(self) -> bool:
        """Remove the lock file when its owner is gone (its flock is free); True if removed."""
        try:
            fd = os.open(self.path, os.O_RDWR)
        except FileNotFoundError:
            return True  # gone in between: try again
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False  # a live owner
            # Still the same file (not replaced since we opened it)?  Then it is stale.
            try:
                same = os.stat(self.path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                return True
            if same:
                self.took_over = read_owner(self.path)
                os.unlink(self.path)
            return True
        finally:
            os.close(fd)

    def acquire(self, wait_seconds: float = 0.0) -> RunLock:
        """Take the lock, waiting up to ``wait_seconds`` for its owner to finish.

        Raises:
            LockBusy: another live run holds it after the wait (the message names it).
            OutputError: the folder cannot hold a lock file (read-only, full, no permission).
        """
        with wio.disk_faults(self.folder, "the run's lock file"):
            self.folder.mkdir(parents=True, exist_ok=True)
            deadline = time.monotonic() + max(0.0, wait_seconds)
            while True:
                if self._try_create():
                    if self.took_over:
                        log.warning("took over the stale lock %s of %s, which is no longer "
                                    "running", self.path, _describe(self.took_over))
                    return self
                if self._take_over_stale():
                    continue
                if time.monotonic() >= deadline:
                    break
                time.sleep(_POLL_SECONDS)
        owner = read_owner(self.path)
        waited = f" after waiting {wait_seconds:g} s" if wait_seconds > 0 else ""
        raise LockBusy(
            f"another workbench run is writing {self.folder}: {_describe(owner)} holds "
            f"{self.path}{waited}. Wait for it to finish and run again, or set "
            f"report.lock_wait_seconds (or --lock-wait) to wait for it. If that process is "
            f"not running any more, its lock is taken over automatically.")

    def release(self) -> None:
        """Remove the lock file (if it is still ours) and drop the flock."""
        if self._fd is None:
            return
        try:
            with contextlib.suppress(FileNotFoundError):
                if os.stat(self.path).st_ino == os.fstat(self._fd).st_ino:
                    os.unlink(self.path)
        finally:
            os.close(self._fd)
            self._fd = None


@contextlib.contextmanager
def hold(folders: Sequence[str | os.PathLike[str]], wait_seconds: float = 0.0
         ) -> Iterator[list[RunLock]]:
    """Hold the locks of ``folders`` (duplicates once, in a fixed order) for the block."""
    unique = sorted({Path(f).expanduser().resolve() for f in folders})
    locks: list[RunLock] = []
    try:
        deadline = time.monotonic() + max(0.0, wait_seconds)
        for folder in unique:
            locks.append(RunLock(folder).acquire(max(0.0, deadline - time.monotonic())))
        yield locks
    finally:
        for lock in reversed(locks):
            lock.release()
