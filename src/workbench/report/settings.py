"""The ``report:`` section of ``workbench.yaml`` (:class:`ReportSettings`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from ..settings import Settings

__all__ = ["ReportSettings"]


@dataclass(frozen=True)
class ReportSettings(Settings):
    """The ``report:`` section of ``workbench.yaml``.

    Attributes:
        lang: ``zh`` or ``en`` (read by :attr:`workbench.config.Config.lang`).
        show_pii: show names, phones and e-mails unmasked (``Config.show_pii``).
        notebooks: the folder holding the notebooks, relative to the configuration
            (default: the notebooks shipped with the workbench).
        lock_wait_seconds: how long a run waits for another run of the same folders to
            finish before giving up (0: give up at once; see :mod:`workbench.report.locking`).
    """

    SECTION: ClassVar[str] = "report"

    lang: Literal["zh", "en"] = "en"
    show_pii: bool = False
    notebooks: str | None = None
    lock_wait_seconds: float = 0.0

    def check(self) -> None:
        if not 0 <= self.lock_wait_seconds <= 86400:
            self.fail("lock_wait_seconds", self.lock_wait_seconds,
                      "a number of seconds between 0 and 86400")
