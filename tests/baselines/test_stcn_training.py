"""STCN's training clip forward (XMem's recipe): outputs, memory-frame choice, gradients."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from baselines.stcn import STCNConfig, STCNNetwork
from baselines.stcn.training import stcn_clip_forward
from xmem.errors import XMemError
from xmem.training.batch import ClipOutput, TrainingBatch
from xmem.training.losses import clip_loss
from xmem.training.models import get_model_kind

B, T, N, SIZE = 2, 5, 2, 32


def make_batch(num_slots: int = N, seed: int = 0) -> TrainingBatch:
    g = torch.Generator().manual_seed(seed)
    images = torch.randn(B, T, 3, SIZE, SIZE, generator=g)
    labels = torch.randint(0, num_slots + 1, (B, T, SIZE // 4, SIZE // 4), generator=g)
    labels = labels.repeat_interleave(4, -1).repeat_interleave(4, -2)
    masks = torch.stack([(labels == i + 1).float() for i in range(num_slots)], dim=2)
    selector = torch.ones(B, num_slots)
    if num_slots > 1:  # the second sample has a single real object
        masks[1, :, 1:] = 0
        selector[1, 1:] = 0
    return TrainingBatch(images=images, masks=masks, selector=selector, names=("a", "b"))


@pytest.fixture()
def tiny() -> STCNNetwork:
    torch.manual_seed(0)
    return STCNNetwork(STCNConfig.profile("tiny"))


def test_outputs_and_padded_slots(tiny):
    batch = make_batch()
    out = stcn_clip_forward(tiny.eval(), batch, num_ref_frames=2, generator=torch.Generator().manual_seed(0))
    assert isinstance(out, ClipOutput) and out.num_predicted == T - 1
    for logits, masks in zip(out.logits, out.masks):
        assert logits.shape == (B, N + 1, SIZE, SIZE) and masks.shape == (B, N, SIZE, SIZE)
        torch.testing.assert_close(masks, torch.softmax(logits, dim=1)[:, 1:])
        assert masks[1, 1].max() < 1e-5  # padded slot: probability forced to ~0 by the selector


def test_first_frame_and_single_reference_frame(tiny):
    """Frame 1 is read from frame 0's ground-truth value; with num_ref_frames = 1 every
    frame is read from frame 0 alone (the annotated frame is always in memory)."""
    net = tiny.eval()
    batch = make_batch()
    with torch.no_grad():
        out = stcn_clip_forward(net, batch, num_ref_frames=1, generator=torch.Generator().manual_seed(0))
        feats = net.encode_key(batch.images)
        value0, _ = net.encode_value(batch.images[:, 0], feats.f16[:, 0], None, batch.masks[:, 0])
        selector = batch.selector.view(B, N, 1, 1)
        for t in (1, T - 1):
            readout = net.read_memory(feats.key[:, :, t], feats.key[:, :, :1], value0.unsqueeze(3))
            expected = net.segment((feats.f16_compact[:, t], feats.f8[:, t], feats.f4[:, t]), readout, None,
                                   selector=selector)
            torch.testing.assert_close(out.logits[t - 1], expected.logits)


def test_reproducible_from_the_generator(tiny):
    net = tiny.eval()
    batch = make_batch()
    with torch.no_grad():
        a = stcn_clip_forward(net, batch, num_ref_frames=2, generator=torch.Generator().manual_seed(3))
        b = stcn_clip_forward(net, batch, num_ref_frames=2, generator=torch.Generator().manual_seed(3))
    for x, y in zip(a.logits, b.logits):
        assert torch.equal(x, y)


def test_backward_through_the_training_loss():
    """The trainer's registry builds STCN from options and its loss back-propagates to every parameter."""
    torch.manual_seed(0)
    kind = get_model_kind("stcn")
    net = kind.build_network({"profile": "tiny"}, False, {})
    assert isinstance(net, STCNNetwork) and net.config == STCNConfig.profile("tiny")
    batch = make_batch()
    out = kind.clip_forward(net.train(), batch, num_ref_frames=2, generator=torch.Generator().manual_seed(0),
                            deep_update_prob=0.2)
    loss = clip_loss(out, batch, keep_fraction=1.0).total
    assert torch.isfinite(loss)
    loss.backward()
    no_grad = [n for n, p in net.named_parameters() if p.grad is None or not torch.isfinite(p.grad).all()]
    assert no_grad == []
    assert net.key_proj.key_proj.weight.grad.abs().sum() > 0  # the affinity is trained


def test_single_object_network(tiny):
    single = STCNNetwork(dataclasses.replace(STCNConfig.profile("tiny"), single_object=True)).eval()
    with torch.no_grad():
        out = stcn_clip_forward(single, make_batch(num_slots=1), num_ref_frames=2,
                                generator=torch.Generator().manual_seed(0))
    assert out.logits[0].shape == (B, 2, SIZE, SIZE)
    with pytest.raises(XMemError, match="N = 1 object slot"):
        stcn_clip_forward(single, make_batch(), num_ref_frames=2, generator=torch.Generator())
