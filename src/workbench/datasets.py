"""Real data sets for examples, tests and validation.

:func:`load_cdnow` reads the CDNOW sample shipped inside the ``lifetimes``
package with :mod:`importlib.resources`; ``lifetimes.datasets`` itself fails on
current setuptools, so it is never imported.
"""

from __future__ import annotations

import shutil
import sys
import warnings
from importlib import resources
from pathlib import Path

import polars as pl

__all__ = ["load_cdnow", "copy_cdnow_master", "CDNOW_CALIBRATION_END", "CDNOW_OBSERVATION_END"]

CDNOW_CALIBRATION_END = "1997-09-30"
CDNOW_OBSERVATION_END = "1998-06-30"


def _lifetimes_file(name: str):
    try:
        with warnings.catch_warnings():  # lifetimes sets a pandas option removed in pandas 3
            warnings.simplefilter("ignore")
            return resources.files("lifetimes").joinpath("datasets", name)
    except ModuleNotFoundError:  # pragma: no cover - lifetimes is a core dependency
        raise RuntimeError("the 'lifetimes' package is missing; reinstall the project.") from None


def load_cdnow() -> pl.DataFrame:
    """The CDNOW sample transaction log (2,357 customers, Jan 1997 - Jun 1998).

    Returns a polars DataFrame with columns ``customer_id`` (string), ``date``
    (date) and ``amount`` (float, dollars), one row per purchase record as
    published by Fader, Hardie and Lee (several records on the same day are
    kept; RFM summaries merge them).
    """
    path = _lifetimes_file("CDNOW_sample.txt")
    with resources.as_file(path) as p:
        raw = _read_whitespace(p)
    return raw.select(
        pl.col("customer_id"),
        pl.col("date").str.strptime(pl.Date, "%Y%m%d"),
        pl.col("amount"),
    )


def _read_whitespace(path) -> pl.DataFrame:
    """The file is space-aligned with CRLF line ends: split on any whitespace."""
    rows = []
    with open(path, encoding="ascii") as fh:
        for line in fh:
            parts = line.split()
            if len(parts) == 5:
                rows.append(parts)
    return pl.DataFrame(
        rows, schema=["_id", "customer_id", "date", "quantity", "amount"], orient="row"
    ).with_columns(pl.col("quantity").cast(pl.Int64), pl.col("amount").cast(pl.Float64))


def copy_cdnow_master(dest: str | Path) -> Path:
    """Copy the full CDNOW master file shipped inside ``lifetimes`` (23,570 customers, 69,659
    transactions, space-aligned) to the folder ``dest``; returns the copied file.

    Used by ``examples/cdnow`` (``python -m workbench.datasets cdnow-master examples/cdnow``).
    """
    folder = Path(dest)
    folder.mkdir(parents=True, exist_ok=True)
    with resources.as_file(_lifetimes_file("CDNOW_master.txt")) as p:
        return Path(shutil.copyfile(p, folder / "CDNOW_master.txt"))


if __name__ == "__main__":  # python -m workbench.datasets cdnow-master FOLDER
    if len(sys.argv) != 3 or sys.argv[1] != "cdnow-master":
        print("usage: python -m workbench.datasets cdnow-master FOLDER", file=sys.stderr)
        raise SystemExit(2)
    print(copy_cdnow_master(sys.argv[2]))
