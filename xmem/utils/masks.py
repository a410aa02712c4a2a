"""Index-mask image I/O (DAVIS-style palette PNGs).

An index mask is an ``uint8`` array of shape ``[H, W]`` whose values are object ids
(0 = background, 255 = void in DAVIS ground truth).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from xmem.errors import XMemError
from xmem.utils.atomic import atomic_path

DAVIS_PALETTE: bytes = bytes(
    # The standard DAVIS palette: index i -> colour from the bit-interleaving scheme.
    sum(
        (
            [
                sum(((i >> (3 * b + 0)) & 1) << (7 - b) for b in range(8)),
                sum(((i >> (3 * b + 1)) & 1) << (7 - b) for b in range(8)),
                sum(((i >> (3 * b + 2)) & 1) << (7 - b) for b in range(8)),
            ]
            for i in range(256)
        ),
        [],
    )
)


def read_index_mask(path: str | os.PathLike) -> np.ndarray:
    """Read a palette (mode ``P``) or grayscale (mode ``L``) PNG as an ``[H, W]`` uint8 array.

    RGB masks are rejected: their colours are not object ids.
    """
    path = Path(path)
    try:
        with Image.open(path) as img:
            img.load()
            if img.mode not in ("P", "L"):
                raise XMemError(
                    f"{path}: mask has image mode {img.mode!r}; object masks must be palette (P) or "
                    f"grayscale (L) PNGs whose pixel values are object ids — re-save it as an index PNG"
                )
            return np.array(img, dtype=np.uint8)
    except FileNotFoundError:
        raise XMemError(f"{path}: mask file not found") from None
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise XMemError(f"{path}: cannot read mask image ({exc}); replace the corrupt file") from None


def read_palette(path: str | os.PathLike) -> bytes | None:
    """Return the raw palette (768 bytes) of a palette PNG, or ``None`` if it has none."""
    with Image.open(path) as img:
        palette = img.getpalette()
    if palette is None:
        return None
    return bytes(palette[:768]).ljust(768, b"\0")


def write_index_mask(path: str | os.PathLike, mask: np.ndarray, palette: bytes | None = None) -> None:
    """Write an ``[H, W]`` uint8 index mask as a palette PNG, atomically."""
    if mask.ndim != 2:
        raise ValueError(f"index mask must be 2-D, got shape {mask.shape}")
    img = Image.fromarray(np.ascontiguousarray(mask.astype(np.uint8)), mode="P")
    img.putpalette(palette if palette is not None else DAVIS_PALETTE)
    with atomic_path(path) as tmp:
        img.save(tmp, format="PNG")
