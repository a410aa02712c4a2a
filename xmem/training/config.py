"""Training configuration: frozen dataclasses, YAML loading with inheritance, validation.

A config file is YAML; ``base: other.yaml`` (relative to the file) inherits another file and
overrides it key by key (mappings merge recursively, lists and scalars replace). Unknown keys,
wrong types, impossible values and missing dataset folders raise :class:`XMemError` naming the
file and the dotted key. Relative dataset paths are relative to the working directory.

Every schedule of a stage is expressed in *fractions* of the stage's ``iterations`` (the main
part; the optional fine-tuning tail adds ``finetune_fraction * iterations``), so scaled-down
runs keep the paper's shape. Stage defaults are the official ones (``STAGE_DEFAULTS``):

* static — official stage 0: 150K iterations, batch 16, 3 frames, 2 memory frames, one
  object, single-object value encoder, no lr decay, bootstrapping from 20K to 70K.
* bl30k — official stage 1: 250K iterations, batch 8, 8 frames, lr decay at 200K (0.8),
  curriculum 5/10/15/5 switching at 10/30/80%.
* main — official stage 3 (paper §3.6): 100K + 10K fine-tuning (fewer augmentations) = 110K
  iterations, batch 8, 8 frames, 3 memory frames, up to 3 objects, lr decay at 80K, curriculum
  5/10/15/5 switching at 10/30/90%, bootstrapping from 20K to 70K down to 15%.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import yaml

from xmem.errors import XMemError
from xmem.training.config_checks import STAGE_NAMES, validate
from xmem.utils.precision import AmpSetting
from xmem.utils.typed_config import ConfigError, build, merge_mappings, plain_data, read_yaml_mapping


@dataclass(frozen=True)
class BootstrapConfig:
    """Bootstrapped CE: full CE before ``start``; the kept fraction falls linearly from 1 at
    ``start`` to ``top_p`` at ``end`` (fractions of the stage's iterations)."""

    start: float = 0.2
    end: float = 0.7
    top_p: float = 0.15


@dataclass(frozen=True)
class CurriculumConfig:
    """Maximum frame skip: ``max_skip[0]`` first, ``max_skip[k]`` from fraction ``at[k-1]`` on."""

    max_skip: tuple[int, ...] = (5, 10, 15, 5)
    at: tuple[float, ...] = (0.1, 0.3, 0.9)


@dataclass(frozen=True)
class StageConfig:
    """One training stage. ``batch_size`` is global (split evenly across processes)."""

    datasets: tuple[str, ...] = ("davis", "youtube")
    iterations: int = 100_000
    finetune_fraction: float = 0.1  # extra iterations with fewer augmentations (no affine)
    batch_size: int = 8
    num_frames: int = 8
    num_ref_frames: int = 3
    max_objects: int = 3
    crop_size: int = 384
    single_object: bool = False
    lr: float = 1e-5
    weight_decay: float = 0.05
    lr_decay_at: tuple[float, ...] = (0.8,)
    lr_gamma: float = 0.1
    grad_clip: float = 0.0  # max gradient norm; 0 = off (the official trainer does not clip)
    bootstrap: BootstrapConfig = field(default_factory=BootstrapConfig)
    curriculum: CurriculumConfig = field(default_factory=CurriculumConfig)

    @property
    def finetune_iterations(self) -> int:
        return round(self.iterations * self.finetune_fraction)

    @property
    def total_iterations(self) -> int:
        return self.iterations + self.finetune_iterations

    @property
    def is_static(self) -> bool:
        return tuple(self.datasets) == ("static",)


STAGE_DEFAULTS: dict[str, dict[str, Any]] = {
    "static": dict(datasets=("static",), iterations=150_000, finetune_fraction=0.0, batch_size=16, num_frames=3,
                   num_ref_frames=2, max_objects=1, single_object=True, lr_decay_at=(),
                   bootstrap=dict(start=20_000 / 150_000, end=70_000 / 150_000)),
    "bl30k": dict(datasets=("bl30k",), iterations=250_000, finetune_fraction=0.0, lr_decay_at=(0.8,),
                  bootstrap=dict(start=20_000 / 250_000, end=70_000 / 250_000),
                  curriculum=dict(at=(0.1, 0.3, 0.8))),
    "main": dict(),
}


@dataclass(frozen=True)
class StaticDataConfig:
    """Still images with same-stem masks: ROOT/<subset>/**/NAME.jpg + NAME.png.

    ``subsets`` maps subset folder -> repeat count (official: BIG_small and HRSOD_small x5);
    None uses every subfolder of ``root`` once.
    """

    root: str | None = None
    subsets: dict[str, int] | None = None


@dataclass(frozen=True)
class VideoDataConfig:
    """A video dataset root. ``subset_file``: optional list of video names to keep."""

    root: str | None = None
    subset_file: str | None = None


@dataclass(frozen=True)
class DataConfig:
    """Dataset folders. A relative dataset ``root`` is taken relative to ``data.root`` when that
    is set (so ``--set data.root=...`` moves every dataset at once), else to the working directory."""

    root: str | None = None
    static: StaticDataConfig = field(default_factory=StaticDataConfig)
    davis: VideoDataConfig = field(default_factory=VideoDataConfig)
    youtube: VideoDataConfig = field(default_factory=VideoDataConfig)
    bl30k: VideoDataConfig = field(default_factory=VideoDataConfig)
    davis_repeat: int = 5  # DAVIS listed this many times next to YouTube-VOS (official mix)
    youtube_frame_step: int = 5  # YouTube-VOS train frames are every 5th: skip is divided by this

    def path(self, dataset: str) -> str | None:
        """Resolved folder of ``dataset`` (static, davis, youtube, bl30k), or None if unset."""
        sub = getattr(self, dataset).root
        if sub is None:
            return None
        return str(Path(self.root).expanduser() / sub) if self.root is not None else sub


@dataclass(frozen=True)
class RuntimeConfig:
    device: str = "auto"  # auto | cpu | cuda
    # mixed precision of the forward: CUDA float16 autocast + GradScaler (official), CPU bfloat16
    # autocast (no scaler); weights, optimizer state and the loss stay float32. "auto": on with CUDA
    # or a CPU with native bfloat16, off elsewhere (xmem.utils.precision)
    amp: AmpSetting = False
    num_workers: int = 0  # data-loading workers, total over all processes
    threads: int = 0  # torch CPU threads per process; 0 = leave torch's default
    log_every: int = 10  # iterations per log.csv row (averaged)
    checkpoint_every: int = 100  # iterations between full training states (DIR/checkpoint.pth)
    keep_checkpoint: bool = False  # keep DIR/checkpoint.pth after the run completes (deleted otherwise)
    save_stage_networks: bool = False  # also write DIR/network_<stage>.pth at the end of each stage
    save_network_every: int = 0  # iterations between DIR/network_<stage>_<iter>.pth; 0 = off
    tensorboard: bool = True  # also log to DIR/tensorboard when the package is installed
    progress: bool = True  # tqdm progress bar (only when stderr is a terminal)


@dataclass(frozen=True)
class TrainConfig:
    model: str = "xmem"
    seed: int = 14159265
    deep_update_prob: float = 0.2
    # "frozen": BatchNorm keeps its statistics (official; right for ImageNet-initialised trunks);
    # "train": batch statistics, running averages updated (for trunks trained from random init).
    batchnorm: str = "frozen"
    network: dict[str, Any] = field(default_factory=dict)
    pretrained: dict[str, str] = field(default_factory=dict)  # ImageNet trunks: key_backbone / value_backbone files
    init_weights: str | None = None  # network weights (.pth) the first stage starts from (official --load_network)
    data: DataConfig = field(default_factory=DataConfig)
    stages: tuple[str, ...] = ("static", "main")
    static: StageConfig = field(default_factory=lambda: _default_stage("static"))
    bl30k: StageConfig = field(default_factory=lambda: _default_stage("bl30k"))
    main: StageConfig = field(default_factory=lambda: _default_stage("main"))
    runtime: RuntimeConfig = field(default_factory=RuntimeConfig)

    def stage(self, name: str) -> StageConfig:
        return getattr(self, name)

    def to_dict(self) -> dict[str, Any]:
        """Plain YAML-able data; ``config_from_dict(to_dict())`` rebuilds the same config."""
        return plain_data(dataclasses.asdict(self))


def _default_stage(name: str) -> StageConfig:
    return build(StageConfig, STAGE_DEFAULTS[name], source="defaults", prefix=name)


# --------------------------------------------------------------------------- loading


def _read_yaml(path: Path, chain: tuple[Path, ...]) -> dict[str, Any]:
    if path in chain:
        raise XMemError(f"{chain[-1]}: base: inheritance cycle through {path}")
    referrer = f"{chain[-1]}: base: " if chain else ""
    data = read_yaml_mapping(path, "training config", "pass an existing YAML file", referrer)
    base = data.pop("base", None)
    if base is None:
        return data
    if not isinstance(base, str):
        raise XMemError(f"{path}: base: must be a file name, got {base!r}")
    parent = _read_yaml((path.parent / base).resolve(), chain + (path,))
    return merge_mappings(parent, data)


def parse_override(text: str) -> tuple[list[str], Any]:
    """``a.b.c=VALUE`` -> (['a', 'b', 'c'], yaml value)."""
    if "=" not in text:
        raise XMemError(f"--set {text!r}: expected KEY=VALUE, e.g. main.iterations=100")
    key, raw = text.split("=", 1)
    try:
        value = yaml.safe_load(raw)
    except yaml.YAMLError:
        value = raw
    return key.strip().split("."), value


def config_from_dict(data: Mapping[str, Any], source: str = "training config", check_paths: bool = True) -> TrainConfig:
    """Build and validate a :class:`TrainConfig` from plain data (stage defaults filled in)."""
    data = dict(data)
    data.pop("base", None)
    if data.get("network") is None:
        data["network"] = {}  # `network: null` in a derived file resets the inherited options
    for name in STAGE_NAMES:
        stage_data = data.get(name) or {}
        if not isinstance(stage_data, Mapping):
            raise ConfigError(name, f"must be a mapping, got {stage_data!r}", source)
        data[name] = build(StageConfig, merge_mappings(STAGE_DEFAULTS[name], stage_data), source=source, prefix=name,
                           none_is_empty=True)
    config = build(TrainConfig, data, source=source, none_is_empty=True)
    validate(config, source, check_paths)
    return config


def load_config(path: str | Path, overrides: tuple[str, ...] = (), check_paths: bool = True) -> TrainConfig:
    """Read a training config file (with ``base:`` inheritance) and apply ``--set`` overrides."""
    path = Path(path).resolve()
    data = _read_yaml(path, ())
    for text in overrides:
        keys, value = parse_override(text)
        node = data
        for depth, k in enumerate(keys[:-1]):
            if node.get(k) is None:
                node[k] = {}
            if not isinstance(node[k], dict):
                raise XMemError(f"--set {text}: {'.'.join(keys[: depth + 1])} is not a mapping")
            node = node[k]
        node[keys[-1]] = value
    return config_from_dict(data, str(path), check_paths=check_paths)
