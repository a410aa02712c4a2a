"""Numerics of the training step: channels-last weights, bfloat16 autocast on CPU (runtime.amp)."""

from __future__ import annotations

import torch

from xmem.memory.similarity import anisotropic_l2_similarity, full_affinity_float32, softmax_affinity
from xmem.training.losses import clip_loss
from xmem.training.models import get_model_kind
from xmem.training.step import (
    ClipModel,
    StepSettings,
    freeze_batchnorm,
    prepare_training_network,
    training_step,
)
from xmem.utils.precision import autocast
from test_training_forward import _batch, _tiny

CPU = torch.device("cpu")


def _gradients(network, batch, amp: bool = False) -> torch.Tensor:
    """All parameter gradients of one forward + loss + backward, concatenated (float64)."""
    model = freeze_batchnorm(ClipModel(network, get_model_kind("xmem")))
    with autocast(CPU, amp):
        output = model(batch, num_ref_frames=2, generator=torch.Generator().manual_seed(3), deep_update_prob=0.5)
    clip_loss(output, batch, keep_fraction=0.5).total.backward()
    return torch.cat([p.grad.double().flatten() for p in network.parameters() if p.grad is not None])


def test_channels_last_gradients_equal_nchw_to_float32_rounding():
    batch = _batch(n=3)
    nchw = _gradients(_tiny(), batch)
    channels_last = _gradients(prepare_training_network(_tiny(), torch.device("cpu")), batch)
    batch64 = type(batch)(batch.images.double(), batch.masks.double(), batch.selector.double())
    reference = _gradients(_tiny().double(), batch64)  # the rounding floor: float32 vs float64
    floor = (nchw - reference).norm() / reference.norm()
    difference = (channels_last - nchw).norm() / nchw.norm()
    assert 0 < difference < 4 * floor + 1e-7, (difference, floor)  # other summation order, same math
    assert next(p for p in prepare_training_network(_tiny(), torch.device("cpu")).parameters()
                if p.ndim == 4).is_contiguous(memory_format=torch.channels_last)


def test_training_memory_read_is_float32_under_autocast():
    g = torch.Generator().manual_seed(0)
    mk, qk = torch.randn(1, 16, 40, generator=g) * 3, torch.randn(1, 16, 30, generator=g) * 3
    s, e = 1 + torch.rand(1, 1, 40, generator=g), torch.rand(1, 16, 30, generator=g)
    exact = softmax_affinity(anisotropic_l2_similarity(mk, s, qk, e))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        ours = full_affinity_float32(mk, s, qk, e)
        plain = softmax_affinity(anisotropic_l2_similarity(mk, s, qk, e))
    assert ours.dtype == torch.float32
    # float32 arithmetic under autocast; with the products in bf16 (autocast's bmm) far off
    ours_error, plain_error = (ours - exact).abs().max(), (plain.float() - exact).abs().max()
    assert ours_error < 1e-5 < 1e-3 < plain_error, (ours_error, plain_error)


def test_bf16_step_keeps_float32_weights_optimizer_state_and_loss():
    network = prepare_training_network(_tiny(), torch.device("cpu"))
    model = freeze_batchnorm(ClipModel(network, get_model_kind("xmem")))
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, [10])
    before = {k: v.clone() for k, v in network.state_dict().items()}
    metrics = training_step(model, optimizer, scheduler, _batch(n=3), StepSettings(2, 0.5, 1.0, amp=True),
                            torch.Generator().manual_seed(0))
    assert torch.isfinite(torch.tensor(metrics["total"]))
    assert all(p.dtype == torch.float32 for p in network.parameters())
    assert all(v.dtype == torch.float32 for state in optimizer.state.values() for k, v in state.items() if k != "step")
    changed = [k for k, v in network.state_dict().items() if not torch.equal(v, before[k])]
    assert len(changed) > len(before) // 2  # the bf16 gradients reached the float32 weights
    bf16_grads = _gradients(_tiny(), _batch(n=3), amp=True)
    fp32_grads = _gradients(_tiny(), _batch(n=3))
    cosine = torch.nn.functional.cosine_similarity(bf16_grads, fp32_grads, dim=0)
    assert 0.9 < cosine < 1  # bf16 rounding, not another computation
