"""DAVIS stand-in: 2017 trainval (train/val), 2016 val (single-object) and 2017 test-dev.

Layout (as the real dataset; "480p" is only a folder name)::

    DAVIS/2017/trainval/JPEGImages/480p/<video>/%05d.jpg
    DAVIS/2017/trainval/Annotations/480p/<video>/%05d.png     every frame, palette PNG
    DAVIS/2017/trainval/ImageSets/2017/{train,val}.txt
    DAVIS/2017/trainval/ImageSets/2016/val.txt                single-object val videos
    DAVIS/2016/{JPEGImages,Annotations}/480p/<video>/         those videos, masks binary 0/1
    DAVIS/2017/test-dev/{JPEGImages,Annotations}/480p/<video>/  Annotations: first frame only
    DAVIS/2017/test-dev/ImageSets/2017/test-dev.txt
    DAVIS/2017/test-dev-gt/Annotations/480p/<video>/          full ground truth for scoring
    DAVIS/2017/test-dev-gt/ImageSets/2017/test-dev.txt        (same list)

Every object is visible in the first frame (as in DAVIS). Some non-first val ground-truth
frames carry a band of void (255) at the top, like a few real DAVIS frames.
"""

from __future__ import annotations

import numpy as np

from xmem.data.synth.encode import encode_index_png, encode_jpeg, write_bytes, write_lines
from xmem.data.synth.jobs import (Context, Job, job_rng, noise_key, object_counts, plan_features,
                                  seed_sequence, video_length)
from xmem.data.synth.render import render_frame
from xmem.data.synth.scene import SceneRequest, sample_valid_scene

DATASET = "DAVIS"
SPLITS = ("train", "val", "test_dev")
_TAG = {"train": "t", "val": "v", "test_dev": "d"}


def plan(ctx: Context) -> list[Job]:
    d = ctx.config.davis
    jobs = []
    for split in SPLITS:
        cfg = getattr(d, split)
        single = frozenset(range(d.single_object_val_videos)) if split == "val" else frozenset()
        features = plan_features(ctx.seed, DATASET, split, cfg.videos, cfg.scenario, exclude=single)
        jobs += [Job(DATASET, split, i, f) for i, f in enumerate(features)]
    return jobs


def build(job: Job, ctx: Context) -> dict:
    c, d = ctx.config, ctx.config.davis
    cfg = getattr(d, job.split)
    rng = job_rng(ctx.seed, job)
    length = video_length(rng, cfg.frames)
    single = job.split == "val" and job.index < d.single_object_val_videos
    pool = ctx.seen if job.split == "train" else ctx.seen + ctx.unseen
    request = SceneRequest(c.height, c.width, length, cfg.scenario, job.features, pool,
                           num_objects=1 if single else None, noise_key=noise_key(ctx.seed, job))
    scene = sample_valid_scene(rng, request, ctx.min_pixels(c.height, c.width))
    name = f"{scene.category_of(1)}-{_TAG[job.split]}{job.index:03d}"
    void_rng = np.random.Generator(np.random.PCG64(seed_sequence(ctx.seed, DATASET, f"{job.split}/void", job.index)))

    root = ctx.root / DATASET
    test = job.split == "test_dev"
    base = root / "2017" / ("test-dev" if test else "trainval")
    presence = np.zeros(256, np.int64)
    void_frames = 0
    for t in range(length):
        rgb, labels = render_frame(scene, t)
        presence += object_counts(labels) > 0
        jpeg = encode_jpeg(rgb, c.jpeg_quality)
        write_bytes(base / "JPEGImages" / "480p" / name / f"{t:05d}.jpg", jpeg)
        if test:
            png = encode_index_png(labels)
            write_bytes(root / "2017" / "test-dev-gt" / "Annotations" / "480p" / name / f"{t:05d}.png", png)
            if t == 0:
                write_bytes(base / "Annotations" / "480p" / name / f"{t:05d}.png", png)
        else:
            gt = labels
            if job.split == "val" and t > 0 and d.void_band_rows and void_rng.random() < d.void_frame_fraction:
                gt = labels.copy()
                gt[: d.void_band_rows] = 255
                void_frames += 1
            write_bytes(base / "Annotations" / "480p" / name / f"{t:05d}.png", encode_index_png(gt))
        if single:
            write_bytes(root / "2016" / "JPEGImages" / "480p" / name / f"{t:05d}.jpg", jpeg)
            binary = (labels == 1).astype(np.uint8)
            write_bytes(root / "2016" / "Annotations" / "480p" / name / f"{t:05d}.png", encode_index_png(binary))
    ids = scene.annotated_labels()
    return {
        "dataset": DATASET, "split": job.split, "name": name, "frames": length, "objects": len(ids),
        "categories": {str(i): scene.category_of(i) for i in ids},
        "frames_visible": {str(i): int(presence[i]) for i in ids},
        "single_object": single, "void_frames": void_frames,
        "features": sorted(k for k, v in vars(job.features).items() if v),
    }


def finish(records: list[dict], ctx: Context) -> dict:
    root = ctx.root / DATASET
    by_split = {split: sorted(r["name"] for r in records if r["split"] == split) for split in SPLITS}
    trainval = root / "2017" / "trainval" / "ImageSets"
    write_lines(trainval / "2017" / "train.txt", by_split["train"])
    write_lines(trainval / "2017" / "val.txt", by_split["val"])
    single = sorted(r["name"] for r in records if r["single_object"])
    write_lines(trainval / "2016" / "val.txt", single)
    for folder in ("test-dev", "test-dev-gt"):
        write_lines(root / "2017" / folder / "ImageSets" / "2017" / "test-dev.txt", by_split["test_dev"])

    def summary(rows: list[dict]) -> dict:
        return {"videos": len(rows), "frames": sum(r["frames"] for r in rows),
                "objects": sum(r["objects"] for r in rows)}

    counts = {f"2017/{s.replace('_', '-')}": summary([r for r in records if r["split"] == s]) for s in SPLITS}
    counts["2016/val"] = summary([r for r in records if r["single_object"]])
    counts["2017/val"]["void_frames"] = sum(r["void_frames"] for r in records)
    return counts
