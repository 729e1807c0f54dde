"""The workbench's error types and the exit codes the ``workbench`` command maps them to.

| exit code | meaning |
|---|---|
| 0 | success |
| 1 | a pipeline step failed (the message names the step) |
| 2 | wrong usage or configuration (fix the command line or ``workbench.yaml``) |
| 3 | bad input data (the message names the file, column or row) |
| 4 | a model could not be fitted on the data given |
| 5 | an output could not be written (disk full, read-only folder): ``workbench.io.OutputError`` |
| 6 | another run holds the project's lock: ``workbench.report.locking`` |
"""

from __future__ import annotations

__all__ = ["ConfigError", "DataError", "ModelError", "StepFailed", "UsageError", "WorkbenchError"]


class WorkbenchError(Exception):
    """Base of every error the workbench raises on purpose; ``exit_code`` is what the CLI returns."""

    exit_code = 1


class UsageError(WorkbenchError, ValueError):
    """Wrong arguments or configuration."""

    exit_code = 2


class ConfigError(UsageError):
    """The configuration file is missing, unreadable or inconsistent (a key, its value)."""


class DataError(WorkbenchError, ValueError):
    """Input data that cannot be used as it is; the message says where and what to do."""

    exit_code = 3


class ModelError(WorkbenchError, RuntimeError):
    """A model cannot be fitted on the data given (too little data, no convergence...)."""

    exit_code = 4


class StepFailed(WorkbenchError, RuntimeError):
    """A step of a pipeline run failed; ``step`` names it."""

    exit_code = 1

    def __init__(self, step: str, message: str):
        self.step = step
        super().__init__(f"step '{step}' failed: {message}")
