"""STCN network: official state-dict layout, configuration, and the layout facts of its blocks."""

from __future__ import annotations

import pytest
import torch

from baselines.stcn import STCN_PROFILES, STCNConfig, STCNNetwork
from xmem.errors import XMemError
from xmem.model.config import NAMED_BACKBONES


@pytest.fixture(scope="module")
def official(shared) -> list[tuple[str, list[int], str]]:
    """(key, shape, dtype) of the official checkpoint's state dict, from ../shared/reference/stcn_state_dict.tsv."""
    rows = []
    for line in shared("reference/stcn_state_dict.tsv").read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        key, shape, dtype = line.split("\t")
        rows.append((key, [int(s) for s in shape.strip("[]").split(",") if s.strip()], dtype))
    return rows


def entries(net: torch.nn.Module) -> list[tuple[str, list[int], str]]:
    return [(k, list(v.shape), str(v.dtype).removeprefix("torch.")) for k, v in net.state_dict().items()]


def meta_network(config: STCNConfig) -> STCNNetwork:
    with torch.device("meta"):  # shapes only: no memory, no initialisation cost
        return STCNNetwork(config)


def test_paper_state_dict_equals_official_checkpoint(official):
    assert len(official) == 405
    assert entries(meta_network(STCNConfig())) == official  # keys, order, shapes, dtypes


def test_value_trunk_convolutions_have_biases_key_trunk_does_not(official):
    keys = {k for k, _, _ in official}
    assert "value_encoder.layer2.0.downsample.0.bias" in keys and "value_encoder.conv1.bias" in keys
    assert not any(k.startswith("key_encoder.") and ".conv" in k and k.endswith(".bias") for k in keys)


def test_from_state_dict_reads_every_profile():
    for name, config in STCN_PROFILES.items():
        assert STCNConfig.from_state_dict(meta_network(config).state_dict()) == config, name
    assert STCNConfig().is_paper_architecture
    assert not STCNConfig.profile("small").is_paper_architecture
    single = meta_network(STCNConfig(single_object=True)).state_dict()
    assert list(single["value_encoder.conv1.weight"].shape) == [64, 4, 7, 7]
    assert STCNConfig.from_state_dict(single) == STCNConfig(single_object=True)


def test_config_from_dict_and_errors():
    config = STCNConfig.from_dict({"profile": "small", "value_backbone": "resnet10-tiny"})
    assert config.value_backbone == NAMED_BACKBONES["resnet10-tiny"] and config.value_dim == 128
    assert STCNConfig.from_dict(config.to_dict()) == config
    with pytest.raises(XMemError, match="unknown STCN network options"):
        STCNConfig.from_dict({"hidden_dim": 64})
    with pytest.raises(XMemError, match="unknown STCN network profile"):
        STCNConfig.profile("huge")
    with pytest.raises(XMemError, match="too small for CBAM"):
        STCNConfig(value_dim=8)
    xmem_like = {"decoder.fuser.block1.conv1.weight": torch.zeros(1)}
    with pytest.raises(XMemError, match="XMem checkpoint"):
        STCNConfig.from_state_dict(xmem_like, source="checkpoint x.pth")


@pytest.fixture(scope="module")
def tiny() -> STCNNetwork:
    torch.manual_seed(0)
    return STCNNetwork(STCNConfig.profile("tiny")).eval()


def test_shapes_and_engine_protocol(tiny):
    b, n, size = 1, 3, 64
    image = torch.randn(b, 3, size, size)
    with torch.no_grad():
        feats = tiny.encode_key(image, need_shrinkage=True, need_selection=True)
        assert tiny.hidden_dim == 0 and feats.shrinkage is None and feats.selection is None
        assert feats.key.shape == (b, 16, 4, 4) and feats.f16_compact.shape == (b, 32, 4, 4)
        assert feats.multi_scale[0] is feats.f16_compact and feats.multi_scale[1:] == (feats.f8, feats.f4)
        masks = torch.rand(b, n, size, size)
        value, hidden = tiny.encode_value(image, feats.f16, None, masks, deep_update=True)
        assert value.shape == (b, n, 32, 4, 4) and hidden is None
        out = tiny.segment(feats.multi_scale, value, None, update_hidden=True)
    assert out.hidden is None
    assert out.logits.shape == out.prob.shape == (b, n + 1, size, size)
    torch.testing.assert_close(out.prob.sum(1), torch.ones(b, size, size))


def test_clip_layout_matches_per_frame(tiny):
    clip = torch.randn(2, 3, 3, 32, 48)
    with torch.no_grad():
        feats = tiny.encode_key(clip)
        single = tiny.encode_key(clip[1, 2:3])
    assert feats.key.shape == (2, 16, 3, 2, 3) and feats.f16_compact.shape == (2, 3, 32, 2, 3)
    torch.testing.assert_close(feats.key[1, :, 2], single.key[0])
    torch.testing.assert_close(feats.f16_compact[1, 2], single.f16_compact[0])
    with pytest.raises(XMemError, match="encode_key"):
        tiny.encode_key(torch.randn(1, 4, 32, 32))


def test_objects_are_permutation_equivariant(tiny):
    image = torch.randn(1, 3, 32, 32)
    masks = torch.rand(1, 3, 32, 32)
    perm = [2, 0, 1]
    with torch.no_grad():
        f16 = tiny.encode_key(image).f16
        value, _ = tiny.encode_value(image, f16, None, masks)
        permuted, _ = tiny.encode_value(image, f16, None, masks[:, perm])
    torch.testing.assert_close(permuted, value[:, perm])


def test_value_fusion_puts_value_features_before_key_features():
    """Official FusionBlock: cat([value trunk features, key f16]) (XMem: f16 first)."""
    tiny = STCNNetwork(STCNConfig.profile("tiny")).eval()
    fuser = tiny.value_encoder.fuser
    g_dim = tiny.config.value_backbone.out_channels[2]
    g = torch.randn(1, 2, g_dim, 4, 4)
    x1, x2 = torch.randn(1, 64, 4, 4), torch.randn(1, 64, 4, 4)
    with torch.no_grad():
        for conv in (fuser.block1.conv1, fuser.block1.downsample):
            conv.weight[:, g_dim:] = 0  # silence the key-feature input channels
        torch.testing.assert_close(fuser(g, x1), fuser(g, x2))


def test_decoder_puts_readout_before_query_features():
    """Official decoder input: cat([memory readout, key_comp(f16)]) per object."""
    tiny = STCNNetwork(STCNConfig.profile("tiny")).eval()
    dec = tiny.decoder
    cv = tiny.config.value_dim
    readout = torch.randn(1, 2, cv, 2, 2)
    f8, f4 = torch.randn(1, 32, 4, 4), torch.randn(1, 16, 8, 8)
    with torch.no_grad():
        for conv in (dec.compress.conv1, dec.compress.downsample):
            conv.weight[:, cv:] = 0  # silence the key_comp(f16) input channels
        out1 = dec(readout, torch.randn(1, 32, 2, 2), f8, f4)
        out2 = dec(readout, torch.randn(1, 32, 2, 2), f8, f4)
    torch.testing.assert_close(out1, out2)
    assert out1.shape == (1, 2, 32, 32)


def test_pretrained_value_trunk_weights_keep_zero_biases(tmp_path):
    """ImageNet weights (no conv biases) go into STCN's biased value trunk; biases stay 0."""
    from xmem.model.backbones import build_trunk

    config = STCNConfig.profile("tiny")
    torch.manual_seed(3)
    trunk = build_trunk(config.value_backbone)
    source = {f"{part}.{k}": v for part in ("conv1", "bn1", "layer1", "layer2", "layer3")
              for k, v in getattr(trunk, part).state_dict().items()}
    path = tmp_path / "resnet.pth"
    torch.save(source, path)
    net = STCNNetwork(config, value_backbone_weights=path)
    state = net.value_encoder.state_dict()
    assert torch.equal(state["conv1.weight"][:, :3], source["conv1.weight"])
    assert state["conv1.weight"].shape[1] == 5 and torch.count_nonzero(state["conv1.weight"][:, 3:]) > 0
    assert torch.equal(state["layer2.0.downsample.0.weight"], source["layer2.0.downsample.0.weight"])
    assert torch.equal(state["layer1.0.bn1.running_var"], source["layer1.0.bn1.running_var"])
    biases = [k for k in state if k.endswith(".bias") and ("conv" in k or "downsample.0" in k) and not k.startswith("fuser")]
    assert len(biases) == 9  # conv1 + 2 convs in each of 3 one-block stages + 2 downsample convs
    assert all(torch.count_nonzero(state[k]) == 0 for k in biases)
