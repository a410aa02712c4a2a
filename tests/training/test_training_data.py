"""Training data: static deformation, VOS clip sampling, mixing and deterministic batch keys."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from xmem.inference.transforms import IMAGENET_MEAN, IMAGENET_STD
from xmem.training.augment import thin_plate_spline_maps
from xmem.training.sampling import ClipBatchSampler, SampleKey
from xmem.training.static_data import StaticClipDataset, find_static_pairs
from xmem.training.video_data import (
    MixedClipDataset,
    VideoClipDataset,
    davis_videos,
    sample_frame_indices,
    youtube_videos,
)


def _denormalise(images: torch.Tensor) -> torch.Tensor:
    return images * torch.tensor(IMAGENET_STD).view(3, 1, 1) + torch.tensor(IMAGENET_MEAN).view(3, 1, 1)


def test_static_deformation_gives_three_frames_with_aligned_masks(tmp_path):
    folder = tmp_path / "static" / "subset"
    folder.mkdir(parents=True)
    yy, xx = np.mgrid[:80, :80]
    disc = (yy - 40) ** 2 + (xx - 36) ** 2 < 20**2
    image = np.where(disc[..., None], 230, 20).astype(np.uint8).repeat(3, axis=2)
    Image.fromarray(image).save(folder / "a.jpg", quality=100)
    Image.fromarray((disc * 255).astype(np.uint8)).save(folder / "a.png")
    dataset = StaticClipDataset(find_static_pairs(tmp_path / "static"), num_frames=3, crop_size=48, max_objects=1)
    for seed in range(4):
        sample = dataset[SampleKey(0, (seed,))]
        assert sample["images"].shape == (3, 3, 48, 48) and sample["masks"].shape == (3, 1, 48, 48)
        assert set(sample["masks"].unique().tolist()) <= {0.0, 1.0} and sample["selector"].tolist() == [1.0]
        bright = _denormalise(sample["images"]).mean(dim=1) > 0.5  # [T, H, W]
        agreement = (bright == (sample["masks"][:, 0] > 0.5)).float().mean(dim=(1, 2))
        assert agreement.min() > 0.95, agreement
        assert not torch.equal(sample["masks"][0], sample["masks"][1])  # each frame is deformed differently


def test_thin_plate_spline_without_displacement_is_the_identity():
    map_x, map_y = thin_plate_spline_maps(np.random.default_rng(0), 20, 30, scale=0.0)
    gx, gy = np.meshgrid(np.arange(30), np.arange(20))
    np.testing.assert_allclose(map_x, gx, atol=1e-3)
    np.testing.assert_allclose(map_y, gy, atol=1e-3)
    moved_x, _ = thin_plate_spline_maps(np.random.default_rng(0), 20, 30, scale=0.05)
    assert np.abs(moved_x - gx).max() > 0.1


@pytest.mark.parametrize("length,frames,skip", [(10, 8, 1), (50, 8, 5), (80, 8, 15), (8, 8, 3), (100, 3, 2)])
def test_frame_sampling_respects_max_skip(length, frames, skip):
    rng = np.random.default_rng(0)
    for _ in range(200):
        idx = sample_frame_indices(rng, length, frames, skip)
        assert len(set(idx)) == frames and idx == sorted(idx) and 0 <= idx[0] and idx[-1] < length
        assert max(np.diff(idx)) <= skip


def test_vos_clips_limit_objects_and_skip(train_data):
    youtube = VideoClipDataset(youtube_videos(train_data / "YouTube", 8), num_frames=8, crop_size=32, max_objects=3,
                               skip_divisor=5)
    seen_objects = set()
    for seed in range(12):
        s = youtube[SampleKey(seed % len(youtube), (seed,), max_skip=10)]
        assert s["images"].shape == (8, 3, 32, 32) and s["masks"].shape == (8, 3, 32, 32)
        assert s["masks"].sum(dim=1).max() <= 1  # one-hot: at most one object per pixel
        n = int(s["selector"].sum())
        assert 1 <= n <= 3 and s["selector"].tolist() == [1.0] * n + [0.0] * (3 - n)
        real = s["masks"][0, :n].flatten(1).sum(1)
        assert (real > 0).all() or n == 1  # selected objects are visible in frame 0
        assert s["masks"][:, n:].sum() == 0  # padded slots are empty
        idx = sorted(s["frame_indices"])
        assert max(np.diff(idx)) <= 2  # max skip 10 on every-5th-frame YouTube-VOS -> 2
        seen_objects.add(n)
    assert 3 in seen_objects  # four objects in the fixture: the limit is reached


def test_samples_are_deterministic_given_the_key(train_data):
    davis = VideoClipDataset(davis_videos(train_data / "DAVIS", 8), num_frames=8, crop_size=32)
    a, b = davis[SampleKey(1, (7, 0, 3, 1), 5)], davis[SampleKey(1, (7, 0, 3, 1), 5)]
    assert torch.equal(a["images"], b["images"]) and torch.equal(a["masks"], b["masks"])
    c = davis[SampleKey(1, (7, 0, 3, 2), 5)]
    assert not torch.equal(a["images"], c["images"])


def test_mixed_dataset_repeats_davis(train_data):
    davis = VideoClipDataset(davis_videos(train_data / "DAVIS", 8), name="davis")
    youtube = VideoClipDataset(youtube_videos(train_data / "YouTube", 8), name="youtube")
    mixed = MixedClipDataset([(davis, 5), (youtube, 1)])
    assert len(mixed) == 5 * len(davis) + len(youtube) == 12
    names = [mixed[SampleKey(i, (0,), 5)]["name"] for i in (0, 1, 2, 9, 10, 11)]
    assert names == ["davis/dv0", "davis/dv1", "davis/dv0", "davis/dv1", "youtube/yt0", "youtube/yt1"]


def test_batch_sampler_is_stateless_and_splits_the_global_batch():
    one = ClipBatchSampler(7, seed=3, stage_index=1, start=0, total=6, global_batch=4)
    keys = list(one)
    assert len(keys) == 6 and all(len(k) == 4 for k in keys)
    first_epochs = [k.index for batch in keys for k in batch][:14]
    assert sorted(first_epochs[:7]) == list(range(7)) and sorted(first_epochs[7:14]) == list(range(7))
    resumed = list(ClipBatchSampler(7, seed=3, stage_index=1, start=4, total=6, global_batch=4))
    assert resumed == keys[4:]
    ranks = [list(ClipBatchSampler(7, 3, 1, 0, 6, 4, rank=r, world_size=2)) for r in range(2)]
    assert [r0 + r1 for r0, r1 in zip(*ranks)] == keys
    other_seed = [k.index for batch in ClipBatchSampler(7, 4, 1, 0, 6, 4) for k in batch]
    assert other_seed != [k.index for batch in keys for k in batch]


def test_loader_gives_the_same_batches_with_and_without_workers(train_data):
    from xmem.training.config import StageConfig
    from xmem.training.stage_data import build_loader

    davis = VideoClipDataset(davis_videos(train_data / "DAVIS", 4), num_frames=4, crop_size=32)
    stage = StageConfig(datasets=("davis",), iterations=3, finetune_fraction=0.0, batch_size=2, num_frames=4,
                        crop_size=32)

    def batches(workers):
        loader = build_loader(davis, stage, seed=1, stage_index=0, start=0, rank=0, world_size=1,
                              num_workers=workers, pin_memory=False)
        return list(loader)

    serial, parallel = batches(0), batches(2)
    assert len(serial) == len(parallel) == 3
    for a, b in zip(serial, parallel):
        assert torch.equal(a.images, b.images) and torch.equal(a.masks, b.masks) and a.names == b.names
