"""XMem's training-time clip forward (the order of operations of the official trainer).

1. Encode the keys (and multi-scale features) of all T frames at once.
2. Frame 0: encode its value from the ground-truth masks, with a deep update of the (zero)
   sensory memory.
3. For t = 1..T-1: read the memory of the previous memory frames — all of them while
   t <= num_ref_frames, otherwise frame 0 plus ``num_ref_frames - 1`` frames drawn without
   replacement from 1..t-1, independently for each sample — then decode frame t (the hidden
   state is updated except on the last frame). Except on the last frame, encode frame t's value
   from the *predicted* masks and append it to the memory; the sensory memory gets a deep
   update with probability ``deep_update_prob`` (one draw per frame for the whole batch).

All randomness comes from ``generator`` (a CPU ``torch.Generator``), so a clip forward is
reproducible from the generator's seed.
"""

from __future__ import annotations

import torch
from torch import Tensor

from xmem.model.blocks import weight_parts_reused
from xmem.training.batch import ClipOutput, TrainingBatch


def reference_indices(t: int, num_ref_frames: int, batch_size: int, generator: torch.Generator) -> Tensor | None:
    """Memory frames used to segment frame ``t``, per sample.

    Returns None when every previous frame is used (t <= num_ref_frames); otherwise an int64
    tensor [B, num_ref_frames] whose first column is 0 (the annotated frame) and whose other
    columns are distinct frames from 1..t-1 drawn uniformly without replacement.
    """
    if t <= num_ref_frames:
        return None
    rows = []
    for _ in range(batch_size):
        others = torch.randperm(t - 1, generator=generator)[: num_ref_frames - 1] + 1
        rows.append(torch.cat([torch.zeros(1, dtype=torch.int64), others]))
    return torch.stack(rows)


def take_frames(x: Tensor | None, indices: Tensor | None, time_dim: int, upto: int) -> Tensor | None:
    """x[..., frames, ...] along ``time_dim`` per sample: the first ``upto`` frames, or ``indices`` [B, K]."""
    if x is None:
        return None
    if indices is None:
        return x.narrow(time_dim, 0, upto)
    moved = x.movedim(time_dim, 1)  # [B, T, ...]
    batch = torch.arange(x.shape[0], device=x.device).unsqueeze(1)
    return moved[batch, indices.to(x.device)].movedim(1, time_dim)


def xmem_clip_forward(
    network,
    batch: TrainingBatch,
    *,
    num_ref_frames: int,
    generator: torch.Generator,
    deep_update_prob: float = 0.2,
) -> ClipOutput:
    """Run XMem over a training clip; see the module docstring for the procedure.

    Args:
        network: an :class:`xmem.model.network.XMemNetwork` itself. For multi-process training
            wrap the whole clip forward in DistributedDataParallel (``xmem.training.step``),
            not the network: DDP synchronises gradients only of calls made through its forward.
        batch: clips [B, T, 3, H, W] with ground truth [B, T, N, H, W]; only frame 0's masks
            are read here.
        num_ref_frames: maximum number of memory frames per query (paper: 3; static stage: 2).
        generator: source of the reference-frame choice and the deep-update draws.
        deep_update_prob: probability of a deep update after each predicted frame (paper: 0.2).

    Returns:
        ClipOutput with logits [B, N+1, H, W] and object probabilities [B, N, H, W] for
        frames 1..T-1.
    """
    with weight_parts_reused():  # each fusion weight split once per clip, not once per frame
        net = network
        images, first_masks = batch.images, batch.masks[:, 0]
        b, t_total = images.shape[:2]
        selector = batch.selector.view(b, -1, 1, 1)

        feats = net.encode_key(images)
        key, shrinkage, selection = feats.key, feats.shrinkage, feats.selection  # [B, C, T, h, w]
        hidden = net.zero_hidden(b, first_masks.shape[1], tuple(key.shape[-2:]))
        value, hidden = net.encode_value(images[:, 0], feats.f16[:, 0], hidden, first_masks, deep_update=True)
        values = value.unsqueeze(3)  # [B, N, CV, 1, h, w]

        logits_out, masks_out = [], []
        for t in range(1, t_total):
            indices = reference_indices(t, num_ref_frames, b, generator)
            readout = net.read_memory(
                key[:, :, t],
                selection[:, :, t] if selection is not None else None,
                take_frames(key, indices, 2, t),
                take_frames(shrinkage, indices, 2, t),
                take_frames(values, indices, 3, t),
            )
            is_last = t == t_total - 1
            out = net.segment(
                (feats.f16[:, t], feats.f8[:, t], feats.f4[:, t]), readout, hidden, update_hidden=not is_last,
                selector=selector,
            )
            object_prob = out.prob[:, 1:]
            if not is_last:
                deep_update = bool(torch.rand((), generator=generator).item() < deep_update_prob)
                value, hidden = net.encode_value(images[:, t], feats.f16[:, t], out.hidden, object_prob,
                                                 deep_update=deep_update)
                values = torch.cat([values, value.unsqueeze(3)], dim=3)
            logits_out.append(out.logits)
            masks_out.append(object_prob)
        return ClipOutput(logits=tuple(logits_out), masks=tuple(masks_out))
