"""XMem's decoder (paper §3.1 and Fig. 3): memory readout + hidden state + multi-scale
skip connections -> per-object logits, with the sensory-memory GRU update."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from xmem.model.blocks import FusionBlock, ObjectResBlock, distribute_to_groups, logits_at_frame_size, resize_groups
from xmem.model.config import NetworkConfig
from xmem.model.gru import SensoryUpdate


class SkipUpsampler(nn.Module):
    """Skip [B, S, 2h, 2w] and group features [B, N, G, h, w] -> [B, N, out, 2h, 2w].

    The skip is projected to G channels by a 3x3 conv, added to the bilinearly upsampled
    group features, then a residual block maps G -> out.
    """

    def __init__(self, skip_channels: int, channels: int, out_channels: int):
        super().__init__()
        self.skip_conv = nn.Conv2d(skip_channels, channels, kernel_size=3, padding=1)
        self.out_conv = ObjectResBlock(channels, out_channels)

    def forward(self, skip: Tensor, g: Tensor) -> Tensor:
        skip = self.skip_conv(skip)
        g = resize_groups(g, tuple(skip.shape[-2:]), "bilinear")
        return self.out_conv(distribute_to_groups(skip, g, "add"))


class Decoder(nn.Module):
    """(f16, f8, f4, hidden, readout) -> (new hidden | None, logits [B, N, H, W]) with H = 4 * f4 height."""

    def __init__(self, config: NetworkConfig):
        super().__init__()
        f4_dim, f8_dim, f16_dim = config.key_backbone.out_channels
        d16, d8, d4 = config.decoder_dims
        self.fuser = FusionBlock(f16_dim, config.value_dim + config.hidden_dim, d16, d16)
        self.hidden_update = (
            SensoryUpdate((d16, d8, d4 + 1), config.hidden_update_dim, config.hidden_dim)
            if config.hidden_dim > 0
            else None
        )
        self.up_16_8 = SkipUpsampler(f8_dim, d16, d8)
        self.up_8_4 = SkipUpsampler(f4_dim, d8, d4)
        self.pred = nn.Conv2d(d4, 1, kernel_size=3, padding=1)

    def forward(
        self, f16: Tensor, f8: Tensor, f4: Tensor, hidden: Tensor | None, readout: Tensor, update_hidden: bool = True
    ) -> tuple[Tensor | None, Tensor]:
        """
        Args:
            f16/f8/f4: key-encoder features [B, C, H/16|8|4, W/16|8|4].
            hidden: [B, N, CH, H/16, W/16] (ignored and may be None when hidden_dim == 0).
            readout: memory readout [B, N, CV, H/16, W/16].

        Returns:
            hidden: updated [B, N, CH, H/16, W/16], or None if not requested / no sensory memory.
            logits: [B, N, H, W] per-object logits (before soft aggregation).
        """
        b, n = readout.shape[:2]
        g = readout if self.hidden_update is None else torch.cat([readout, hidden], dim=2)
        at16 = self.fuser(f16, g)
        at8 = self.up_16_8(f8, at16)
        at4 = self.up_8_4(f4, at8)
        logits = self.pred(F.relu(at4.flatten(0, 1)))  # [B*N, 1, H/4, W/4]
        if update_hidden and self.hidden_update is not None:
            with_logits = torch.cat([at4, logits.view(b, n, 1, *logits.shape[-2:])], dim=2)
            hidden = self.hidden_update(at16, at8, with_logits, hidden)
        else:
            hidden = None
        return hidden, logits_at_frame_size(logits, b, n)

