"""The ``engine:`` section of ``workbench.yaml``: which engine runs the transaction-level work.

::

    engine:
      name: polars            # polars (default) | duckdb | spark
      duckdb: {threads: 4, memory_limit: 8GB}
      spark:
        master: local[2]      # or a cluster: spark://host:7077, yarn, k8s://...
        connect: sc://host:15002   # Spark Connect instead of a master (optional)
        conf: {spark.sql.shuffle.partitions: "8"}
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from ..errors import UsageError
from ..settings import Settings, check_value

__all__ = ["ENGINES", "ENGINE_VAR", "EngineSettings", "chosen"]

#: The environment variable ``workbench report --engine`` sets for the notebooks it runs.
ENGINE_VAR = "WORKBENCH_ENGINE"

#: The engines the transaction-level work runs on.
ENGINES = ("polars", "duckdb", "spark")

_SPARK_KEYS = {"master": str, "connect": str | None, "conf": Mapping[str, Any]}
_DUCKDB_KEYS = {"threads": int | None, "memory_limit": str | None}


@dataclass(frozen=True)
class EngineSettings(Settings):
    """Which engine runs the transaction log and the per-customer tables, and how to open it.

    Attributes:
        name: ``polars`` (default, one machine, in process), ``duckdb`` (one machine,
            out of core) or ``spark`` (local mode or a cluster).
        spark: ``master`` (default ``local[2]``), ``connect`` (a Spark Connect URL,
            ``sc://host:15002``, used instead of ``master``) and ``conf`` (Spark
            properties, e.g. ``spark.sql.shuffle.partitions``).
        duckdb: ``threads`` and ``memory_limit`` (e.g. ``8GB``) of the connection.
    """

    SECTION: ClassVar[str] = "engine"

    name: Literal["polars", "duckdb", "spark"] = "polars"
    spark: Mapping[str, Any] = field(default_factory=dict)
    duckdb: Mapping[str, Any] = field(default_factory=dict)

    def check(self) -> None:
        for key, known, value in (("spark", _SPARK_KEYS, self.spark),
                                  ("duckdb", _DUCKDB_KEYS, self.duckdb)):
            unknown = sorted(set(value) - set(known))
            if unknown:
                self.fail(key, dict(value), f"a mapping with the keys {sorted(known)} "
                          f"(unknown: {unknown})")
            for k, v in value.items():
                check_value(v, known[k], self.where(f"{key}.{k}"))
        master = self.spark.get("master", "local[2]")
        if not str(master).strip():
            self.fail("spark.master", master, "a Spark master such as local[2]")
        connect = self.spark.get("connect")
        if connect is not None and not str(connect).startswith("sc://"):
            self.fail("spark.connect", connect, "a Spark Connect URL such as sc://host:15002")
        threads = self.duckdb.get("threads")
        if threads is not None and threads < 1:
            self.fail("duckdb.threads", threads, "a whole number of at least 1")

    @property
    def spark_master(self) -> str:
        return str(self.spark.get("master", "local[2]"))

    @property
    def spark_connect(self) -> str | None:
        value = self.spark.get("connect")
        return None if value is None else str(value)

    @property
    def spark_conf(self) -> dict[str, str]:
        """Spark properties as text (Spark takes every property as a string)."""
        conf = self.spark.get("conf") or {}
        return {str(k): str(v).lower() if isinstance(v, bool) else str(v)
                for k, v in conf.items()}

    def with_name(self, name: str) -> EngineSettings:
        """The same settings with another engine (``workbench report --engine``)."""
        return EngineSettings.from_mapping({"name": name, "spark": dict(self.spark),
                                            "duckdb": dict(self.duckdb)})


def chosen(section: Mapping[str, Any] | None, name: str | None = None) -> EngineSettings:
    """The engine of the transaction-level work: ``name`` (``workbench report --engine``),
    else ``$WORKBENCH_ENGINE`` (which the report sets for its notebooks), else the
    ``engine:`` section's ``name``; an unknown name is a usage error."""
    settings = EngineSettings.from_mapping(section)
    pick = name or os.environ.get(ENGINE_VAR)
    if pick and pick not in ENGINES:
        raise UsageError(f"engine '{pick}' is not one of {', '.join(ENGINES)} "
                         f"(--engine or ${ENGINE_VAR}).")
    return settings.with_name(pick) if pick else settings
