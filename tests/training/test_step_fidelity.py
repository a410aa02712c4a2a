"""One training step in fp32 agrees with the same step in fp64 to fp32 rounding (loss and every
gradient), in both bootstrap regimes, on a batch with a padded slot and an empty clip.

The step is the trainer's: ClipModel (xmem_clip_forward) + clip_loss + backward, BatchNorm frozen,
T = 4 frames with num_ref_frames = 3 (no reference frame is drawn) and deep-update probability 1.
``benchmarks/bench_train_vs_official.py`` runs the same comparison against the official trainer.
"""

from __future__ import annotations

import copy
import math

import pytest
import torch

from xmem.model import NetworkConfig, XMemNetwork
from xmem.training.batch import TrainingBatch
from xmem.training.losses import bootstrapped_cross_entropy, clip_loss
from xmem.training.models import get_model_kind
from xmem.training.step import ClipModel, freeze_batchnorm

T, N, S = 4, 3, 32
OBJECTS = (3, 2, 0)  # sample 1 has a padded slot, sample 2 is an empty clip (slot 0 still selected)
EPS32 = torch.finfo(torch.float32).eps  # 1.19e-7
# Tolerances in units of the fp32 epsilon. A sum of n terms rounded in fp32 is off by about
# sqrt(n) eps relative (random walk); the loss and the gradient reductions sum <= 1e4 terms ->
# 100 eps. A single parameter whose gradient is a near-cancelling sum (a bias, a BatchNorm
# weight) has that error divided by its cancellation ratio -> 1e5 eps for the worst parameter.
# Measured here: loss 0.1-0.7 eps, whole gradient 1.6 eps, worst parameter 4e3 eps.
LOSS_RTOL = 100 * EPS32
GRAD_RTOL_WHOLE = 100 * EPS32
GRAD_RTOL_PARAM = 1e5 * EPS32
ZERO_GRADIENT = 1e-10  # share of the whole gradient's norm below which an exact gradient counts as 0


def _batch() -> TrainingBatch:
    g = torch.Generator().manual_seed(0)
    labels = torch.zeros(len(OBJECTS), T, S, S, dtype=torch.long)
    for s, count in enumerate(OBJECTS):
        for k in range(count):
            y0, x0 = torch.randint(0, S - 8 - 2 * T, (2,), generator=g).tolist()
            for t in range(T):
                labels[s, t, y0 + 2 * t : y0 + 2 * t + 8, x0 + t : x0 + t + 8] = k + 1
    masks = torch.stack([(labels == k + 1).float() for k in range(N)], dim=2)
    images = torch.randn(len(OBJECTS), T, 3, S, S, generator=g) * 0.3 + masks.sum(2, keepdim=True)
    selector = torch.tensor([[1.0 if k < max(1, n) else 0.0 for k in range(N)] for n in OBJECTS])
    return TrainingBatch(images, masks, selector, tuple(f"s{i}" for i in range(len(OBJECTS))))


@pytest.fixture(scope="module")
def network() -> XMemNetwork:
    torch.manual_seed(0)
    return XMemNetwork(NetworkConfig.profile("tiny"))


def _step(network: XMemNetwork, batch: TrainingBatch, keep_fraction: float, dtype: torch.dtype):
    """(loss tensor, {parameter: gradient}) of one training step in ``dtype``, without the update."""
    net = copy.deepcopy(network).to(dtype)
    model = freeze_batchnorm(ClipModel(net, get_model_kind("xmem")))
    batch = TrainingBatch(batch.images.to(dtype), batch.masks.to(dtype), batch.selector.to(dtype), batch.names)
    out = model(batch, num_ref_frames=3, generator=torch.Generator().manual_seed(0), deep_update_prob=1.0)
    loss = clip_loss(out, batch, keep_fraction).total
    loss.backward()
    return loss.detach(), {n: p.grad.double() for n, p in net.named_parameters() if p.grad is not None}


def _errors(grads: dict, reference: dict) -> tuple[float, float]:
    """(max over parameters of ||g - g_ref|| / ||g_ref||, the same for the whole gradient vector);
    parameters whose reference gradient is zero up to rounding are left out of the max."""
    total = math.sqrt(sum(float(g.norm()) ** 2 for g in reference.values()))
    worst, diff_sq = 0.0, 0.0
    for name, ref in reference.items():
        diff = float((grads[name] - ref).norm())
        diff_sq += diff**2
        if float(ref.norm()) >= ZERO_GRADIENT * total:
            worst = max(worst, diff / float(ref.norm()))
    return worst, math.sqrt(diff_sq) / total


@pytest.mark.parametrize("keep_fraction", [1.0, 0.5], ids=["plain-ce", "bootstrapped"])
def test_fp32_step_matches_fp64_step(network, keep_fraction):
    batch = _batch()
    loss32, grads32 = _step(network, batch, keep_fraction, torch.float32)
    loss64, grads64 = _step(network, batch, keep_fraction, torch.float64)
    assert loss32.dtype == torch.float32 and loss64.dtype == torch.float64  # nothing downcasts the fp64 step
    assert set(grads32) == set(grads64) == {n for n, _ in network.named_parameters()}
    assert float(loss32) == pytest.approx(float(loss64), rel=LOSS_RTOL)
    worst, whole = _errors(grads32, grads64)
    assert whole < GRAD_RTOL_WHOLE
    assert worst < GRAD_RTOL_PARAM


def test_bootstrapping_changes_the_step_beyond_the_tolerance(network):
    """The tolerance above can tell a change of the recipe from rounding: keeping the hardest
    half of the pixels raises the loss (their mean exceeds the mean of all) and moves the
    gradient far more than fp32 rounding does."""
    batch = _batch()
    plain, plain_grads = _step(network, batch, 1.0, torch.float64)
    hard, hard_grads = _step(network, batch, 0.5, torch.float64)
    assert float(hard) > float(plain) * (1 + 100 * LOSS_RTOL)
    assert _errors(hard_grads, plain_grads)[1] > 1000 * GRAD_RTOL_WHOLE


def test_bootstrapped_ce_on_hand_computed_pixels():
    # Two classes, target 0, class-0 logit 0 and class-1 logit log(k - 1): p(target) = 1 / k and
    # the pixel's loss is log(k). Sample 0 has k = 2, 3; sample 1 has k = 5, 9, 1 (loss 0).
    ks = torch.tensor([[2.0, 3.0, 1.0], [5.0, 9.0, 1.0]], dtype=torch.float64)  # [B=2, W=3]
    other = torch.log(ks - 1).clamp(min=-1e4)  # k = 1: class 1 logit -1e4, loss 0 (to exp(-1e4))
    logits = torch.stack([torch.zeros_like(ks), other], dim=1).unsqueeze(2)  # [2, 2, 1, 3]
    target = torch.zeros(2, 1, 3, dtype=torch.long)
    log = math.log
    # all 6 pixels (of the batch together): mean
    assert bootstrapped_cross_entropy(logits, target, 1.0).item() == pytest.approx((log(2) + log(3) + log(5) + log(9)) / 6, rel=1e-12)
    # int(6 * 0.5) = 3 hardest pixels, over the whole batch: log 9, log 5, log 3
    assert bootstrapped_cross_entropy(logits, target, 0.5).item() == pytest.approx((log(9) + log(5) + log(3)) / 3, rel=1e-12)
    # int(6 * 0.3) = int(1.8) = 1 (truncation, as the official int()): log 9
    assert bootstrapped_cross_entropy(logits, target, 0.3).item() == pytest.approx(log(9), rel=1e-12)
    # int(6 * 0.1) = 0: at least one pixel (the official topk(k=0) would average nothing: NaN)
    assert bootstrapped_cross_entropy(logits, target, 0.1).item() == pytest.approx(log(9), rel=1e-12)
