"""STCN through the project's inference engine (xmem.inference.core) and ``xmem infer --model stcn``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

from baselines.stcn import STCNConfig, STCNNetwork, save_stcn_network
from xmem.cli import main
from xmem.inference.config import InferenceConfig
from xmem.inference.core import SegmentationEngine
from xmem.memory.config import MemoryConfig
from xmem.model.config import NetworkConfig
from xmem.model.network import XMemNetwork
from xmem.utils.masks import DAVIS_PALETTE, read_index_mask

SIZE = 64
HW = (SIZE // 16) ** 2  # memory elements per memory frame
STCN_MEMORY = MemoryConfig(strategy="no_long_term", top_k=20)


@pytest.fixture(scope="module")
def stcn() -> STCNNetwork:
    torch.manual_seed(0)
    return STCNNetwork(STCNConfig.profile("tiny")).eval()


def frames(num: int, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(num, 3, SIZE, SIZE, generator=g)


def two_objects() -> torch.Tensor:
    masks = torch.zeros(2, SIZE, SIZE)
    masks[0, 8:30, 4:28] = 1
    masks[1, 36:60, 30:62] = 1
    return masks


def run_sizes(net, config: InferenceConfig, num_frames: int) -> tuple[list[int], list[int], SegmentationEngine]:
    """(memory frames, total memory elements after each frame, the core)."""
    core = SegmentationEngine(net, config, num_frames=num_frames)
    memorised, sizes = [], []
    for t, image in enumerate(frames(num_frames)):
        prob = core.step(image, two_objects() if t == 0 else None, last=t == num_frames - 1)
        assert prob.shape == (3, SIZE, SIZE)
        if core.last_memory_t == t:
            memorised.append(t)
        sizes.append(core.memory.work_size + core.memory.long_size)
    return memorised, sizes, core


def test_no_long_term_memory_grows_linearly(stcn):
    config = InferenceConfig(mem_every=2, memory=STCN_MEMORY)
    memorised, sizes, core = run_sizes(stcn, config, 12)
    assert memorised == [0, 2, 4, 6, 8, 10]  # prompt, every r-th frame, never the last frame
    count = [sum(m <= t for m in memorised) for t in range(12)]
    assert sizes == [HW * c for c in count]
    assert core.memory.long_size == 0 and core.sensory.hidden is None
    # bytes per memory frame: key (CK) + one value per object (N * CV), float32
    assert core.memory.nbytes() == 6 * HW * (16 + 2 * 32) * 4


def test_sparse_insertion_stays_under_the_cap(stcn):
    memory = MemoryConfig(strategy="sparse_insertion", top_k=20, max_memory_frames=4)
    memorised, sizes, _ = run_sizes(stcn, InferenceConfig(memory=memory), 30)
    assert memorised == [0, 8, 16, 24]  # r' = max(5, ceil(30 / 4)) = 8
    assert max(sizes) == 4 * HW


def test_xmem_bounded_vs_stcn_linear():
    """Fig. 7 / S7 in miniature: STCN's memory grows with the video, XMem's is bounded."""
    torch.manual_seed(0)
    xmem = XMemNetwork(NetworkConfig.profile("tiny")).eval()
    stcn = STCNNetwork(STCNConfig.profile("tiny")).eval()
    n = 60
    bounded = MemoryConfig(min_work_frames=2, max_work_frames=4, num_prototypes=8, max_long_term_elements=40)
    _, xmem_sizes, xmem_core = run_sizes(xmem, InferenceConfig(mem_every=1, memory=bounded), n)
    _, stcn_sizes, _ = run_sizes(stcn, InferenceConfig(mem_every=1, memory=STCN_MEMORY), n)
    assert stcn_sizes == [HW * (t + 1) for t in range(n - 1)] + [HW * (n - 1)]  # linear
    assert max(xmem_sizes) <= 4 * HW + 40  # T_max frames of working memory + LT_max
    assert xmem_core.memory.num_evicted > 0 and xmem_core.memory.long_size > 0
    assert stcn_sizes[-1] > 4 * max(xmem_sizes)


def test_object_entering_mid_video(stcn):
    """YouTube-VOS style: a second object is annotated on frame 3."""
    core = SegmentationEngine(stcn, InferenceConfig(memory=STCN_MEMORY), num_frames=10)
    memorised = []
    for t, image in enumerate(frames(10)):
        masks, new = None, None
        if t == 0:
            masks, new = two_objects()[:1], [1]
        elif t == 3:
            masks, new = two_objects(), [2]
        prob = core.step(image, masks, new, last=t == 9)
        assert prob.shape == (2 if t < 3 else 3, SIZE, SIZE)
        if t == 3:  # the annotated object wins wherever it was given
            assert (prob.argmax(0)[two_objects()[1].bool()] == 2).all()
        if core.last_memory_t == t:
            memorised.append(t)
    assert memorised == [0, 3, 8]  # annotated frames are memorised; r counts from the last one
    assert core.memory.work.num_groups == 2
    assert core.memory.work_size == 3 * HW


def write_clip(root: Path, video: str, num_frames: int, h: int = 48, w: int = 64) -> None:
    rng = np.random.default_rng(0)
    (root / "JPEGImages" / video).mkdir(parents=True)
    (root / "Annotations" / video).mkdir(parents=True)
    for t in range(num_frames):
        img = rng.integers(0, 60, size=(h, w, 3), dtype=np.uint8)
        img[10:26, 4 + 3 * t : 20 + 3 * t] = (200, 60, 30)
        Image.fromarray(img).save(root / "JPEGImages" / video / f"{t:05d}.jpg", quality=95)
    mask = np.zeros((h, w), np.uint8)
    mask[10:26, 4:20] = 2
    png = Image.fromarray(mask, mode="P")
    png.putpalette(DAVIS_PALETTE)
    png.save(root / "Annotations" / video / "00000.png")


def test_xmem_infer_model_stcn(stcn, tmp_path):
    weights = tmp_path / "stcn-tiny.pth"
    save_stcn_network(stcn, weights)
    data, out = tmp_path / "data", tmp_path / "out"
    write_clip(data, "clip", 7)
    code = main(["infer", "--model", "stcn", "--weights", str(weights), "--data", str(data), "--out", str(out),
                 "--size", "-1", "--no-progress"])
    assert code == 0
    pngs = sorted((out / "clip").glob("*.png"))
    assert [p.stem for p in pngs] == [f"{t:05d}" for t in range(7)]
    assert np.array_equal(read_index_mask(pngs[0]), read_index_mask(data / "Annotations" / "clip" / "00000.png"))
    assert set(np.unique(np.concatenate([read_index_mask(p).ravel() for p in pngs]))) <= {0, 2}
    stats = pd.read_csv(out / "_stats" / "clip.csv")
    assert list(stats["is_memory_frame"]) == [True, False, False, False, False, True, False]
    assert list(stats["work_elements"]) == [12] * 5 + [24] * 2  # 48x64 -> 3x4 keys per frame
    assert (stats["long_elements"] == 0).all()
