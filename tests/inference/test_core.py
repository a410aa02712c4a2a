"""The inference engine's per-frame schedule (memory frames, offsets, deep updates, late objects)."""

import pytest
import torch

from xmem.inference.config import InferenceConfig
from xmem.inference.core import SegmentationEngine
from xmem.memory.config import MemoryConfig

from stub_network import StubNetwork  # noqa: E402  (tests/inference is on sys.path via conftest)

H = W = 32


def frame(value: float = 0.0) -> torch.Tensor:
    return torch.full((3, H, W), value)


def prompt(num_objects: int = 1) -> torch.Tensor:
    masks = torch.zeros(num_objects, H, W)
    for i in range(num_objects):
        masks[i, :, i * 16 : i * 16 + 16] = 1
    return masks


def memory_frames(config: InferenceConfig, num_frames: int) -> list[int]:
    core = SegmentationEngine(StubNetwork(), config, num_frames=num_frames)
    out = []
    for t in range(num_frames):
        core.step(frame(t), prompt() if t == 0 else None, last=t == num_frames - 1)
        if core.last_memory_t == t:
            out.append(t)
    return out


def test_official_schedule_is_offset_zero():
    assert memory_frames(InferenceConfig(mem_every=5), 21) == [0, 5, 10, 15]  # last frame never memorised


@pytest.mark.parametrize("offset,expected", [(1, [0, 1, 6, 11, 16]), (3, [0, 3, 8, 13, 18]), (4, [0, 4, 9, 14, 19])])
def test_memory_offsets(offset, expected):
    assert memory_frames(InferenceConfig(mem_every=5, mem_offset=offset), 21) == expected


def test_sparse_insertion_caps_memory_frames():
    memory = MemoryConfig(strategy="sparse_insertion", max_memory_frames=10)
    config = InferenceConfig(mem_every=5, memory=memory)
    frames = memory_frames(config, 200)  # r' = max(5, ceil(200 / 10)) = 20
    assert frames == list(range(0, 200, 20))
    assert len(frames) <= 10


def test_deep_update_synchronised_with_memory_frames():
    net = StubNetwork()
    core = SegmentationEngine(net, InferenceConfig(mem_every=2), num_frames=5)
    for t in range(5):
        net.calls.clear()
        core.step(frame(t), prompt() if t == 0 else None, last=t == 4)
        kinds = [c for c in net.calls if c[0] != "key"]
        if t == 0:
            assert kinds == [("value", True)]  # prompt: no segmentation, memorised with deep update
        elif t in (2,):
            assert kinds == [("segment", False), ("value", True)]  # hidden comes from the deep update
        elif t == 4:
            assert kinds == [("segment", False)]  # last frame: no update at all
        else:
            assert kinds == [("segment", True)]


def test_deep_update_never_and_every_frame():
    net = StubNetwork()
    core = SegmentationEngine(net, InferenceConfig(mem_every=3, deep_update_every=0), num_frames=4)
    for t in range(4):
        core.step(frame(t), prompt() if t == 0 else None, last=t == 3)
    assert ("value", True) not in net.calls
    net = StubNetwork()
    core = SegmentationEngine(net, InferenceConfig(mem_every=3, deep_update_every=1), num_frames=4)
    values = []
    for t in range(4):
        net.calls.clear()
        core.step(frame(t), prompt() if t == 0 else None, last=t == 3)
        values.append([c for c in net.calls if c[0] == "value"])
    # every frame but the last runs the value encoder for a deep update
    assert values[:3] == [[("value", True)]] * 3 and values[3] == []


def test_need_shrinkage_only_on_memory_frames():
    net = StubNetwork()
    core = SegmentationEngine(net, InferenceConfig(mem_every=2), num_frames=4)
    for t in range(4):
        core.step(frame(t), prompt() if t == 0 else None, last=t == 3)
    keys = [c for c in net.calls if c[0] == "key"]
    assert [k[1] for k in keys] == [True, False, True, False]


def test_late_object_joins_and_keeps_old_prediction():
    net = StubNetwork()
    core = SegmentationEngine(net, InferenceConfig(mem_every=5), num_frames=6)
    core.step(frame(), prompt(1))
    core.step(frame())
    both = torch.zeros(2, H, W)
    both[1, :, 24:32] = 1  # object 2 enters; object 1's row is ignored on this frame
    prob = core.step(frame(), both, new_objects=[2])
    assert prob.shape == (3, H, W)
    assert core.num_objects == 2 and core.last_memory_t == 2  # a frame with a new mask is memorised
    assert prob[2, :, 24:32].min() > 0.99  # the given object
    assert prob[1, :, 0:16].min() > 0.5  # object 1 still predicted from memory
    out = core.step(frame(), last=True)
    assert out.shape == (3, H, W)
    assert [g.indices for g in core.memory.work.groups] == [[0], [1]]


def test_first_frame_needs_a_prompt():
    core = SegmentationEngine(StubNetwork(), InferenceConfig(), num_frames=3)
    with pytest.raises(ValueError, match="prompt"):
        core.step(frame())


def test_non_multiple_of_16_is_padded_and_unpadded():
    core = SegmentationEngine(StubNetwork(), InferenceConfig(), num_frames=2)
    img = torch.zeros(3, 30, 37)
    masks = torch.zeros(1, 30, 37)
    masks[0, 5:20, 5:20] = 1
    assert core.step(img, masks).shape == (2, 30, 37)
    assert core.step(img, last=True).shape == (2, 30, 37)
