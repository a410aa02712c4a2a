"""Group blocks: the shared-input fusion equals the block run on the concatenation."""

import pytest
import torch
from torch import nn

from xmem.model.blocks import FusionBlock, conv_over_concat, distribute_to_groups, split_weight, weight_parts_reused


@pytest.mark.parametrize("num_objects", [1, 3])
def test_conv_over_concat_equals_conv_of_concatenation(num_objects):
    torch.manual_seed(0)
    conv = nn.Conv2d(5 + 7, 4, kernel_size=3, padding=1)
    x, g = torch.randn(2, 5, 6, 9), torch.randn(2, num_objects, 7, 6, 9)
    expected = conv(distribute_to_groups(x, g, "cat").flatten(0, 1)).view(2, num_objects, 4, 6, 9)
    got = conv_over_concat(conv, x, g)
    assert got.shape == (2, num_objects, 4, 6, 9)
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)


def test_conv_over_concat_keeps_objects_apart():
    torch.manual_seed(1)
    conv = nn.Conv2d(3 + 2, 2, kernel_size=3, padding=1)
    x, g = torch.randn(1, 3, 5, 5), torch.randn(1, 2, 2, 5, 5)
    g[:, 1] = 0
    out = conv_over_concat(conv, x, g)
    alone = conv_over_concat(conv, x, g[:, :1])
    torch.testing.assert_close(out[:, :1], alone)
    assert not torch.allclose(out[:, 0], out[:, 1])


@pytest.mark.parametrize("widths", [(16, 24, 32, 32), (16, 16, 16, 16), (8, 8, 16, 16)])  # last: identity shortcut
def test_fusion_block_matches_block1_on_concatenation(widths):
    """Reference: the residual block applied to cat(x, g), as the official decoder computes it."""
    torch.manual_seed(2)
    image, group, mid, out = widths
    block = FusionBlock(image, group, mid, out).eval()
    x, g = torch.randn(1, image, 4, 6), torch.randn(1, 3, group, 4, 6)
    got = block(x, g)
    cat = block.block1(distribute_to_groups(x, g, "cat"))
    attended = block.attention(cat.flatten(0, 1)).view_as(cat)
    expected = block.block2(cat + attended)
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)


def test_fusion_block_gradients_match_concatenation():
    torch.manual_seed(3)
    block = FusionBlock(8, 8, 16, 16)
    x, g = torch.randn(1, 8, 4, 4), torch.randn(1, 2, 8, 4, 4)
    block(x, g).square().sum().backward()
    fast = block.block1.conv1.weight.grad.clone()
    block.zero_grad()
    cat = block.block1(distribute_to_groups(x, g, "cat"))
    block.block2(cat + block.attention(cat.flatten(0, 1)).view_as(cat)).square().sum().backward()
    torch.testing.assert_close(fast, block.block1.conv1.weight.grad, rtol=1e-4, atol=1e-5)


def test_weight_parts_are_made_once_per_context_and_contiguous_channels_last():
    conv = nn.Conv2d(5 + 7, 4, kernel_size=3, padding=1).to(memory_format=torch.channels_last)
    with weight_parts_reused():
        first = split_weight(conv, 5)
        assert all(a is b for a, b in zip(first, split_weight(conv, 5)))
        with torch.no_grad():
            conv.weight.mul_(2)  # a changed weight (new version) gets new parts
        second = split_weight(conv, 5)
    assert all(p.is_contiguous(memory_format=torch.channels_last) for p in first)
    assert [tuple(p.shape) for p in first] == [(4, 5, 3, 3), (4, 7, 3, 3)]
    torch.testing.assert_close(second[0], 2 * first[0], rtol=0, atol=0)
    assert split_weight(conv, 5)[0] is not split_weight(conv, 5)[0]  # outside the context: a copy per call


def test_reused_weight_parts_give_the_same_values_and_gradients():
    """Three calls (three frames) in one context vs three separately split calls."""
    torch.manual_seed(4)
    conv = nn.Conv2d(6 + 4, 5, kernel_size=3, padding=1).to(memory_format=torch.channels_last)
    inputs = [(torch.randn(2, 6, 5, 5), torch.randn(2, 3, 4, 5, 5)) for _ in range(3)]

    def run():
        conv.zero_grad()
        outs = [conv_over_concat(conv, x, g) for x, g in inputs]
        sum((o * o).sum() for o in outs).backward()
        return outs, conv.weight.grad.clone()

    per_call_outs, per_call_grad = run()
    with weight_parts_reused():
        reused_outs, reused_grad = run()
    for a, b in zip(per_call_outs, reused_outs):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    torch.testing.assert_close(reused_grad, per_call_grad, rtol=1e-6, atol=1e-6)
