"""BL30K stand-in: rendered scenes with many objects and exact masks (XMem*'s pretraining set).

BL30K (MiVOS, Cheng et al. 2021) is rendered with Blender: many textured objects move in front
of a background and every frame has an exact, noise-free label map. Its role in the paper
(§3.6, "XMem*") is a large synthetic video pretraining stage between the static images and
the main training (official stage 1). This stand-in plays that role: more objects per video
than the DAVIS / YouTube-VOS stand-ins, a label map for every frame, no void pixels.

Layout (as the real dataset, which the training loader reads unchanged)::

    BL30K/JPEGImages/<video>/%05d.jpg
    BL30K/Annotations/<video>/%05d.png    every frame, palette PNG, ids 1..K
"""

from __future__ import annotations

import numpy as np

from xmem.data.synth.config import SynthConfig
from xmem.data.synth.encode import encode_index_png, encode_jpeg, write_bytes
from xmem.data.synth.jobs import Context, Job, job_rng, noise_key, object_counts, plan_features, video_length
from xmem.data.synth.render import render_frame
from xmem.data.synth.scene import SceneRequest, sample_valid_scene

DATASET = "BL30K"
SPLIT = "train"


def frame_size(config: SynthConfig) -> tuple[int, int]:
    """(height, width) of the BL30K-like frames (0 in the config: the benchmark's size)."""
    bl = config.bl30k
    return bl.height or config.height, bl.width or config.width


def plan(ctx: Context) -> list[Job]:
    split = ctx.config.bl30k.train
    features = plan_features(ctx.seed, DATASET, SPLIT, split.videos, split.scenario)
    return [Job(DATASET, SPLIT, i, f) for i, f in enumerate(features)]


def build(job: Job, ctx: Context) -> dict:
    c, split = ctx.config, ctx.config.bl30k.train
    rng = job_rng(ctx.seed, job)
    length = video_length(rng, split.frames)
    height, width = frame_size(c)
    request = SceneRequest(height, width, length, split.scenario, job.features, ctx.seen,
                           noise_key=noise_key(ctx.seed, job))
    scene = sample_valid_scene(rng, request, ctx.min_pixels(height, width))
    name = f"bl{job.index:05d}"
    root = ctx.root / DATASET
    presence = np.zeros(256, np.int64)
    for t in range(length):
        rgb, labels = render_frame(scene, t)
        presence += object_counts(labels) > 0
        write_bytes(root / "JPEGImages" / name / f"{t:05d}.jpg", encode_jpeg(rgb, c.jpeg_quality))
        write_bytes(root / "Annotations" / name / f"{t:05d}.png", encode_index_png(labels))
    ids = scene.annotated_labels()
    return {
        "dataset": DATASET, "split": SPLIT, "name": name, "frames": length, "objects": len(ids),
        "categories": {str(i): scene.category_of(i) for i in ids},
        "frames_visible": {str(i): int(presence[i]) for i in ids},
        "features": sorted(k for k, v in vars(job.features).items() if v),
    }


def finish(records: list[dict], ctx: Context) -> dict:
    return {"videos": len(records), "frames": sum(r["frames"] for r in records),
            "objects": sum(r["objects"] for r in records)}
