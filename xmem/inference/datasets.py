"""Readers for the dataset layouts ``xmem infer`` understands.

Each reader returns :class:`VideoSpec` records: which frames to process, which annotation
to use as prompt(s), which outputs to write and at which size. Layouts (ROOT = ``--data``):

- generic: ROOT/JPEGImages/<video>/*.jpg, ROOT/Annotations/<video>/*.png (first PNG = prompt)
- d17:     ROOT/{trainval|test-dev}/{JPEGImages,Annotations}/{480p|Full-Resolution}/<video>/,
           list in ROOT/<split dir>/ImageSets/2017/{val|test-dev}.txt (ROOT = DAVIS/2017)
- d16:     ROOT/{JPEGImages,Annotations}/{480p|Full-Resolution}/<video>/ (ROOT = DAVIS/2016);
           list from ROOT/../2017/trainval/ImageSets/2016/val.txt (as the official code) or
           ROOT/ImageSets/2016/val.txt
- y18/y19: ROOT/all_frames/{valid|test}_all_frames/JPEGImages/<video>/ (all frames; falls back to
           ROOT/{valid|test}/JPEGImages), masks ROOT/{valid|test}/Annotations/<video>/ (every mask
           is used: objects enter mid-video), required outputs from ROOT/{valid|test}/meta.json
- lv:      ROOT/JPEGImages/<video>/, ROOT/Annotations/<video>/ (sparse ground truth; the first
           PNG is the prompt)
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

from xmem.errors import XMemError

log = logging.getLogger(__name__)

DATASETS = ("generic", "d16", "d17", "y18", "y19", "lv")
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png")


@dataclass(frozen=True)
class FrameSpec:
    name: str  # frame name without extension; output is <name>.png
    image: Path
    mask: Path | None  # annotation to feed on this frame (prompt), if any
    save: bool  # write the predicted mask for this frame


@dataclass(frozen=True)
class VideoSpec:
    name: str
    frames: tuple[FrameSpec, ...]
    palette_source: Path  # first annotation: its palette is reused for the outputs
    size_source_dir: Path | None = None  # frames here give the output size (DAVIS full-res → 480p)
    ignore_ids: tuple[int, ...] = (0, 255)  # ids in annotations that are not objects


def _sorted_files(folder: Path, extensions: tuple[str, ...]) -> list[Path]:
    if not folder.is_dir():
        raise XMemError(f"{folder}: folder not found; check --data and --dataset")
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in extensions and not p.name.startswith("."))


def _read_list(path: Path) -> list[str]:
    if not path.is_file():
        raise XMemError(f"{path}: video list not found; check --data / --split")
    return sorted({line.split()[0].strip("/").split("/")[-2] if "/" in line else line.strip()
                   for line in path.read_text().splitlines() if line.strip()})


def _video(
    name: str,
    image_dir: Path,
    mask_dir: Path,
    *,
    all_masks: bool,
    save: str,
    required: set[str] | None = None,
    size_source_dir: Path | None = None,
    ignore_ids: tuple[int, ...] = (0, 255),
) -> VideoSpec:
    images = _sorted_files(image_dir, IMAGE_EXTENSIONS)
    if not images:
        raise XMemError(f"{image_dir}: no frames (.jpg/.png) in this video folder")
    masks = {p.stem: p for p in _sorted_files(mask_dir, (".png",))}
    if not masks:
        raise XMemError(f"{mask_dir}: no annotation PNG for video {name!r}; the first PNG is the prompt")
    first_mask = min(masks)
    frame_names = {p.stem for p in images}
    if first_mask not in frame_names:
        raise XMemError(f"{mask_dir / (first_mask + '.png')}: prompt has no matching frame in {image_dir}")
    frames = []
    for img in images:
        stem = img.stem
        use_mask = stem in masks and (all_masks or stem == first_mask)
        if save == "all":
            keep = True
        elif save == "annotated":
            keep = stem in masks
        else:  # required
            keep = required is None or stem in required
        frames.append(FrameSpec(stem, img, masks[stem] if use_mask else None, keep))
    return VideoSpec(name, tuple(frames), masks[first_mask], size_source_dir, ignore_ids)


def list_videos(
    dataset: str, root: str | Path, split: str = "val", size: int = 480, save: str | None = None
) -> list[VideoSpec]:
    """Enumerate the videos of a dataset.

    Args:
        dataset: one of :data:`DATASETS`.
        root: dataset root (``--data``).
        split: ``val`` or ``test-dev``.
        size: the processing size; DAVIS reads 480p frames when 480, full resolution otherwise.
        save: which frames get an output mask: ``all``, ``annotated`` (frames with ground
            truth) or ``required`` (YouTube-VOS meta.json); default per dataset.
    """
    root = Path(root)
    if not root.is_dir():
        raise XMemError(f"{root}: dataset root not found; pass an existing folder to --data")
    if dataset not in DATASETS:
        raise XMemError(f"--dataset {dataset!r} is unknown; choose one of {', '.join(DATASETS)}")
    if split not in ("val", "test-dev"):
        raise XMemError(f"--split {split!r} is unknown; choose val or test-dev")
    if dataset in ("generic", "lv"):
        save = save or "all"
        names = [p.name for p in sorted((root / "JPEGImages").iterdir()) if p.is_dir()] if (root / "JPEGImages").is_dir() else []
        if not names:
            raise XMemError(f"{root / 'JPEGImages'}: no video folders; expected ROOT/JPEGImages/<video>/*.jpg")
        # generic: every non-zero id is an object, 255 included (void 255 is a DAVIS/YouTube convention)
        ignore_ids = (0,) if dataset == "generic" else (0, 255)
        return [
            _video(n, root / "JPEGImages" / n, root / "Annotations" / n, all_masks=False, save=save,
                   ignore_ids=ignore_ids) for n in names
        ]
    if dataset in ("d16", "d17"):
        return _davis_videos(dataset, root, split, size, save or "all")
    return _youtube_videos(root, split, save or "required")


def _davis_videos(dataset: str, root: Path, split: str, size: int, save: str) -> list[VideoSpec]:
    if dataset == "d17":
        base = root / ("trainval" if split == "val" else "test-dev")
        imageset = base / "ImageSets" / "2017" / ("val.txt" if split == "val" else "test-dev.txt")
    else:
        if split != "val":
            raise XMemError("DAVIS 2016 has no test-dev split; use --split val")
        base = root
        candidates = [root.parent / "2017" / "trainval" / "ImageSets" / "2016" / "val.txt",
                      root / "ImageSets" / "2016" / "val.txt", root / "ImageSets" / "480p" / "val.txt"]
        imageset = next((c for c in candidates if c.is_file()), candidates[0])
    resolution = "480p"
    if size != 480:
        resolution = next((r for r in ("Full-Resolution", "1080p") if (base / "JPEGImages" / r).is_dir()), "480p")
        if resolution == "480p":
            log.warning("%s: no full-resolution frames; reading 480p", base)
    videos = []
    for name in _read_list(imageset):
        videos.append(
            _video(
                name,
                base / "JPEGImages" / resolution / name,
                base / "Annotations" / resolution / name,
                all_masks=False,
                save=save,
                size_source_dir=base / "JPEGImages" / "480p" / name,
                # DAVIS 2016 masks are 0/255 (or 0/1): 255 is the object there
                ignore_ids=(0,) if dataset == "d16" else (0, 255),
            )
        )
    return videos


def _youtube_videos(root: Path, split: str, save: str) -> list[VideoSpec]:
    sub = "valid" if split == "val" else "test"
    image_root = root / "all_frames" / f"{sub}_all_frames" / "JPEGImages"
    if not image_root.is_dir():
        log.warning("%s not found; using the sparse frames in %s", image_root, root / sub / "JPEGImages")
        image_root = root / sub / "JPEGImages"
    meta_path = root / sub / "meta.json"
    try:
        meta = json.loads(meta_path.read_text())["videos"]
    except FileNotFoundError:
        raise XMemError(f"{meta_path}: YouTube-VOS meta.json not found; check --data and --split") from None
    except (json.JSONDecodeError, KeyError) as exc:
        raise XMemError(f"{meta_path}: not a YouTube-VOS meta.json ({exc})") from None
    videos = []
    for name in sorted(p.name for p in image_root.iterdir() if p.is_dir()):
        if name not in meta:
            raise XMemError(f"{meta_path}: video {name!r} is missing from meta.json")
        required = {f for obj in meta[name]["objects"].values() for f in obj["frames"]}
        videos.append(
            _video(name, image_root / name, root / sub / "Annotations" / name, all_masks=True, save=save,
                   required=required)
        )
    return videos
