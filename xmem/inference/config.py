"""Inference-time settings (the options of ``xmem infer``)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from xmem.errors import XMemError
from xmem.memory.config import MemoryConfig


@dataclass(frozen=True)
class InferenceConfig:
    """How a video is processed.

    Attributes:
        mem_every: r, a memory frame every r-th frame (``--mem-every``).
        mem_offset: o in [0, r): after the prompt, frames o, o+r, o+2r, ... are memorised
            (o = 0 is the official schedule: r, 2r, ...). ``--mem-offset``.
        deep_update_every: -1 = deep update on every memory frame (default), 0 = never,
            k > 0 = every k-th frame (also on frames that are not memorised; Table 8).
        size: target length in pixels of each frame's shorter side (-1: frames keep their own size).
        memory: working / long-term memory settings.
        amp: mixed precision (bf16 on CPU, fp16 on CUDA).
        flip: process horizontally mirrored frames (multi-scale / flip evaluation).
        max_frames: process only each video's first ``max_frames`` frames (None = all), for runs
            read only for their per-frame statistics; the video's length still sets the memory
            schedule, so the processed frames are those of a full run. Not scorable.
    """

    mem_every: int = 5
    mem_offset: int = 0
    deep_update_every: int = -1
    size: int = 480
    memory: MemoryConfig = field(default_factory=MemoryConfig)
    amp: bool = False
    flip: bool = False
    max_frames: int | None = None

    def __post_init__(self) -> None:
        if self.mem_every < 1:
            raise XMemError(f"--mem-every must be >= 1 (got {self.mem_every})")
        if not 0 <= self.mem_offset < self.mem_every:
            raise XMemError(f"--mem-offset must be in [0, --mem-every) = [0, {self.mem_every}) (got {self.mem_offset})")
        if self.deep_update_every < -1:
            raise XMemError(f"--deep-update-every must be -1 (with memory frames), 0 (never) or > 0 (got {self.deep_update_every})")
        if self.max_frames is not None and self.max_frames < 1:
            raise XMemError(f"max_frames must be >= 1 or None for every frame (got {self.max_frames})")
        if self.size == 0 or self.size < -1:
            raise XMemError(f"--size must be a positive number of pixels or -1 for native resolution (got {self.size})")

    def schedule_for(self, num_frames: int) -> tuple[int, int]:
        """(r, o) actually used for a video of ``num_frames`` frames.

        The ``sparse_insertion`` strategy stretches r so that at most ``max_memory_frames``
        frames are memorised (r = max(r, ceil(L / max_memory_frames))) and scales the offset
        with it (o' = floor(o * r' / r)).
        """
        if self.memory.strategy != "sparse_insertion":
            return self.mem_every, self.mem_offset
        r = max(self.mem_every, math.ceil(num_frames / self.memory.max_memory_frames))
        return r, (self.mem_offset * r) // self.mem_every
