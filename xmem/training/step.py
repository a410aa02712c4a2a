"""One optimisation step: clip forward, loss, backward, optimizer and scheduler step.

The network and its clip forward are wrapped in :class:`ClipModel` so that a single
``forward`` call covers the whole clip: DistributedDataParallel wraps the ClipModel and its
gradient all-reduce then sees every parameter use of the iteration.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from xmem.training.batch import ClipOutput, TrainingBatch
from xmem.training.losses import clip_iou, clip_loss
from xmem.training.models import ModelKind
from xmem.utils.precision import autocast


class ClipModel(nn.Module):
    """``forward(batch, ...) -> ClipOutput`` for one model kind; ``network`` is the bare network."""

    def __init__(self, network: nn.Module, kind: ModelKind):
        super().__init__()
        self.network = network
        self.kind_name = kind.name
        self._clip_forward = kind.clip_forward

    def forward(self, batch: TrainingBatch, *, num_ref_frames: int, generator: torch.Generator,
                deep_update_prob: float) -> ClipOutput:
        return self._clip_forward(self.network, batch, num_ref_frames=num_ref_frames, generator=generator,
                                  deep_update_prob=deep_update_prob)


def freeze_batchnorm(module: nn.Module) -> nn.Module:
    """Training mode except for BatchNorm layers, which keep their running statistics (eval
    mode; their affine weights still train). The official trainer runs the whole network in
    eval mode; with no dropout in the network this is the same."""
    module.train()
    for m in module.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.eval()
    return module


def prepare_training_network(network: nn.Module, device: torch.device, channels_last: bool = True) -> nn.Module:
    """``network`` on ``device``, its 4-D weights in the channels-last (NHWC) layout by default.

    oneDNN runs the convolutions' forward and backward several times faster on NHWC tensors on
    CPU (benchmarks/bench_train_speed.py: ours vs ours_nchw); the math is the same, only the
    summation order inside each convolution differs. Optimizer moments follow the weights' layout.
    """
    network = network.to(device)
    return network.to(memory_format=torch.channels_last) if channels_last else network


@dataclass(frozen=True)
class StepSettings:
    num_ref_frames: int
    deep_update_prob: float
    keep_fraction: float
    grad_clip: float = 0.0
    amp: bool = False  # mixed precision: CUDA float16 + gradient scaling, CPU bfloat16 (no scaling)


def training_step(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    batch: TrainingBatch,
    settings: StepSettings,
    generator: torch.Generator,
    scaler: torch.amp.GradScaler | None = None,
) -> dict[str, float]:
    """Forward + backward + update; returns the loss terms, IoU and the learning rate used."""
    lr = optimizer.param_groups[0]["lr"]
    device_type = batch.images.device.type
    # only the forward runs under autocast; weights, gradients, optimizer state and the loss terms
    # (losses.clip_loss casts its inputs) stay float32
    with autocast(torch.device(device_type), settings.amp):
        output = model(batch, num_ref_frames=settings.num_ref_frames, generator=generator,
                       deep_update_prob=settings.deep_update_prob)
    terms = clip_loss(output, batch, settings.keep_fraction)  # float32 (it casts its inputs)
    optimizer.zero_grad(set_to_none=True)
    if scaler is not None:
        scaler.scale(terms.total).backward()
        if settings.grad_clip > 0:
            scaler.unscale_(optimizer)
            torch.nn.utils.clip_grad_norm_(model.parameters(), settings.grad_clip)
        scaler.step(optimizer)
        scaler.update()
    else:
        terms.total.backward()
        if settings.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), settings.grad_clip)
        optimizer.step()
    scheduler.step()
    metrics = terms.as_dict()
    metrics["iou"] = clip_iou(output, batch)
    metrics["lr"] = lr
    return metrics
