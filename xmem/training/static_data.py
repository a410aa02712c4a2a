"""Static-image pretraining data (stage 0): short clips made by deforming still images.

Layout: ROOT/<subset>/**/NAME.jpg with its mask NAME.png next to it (DUTS, ECSSD, HRSOD, BIG,
and FSS-1000's class/NAME.jpg style all follow it; so does the synthetic ``static/`` set).
Masks are binary: palette masks count every non-zero index as object, grayscale masks every
value above half of 255 (or every non-zero value of a 0/1 mask).

Each clip repeats one image ``num_frames`` times with the official augmentation recipe:
sequence-level affine scaling (0.8-1.5) + horizontal flip + colour jitter (0.1, 0.05, 0.05,
0.05) + 5% grayscale; per frame an affine warp (rotation 20 deg, scale 0.9-1.1, shear 10),
shorter side resized to the crop size and a random crop, light colour jitter (0.1, 0.05,
0.05), and with probability 1/3 a thin-plate-spline warp. With ``max_objects > 1`` up to
``max_objects - 1`` other images are pasted on top (official multi-object static mode).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Mapping

import numpy as np
import torch
import torchvision.transforms.functional as TF
from PIL import Image, UnidentifiedImageError
from torch import Tensor
from torch.utils.data import Dataset

from xmem.errors import XMemError
from xmem.inference.transforms import IMAGENET_MEAN, IMAGENET_STD
from xmem.training import augment as A
from xmem.training.sampling import SampleKey

log = logging.getLogger(__name__)

STATIC_IMAGE_SUFFIXES = (".jpg", ".jpeg")
TPS_PROBABILITY = 0.33
TPS_SCALE = 0.02


def read_rgb(path: Path) -> Image.Image:
    """Image file -> loaded RGB PIL image; XMemError naming the file if unreadable."""
    try:
        with Image.open(path) as img:
            return img.convert("RGB")
    except FileNotFoundError:
        raise XMemError(f"{path}: image file not found") from None
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise XMemError(f"{path}: cannot read image ({exc}); replace the corrupt file") from None


def read_binary_mask(path: Path) -> Image.Image:
    """Mask file -> mode-L PIL image of 0/255 (see the module docstring for the rule)."""
    try:
        with Image.open(path) as img:
            mode = img.mode
            array = np.asarray(img if mode in ("P", "L", "1") else img.convert("L"))
    except FileNotFoundError:
        raise XMemError(f"{path}: mask file not found") from None
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise XMemError(f"{path}: cannot read mask ({exc}); replace the corrupt file") from None
    if mode in ("P", "1") or array.max(initial=0) <= 1:
        binary = array > 0
    else:
        binary = array > 127
    return Image.fromarray(binary.astype(np.uint8) * 255)


def to_array(image: Image.Image) -> np.ndarray:
    """PIL image -> float32 array [C, H, W] in [0, 1] (numpy: no torch thread-pool overhead per sample)."""
    array = np.asarray(image, dtype=np.float32) / 255
    return np.ascontiguousarray((array if array.ndim == 3 else array[:, :, None]).transpose(2, 0, 1))


def find_static_pairs(root: str | Path, subsets: Mapping[str, int] | None = None) -> list[tuple[Path, Path]]:
    """(image, mask) pairs of the static datasets, each subset repeated by its multiplier.

    Args:
        root: folder holding one subfolder per subset.
        subsets: subset folder -> repeat count; None = every subfolder once (or ``root`` itself
            when it has no subfolders).
    """
    root = Path(root).expanduser()
    if not root.is_dir():
        raise XMemError(f"{root}: static image folder not found; fix data.static.root")
    if subsets is None:
        folders = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
        subsets = {name: 1 for name in folders} if folders else {".": 1}
    pairs: list[tuple[Path, Path]] = []
    for name, repeat in subsets.items():
        folder = root / name
        if not folder.is_dir():
            raise XMemError(f"{folder}: static subset folder not found; fix data.static.subsets")
        found = []
        for image in sorted(p for p in folder.rglob("*") if p.suffix.lower() in STATIC_IMAGE_SUFFIXES):
            mask = image.with_suffix(".png")
            if mask.is_file():
                found.append((image, mask))
        if not found:
            raise XMemError(f"{folder}: no image/mask pairs (NAME.jpg + NAME.png) in this static subset")
        log.info("static subset %s: %d images x%d", name, len(found), repeat)
        pairs.extend(found * int(repeat))
    return pairs


_MEAN = np.array(IMAGENET_MEAN, dtype=np.float32).reshape(3, 1, 1)
_STD = np.array(IMAGENET_STD, dtype=np.float32).reshape(3, 1, 1)


def normalise(images: np.ndarray) -> Tensor:
    """ImageNet normalisation of [..., 3, H, W] in [0, 1] -> float tensor."""
    return torch.from_numpy(np.ascontiguousarray((images - _MEAN) / _STD, dtype=np.float32))


class StaticClipDataset(Dataset):
    """Deformed still images as training clips; indexed by :class:`SampleKey`.

    A sample is a dict: images [T, 3, S, S] (normalised), masks [T, N, S, S] (one-hot, N =
    max_objects), selector [N], name.
    """

    def __init__(self, pairs: list[tuple[Path, Path]], num_frames: int = 3, crop_size: int = 384, max_objects: int = 1):
        if not pairs:
            raise XMemError("static dataset: no image/mask pairs; check data.static")
        self.pairs = pairs
        self.num_frames = num_frames
        self.crop_size = crop_size
        self.max_objects = max_objects

    def __len__(self) -> int:
        return len(self.pairs)

    def _deformed_frames(self, index: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """One image as T deformed frames: images [T, 3, S, S] in [0, 1], masks [T, 1, S, S] in {0, 1}."""
        image_path, mask_path = self.pairs[index]
        image, mask = read_rgb(image_path), read_binary_mask(mask_path)
        if image.size != mask.size:
            raise XMemError(f"{mask_path}: mask size {mask.size} differs from its image {image.size}")
        fill = A.IMAGE_FILL
        clip_affine = A.sample_affine(rng, 0, scale=(0.8, 1.5))
        image = A.apply_affine(image, clip_affine, A.BILINEAR, fill)
        mask = A.apply_affine(mask, clip_affine, A.BILINEAR, 0)
        if rng.random() < 0.5:
            image, mask = TF.hflip(image), TF.hflip(mask)
        clip_jitter = A.sample_color_jitter(rng, 0.1, 0.05, 0.05, 0.05)
        image = A.maybe_grayscale(A.apply_color_jitter(image, clip_jitter), rng.random() < 0.05)

        size = self.crop_size
        images, masks = [], []
        while len(images) < self.num_frames:
            affine = A.sample_affine(rng, 20, scale=(0.9, 1.1), shear=10)
            frame = A.resize_shorter_side(A.apply_affine(image, affine, A.BILINEAR, fill), size, A.BILINEAR)
            frame_mask = A.resize_shorter_side(A.apply_affine(mask, affine, A.BILINEAR, 0), size, A.BILINEAR)
            top, left = A.sample_crop_position(rng, frame.height, frame.width, size)
            frame = A.crop_or_pad(frame, top, left, size, fill)
            frame_mask = A.crop_or_pad(frame_mask, top, left, size, 0)
            frame = A.apply_color_jitter(frame, A.sample_color_jitter(rng, 0.1, 0.05, 0.05, 0.0))
            if rng.random() < TPS_PROBABILITY:
                maps = A.thin_plate_spline_maps(rng, size, size, scale=TPS_SCALE)
                frame, frame_mask = A.remap(frame, maps), A.remap(frame_mask, maps)
            images.append(to_array(frame))
            masks.append((to_array(frame_mask) > 0.5).astype(np.float32))
        return np.stack(images), np.stack(masks)

    def __getitem__(self, key: SampleKey) -> dict:
        rng = np.random.default_rng(list(key.seed))
        extra = int(rng.integers(self.max_objects))
        indices = [key.index] + [int(i) for i in rng.integers(len(self.pairs), size=extra)]
        merged = None
        labels = np.zeros((self.num_frames, self.crop_size, self.crop_size), dtype=np.int64)
        for slot, index in enumerate(indices):
            images, masks = self._deformed_frames(index, rng)
            merged = images if merged is None else merged * (1 - masks) + images * masks
            labels[masks[:, 0] > 0.5] = slot + 1
        return {"images": normalise(merged), **one_hot_targets(labels, self.max_objects, [v for v in np.unique(labels[0]) if v]),
                "name": self.pairs[key.index][0].stem}


def one_hot_targets(labels: np.ndarray, slots: int, objects: list[int]) -> dict[str, Tensor]:
    """masks [T, slots, H, W] (object k of ``objects`` in slot k) and selector [slots] (at least
    the first slot is marked, as the official datasets do for clips without objects)."""
    masks = np.zeros((labels.shape[0], slots, *labels.shape[1:]), dtype=np.float32)
    for slot, label in enumerate(objects):
        masks[:, slot] = labels == label
    selector = np.zeros(slots, dtype=np.float32)
    selector[: max(1, len(objects))] = 1
    return {"masks": torch.from_numpy(masks), "selector": torch.from_numpy(selector)}
