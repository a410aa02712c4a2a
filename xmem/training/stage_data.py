"""Build the training data of a stage: its dataset mix and its deterministic data loader."""

from __future__ import annotations

import logging

import cv2
import torch
from torch.utils.data import DataLoader, Dataset

from xmem.training.batch import collate_samples
from xmem.training.config import StageConfig, TrainConfig
from xmem.training.sampling import ClipBatchSampler
from xmem.training.schedules import is_finetuning, max_skip_at
from xmem.training.static_data import StaticClipDataset, find_static_pairs
from xmem.training.video_data import MixedClipDataset, VideoClipDataset, bl30k_videos, davis_videos, youtube_videos

log = logging.getLogger(__name__)


def build_stage_dataset(config: TrainConfig, stage: StageConfig) -> Dataset:
    """The stage's dataset: static clips, or the mix of its video datasets.

    In a mix with other datasets DAVIS is listed ``data.davis_repeat`` times (official: 5x
    next to YouTube-VOS); YouTube-VOS divides the curriculum's skip by ``data.youtube_frame_step``.
    """
    data = config.data
    if stage.is_static:
        pairs = find_static_pairs(data.path("static"), data.static.subsets)
        return StaticClipDataset(pairs, stage.num_frames, stage.crop_size, stage.max_objects)
    common = dict(num_frames=stage.num_frames, crop_size=stage.crop_size, max_objects=stage.max_objects)
    parts = []
    for name in stage.datasets:
        if name == "davis":
            videos = davis_videos(data.path("davis"), stage.num_frames, data.davis.subset_file)
            repeat = data.davis_repeat if len(stage.datasets) > 1 else 1
            parts.append((VideoClipDataset(videos, name="davis", **common), repeat))
        elif name == "youtube":
            videos = youtube_videos(data.path("youtube"), stage.num_frames, data.youtube.subset_file)
            parts.append((VideoClipDataset(videos, skip_divisor=data.youtube_frame_step, name="youtube", **common), 1))
        else:
            videos = bl30k_videos(data.path("bl30k"), stage.num_frames, data.bl30k.subset_file)
            parts.append((VideoClipDataset(videos, is_bl30k=True, name="bl30k", **common), 1))
    for dataset, repeat in parts:
        log.info("%s: %d videos x%d", dataset.name, len(dataset), repeat)
    return MixedClipDataset(parts)


def _worker_init(worker_id: int) -> None:
    del worker_id
    torch.set_num_threads(1)
    cv2.setNumThreads(0)


def build_loader(dataset: Dataset, stage: StageConfig, *, seed: int, stage_index: int, start: int, rank: int,
                 world_size: int, num_workers: int, pin_memory: bool) -> DataLoader:
    """Loader yielding this process's :class:`TrainingBatch` for iterations ``start`` .. end of stage."""
    sampler = ClipBatchSampler(
        len(dataset), seed, stage_index, start, stage.total_iterations, stage.batch_size, rank, world_size,
        schedule=lambda it: (max_skip_at(it, stage.iterations, stage.curriculum), is_finetuning(it, stage)),
    )
    workers = num_workers // world_size
    return DataLoader(dataset, batch_sampler=sampler, num_workers=workers, collate_fn=collate_samples,
                      pin_memory=pin_memory, worker_init_fn=_worker_init if workers else None,
                      persistent_workers=False)
