"""YouTube-VOS: local evaluation (J/F on seen and unseen categories, G) and submission zips.

Local ground truth layout: ``GT/Annotations/<video>/<frame>.png`` (the annotated frames)
and ``GT/meta.json`` = ``{"videos": {video: {"objects": {id: {"category": str,
"frames": [frame, ...]}}}}}``.

Choices (documented in docs/evaluation.md):

* an object is scored on every annotated frame *after* its first frame (the first
  element of its ``frames`` list, or the first ground-truth frame showing it), up to and
  including the last annotated frame — the object's first frame is the given reference
  mask, which the YouTube-VOS server does not score;
* per object J and F are means over its scored frames; J-Seen etc. are means over the
  objects of seen / unseen categories; G = mean(J-Seen, F-Seen, J-Unseen, F-Unseen),
  over the groups that have objects;
* predicted ids that are not objects are ignored; ground-truth 255 is background.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd

from xmem.errors import XMemError
from xmem.evaluation.engine import FrameJob, per_frame_table, score_jobs
from xmem.evaluation.inputs import check_predictions_exist, list_frames, list_sequences, read_mask
from xmem.evaluation.metrics import DEFAULT_BOUND_TH
from xmem.evaluation.submission import SUBMISSION_ZIP  # noqa: F401  (re-exported for xmem evaluate)
from xmem.evaluation.results import YOUTUBE_GLOBAL_COLUMNS, YOUTUBE_SEQUENCE_COLUMNS, EvaluationResult

log = logging.getLogger(__name__)


def _load_json(path: Path, option: str) -> dict:
    try:
        with open(path) as f:
            data = json.load(f)
    except FileNotFoundError:
        raise XMemError(f"{option} {path}: file not found") from None
    except (OSError, json.JSONDecodeError) as exc:
        raise XMemError(f"{option} {path}: not a readable JSON file ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("videos"), dict):
        raise XMemError(f"{option} {path}: expected YouTube-VOS meta.json with a top-level 'videos' object")
    return data


def read_youtube_meta(path: str | os.PathLike) -> dict[str, dict[int, tuple[str, str | None]]]:
    """``{video: {object id: (category, first frame or None)}}`` from a YouTube-VOS meta.json."""
    path = Path(path)
    data = _load_json(path, "--meta")
    meta: dict[str, dict[int, tuple[str, str | None]]] = {}
    for video, entry in data["videos"].items():
        objects = {}
        for obj_id, obj in (entry.get("objects") or {}).items():
            if not str(obj_id).isdigit() or not isinstance(obj, dict) or "category" not in obj:
                raise XMemError(f"--meta {path}: video {video} object {obj_id!r} needs an integer id and a 'category'")
            frames = sorted(str(f) for f in obj.get("frames") or [])
            objects[int(obj_id)] = (str(obj["category"]).strip(), frames[0] if frames else None)
        meta[video] = objects
    return meta


def read_seen_categories(path: str | os.PathLike) -> set[str]:
    """Seen (training) categories: a text file with one category per line, or a
    YouTube-VOS training meta.json (every category in it)."""
    path = Path(path)
    if path.suffix.lower() == ".json":
        data = _load_json(path, "--seen-categories")
        return {
            str(obj["category"]).strip()
            for entry in data["videos"].values()
            for obj in (entry.get("objects") or {}).values()
            if isinstance(obj, dict) and "category" in obj
        }
    try:
        lines = path.read_text().splitlines()
    except OSError as exc:
        raise XMemError(f"--seen-categories {path}: cannot read ({exc.strerror})") from None
    seen = {line.strip() for line in lines if line.strip() and not line.startswith("#")}
    if not seen:
        raise XMemError(f"--seen-categories {path}: no categories; list one training category per line")
    return seen


def prediction_root(pred_root: str | os.PathLike) -> Path:
    """``pred_root/Annotations`` when present (XMem's YouTube-VOS output layout), else ``pred_root``."""
    pred_root = Path(pred_root)
    if not pred_root.is_dir():
        raise XMemError(f"--pred {pred_root}: directory not found")
    return pred_root / "Annotations" if (pred_root / "Annotations").is_dir() else pred_root


def _first_frames_from_masks(ann_dir: Path, frames: list[str], missing: set[int]) -> dict[int, str]:
    """First ground-truth frame showing each id in ``missing`` (for meta entries without frames)."""
    found: dict[int, str] = {}
    for frame in frames:
        present = set(np.unique(read_mask(ann_dir / f"{frame}.png")).tolist())
        for obj in missing - found.keys():
            if obj in present:
                found[obj] = frame
        if found.keys() == missing:
            break
    return found


def plan_youtube_jobs(
    ann_root: Path, pred_root: Path, meta: dict[str, dict[int, tuple[str, str | None]]], videos: list[str]
) -> list[FrameJob]:
    """One job per annotated frame that has at least one object past its first frame."""
    jobs: list[FrameJob] = []
    for video in videos:
        if video not in meta:
            raise XMemError(
                f"--meta: video '{video}' is not in meta.json; drop it from --sequences or fix the meta file"
            )
        frames = list_frames(ann_root / video)
        objects = meta[video]
        unknown = {obj for obj, (_, first) in objects.items() if first is None}
        first_frames = {obj: first for obj, (_, first) in objects.items() if first is not None}
        first_frames.update(_first_frames_from_masks(ann_root / video, frames, unknown) if unknown else {})
        for obj in objects:
            if obj not in first_frames:
                log.warning("%s: object %d never appears in the ground truth; not scored", ann_root / video, obj)
            elif not any(f > first_frames[obj] for f in frames):
                log.warning("%s: object %d has no annotated frame after its first; not scored", ann_root / video, obj)
        video_jobs = []
        for frame in frames:
            ids = tuple(sorted(obj for obj, first in first_frames.items() if first < frame))
            if ids:
                video_jobs.append(FrameJob(video, frame, str(ann_root / video / f"{frame}.png"),
                                           str(pred_root / video / f"{frame}.png"), ids, max_pred_id=None))
        check_predictions_exist(pred_root, video, [job.frame for job in video_jobs])
        jobs.extend(video_jobs)
    return jobs


def summarise_youtube(per_frame: pd.DataFrame, meta, seen: set[str], videos: list[str]) -> EvaluationResult:
    """Per-object means and the seen/unseen/G global table."""
    means = per_frame.groupby(["sequence", "object"], sort=False)[["J", "F"]].mean()
    rows = []
    for video in videos:
        for obj in sorted(meta[video]):
            if (video, obj) in means.index:
                category = meta[video][obj][0]
                j, f = means.loc[(video, obj)]
                rows.append((f"{video}_{obj}", category, category in seen, float(j), float(f)))
    if not rows:
        raise XMemError("no objects to evaluate: no object has an annotated frame after its first frame")
    per_sequence = pd.DataFrame(rows, columns=YOUTUBE_SEQUENCE_COLUMNS)
    groups = {}
    for label, selector in (("Seen", per_sequence["Seen"]), ("Unseen", ~per_sequence["Seen"])):
        subset = per_sequence[selector]
        if subset.empty:
            log.warning("no objects of %s categories; J-%s and F-%s are NaN and G averages the other group",
                        label.lower(), label, label)
        groups[f"J-{label}"] = subset["J-Mean"].mean() if not subset.empty else float("nan")
        groups[f"F-{label}"] = subset["F-Mean"].mean() if not subset.empty else float("nan")
    g = float(np.nanmean([groups[c] for c in YOUTUBE_GLOBAL_COLUMNS[1:]]))
    global_table = pd.DataFrame([[g] + [groups[c] for c in YOUTUBE_GLOBAL_COLUMNS[1:]]], columns=YOUTUBE_GLOBAL_COLUMNS)
    return EvaluationResult(global_table, per_sequence, per_frame, mode="youtube")


def evaluate_youtube(
    gt_root: str | os.PathLike,
    pred_root: str | os.PathLike,
    seen_categories: str | os.PathLike | Iterable[str],
    sequences: Iterable[str] | str | os.PathLike | None = None,
    processes: int = 1,
    meta_path: str | os.PathLike | None = None,
    bound_th: float = DEFAULT_BOUND_TH,
) -> EvaluationResult:
    """Evaluate YouTube-VOS predictions against local ground truth.

    Args:
        gt_root: folder holding ``Annotations/<video>/*.png`` and ``meta.json``.
        pred_root: ``<video>/<frame>.png`` (or ``Annotations/<video>/...``) predictions.
        seen_categories: file (text or training meta.json) or collection of seen categories.
        sequences: videos to evaluate (names or a file); default every video folder.
        processes: worker processes.
        meta_path: meta.json location, default ``gt_root/meta.json``.
    """
    gt_root = Path(gt_root)
    ann_root = gt_root / "Annotations"
    if not ann_root.is_dir():
        raise XMemError(
            f"--gt {gt_root}: no Annotations/ folder; YouTube-VOS ground truth is GT/Annotations/<video>/*.png"
        )
    meta = read_youtube_meta(Path(meta_path) if meta_path is not None else gt_root / "meta.json")
    if isinstance(seen_categories, (str, os.PathLike)):
        seen = read_seen_categories(seen_categories)
    else:
        seen = {str(c).strip() for c in seen_categories}
    videos = list_sequences(ann_root, sequences)
    jobs = plan_youtube_jobs(ann_root, prediction_root(pred_root), meta, videos)
    log.info("evaluating %d frames of %d videos (YouTube-VOS, %d process(es))", len(jobs), len(videos), processes)
    scores = score_jobs(jobs, processes=processes, bound_th=bound_th)
    return summarise_youtube(per_frame_table(jobs, scores), meta, seen, videos)


def write_youtube_submission(pred_root: str | os.PathLike, out_zip: str | os.PathLike) -> Path:
    """Zip ``<video>/<frame>.png`` predictions as ``Annotations/<video>/<frame>.png`` (atomically).

    Every PNG header is checked to be a palette or grayscale index mask. Folders whose name starts
    with ``.`` or ``_`` are not videos (``xmem infer`` writes its per-frame CSVs into ``_stats/``).
    """
    from xmem.evaluation.submission import write_mask_archive

    return write_mask_archive(prediction_root(pred_root), out_zip, "Annotations/")
