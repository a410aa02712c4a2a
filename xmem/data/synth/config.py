"""Configuration of the synthetic benchmark: frozen dataclasses, YAML loading, validation.

The dataclass defaults ARE the default profile (``config/synth/default.yaml`` restates them);
a YAML file overrides any subset of keys. Every problem is reported as an
:class:`~xmem.errors.XMemError` naming the dotted key (e.g. ``davis.val.videos``).
Sizes of objects, speeds and pans are fractions of the frame so that one scenario works
at any resolution.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xmem.utils.typed_config import ConfigError, build, plain_data, read_yaml_mapping


@dataclass(frozen=True)
class ScenarioConfig:
    """What happens in the videos of one split (probabilities are per video unless noted).

    Video-level features (``*_prob`` except ``drift_prob``) are stratified: a split of N
    videos has exactly ``max(1, round(p*N))`` videos with the feature when ``p > 0``.
    """

    objects: tuple[int, int] = (1, 3)  # annotated objects per video (min, max)
    object_size: tuple[float, float] = (0.12, 0.26)  # object radius / min(H, W)
    speed: tuple[float, float] = (0.006, 0.016)  # typical speed, frame widths per frame
    fast_motion_prob: float = 0.2  # one object moves fast_factor times faster
    fast_factor: float = 3.0
    drift_prob: float = 0.4  # per object: gradual colour/scale/rotation change
    drift_return_prob: float = 0.0  # per drifting object: the drift reverses, the first look comes back
    twin_prob: float = 0.2  # two annotated objects look identical (different ids)
    distractor_prob: float = 0.3  # unannotated look-alikes of annotated objects
    max_distractors: int = 2
    occluder_prob: float = 0.4  # unannotated foreground occluders (bars / slabs)
    max_occluders: int = 2
    absence_prob: float = 0.2  # objects leave the frame and come back (one, others with p=0.3)
    absences: tuple[int, int] = (1, 1)  # number of absences of that object
    absence_length: tuple[float, float] = (0.15, 0.35)  # each absence, fraction of video length
    late_entry_prob: float = 0.0  # an object enters mid-video (YouTube-VOS only)
    clutter: tuple[int, int] = (2, 5)  # static object-like shapes painted into the background
    camera_pan: float = 0.03  # camera pan amplitude, fraction of frame size
    illumination_drift: float = 0.0  # max relative change of per-channel gain over the video
    noise_std: float = 2.0  # per-frame sensor noise (grey levels)


@dataclass(frozen=True)
class SplitConfig:
    videos: int
    frames: tuple[int, int]  # video length range (source frames)
    scenario: ScenarioConfig = field(default_factory=ScenarioConfig)


def _split(videos: int, frames: tuple[int, int], **scenario: Any) -> Any:
    return field(default_factory=lambda: SplitConfig(videos, frames, ScenarioConfig(**scenario)))


@dataclass(frozen=True)
class StaticConfig:
    subsets: tuple[str, ...] = ("salient", "cluttered")  # 'cluttered' adds background clutter
    images_per_subset: int = 300
    height: int = 160
    width: int = 160
    object_size: tuple[float, float] = (0.22, 0.4)


@dataclass(frozen=True)
class DavisConfig:
    train: SplitConfig = _split(30, (40, 60))
    val: SplitConfig = _split(10, (40, 60), twin_prob=0.3, distractor_prob=0.4, occluder_prob=0.5,
                              absence_prob=0.3)
    test_dev: SplitConfig = _split(8, (40, 60), objects=(2, 4), twin_prob=0.4, distractor_prob=0.5,
                                   occluder_prob=0.6, absence_prob=0.4, fast_motion_prob=0.3, drift_prob=0.6)
    single_object_val_videos: int = 4  # first N val videos: one object, also the DAVIS-2016 val set
    void_band_rows: int = 2  # rows of void (255) at the top of some val GT frames (0 = none)
    void_frame_fraction: float = 0.1  # fraction of non-first val GT frames with the void band


@dataclass(frozen=True)
class YouTubeConfig:
    train: SplitConfig = _split(60, (60, 120), late_entry_prob=0.3)
    valid: SplitConfig = _split(8, (50, 80), late_entry_prob=0.5, twin_prob=0.3, distractor_prob=0.4,
                                occluder_prob=0.4, absence_prob=0.3)
    frame_step: int = 5  # annotated / released frames are every frame_step-th source frame
    unseen_video_fraction: float = 0.4  # valid videos with >= 1 object of an unseen category


def _youtube2019() -> YouTubeConfig:
    return YouTubeConfig(
        train=SplitConfig(75, (60, 120), ScenarioConfig(late_entry_prob=0.3)),
        valid=SplitConfig(8, (50, 80), ScenarioConfig(late_entry_prob=0.5, twin_prob=0.3,
                                                        distractor_prob=0.4, occluder_prob=0.4,
                                                        absence_prob=0.3)),
    )


@dataclass(frozen=True)
class LongVideoConfig:
    """The Long-time Video stand-in, in the paper's memory regime (config/synth/default.yaml says
    how it was chosen; docs/datasets.md, "The memory regime")."""

    lengths: tuple[int, ...] = (1400,)  # one video per entry
    gt_every: int = 10  # ground truth on frame 0 and every gt_every-th frame
    height: int = 80  # frame size of the long videos (0: the benchmark's height / width)
    width: int = 144
    scenario: ScenarioConfig = field(default_factory=lambda: ScenarioConfig(
        objects=(2, 3), object_size=(0.16, 0.34), speed=(0.003, 0.008), fast_motion_prob=0.34, drift_prob=0.8,
        drift_return_prob=0.5, twin_prob=0.34, distractor_prob=0.67, occluder_prob=0.67, absence_prob=1.0,
        absences=(1, 3), absence_length=(0.1, 0.25), clutter=(3, 6), illumination_drift=0.15))


@dataclass(frozen=True)
class Bl30kConfig:
    """The BL30K stand-in (XMem*'s pretraining, official stage 1): many objects, every frame labelled."""

    train: SplitConfig = _split(24, (24, 40), objects=(4, 8), object_size=(0.08, 0.18), twin_prob=0.0,
                                distractor_prob=0.0, occluder_prob=0.3, absence_prob=0.0, drift_prob=0.3,
                                clutter=(3, 8), noise_std=0.0)
    height: int = 0  # frame size (0: the benchmark's height / width)
    width: int = 0


@dataclass(frozen=True)
class SynthConfig:
    """The whole synthetic benchmark; validated on construction (raises :class:`ConfigError`)."""

    height: int = 128
    width: int = 224
    jpeg_quality: int = 90
    unseen_categories: int = 8  # categories never shown in any training set
    min_visible_fraction: float = 0.003  # an object counts as present above this share of the frame
    static: StaticConfig = field(default_factory=StaticConfig)
    davis: DavisConfig = field(default_factory=DavisConfig)
    youtube2018: YouTubeConfig = field(default_factory=YouTubeConfig)
    youtube2019: YouTubeConfig = field(default_factory=_youtube2019)
    long_video: LongVideoConfig = field(default_factory=LongVideoConfig)
    bl30k: Bl30kConfig = field(default_factory=Bl30kConfig)

    def __post_init__(self) -> None:
        from xmem.data.synth.config_checks import check_synth_config

        check_synth_config(self)


# --------------------------------------------------------------------------- loading


def config_to_dict(config: Any) -> dict:
    """Plain JSON/YAML-able dict of a config dataclass (tuples become lists)."""
    return plain_data(config)


def synth_config_from_dict(overrides: dict | None, source: str = "synthetic-data config") -> SynthConfig:
    """Build a :class:`SynthConfig` from the default profile overridden by ``overrides``."""
    try:
        return build(SynthConfig, overrides or {}, source=source, defaults=SynthConfig())
    except ConfigError as exc:  # the validation of __post_init__ does not know the file
        raise exc.with_source(source) from None


def load_synth_config(path: str | os.PathLike | None) -> SynthConfig:
    """Read a YAML profile (``None`` = the built-in default profile)."""
    if path is None:
        return SynthConfig()
    path = Path(path)
    data = read_yaml_mapping(path, "synthetic-data config", "pass an existing YAML file to --config")
    return synth_config_from_dict(data, source=str(path))
