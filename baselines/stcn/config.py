"""Architecture configuration of the STCN baseline (Cheng et al., NeurIPS 2021).

``STCNConfig()`` is the published network (ResNet-50 key encoder, ResNet-18 value encoder,
C^k = 64, C^v = 512); it is the only configuration whose state dict matches the released
``stcn.pth``. Smaller profiles (``STCNConfig.profile("small")``) mirror XMem's CPU profiles
(:data:`xmem.model.config.PROFILES`) so both models can be retrained side by side.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, ClassVar, Mapping

from xmem.errors import XMemError
from xmem.model.config import (
    NAMED_BACKBONES,
    ArchitectureConfig,
    BackboneConfig,
    as_backbone,
    at_output_stride,
    check_same_stride,
    backbone_from_state_dict,
)

_CBAM_REDUCTION = 16  # CBAM's channel-gate reduction ratio (fixed, as in the official code)


@dataclass(frozen=True)
class STCNConfig(ArchitectureConfig):
    """Architecture of :class:`baselines.stcn.network.STCNNetwork`. Defaults = the published STCN.

    Attributes:
        key_dim: C^k, channels of the key (one 3x3 projection of f16; no shrinkage/selection).
        value_dim: C^v, channels of the value (the value encoder's fusion width).
        key_comp_dim: channels of ``key_comp(f16)`` (the query's own "value", qv16) that the
            decoder concatenates with the readout (official: 512).
        single_object: value encoder sees only the object's mask (1 extra input channel),
            as in STCN's static-image pretraining, instead of (mask, other objects) (2).
        key_backbone / value_backbone: the two ResNet trunks (a name from
            ``xmem.model.config.NAMED_BACKBONES``, a mapping or a BackboneConfig).
        decoder_dims: widths of the decoder at stride 16, 8 and 4 (official: 512, 256, 256).
    """

    key_dim: int = 64
    value_dim: int = 512
    key_comp_dim: int = 512
    single_object: bool = False
    key_backbone: BackboneConfig = field(default_factory=lambda: NAMED_BACKBONES["resnet50"])
    value_backbone: BackboneConfig = field(default_factory=lambda: NAMED_BACKBONES["resnet18"])
    decoder_dims: tuple[int, int, int] = (512, 256, 256)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key_backbone", as_backbone(self.key_backbone, "key_backbone"))
        object.__setattr__(self, "value_backbone", as_backbone(self.value_backbone, "value_backbone"))
        object.__setattr__(self, "decoder_dims", tuple(int(d) for d in self.decoder_dims))
        for name in ("key_dim", "value_dim", "key_comp_dim"):
            if getattr(self, name) < 1:
                raise XMemError(f"STCN network option {name}={getattr(self, name)} must be positive")
        if len(self.decoder_dims) != 3 or min(self.decoder_dims) < 1:
            raise XMemError(f"STCN network option decoder_dims={self.decoder_dims} must be three positive widths")
        check_same_stride(self.key_backbone, self.value_backbone, "STCN network")
        if self.value_dim < _CBAM_REDUCTION:
            raise XMemError(
                f"STCN network option value_dim={self.value_dim} is too small for CBAM "
                f"(reduction {_CBAM_REDUCTION}): use >= 16"
            )

    @property
    def is_paper_architecture(self) -> bool:
        """True when the state dict has the released ``stcn.pth``'s keys and shapes."""
        return dataclasses.replace(self, single_object=False) == STCNConfig()

    LABEL: ClassVar[str] = "STCN network"

    @classmethod
    def profiles(cls) -> Mapping[str, "STCNConfig"]:
        return STCN_PROFILES

    @classmethod
    def from_state_dict(cls, state_dict: Mapping[str, Any], source: str = "state dict") -> "STCNConfig":
        """Infer the architecture from a plain STCN state dict (keys and tensor shapes).

        A value encoder with 4 input channels (STCN's single-object static-image pretraining)
        gives ``single_object=True``. Raises XMemError naming ``source`` when a needed key is
        absent or the file is an XMem checkpoint.
        """

        def shape(key: str) -> tuple[int, ...]:
            if key not in state_dict:
                raise XMemError(f"{source}: not an STCN state dict (missing {key!r})")
            return tuple(state_dict[key].shape)

        if "decoder.fuser.block1.conv1.weight" in state_dict:
            raise XMemError(f"{source} is an XMem checkpoint, not STCN: use --model xmem")
        extra = shape("value_encoder.conv1.weight")[1] - 3
        if extra not in (1, 2):
            raise XMemError(f"{source}: value_encoder.conv1.weight has {extra + 3} input channels; expected 4 or 5")
        return cls(
            key_dim=shape("key_proj.key_proj.weight")[0],
            value_dim=shape("value_encoder.fuser.block2.conv2.weight")[0],
            key_comp_dim=shape("key_comp.weight")[0],
            single_object=extra == 1,
            key_backbone=backbone_from_state_dict(state_dict, "key_encoder", "res2", shape, source),
            value_backbone=backbone_from_state_dict(state_dict, "value_encoder", "layer1", shape, source),
            decoder_dims=(
                shape("decoder.compress.conv2.weight")[0],
                shape("decoder.up_16_8.out_conv.conv2.weight")[0],
                shape("decoder.up_8_4.out_conv.conv2.weight")[0],
            ),
        )


STCN_PROFILES: dict[str, STCNConfig] = {
    # The published network; loads stcn.pth.
    "paper": STCNConfig(),
    # CPU-trainable, same trunks and widths as XMem's "small" profile (no sensory memory).
    "small": STCNConfig(
        key_dim=64,
        value_dim=128,
        key_comp_dim=128,
        key_backbone=NAMED_BACKBONES["resnet18-slim"],
        value_backbone=NAMED_BACKBONES["resnet10-slim"],
        decoder_dims=(128, 64, 64),
    ),
    # For unit tests and smoke runs; same trunks and widths as XMem's "tiny" profile.
    "tiny": STCNConfig(
        key_dim=16,
        value_dim=32,
        key_comp_dim=32,
        key_backbone=NAMED_BACKBONES["resnet10-tiny"],
        value_backbone=NAMED_BACKBONES["resnet10-tiny"],
        decoder_dims=(32, 16, 16),
    ),
}
# "small" with key / value maps at stride 8, as XMem's "small-s8"
STCN_PROFILES["small-s8"] = at_output_stride(STCN_PROFILES["small"], 8)
