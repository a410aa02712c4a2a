"""YouTube-VOS stand-ins (2018 and 2019 share the layout, not the content).

Layout under ``YouTube2018/`` (or ``YouTube2019/``)::

    train/JPEGImages/<video>/%05d.jpg      every frame_step-th source frame (names = source index)
    train/Annotations/<video>/%05d.png     all of those frames
    train/meta.json                        {"videos": {vid: {"objects": {"1": {"category", "frames"}}}}}
    valid/JPEGImages/<video>/%05d.jpg      every frame_step-th frame
    valid/Annotations/<video>/%05d.png     only first-appearance masks: the file of frame f holds
                                           exactly the objects that first appear in frame f
    valid/meta.json                        per object: its annotated frames from its first appearance
    all_frames/valid_all_frames/JPEGImages/<video>/%05d.jpg   every source frame
    valid_gt/Annotations/<video>/%05d.png  full ground truth of every annotated frame (local scoring)
    seen_categories.txt                    the categories of the training set, one per line

Objects may enter mid-video; an object's first appearance is the first annotated frame in
which it covers at least ``min_visible_fraction`` of the frame (pixels before that are
unannotated). Ids are numbered 1..K in order of first appearance. Unseen categories never
occur in training.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np

from xmem.data.synth.encode import encode_index_png, encode_jpeg, write_bytes, write_lines
from xmem.data.synth.jobs import Context, Job, job_rng, noise_key, object_counts, plan_features, video_length
from xmem.data.synth.render import render_frame
from xmem.data.synth.scene import SceneRequest, sample_valid_scene

DATASETS = ("YouTube2018", "YouTube2019")
SPLITS = ("train", "valid")


def _config(ctx: Context, dataset: str):
    return ctx.config.youtube2018 if dataset == "YouTube2018" else ctx.config.youtube2019


def video_name(seed: int, dataset: str, split: str, index: int) -> str:
    """A YouTube-like 10-hex-digit id, stable for (seed, dataset, split, index)."""
    return hashlib.blake2b(f"{seed}/{dataset}/{split}/{index}".encode(), digest_size=5).hexdigest()


def plan(ctx: Context, dataset: str) -> list[Job]:
    yt = _config(ctx, dataset)
    jobs = []
    for split in SPLITS:
        cfg = getattr(yt, split)
        unseen = yt.unseen_video_fraction if split == "valid" else 0.0
        features = plan_features(ctx.seed, dataset, split, cfg.videos, cfg.scenario, unseen_fraction=unseen)
        jobs += [Job(dataset, split, i, f) for i, f in enumerate(features)]
    return jobs


def _first_appearances(labels: dict[int, np.ndarray], ids: list[int], min_pixels: int) -> dict[int, int]:
    """Old id -> first annotated frame where it has >= min_pixels (ids never seen are left out)."""
    first: dict[int, int] = {}
    for t in sorted(labels):
        counts = object_counts(labels[t])
        for i in ids:
            if i not in first and counts[i] >= min_pixels:
                first[i] = t
    return first


def build(job: Job, ctx: Context) -> dict:
    c, yt = ctx.config, _config(ctx, job.dataset)
    cfg = getattr(yt, job.split)
    valid = job.split == "valid"
    rng = job_rng(ctx.seed, job)
    length = video_length(rng, cfg.frames)
    min_pixels = ctx.min_pixels(c.height, c.width)
    request = SceneRequest(c.height, c.width, length, cfg.scenario, job.features, ctx.seen,
                           unseen=ctx.unseen if valid else (), noise_key=noise_key(ctx.seed, job))
    scene = sample_valid_scene(rng, request, min_pixels)
    name = video_name(ctx.seed, job.dataset, job.split, job.index)
    annotated = list(range(0, length, yt.frame_step))
    root = ctx.root / job.dataset

    labels: dict[int, np.ndarray] = {}
    for t in range(length) if valid else annotated:
        rgb, lab = render_frame(scene, t)
        jpeg = encode_jpeg(rgb, c.jpeg_quality)
        if valid:
            write_bytes(root / "all_frames" / "valid_all_frames" / "JPEGImages" / name / f"{t:05d}.jpg", jpeg)
        if t % yt.frame_step == 0:
            write_bytes(root / job.split / "JPEGImages" / name / f"{t:05d}.jpg", jpeg)
            labels[t] = lab

    first = _first_appearances(labels, scene.annotated_labels(), min_pixels)
    order = sorted(first, key=lambda i: (first[i], i))
    new_id = {old: k for k, old in enumerate(order, start=1)}
    objects = {}
    for old in order:
        frames = [t for t in annotated if t >= first[old]]
        if not valid:  # training meta lists the frames where the object is visible
            frames = [t for t in frames if object_counts(labels[t])[old] > 0]
        objects[str(new_id[old])] = {"category": scene.category_of(old), "frames": [f"{t:05d}" for t in frames]}
    for t in annotated:
        lut = np.zeros(256, np.uint8)
        for old in order:
            if first[old] <= t:
                lut[old] = new_id[old]
        gt = lut[labels[t]]
        if valid:
            write_bytes(root / "valid_gt" / "Annotations" / name / f"{t:05d}.png", encode_index_png(gt))
            entering = [new_id[old] for old in order if first[old] == t]
            if entering:
                only_new = np.where(np.isin(gt, entering), gt, 0).astype(np.uint8)
                write_bytes(root / "valid" / "Annotations" / name / f"{t:05d}.png", encode_index_png(only_new))
        else:
            write_bytes(root / "train" / "Annotations" / name / f"{t:05d}.png", encode_index_png(gt))
    unseen_names = {cat.name for cat in ctx.unseen}
    return {
        "dataset": job.dataset, "split": job.split, "name": name, "frames": length,
        "annotated_frames": len(annotated), "objects": objects,
        "late_objects": sum(first[old] > 0 for old in order),
        "unseen_objects": sum(o["category"] in unseen_names for o in objects.values()),
        "features": sorted(k for k, v in vars(job.features).items() if v),
    }


def finish(records: list[dict], ctx: Context, dataset: str) -> dict:
    root = ctx.root / dataset
    counts = {}
    for split in SPLITS:
        rows = sorted((r for r in records if r["split"] == split), key=lambda r: r["name"])
        meta = {"videos": {r["name"]: {"objects": r["objects"]} for r in rows}}
        write_bytes(root / split / "meta.json", (json.dumps(meta, indent=1, sort_keys=True) + "\n").encode())
        counts[split] = {
            "videos": len(rows),
            "frames": sum(r["frames"] for r in rows),
            "annotated_frames": sum(r["annotated_frames"] for r in rows),
            "objects": sum(len(r["objects"]) for r in rows),
            "late_objects": sum(r["late_objects"] for r in rows),
            "unseen_objects": sum(r["unseen_objects"] for r in rows),
        }
        if split == "train":
            seen = sorted({o["category"] for r in rows for o in r["objects"].values()})
            write_lines(root / "seen_categories.txt", seen)
            counts["seen_categories"] = len(seen)
    return counts
