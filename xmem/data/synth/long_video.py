"""Long-time Video stand-in: a few long videos with long absences, sparse ground truth.

Layout (as the real dataset)::

    long_video/JPEGImages/<video>/%05d.jpg
    long_video/Annotations/<video>/%05d.png    frame 0 and every gt_every-th frame

Every object is visible in frame 0. Each video has at least one object that leaves the frame
for a long time (hundreds of frames at the default lengths) and comes back, and the scenario
adds occluders, look-alikes, appearance drift and a slow change of colour tone.
"""

from __future__ import annotations

import numpy as np

from xmem.data.synth.config import SynthConfig
from xmem.data.synth.encode import encode_index_png, encode_jpeg, write_bytes
from xmem.data.synth.jobs import Context, Job, job_rng, noise_key, object_counts, plan_features
from xmem.data.synth.render import render_frame
from xmem.data.synth.scene import SceneRequest, sample_valid_scene

DATASET = "long_video"


def frame_size(config: SynthConfig) -> tuple[int, int]:
    """(height, width) of the long videos."""
    lv = config.long_video
    return lv.height or config.height, lv.width or config.width


def plan(ctx: Context) -> list[Job]:
    lv = ctx.config.long_video
    features = plan_features(ctx.seed, DATASET, "all", len(lv.lengths), lv.scenario)
    return [Job(DATASET, "all", i, f) for i, f in enumerate(features)]


def build(job: Job, ctx: Context) -> dict:
    c, lv = ctx.config, ctx.config.long_video
    rng = job_rng(ctx.seed, job)
    length = lv.lengths[job.index]
    height, width = frame_size(c)
    request = SceneRequest(height, width, length, lv.scenario, job.features, ctx.seen + ctx.unseen,
                           noise_key=noise_key(ctx.seed, job))
    scene = sample_valid_scene(rng, request, ctx.min_pixels(height, width))
    name = f"{scene.category_of(1)}-long{job.index}"
    root = ctx.root / DATASET
    ids = scene.annotated_labels()
    presence = np.zeros(256, np.int64)
    present = np.zeros((length, len(ids)), bool)  # counts as present: >= min_visible_fraction of the frame
    min_pixels = ctx.min_pixels(height, width)
    annotated = 0
    for t in range(length):
        rgb, labels = render_frame(scene, t)
        counts = object_counts(labels)
        presence += counts > 0
        present[t] = counts[ids] >= min_pixels
        write_bytes(root / "JPEGImages" / name / f"{t:05d}.jpg", encode_jpeg(rgb, c.jpeg_quality))
        if t % lv.gt_every == 0:
            write_bytes(root / "Annotations" / name / f"{t:05d}.png", encode_index_png(labels))
            annotated += 1
    return {
        "dataset": DATASET, "split": "all", "name": name, "frames": length, "annotated_frames": annotated,
        "objects": len(ids), "categories": {str(i): scene.category_of(i) for i in ids},
        "frames_visible": {str(i): int(presence[i]) for i in ids},
        "absences": {str(i): absent_runs(present[:, k]) for k, i in enumerate(ids)},
        "features": sorted(k for k, v in vars(job.features).items() if v),
    }


def absent_runs(present: np.ndarray) -> list[list[int]]:
    """``[first, last]`` frame ranges (inclusive) where ``present`` (bool [T]) is False.

    >>> absent_runs(np.array([True, False, False, True, False]))
    [[1, 2], [4, 4]]
    """
    padded = np.concatenate([[True], present, [True]])
    starts = np.flatnonzero(padded[:-1] & ~padded[1:])
    ends = np.flatnonzero(~padded[:-1] & padded[1:]) - 1
    return [[int(a), int(b)] for a, b in zip(starts, ends)]


def finish(records: list[dict], ctx: Context) -> dict:
    return {
        "videos": len(records),
        "frames": sum(r["frames"] for r in records),
        "annotated_frames": sum(r["annotated_frames"] for r in records),
        "objects": sum(r["objects"] for r in records),
        "longest_absence": max((b - a + 1 for r in records for runs in r["absences"].values() for a, b in runs),
                               default=0),
    }
