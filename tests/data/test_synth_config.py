"""Synthetic-benchmark profiles: YAML loading and validation errors naming the bad key."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from xmem.data.synth import ConfigError, SynthConfig, load_synth_config, synth_config_from_dict
from xmem.data.synth.categories import ALL_CATEGORIES, TEXTURE_FAMILIES
from xmem.data.synth.textures import _FAMILIES
from xmem.errors import XMemError

CONFIG_DIR = Path(__file__).resolve().parents[2] / "config" / "synth"


def test_default_yaml_restates_the_builtin_defaults():
    assert load_synth_config(CONFIG_DIR / "default.yaml") == SynthConfig()
    assert load_synth_config(None) == SynthConfig()


def test_smoke_profile_is_tiny():
    cfg = load_synth_config(CONFIG_DIR / "smoke.yaml")
    assert (cfg.height, cfg.width) == (64, 112)
    assert cfg.davis.val.videos == 3 and cfg.davis.single_object_val_videos == 1
    assert cfg.long_video.lengths == (40, 50, 60) and cfg.long_video.gt_every == 10
    # keys not given keep the defaults, including the split-specific scenario defaults
    assert cfg.davis.val.scenario == SynthConfig().davis.val.scenario
    assert cfg.youtube2018.valid.scenario.late_entry_prob == 0.5


def test_overrides_merge_into_nested_defaults():
    cfg = synth_config_from_dict({"davis": {"val": {"scenario": {"twin_prob": 0.9}}}})
    assert cfg.davis.val.scenario.twin_prob == 0.9
    assert cfg.davis.val.scenario.objects == (1, 3)
    assert cfg.davis.val.videos == 10
    assert isinstance(cfg.davis.val.frames, tuple)


@pytest.mark.parametrize(
    "overrides, key",
    [
        ({"davis": {"vall": {"videos": 3}}}, "davis.vall"),
        ({"davis": {"val": {"videos": "ten"}}}, "davis.val.videos"),
        ({"davis": {"val": {"videos": 0}}}, "davis.val.videos"),
        ({"davis": {"val": {"videos": True}}}, "davis.val.videos"),
        ({"youtube2018": {"valid": {"frames": [60, 40]}}}, "youtube2018.valid.frames"),
        ({"youtube2018": {"valid": {"frames": [60]}}}, "youtube2018.valid.frames"),
        ({"youtube2019": {"train": {"frames": [5, 9]}}}, "youtube2019.train.frames"),
        ({"davis": {"train": {"scenario": {"twin_prob": 1.5}}}}, "davis.train.scenario.twin_prob"),
        ({"davis": {"val": {"scenario": {"late_entry_prob": 0.2}}}}, "davis.val.scenario.late_entry_prob"),
        ({"long_video": {"scenario": {"late_entry_prob": 0.2}}}, "long_video.scenario.late_entry_prob"),
        ({"long_video": {"lengths": [500, 10]}}, "long_video.lengths[1]"),
        ({"long_video": {"lengths": []}}, "long_video.lengths"),
        ({"long_video": {"height": 72}}, "long_video.height"),
        ({"long_video": {"width": 16}}, "long_video.width"),
        ({"long_video": {"scenario": {"drift_return_prob": 1.5}}}, "long_video.scenario.drift_return_prob"),
        ({"height": 100}, "height"),
        ({"jpeg_quality": 0}, "jpeg_quality"),
        ({"unseen_categories": 40}, "unseen_categories"),
        ({"davis": {"single_object_val_videos": 11}}, "davis.single_object_val_videos"),
        ({"static": {"subsets": ["a", "a"]}}, "static.subsets"),
        ({"static": {"subsets": ["../up"]}}, "static.subsets[0]"),
        ({"davis": None}, "davis"),
        ({"long_video": {"scenario": {"absences": [3, 3], "absence_length": [0.2, 0.3]}}},
         "long_video.scenario.absence_length"),
    ],
)
def test_bad_values_name_the_key(overrides, key):
    with pytest.raises(ConfigError) as info:
        synth_config_from_dict(overrides)
    assert info.value.key == key
    message = str(info.value)
    assert key in message and "\n" not in message


def test_yaml_errors_name_the_file_and_key(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("davis:\n  val:\n    videos: -2\n")
    with pytest.raises(XMemError, match=r"bad\.yaml: davis\.val\.videos: must be an integer >= 1"):
        load_synth_config(path)
    path.write_text("davis: [1, 2\n")
    with pytest.raises(XMemError, match=r"bad\.yaml: invalid YAML"):
        load_synth_config(path)
    path.write_text("- 1\n- 2\n")
    with pytest.raises(XMemError, match=r"bad\.yaml: <top level>: must be a mapping"):
        load_synth_config(path)
    with pytest.raises(XMemError, match=r"synthetic-data config .*missing\.yaml does not exist"):
        load_synth_config(tmp_path / "missing.yaml")
    path.write_text("")
    assert load_synth_config(path) == SynthConfig()


def test_direct_construction_is_validated():
    with pytest.raises(ConfigError, match="width"):
        SynthConfig(width=40)
    cfg = SynthConfig()
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.height = 64  # type: ignore[misc]


def test_category_catalogue_is_consistent():
    assert set(TEXTURE_FAMILIES) == set(_FAMILIES)
    assert len({c.name for c in ALL_CATEGORIES}) == len(ALL_CATEGORIES) == 42
