"""Generation of the whole synthetic benchmark into one root folder, atomically.

The root is built in a temporary sibling folder and renamed into place; ``manifest.json``
(config, seed, versions, per-dataset counts, per-video events) is written last, so its
presence means the benchmark is complete. A root that exists must be empty or an earlier
benchmark (it has a manifest); it is then replaced as a whole.
"""

from __future__ import annotations

import concurrent.futures
import json
import logging
import multiprocessing
import os
import platform
from itertools import repeat
from pathlib import Path
from typing import Iterable

import cv2
import numpy as np
import PIL

import xmem
from xmem.data.synth import bl30k, davis, long_video, static_images, youtube
from xmem.data.synth.categories import split_categories
from xmem.data.synth.config import SynthConfig, config_to_dict
from xmem.data.synth.jobs import Context, Job
from xmem.errors import XMemError
from xmem.utils.atomic import atomic_dir

log = logging.getLogger(__name__)

DATASET_NAMES: tuple[str, ...] = ("static", "DAVIS", "YouTube2018", "YouTube2019", "long_video", "BL30K")
MANIFEST_NAME = "manifest.json"
FORMAT = "xmem-synth/1"
_VIDEO_KEYS = ("split", "name", "frames", "annotated_frames", "objects", "categories", "frames_visible",
               "late_objects", "unseen_objects", "single_object", "void_frames", "absences", "features")


def _plan(name: str, ctx: Context) -> list[Job]:
    if name == "static":
        return static_images.plan(ctx)
    if name == "DAVIS":
        return davis.plan(ctx)
    if name == "long_video":
        return long_video.plan(ctx)
    if name == "BL30K":
        return bl30k.plan(ctx)
    return youtube.plan(ctx, name)


def _build(job: Job, ctx: Context) -> dict:
    if job.dataset == "static":
        return static_images.build(job, ctx)
    if job.dataset == "DAVIS":
        return davis.build(job, ctx)
    if job.dataset == "long_video":
        return long_video.build(job, ctx)
    if job.dataset == "BL30K":
        return bl30k.build(job, ctx)
    return youtube.build(job, ctx)


def _finish(name: str, records: list[dict], ctx: Context) -> dict:
    if name == "static":
        return static_images.finish(records, ctx)
    if name == "DAVIS":
        return davis.finish(records, ctx)
    if name == "long_video":
        return long_video.finish(records, ctx)
    if name == "BL30K":
        return bl30k.finish(records, ctx)
    return youtube.finish(records, ctx, name)


def _video_entry(record: dict) -> dict:
    entry = {k: record[k] for k in _VIDEO_KEYS if k in record}
    if isinstance(entry.get("objects"), dict):  # YouTube: the meta.json objects
        entry["categories"] = {k: v["category"] for k, v in record["objects"].items()}
        entry["objects"] = len(record["objects"])
    return entry


def _resolve_only(only: Iterable[str] | None) -> list[str]:
    if only is None:
        return list(DATASET_NAMES)
    wanted = list(dict.fromkeys(only))
    unknown = [n for n in wanted if n not in DATASET_NAMES]
    if unknown or not wanted:
        raise XMemError(f"--only: unknown dataset {unknown[0] if unknown else '(none)'}; "
                        f"choose from {', '.join(DATASET_NAMES)}")
    return [n for n in DATASET_NAMES if n in wanted]


def _check_out_root(out_root: Path) -> None:
    if out_root.exists():
        if not out_root.is_dir():
            raise XMemError(f"{out_root}: --out exists and is not a directory; choose another path")
        if any(out_root.iterdir()) and not (out_root / MANIFEST_NAME).is_file():
            raise XMemError(f"{out_root}: --out is a non-empty folder without {MANIFEST_NAME} (not a synthetic "
                            f"benchmark); choose a new or empty folder")


def _run_jobs(jobs: list[Job], ctx: Context, processes: int) -> list[dict]:
    if processes == 1 or len(jobs) <= 1:
        return [_build(job, ctx) for job in jobs]
    context = multiprocessing.get_context("spawn")  # safe even if the caller has threads (torch)
    with concurrent.futures.ProcessPoolExecutor(max_workers=processes, mp_context=context) as pool:
        return list(pool.map(_build, jobs, repeat(ctx), chunksize=1))


def versions() -> dict:
    return {"xmem": xmem.__version__, "python": platform.python_version(), "numpy": np.__version__,
            "opencv": cv2.__version__, "pillow": PIL.__version__}


def generate_benchmark(out_root: str | os.PathLike, config: SynthConfig, seed: int,
                       only: Iterable[str] | None = None, processes: int = 1) -> dict:
    """Generate the synthetic benchmark under ``out_root``; returns the manifest.

    ``only`` restricts generation to some of :data:`DATASET_NAMES` (the root then holds only
    those). Output bytes depend only on ``config`` and ``seed`` (not on ``only`` or
    ``processes``) for a given set of library versions.
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise XMemError(f"--seed must be a non-negative integer, got {seed!r}")
    if isinstance(processes, bool) or not isinstance(processes, int) or processes < 1:
        raise XMemError(f"--processes must be a positive integer, got {processes!r}")
    if not isinstance(config, SynthConfig):
        raise XMemError(f"config must be a SynthConfig (see load_synth_config), got {type(config).__name__}")
    names = _resolve_only(only)
    out_root = Path(out_root)
    _check_out_root(out_root)
    seen, unseen = split_categories(seed, config.unseen_categories)
    with atomic_dir(out_root) as tmp:
        ctx = Context(tmp, config, seed, seen, unseen)
        # Longest jobs first so that parallel workers finish together.
        jobs = [job for name in reversed(names) for job in _plan(name, ctx)]
        log.info("generating %s: %d jobs in %d process(es)", ", ".join(names), len(jobs), processes)
        records = _run_jobs(jobs, ctx, processes)
        counts = {}
        for name in names:
            counts[name] = _finish(name, [r for r in records if r["dataset"] == name], ctx)
            log.info("%s: %s", name, json.dumps(counts[name], sort_keys=True))
        manifest = {
            "format": FORMAT,
            "seed": seed,
            "datasets": counts,
            "config": config_to_dict(config),
            "categories": {"seen": [c.name for c in seen], "unseen": [c.name for c in unseen]},
            "versions": versions(),
            "videos": {name: sorted((_video_entry(r) for r in records if r["dataset"] == name and name != "static"),
                                    key=lambda e: (e["split"], e["name"])) for name in names if name != "static"},
        }
        (tmp / MANIFEST_NAME).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return manifest
