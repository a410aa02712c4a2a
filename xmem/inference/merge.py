"""Merging saved probabilities of several runs (multi-scale / flip / multi-r evaluation, App. H).

Each member run wrote ``PROBS/<video>/<frame>.npz`` (``prob`` uint8 [N+1, H, W] = prob*255 at
the output size, ``object_ids``). The merged prediction is the argmax of the average.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from xmem.errors import XMemError
from xmem.inference.datasets import VideoSpec
from xmem.utils.atomic import atomic_dir
from xmem.utils.masks import read_palette, write_index_mask


def _load(path: Path) -> tuple[np.ndarray, np.ndarray]:
    try:
        with np.load(path) as data:
            return data["prob"].astype(np.float32), data["object_ids"]
    except FileNotFoundError:
        raise XMemError(f"{path}: probabilities missing; rerun the member run with --save-probs") from None


def merge_video(video: VideoSpec, prob_roots: list[Path], out_root: Path) -> int:
    """Average the members' probabilities of one video and write index masks; returns frames written."""
    palette = read_palette(video.palette_source)
    frames = sorted(p.stem for p in (prob_roots[0] / video.name).glob("*.npz"))
    with atomic_dir(out_root / video.name) as out_dir:
        for frame in frames:
            total, ids = None, None
            for root in prob_roots:
                prob, member_ids = _load(root / video.name / f"{frame}.npz")
                if ids is not None and not np.array_equal(ids, member_ids):
                    raise XMemError(f"{root / video.name / frame}.npz: object ids {member_ids} differ from {ids}")
                ids = member_ids
                total = prob if total is None else total + prob
            lut = np.concatenate([[0], ids]).astype(np.uint8)
            write_index_mask(out_dir / f"{frame}.png", lut[total.argmax(axis=0)], palette)
    return len(frames)
