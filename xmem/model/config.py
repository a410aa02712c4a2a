"""Architecture configuration of the XMem network.

``NetworkConfig()`` is the paper's network (ResNet-50 key encoder, ResNet-18 value encoder,
C^k = 64, C^v = 512, C^h = 64); it is the only configuration whose state dict matches the
released checkpoints (``XMem.pth``, ``XMem-s012.pth``, ...; ``hidden_dim=0`` matches
``XMem-no-sensory.pth``). Smaller profiles (``NetworkConfig.profile("small")``) shrink the
backbones and channel widths so that several models can be trained on a 2-core CPU.

``NetworkConfig.from_state_dict`` reads every architecture parameter back from a plain state
dict, so checkpoints (official or ours) reload without any side file.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any, ClassVar, Mapping

from xmem.errors import XMemError

BLOCK_TYPES = ("basic", "bottleneck")
OUTPUT_STRIDES = (8, 16)
#: State-dict entry (under the encoder's prefix, e.g. ``key_encoder.output_stride``) that marks a trunk
#: whose output stride is not 16: an integer buffer, absent from the paper's (and the official) weights.
OUTPUT_STRIDE_KEY = "output_stride"
_BOTTLENECK_EXPANSION = 4
_CBAM_REDUCTION = 16  # CBAM's channel-gate reduction ratio (fixed, as in the official code)


@dataclass(frozen=True)
class BackboneConfig:
    """A ResNet trunk cut after its third stage (output stride 16, or 8 with an unstrided third stage).

    Attributes:
        block: "basic" (ResNet-18/34 blocks) or "bottleneck" (ResNet-50 blocks, stride in the
            3x3 conv, i.e. torchvision's v1.5).
        layers: number of blocks in stages 1, 2, 3 (torchvision's layer1..layer3).
        width: channels of the stem (conv1) and planes of stage 1; stages 2 and 3 use 2x and
            4x that many planes. torchvision's ResNets use 64.
        output_stride: stride of the last stage's features f16: 16 (the paper; stage 3 halves
            the resolution) or 8 (stage 3 keeps f8's resolution: 4x the key/value elements per
            frame, for small frames; docs/training.md, Session 10). Shapes of the weights do
            not depend on it; a trunk of stride 8 is marked in the state dict (see
            :data:`OUTPUT_STRIDE_KEY`).
    """

    block: str = "bottleneck"
    layers: tuple[int, int, int] = (3, 4, 6)
    width: int = 64
    output_stride: int = 16

    def __post_init__(self) -> None:
        object.__setattr__(self, "layers", tuple(int(n) for n in self.layers))
        if self.block not in BLOCK_TYPES:
            raise XMemError(f"backbone block {self.block!r} is not supported: use one of {BLOCK_TYPES}")
        if len(self.layers) != 3 or min(self.layers) < 1:
            raise XMemError(f"backbone layers {self.layers} must be three positive block counts (stage 1..3)")
        if self.width < 1:
            raise XMemError(f"backbone width {self.width} must be positive (torchvision's ResNets use 64)")
        if self.output_stride not in OUTPUT_STRIDES:
            raise XMemError(f"backbone output_stride {self.output_stride} is not supported: use one of {OUTPUT_STRIDES}")

    @property
    def expansion(self) -> int:
        return _BOTTLENECK_EXPANSION if self.block == "bottleneck" else 1

    @property
    def out_channels(self) -> tuple[int, int, int]:
        """Channels of the stride-4, stride-8 and last-stage features (f4, f8, f16)."""
        e = self.expansion
        return (self.width * e, 2 * self.width * e, 4 * self.width * e)

    @classmethod
    def named(cls, name: str) -> "BackboneConfig":
        """A named trunk: one of :data:`NAMED_BACKBONES`."""
        try:
            return NAMED_BACKBONES[name]
        except KeyError:
            raise XMemError(
                f"unknown backbone {name!r}: use one of {sorted(NAMED_BACKBONES)} or give block/layers/width"
            ) from None


NAMED_BACKBONES: dict[str, BackboneConfig] = {
    "resnet18": BackboneConfig("basic", (2, 2, 2), 64),
    "resnet34": BackboneConfig("basic", (3, 4, 6), 64),
    "resnet50": BackboneConfig("bottleneck", (3, 4, 6), 64),
    "resnet101": BackboneConfig("bottleneck", (3, 4, 23), 64),
    "resnet18-slim": BackboneConfig("basic", (2, 2, 2), 32),
    "resnet10-slim": BackboneConfig("basic", (1, 1, 1), 32),
    "resnet10-tiny": BackboneConfig("basic", (1, 1, 1), 16),
}


def at_output_stride(config: Any, stride: int) -> Any:
    """``config`` (a frozen architecture dataclass with ``key_backbone`` and ``value_backbone``)
    with both trunks at output stride ``stride``."""
    return dataclasses.replace(
        config,
        key_backbone=dataclasses.replace(config.key_backbone, output_stride=stride),
        value_backbone=dataclasses.replace(config.value_backbone, output_stride=stride),
    )


def check_same_stride(key_backbone: BackboneConfig, value_backbone: BackboneConfig, what: str) -> None:
    """Key and value maps are read element by element together: their trunks need one output stride."""
    if key_backbone.output_stride != value_backbone.output_stride:
        raise XMemError(
            f"{what} options: key_backbone output_stride {key_backbone.output_stride} differs from value_backbone's "
            f"{value_backbone.output_stride}; give both the same"
        )


def as_backbone(value: Any, option: str) -> BackboneConfig:
    if isinstance(value, BackboneConfig):
        return value
    if isinstance(value, str):
        return BackboneConfig.named(value)
    if isinstance(value, Mapping):
        unknown = set(value) - {"block", "layers", "width", "output_stride"}
        if unknown:
            raise XMemError(f"{option}: unknown fields {sorted(unknown)}; use block, layers, width, output_stride")
        return BackboneConfig(**value)
    raise XMemError(f"{option} must be a backbone name, a mapping or a BackboneConfig, got {type(value).__name__}")


class ArchitectureConfig:
    """Plain-data round trip and named profiles, shared by the architecture dataclasses of
    every method (:class:`NetworkConfig`, the STCN baseline's ``STCNConfig``).

    Subclasses are frozen dataclasses with ``key_backbone`` and ``value_backbone`` that set
    :attr:`LABEL` (used in error messages) and return their named configurations from :meth:`profiles`.
    """

    LABEL: ClassVar[str] = "network"

    @property
    def key_stride(self) -> int:
        """Stride of the key / value maps relative to the padded frame (16 in the paper)."""
        return self.key_backbone.output_stride

    @classmethod
    def profiles(cls) -> Mapping[str, Any]:
        raise NotImplementedError

    @property
    def value_extra_channels(self) -> int:
        """Mask channels appended to the RGB input of the value encoder: 1 (the object) for a
        single-object network, 2 (the object, the other objects) otherwise."""
        return 1 if self.single_object else 2  # type: ignore[attr-defined]

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form (for YAML/JSON); ``from_dict(to_dict())`` is the identity."""
        return dataclasses.asdict(self)  # type: ignore[call-overload]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]):
        """Build from plain data; ``profile: NAME`` selects a base profile the rest overrides."""
        data = dict(data)
        base = cls.profile(data.pop("profile")) if "profile" in data else cls()
        names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        unknown = set(data) - names
        if unknown:
            raise XMemError(f"unknown {cls.LABEL} options {sorted(unknown)}; valid options are {sorted(names)}")
        return dataclasses.replace(base, **data)  # type: ignore[type-var]

    @classmethod
    def profile(cls, name: str):
        """A named configuration: one of :meth:`profiles`."""
        try:
            return cls.profiles()[name]
        except KeyError:
            raise XMemError(f"unknown {cls.LABEL} profile {name!r}: use one of {sorted(cls.profiles())}") from None


@dataclass(frozen=True)
class NetworkConfig(ArchitectureConfig):
    """Architecture of :class:`xmem.model.network.XMemNetwork`. Defaults = the paper's network.

    Attributes:
        key_dim: C^k, channels of the key / selection.
        value_dim: C^v, channels of the value (also the value encoder's fusion width).
        hidden_dim: C^h, channels of the sensory memory; 0 disables it (no GRUs).
        single_object: value encoder sees only the object's mask (1 extra input channel)
            instead of (mask, sum of the other objects' masks) (2 extra channels).
        use_shrinkage / use_selection: Table 5 ablations; a disabled term has no projection
            layer, is returned as None and counts as 1 in the similarity.
        key_backbone / value_backbone: the two ResNet trunks (a name from
            ``NAMED_BACKBONES``, a mapping or a :class:`BackboneConfig`).
        decoder_dims: widths of the decoder at stride 16, 8 and 4 (paper: 512, 256, 256).
        hidden_update_dim: width of the decoder GRU's multi-scale projection (paper: 256);
            forced to 0 when ``hidden_dim == 0``.
    """

    key_dim: int = 64
    value_dim: int = 512
    hidden_dim: int = 64
    single_object: bool = False
    use_shrinkage: bool = True
    use_selection: bool = True
    key_backbone: BackboneConfig = field(default_factory=lambda: NAMED_BACKBONES["resnet50"])
    value_backbone: BackboneConfig = field(default_factory=lambda: NAMED_BACKBONES["resnet18"])
    decoder_dims: tuple[int, int, int] = (512, 256, 256)
    hidden_update_dim: int = 256

    def __post_init__(self) -> None:
        object.__setattr__(self, "key_backbone", as_backbone(self.key_backbone, "key_backbone"))
        object.__setattr__(self, "value_backbone", as_backbone(self.value_backbone, "value_backbone"))
        object.__setattr__(self, "decoder_dims", tuple(int(d) for d in self.decoder_dims))
        if self.hidden_dim == 0:
            object.__setattr__(self, "hidden_update_dim", 0)
        for name in ("key_dim", "value_dim"):
            if getattr(self, name) < 1:
                raise XMemError(f"network option {name}={getattr(self, name)} must be positive")
        if self.hidden_dim < 0:
            raise XMemError(f"network option hidden_dim={self.hidden_dim} must be >= 0 (0 = no sensory memory)")
        if self.hidden_dim > 0 and self.hidden_update_dim < 1:
            raise XMemError("network option hidden_update_dim must be positive when hidden_dim > 0")
        if len(self.decoder_dims) != 3 or min(self.decoder_dims) < 1:
            raise XMemError(f"network option decoder_dims={self.decoder_dims} must be three positive widths")
        check_same_stride(self.key_backbone, self.value_backbone, "network")
        for name, width in (("value_dim", self.value_dim), ("decoder_dims[0]", self.decoder_dims[0])):
            if width < _CBAM_REDUCTION:
                raise XMemError(
                    f"network option {name}={width} is too small for CBAM (reduction {_CBAM_REDUCTION}): use >= 16"
                )

    @property
    def is_paper_architecture(self) -> bool:
        """True when the state dict has the keys and shapes of a released checkpoint
        (XMem.pth / XMem-s012.pth / ... or, with hidden_dim 0, XMem-no-sensory.pth)."""
        return self.hidden_dim in (0, 64) and self == NetworkConfig(hidden_dim=self.hidden_dim)

    @classmethod
    def profiles(cls) -> Mapping[str, "NetworkConfig"]:
        return PROFILES

    @classmethod
    def from_state_dict(cls, state_dict: Mapping[str, Any], source: str = "state dict") -> "NetworkConfig":
        """Infer the architecture from a plain XMem state dict (keys and tensor shapes).

        A value encoder with 4 input channels (the official single-object stage-0 weights)
        gives ``single_object=True``; :func:`xmem.model.checkpoint.load_network` can instead
        zero-pad such weights into a multi-object network, as the official loader does.

        Raises XMemError naming ``source`` when a key needed for the inference is absent.
        """

        def shape(key: str) -> tuple[int, ...]:
            if key not in state_dict:
                raise XMemError(f"{source}: not an XMem state dict (missing {key!r})")
            return tuple(state_dict[key].shape)

        if "key_comp.weight" in state_dict and "decoder.fuser.block1.conv1.weight" not in state_dict:
            raise XMemError(f"{source} is an STCN checkpoint, not XMem: use --model stcn")
        hidden_key = "decoder.hidden_update.transform.weight"
        hidden_dim = shape(hidden_key)[0] // 3 if hidden_key in state_dict else 0
        extra = shape("value_encoder.conv1.weight")[1] - 3
        if extra not in (1, 2):
            raise XMemError(
                f"{source}: value_encoder.conv1.weight has {extra + 3} input channels; expected 4 or 5"
            )
        return cls(
            key_dim=shape("key_proj.key_proj.weight")[0],
            value_dim=shape("value_encoder.fuser.block2.conv2.weight")[0],
            hidden_dim=hidden_dim,
            single_object=extra == 1,
            use_shrinkage="key_proj.d_proj.weight" in state_dict,
            use_selection="key_proj.e_proj.weight" in state_dict,
            key_backbone=backbone_from_state_dict(state_dict, "key_encoder", "res2", shape, source),
            value_backbone=backbone_from_state_dict(state_dict, "value_encoder", "layer1", shape, source),
            decoder_dims=(
                shape("decoder.fuser.block2.conv2.weight")[0],
                shape("decoder.up_16_8.out_conv.conv2.weight")[0],
                shape("decoder.up_8_4.out_conv.conv2.weight")[0],
            ),
            hidden_update_dim=shape("decoder.hidden_update.g16_conv.weight")[0] if hidden_dim else 0,
        )


def backbone_from_state_dict(
    state_dict: Mapping[str, Any], prefix: str, stage1: str, shape, source: str
) -> BackboneConfig:
    """Block type, block counts, width and output stride of the trunk stored under ``prefix``."""
    counts = []
    for stage in (stage1, "layer2", "layer3"):
        pattern = re.compile(rf"^{re.escape(prefix)}\.{stage}\.(\d+)\.")
        indices = {int(m.group(1)) for key in state_dict if (m := pattern.match(key))}
        if not indices:
            raise XMemError(f"{source}: not an XMem state dict (no {prefix}.{stage}.* keys)")
        counts.append(max(indices) + 1)
    block = "bottleneck" if f"{prefix}.{stage1}.0.conv3.weight" in state_dict else "basic"
    marker = state_dict.get(f"{prefix}.{OUTPUT_STRIDE_KEY}")
    return BackboneConfig(block=block, layers=tuple(counts), width=shape(f"{prefix}.conv1.weight")[0],
                          output_stride=16 if marker is None else int(marker))


PROFILES: dict[str, NetworkConfig] = {
    # The paper's network; loads the released checkpoints.
    "paper": NetworkConfig(),
    # The paper's network without sensory memory (XMem-no-sensory.pth, Table 4).
    "paper-no-sensory": NetworkConfig(hidden_dim=0),
    # CPU-trainable: 3.9M parameters, ~1/14 of the paper's compute (forward, 384x384, 2 objects:
    # 16 vs 228 GFLOPs); ~1.8 GFLOPs per frame at 128x128.
    "small": NetworkConfig(
        key_dim=64,
        value_dim=128,
        hidden_dim=32,
        key_backbone=NAMED_BACKBONES["resnet18-slim"],
        value_backbone=NAMED_BACKBONES["resnet10-slim"],
        decoder_dims=(128, 64, 64),
        hidden_update_dim=64,
    ),
    # For unit tests and smoke runs: 0.4M parameters, ~0.25 GFLOPs per frame at 128x128.
    "tiny": NetworkConfig(
        key_dim=16,
        value_dim=32,
        hidden_dim=8,
        key_backbone=NAMED_BACKBONES["resnet10-tiny"],
        value_backbone=NAMED_BACKBONES["resnet10-tiny"],
        decoder_dims=(32, 16, 16),
        hidden_update_dim=16,
    ),
}
# "small" with key / value maps at stride 8 (stage 3 unstrided): 4x the memory elements per frame
# (docs/training.md, Session 10: +9 J&F on the 40-video D17-like val at the default recipe).
PROFILES["small-s8"] = at_output_stride(PROFILES["small"], 8)
