"""Typed training batches and clip-forward outputs shared by XMem and the STCN baseline.

Shapes: B batch, T frames per clip, N object slots (padded to the stage's maximum number of
objects; ``selector`` tells real objects from padding), H x W crop size (a multiple of 16).

A clip forward (``xmem.training.xmem_forward.xmem_clip_forward`` or
``baselines.stcn.training.stcn_clip_forward``) takes a :class:`TrainingBatch`, memorises frame 0
from its ground truth and predicts frames 1..T-1, returning a :class:`ClipOutput`; the losses in
``xmem.training.losses`` compare the two.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import torch
from torch import Tensor

from xmem.errors import XMemError


@dataclass(frozen=True)
class TrainingBatch:
    """One batch of training clips.

    Attributes:
        images: [B, T, 3, H, W] float, ImageNet-normalised frames.
        masks: [B, T, N, H, W] float one-hot object masks (0/1; at most one object per pixel,
            all zeros on background and in padded slots).
        selector: [B, N] float, 1 for real objects and 0 for padded slots (real objects come first).
        names: per-sample source names (video or image names), for logging.
    """

    images: Tensor
    masks: Tensor
    selector: Tensor
    names: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if self.images.ndim != 5 or self.images.shape[2] != 3:
            raise XMemError(f"TrainingBatch.images must be [B, T, 3, H, W], got {list(self.images.shape)}")
        b, t, _, h, w = self.images.shape
        if self.masks.ndim != 5 or tuple(self.masks.shape[:2]) != (b, t) or tuple(self.masks.shape[-2:]) != (h, w):
            raise XMemError(
                f"TrainingBatch.masks must be [B, T, N, H, W] = [{b}, {t}, N, {h}, {w}], got {list(self.masks.shape)}"
            )
        if tuple(self.selector.shape) != (b, self.masks.shape[2]):
            raise XMemError(f"TrainingBatch.selector must be [B, N] = [{b}, {self.masks.shape[2]}], got {list(self.selector.shape)}")

    @property
    def batch_size(self) -> int:
        return int(self.images.shape[0])

    @property
    def num_frames(self) -> int:
        return int(self.images.shape[1])

    @property
    def num_slots(self) -> int:
        """N, the number of object slots (real + padded)."""
        return int(self.masks.shape[2])

    @property
    def first_frame_gt(self) -> Tensor:
        """[B, 1, N, H, W] ground truth of frame 0 (what the memory is initialised with)."""
        return self.masks[:, :1]

    @property
    def num_objects(self) -> list[int]:
        """Real objects per sample (at least 1, as the official trainer counts them)."""
        return [max(1, int(n)) for n in self.selector.sum(dim=1).round().tolist()]

    @property
    def labels(self) -> Tensor:
        """[B, T, H, W] int64 class map: 0 background, i for object slot i-1 (cross-entropy target)."""
        ids = torch.arange(1, self.num_slots + 1, device=self.masks.device, dtype=self.masks.dtype)
        return (self.masks * ids.view(1, 1, -1, 1, 1)).sum(dim=2).round().long()

    def pin_memory(self) -> "TrainingBatch":
        """Page-locked copy (called by DataLoader(pin_memory=True) for CUDA transfers)."""
        return TrainingBatch(self.images.pin_memory(), self.masks.pin_memory(), self.selector.pin_memory(), self.names)

    def to(self, device: torch.device | str, non_blocking: bool = False) -> "TrainingBatch":
        """The same batch with its tensors on ``device``."""
        return TrainingBatch(
            images=self.images.to(device, non_blocking=non_blocking),
            masks=self.masks.to(device, non_blocking=non_blocking),
            selector=self.selector.to(device, non_blocking=non_blocking),
            names=self.names,
        )


@dataclass(frozen=True)
class ClipOutput:
    """Predictions for frames 1..T-1 of a clip (frame 0 is given).

    Attributes:
        logits: T-1 tensors [B, N+1, H, W], soft-aggregated logits, background first
            (the cross-entropy input).
        masks: T-1 tensors [B, N, H, W], object probabilities (softmax of ``logits`` without
            the background channel; the dice-loss input).
    """

    logits: tuple[Tensor, ...]
    masks: tuple[Tensor, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "logits", tuple(self.logits))
        object.__setattr__(self, "masks", tuple(self.masks))
        if len(self.logits) != len(self.masks) or not self.logits:
            raise XMemError(
                f"ClipOutput needs one logits and one masks tensor per predicted frame, got "
                f"{len(self.logits)} and {len(self.masks)}"
            )
        for lg, mk in zip(self.logits, self.masks):
            if lg.ndim != 4 or mk.ndim != 4 or lg.shape[1] != mk.shape[1] + 1 or lg.shape[-2:] != mk.shape[-2:]:
                raise XMemError(
                    f"ClipOutput: logits must be [B, N+1, H, W] and masks [B, N, H, W], got "
                    f"{list(lg.shape)} and {list(mk.shape)}"
                )

    @property
    def num_predicted(self) -> int:
        """T-1, the number of predicted frames."""
        return len(self.logits)


def collate_samples(samples: Sequence[Mapping[str, Any]]) -> TrainingBatch:
    """DataLoader ``collate_fn``: stack per-sample dicts into a :class:`TrainingBatch`.

    Each sample has ``images`` [T, 3, H, W], ``masks`` [T, N, H, W], ``selector`` [N] and ``name``.
    """
    if not samples:
        raise XMemError("collate_samples: empty batch")
    return TrainingBatch(
        images=torch.stack([torch.as_tensor(s["images"]) for s in samples]),
        masks=torch.stack([torch.as_tensor(s["masks"]) for s in samples]),
        selector=torch.stack([torch.as_tensor(s["selector"]) for s in samples]),
        names=tuple(str(s["name"]) for s in samples),
    )
