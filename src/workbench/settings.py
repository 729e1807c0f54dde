"""One way to read a section of ``workbench.yaml`` into typed settings.

Every room's settings are a frozen dataclass that subclasses :class:`Settings`
and names its section::

    @dataclass(frozen=True)
    class ChurnSettings(Settings):
        SECTION: ClassVar[str] = "churn"
        window_days: int | None = None
        flag_share: float | None = 0.2

        def check(self) -> None:          # optional: rules between values
            if self.flag_share is not None and not 0 < self.flag_share < 1:
                self.fail("flag_share", self.flag_share, "a share between 0 and 1")

    ChurnSettings.from_mapping(cfg.section("churn"))

:meth:`Settings.from_mapping` refuses unknown keys, checks every value against its
annotation (``int``, ``float``, ``bool``, ``str``, ``Literal[...]``, ``X | None``,
``tuple[X, ...]``, ``Mapping[str, X]``) and converts what is safe to convert (a whole
number where a float is expected, a list where a tuple is expected).  Every error
is a :class:`~workbench.errors.ConfigError` (a usage error, exit code 2) naming the key's path, the value found
and what is expected, so a typo in the configuration stops a run before any step.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from typing import Any, ClassVar, Literal, TypeVar, Union

from .errors import ConfigError

__all__ = ["Settings", "check_value"]

S = TypeVar("S", bound="Settings")

_MISSING = object()


def _describe(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if tp is type(None):
        return "null"
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(tp))
    if origin in (Union, types.UnionType):
        return " or ".join(_describe(a) for a in typing.get_args(tp))
    if origin is tuple:
        return f"a list of {_describe(typing.get_args(tp)[0])}"
    if origin in (Mapping, dict, typing.get_origin(Mapping[str, int])):
        key, value = typing.get_args(tp) or (str, Any)
        return f"a mapping of {_describe(key)} to {_describe(value)}"
    names = {int: "a whole number", float: "a number", bool: "true or false", str: "a text",
             Any: "any value"}
    return names.get(tp, getattr(tp, "__name__", str(tp)))


def check_value(value: Any, tp: Any, where: str) -> Any:
    """``value`` checked against the annotation ``tp`` (and converted where safe).

    Raises ConfigError naming ``where``, the value and what was expected.
    """

    def fail() -> typing.NoReturn:
        raise ConfigError(f"{where}: {value!r} is not {_describe(tp)}.")

    if tp is Any:
        return value
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        args = typing.get_args(tp)
        if value is None:
            if type(None) in args:
                return None
            fail()
        for arg in args:
            if arg is type(None):
                continue
            try:
                return check_value(value, arg, where)
            except ConfigError:
                continue
        fail()
    if origin is Literal:
        if value in typing.get_args(tp) and not isinstance(value, bool):
            return value
        fail()
    if origin is tuple:
        if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, (list, tuple)):
            fail()
        args = typing.get_args(tp)
        item = args[0] if args else Any
        return tuple(check_value(v, item, f"{where}[{i}]") for i, v in enumerate(value))
    if origin is not None and isinstance(origin, type) and issubclass(origin, Mapping):
        if not isinstance(value, Mapping):
            fail()
        key_tp, value_tp = typing.get_args(tp) or (Any, Any)
        return {check_value(k, key_tp, where): check_value(v, value_tp, f"{where}.{k}")
                for k, v in value.items()}
    if tp is bool:
        if isinstance(value, bool):
            return value
        fail()
    if tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        fail()
    if tp is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        fail()
    if tp is str:
        if isinstance(value, str):
            return value
        fail()
    if isinstance(tp, type) and isinstance(value, tp):
        return value
    fail()


@dataclasses.dataclass(frozen=True)
class Settings:
    """Base of every room's settings: a frozen dataclass read from one config section."""

    #: The ``workbench.yaml`` section the settings come from (e.g. ``"churn"``).
    SECTION: ClassVar[str] = ""
    #: Keys that once lived in this section, with where they live now.
    MOVED: ClassVar[Mapping[str, str]] = {}
    #: Fields set by code, not read from the section (e.g. a value taken from another section).
    INTERNAL: ClassVar[frozenset[str]] = frozenset()

    def __post_init__(self) -> None:
        self.check()

    def check(self) -> None:
        """Rules between values; subclasses override and call :meth:`fail`."""

    @classmethod
    def where(cls, key: str | None = None) -> str:
        base = f"workbench.yaml {cls.SECTION}" if cls.SECTION else cls.__name__
        return f"{base}.{key}" if key else base

    def fail(self, key: str, value: Any, expected: str) -> typing.NoReturn:
        """Raise the house's configuration error for ``key``."""
        raise ConfigError(f"{self.where(key)}: {value!r} must be {expected}.")

    @classmethod
    def from_mapping(cls: type[S], section: Mapping[str, Any] | None) -> S:
        """Settings from a config section: unknown keys and ill-typed values are errors."""
        if section is not None and not isinstance(section, Mapping):
            raise ConfigError(f"{cls.where()}: expected a mapping of keys to values, "
                             f"got {section!r}.")
        data = dict(section or {})
        hints = typing.get_type_hints(cls)
        names = [f.name for f in dataclasses.fields(cls) if f.init and f.name not in cls.INTERNAL]
        moved = {k: v for k, v in cls.MOVED.items() if k in data}
        if moved:
            k, v = next(iter(moved.items()))
            raise ConfigError(f"{cls.where(k)}: this key moved to {v}; set it there instead.")
        unknown = sorted(set(data) - set(names))
        if unknown:
            raise ConfigError(f"{cls.where()}: unknown key(s) {unknown}; "
                             f"known keys are {sorted(names)}.")
        values = {k: check_value(v, hints[k], cls.where(k)) for k, v in data.items()}
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """The settings as plain values (for a manifest)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
