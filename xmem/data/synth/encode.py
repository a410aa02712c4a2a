"""Byte-exact image encoding with fixed encoder settings, and plain file writing.

The whole benchmark is generated into a temporary directory that is renamed when complete,
so individual files are written directly (no per-file rename).
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image

from xmem.utils.masks import DAVIS_PALETTE

# PIL JPEG settings: baseline, 4:4:4 chroma (small frames lose too much colour with 4:2:0).
_JPEG_OPTIONS = {"optimize": False, "progressive": False, "subsampling": 0}


def encode_jpeg(rgb: np.ndarray, quality: int) -> bytes:
    """``uint8 [H, W, 3]`` RGB -> JPEG bytes."""
    buf = io.BytesIO()
    img = Image.fromarray(np.ascontiguousarray(rgb, dtype=np.uint8))
    img.save(buf, format="JPEG", quality=quality, **_JPEG_OPTIONS)
    return buf.getvalue()


def encode_index_png(labels: np.ndarray, palette: bytes = DAVIS_PALETTE) -> bytes:
    """``uint8 [H, W]`` object ids -> palette (mode P) PNG bytes with the DAVIS palette."""
    labels = np.ascontiguousarray(labels, dtype=np.uint8)
    img = Image.frombytes("P", (labels.shape[1], labels.shape[0]), labels.tobytes())
    img.putpalette(palette)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def encode_gray_png(mask: np.ndarray) -> bytes:
    """``uint8 [H, W]`` grey values -> grayscale (mode L) PNG bytes."""
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(mask, dtype=np.uint8)).save(buf, format="PNG")
    return buf.getvalue()


def write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def write_lines(path: Path, lines: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{line}\n" for line in lines))
