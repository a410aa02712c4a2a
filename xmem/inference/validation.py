"""Checks ``xmem infer`` makes before processing the first video.

Every video's frames and annotations are checked from their file headers (size, image mode:
no decoding, except the prompt, whose objects are counted) and the output folders are made
sure to be writable folders, so that a bad video late in a large dataset fails the run in
seconds, not after hours of work. Policy: fail fast — one bad video stops the run before any
output is written; every bad video is logged, the error line names the first.

The output folder is locked for the whole run (``OUT/.xmem-infer.lock``, a ``flock`` that the
kernel releases when the process ends, even on SIGKILL): a second ``xmem infer`` on the same
``--out`` is refused instead of interleaving its videos with the first one's.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
from PIL import Image, UnidentifiedImageError

from xmem.errors import XMemError
from xmem.inference.datasets import VideoSpec
from xmem.inference.geometry import resized_shape
from xmem.utils.locks import lock_holder, try_lock
from xmem.utils.masks import read_index_mask

log = logging.getLogger(__name__)

OUTPUT_LOCK = ".xmem-infer.lock"


@dataclass(frozen=True)
class VideoCheck:
    """What the headers say about one video."""

    name: str
    num_frames: int
    frame_size: tuple[int, int]  # (height, width) of every frame


def _header(path: Path, kind: str) -> tuple[tuple[int, int], str]:
    """((height, width), mode) from the image header, without decoding the pixels."""
    try:
        with Image.open(path) as img:
            return (img.height, img.width), img.mode
    except FileNotFoundError:
        raise XMemError(f"{path}: {kind} not found") from None
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise XMemError(f"{path}: cannot read {kind} ({exc}); replace or remove the corrupt file") from None


def check_video(video: VideoSpec) -> VideoCheck:
    """Frames of one size, annotations of the frames' size in an index mode, a prompt with an object."""
    first = video.frames[0].image
    size, _ = _header(first, "frame")
    for frame in video.frames:
        frame_size, _ = _header(frame.image, "frame")
        if frame_size != size:
            raise XMemError(
                f"{frame.image}: frame is {frame_size[1]}x{frame_size[0]} but {first.name} is {size[1]}x{size[0]}; "
                "every frame of a video must have the same size — resize or remove it"
            )
        if frame.mask is None:
            continue
        mask_size, mode = _header(frame.mask, "annotation")
        if mode not in ("P", "L"):
            raise XMemError(
                f"{frame.mask}: mask has image mode {mode!r}; object masks must be palette (P) or grayscale (L) "
                "PNGs whose pixel values are object ids — re-save it as an index PNG"
            )
        if mask_size != size:
            raise XMemError(
                f"{frame.mask}: mask is {mask_size[1]}x{mask_size[0]} but frame {frame.image.name} is "
                f"{size[1]}x{size[0]}; annotations must match their frames' size"
            )
    prompt = next(f.mask for f in video.frames if f.mask is not None)
    ids = set(np.unique(read_index_mask(prompt)).tolist()) - set(video.ignore_ids)
    if not ids:
        raise XMemError(f"{prompt}: the prompt annotation contains no object; annotate at least one")
    return VideoCheck(video.name, len(video.frames), size)


def check_videos(videos: list[VideoSpec]) -> list[VideoCheck]:
    """:func:`check_video` for every video; logs every bad one, raises naming the first."""
    checks, problems = [], []
    for video in videos:
        try:
            checks.append(check_video(video))
        except XMemError as exc:
            problems.append(str(exc))
    if problems:
        if len(problems) > 1:
            for problem in problems:
                log.error("%s", problem)
        more = f" (and {len(problems) - 1} more bad videos, listed above)" if len(problems) > 1 else ""
        raise XMemError(f"{problems[0]}{more}; nothing was processed")
    return checks


def log_processing_sizes(checks: list[VideoCheck], size: int) -> None:
    """One line per video with its processing size; a warning when ``--size`` upscales videos."""
    upscaled = []
    for check in checks:
        h, w = check.frame_size
        ph, pw = resized_shape(h, w, size)
        log.info("%s: %d frames of %dx%d, processed at %dx%d (--size %d)", check.name, check.num_frames, w, h, pw, ph, size)
        if ph * pw > h * w:
            upscaled.append((check.name, w, h, pw, ph))
    if upscaled:
        name, w, h, pw, ph = upscaled[0]
        log.warning(
            "%d of %d videos are upscaled by --size %d (e.g. %s: %dx%d -> %dx%d): slower, and less accurate for "
            "networks trained on small frames; pass --size -1 to process them at their native resolution",
            len(upscaled), len(checks), size, name, w, h, pw, ph)


def prepare_output_dir(path: Path, option: str) -> None:
    """Create ``path`` if needed; XMemError naming ``option`` if it is a file or not writable."""
    if path.exists() and not path.is_dir():
        raise XMemError(f"{option} {path}: is a file, not a folder; pass a folder (created if missing)")
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path, prefix=".xmem-write-test."):
            pass
    except OSError as exc:
        raise XMemError(f"{option} {path}: cannot write there ({exc.strerror}); choose a writable folder") from None


@contextlib.contextmanager
def output_lock(out: Path) -> Iterator[None]:
    """Hold ``OUT/.xmem-infer.lock`` for the run; XMemError if another live process holds it."""
    path = out / OUTPUT_LOCK
    try:
        fd = try_lock(path)
    except OSError as exc:
        raise XMemError(f"--out {out}: cannot write there ({exc.strerror}); choose a writable folder") from None
    if fd is None:
        raise XMemError(
            f"--out {out}: another xmem infer (process {lock_holder(path)}) is writing into this folder; "
            "wait for it to finish or choose another --out"
        )
    try:
        yield
    finally:
        os.close(fd)
