"""The public Python API: VideoPredictor.track / track_frames, the sinks, the README example."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

import xmem
from xmem.errors import XMemError
from xmem.inference.config import InferenceConfig
from xmem.inference.datasets import list_videos
from xmem.inference.predictor import VideoPredictor
from xmem.inference.runner import run_videos
from xmem.model.checkpoint import save_network
from xmem.model.config import NetworkConfig
from xmem.model.network import XMemNetwork
from xmem.utils.masks import read_index_mask, write_index_mask

README = Path(__file__).resolve().parents[2] / "README.md"
H, W, T = 48, 64, 9


@pytest.fixture(scope="module")
def network() -> XMemNetwork:
    torch.manual_seed(0)
    return XMemNetwork(NetworkConfig.profile("tiny")).eval()


def squares(t: int) -> tuple[np.ndarray, np.ndarray]:
    """A frame with two moving squares and its index mask (ids 3 and 7)."""
    rgb = np.random.default_rng(t).integers(0, 60, (H, W, 3), dtype=np.uint8)
    mask = np.zeros((H, W), np.uint8)
    for k, (y, x) in ((3, (4 + t, 4 + 2 * t)), (7, (30 - t, 40 - t))):
        rgb[y:y + 12, x:x + 12] = (200, 40 * k % 255, 60)
        mask[y:y + 12, x:x + 12] = k
    return rgb, mask


def test_readme_python_example_runs_as_written(tmp_path, monkeypatch, capsys, network):
    block = re.search(r"## Python API.*?```python\n(.*?)```", README.read_text(), re.S).group(1)
    assert 8 <= len(block.strip().splitlines()) <= 14
    monkeypatch.chdir(tmp_path)
    save_network(network, tmp_path / "XMem.pth")
    exec(compile(block, "README.md", "exec"), {})
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("0 (1,) (2, 96, 128)")
    assert out[4].startswith("4 (1, 2) (3, 96, 128)")  # object 2 entered on frame 4


def test_objects_entering_later_and_masks_with_their_ids(network):
    frames, masks = zip(*(squares(t) for t in range(T)))
    first = np.where(masks[0] == 3, 3, 0).astype(np.uint8)
    later = np.where(masks[5] == 7, 7, 0).astype(np.uint8)
    predictor = VideoPredictor(network, InferenceConfig(size=-1, mem_every=2))
    results = list(predictor.track(list(frames), masks={0: first, 5: later}))
    assert [r.index for r in results] == list(range(T))
    assert [r.object_ids for r in results] == [(3,)] * 5 + [(3, 7)] * 4
    assert all(r.probabilities.shape == (len(r.object_ids) + 1, H, W) for r in results)
    assert (results[5].mask[later == 7] == 7).all()  # the given mask of the new object is kept
    assert set(np.unique(results[0].mask)) == {0, 3} and results[0].memory.is_memory_frame
    assert [r.memory.is_memory_frame for r in results] == [True, False, True, False, True, True, False, True, False]
    with pytest.raises(XMemError, match="prompt annotation contains no object"):
        list(predictor.track(list(frames), masks={0: np.zeros((H, W), np.uint8)}))


def test_frames_before_the_prompt_are_background(network):
    frames, masks = zip(*(squares(t) for t in range(4)))
    results = list(VideoPredictor(network, InferenceConfig(size=-1)).track(list(frames), masks={2: masks[2]}))
    assert [r.processed for r in results] == [False, False, True, True]
    assert not results[0].mask.any() and results[0].mask.shape == (H, W) and results[0].memory is None


def write_squares_video(root: Path) -> Path:
    """The ``squares`` video as a generic dataset under ``root`` (video "v", prompt on frame 0)."""
    (root / "JPEGImages" / "v").mkdir(parents=True)
    for t in range(T):
        rgb, mask = squares(t)
        Image.fromarray(rgb).save(root / "JPEGImages" / "v" / f"{t:05d}.png")
        if t == 0:
            write_index_mask(root / "Annotations" / "v" / f"{t:05d}.png", mask)
    return root


def test_track_equals_xmem_infer_on_the_same_video(network, tmp_path):
    """The runner (xmem infer) and the API give the same masks and memory: one loop."""
    root = write_squares_video(tmp_path / "data")
    config = InferenceConfig(size=-1, mem_every=3)
    predictor = VideoPredictor(network, config)
    frames = run_videos(predictor.network, list_videos("generic", root), config, tmp_path / "out",
                        tmp_path / "stats", torch.device("cpu"), progress=False)
    rgbs = [squares(t)[0] for t in range(T)]
    results = list(predictor.track(rgbs, masks={0: squares(0)[1]}))
    for r in results:
        assert np.array_equal(r.mask, read_index_mask(tmp_path / "out" / "v" / f"{r.index:05d}.png"))
    stats = pd.read_csv(tmp_path / "stats" / "v.csv")
    assert stats["memory_bytes"].tolist() == [r.memory.memory_bytes for r in results] == frames["memory_bytes"].tolist()


def test_max_frames_stops_a_run_where_a_full_run_would_be(network, tmp_path):
    """A cut run processes the first frames exactly as the full run does (the video's length still
    sets the schedule: its last processed frame is memorised like any other), then stops."""
    root = write_squares_video(tmp_path / "data")
    full = InferenceConfig(size=-1, mem_every=2)
    prepared = VideoPredictor(network, full).network
    tables = {}
    for name, config in (("full", full), ("cut", dataclasses.replace(full, max_frames=5))):
        tables[name] = run_videos(prepared, list_videos("generic", root), config, tmp_path / name,
                                  tmp_path / f"{name}_stats", torch.device("cpu"), progress=False)
    cut, full_rows = tables["cut"], tables["full"].iloc[:5]
    assert cut["frame_index"].tolist() == [0, 1, 2, 3, 4] and len(tables["full"]) == T
    assert cut["is_memory_frame"].tolist() == full_rows["is_memory_frame"].tolist() == [True, False, True, False, True]
    assert cut["memory_bytes"].tolist() == full_rows["memory_bytes"].tolist()
    assert sorted(p.name for p in (tmp_path / "cut" / "v").iterdir()) == [f"{t:05d}.png" for t in range(5)]
    for t in range(5):
        assert np.array_equal(read_index_mask(tmp_path / "cut" / "v" / f"{t:05d}.png"),
                              read_index_mask(tmp_path / "full" / "v" / f"{t:05d}.png"))
    with pytest.raises(XMemError, match="max_frames"):
        InferenceConfig(max_frames=0)


def test_public_names_are_exported_lazily():
    assert xmem.VideoPredictor is VideoPredictor and xmem.InferenceConfig is InferenceConfig
    assert {"VideoPredictor", "FrameResult", "MaskWriter", "ProbabilityWriter", "StatsRecorder"} <= set(xmem.__all__)
    with pytest.raises(AttributeError):
        xmem.no_such_name  # noqa: B018
