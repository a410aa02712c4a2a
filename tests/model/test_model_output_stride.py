"""Output stride 8 (``BackboneConfig.output_stride``, the "small-s8" profiles): shapes, the
state-dict marker, strict round trips, validation; stride 16 adds nothing to the state dict."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import torch

from baselines.stcn.config import STCNConfig
from baselines.stcn.network import STCNNetwork
from xmem.errors import XMemError
from xmem.inference.config import InferenceConfig
from xmem.inference.predictor import VideoPredictor
from xmem.memory.config import MemoryConfig
from xmem.memory.regime import elements_per_frame
from xmem.model import NAMED_BACKBONES, BackboneConfig, NetworkConfig, XMemNetwork
from xmem.model.config import at_output_stride
from xmem.model.backbones import build_trunk, run_stem
from xmem.model.checkpoint import load_network, save_network


def _features(trunk, image):
    f4 = trunk.layer1(run_stem(trunk.conv1, trunk.bn1, image))
    f8 = trunk.layer2(f4)
    return f4, f8, trunk.layer3(f8)


@pytest.mark.parametrize("stride, f16_size", [(16, (4, 6)), (8, (8, 12))])
def test_trunk_output_stride_sets_the_last_stage_resolution(stride, f16_size):
    spec = dataclasses.replace(NAMED_BACKBONES["resnet10-tiny"], output_stride=stride)
    f4, f8, f16 = _features(build_trunk(spec), torch.zeros(1, 3, 64, 96))
    assert f4.shape[-2:] == (16, 24) and f8.shape[-2:] == (8, 12)
    assert f16.shape == (1, 64, *f16_size)


def test_stride_does_not_change_weight_shapes():
    plain = build_trunk(NAMED_BACKBONES["resnet10-tiny"])
    strided = build_trunk(dataclasses.replace(NAMED_BACKBONES["resnet10-tiny"], output_stride=8))
    for part in ("conv1", "layer1", "layer2", "layer3"):
        a, b = getattr(plain, part).state_dict(), getattr(strided, part).state_dict()
        assert {k: v.shape for k, v in a.items()} == {k: v.shape for k, v in b.items()}


@pytest.mark.parametrize("cls, network", [(NetworkConfig, XMemNetwork), (STCNConfig, STCNNetwork)])
def test_small_s8_profile_is_small_at_stride_8(cls, network):
    small, s8 = cls.profile("small"), cls.profile("small-s8")
    assert (small.key_stride, s8.key_stride) == (16, 8)
    assert dataclasses.replace(s8, key_backbone=small.key_backbone, value_backbone=small.value_backbone) == small
    assert not any("output_stride" in k for k in network(small).state_dict())


@pytest.mark.parametrize("cls, network", [(NetworkConfig, XMemNetwork), (STCNConfig, STCNNetwork)])
def test_stride_8_marker_round_trips_strictly(cls, network):
    net = network(cls.profile("small-s8"))
    state = net.state_dict()
    assert int(state["key_encoder.output_stride"]) == 8 and int(state["value_encoder.output_stride"]) == 8
    inferred = cls.from_state_dict(state)
    assert inferred == cls.profile("small-s8")
    network(inferred).load_state_dict(state, strict=True)
    unmarked = {k: v for k, v in state.items() if not k.endswith("output_stride")}
    assert cls.from_state_dict(unmarked) == cls.profile("small")  # what an unmarked file would mean


def test_xmem_checkpoint_file_keeps_the_stride(tmp_path):
    net = XMemNetwork(NetworkConfig.profile("small-s8"))
    save_network(net, tmp_path / "s8.pth")
    loaded = load_network(tmp_path / "s8.pth")
    assert loaded.config.key_stride == 8
    image = torch.rand(1, 3, 64, 96)
    features = loaded.encode_key(image)
    assert features.key.shape[-2:] == (8, 12) and features.f16.shape[-2:] == features.f8.shape[-2:]


def test_key_and_value_strides_must_agree():
    s8 = dataclasses.replace(NAMED_BACKBONES["resnet18-slim"], output_stride=8)
    with pytest.raises(XMemError, match="output_stride 8 differs"):
        NetworkConfig(key_backbone=s8, value_backbone="resnet10-slim")
    with pytest.raises(XMemError, match="STCN network options"):
        STCNConfig(key_backbone=s8)
    with pytest.raises(XMemError, match="output_stride 4"):
        BackboneConfig(output_stride=4)
    assert NetworkConfig(key_backbone={"block": "basic", "layers": (1, 1, 1), "width": 16, "output_stride": 8},
                         value_backbone={"block": "basic", "layers": (1, 1, 1), "width": 16,
                                         "output_stride": 8}).key_stride == 8


def test_elements_per_frame_counts_the_stride():
    assert elements_per_frame(80, 144) == 5 * 9
    assert elements_per_frame(80, 144, stride=8) == 10 * 18
    assert elements_per_frame(128, 224, stride=8) == 16 * 28


def test_stride_8_network_tracks_and_consolidates_at_4x_the_elements():
    """The inference engine takes the element grid from the tensors: at stride 8 a 48x64 frame
    has 6 x 8 = 48 key elements (12 at stride 16), and consolidation works on them."""
    torch.manual_seed(0)
    tiny = NetworkConfig.profile("tiny")
    rng = torch.Generator().manual_seed(1)
    frames = [(torch.rand(48, 64, 3, generator=rng) * 255).to(torch.uint8).numpy() for _ in range(8)]
    prompt = (torch.zeros(48, 64, dtype=torch.uint8)).numpy()
    prompt[10:30, 10:30] = 1
    memory = MemoryConfig(min_work_frames=2, max_work_frames=3, num_prototypes=5)
    for stride, elements in ((16, 12), (8, 48)):
        net = XMemNetwork(at_output_stride(tiny, stride)).eval()
        results = list(VideoPredictor(net, InferenceConfig(size=-1, mem_every=1, memory=memory)).track(
            frames, masks={0: prompt}))
        assert results[1].memory.work_elements == 2 * elements  # frames 0 and 1
        assert max(r.memory.consolidations for r in results) >= 1
        assert all(r.memory.work_elements % elements == 0 for r in results)



def test_profile_key_stride_comes_from_the_training_config(tmp_path):
    """The regime's E (and Table 6's compression ratio) follow the trained network's stride."""
    from xmem.experiments.element_counts import key_stride
    from xmem.memory.regime import PAPER, LongVideoFacts, regime_rows

    (tmp_path / "s8.yaml").write_text("base: {}\nnetwork: {{profile: small-s8}}\n".format(
        (Path(__file__).resolve().parents[2] / "config/train/default_xmem.yaml").as_posix()))
    profile = {"weights": "train", "training": {"config_dir": str(tmp_path), "models": {"xmem": "s8.yaml"}}}
    assert key_stride("xmem", profile) == 8
    assert key_stride("stcn", profile) == 16  # not trained by this profile
    assert key_stride("xmem", {**profile, "weights": "official"}) == 16
    facts = LongVideoFacts((1300.0,), 80, 144, 50.0, 300.0, "", key_stride=8)
    rows = {r.quantity: r for r in regime_rows(dataclasses.replace(PAPER, name="s8", videos=facts))}
    assert rows["elements per memory frame E"].profile_low == 180
    assert rows["elements per memory frame E"].note == "80x144 / 8 (paper 480x854 / 16)"
