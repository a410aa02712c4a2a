"""Locating and reading ground-truth and predicted masks for evaluation.

Layout: ``ROOT/<sequence>/<frame>.png`` for both ground truth and predictions; a
dataset root holding ``Annotations/`` (or ``Annotations/480p/``, DAVIS) is accepted too.
Every problem is reported as :class:`~xmem.errors.XMemError` naming the file.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable

import numpy as np
from PIL import Image

from xmem.errors import XMemError
from xmem.utils.masks import read_index_mask


def resolve_annotation_root(root: str | os.PathLike, option: str = "--gt") -> Path:
    """The directory whose sub-directories are sequences: ``root``, ``root/Annotations`` or
    ``root/Annotations/480p``."""
    root = Path(root)
    if not root.is_dir():
        raise XMemError(f"{option} {root}: directory not found; pass the folder holding one sub-folder per sequence")
    annotations = root / "Annotations"
    if annotations.is_dir():
        return annotations / "480p" if (annotations / "480p").is_dir() else annotations
    return root


def read_sequence_list(path: str | os.PathLike) -> list[str]:
    """Sequence names from a text file, one per line (blank lines and ``#`` comments skipped)."""
    path = Path(path)
    try:
        lines = path.read_text().splitlines()
    except OSError as exc:
        raise XMemError(f"--sequences {path}: cannot read the sequence list ({exc.strerror})") from None
    names = [line.split("#", 1)[0].strip() for line in lines]
    names = [name for name in names if name]
    if not names:
        raise XMemError(f"--sequences {path}: the file lists no sequences; write one sequence name per line")
    return names


def list_sequences(gt_root: Path, sequences: Iterable[str] | str | os.PathLike | None = None) -> list[str]:
    """Sequences to evaluate: the given names (a list, a file listing them, or one name)
    or every sub-directory of ``gt_root`` in sorted order."""
    if sequences is None:
        names = sorted(p.name for p in gt_root.iterdir() if p.is_dir() and not p.name.startswith("."))
        if not names:
            raise XMemError(f"--gt {gt_root}: no sequence folders found; expected <sequence>/<frame>.png inside it")
        return names
    if isinstance(sequences, (str, os.PathLike)):
        if isinstance(sequences, str) and not Path(sequences).is_file() and (gt_root / sequences).is_dir():
            return [sequences]  # a single sequence name
        return read_sequence_list(sequences)
    names = list(sequences)
    if not names:
        raise XMemError("sequences: empty list of sequences to evaluate")
    return names


def list_frames(sequence_dir: Path) -> list[str]:
    """Sorted frame names (file stems) of the PNG masks in ``sequence_dir``."""
    if not sequence_dir.is_dir():
        raise XMemError(f"{sequence_dir}: ground-truth sequence folder not found; check --gt and --sequences")
    frames = sorted(p.stem for p in sequence_dir.iterdir() if p.suffix.lower() == ".png" and not p.name.startswith("."))
    if not frames:
        raise XMemError(f"{sequence_dir}: no PNG masks in the ground-truth sequence folder")
    return frames


def check_predictions_exist(pred_root: Path, sequence: str, frames: Iterable[str]) -> None:
    """Raise if the predicted sequence folder or any of ``frames`` is missing."""
    seq_dir = pred_root / sequence
    if not seq_dir.is_dir():
        raise XMemError(
            f"{seq_dir}: predicted sequence folder not found; run inference on '{sequence}' or drop it from --sequences"
        )
    present = {p.name for p in seq_dir.iterdir()}
    for frame in frames:
        if f"{frame}.png" not in present:
            raise XMemError(
                f"{seq_dir / (frame + '.png')}: predicted mask missing; every ground-truth frame needs a prediction"
            )


def _decode_into_array(path: str | os.PathLike) -> np.ndarray | None:
    """Decode a palette/grayscale PNG straight into a new ``[H, W]`` uint8 array.

    Pillow decodes into the image memory it finds already attached to the image, so an
    image memory mapped onto a numpy array saves the copy through ``tobytes`` (about a
    fifth of the decoding time). Returns None on anything unusual (other modes, corrupt
    files, a Pillow that allocates its own memory anyway); the caller then uses the
    regular reader, which also produces the error messages.
    """
    try:
        with Image.open(path) as img:
            if img.mode not in ("P", "L"):
                return None
            width, height = img.size
            out = np.empty((height, width), dtype=np.uint8)
            target = Image.frombuffer(img.mode, (width, height), out, "raw", img.mode, 0, 1).im
            img.im = target
            img.load()
            return out if img.im is target else None
    except (OSError, ValueError, SyntaxError, AttributeError, TypeError):
        return None


def read_mask(
    path: str | os.PathLike, expected_shape: tuple[int, int] | None = None, reference: str = ""
) -> np.ndarray:
    """Read an index mask ``[H, W]`` uint8, checking its size against ``expected_shape``."""
    mask = _decode_into_array(path)
    if mask is None:
        mask = read_index_mask(path)  # the regular reader: also raises the XMemError for bad files
    if mask.ndim != 2:
        raise XMemError(f"{path}: mask has shape {mask.shape}; expected a single-channel index mask")
    if expected_shape is not None and mask.shape != tuple(expected_shape):
        against = f" (the size of {reference})" if reference else ""
        raise XMemError(
            f"{path}: mask is {mask.shape[1]}x{mask.shape[0]} (WxH) but {expected_shape[1]}x{expected_shape[0]} "
            f"was expected{against}; predictions must have the ground truth's resolution"
        )
    return mask
