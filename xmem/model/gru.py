"""The convolutional GRUs that maintain XMem's sensory memory (hidden state, paper §3.3).

Both use the official formulation, which differs from a textbook GRU: the candidate value
is computed from the input and the *un-gated* hidden state, and

    new_h = forget * h * (1 - update) + update * tanh(candidate)

(see :func:`gru_step`). Hidden states are group features [B, N, C_h, h, w] at stride 16.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from xmem.model.blocks import GroupConv2d, resize_groups


def gru_step(gates: Tensor, hidden: Tensor) -> Tensor:
    """One GRU update from pre-activation gates.

    Args:
        gates:  [B, N, 3*C_h, h, w]: forget, update, candidate (in this order along dim 2).
        hidden: [B, N, C_h, h, w]

    Returns:
        sigmoid(f) * hidden * (1 - sigmoid(u)) + sigmoid(u) * tanh(c), [B, N, C_h, h, w].
    """
    forget, update, candidate = gates.chunk(3, dim=2)
    forget = torch.sigmoid(forget)
    update = torch.sigmoid(update)
    return forget * hidden * (1 - update) + update * torch.tanh(candidate)


def _gate_conv(in_channels: int, hidden_dim: int) -> GroupConv2d:
    """3x3 conv to the GRU's forget/update/candidate maps (3 * hidden_dim), Xavier-normal weights."""
    conv = GroupConv2d(in_channels, 3 * hidden_dim, kernel_size=3, padding=1)
    nn.init.xavier_normal_(conv.weight)
    return conv


class DeepSensoryUpdate(nn.Module):
    """Deep update (value encoder): GRU on the value features, [B,N,CV,h,w] + [B,N,CH,h,w] -> [B,N,CH,h,w]."""

    def __init__(self, value_dim: int, hidden_dim: int):
        super().__init__()
        self.transform = _gate_conv(value_dim + hidden_dim, hidden_dim)

    def forward(self, value: Tensor, hidden: Tensor) -> Tensor:
        return gru_step(self.transform(torch.cat([value, hidden], dim=2)), hidden)


class SensoryUpdate(nn.Module):
    """Per-frame update (decoder): GRU on the multi-scale decoder features.

    Inputs g16 [B,N,D16,h,w], g8 [B,N,D8,2h,2w], g4 [B,N,D4+1,4h,4w] (D4 features + the
    object's logit) are projected by 1x1 convs to ``mid_dim``, area-downsampled to stride 16,
    summed, and fed with the hidden state to the GRU.
    """

    def __init__(self, g_dims: tuple[int, int, int], mid_dim: int, hidden_dim: int):
        super().__init__()
        self.g16_conv = GroupConv2d(g_dims[0], mid_dim, kernel_size=1)
        self.g8_conv = GroupConv2d(g_dims[1], mid_dim, kernel_size=1)
        self.g4_conv = GroupConv2d(g_dims[2], mid_dim, kernel_size=1)
        self.transform = _gate_conv(mid_dim + hidden_dim, hidden_dim)

    def forward(self, g16: Tensor, g8: Tensor, g4: Tensor, hidden: Tensor) -> Tensor:
        size = tuple(g16.shape[-2:])
        g = (
            self.g16_conv(g16)
            + self.g8_conv(resize_groups(g8, size, "area"))
            + self.g4_conv(resize_groups(g4, size, "area"))
        )
        return gru_step(self.transform(torch.cat([g, hidden], dim=2)), hidden)
