"""End-to-end ``xmem infer`` on a tiny generated clip, and its bad-input errors."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

from xmem.cli import main
from xmem.model.checkpoint import save_network
from xmem.model.config import NetworkConfig
from xmem.model.network import XMemNetwork
from xmem.utils.masks import DAVIS_PALETTE, read_index_mask

H, W = 48, 64
NUM_FRAMES = 7


def write_clip(root: Path, video: str, ids=(1, 3), num_frames: int = NUM_FRAMES) -> None:
    """A clip with two squares (annotation ids 1 and 3: non-contiguous) moving right."""
    rng = np.random.default_rng(0)
    (root / "JPEGImages" / video).mkdir(parents=True)
    (root / "Annotations" / video).mkdir(parents=True)
    for t in range(num_frames):
        img = rng.integers(0, 60, size=(H, W, 3), dtype=np.uint8)
        mask = np.zeros((H, W), np.uint8)
        for k, obj in enumerate(ids):
            y, x = 8 + 20 * k, 4 + 3 * t
            img[y : y + 12, x : x + 12] = (200, 50 + 100 * k, 30)
            mask[y : y + 12, x : x + 12] = obj
        Image.fromarray(img).save(root / "JPEGImages" / video / f"{t:05d}.jpg", quality=95)
        if t == 0:
            png = Image.fromarray(mask, mode="P")
            png.putpalette(DAVIS_PALETTE)
            png.save(root / "Annotations" / video / f"{t:05d}.png")


@pytest.fixture(scope="module")
def weights(tmp_path_factory) -> Path:
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("weights") / "tiny.pth"
    save_network(XMemNetwork(NetworkConfig.profile("tiny")).eval(), path)
    return path


@pytest.fixture()
def data(tmp_path) -> Path:
    root = tmp_path / "data"
    write_clip(root, "alpha")
    write_clip(root, "beta", ids=(2,))
    return root


def infer(weights: Path, data: Path, out: Path, *extra: str) -> int:
    return main(["infer", "--weights", str(weights), "--data", str(data), "--out", str(out), "--size", "-1",
                 "--no-progress", *extra])


def test_infer_writes_every_frame_with_input_palette_and_ids(weights, data, tmp_path):
    out = tmp_path / "out"
    assert infer(weights, data, out, "--mem-every", "2", "--save-probs", str(tmp_path / "probs")) == 0
    for video, ids in (("alpha", {0, 1, 3}), ("beta", {0, 2})):
        pngs = sorted((out / video).glob("*.png"))
        assert [p.stem for p in pngs] == [f"{t:05d}" for t in range(NUM_FRAMES)]
        with Image.open(pngs[0]) as first:
            assert first.mode == "P" and bytes(first.getpalette()[:12]) == DAVIS_PALETTE[:12]
        # the prompt frame reproduces the annotation exactly (ids mapped back)
        assert np.array_equal(read_index_mask(pngs[0]), read_index_mask(data / "Annotations" / video / "00000.png"))
        seen = set(np.unique(np.concatenate([read_index_mask(p).ravel() for p in pngs])))
        assert seen <= ids
        probs = np.load(tmp_path / "probs" / video / "00003.npz")
        assert probs["prob"].shape == (len(ids), H, W) and probs["prob"].dtype == np.uint8
        assert list(probs["object_ids"]) == sorted(ids - {0})
    stats = pd.read_csv(out / "_stats" / "alpha.csv")
    assert len(stats) == NUM_FRAMES
    assert list(stats["is_memory_frame"]) == [True, False, True, False, True, False, False]
    assert (stats["process_seconds"] > 0).all() and (stats["memory_bytes"] > 0).all()
    summary = pd.read_csv(out / "_stats" / "summary.csv")
    assert set(summary["video"]) == {"alpha", "beta"}


def test_infer_is_deterministic(weights, data, tmp_path):
    assert infer(weights, data, tmp_path / "a", "--videos", "alpha") == 0
    assert infer(weights, data, tmp_path / "b", "--videos", "alpha") == 0
    for p in sorted((tmp_path / "a" / "alpha").glob("*.png")):
        assert np.array_equal(read_index_mask(p), read_index_mask(tmp_path / "b" / "alpha" / p.name))


def error_of(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert "\n" not in err, f"error must be one line: {err!r}"
    return err


def test_missing_data_folder(weights, tmp_path, capsys):
    assert infer(weights, tmp_path / "nope", tmp_path / "out") == 2
    assert "nope" in error_of(capsys)
    assert not (tmp_path / "out").exists()


def test_mask_size_mismatch(weights, data, tmp_path, capsys):
    bad = Image.fromarray(np.ones((H + 2, W), np.uint8), mode="P")
    bad.save(data / "Annotations" / "beta" / "00000.png")
    assert infer(weights, data, tmp_path / "out", "--videos", "beta") == 2
    err = error_of(capsys)
    assert "beta/00000.png" in err and "size" in err
    assert not (tmp_path / "out" / "beta").exists()  # no half-written video folder


def test_prompt_without_object(weights, data, tmp_path, capsys):
    Image.fromarray(np.zeros((H, W), np.uint8), mode="P").save(data / "Annotations" / "beta" / "00000.png")
    assert infer(weights, data, tmp_path / "out", "--videos", "beta") == 2
    assert "no object" in error_of(capsys)


def test_unreadable_frame(weights, data, tmp_path, capsys):
    (data / "JPEGImages" / "beta" / "00004.jpg").write_bytes(b"not a jpeg")
    assert infer(weights, data, tmp_path / "out", "--videos", "beta") == 2
    assert "beta/00004.jpg" in error_of(capsys)
    assert not (tmp_path / "out" / "beta").exists()


def test_weights_with_wrong_keys(data, tmp_path, capsys):
    state = XMemNetwork(NetworkConfig.profile("tiny")).state_dict()
    state["decoder.extra.weight"] = torch.zeros(1)
    del state["decoder.pred.bias"]
    torch.save(state, tmp_path / "bad.pth")
    assert infer(tmp_path / "bad.pth", data, tmp_path / "out") == 2
    err = error_of(capsys)
    assert "bad.pth" in err and "decoder.pred.bias" in err and "decoder.extra.weight" in err


def test_bad_option_values(weights, data, tmp_path, capsys):
    assert infer(weights, data, tmp_path / "out", "--mem-every", "5", "--mem-offset", "5") == 2
    assert "--mem-offset" in error_of(capsys)
    assert infer(weights, data, tmp_path / "out", "--max-mid-term-frames", "3", "--min-mid-term-frames", "5") == 2
    assert "T_max" in error_of(capsys)


def test_amp_runs_the_top_k_read_and_agrees_with_fp32(weights, data, tmp_path):
    """bf16 autocast through the sparse top-k read (top-k 5 < memory size from the 2nd memory frame)."""
    assert infer(weights, data, tmp_path / "fp32", "--videos", "alpha", "--mem-every", "2", "--top-k", "5") == 0
    assert infer(weights, data, tmp_path / "amp", "--videos", "alpha", "--mem-every", "2", "--top-k", "5",
                 "--amp") == 0
    pngs = sorted((tmp_path / "fp32" / "alpha").glob("*.png"))
    assert len(pngs) == NUM_FRAMES
    agree = np.mean([np.mean(read_index_mask(p) == read_index_mask(tmp_path / "amp" / "alpha" / p.name))
                     for p in pngs])
    assert agree > 0.75  # random tiny weights: many near-ties between objects
    assert np.array_equal(read_index_mask(pngs[0]), read_index_mask(tmp_path / "amp" / "alpha" / pngs[0].name))
