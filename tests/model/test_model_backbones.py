"""ResNet trunks: torchvision layout, strides, custom widths, first-conv surgery, pretrained loading."""

from __future__ import annotations

import dataclasses

import pytest
import torch
import torchvision

from xmem.errors import XMemError
from xmem.model import NAMED_BACKBONES, PROFILES, XMemNetwork
from xmem.model.backbones import _custom_width_trunk, build_trunk, widen_first_conv


def trunk_entries(trunk) -> list[tuple[str, tuple[int, ...]]]:
    out = []
    for name in ("conv1", "bn1", "layer1", "layer2", "layer3"):
        out += [(f"{name}.{k}", tuple(v.shape)) for k, v in getattr(trunk, name).state_dict().items()]
    return out


def test_trunk_is_torchvision_resnet_without_layer4():
    with torch.device("meta"):
        trunk = build_trunk(NAMED_BACKBONES["resnet50"])
        reference = torchvision.models.resnet50(weights=None)
    wanted = [(k, tuple(v.shape)) for k, v in reference.state_dict().items() if not k.startswith(("layer4.", "fc."))]
    assert trunk_entries(trunk) == wanted


def test_custom_width_assembly_matches_torchvision_layout():
    """The width != 64 path assembles torchvision blocks exactly as torchvision does."""
    for name in ("resnet18", "resnet50"):
        spec = NAMED_BACKBONES[name]
        with torch.device("meta"):
            assert trunk_entries(_custom_width_trunk(spec)) == trunk_entries(build_trunk(spec))


def test_bottleneck_stride_is_in_the_3x3_conv():
    trunk = build_trunk(dataclasses.replace(NAMED_BACKBONES["resnet50"], layers=(1, 1, 1)))
    first = trunk.layer2[0]
    assert first.conv1.stride == (1, 1) and first.conv2.stride == (2, 2)
    assert first.downsample[0].stride == (2, 2)


def test_first_conv_surgery_keeps_rgb_weights():
    conv = torch.nn.Conv2d(3, 8, 7, 2, 3, bias=False)
    wide = widen_first_conv(conv, 2)
    assert tuple(wide.weight.shape) == (8, 5, 7, 7)
    assert (wide.stride, wide.padding, wide.bias) == ((2, 2), (3, 3), None)
    assert torch.equal(wide.weight[:, :3], conv.weight)
    assert wide.weight[:, 3:].abs().sum() > 0


def test_feature_strides():
    net = XMemNetwork(PROFILES["tiny"]).eval()
    with torch.no_grad():
        f16, f8, f4 = net.key_encoder(torch.randn(1, 3, 96, 64))
    assert f4.shape[-2:] == (24, 16) and f8.shape[-2:] == (12, 8) and f16.shape[-2:] == (6, 4)


def test_pretrained_backbone_loading(tmp_path):
    torch.manual_seed(0)
    source = torchvision.models.resnet18(weights=None).state_dict()
    weights = tmp_path / "resnet18.pth"
    torch.save(source, weights)
    config = dataclasses.replace(PROFILES["tiny"], key_backbone="resnet18", value_backbone="resnet18")
    net = XMemNetwork(config, key_backbone_weights=weights, value_backbone_weights=weights)
    assert torch.equal(net.key_encoder.conv1.weight, source["conv1.weight"])
    assert torch.equal(net.key_encoder.res2[1].conv2.weight, source["layer1.1.conv2.weight"])
    assert torch.equal(net.value_encoder.conv1.weight[:, :3], source["conv1.weight"])
    assert net.value_encoder.conv1.weight[:, 3:].abs().sum() > 0  # orthogonal, not zero
    assert torch.equal(net.value_encoder.layer3[0].bn1.running_var, source["layer3.0.bn1.running_var"])
    with pytest.raises(XMemError, match=r"resnet18.pth: conv1.weight has shape \[64, 3, 7, 7\], the network needs \[16, 3, 7, 7\]"):
        XMemNetwork(PROFILES["tiny"], key_backbone_weights=weights)  # tiny's trunks are 16 wide
    incomplete = tmp_path / "incomplete.pth"
    torch.save({k: v for k, v in source.items() if k != "layer2.0.bn1.bias"}, incomplete)
    with pytest.raises(XMemError, match=r"incomplete.pth lacks 'layer2.0.bn1.bias'"):
        XMemNetwork(config, value_backbone_weights=incomplete)
    garbage = tmp_path / "garbage.pth"
    garbage.write_bytes(b"not a torch file")
    with pytest.raises(XMemError, match="garbage.pth is not a readable torch file"):
        XMemNetwork(config, key_backbone_weights=garbage)
