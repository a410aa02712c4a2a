"""Trivial reference predictors."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from xmem.inference.datasets import VideoSpec
from xmem.utils.atomic import atomic_dir
from xmem.utils.masks import read_index_mask, read_palette, write_index_mask


def copy_first_frame(video: VideoSpec, out_root: Path) -> None:
    """Write, for every frame to save, the latest annotation seen so far (objects given later,
    e.g. in YouTube-VOS, are pasted on top from their first annotated frame on)."""
    palette = read_palette(video.palette_source)
    current: np.ndarray | None = None
    with atomic_dir(out_root / video.name) as out_dir:
        for frame in video.frames:
            if frame.mask is not None:
                given = read_index_mask(frame.mask)
                given = np.where(given == 255, 0, given) if 255 in video.ignore_ids else given
                current = given if current is None else np.where(given > 0, given, current)
            if frame.save:
                mask = current if current is not None else np.zeros((1, 1), np.uint8)
                if current is None:
                    from PIL import Image

                    with Image.open(frame.image) as img:
                        mask = np.zeros((img.height, img.width), np.uint8)
                write_index_mask(out_dir / f"{frame.name}.png", mask, palette)
