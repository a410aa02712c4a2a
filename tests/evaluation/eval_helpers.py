"""Helpers for the evaluation tests: writing small index-mask sequences."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from xmem.utils.masks import write_index_mask

DAVIS_FIXTURE = "fixtures/davis-eval"  # in ../shared: davis2017-evaluation's inputs and its CSVs


def write_sequence(root: Path, name: str, masks: list[np.ndarray], frames: list[str] | None = None) -> Path:
    """Write ``masks`` ([H, W] uint8 each) as ``root/name/<frame>.png`` (frames 00000, 00001, ...)."""
    frames = frames or [f"{i:05d}" for i in range(len(masks))]
    for frame, mask in zip(frames, masks):
        write_index_mask(root / name / f"{frame}.png", np.asarray(mask, dtype=np.uint8))
    return root / name


def square(shape: tuple[int, int], top: int, left: int, size: int, value: int = 1, base: np.ndarray | None = None) -> np.ndarray:
    """``base`` (or zeros) with a ``size`` x ``size`` square of ``value`` at (top, left)."""
    mask = np.zeros(shape, dtype=np.uint8) if base is None else base.copy()
    mask[top : top + size, left : left + size] = value
    return mask
