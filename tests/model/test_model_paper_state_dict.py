"""The paper network's state dict equals the official checkpoint's (keys, order, shapes, dtypes)."""

from __future__ import annotations

import pytest
import torch

from xmem.model import NetworkConfig, XMemNetwork

SENSORY_PREFIXES = ("decoder.hidden_update.", "value_encoder.hidden_reinforce.")


@pytest.fixture(scope="module")
def official(shared) -> list[tuple[str, list[int], str]]:
    """(key, shape, dtype) of the official checkpoint's state dict, from ../shared/reference/xmem_state_dict.tsv."""
    rows = []
    for line in shared("reference/xmem_state_dict.tsv").read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        key, shape, dtype = line.split("\t")
        rows.append((key, [int(s) for s in shape.strip("[]").split(",") if s.strip()], dtype))
    return rows


def entries(net: torch.nn.Module) -> list[tuple[str, list[int], str]]:
    return [(k, list(v.shape), str(v.dtype).removeprefix("torch.")) for k, v in net.state_dict().items()]


def meta_network(config: NetworkConfig) -> XMemNetwork:
    with torch.device("meta"):  # shapes only: no memory, no initialisation cost
        return XMemNetwork(config)


def test_paper_state_dict_equals_official_checkpoint(official):
    assert len(official) == 412
    assert sum(1 for k, _, _ in official if k.endswith("num_batches_tracked")) == 58
    assert entries(meta_network(NetworkConfig())) == official


def test_no_sensory_state_dict_matches_xmem_no_sensory(official):
    """XMem-no-sensory.pth: no GRUs; the decoder fuser takes value_dim (512) channels + f16 (1024)."""
    expected = []
    for key, shape, dtype in official:
        if key.startswith(SENSORY_PREFIXES):
            continue
        if key in ("decoder.fuser.block1.conv1.weight", "decoder.fuser.block1.downsample.weight"):
            shape = [512, 1024 + 512, 3, 3]
        expected.append((key, shape, dtype))
    assert len(expected) == 412 - 10  # 8 hidden_update + 2 hidden_reinforce tensors
    net = meta_network(NetworkConfig(hidden_dim=0))
    assert entries(net) == expected
    assert NetworkConfig.from_state_dict(net.state_dict()) == NetworkConfig(hidden_dim=0)


def test_from_state_dict_reads_paper_architecture():
    config = NetworkConfig.from_state_dict(meta_network(NetworkConfig()).state_dict())
    assert config == NetworkConfig()
    assert config.is_paper_architecture
    assert (config.key_dim, config.value_dim, config.hidden_dim) == (64, 512, 64)
    assert config.key_backbone.out_channels == (256, 512, 1024)
    assert config.value_backbone.out_channels == (64, 128, 256)


@pytest.fixture(scope="module")
def paper_network() -> XMemNetwork:
    torch.manual_seed(0)
    return XMemNetwork().eval()


def test_paper_network_shapes_on_small_input(paper_network):
    net = paper_network
    b, n, h, w = 1, 2, 4, 4
    image = torch.randn(b, 3, 64, 64)
    with torch.no_grad():
        feats = net.encode_key(image)
        assert feats.key.shape == (b, 64, h, w)
        assert feats.shrinkage.shape == (b, 1, h, w) and feats.selection.shape == (b, 64, h, w)
        assert (feats.f16.shape, feats.f8.shape, feats.f4.shape) == ((b, 1024, h, w), (b, 512, 8, 8), (b, 256, 16, 16))
        masks = torch.rand(b, n, 64, 64)
        value, hidden = net.encode_value(image, feats.f16, net.zero_hidden(b, n, (h, w)), masks)
        assert value.shape == (b, n, 512, h, w) and hidden.shape == (b, n, 64, h, w)
        memory = (feats.key.unsqueeze(2), feats.shrinkage.unsqueeze(2), value.unsqueeze(3))  # T = 1
        readout = net.read_memory(feats.key, feats.selection, *memory)
        assert readout.shape == (b, n, 512, h, w)
        out = net.segment(feats.multi_scale, readout, hidden)
    assert out.logits.shape == out.prob.shape == (b, n + 1, 64, 64)
    assert out.hidden.shape == (b, n, 64, h, w)
    torch.testing.assert_close(out.prob.sum(1), torch.ones(b, 64, 64))
