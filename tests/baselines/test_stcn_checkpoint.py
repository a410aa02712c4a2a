"""Saving / strictly loading STCN weights (official stcn.pth format)."""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from pathlib import Path

import pytest
import torch

from baselines.stcn import STCNConfig, STCNNetwork, load_stcn_network, save_stcn_network
from xmem.errors import XMemError
from xmem.model.checkpoint import save_network
from xmem.model.config import NetworkConfig
from xmem.model.network import XMemNetwork

TINY = STCNConfig.profile("tiny")


def run(net: STCNNetwork, seed: int = 0) -> torch.Tensor:
    """Probabilities of one decode step on fixed random input, [1, N+1, 32, 32]."""
    g = torch.Generator().manual_seed(seed)
    image = torch.randn(1, 3, 32, 32, generator=g)
    masks = (torch.rand(1, 2, 32, 32, generator=g) > 0.5).float()
    with torch.no_grad():
        feats = net.encode_key(image)
        value, _ = net.encode_value(image, feats.f16, None, masks)
        return net.segment(feats.multi_scale, value, None).prob


@pytest.fixture(scope="module")
def tiny_file(tmp_path_factory) -> tuple[Path, STCNNetwork]:
    torch.manual_seed(0)
    net = STCNNetwork(TINY).eval()
    with torch.no_grad():  # non-default BN statistics must survive the round trip
        for m in net.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
    path = tmp_path_factory.mktemp("stcn") / "tiny.pth"
    save_stcn_network(net, path)
    return path, net


def test_round_trip_identical_outputs(tiny_file):
    path, net = tiny_file
    state = torch.load(path, weights_only=True)
    assert isinstance(state, OrderedDict) and list(state) == list(net.state_dict())  # plain state dict
    loaded = load_stcn_network(path)
    assert loaded.config == TINY and not loaded.training
    assert torch.equal(run(loaded), run(net))
    assert not list(path.parent.glob(".*tmp*"))  # atomic write left no temporary file


def test_official_wrappers_accepted(tiny_file, tmp_path):
    path, net = tiny_file
    state = torch.load(path, weights_only=True)
    wrapped = tmp_path / "train_checkpoint.pth"
    torch.save({"it": 5, "network": OrderedDict((f"module.{k}", v) for k, v in state.items())}, wrapped)
    assert torch.equal(run(load_stcn_network(wrapped)), run(net))


def test_single_object_weights_are_zero_padded(tmp_path):
    """STCN's static-image (ValueEncoderSO) weights: the official evaluation zero-pads conv1."""
    torch.manual_seed(1)
    single = STCNNetwork(dataclasses.replace(TINY, single_object=True)).eval()
    path = tmp_path / "s0.pth"
    save_stcn_network(single, path)
    padded = load_stcn_network(path)
    assert not padded.config.single_object
    weight = padded.state_dict()["value_encoder.conv1.weight"]
    assert weight.shape[1] == 5 and torch.count_nonzero(weight[:, 4]) == 0
    # the padded network ignores the other objects: per object it equals the single-object network
    image = torch.randn(1, 3, 32, 32)
    masks = torch.rand(1, 2, 32, 32)
    with torch.no_grad():
        f16 = padded.encode_key(image).f16
        both, _ = padded.encode_value(image, f16, None, masks)
        alone, _ = single.encode_value(image, f16, None, masks[:, 1:])
    torch.testing.assert_close(both[:, 1:], alone)
    assert load_stcn_network(path, pad_single_object=False).config.single_object


def test_missing_unexpected_and_shape_errors_name_the_file(tiny_file, tmp_path):
    path, _ = tiny_file
    state = torch.load(path, weights_only=True)
    broken = OrderedDict(state)
    del broken["key_comp.bias"]
    broken["decoder.extra.weight"] = torch.zeros(1)
    broken["decoder.pred.weight"] = torch.zeros(1, 16, 5, 5)
    bad = tmp_path / "broken.pth"
    torch.save(broken, bad)
    with pytest.raises(XMemError) as info:
        load_stcn_network(bad, config=TINY)
    message = str(info.value)
    assert "\n" not in message and str(bad) in message
    assert "1 missing keys [key_comp.bias]" in message
    assert "1 unexpected keys [decoder.extra.weight]" in message
    assert "decoder.pred.weight [1, 16, 5, 5] vs network [1, 16, 3, 3]" in message


def test_wrong_architecture_is_reported(tiny_file):
    path, _ = tiny_file
    with pytest.raises(XMemError, match=r"does not match the network: .*shape mismatches"):
        load_stcn_network(path, config=STCNConfig.profile("small"))


def test_xmem_checkpoint_rejected(tmp_path):
    path = tmp_path / "xmem.pth"
    save_network(XMemNetwork(NetworkConfig.profile("tiny")), path)
    with pytest.raises(XMemError, match=rf"{path.name} is an XMem checkpoint, not STCN"):
        load_stcn_network(path)


def test_unreadable_files(tmp_path):
    with pytest.raises(XMemError, match="does not exist"):
        load_stcn_network(tmp_path / "nope.pth")
    corrupt = tmp_path / "corrupt.pth"
    corrupt.write_bytes(b"not a torch file")
    with pytest.raises(XMemError, match="corrupt or not a torch file"):
        load_stcn_network(corrupt)
    partial = tmp_path / "partial.pth"
    torch.save({"key_proj.key_proj.weight": torch.zeros(16, 64, 3, 3)}, partial)
    with pytest.raises(XMemError, match="not an STCN state dict"):
        load_stcn_network(partial)
