"""Where each dataset of a workflow profile lives and how it is run and scored.

The synthetic profile generates everything under ``<data>/synthetic`` (``xmem synth``) and
the n× Long-time Video variants under ``<data>/lv<n>x`` (``xmem extend``); the paper profile
points to real datasets (``datasets:`` in the config). A dataset that a profile lacks, or whose
ground truth is not public (DAVIS test-dev, YouTube-VOS validation), is *unavailable for
scoring*: its table cells stay empty with the reason in the ``note`` column.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from xmem.errors import XMemError
from xmem.reporting.plan import is_long, long_times


@dataclass(frozen=True)
class DatasetLayout:
    """How to run and score one dataset code (D16, D17, D17td, Y18, Y19, LV<n>)."""

    code: str
    infer_args: list[str] = field(default_factory=list)  # --dataset ... --data ... [--split ...]
    data_root: str = ""
    gt: str = ""  # ground-truth annotation root for xmem evaluate
    eval_args: list[str] = field(default_factory=list)  # --mode ... [--sequences ...]
    scorable: bool = True
    reason: str = ""  # why it cannot be run / scored
    source: str = ""  # the dataset the n× variant is built from (LV<n>, n > 1)


def synthetic_root(config: dict) -> str:
    return os.path.join(config["data"], "synthetic")


def long_video_root(config: dict, times: int) -> str:
    if times == 1:
        if config["synthetic"]["enabled"]:
            return os.path.join(synthetic_root(config), "long_video")
        return config["datasets"].get("LV1") or ""
    return os.path.join(config["data"], f"lv{times}x")


def dataset_layout(code: str, config: dict) -> DatasetLayout:
    """The layout of a dataset code in a profile (see module docstring)."""
    synthetic = config["synthetic"]["enabled"]
    real = config["datasets"]
    if is_long(code):
        n = long_times(code)
        root = long_video_root(config, n)
        if not root:
            return DatasetLayout(code, scorable=False, reason="Long-time Video not configured in this profile")
        source = long_video_root(config, 1) if n > 1 else ""
        return DatasetLayout(code, ["--dataset", "lv", "--data", root], root, os.path.join(root, "Annotations"),
                             ["--mode", "lv"], source=source)
    if code in ("D16", "D17", "D17td"):
        key = "D16" if code == "D16" else "D17"
        root = os.path.join(synthetic_root(config), "DAVIS", "2016" if key == "D16" else "2017") if synthetic else real.get(key)
        if not root:
            return DatasetLayout(code, scorable=False, reason=f"DAVIS {'2016' if key == 'D16' else '2017'} not configured in this profile")
        if code == "D16":
            davis17 = os.path.join(os.path.dirname(root.rstrip("/")), "2017")
            return DatasetLayout(code, ["--dataset", "d16", "--data", root], root,
                                 os.path.join(root, "Annotations", "480p"),
                                 ["--mode", "davis", "--sequences",
                                  os.path.join(davis17, "trainval", "ImageSets", "2016", "val.txt")])
        if code == "D17":
            return DatasetLayout(code, ["--dataset", "d17", "--data", root], root,
                                 os.path.join(root, "trainval", "Annotations", "480p"),
                                 ["--mode", "davis", "--sequences",
                                  os.path.join(root, "trainval", "ImageSets", "2017", "val.txt")])
        gt = os.path.join(root, "test-dev-gt", "Annotations", "480p")
        layout = DatasetLayout(code, ["--dataset", "d17", "--split", "test-dev", "--data", root], root, gt,
                               ["--mode", "davis", "--sequences",
                                os.path.join(root, "test-dev", "ImageSets", "2017", "test-dev.txt")])
        if not synthetic:
            return DatasetLayout(**{**layout.__dict__, "scorable": False,
                                    "reason": "DAVIS 2017 test-dev ground truth is not public: submit the masks to the evaluation server"})
        return layout
    if code in ("Y18", "Y19"):
        root = os.path.join(synthetic_root(config), "YouTube2018" if code == "Y18" else "YouTube2019") if synthetic else real.get(code)
        if not root:
            return DatasetLayout(code, scorable=False, reason=f"YouTube-VOS 20{code[1:]} not configured in this profile")
        args = ["--mode", "youtube", "--meta", os.path.join(root, "valid", "meta.json")]
        if synthetic:
            args += ["--seen-categories", os.path.join(root, "seen_categories.txt")]
            return DatasetLayout(code, ["--dataset", "y18" if code == "Y18" else "y19", "--data", root], root,
                                 os.path.join(root, "valid_gt"), args)
        return DatasetLayout(code, ["--dataset", "y18" if code == "Y18" else "y19", "--data", root], root, "", args,
                             scorable=False,
                             reason="YouTube-VOS validation ground truth is not public: submit the zip to the evaluation server")
    raise XMemError(f"unknown dataset code {code!r}")


def check_real_datasets(config: dict) -> None:
    """Fail early, with the option to fix, when a configured dataset path does not exist."""
    if config["synthetic"]["enabled"]:
        return
    for key, path in config["datasets"].items():
        if path and not Path(path).exists():
            raise XMemError(f"config datasets.{key}: {path} does not exist; fix the path or set it to null")


def model_weights_source(model: str, config: dict) -> tuple[str | None, str]:
    """(weights path or None, reason) for a model under ``weights: official``."""
    given = dict(config.get("official_weights") or {})
    if config.get("xmem_weights"):
        given["xmem"] = config["xmem_weights"]
    if config.get("stcn_weights"):
        given["stcn"] = config["stcn_weights"]
    path = given.get(model)
    if path is None:
        return None, f"no released weights given for {model} (weights=official)"
    if not Path(path).is_file():
        raise XMemError(f"weights for {model}: {path} does not exist; fix xmem_weights / stcn_weights / official_weights")
    return path, ""
