"""Training losses (paper §3.6): bootstrapped cross-entropy + dice, equally weighted, summed over
the predicted frames 1..T-1; and the IoU reported in the training log.

Follows the official loss computer: the cross-entropy of each sample is computed on the
logits of its real objects only (background + the first ``num_objects`` channels) and averaged
over the batch; the dice loss covers all object slots (padded slots predict ~0 and cost ~0).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from xmem.training.batch import ClipOutput, TrainingBatch


def _at_least_fp32(x: Tensor) -> Tensor:
    """fp16 / bf16 (autocast) -> fp32; fp32 and fp64 unchanged (the losses are never computed
    in less than fp32, and an fp64 step stays fp64)."""
    return x.to(torch.promote_types(x.dtype, torch.float32))


def bootstrapped_cross_entropy(logits: Tensor, target: Tensor, keep_fraction: float) -> Tensor:
    """Mean cross-entropy of the hardest ``keep_fraction`` of the pixels.

    Args:
        logits: [B, C, H, W] class logits.
        target: [B, H, W] int64 classes in [0, C).
        keep_fraction: in (0, 1]; 1 is the plain mean cross-entropy. Otherwise the
            ``int(B*H*W * keep_fraction)`` pixels with the largest loss are averaged.

    Returns:
        scalar tensor.
    """
    if keep_fraction >= 1.0:
        return F.cross_entropy(logits, target)
    raw = F.cross_entropy(logits, target, reduction="none").flatten()
    count = max(1, int(raw.numel() * keep_fraction))
    return torch.topk(raw, count, sorted=False).values.mean()


def dice_loss(masks: Tensor, labels: Tensor) -> Tensor:
    """Soft dice loss averaged over samples and object slots.

    For slot i of a sample: 1 - (2 * sum(m * g) + 1) / (sum(m) + sum(g) + 1), with m the
    predicted probability of object i and g = (labels == i + 1).

    Args:
        masks: [B, N, H, W] object probabilities (no background channel).
        labels: [B, H, W] int64 class map (0 = background, i = object slot i-1).

    Returns:
        scalar tensor.
    """
    slot_ids = torch.arange(1, masks.shape[1] + 1, device=labels.device).view(1, -1, 1, 1)
    gt = (labels.unsqueeze(1) == slot_ids).to(masks.dtype).flatten(2)  # [B, N, HW]
    pred = masks.flatten(2)
    twice_overlap = 2 * (pred * gt).sum(-1)
    total_mass = pred.sum(-1) + gt.sum(-1)
    return (1 - (twice_overlap + 1) / (total_mass + 1)).mean()


@dataclass(frozen=True)
class LossTerms:
    """Loss of one clip batch. ``total`` carries gradients; the others are detached floats.

    ce / dice are summed over the predicted frames (as ``total = ce + dice``).
    """

    total: Tensor
    ce: float
    dice: float
    keep_fraction: float

    def as_dict(self) -> dict[str, float]:
        return {"total": float(self.total.detach()), "ce": self.ce, "dice": self.dice, "keep_fraction": self.keep_fraction}


def clip_loss(output: ClipOutput, batch: TrainingBatch, keep_fraction: float) -> LossTerms:
    """Bootstrapped CE + dice over frames 1..T-1 of a batch (official per-sample slicing).

    Args:
        output: predictions for frames 1..T-1 (logits [B, N+1, H, W], masks [B, N, H, W]).
        batch: the clips, whose ``labels`` [B, T, H, W] are the targets.
        keep_fraction: bootstrapping fraction for this iteration (see ``schedules``).
    """
    labels = batch.labels
    num_objects = batch.num_objects
    b = batch.batch_size
    ce_total: Tensor | float = 0.0
    dice_total: Tensor | float = 0.0
    for i, (logits, masks) in enumerate(zip(output.logits, output.masks)):
        target = labels[:, i + 1]
        ce = sum(
            bootstrapped_cross_entropy(_at_least_fp32(logits[s : s + 1, : num_objects[s] + 1]), target[s : s + 1], keep_fraction)
            for s in range(b)
        ) / b
        ce_total = ce_total + ce
        dice_total = dice_total + dice_loss(_at_least_fp32(masks), target)
    total = ce_total + dice_total
    return LossTerms(total=total, ce=float(ce_total.detach()), dice=float(dice_total.detach()),
                     keep_fraction=float(keep_fraction))


@torch.no_grad()
def clip_iou(output: ClipOutput, batch: TrainingBatch) -> float:
    """IoU of the thresholded (> 0.5) predicted masks of the real objects over frames 1..T-1.

    Intersections and unions are summed over samples, objects and frames before dividing
    (1.0 when both are empty).
    """
    real = batch.selector.bool()  # [B, N]
    inter = union = 0.0
    for i, masks in enumerate(output.masks):
        pred = masks > 0.5
        gt = batch.masks[:, i + 1] > 0.5
        keep = real.view(*real.shape, 1, 1)
        inter += float(((pred & gt) & keep).sum())
        union += float(((pred | gt) & keep).sum())
    return inter / union if union > 0 else 1.0
