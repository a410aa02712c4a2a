"""Plain YAML data -> frozen, typed config dataclasses (one builder for every config of the package).

The training config (:mod:`xmem.training.config`) and the synthetic-data config
(:mod:`xmem.data.synth.config`) are frozen dataclass trees read from YAML. This module turns a
mapping into such a tree: every key is checked against the dataclass's fields and every value
against the field's type hint, and each problem raises :class:`ConfigError` as
``<source>: <dotted key>: <what is wrong>`` (one line, naming the file and the key).

Missing keys keep a default: the field's own default, or, when ``defaults`` (an instance of the
class) is given, that instance's value, recursively — so a YAML file can override one field of a
nested section whose defaults differ from the section class's own (``davis.val.videos``).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from pathlib import Path
from typing import Any, Mapping, TypeVar

import yaml

from xmem.errors import XMemError

T = TypeVar("T")
TOP_LEVEL = "<top level>"


class ConfigError(XMemError):
    """A configuration value is invalid; ``key`` is its dotted name, ``source`` the file (or a label)."""

    def __init__(self, key: str, detail: str, source: str = "config"):
        self.key = key
        self.detail = detail
        self.source = source
        super().__init__(f"{source}: {key}: {detail}")

    def with_source(self, source: str) -> "ConfigError":
        """The same error, attributed to ``source`` (e.g. the YAML file the data came from)."""
        return ConfigError(self.key, self.detail, source)


def _dotted(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _describe(hint: Any) -> str:
    """A type hint in words, for error messages (``bool`` -> "true or false")."""
    if hint is bool:
        return "true or false"
    if typing.get_origin(hint) is typing.Literal:
        return " or ".join(repr(a) for a in typing.get_args(hint))
    return getattr(hint, "__name__", str(hint))


def convert(value: Any, hint: Any, key: str, source: str, none_is_empty: bool = False) -> Any:
    """``value`` checked (and, for float and tuple, converted) against the type ``hint``.

    Supported hints: bool, int, float, str, Any, ``Literal[...]``, ``X | None``, unions (the first
    alternative that fits), ``tuple[X, ...]``, fixed-length
    ``tuple[X, Y]``, ``dict[str, X]`` and nested config dataclasses (built with :func:`build`;
    ``none_is_empty``: a null section means "all defaults").
    """
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        if len(inner) == 1:
            return convert(value, inner[0], key, source, none_is_empty)
        for option in inner:  # the first alternative the value fits (bool | Literal["auto"]: true, false, auto)
            try:
                return convert(value, option, key, source, none_is_empty)
            except ConfigError:
                continue
        raise ConfigError(key, f"must be {' or '.join(_describe(a) for a in inner)}, got {value!r}", source)
    if origin is typing.Literal:
        if not any(type(value) is type(a) and value == a for a in args):  # 1 is not True, "1" is not 1
            raise ConfigError(key, f"must be one of {list(args)}, got {value!r}", source)
        return value
    if dataclasses.is_dataclass(hint):
        return build(hint, value, source=source, prefix=key, none_is_empty=none_is_empty)
    if hint is Any:
        return value
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(key, f"must be true or false, got {value!r}", source)
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(key, f"must be an integer, got {value!r}", source)
        return value
    if hint is float:
        if isinstance(value, str):  # YAML 1.1 reads "1e-5" (no dot) as a string
            try:
                value = float(value)
            except ValueError:
                pass
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(key, f"must be a number, got {value!r}", source)
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(key, f"must be a string, got {value!r}", source)
        return value
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            raise ConfigError(key, f"must be a list, got {value!r}", source)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(convert(v, args[0], f"{key}[{i}]", source) for i, v in enumerate(value))
        if len(value) != len(args):
            raise ConfigError(key, f"must be a list of {len(args)} values, got {list(value)!r}", source)
        return tuple(convert(v, a, f"{key}[{i}]", source) for i, (v, a) in enumerate(zip(value, args)))
    if origin is dict:
        if not isinstance(value, Mapping):
            raise ConfigError(key, f"must be a mapping, got {value!r}", source)
        return {str(k): convert(v, args[1], f"{key}.{k}", source) for k, v in value.items()}
    raise TypeError(f"unsupported config type {hint!r} for {key}")  # a programming error, not bad input


def build(cls: type[T], data: Any, *, source: str, prefix: str = "", defaults: T | None = None,
          none_is_empty: bool = False) -> T:
    """A ``cls`` instance from the mapping ``data`` (already an instance: returned as is).

    Unknown keys and values of the wrong type raise :class:`ConfigError`; missing keys take the
    value of ``defaults`` (an instance of ``cls``) or else the field's default. With
    ``none_is_empty`` a null section (a YAML key whose entries are all commented out) means an
    empty one; otherwise it is an error. The dataclass's own validation (``__post_init__``) runs
    on the result.
    """
    if isinstance(data, cls):
        return data
    if data is None and none_is_empty:
        data = {}
    if not isinstance(data, Mapping):
        raise ConfigError(prefix or TOP_LEVEL, f"must be a mapping of keys, got {data!r}", source)
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
    unknown = sorted(set(map(str, data)) - set(names))
    if unknown:
        raise ConfigError(_dotted(prefix, unknown[0]), f"unknown key; valid keys here are {names}", source)
    values = {}
    for name, value in data.items():
        key = _dotted(prefix, str(name))
        hint = hints[name]
        if dataclasses.is_dataclass(hint) and defaults is not None:
            values[name] = build(hint, value, source=source, prefix=key, defaults=getattr(defaults, name),
                                 none_is_empty=none_is_empty)
        else:
            values[name] = convert(value, hint, key, source, none_is_empty)
    if defaults is not None:
        return dataclasses.replace(defaults, **values)  # type: ignore[type-var]
    return cls(**values)


def merge_mappings(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """``override`` on top of ``base``: mappings merge recursively, other values replace."""
    out = dict(base)
    for k, v in override.items():
        out[k] = merge_mappings(out[k], v) if isinstance(v, Mapping) and isinstance(out.get(k), Mapping) else v
    return out


def plain_data(value: Any) -> Any:
    """YAML/JSON-able form of a config value: dataclasses -> dicts, tuples -> lists."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return plain_data(dataclasses.asdict(value))
    if isinstance(value, Mapping):
        return {str(k): plain_data(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain_data(v) for v in value]
    return value


def read_yaml_mapping(path: Path, what: str, fix: str, referrer: str = "") -> dict[str, Any]:
    """The top-level mapping of the YAML file ``path`` (an empty file is ``{}``).

    ``what`` names the kind of file in errors (``"training config"``); ``fix`` says what to pass
    instead when the file does not exist (``"pass an existing YAML file to --config"``);
    ``referrer`` prefixes that error with where the path came from (``"a.yaml: base: "``).
    """
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise XMemError(f"{referrer}{what} {path} does not exist; {fix}") from None
    except OSError as exc:
        raise XMemError(f"{path}: cannot read {what} ({exc.strerror})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise XMemError(f"{path}: invalid YAML ({' '.join(str(exc).split())}); fix the syntax") from None
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise ConfigError(TOP_LEVEL, f"must be a mapping of keys (a {what}), got a YAML {type(data).__name__}", str(path))
    return dict(data)
