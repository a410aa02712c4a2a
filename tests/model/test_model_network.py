"""Shapes and semantics of every XMemNetwork method on tiny inputs (the 'tiny' profile)."""

from __future__ import annotations

import dataclasses
import math

import pytest
import torch

from xmem.errors import XMemError
from xmem.memory.similarity import naive_anisotropic_l2_similarity
from xmem.model import NetworkConfig, XMemNetwork

TINY = NetworkConfig.profile("tiny")
B, N, H, W = 2, 2, 64, 64
h, w = H // 16, W // 16


def tiny_network(**changes) -> XMemNetwork:
    torch.manual_seed(0)
    return XMemNetwork(dataclasses.replace(TINY, **changes)).eval()


@pytest.fixture(scope="module")
def net() -> XMemNetwork:
    return tiny_network()


@pytest.fixture
def image() -> torch.Tensor:
    return torch.randn(B, 3, H, W, generator=torch.Generator().manual_seed(1))


def test_encode_key_image_layout(net, image):
    f4c, f8c, f16c = TINY.key_backbone.out_channels
    with torch.no_grad():
        feats = net.encode_key(image)
    assert feats.key.shape == (B, TINY.key_dim, h, w)
    assert feats.shrinkage.shape == (B, 1, h, w)
    assert feats.selection.shape == (B, TINY.key_dim, h, w)
    assert feats.f16.shape == (B, f16c, h, w)
    assert feats.f8.shape == (B, f8c, 2 * h, 2 * w)
    assert feats.f4.shape == (B, f4c, 4 * h, 4 * w)
    assert feats.multi_scale == (feats.f16, feats.f8, feats.f4)
    assert bool((feats.shrinkage >= 1).all())
    assert bool(((feats.selection > 0) & (feats.selection < 1)).all())
    without = net.encode_key(image, need_shrinkage=False, need_selection=False)
    assert without.shrinkage is None and without.selection is None
    torch.testing.assert_close(without.key, feats.key)


def test_encode_key_clip_layout_matches_per_frame(net):
    t = 3
    clip = torch.randn(B, t, 3, H, W)
    with torch.no_grad():
        feats = net.encode_key(clip)
        second = net.encode_key(clip[:, 1])
    assert feats.key.shape == (B, TINY.key_dim, t, h, w)
    assert feats.shrinkage.shape == (B, 1, t, h, w)
    assert feats.selection.shape == (B, TINY.key_dim, t, h, w)
    assert feats.f16.shape[:3] == (B, t, TINY.key_backbone.out_channels[2])
    assert feats.f4.shape[-2:] == (4 * h, 4 * w)
    torch.testing.assert_close(feats.key[:, :, 1], second.key)
    torch.testing.assert_close(feats.selection[:, :, 1], second.selection)
    torch.testing.assert_close(feats.f8[:, 1], second.f8)


def test_encode_value_shapes_and_deep_update(net, image):
    masks = torch.rand(B, N, H, W)
    with torch.no_grad():
        f16 = net.encode_key(image).f16
        hidden = torch.randn(B, N, TINY.hidden_dim, h, w)
        value, updated = net.encode_value(image, f16, hidden, masks)
        value2, kept = net.encode_value(image, f16, hidden, masks, deep_update=False)
        _, from_zero = net.encode_value(image, f16, None, masks)
        _, from_explicit_zero = net.encode_value(image, f16, net.zero_hidden(B, N, (h, w)), masks)
    assert value.shape == (B, N, TINY.value_dim, h, w)
    assert updated.shape == (B, N, TINY.hidden_dim, h, w)
    assert not torch.equal(updated, hidden)
    assert kept is hidden
    torch.testing.assert_close(value2, value)
    torch.testing.assert_close(from_zero, from_explicit_zero)


def test_encode_value_other_objects_channel(net, image, monkeypatch):
    seen = {}
    original = net.value_encoder.forward

    def spy(image, f16, hidden, masks, others, deep_update=True):
        seen["others"] = others
        return original(image, f16, hidden, masks, others, deep_update)

    monkeypatch.setattr(net.value_encoder, "forward", spy)
    masks = torch.zeros(1, 3, H, W)
    masks[0, 0, :10] = 1
    masks[0, 1, 20:30] = 1
    masks[0, 2, 5:25] = 0.5
    with torch.no_grad():
        f16 = net.encode_key(image[:1]).f16
        net.encode_value(image[:1], f16, None, masks)
        expected = torch.stack([masks[0, 1] + masks[0, 2], masks[0, 0] + masks[0, 2], masks[0, 0] + masks[0, 1]])
        torch.testing.assert_close(seen["others"][0], expected)
        net.encode_value(image[:1], f16, None, masks[:, :1])
        assert torch.equal(seen["others"], torch.zeros(1, 1, H, W))


def test_objects_are_encoded_independently(net, image):
    """Permuting the objects permutes the values (with 'others' recomputed)."""
    masks = (torch.rand(1, 3, H, W) > 0.7).float()
    with torch.no_grad():
        f16 = net.encode_key(image[:1]).f16
        value, _ = net.encode_value(image[:1], f16, None, masks)
        permuted, _ = net.encode_value(image[:1], f16, None, masks[:, [2, 0, 1]])
    torch.testing.assert_close(permuted, value[:, [2, 0, 1]])


def test_read_memory_matches_naive_formula(net):
    g = torch.Generator().manual_seed(3)
    ck, cv, t = TINY.key_dim, 5, 2
    qk, qe = torch.randn(B, ck, h, w, generator=g), torch.rand(B, ck, h, w, generator=g)
    mk, ms = torch.randn(B, ck, t, h, w, generator=g), 1 + torch.rand(B, 1, t, h, w, generator=g)
    mv = torch.randn(B, N, cv, t, h, w, generator=g)
    out = net.read_memory(qk, qe, mk, ms, mv)
    assert out.shape == (B, N, cv, h, w)
    affinity = torch.softmax(naive_anisotropic_l2_similarity(mk, ms, qk, qe), dim=1)  # [B, T*h*w, h*w]
    expected = torch.einsum("bnct,btm->bncm", mv.flatten(3), affinity).view(B, N, cv, h, w)
    torch.testing.assert_close(out, expected, rtol=1e-4, atol=1e-5)
    # without shrinkage / selection: plain negative squared distance / sqrt(CK)
    plain = net.read_memory(qk, None, mk, None, mv)
    sim = -((mk.flatten(2).unsqueeze(3) - qk.flatten(2).unsqueeze(2)) ** 2).sum(1) / math.sqrt(ck)
    expected = torch.einsum("bnct,btm->bncm", mv.flatten(3), torch.softmax(sim, 1)).view(B, N, cv, h, w)
    torch.testing.assert_close(plain, expected, rtol=1e-4, atol=1e-5)


def test_segment_shapes_hidden_and_selector(net, image):
    with torch.no_grad():
        feats = net.encode_key(image)
        readout = torch.randn(B, N, TINY.value_dim, h, w)
        hidden = net.zero_hidden(B, N, (h, w))
        out = net.segment(feats.multi_scale, readout, hidden)
        same = net.segment(feats, readout, hidden)
        no_update = net.segment(feats.multi_scale, readout, hidden, update_hidden=False)
        selected = net.segment(feats.multi_scale, readout, hidden, selector=torch.tensor([1.0, 0.0]).view(1, N, 1, 1))
    assert out.logits.shape == out.prob.shape == (B, N + 1, H, W)
    assert out.hidden.shape == (B, N, TINY.hidden_dim, h, w)
    torch.testing.assert_close(same.logits, out.logits)
    assert no_update.hidden is None
    torch.testing.assert_close(no_update.logits, out.logits)
    torch.testing.assert_close(out.prob, torch.softmax(out.logits, dim=1))
    torch.testing.assert_close(out.prob.sum(1), torch.ones(B, H, W))
    # a de-selected object has probability 0 -> clamped to 1e-7 before the logit
    floor = math.log(1e-7 / (1 - 1e-7))
    torch.testing.assert_close(selected.logits[:, 2], torch.full((B, H, W), floor), rtol=0, atol=1e-4)
    torch.testing.assert_close(selected.logits[:, 1], out.logits[:, 1])


def test_segment_requires_hidden_when_sensory_memory_exists(net, image):
    feats = net.encode_key(image)
    with pytest.raises(XMemError, match="zero_hidden"):
        net.segment(feats, torch.zeros(B, N, TINY.value_dim, h, w), None)


def test_bad_shapes_raise_xmem_error(net, image):
    with pytest.raises(XMemError, match="encode_key"):
        net.encode_key(torch.zeros(1, 4, H, W))
    with pytest.raises(XMemError, match="encode_value"):
        net.encode_value(image, torch.zeros(B, 64, h, w), None, torch.zeros(B, N, H // 2, W))


def test_no_sensory_memory_network(image):
    net = tiny_network(hidden_dim=0)
    assert net.hidden_dim == 0 and net.zero_hidden(B, N, (h, w)) is None
    assert net.decoder.hidden_update is None and net.value_encoder.hidden_reinforce is None
    assert not any("hidden" in k for k in net.state_dict())
    assert net.decoder.fuser.block1.conv1.in_channels == TINY.key_backbone.out_channels[2] + TINY.value_dim
    with torch.no_grad():
        feats = net.encode_key(image)
        value, hidden = net.encode_value(image, feats.f16, None, torch.rand(B, N, H, W))
        out = net.segment(feats, value, None)
    assert hidden is None and out.hidden is None
    assert out.prob.shape == (B, N + 1, H, W)


@pytest.mark.parametrize("use_shrinkage,use_selection", [(True, False), (False, True), (False, False)])
def test_table5_shrinkage_selection_flags(image, use_shrinkage, use_selection):
    net = tiny_network(use_shrinkage=use_shrinkage, use_selection=use_selection)
    keys = net.state_dict().keys()
    assert ("key_proj.d_proj.weight" in keys) == use_shrinkage
    assert ("key_proj.e_proj.weight" in keys) == use_selection
    with torch.no_grad():
        feats = net.encode_key(image)
    assert (feats.shrinkage is not None) == use_shrinkage
    assert (feats.selection is not None) == use_selection
    # a disabled term counts as 1 in the similarity
    memory_key = torch.randn(B, TINY.key_dim, 2, h, w)
    memory_shrinkage = None if feats.shrinkage is None else 1 + torch.rand(B, 1, 2, h, w)
    memory_value = torch.randn(B, 1, 3, 2, h, w)
    readout = net.read_memory(feats.key, feats.selection, memory_key, memory_shrinkage, memory_value)
    if feats.selection is not None:
        similarity = naive_anisotropic_l2_similarity(memory_key, memory_shrinkage, feats.key, feats.selection)
    else:  # official: without selection the query-only term -|q|^2 is dropped *before* shrinkage
        mk, qk = memory_key.flatten(2), feats.key.flatten(2)
        similarity = (2 * mk.transpose(1, 2) @ qk - mk.pow(2).sum(1).unsqueeze(2)) / math.sqrt(TINY.key_dim)
        if memory_shrinkage is not None:
            similarity = similarity * memory_shrinkage.flatten(1).unsqueeze(2)
    expected = torch.einsum("bnct,btm->bncm", memory_value.flatten(3), torch.softmax(similarity, 1))
    torch.testing.assert_close(readout, expected.view(B, 1, 3, h, w), rtol=1e-4, atol=1e-5)
    assert NetworkConfig.from_state_dict(net.state_dict()) == net.config


def test_single_object_network(image):
    net = tiny_network(single_object=True)
    assert net.value_encoder.conv1.in_channels == 4
    with torch.no_grad():
        f16 = net.encode_key(image).f16
        masks = torch.rand(B, 3, H, W)
        value, _ = net.encode_value(image, f16, None, masks)
        alone, _ = net.encode_value(image, f16, None, masks[:, 1:2])
    torch.testing.assert_close(value[:, 1:2], alone)  # other objects do not matter


def test_properties(net):
    assert (net.key_dim, net.value_dim, net.hidden_dim) == (TINY.key_dim, TINY.value_dim, TINY.hidden_dim)
    assert net.config is not None and net.config == TINY
