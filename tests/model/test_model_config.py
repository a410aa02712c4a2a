"""NetworkConfig: defaults, profiles, validation, plain-data round trip, from_state_dict."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from xmem.errors import XMemError
from xmem.model import NAMED_BACKBONES, PROFILES, BackboneConfig, NetworkConfig, XMemNetwork


def test_defaults_are_the_paper_network():
    c = NetworkConfig()
    assert (c.key_dim, c.value_dim, c.hidden_dim) == (64, 512, 64)
    assert (c.single_object, c.use_shrinkage, c.use_selection) == (False, True, True)
    assert c.key_backbone == BackboneConfig("bottleneck", (3, 4, 6), 64)
    assert c.value_backbone == BackboneConfig("basic", (2, 2, 2), 64)
    assert c.decoder_dims == (512, 256, 256) and c.hidden_update_dim == 256
    assert c.value_extra_channels == 2 and NetworkConfig(single_object=True).value_extra_channels == 1
    assert c.is_paper_architecture and NetworkConfig(hidden_dim=0).is_paper_architecture
    assert not NetworkConfig.profile("small").is_paper_architecture
    assert not NetworkConfig(use_selection=False).is_paper_architecture
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.key_dim = 32


def test_backbone_names_and_channels():
    assert NetworkConfig(key_backbone="resnet18").key_backbone == NAMED_BACKBONES["resnet18"]
    assert NAMED_BACKBONES["resnet50"].out_channels == (256, 512, 1024)
    assert NAMED_BACKBONES["resnet18-slim"].out_channels == (32, 64, 128)
    assert BackboneConfig("bottleneck", (1, 1, 1), 16).out_channels == (64, 128, 256)


@pytest.mark.parametrize(
    "changes, option",
    [
        ({"key_backbone": "resnet7"}, "resnet7"),
        ({"value_backbone": {"block": "basic", "layers": (1, 1)}}, "layers"),
        ({"value_backbone": {"block": "dense"}}, "dense"),
        ({"hidden_dim": -1}, "hidden_dim"),
        ({"key_dim": 0}, "key_dim"),
        ({"value_dim": 8}, "value_dim"),
        ({"decoder_dims": (8, 8, 8)}, "decoder_dims"),
    ],
)
def test_impossible_configurations_raise(changes, option):
    with pytest.raises(XMemError, match=option):
        NetworkConfig(**changes)


def test_no_sensory_memory_has_no_hidden_updater_width():
    assert NetworkConfig(hidden_dim=0).hidden_update_dim == 0
    assert NetworkConfig(hidden_dim=0) == NetworkConfig(hidden_dim=0, hidden_update_dim=77)


def test_dict_round_trip_and_profiles():
    for config in PROFILES.values():
        assert NetworkConfig.from_dict(config.to_dict()) == config
    small = NetworkConfig.from_dict({"profile": "small", "value_dim": 96, "key_backbone": "resnet10-tiny"})
    assert small == dataclasses.replace(PROFILES["small"], value_dim=96, key_backbone=NAMED_BACKBONES["resnet10-tiny"])
    with pytest.raises(XMemError, match="value_dims"):
        NetworkConfig.from_dict({"value_dims": 3})
    with pytest.raises(XMemError, match="huge"):
        NetworkConfig.profile("huge")


@pytest.mark.parametrize(
    "config",
    [
        NetworkConfig(),
        NetworkConfig(hidden_dim=0, use_selection=False),
        PROFILES["small"],
        dataclasses.replace(PROFILES["tiny"], single_object=True, use_shrinkage=False),
        NetworkConfig(
            key_dim=8,
            value_dim=16,
            hidden_dim=4,
            key_backbone=BackboneConfig("bottleneck", (1, 2, 1), 8),
            value_backbone=BackboneConfig("basic", (2, 1, 3), 8),
            decoder_dims=(24, 12, 20),
            hidden_update_dim=10,
        ),
    ],
    ids=["paper", "paper-no-sensory-no-selection", "small", "tiny-single-no-shrinkage", "custom"],
)
def test_from_state_dict_recovers_every_parameter(config):
    with torch.device("meta"):
        net = XMemNetwork(config)
    assert NetworkConfig.from_state_dict(net.state_dict()) == config


def test_from_state_dict_rejects_foreign_dicts():
    with pytest.raises(XMemError, match=r"weights\.pth: not an XMem state dict \(missing 'value_encoder.conv1.weight'\)"):
        NetworkConfig.from_state_dict({"fc.weight": torch.zeros(2, 2)}, source="weights.pth")
    with torch.device("meta"):
        state = XMemNetwork(PROFILES["tiny"]).state_dict()
    broken = {k: v for k, v in state.items() if not k.startswith("key_encoder.layer2.")}
    with pytest.raises(XMemError, match=r"no key_encoder\.layer2\.\* keys"):
        NetworkConfig.from_state_dict(broken)
