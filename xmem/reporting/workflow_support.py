"""Helpers shared by the Snakefile and the workflow scripts (availability, frame sizes)."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from PIL import Image

from xmem.reporting.plan import COPY_MODEL, Run
from xmem.reporting.profile import dataset_layout, model_weights_source


def setting_enabled(setting: str, config: dict) -> bool:
    """Whether a profile runs an inference setting (``inference.settings``: a list, or absent = all)."""
    enabled = config["inference"].get("settings")
    if enabled is None or enabled == "all":
        return True
    name = "ms" if setting.startswith("ms") else setting
    return name == "default" or name in enabled


def run_availability(run: Run, config: dict) -> tuple[bool, str]:
    """(True, "") when the profile can run and score ``run``, else (False, reason)."""
    if not setting_enabled(run.setting, config):
        return False, f"setting {run.setting} is not run in the {config['profile']} profile"
    layout = dataset_layout(run.dataset, config)
    if not layout.data_root:
        return False, layout.reason
    if run.model != COPY_MODEL and config["weights"] == "official":
        path, reason = model_weights_source(run.model, config)
        if path is None:
            return False, reason
    if not layout.scorable:
        return False, layout.reason
    return True, ""


def availability_checker(config: dict) -> Callable[[Run], tuple[bool, str]]:
    return lambda run: run_availability(run, config)


def frame_hw_of(config: dict) -> Callable[[str], int | None]:
    """dataset code -> number of key elements per frame (H/16 * W/16 after padding)."""

    def frame_hw(code: str) -> int | None:
        layout = dataset_layout(code if not code.startswith("LV") else "LV1", config)
        images = Path(layout.data_root) / "JPEGImages"
        first = next((p for p in sorted(images.rglob("*.jpg"))), None) if images.is_dir() else None
        if first is None:
            return None
        with Image.open(first) as img:
            w, h = img.size
        size = config["inference"]["size"]
        if size > 0:
            scale = size / min(h, w)
            h, w = int(h * scale), int(w * scale)
        return -(-h // 16) * -(-w // 16)

    return frame_hw
