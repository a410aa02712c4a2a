"""The paper's n-times Long-time Video variants: every video played back and forth.

For a video with sorted frames f_0 .. f_{n-1}, output frame k is source frame c_k with
c_0 = 0 and c_{k+1} = c_k + d, where the direction d starts at +1 and flips whenever c
reaches 0 or n - 1; ``times * n`` frames are written. A source frame's mask (same stem,
``.png``) is carried to every output frame that shows it, so the sparse ground truth is
repeated too. Files are hard links (no image bytes are copied); across file systems the
builder falls back to symbolic links, then to copies. The output is built in a temporary
directory and renamed into place when complete.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

from xmem.errors import XMemError
from xmem.utils.atomic import atomic_dir

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png"})
_DATASET_PARTS = frozenset({"JPEGImages", "Annotations"})


def back_and_forth_indices(n: int, times: int) -> list[int]:
    """Source frame index of every output frame: ``n * times`` indices in ``[0, n)``.

    >>> back_and_forth_indices(3, 2)
    [0, 1, 2, 1, 0, 1]
    """
    if n < 1 or times < 1:
        raise ValueError(f"need n >= 1 and times >= 1, got n={n}, times={times}")
    out = []
    current, step = 0, 1
    for _ in range(n * times):
        out.append(current)
        if n == 1:
            continue
        current += step
        if current in (0, n - 1):
            step = -step
    return out


class _Linker:
    """Hard link, else symbolic link, else copy; remembers the first mode that works."""

    def __init__(self) -> None:
        self.mode = "hardlink"

    def __call__(self, src: Path, dst: Path) -> None:
        if self.mode == "hardlink":
            try:
                os.link(src, dst)
                return
            except OSError as exc:
                log.info("hard links unavailable (%s); using symbolic links", exc.strerror)
                self.mode = "symlink"
        if self.mode == "symlink":
            try:
                os.symlink(os.path.realpath(src), dst)
                return
            except OSError as exc:
                log.info("symbolic links unavailable (%s); copying files", exc.strerror)
                self.mode = "copy"
        shutil.copyfile(src, dst)


def _check_paths(src: Path, dst: Path, times: int) -> None:
    if isinstance(times, bool) or not isinstance(times, int) or times < 1:
        raise XMemError(f"--times must be a positive integer, got {times!r}")
    for part in ("JPEGImages", "Annotations"):
        if not (src / part).is_dir():
            raise XMemError(f"{src / part}: not found; --src must be a dataset folder with JPEGImages/ "
                            f"and Annotations/ (e.g. ROOT/long_video)")
    rsrc, rdst = src.resolve(), dst.resolve()
    if rdst == rsrc or rsrc in rdst.parents or rdst in rsrc.parents:
        raise XMemError(f"{dst}: --dst must be outside --src {src} (and not contain it)")
    if dst.exists():
        if not dst.is_dir():
            raise XMemError(f"{dst}: --dst exists and is not a directory; choose another path")
        extra = sorted(p.name for p in dst.iterdir() if p.name not in _DATASET_PARTS)
        if extra:
            raise XMemError(f"{dst}: --dst exists and holds other files ({', '.join(extra[:3])}); "
                            f"choose a new or empty folder")


def _video_frames(src: Path, video: str) -> list[Path]:
    frames = sorted(p for p in (src / "JPEGImages" / video).iterdir()
                    if p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith("."))
    if not frames:
        raise XMemError(f"{src / 'JPEGImages' / video}: no frames (.jpg/.png) in this video folder")
    if not (src / "Annotations" / video).is_dir():
        raise XMemError(f"{src / 'Annotations' / video}: not found; every video needs an Annotations folder")
    if not (src / "Annotations" / video / f"{frames[0].stem}.png").exists():
        raise XMemError(f"{src / 'Annotations' / video}: no mask {frames[0].stem}.png for the first frame; "
                        f"semi-supervised videos need a first-frame annotation")
    return frames


def extend_dataset(src: str | os.PathLike, dst: str | os.PathLike, times: int) -> dict:
    """Write the ``times``-x back-and-forth variant of dataset ``src`` to ``dst``.

    ``src`` holds ``JPEGImages/<video>/*.jpg`` and ``Annotations/<video>/*.png``; ``dst``
    gets the same layout with frames renamed ``%05d``. Returns a summary
    ``{"videos", "frames", "masks", "link_mode"}``.
    """
    src, dst = Path(src), Path(dst)
    _check_paths(src, dst, times)
    videos = sorted(p.name for p in (src / "JPEGImages").iterdir() if p.is_dir() and not p.name.startswith("."))
    if not videos:
        raise XMemError(f"{src / 'JPEGImages'}: no video folders")
    plan = {video: _video_frames(src, video) for video in videos}
    link = _Linker()
    total_frames = total_masks = 0
    with atomic_dir(dst) as tmp:
        for video, frames in plan.items():
            indices = back_and_forth_indices(len(frames), times)
            width = max(5, len(str(len(indices) - 1)))
            image_dir, mask_dir = tmp / "JPEGImages" / video, tmp / "Annotations" / video
            image_dir.mkdir(parents=True)
            mask_dir.mkdir(parents=True)
            masks = {p.stem: p for p in (src / "Annotations" / video).glob("*.png")}
            for k, c in enumerate(indices):
                frame = frames[c]
                link(frame, image_dir / f"{k:0{width}d}{frame.suffix.lower()}")
                if frame.stem in masks:
                    link(masks[frame.stem], mask_dir / f"{k:0{width}d}.png")
                    total_masks += 1
            total_frames += len(indices)
    log.info("extended %d videos x%d into %s (%d frames, %d masks, %s)", len(videos), times, dst,
             total_frames, total_masks, link.mode)
    return {"videos": len(videos), "frames": total_frames, "masks": total_masks, "link_mode": link.mode}
