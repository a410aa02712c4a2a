"""Validation rules of :class:`~xmem.data.synth.config.SynthConfig` (raise ``ConfigError``)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from xmem.data.synth.categories import ALL_CATEGORIES
from xmem.utils.typed_config import ConfigError

if TYPE_CHECKING:
    from xmem.data.synth.config import ScenarioConfig, SplitConfig, SynthConfig

MAX_OBJECTS = 8  # annotated objects per video (ids stay far below the void value 255)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def _fail(key: str, detail: str) -> None:
    raise ConfigError(key, detail, "synthetic-data config")


def _int_at_least(key: str, value: int, low: int) -> None:
    if value < low:
        _fail(key, f"must be an integer >= {low}, got {value!r}")


def _prob(key: str, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        _fail(key, f"must be a probability in [0, 1], got {value!r}")


def _range(key: str, pair: tuple, low: float, high: float | None = None) -> None:
    lo, hi = pair
    if lo > hi:
        _fail(key, f"must be [min, max] with min <= max, got {list(pair)!r}")
    if lo < low or (high is not None and hi > high):
        bound = f"[{low}, {high}]" if high is not None else f">= {low}"
        _fail(key, f"values must lie in {bound}, got {list(pair)!r}")


def check_scenario(key: str, s: ScenarioConfig) -> None:
    _range(f"{key}.objects", s.objects, 1, MAX_OBJECTS)
    _range(f"{key}.object_size", s.object_size, 0.02, 0.6)
    _range(f"{key}.speed", s.speed, 0.0, 0.2)
    for name in ("fast_motion_prob", "drift_prob", "drift_return_prob", "twin_prob", "distractor_prob", "occluder_prob",
                 "absence_prob", "late_entry_prob"):
        _prob(f"{key}.{name}", getattr(s, name))
    if not 1.0 <= s.fast_factor <= 20.0:
        _fail(f"{key}.fast_factor", f"must be in [1, 20], got {s.fast_factor!r}")
    _int_at_least(f"{key}.max_distractors", s.max_distractors, 1)
    _int_at_least(f"{key}.max_occluders", s.max_occluders, 1)
    _range(f"{key}.absences", s.absences, 1, 10)
    _range(f"{key}.absence_length", s.absence_length, 0.01, 0.5)
    if s.absences[1] * s.absence_length[1] > 0.8:
        _fail(f"{key}.absence_length", "max absences x max absence_length must leave the object visible "
              f"for >= 20% of the video, got {s.absences[1]} x {s.absence_length[1]}")
    _range(f"{key}.clutter", s.clutter, 0, 20)
    if not 0.0 <= s.camera_pan <= 0.2:
        _fail(f"{key}.camera_pan", f"must be in [0, 0.2], got {s.camera_pan!r}")
    if not 0.0 <= s.illumination_drift <= 0.5:
        _fail(f"{key}.illumination_drift", f"must be in [0, 0.5], got {s.illumination_drift!r}")
    if not 0.0 <= s.noise_std <= 30.0:
        _fail(f"{key}.noise_std", f"must be in [0, 30], got {s.noise_std!r}")


def check_split(key: str, split: SplitConfig, min_frames: int, allow_empty: bool = False) -> None:
    _int_at_least(f"{key}.videos", split.videos, 0 if allow_empty else 1)
    _range(f"{key}.frames", split.frames, min_frames, 100_000)
    check_scenario(f"{key}.scenario", split.scenario)


def _no_late_entry(key: str, split: SplitConfig) -> None:
    if split.scenario.late_entry_prob > 0:
        _fail(f"{key}.scenario.late_entry_prob", "must be 0: in DAVIS and Long-time Video every object "
              "is annotated in the first frame (late entries exist only in YouTube-VOS)")


def check_synth_config(c: SynthConfig) -> None:
    """Raise ``ConfigError`` naming the first bad key of ``c``."""
    for name in ("height", "width"):
        value = getattr(c, name)
        if value < 32 or value % 16:
            _fail(name, f"must be a multiple of 16 and >= 32 (networks downsample by 16), got {value!r}")
    if not 1 <= c.jpeg_quality <= 100:
        _fail("jpeg_quality", f"must be in [1, 100], got {c.jpeg_quality!r}")
    if not 1 <= c.unseen_categories <= len(ALL_CATEGORIES) // 2:
        _fail("unseen_categories", f"must be in [1, {len(ALL_CATEGORIES) // 2}] "
              f"(there are {len(ALL_CATEGORIES)} categories), got {c.unseen_categories!r}")
    if not 0.0 < c.min_visible_fraction <= 0.05:
        _fail("min_visible_fraction", f"must be in (0, 0.05], got {c.min_visible_fraction!r}")

    st = c.static
    if not st.subsets:
        _fail("static.subsets", "must name at least one subset")
    for i, name in enumerate(st.subsets):
        if not _NAME.match(name):
            _fail(f"static.subsets[{i}]", f"must be a plain folder name (letters, digits, _ . -), got {name!r}")
    if len(set(st.subsets)) != len(st.subsets):
        _fail("static.subsets", f"names must be unique, got {list(st.subsets)!r}")
    _int_at_least("static.images_per_subset", st.images_per_subset, 1)
    for name in ("height", "width"):
        _int_at_least(f"static.{name}", getattr(st, name), 32)
    _range("static.object_size", st.object_size, 0.05, 0.6)

    d = c.davis
    for split in ("train", "val", "test_dev"):
        check_split(f"davis.{split}", getattr(d, split), min_frames=3)
        _no_late_entry(f"davis.{split}", getattr(d, split))
    if not 0 <= d.single_object_val_videos <= d.val.videos:
        _fail("davis.single_object_val_videos", f"must be in [0, davis.val.videos={d.val.videos}], "
              f"got {d.single_object_val_videos!r}")
    if not 0 <= d.void_band_rows <= c.height // 4:
        _fail("davis.void_band_rows", f"must be in [0, height/4={c.height // 4}], got {d.void_band_rows!r}")
    _prob("davis.void_frame_fraction", d.void_frame_fraction)

    for name in ("youtube2018", "youtube2019"):
        yt = getattr(c, name)
        _int_at_least(f"{name}.frame_step", yt.frame_step, 1)
        check_split(f"{name}.train", yt.train, min_frames=3 * yt.frame_step)
        check_split(f"{name}.valid", yt.valid, min_frames=3 * yt.frame_step)
        _prob(f"{name}.unseen_video_fraction", yt.unseen_video_fraction)

    lv = c.long_video
    if not lv.lengths:
        _fail("long_video.lengths", "must list at least one video length")
    _int_at_least("long_video.gt_every", lv.gt_every, 1)
    for name in ("height", "width"):
        value = getattr(lv, name)
        if value and (value < 32 or value % 16):
            _fail(f"long_video.{name}", f"must be 0 (the benchmark's {name}) or a multiple of 16 >= 32, got {value!r}")
    for i, length in enumerate(lv.lengths):
        _int_at_least(f"long_video.lengths[{i}]", length, max(3, 2 * lv.gt_every))
    check_scenario("long_video.scenario", lv.scenario)
    if lv.scenario.late_entry_prob > 0:
        _fail("long_video.scenario.late_entry_prob", "must be 0: every Long-time Video object is "
              "annotated in the first frame")

    bl = c.bl30k
    check_split("bl30k.train", bl.train, min_frames=3, allow_empty=True)
    for name in ("height", "width"):
        value = getattr(bl, name)
        if value and (value < 32 or value % 16):
            _fail(f"bl30k.{name}", f"must be 0 (the benchmark's {name}) or a multiple of 16 >= 32, got {value!r}")
