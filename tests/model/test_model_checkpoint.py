"""save_network / load_network: round trip, official format, strict errors, accepted wrappers."""

from __future__ import annotations

import dataclasses
from collections import OrderedDict

import pytest
import torch

from xmem.errors import XMemError
from xmem.model import PROFILES, XMemNetwork, load_network, pad_single_object_weights, save_network

TINY = PROFILES["tiny"]


def make_network(config=TINY, seed=0) -> XMemNetwork:
    torch.manual_seed(seed)
    net = XMemNetwork(config).eval()
    with torch.no_grad():  # non-trivial BatchNorm statistics so that buffers matter
        for m in net.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.3, 0.3)
                m.running_var.uniform_(0.5, 1.5)
                m.num_batches_tracked.fill_(7)
    return net


def run(net: XMemNetwork, num_objects: int = 2, seed: int = 1) -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    image = torch.randn(1, 3, 64, 64, generator=g)
    masks = torch.rand(1, num_objects, 64, 64, generator=g)
    with torch.no_grad():
        feats = net.encode_key(image)
        value, hidden = net.encode_value(image, feats.f16, net.zero_hidden(1, num_objects, (4, 4)), masks)
        memory = (feats.key.unsqueeze(2), feats.shrinkage.unsqueeze(2), value.unsqueeze(3))  # T = 1
        readout = net.read_memory(feats.key, feats.selection, *memory)
        out = net.segment(feats, readout, hidden)
    return [feats.key, value, out.logits, out.hidden]


def test_round_trip_gives_identical_outputs(tmp_path):
    net = make_network()
    path = tmp_path / "net.pth"
    save_network(net, path)
    assert [p.name for p in tmp_path.iterdir()] == ["net.pth"]  # no temporary leftovers
    loaded = load_network(path)
    assert loaded.config == TINY and not loaded.training
    for a, b in zip(run(net), run(loaded)):
        assert torch.equal(a, b)


def test_saved_file_is_a_plain_official_format_state_dict(tmp_path):
    net = make_network()
    save_network(net, tmp_path / "net.pth")
    raw = torch.load(tmp_path / "net.pth", weights_only=True)
    assert type(raw) is OrderedDict
    assert list(raw) == list(net.state_dict())
    assert raw["key_encoder.bn1.num_batches_tracked"].dtype == torch.int64
    assert int(raw["value_encoder.layer1.0.bn1.num_batches_tracked"]) == 7


def test_accepted_wrappers(tmp_path):
    net = make_network()
    state = net.state_dict()
    reference = run(net)
    variants = {
        "training.pth": {"it": 10, "network": state, "optimizer": {"state": {}, "param_groups": []}},
        "ddp.pth": OrderedDict((f"module.{k}", v) for k, v in state.items()),
        "old.pth": OrderedDict((k, v) for k, v in state.items() if not k.endswith("num_batches_tracked")),
    }
    for name, obj in variants.items():
        torch.save(obj, tmp_path / name)
        loaded = load_network(tmp_path / name)
        assert loaded.config == TINY, name
        for a, b in zip(reference, run(loaded)):
            assert torch.equal(a, b), name


def save_modified(tmp_path, name, edit) -> str:
    state = make_network().state_dict()
    edit(state)
    path = tmp_path / name
    torch.save(state, path)
    return str(path)


def test_missing_key_is_reported_with_file_name(tmp_path):
    path = save_modified(tmp_path, "missing.pth", lambda s: s.pop("decoder.pred.bias"))
    with pytest.raises(XMemError) as err:
        load_network(path)
    message = str(err.value)
    assert "\n" not in message
    assert message == f"checkpoint {path} does not match the network: 1 missing keys [decoder.pred.bias]"


def test_unexpected_keys_are_truncated_with_counts(tmp_path):
    def add(state):
        for i in range(8):
            state[f"extra.layer{i}.weight"] = torch.zeros(1)

    path = save_modified(tmp_path, "unexpected.pth", add)
    with pytest.raises(XMemError) as err:
        load_network(path)
    assert str(err.value) == (
        f"checkpoint {path} does not match the network: 8 unexpected keys "
        "[extra.layer0.weight, extra.layer1.weight, extra.layer2.weight, extra.layer3.weight, extra.layer4.weight, ... +3 more]"
    )


def test_wrong_shape_is_reported(tmp_path):
    def widen(state):
        state["decoder.pred.weight"] = torch.zeros(1, 17, 3, 3)

    path = save_modified(tmp_path, "shape.pth", widen)
    with pytest.raises(XMemError, match=r"shape\.pth does not match the network: 1 shape mismatches "
                       r"\[decoder\.pred\.weight \[1, 17, 3, 3\] vs network \[1, 16, 3, 3\]\]"):
        load_network(path)


def test_explicit_config_must_fit(tmp_path):
    path = tmp_path / "tiny.pth"
    save_network(make_network(), path)
    expected = (
        r"tiny\.pth does not match the network: 30 missing keys .*; 148 shape mismatches "
        r"\[key_encoder\.conv1\.weight \[16, 3, 7, 7\] vs network \[32, 3, 7, 7\]"
    )
    with pytest.raises(XMemError, match=expected):
        load_network(path, config=PROFILES["small"])
    assert load_network(path, config=TINY).config == TINY


def test_unusable_files_name_the_file(tmp_path):
    with pytest.raises(XMemError, match="nothing.pth does not exist"):
        load_network(tmp_path / "nothing.pth")
    corrupt = tmp_path / "corrupt.pth"
    corrupt.write_bytes(b"\x00\x01garbage" * 10)
    with pytest.raises(XMemError, match="corrupt.pth is corrupt or not a torch file"):
        load_network(corrupt)
    truncated = tmp_path / "truncated.pth"
    save_network(make_network(), truncated)
    truncated.write_bytes(truncated.read_bytes()[:5000])
    with pytest.raises(XMemError, match="truncated.pth is corrupt"):
        load_network(truncated)
    not_state = tmp_path / "list.pth"
    torch.save([1, 2, 3], not_state)
    with pytest.raises(XMemError, match="list.pth is not a network checkpoint"):
        load_network(not_state)
    objects = tmp_path / "objects.pth"
    torch.save({"network": make_network().state_dict(), "config": XMemError("x")}, objects)
    with pytest.raises(XMemError, match="objects.pth contains objects other than tensors"):
        load_network(objects)
    foreign = tmp_path / "resnet.pth"
    torch.save({"fc.weight": torch.zeros(2, 2)}, foreign)
    with pytest.raises(XMemError, match="resnet.pth: not an XMem state dict"):
        load_network(foreign)


def test_single_object_weights_are_zero_padded_like_the_official_loader(tmp_path):
    single = make_network(dataclasses.replace(TINY, single_object=True))
    path = tmp_path / "s0.pth"
    save_network(single, path)
    assert torch.load(path, weights_only=True)["value_encoder.conv1.weight"].shape[1] == 4

    padded = load_network(path)
    assert padded.config == TINY  # multi-object network
    conv = padded.value_encoder.conv1.weight
    assert conv.shape[1] == 5 and torch.equal(conv[:, 4], torch.zeros_like(conv[:, 4]))
    for a, b in zip(run(single, num_objects=3), run(padded, num_objects=3)):
        torch.testing.assert_close(a, b)  # the others channel is ignored: same outputs

    kept = load_network(path, pad_single_object=False)
    assert kept.config.single_object and kept.value_encoder.conv1.in_channels == 4

    state = pad_single_object_weights(torch.load(path, weights_only=True), orthogonal=True)
    assert state["value_encoder.conv1.weight"][:, 4].abs().sum() > 0


def test_no_sensory_checkpoint_round_trip(tmp_path):
    config = dataclasses.replace(TINY, hidden_dim=0)
    net = make_network(config)
    save_network(net, tmp_path / "ns.pth")
    loaded = load_network(tmp_path / "ns.pth")
    assert loaded.config == config and loaded.hidden_dim == 0
    assert loaded.decoder.hidden_update is None
