"""Group blocks: the shared-input fusion equals the block run on the concatenation."""

import pytest
import torch
from torch import nn

from xmem.model.blocks import FusionBlock, conv_over_concat, distribute_to_groups


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
