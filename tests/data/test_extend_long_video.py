"""The n-times back-and-forth Long-time Video builder (``xmem extend``)."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from xmem.cli import main
from xmem.data import back_and_forth_indices, extend_dataset
from xmem.data import long_video_variants
from xmem.errors import XMemError
from xmem.utils.masks import read_index_mask, write_index_mask


def triangle_wave(k: int, n: int) -> int:
    """Independent closed form of the back-and-forth index: period 2(n-1)."""
    if n == 1:
        return 0
    p = k % (2 * (n - 1))
    return p if p < n else 2 * (n - 1) - p


@pytest.mark.parametrize(
    "n, times, expected",
    [
        (1, 1, [0]),
        (1, 4, [0, 0, 0, 0]),
        (2, 3, [0, 1, 0, 1, 0, 1]),
        (3, 1, [0, 1, 2]),
        (3, 3, [0, 1, 2, 1, 0, 1, 2, 1, 0]),
        (4, 2, [0, 1, 2, 3, 2, 1, 0, 1]),
        (5, 2, [0, 1, 2, 3, 4, 3, 2, 1, 0, 1]),
    ],
)
def test_back_and_forth_crafted(n, times, expected):
    assert back_and_forth_indices(n, times) == expected


def test_back_and_forth_matches_triangle_wave():
    for n in range(1, 9):
        for times in (1, 2, 3, 10):
            got = back_and_forth_indices(n, times)
            assert got == [triangle_wave(k, n) for k in range(n * times)], (n, times)


@pytest.mark.parametrize("n, times", [(0, 1), (3, 0), (-1, 2)])
def test_back_and_forth_rejects_bad_sizes(n, times):
    with pytest.raises(ValueError):
        back_and_forth_indices(n, times)


def make_video_set(root: Path, videos: dict[str, tuple[int, list[int]]]) -> Path:
    """JPEGImages/<vid>/<stem>.jpg with distinct pixels, masks on the listed frames.

    Source stems are deliberately not 00000-based (``f0010`` ...) to check renaming.
    """
    for vid, (n, mask_frames) in videos.items():
        (root / "JPEGImages" / vid).mkdir(parents=True)
        (root / "Annotations" / vid).mkdir(parents=True)
        for i in range(n):
            img = np.full((8, 12, 3), 20 * i + 5, np.uint8)
            Image.fromarray(img).save(root / "JPEGImages" / vid / f"f{10 + i:04d}.jpg", quality=95)
            if i in mask_frames:
                mask = np.zeros((8, 12), np.uint8)
                mask[: i + 1, :3] = 1
                write_index_mask(root / "Annotations" / vid / f"f{10 + i:04d}.png", mask)
    return root


@pytest.mark.parametrize("times", [1, 3, 10])
def test_extend_links_frames_in_back_and_forth_order(tmp_path, times):
    src = make_video_set(tmp_path / "src", {"clip": (5, [0, 3]), "still": (1, [0])})
    dst = tmp_path / "dst"
    summary = extend_dataset(src, dst, times)

    assert summary["videos"] == 2 and summary["frames"] == 5 * times + times
    assert summary["link_mode"] == "hardlink"
    src_frames = sorted((src / "JPEGImages" / "clip").iterdir())
    out_frames = sorted(os.listdir(dst / "JPEGImages" / "clip"))
    assert out_frames == [f"{k:05d}.jpg" for k in range(5 * times)]
    indices = back_and_forth_indices(5, times)
    expected_masks = [f"{k:05d}.png" for k, c in enumerate(indices) if c in (0, 3)]
    assert sorted(os.listdir(dst / "Annotations" / "clip")) == expected_masks
    assert summary["masks"] == len(expected_masks) + times  # + every frame of the 1-frame video
    for k, c in enumerate(indices):
        out = dst / "JPEGImages" / "clip" / f"{k:05d}.jpg"
        assert out.stat().st_ino == src_frames[c].stat().st_ino  # a link, not a copy
        assert not out.is_symlink()
        with Image.open(out) as img:
            assert img.size == (12, 8)
        if c in (0, 3):
            mask = read_index_mask(dst / "Annotations" / "clip" / f"{k:05d}.png")
            assert int(mask.sum()) == 3 * (c + 1)
    assert sorted(os.listdir(dst / "JPEGImages" / "still")) == [f"{k:05d}.jpg" for k in range(times)]
    assert len(os.listdir(dst / "Annotations" / "still")) == times


def test_extend_falls_back_to_symlinks_then_copies(tmp_path, monkeypatch):
    src = make_video_set(tmp_path / "src", {"clip": (3, [0])})

    def no_link(*args, **kwargs):
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(long_video_variants.os, "link", no_link)
    summary = extend_dataset(src, tmp_path / "sym", 2)
    assert summary["link_mode"] == "symlink"
    out = tmp_path / "sym" / "JPEGImages" / "clip" / "00003.jpg"  # source frame 1
    assert out.is_symlink() and out.read_bytes() == (src / "JPEGImages" / "clip" / "f0011.jpg").read_bytes()
    assert sorted(os.listdir(out.parent)) == [f"{k:05d}.jpg" for k in range(6)]

    def no_symlink(*args, **kwargs):
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(long_video_variants.os, "symlink", no_symlink)
    summary = extend_dataset(src, tmp_path / "copy", 2)
    assert summary["link_mode"] == "copy"
    out = tmp_path / "copy" / "JPEGImages" / "clip" / "00003.jpg"
    source = src / "JPEGImages" / "clip" / "f0011.jpg"
    assert not out.is_symlink() and out.stat().st_ino != source.stat().st_ino
    assert out.read_bytes() == source.read_bytes()
    with Image.open(tmp_path / "copy" / "Annotations" / "clip" / "00004.png") as img:
        assert img.mode == "P"


def test_extend_is_atomic_on_failure(tmp_path, monkeypatch):
    src = make_video_set(tmp_path / "src", {"a": (4, [0]), "b": (4, [0])})
    calls = []

    def flaky(self, s, d):
        calls.append(d)
        if len(calls) == 7:
            raise RuntimeError("disk full")
        os.link(s, d)

    monkeypatch.setattr(long_video_variants._Linker, "__call__", flaky)
    with pytest.raises(RuntimeError):
        extend_dataset(src, tmp_path / "out", 2)
    assert not (tmp_path / "out").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["src"]  # no temporary leftovers


def test_extend_replaces_an_earlier_variant(tmp_path):
    src = make_video_set(tmp_path / "src", {"clip": (3, [0])})
    extend_dataset(src, tmp_path / "out", 3)
    extend_dataset(src, tmp_path / "out", 2)
    assert len(os.listdir(tmp_path / "out" / "JPEGImages" / "clip")) == 6


def test_extend_input_errors(tmp_path):
    src = make_video_set(tmp_path / "src", {"clip": (3, [0])})
    with pytest.raises(XMemError, match="JPEGImages"):
        extend_dataset(tmp_path / "nowhere", tmp_path / "out", 2)
    with pytest.raises(XMemError, match="outside --src"):
        extend_dataset(src, src / "inner", 2)
    with pytest.raises(XMemError, match="outside --src"):
        extend_dataset(src, tmp_path, 2)
    with pytest.raises(XMemError, match="--times"):
        extend_dataset(src, tmp_path / "out", 0)
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("keep me")
    with pytest.raises(XMemError, match="holds other files"):
        extend_dataset(src, tmp_path / "busy", 2)
    assert (tmp_path / "busy" / "notes.txt").read_text() == "keep me"
    no_first = make_video_set(tmp_path / "nofirst", {"clip": (3, [1])})
    with pytest.raises(XMemError, match="first frame"):
        extend_dataset(no_first, tmp_path / "out", 2)


def test_extend_cli(tmp_path, capsys):
    src = make_video_set(tmp_path / "src", {"clip": (4, [0, 2])})
    assert main(["extend", "--src", str(src), "--dst", str(tmp_path / "x3"), "--times", "3"]) == 0
    assert "12 frames" in capsys.readouterr().out
    assert len(os.listdir(tmp_path / "x3" / "JPEGImages" / "clip")) == 12
    assert main(["extend", "--src", str(tmp_path / "missing"), "--dst", str(tmp_path / "y"), "--times", "3"]) == 2
    assert "error:" in capsys.readouterr().err
