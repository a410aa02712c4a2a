"""ResNet trunks: torchvision layout and blocks, strides, custom widths, first-conv surgery, pretrained loading."""

from __future__ import annotations

import dataclasses

import pytest
import torch
import torchvision

from xmem.errors import XMemError
from xmem.model import NAMED_BACKBONES, PROFILES, XMemNetwork
from xmem.model.backbones import build_trunk, widen_first_conv
from xmem.model.resnet_blocks import TwoConvResidual, BottleneckResidual


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


def _torchvision_assembled_trunk(spec, seed: int):
    """The trunk assembled from torchvision's own blocks, as the project built it before it stopped
    importing torchvision (reference for seeded construction)."""
    from torchvision.models import resnet as tv

    block = tv.Bottleneck if spec.block == "bottleneck" else tv.BasicBlock
    torch.manual_seed(seed)

    def stage(in_ch, planes, blocks, stride):
        out_ch = planes * block.expansion
        down = None
        if stride != 1 or in_ch != out_ch:
            down = torch.nn.Sequential(tv.conv1x1(in_ch, out_ch, stride), torch.nn.BatchNorm2d(out_ch))
        return torch.nn.Sequential(block(in_ch, planes, stride, down), *[block(out_ch, planes) for _ in range(1, blocks)])

    w, e = spec.width, block.expansion
    parts = [torch.nn.Conv2d(3, w, 7, 2, 3, bias=False), torch.nn.BatchNorm2d(w), stage(w, w, spec.layers[0], 1),
             stage(w * e, 2 * w, spec.layers[1], 2), stage(2 * w * e, 4 * w, spec.layers[2], 2)]
    for part in parts:
        for m in part.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                torch.nn.init.ones_(m.weight)
                torch.nn.init.zeros_(m.bias)
            elif isinstance(m, torch.nn.Conv2d):
                torch.nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
    return dict(zip(("conv1", "bn1", "layer1", "layer2", "layer3"), parts))


@pytest.mark.parametrize("name", ["resnet18-slim", "resnet10-tiny", "resnet50"])
def test_seeded_trunk_equals_the_one_assembled_from_torchvision_blocks(name):
    """Same keys, and for the non-64 widths of the CPU profiles the same seeded initial weights (the
    64-wide trunks were torchvision's whole ResNet before, whose layer4 / fc drew random numbers too)."""
    spec = NAMED_BACKBONES[name]
    reference = _torchvision_assembled_trunk(spec, seed=5)
    torch.manual_seed(5)
    trunk = build_trunk(spec)
    ours = {f"{n}.{k}": v for n in reference for k, v in getattr(trunk, n).state_dict().items()}
    theirs = {f"{n}.{k}": v for n, part in reference.items() for k, v in part.state_dict().items()}
    assert list(ours) == list(theirs)
    if spec.width != 64:
        assert all(torch.equal(ours[k], theirs[k]) for k in ours)


@pytest.mark.parametrize("ours, theirs, stride, project", [
    (TwoConvResidual, torchvision.models.resnet.BasicBlock, 2, True),
    (TwoConvResidual, torchvision.models.resnet.BasicBlock, 1, False),
    (BottleneckResidual, torchvision.models.resnet.Bottleneck, 2, True),
])
def test_blocks_compute_what_torchvision_blocks_compute(ours, theirs, stride, project):
    torch.manual_seed(0)
    in_ch, planes = (8, 8) if not project else (8, 4)
    out_ch = planes * ours.expansion
    down = lambda: torch.nn.Sequential(torch.nn.Conv2d(in_ch, out_ch, 1, stride, bias=False), torch.nn.BatchNorm2d(out_ch))  # noqa: E731
    a = theirs(in_ch, planes, stride, down() if project else None)
    b = ours(in_ch, planes, stride, down() if project else None)
    b.load_state_dict(a.state_dict())  # strict: same names and shapes
    for m in (a, b):  # non-trivial BatchNorm statistics
        m.train()
        with torch.no_grad():
            m(torch.randn(4, in_ch, 12, 12) * 3 + 1)
    b.load_state_dict(a.state_dict())
    a.eval(), b.eval()
    x = torch.randn(2, in_ch, 12, 12)
    with torch.no_grad():
        assert torch.equal(a(x), b(x))


def test_inference_does_not_import_torchvision():
    """Building a network and running a video must not import torchvision (2-4 s per job, it imports
    torch._dynamo): the workflow's inference jobs pay it for nothing."""
    import subprocess
    import sys

    code = ("import sys; from xmem.model import XMemNetwork, PROFILES; from xmem.experiments.execute import run_group; "
            "XMemNetwork(PROFILES['tiny']); print('torchvision' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


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
