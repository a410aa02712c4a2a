"""Where each dataset code of a profile lives, how its videos are read and how it is scored.

The synthetic profile generates everything under ``<data>/synthetic`` (``xmem synth``) and
the n× Long-time Video variants under ``<data>/lv<n>x`` (``xmem extend``); the paper profile
points to real datasets (``datasets:`` in the config). A dataset that a profile lacks, or whose
ground truth is not public (DAVIS test-dev, YouTube-VOS validation), is *unavailable for
scoring*: its table cells stay empty with the reason in the ``note`` column.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from xmem.errors import XMemError
from xmem.evaluation.results import EvaluationResult
from xmem.experiments.settings import is_long, long_times
from xmem.inference.datasets import VideoSpec, list_videos
from xmem.inference.geometry import resized_shape
from xmem.memory.regime import elements_per_frame

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DatasetRef:
    """A dataset on disk as :func:`xmem.inference.datasets.list_videos` reads it."""

    kind: str  # generic, d16, d17, y18, y19, lv
    root: str
    split: str = "val"

    def videos(self, size: int = 480, save: str | None = None) -> list[VideoSpec]:
        return list_videos(self.kind, self.root, self.split, size, save)


@dataclass(frozen=True)
class EvalSpec:
    """How a dataset is scored (the options of ``xmem evaluate``)."""

    mode: str  # davis, lv, youtube
    gt: str
    sequences: str | None = None
    meta: str | None = None
    seen_categories: str | None = None

    def evaluate(self, pred: Path) -> EvaluationResult:
        """Score the masks under ``pred`` (one worker process)."""
        from xmem.evaluation.davis import evaluate_davis, evaluate_long_video
        from xmem.evaluation.youtube import evaluate_youtube

        if self.mode == "youtube":
            return evaluate_youtube(self.gt, pred, self.seen_categories, processes=1, meta_path=self.meta)
        evaluate = evaluate_davis if self.mode == "davis" else evaluate_long_video
        return evaluate(self.gt, pred, sequences=self.sequences, processes=1)

    def score(self, pred: Path, out: Path) -> None:
        """Evaluate ``pred`` into ``out`` (global, per-sequence and per-frame CSVs)."""
        result = self.evaluate(pred)
        result.write(out)
        log.info("%s: %s", out, result.global_table.to_dict("records")[0])


@dataclass(frozen=True)
class DatasetLayout:
    """One dataset code (D16, D17, D17td, Y18, Y19, LV<n>) in a profile."""

    code: str
    ref: DatasetRef | None = None  # None: not configured in this profile
    evaluation: EvalSpec | None = None
    scorable: bool = True
    reason: str = ""  # why it cannot be run / scored
    source: str = ""  # the dataset the n× variant is built from (LV<n>, n > 1)
    server: bool = False  # scored by an evaluation server: runs write its archive (xmem.evaluation.submission)

    @property
    def data_root(self) -> str:
        return self.ref.root if self.ref is not None else ""


def synthetic_root(config: dict) -> str:
    return os.path.join(config["data"], "synthetic")


def long_video_root(config: dict, times: int) -> str:
    if times == 1:
        if config["synthetic"]["enabled"]:
            return os.path.join(synthetic_root(config), "long_video")
        return config["datasets"].get("LV1") or ""
    return os.path.join(config["data"], f"lv{times}x")


def _unconfigured(code: str, name: str) -> DatasetLayout:
    return DatasetLayout(code, scorable=False, reason=f"{name} not configured in this profile")


def dataset_layout(code: str, config: dict) -> DatasetLayout:
    """The layout of a dataset code in a profile (see module docstring)."""
    synthetic = config["synthetic"]["enabled"]
    real = config["datasets"]
    if is_long(code):
        n = long_times(code)
        root = long_video_root(config, n)
        if not root:
            return _unconfigured(code, "Long-time Video")
        source = long_video_root(config, 1) if n > 1 else ""
        return DatasetLayout(code, DatasetRef("lv", root), EvalSpec("lv", os.path.join(root, "Annotations")),
                             source=source)
    if code in ("D16", "D17", "D17td"):
        year = "2016" if code == "D16" else "2017"
        root = os.path.join(synthetic_root(config), "DAVIS", year) if synthetic else real.get(code[:3])
        if not root:
            return _unconfigured(code, f"DAVIS {year}")
        if code == "D16":
            davis17 = os.path.join(os.path.dirname(root.rstrip("/")), "2017")
            return DatasetLayout(code, DatasetRef("d16", root), EvalSpec(
                "davis", os.path.join(root, "Annotations", "480p"),
                sequences=os.path.join(davis17, "trainval", "ImageSets", "2016", "val.txt")))
        if code == "D17":
            return DatasetLayout(code, DatasetRef("d17", root), EvalSpec(
                "davis", os.path.join(root, "trainval", "Annotations", "480p"),
                sequences=os.path.join(root, "trainval", "ImageSets", "2017", "val.txt")))
        testdev = EvalSpec("davis", os.path.join(root, "test-dev-gt", "Annotations", "480p"),
                           sequences=os.path.join(root, "test-dev", "ImageSets", "2017", "test-dev.txt"))
        reason = "" if synthetic else "DAVIS 2017 test-dev ground truth is not public: submit the masks to the evaluation server"
        return DatasetLayout(code, DatasetRef("d17", root, "test-dev"), testdev, scorable=synthetic, reason=reason,
                             server=not synthetic)
    if code in ("Y18", "Y19"):
        root = os.path.join(synthetic_root(config), "YouTube2018" if code == "Y18" else "YouTube2019") if synthetic else real.get(code)
        if not root:
            return _unconfigured(code, f"YouTube-VOS 20{code[1:]}")
        ref = DatasetRef(code.lower(), root)
        meta = os.path.join(root, "valid", "meta.json")
        if synthetic:
            return DatasetLayout(code, ref, EvalSpec("youtube", os.path.join(root, "valid_gt"), meta=meta,
                                                     seen_categories=os.path.join(root, "seen_categories.txt")))
        return DatasetLayout(code, ref, EvalSpec("youtube", "", meta=meta), scorable=False,
                             reason="YouTube-VOS validation ground truth is not public: submit the zip to the evaluation server",
                             server=True)
    raise XMemError(f"unknown dataset code {code!r}")


def key_elements_per_frame(code: str, config: dict, stride: int = 16) -> int | None:
    """Key elements per frame (:func:`~xmem.memory.regime.elements_per_frame` after resizing) of a
    dataset's first frame in a profile, or None when the dataset is absent (Long-time Video: of LV1)."""
    layout = dataset_layout(code if not is_long(code) else "LV1", config)
    images = Path(layout.data_root) / "JPEGImages"
    first = next((p for p in sorted(images.rglob("*.jpg"))), None) if images.is_dir() else None
    if first is None:
        return None
    with Image.open(first) as img:
        w, h = img.size
    return elements_per_frame(*resized_shape(h, w, config["inference"]["size"]), stride)


def check_real_datasets(config: dict) -> None:
    """Fail early, with the option to fix, when a configured dataset path does not exist."""
    if config["synthetic"]["enabled"]:
        return
    for key, path in config["datasets"].items():
        if path and not Path(path).exists():
            raise XMemError(f"config datasets.{key}: {path} does not exist; fix the path or set it to null")
