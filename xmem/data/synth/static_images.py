"""Static-image stand-in for the pretraining stage (deformed into 3-frame sequences).

Layout::

    static/<subset>/<subset>-%05d.jpg   RGB image
    static/<subset>/<subset>-%05d.png   grayscale (mode L) mask, 0 = background, 255 = object

One salient object per image. Subsets in even positions of ``static.subsets`` are clean
(little background clutter); subsets in odd positions are cluttered (many object-like
background shapes, sometimes a foreground bar). Only seen categories are used.
"""

from __future__ import annotations

import numpy as np

from xmem.data.synth.config import ScenarioConfig
from xmem.data.synth.encode import encode_gray_png, encode_jpeg, write_bytes
from xmem.data.synth.jobs import Context, Job, job_rng, noise_key
from xmem.data.synth.render import render_frame
from xmem.data.synth.scene import SceneRequest, VideoFeatures, sample_valid_scene

DATASET = "static"
CHUNK = 50  # images per job


def plan(ctx: Context) -> list[Job]:
    st = ctx.config.static
    chunks = (st.images_per_subset + CHUNK - 1) // CHUNK
    return [Job(DATASET, subset, k) for subset in st.subsets for k in range(chunks)]


def build(job: Job, ctx: Context) -> dict:
    c, st = ctx.config, ctx.config.static
    cluttered = st.subsets.index(job.split) % 2 == 1
    scenario = ScenarioConfig(objects=(1, 1), object_size=st.object_size, clutter=(4, 10) if cluttered else (0, 2),
                              camera_pan=0.0, max_occluders=1)
    first = job.index * CHUNK
    count = 0
    for i in range(first, min(first + CHUNK, st.images_per_subset)):
        image_job = Job(DATASET, job.split, i)
        rng = job_rng(ctx.seed, image_job)
        features = VideoFeatures(occluder=cluttered and bool(rng.random() < 0.3))
        request = SceneRequest(st.height, st.width, 1, scenario, features, ctx.seen,
                               noise_key=noise_key(ctx.seed, image_job))
        scene = sample_valid_scene(rng, request, 4 * ctx.min_pixels(st.height, st.width))
        rgb, labels = render_frame(scene, 0)
        folder, stem = ctx.root / DATASET / job.split, f"{job.split}-{i:05d}"
        write_bytes(folder / f"{stem}.jpg", encode_jpeg(rgb, c.jpeg_quality))
        write_bytes(folder / f"{stem}.png", encode_gray_png(np.where(labels == 1, 255, 0).astype(np.uint8)))
        count += 1
    return {"dataset": DATASET, "split": job.split, "name": f"{job.split}/{job.index}", "images": count}


def finish(records: list[dict], ctx: Context) -> dict:
    return {subset: sum(r["images"] for r in records if r["split"] == subset) for subset in ctx.config.static.subsets}
