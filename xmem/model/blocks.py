"""Building blocks for per-object ("group") features.

Group features have shape [B, N, C, H, W] (N = objects); every block here treats the N
objects independently and identically (permutation equivariant), folding N into the batch.
"""

from __future__ import annotations

import contextlib
import contextvars

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from xmem.model.cbam import CBAM


def resize_groups(g: Tensor, size: tuple[int, int], mode: str) -> Tensor:
    """Resize [B, N, C, H, W] to [B, N, C, *size].

    ``mode`` "bilinear" (align_corners=False) or "area". For the integer ratios the network
    uses (x2 up, /2 and /4 down) this equals resizing by a scale factor as the official code does.
    """
    b, n = g.shape[:2]
    flat = g.flatten(0, 1)
    if mode == "bilinear":
        out = F.interpolate(flat, size=size, mode="bilinear", align_corners=False)
    else:
        out = F.interpolate(flat, size=size, mode=mode)
    return out.view(b, n, *out.shape[1:])


def logits_at_frame_size(logits: Tensor, batch: int, objects: int) -> Tensor:
    """The decoders' per-object logits [B*N, 1, H/4, W/4] -> [B, N, H, W], bilinearly upsampled x4."""
    h, w = logits.shape[-2:]
    return resize_groups(logits.view(batch, objects, 1, h, w), (4 * h, 4 * w), "bilinear").squeeze(2)


def distribute_to_groups(x: Tensor, g: Tensor, method: str = "cat") -> Tensor:
    """Combine object-independent features x [B, C, H, W] with each object's g [B, N, C', H, W].

    "cat": [B, N, C + C', H, W] with x's channels first; "append": the same with g's channels
    first (STCN's value fusion); "add": x + g (C == C').
    """
    expanded = x.unsqueeze(1).expand(-1, g.shape[1], -1, -1, -1)
    if method == "cat":
        return torch.cat([expanded, g], dim=2)
    if method == "append":
        return torch.cat([g, expanded], dim=2)
    if method == "add":
        return expanded + g
    raise ValueError(f"unknown distribution method {method!r}")


class GroupConv2d(nn.Conv2d):
    """nn.Conv2d applied to each object of [B, N, C, H, W] -> [B, N, C_out, H', W']."""

    def forward(self, g: Tensor) -> Tensor:
        b, n = g.shape[:2]
        out = super().forward(g.flatten(0, 1))
        return out.view(b, n, *out.shape[1:])


class ObjectResBlock(nn.Module):
    """Pre-activation residual block: conv2(relu(conv1(relu(g)))) + shortcut(g).

    The shortcut is a 3x3 conv when the width changes, identity otherwise.
    """

    def __init__(self, in_dim: int, out_dim: int):
        super().__init__()
        same_size = {"kernel_size": 3, "padding": 1}  # all three convolutions keep the spatial size
        # the shortcut is registered first so that the state-dict order matches the official checkpoints
        self.downsample = None if in_dim == out_dim else GroupConv2d(in_dim, out_dim, **same_size)
        self.conv1 = GroupConv2d(in_dim, out_dim, **same_size)
        self.conv2 = GroupConv2d(out_dim, out_dim, **same_size)

    def forward(self, g: Tensor) -> Tensor:
        out = self.conv2(F.relu(self.conv1(F.relu(g))))
        shortcut = g if self.downsample is None else self.downsample(g)
        return out + shortcut


_WEIGHT_PARTS: contextvars.ContextVar[dict | None] = contextvars.ContextVar("conv_weight_parts", default=None)


@contextlib.contextmanager
def weight_parts_reused():
    """Within this context ``conv_over_concat`` splits each convolution's weight once and reuses the
    two parts in every later call (a training clip calls each fusion convolution once per frame).

    The parts are contiguous copies of the weight's input-channel slices: oneDNN needs contiguous
    weights, and a slice of a channels-last weight is not, so without the context every call (and
    its backward) copies the weight again. The reused parts are nodes of the autograd graph: their
    gradients add up over the calls and flow to the weight once. A part is reused only while the
    weight is unchanged (same tensor version) and the grad mode is the one it was made in.
    """
    token = _WEIGHT_PARTS.set({})
    try:
        yield
    finally:
        _WEIGHT_PARTS.reset(token)


def split_weight(conv: nn.Conv2d, split: int) -> tuple[Tensor, Tensor]:
    """(W[:, :split], W[:, split:]) of ``conv.weight`` [O, I, k, k] as contiguous tensors in the
    weight's memory format; reused within :func:`weight_parts_reused`."""
    weight = conv.weight
    parts = _WEIGHT_PARTS.get()
    key = (id(weight), weight._version, split, torch.is_grad_enabled())
    if parts is not None and key in parts:
        return parts[key][1]
    layout = torch.channels_last if weight.is_contiguous(memory_format=torch.channels_last) else torch.contiguous_format
    split_parts = (weight[:, :split].contiguous(memory_format=layout), weight[:, split:].contiguous(memory_format=layout))
    if parts is not None:
        parts[key] = (weight, split_parts)  # holds the weight: its id is not reused while the context lives
    return split_parts


def conv_over_concat(conv: nn.Conv2d, x: Tensor, g: Tensor) -> Tensor:
    """``conv(cat(x expanded to every object, g))`` without repeating x's share of the work.

    A convolution is linear in its input channels, so with the weight split as [W_x | W_g]:
    conv(cat(x, g)) = conv(x; W_x) + conv(g; W_g) + bias. The x term is the same for every
    object and is computed once (exact up to floating-point summation order). With one object
    there is nothing to share and the concatenation is convolved directly (no weight split).
    The split costs a copy of the weight (:func:`split_weight`), made once per
    :func:`weight_parts_reused` context (the training clip forward) or else once per call.

    Args:
        conv: a 2D convolution with X + G input channels.
        x: object-independent features [B, X, h, w].
        g: per-object features [B, N, G, h, w].

    Returns:
        [B, N, C_out, h', w'].
    """
    b, n = g.shape[:2]
    if n == 1:  # nothing to share: one convolution over the concatenation, no weight slices
        joint = torch.cat([x, g[:, 0]], dim=1)
        return F.conv2d(joint, conv.weight, conv.bias, conv.stride, conv.padding, conv.dilation).unsqueeze(1)
    weight_x, weight_g = split_weight(conv, x.shape[1])
    shared = F.conv2d(x, weight_x, None, conv.stride, conv.padding, conv.dilation)
    own = F.conv2d(g.flatten(0, 1), weight_g, conv.bias, conv.stride, conv.padding, conv.dilation)
    return own.view(b, n, *own.shape[1:]) + shared.unsqueeze(1)


class FusionBlock(nn.Module):
    """Fuse image features x [B, X, h, w] into group features g [B, N, G, h, w] -> [B, N, out, h, w].

    cat(x, g) -> res block -> + CBAM(.) -> res block. The first residual block is evaluated
    with ``conv_over_concat`` (x's contribution once, not once per object): equal to running
    ``block1`` on the concatenation, with a fraction of the FLOPs when there are several objects.
    """

    def __init__(self, image_channels: int, group_channels: int, mid_channels: int, out_channels: int):
        super().__init__()
        self.block1 = ObjectResBlock(image_channels + group_channels, mid_channels)
        self.attention = CBAM(mid_channels)
        self.block2 = ObjectResBlock(mid_channels, out_channels)

    def forward(self, x: Tensor, g: Tensor) -> Tensor:
        b, n = g.shape[:2]
        g = self._block1(x, g)
        attended = self.attention(g.flatten(0, 1)).view(b, n, *g.shape[2:])
        return self.block2(g + attended)

    def _block1(self, x: Tensor, g: Tensor) -> Tensor:
        """``self.block1(distribute_to_groups(x, g, "cat"))`` computed with x's share done once."""
        block = self.block1
        out = conv_over_concat(block.conv1, F.relu(x), F.relu(g))
        out = block.conv2(F.relu(out))
        if block.downsample is None:
            return out + distribute_to_groups(x, g, "cat")
        return out + conv_over_concat(block.downsample, x, g)
