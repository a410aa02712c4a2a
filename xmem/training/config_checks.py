"""Validation of a training configuration (values that depend on several keys, files in use).

Every problem raises :class:`XMemError` as ``<file>: <dotted key>: <what is wrong and the fix>``.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

from xmem.errors import XMemError
from xmem.utils.typed_config import ConfigError

if TYPE_CHECKING:
    from xmem.training.config import StageConfig, TrainConfig

STAGE_NAMES = ("static", "bl30k", "main")
VIDEO_DATASETS = ("davis", "youtube", "bl30k")


def fail(source: str, key: str, detail: str) -> XMemError:
    return ConfigError(key, detail, source)


def _validate_stage(name: str, s: StageConfig, source: str) -> None:
    def bad(key: str, detail: str) -> XMemError:
        return fail(source, f"{name}.{key}", detail)

    for key in ("iterations", "batch_size", "num_ref_frames", "max_objects"):
        if getattr(s, key) < 1:
            raise bad(key, f"must be >= 1, got {getattr(s, key)}")
    if s.num_frames < 2 or s.num_ref_frames >= s.num_frames:
        raise bad("num_ref_frames", f"need 2 <= num_frames and num_ref_frames < num_frames, got {s.num_frames} / {s.num_ref_frames}")
    if s.crop_size < 16 or s.crop_size % 16:
        raise bad("crop_size", f"must be a positive multiple of 16 (the network's stride), got {s.crop_size}")
    if not s.datasets:
        raise bad("datasets", "must name at least one dataset")
    for d in s.datasets:
        if d not in ("static",) + VIDEO_DATASETS:
            raise bad("datasets", f"unknown dataset {d!r}; use static, davis, youtube or bl30k")
    if "static" in s.datasets and len(s.datasets) > 1:
        raise bad("datasets", "static images cannot be mixed with videos in one stage; use a separate stage")
    if s.single_object and s.max_objects != 1:
        raise bad("max_objects", "must be 1 when single_object is true")
    for key in ("lr", "finetune_fraction", "weight_decay", "grad_clip"):
        if getattr(s, key) < 0:
            raise bad(key, f"must be >= 0, got {getattr(s, key)}")
    if list(s.lr_decay_at) != sorted(s.lr_decay_at) or any(not 0 <= f <= 1 + s.finetune_fraction for f in s.lr_decay_at):
        raise bad("lr_decay_at", f"must be increasing fractions of the iterations, got {list(s.lr_decay_at)}")
    b = s.bootstrap
    if not (0 <= b.start <= b.end) or not (0 < b.top_p <= 1):
        raise bad("bootstrap", f"need 0 <= start <= end and 0 < top_p <= 1, got {dataclasses.asdict(b)}")
    c = s.curriculum
    if len(c.max_skip) != len(c.at) + 1 or min(c.max_skip) < 1 or list(c.at) != sorted(c.at):
        raise bad("curriculum", f"need len(max_skip) == len(at) + 1, skips >= 1 and increasing fractions, got "
                                f"{dataclasses.asdict(c)}")


def _check_folder(path: str | None, key: str, source: str, needed_by: str) -> None:
    if path is None:
        raise fail(source, key, f"not set but stage {needed_by!r} uses it; give the dataset folder")
    if not Path(path).expanduser().is_dir():
        raise fail(source, key, f"folder {path} does not exist (needed by stage {needed_by!r}); fix the path")


def validate(config: TrainConfig, source: str, check_paths: bool = True) -> None:
    """Check values that depend on several keys and (``check_paths``) that the files in use exist."""
    from xmem.training.models import MODEL_KINDS

    if config.model not in MODEL_KINDS:
        raise fail(source, "model", f"unknown model {config.model!r}; use one of {sorted(MODEL_KINDS)}")
    if not 0 <= config.deep_update_prob <= 1:
        raise fail(source, "deep_update_prob", f"must be in [0, 1], got {config.deep_update_prob}")
    if config.batchnorm not in ("frozen", "train"):
        raise fail(source, "batchnorm", f"must be frozen or train, got {config.batchnorm!r}")
    if not config.stages:
        raise fail(source, "stages", f"must list at least one stage of {list(STAGE_NAMES)}")
    for name in config.stages:
        if name not in STAGE_NAMES:
            raise fail(source, "stages", f"unknown stage {name!r}; use {list(STAGE_NAMES)}")
    if len(set(config.stages)) != len(config.stages):
        raise fail(source, "stages", f"lists a stage twice: {list(config.stages)}")
    try:
        MODEL_KINDS[config.model].resolve_config(config.network)
    except XMemError as exc:
        raise fail(source, "network", str(exc)) from None
    except (TypeError, ValueError) as exc:
        raise fail(source, "network", f"invalid value ({exc})") from None
    unknown = set(config.pretrained) - {"key_backbone", "value_backbone"}
    if unknown:
        raise fail(source, f"pretrained.{sorted(unknown)[0]}", "unknown key; use key_backbone or value_backbone")
    for key, path in config.pretrained.items():
        if check_paths and not Path(path).expanduser().is_file():
            raise fail(source, f"pretrained.{key}", f"file {path} does not exist")
    if check_paths and config.init_weights is not None and not Path(config.init_weights).expanduser().is_file():
        raise fail(source, "init_weights", f"file {config.init_weights} does not exist")
    if config.data.davis_repeat < 1 or config.data.youtube_frame_step < 1:
        raise fail(source, "data", "davis_repeat and youtube_frame_step must be >= 1")
    r = config.runtime
    if r.device not in ("auto", "cpu", "cuda"):
        raise fail(source, "runtime.device", f"must be auto, cpu or cuda, got {r.device!r}")
    for key in ("log_every", "checkpoint_every"):
        if getattr(r, key) < 1:
            raise fail(source, f"runtime.{key}", f"must be >= 1, got {getattr(r, key)}")
    for key in ("num_workers", "threads", "save_network_every"):
        if getattr(r, key) < 0:
            raise fail(source, f"runtime.{key}", f"must be >= 0, got {getattr(r, key)}")
    for name in config.stages:
        stage = config.stage(name)
        _validate_stage(name, stage, source)
        for dataset in stage.datasets if check_paths else ():
            entry = getattr(config.data, dataset)
            _check_folder(config.data.path(dataset), f"data.{dataset}.root", source, name)
            subset_file = getattr(entry, "subset_file", None)
            if subset_file is not None and not Path(subset_file).expanduser().is_file():
                raise fail(source, f"data.{dataset}.subset_file", f"file {subset_file} does not exist")
