"""Video training data: DAVIS 2017 train, YouTube-VOS train, BL30K, and their mixes.

Layouts (ROOT from the config; the first candidate folder that exists is used):

* DAVIS:    ROOT[/2017][/trainval]/{JPEGImages,Annotations}/480p/<video>/, videos listed in
            .../ImageSets/2017/train.txt
* YouTube:  ROOT[/train_480p | /train]/{JPEGImages,Annotations}/<video>/ (every listed frame
            has a mask; the released train frames are every 5th source frame)
* BL30K:    ROOT/{JPEGImages,Annotations}/<video>/

A clip (official VOSDataset recipe): ``num_frames`` frames drawn one after another, each within
``max_skip`` of an already chosen frame, sorted, reversed with probability 0.5; sequence-level
horizontal flip + random-resized crop (area 36-100%, BL30K 25-100%) + colour jitter (0.1, 0.03,
0.03) + 5% grayscale; per frame an affine warp (rotation 15 deg, shear 10; none for BL30K and in
the fine-tuning tail) and light colour jitter (0.01). Objects are the ids present in the first
frame after augmentation (5 tries to find one); at most ``max_objects`` are kept, chosen at random.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Sequence

import numpy as np
import torchvision.transforms.functional as TF
from PIL import Image
from torch.utils.data import Dataset

from xmem.errors import XMemError
from xmem.training import augment as A
from xmem.training.sampling import SampleKey
from xmem.training.static_data import normalise, one_hot_targets, read_rgb, to_array
from xmem.utils.masks import read_index_mask

log = logging.getLogger(__name__)

FRAME_SUFFIXES = (".jpg", ".jpeg", ".png")
VOID_ID = 255
MAX_TRIALS = 5


@dataclass(frozen=True)
class VideoEntry:
    name: str
    images: tuple[Path, ...]
    masks: tuple[Path, ...]


def _first_existing(candidates: Sequence[Path], required: str, what: str) -> Path:
    for c in candidates:
        if (c / required).is_dir():
            return c
    raise XMemError(f"{candidates[0]}: no {required}/ folder under it or {[str(c) for c in candidates[1:]]}; "
                    f"fix data.{what}.root")


def _read_names(path: Path) -> list[str]:
    if not path.is_file():
        raise XMemError(f"{path}: video list not found; the DAVIS layout needs ImageSets/2017/train.txt")
    return [line.strip() for line in path.read_text().splitlines() if line.strip()]


def list_videos(image_root: Path, mask_root: Path, names: Sequence[str] | None, min_frames: int) -> list[VideoEntry]:
    """Videos with at least ``min_frames`` frames that have a mask (frames without one are dropped)."""
    if names is None:
        names = sorted(p.name for p in image_root.iterdir() if p.is_dir() and not p.name.startswith("."))
    videos = []
    for name in names:
        image_dir, mask_dir = image_root / name, mask_root / name
        if not image_dir.is_dir():
            raise XMemError(f"{image_dir}: listed video folder not found")
        masks = {p.stem: p for p in mask_dir.glob("*.png")} if mask_dir.is_dir() else {}
        frames = sorted(p for p in image_dir.iterdir() if p.suffix.lower() in FRAME_SUFFIXES and p.stem in masks)
        if len(frames) >= min_frames:
            videos.append(VideoEntry(name, tuple(frames), tuple(masks[p.stem] for p in frames)))
    if not videos:
        raise XMemError(f"{image_root}: no video with at least {min_frames} annotated frames")
    log.info("%s: %d of %d videos usable", image_root, len(videos), len(names))
    return videos


def _subset(subset_file: str | None) -> set[str] | None:
    return None if subset_file is None else set(_read_names(Path(subset_file).expanduser()))


def davis_videos(root: str | Path, min_frames: int, subset_file: str | None = None) -> list[VideoEntry]:
    root = Path(root).expanduser()
    base = _first_existing([root / "2017" / "trainval", root / "trainval", root], "JPEGImages/480p", "davis")
    names = _read_names(base / "ImageSets" / "2017" / "train.txt")
    keep = _subset(subset_file)
    names = [n for n in names if keep is None or n in keep]
    return list_videos(base / "JPEGImages" / "480p", base / "Annotations" / "480p", names, min_frames)


def youtube_videos(root: str | Path, min_frames: int, subset_file: str | None = None) -> list[VideoEntry]:
    root = Path(root).expanduser()
    base = _first_existing([root / "train_480p", root / "train", root], "JPEGImages", "youtube")
    videos = list_videos(base / "JPEGImages", base / "Annotations", None, min_frames)
    keep = _subset(subset_file)
    return [v for v in videos if keep is None or v.name in keep]


def bl30k_videos(root: str | Path, min_frames: int, subset_file: str | None = None) -> list[VideoEntry]:
    root = Path(root).expanduser()
    base = _first_existing([root], "JPEGImages", "bl30k")
    videos = list_videos(base / "JPEGImages", base / "Annotations", None, min_frames)
    keep = _subset(subset_file)
    return [v for v in videos if keep is None or v.name in keep]


def sample_frame_indices(rng: np.random.Generator, length: int, num_frames: int, max_skip: int) -> list[int]:
    """Sorted frame indices: each new frame lies within ``max_skip`` of an already chosen one
    (so consecutive chosen frames are at most ``max_skip`` apart). Needs length >= num_frames."""
    jump = max(1, min(length, max_skip))
    chosen = [int(rng.integers(length))]
    candidates: set[int] = set()
    while len(chosen) < num_frames:
        last = chosen[-1]
        candidates.update(range(max(0, last - jump), min(length, last + jump + 1)))
        candidates.difference_update(chosen)
        chosen.append(int(rng.choice(sorted(candidates))))
    return sorted(chosen)


class VideoClipDataset(Dataset):
    """Training clips of one video dataset; indexed by :class:`SampleKey`.

    Args:
        videos: the dataset's videos.
        skip_divisor: the curriculum's max skip is divided by this (YouTube-VOS: 5, since its
            train frames are every 5th source frame).
        is_bl30k: BL30K augmentation (wider crops, no per-frame affine, small-object filter).
    """

    def __init__(self, videos: list[VideoEntry], num_frames: int = 8, crop_size: int = 384, max_objects: int = 3,
                 skip_divisor: int = 1, is_bl30k: bool = False, name: str = "video"):
        self.videos = videos
        self.num_frames = num_frames
        self.crop_size = crop_size
        self.max_objects = max_objects
        self.skip_divisor = skip_divisor
        self.is_bl30k = is_bl30k
        self.name = name

    def __len__(self) -> int:
        return len(self.videos)

    def _load(self, video: VideoEntry, indices: list[int]) -> tuple[list[Image.Image], list[Image.Image]]:
        images, masks = [], []
        for i in indices:
            image = read_rgb(video.images[i])
            mask = Image.fromarray(read_index_mask(video.masks[i]))
            if image.size != mask.size:
                raise XMemError(f"{video.masks[i]}: mask size {mask.size} differs from its frame {image.size}")
            images.append(image)
            masks.append(mask)
        return images, masks

    def _augment(self, images: list[Image.Image], masks: list[Image.Image], rng: np.random.Generator,
                 finetune: bool) -> tuple[np.ndarray, np.ndarray]:
        """Augmented frames [T, 3, S, S] in [0, 1] and label maps [T, S, S] (int64)."""
        size = self.crop_size
        flip = rng.random() < 0.5
        box = A.sample_resized_crop(rng, images[0].height, images[0].width, (0.25, 1.0) if self.is_bl30k else (0.36, 1.0))
        clip_jitter = A.sample_color_jitter(rng, 0.1, 0.03, 0.03, 0.0)
        gray = rng.random() < 0.05
        no_affine = finetune or self.is_bl30k
        out_images, out_labels = [], []
        for image, mask in zip(images, masks):
            if flip:
                image, mask = TF.hflip(image), TF.hflip(mask)
            image = A.resized_crop(image, box, size, A.BILINEAR)
            mask = A.resized_crop(mask, box, size, A.NEAREST)
            image = A.maybe_grayscale(A.apply_color_jitter(image, clip_jitter), gray)
            affine = A.sample_affine(rng, 0 if no_affine else 15, shear=0 if no_affine else 10)
            image = A.apply_affine(image, affine, A.BILINEAR, A.IMAGE_FILL)
            mask = A.apply_affine(mask, affine, A.NEAREST, 0)
            image = A.apply_color_jitter(image, A.sample_color_jitter(rng, 0.01, 0.01, 0.01, 0.0))
            out_images.append(to_array(image))
            out_labels.append(np.asarray(mask, dtype=np.int64))
        return np.stack(out_images), np.stack(out_labels)

    def _good_labels(self, labels: np.ndarray, candidates: list[int]) -> list[int]:
        """BL30K: drop objects that are tiny in frame 0 but large later (official filter,
        thresholds 10^2 / 30^2 / 20^2 pixels at 384x384, scaled to the crop size)."""
        area = (self.crop_size / 384) ** 2
        good = []
        for label in candidates:
            first = int((labels[0] == label).sum())
            if first > 100 * area:
                later = max(int((labels[t] == label).sum()) for t in range(1, min(3, len(labels))))
                if first > 900 * area or later < 400 * area:
                    good.append(label)
        return good

    def __getitem__(self, key: SampleKey) -> dict:
        rng = np.random.default_rng(list(key.seed))
        video = self.videos[key.index]
        max_skip = max(1, key.max_skip // self.skip_divisor)
        objects: list[int] = []
        for _ in range(MAX_TRIALS):
            indices = sample_frame_indices(rng, len(video.images), self.num_frames, max_skip)
            if rng.random() < 0.5:
                indices = indices[::-1]
            images, labels = self._augment(*self._load(video, indices), rng, key.finetune)
            objects = [int(v) for v in np.unique(labels[0]) if v not in (0, VOID_ID)]
            if self.is_bl30k:
                objects = self._good_labels(labels, objects)
            if objects:
                break
        if len(objects) > self.max_objects:
            objects = [int(v) for v in rng.choice(objects, size=self.max_objects, replace=False)]
        return {"images": normalise(images), **one_hot_targets(labels, self.max_objects, objects),
                "name": f"{self.name}/{video.name}", "frame_indices": indices}


class MixedClipDataset(Dataset):
    """Concatenation of clip datasets, each listed ``repeat`` times (official: DAVIS x5 + YouTube)."""

    def __init__(self, parts: Sequence[tuple[Dataset, int]]):
        self.parts = [(d, int(r)) for d, r in parts if len(d) > 0]
        if not self.parts:
            raise XMemError("the training dataset is empty; check the dataset folders in the config")
        self.offsets = np.cumsum([0] + [len(d) * r for d, r in self.parts])

    def __len__(self) -> int:
        return int(self.offsets[-1])

    def __getitem__(self, key: SampleKey) -> dict:
        part = int(np.searchsorted(self.offsets, key.index, side="right")) - 1
        dataset, _ = self.parts[part]
        local = (key.index - int(self.offsets[part])) % len(dataset)
        return dataset[replace(key, index=local)]
