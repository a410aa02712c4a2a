"""Submission archives for the evaluation servers of splits whose ground truth is not public.

Formats (as the official XMem ``eval.py`` / ``merge_multi_scale.py`` write them with
``shutil.make_archive``):

* DAVIS 2017 test-dev (CodaLab): ``<video>/<frame>.png`` at the root of the zip;
* YouTube-VOS 2018 / 2019 valid (CodaLab): ``Annotations/<video>/<frame>.png``.

Every PNG header is checked to be a palette or grayscale index mask; the zip is written
atomically (no half-written archive after a failure).
"""

from __future__ import annotations

import logging
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from xmem.errors import XMemError
from xmem.utils.atomic import atomic_path

log = logging.getLogger(__name__)

SUBMISSION_ZIP = "submission.zip"


@dataclass(frozen=True)
class Server:
    """An evaluation server: its archive layout (``prefix`` of every member) and where it is."""

    name: str
    url: str
    prefix: str  # "" (DAVIS) or "Annotations/" (YouTube-VOS)


#: dataset code -> the server that scores it (docs/INFERENCE.md of the official code)
SERVERS: dict[str, Server] = {
    "D17td": Server("DAVIS 2017 test-dev server (CodaLab 20516)",
                    "https://competitions.codalab.org/competitions/20516", ""),
    "Y18": Server("YouTube-VOS 2018 valid server (CodaLab 19544)",
                  "https://competitions.codalab.org/competitions/19544", "Annotations/"),
    "Y19": Server("YouTube-VOS 2019 valid server (CodaLab 20127)",
                  "https://competitions.codalab.org/competitions/20127", "Annotations/"),
}


def write_mask_archive(pred_root: str | os.PathLike, out_zip: str | os.PathLike, prefix: str) -> Path:
    """Zip ``pred_root/<video>/<frame>.png`` as ``<prefix><video>/<frame>.png`` (atomically).

    Folders whose name starts with ``.`` or ``_`` are not videos (``xmem infer`` writes its
    per-frame CSVs into ``_stats/``).
    """
    root = Path(pred_root)
    if not root.is_dir():
        raise XMemError(f"--pred {root}: directory not found")
    videos = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))
    if not videos:
        raise XMemError(f"--pred {root}: no video folders to put in the submission")
    out_zip = Path(out_zip)
    n_files = 0
    with atomic_path(out_zip) as tmp, zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as archive:
        for video in videos:
            pngs = sorted(p for p in video.iterdir() if p.suffix.lower() == ".png")
            if not pngs:
                raise XMemError(f"{video}: no PNG masks in the predicted video folder")
            for png in pngs:
                try:
                    with Image.open(png) as img:
                        mode = img.mode
                except (UnidentifiedImageError, OSError) as exc:
                    raise XMemError(f"{png}: cannot read mask image ({exc}); replace the corrupt file") from None
                if mode not in ("P", "L"):
                    raise XMemError(f"{png}: mask has image mode {mode!r}; submissions need palette (P) index PNGs")
                archive.write(png, f"{prefix}{video.name}/{png.name}")
                n_files += 1
    log.info("wrote %s (%d masks of %d videos)", out_zip, n_files, len(videos))
    return out_zip


def write_submission(dataset: str, pred_root: str | os.PathLike, out_zip: str | os.PathLike) -> Path:
    """The archive of dataset code ``dataset`` (D17td, Y18, Y19) for its server."""
    try:
        server = SERVERS[dataset]
    except KeyError:
        raise XMemError(f"no evaluation server for dataset {dataset!r}; use one of {', '.join(SERVERS)}") from None
    return write_mask_archive(pred_root, out_zip, server.prefix)
