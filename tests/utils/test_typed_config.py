"""The one YAML -> typed-dataclass builder shared by the training and synthetic-data configs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import pytest

from xmem.errors import XMemError
from xmem.utils.typed_config import ConfigError, build, merge_mappings, plain_data, read_yaml_mapping


@dataclass(frozen=True)
class Inner:
    size: tuple[float, float] = (0.1, 0.2)
    names: tuple[str, ...] = ()
    lr: float = 1e-5


@dataclass(frozen=True)
class Outer:
    count: int = 1
    flag: bool = False
    label: str | None = None
    inner: Inner = field(default_factory=Inner)
    table: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.count < 0:
            raise ConfigError("count", "must be >= 0")


def test_builds_typed_values_and_keeps_defaults():
    got = build(Outer, {"count": 3, "inner": {"size": [1, 2], "names": ["a"], "lr": "1e-4"}, "table": {"x": 2}},
                source="t.yaml")
    assert got == Outer(count=3, inner=Inner(size=(1.0, 2.0), names=("a",), lr=1e-4), table={"x": 2})
    assert isinstance(got.inner.size[0], float) and isinstance(got.inner.size, tuple)


def test_missing_nested_keys_come_from_the_defaults_instance():
    defaults = Outer(count=5, inner=Inner(size=(0.5, 0.6), lr=2e-4))
    got = build(Outer, {"inner": {"lr": 3e-4}}, source="t.yaml", defaults=defaults)
    assert got == Outer(count=5, inner=Inner(size=(0.5, 0.6), lr=3e-4))
    # without the instance, the class's own defaults fill in
    assert build(Outer, {"inner": {"lr": 3e-4}}, source="t.yaml") == Outer(inner=Inner(lr=3e-4))


@pytest.mark.parametrize(
    "data, key, detail",
    [
        ({"cont": 1}, "cont", "unknown key; valid keys here are ['count', 'flag', 'label', 'inner', 'table']"),
        ({"count": 1.5}, "count", "must be an integer, got 1.5"),
        ({"count": True}, "count", "must be an integer, got True"),
        ({"flag": 1}, "flag", "must be true or false, got 1"),
        ({"label": 3}, "label", "must be a string, got 3"),
        ({"inner": {"size": [1]}}, "inner.size", "must be a list of 2 values, got [1]"),
        ({"inner": {"size": 1}}, "inner.size", "must be a list, got 1"),
        ({"inner": {"names": ["a", 2]}}, "inner.names[1]", "must be a string, got 2"),
        ({"inner": {"lr": "fast"}}, "inner.lr", "must be a number, got 'fast'"),
        ({"inner": None}, "inner", "must be a mapping of keys, got None"),
        ({"table": {"x": "y"}}, "table.x", "must be an integer, got 'y'"),
    ],
)
def test_errors_name_the_source_and_the_dotted_key(data, key, detail):
    with pytest.raises(ConfigError) as info:
        build(Outer, data, source="t.yaml")
    assert (info.value.key, info.value.detail, str(info.value)) == (key, detail, f"t.yaml: {key}: {detail}")


def test_null_section_means_defaults_only_when_asked():
    assert build(Outer, {"inner": None}, source="t.yaml", none_is_empty=True) == Outer()
    assert build(Outer, None, source="t.yaml", none_is_empty=True) == Outer()
    with pytest.raises(ConfigError, match=r"t\.yaml: <top level>: must be a mapping"):
        build(Outer, None, source="t.yaml")


def test_validation_of_the_dataclass_runs_and_can_be_attributed():
    with pytest.raises(ConfigError) as info:
        build(Outer, {"count": -1}, source="t.yaml")
    assert str(info.value.with_source("t.yaml")) == "t.yaml: count: must be >= 0"


def test_merge_and_plain_data():
    assert merge_mappings({"a": {"b": 1, "c": [1]}, "d": 1}, {"a": {"c": [2]}, "e": 3}) == {
        "a": {"b": 1, "c": [2]}, "d": 1, "e": 3}
    assert plain_data(Outer(inner=Inner(names=("x",)))) == {
        "count": 1, "flag": False, "label": None, "inner": {"size": [0.1, 0.2], "names": ["x"], "lr": 1e-5},
        "table": {}}


def test_read_yaml_mapping_errors(tmp_path):
    path = tmp_path / "c.yaml"
    with pytest.raises(XMemError, match=r"^a\.yaml: base: training config .*c\.yaml does not exist; pass one$"):
        read_yaml_mapping(path, "training config", "pass one", referrer="a.yaml: base: ")
    path.write_text("a: [1\n")
    with pytest.raises(XMemError, match=r"c\.yaml: invalid YAML \(.*\); fix the syntax$"):
        read_yaml_mapping(path, "training config", "pass one")
    path.write_text("- 1\n")
    with pytest.raises(ConfigError, match=r"c\.yaml: <top level>: must be a mapping of keys"):
        read_yaml_mapping(path, "training config", "pass one")
    path.write_text("")
    assert read_yaml_mapping(path, "training config", "pass one") == {}
    path.write_text("a: 1\n")
    assert read_yaml_mapping(path, "training config", "pass one") == {"a": 1}


@dataclass(frozen=True)
class WithChoice:
    amp: bool | Literal["auto"] = False


@pytest.mark.parametrize("value", [True, False, "auto"])
def test_union_takes_the_first_alternative_that_fits(value):
    assert build(WithChoice, {"amp": value}, source="c.yaml").amp == value


@pytest.mark.parametrize("value", ["on", 1, 0, "true", None])
def test_union_error_lists_every_alternative(value):
    with pytest.raises(ConfigError, match=r"c\.yaml: amp: must be true or false or 'auto'"):
        build(WithChoice, {"amp": value}, source="c.yaml")


@dataclass(frozen=True)
class WithMixedLiteral:
    mode: Literal["x", True] = "x"


@pytest.mark.parametrize(("value", "ok"), [("x", True), (True, True), (1, False), ("True", False)])
def test_literal_matches_type_and_value(value, ok):
    if ok:
        assert build(WithMixedLiteral, {"mode": value}, source="c.yaml").mode == value
    else:
        with pytest.raises(ConfigError, match="mode: must be one of"):
            build(WithMixedLiteral, {"mode": value}, source="c.yaml")
