"""Tiny datasets in the real training layouts (static pairs, DAVIS 2017, YouTube-VOS) for tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from xmem.utils.masks import write_index_mask


def _frame(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    base = rng.integers(0, 255, size=3)
    image = np.empty((height, width, 3), dtype=np.uint8)
    image[:] = base
    noise = rng.integers(-20, 20, size=(height, width, 3))
    return np.clip(image.astype(int) + noise, 0, 255).astype(np.uint8)


def make_static(root: Path, subsets=("salient", "cluttered"), per_subset: int = 4, size: int = 48, seed: int = 0) -> Path:
    """ROOT/<subset>/NAME.jpg + NAME.png (0/255 grayscale mask of a disc)."""
    rng = np.random.default_rng(seed)
    for subset in subsets:
        folder = root / subset
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(per_subset):
            image = _frame(rng, size, size)
            yy, xx = np.mgrid[:size, :size]
            cy, cx, r = rng.integers(size // 3, 2 * size // 3, size=2).tolist() + [size // 4]
            disc = (yy - cy) ** 2 + (xx - cx) ** 2 < r * r
            image[disc] = rng.integers(0, 255, size=3)
            Image.fromarray(image).save(folder / f"img{i:03d}.jpg", quality=95)
            Image.fromarray((disc * 255).astype(np.uint8), mode="L").save(folder / f"img{i:03d}.png")
    return root


def _video(image_dir: Path, mask_dir: Path, frames: int, height: int, width: int, objects: int,
           rng: np.random.Generator, step: int = 1) -> None:
    image_dir.mkdir(parents=True, exist_ok=True)
    mask_dir.mkdir(parents=True, exist_ok=True)
    background = _frame(rng, height, width)
    colours = rng.integers(0, 255, size=(objects, 3))
    starts = rng.integers(0, min(height, width) // 2, size=(objects, 2))
    for f in range(frames):
        image = background.copy()
        mask = np.zeros((height, width), dtype=np.uint8)
        for o in range(objects):
            y0 = int(starts[o, 0] + f % 6)
            x0 = int(starts[o, 1] + 2 * o + f % 5)
            image[y0 : y0 + 12, x0 : x0 + 12] = colours[o]
            mask[y0 : y0 + 12, x0 : x0 + 12] = o + 1
        name = f"{f * step:05d}"
        Image.fromarray(image).save(image_dir / f"{name}.jpg", quality=95)
        write_index_mask(mask_dir / f"{name}.png", mask)


def make_davis(root: Path, videos: int = 2, frames: int = 10, height: int = 48, width: int = 64,
               objects: int = 2, seed: int = 1) -> Path:
    """ROOT/2017/trainval/{JPEGImages,Annotations}/480p/<video>/ + ImageSets/2017/train.txt."""
    rng = np.random.default_rng(seed)
    base = root / "2017" / "trainval"
    names = [f"dv{i}" for i in range(videos)]
    for name in names:
        _video(base / "JPEGImages" / "480p" / name, base / "Annotations" / "480p" / name, frames, height, width,
               objects, rng)
    (base / "ImageSets" / "2017").mkdir(parents=True, exist_ok=True)
    (base / "ImageSets" / "2017" / "train.txt").write_text("\n".join(names) + "\n")
    return root


def make_youtube(root: Path, videos: int = 2, frames: int = 10, height: int = 48, width: int = 64,
                 objects: int = 4, seed: int = 2) -> Path:
    """ROOT/train/{JPEGImages,Annotations}/<video>/ with frames named every 5th."""
    rng = np.random.default_rng(seed)
    for i in range(videos):
        name = f"yt{i}"
        _video(root / "train" / "JPEGImages" / name, root / "train" / "Annotations" / name, frames, height, width,
               objects, rng, step=5)
    return root


def make_all(root: Path) -> dict[str, Path]:
    return {
        "static": make_static(root / "static"),
        "davis": make_davis(root / "DAVIS"),
        "youtube": make_youtube(root / "YouTube"),
    }
