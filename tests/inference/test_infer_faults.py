"""``xmem infer`` on hostile input: no silent wrong output, one-line errors before any work."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from test_infer_cli import H, NUM_FRAMES, W, data, error_of, infer, weights, write_clip  # noqa: F401 (fixtures)

from baselines.stcn import STCNConfig, STCNNetwork
from baselines.stcn.checkpoint import save_stcn_network
from xmem.cli import main
from xmem.inference import validation
from xmem.utils.locks import held_lock
from xmem.utils.masks import DAVIS_PALETTE, read_index_mask


def prompt_of(data: Path, video: str) -> Path:
    return data / "Annotations" / video / "00000.png"


def video_outputs(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if not p.name.startswith((".", "_"))) if out.exists() else []


def test_grayscale_prompt_keeps_object_ids(weights, tmp_path):
    data = tmp_path / "data"
    write_clip(data, "gray", ids=(2, 3))
    mask = read_index_mask(prompt_of(data, "gray"))
    Image.fromarray(mask, mode="L").save(prompt_of(data, "gray"))  # mode L: no palette
    assert infer(weights, data, tmp_path / "out") == 0
    pngs = sorted((tmp_path / "out" / "gray").glob("*.png"))
    assert len(pngs) == NUM_FRAMES
    with Image.open(pngs[0]) as first:
        assert first.mode == "P" and bytes(first.getpalette()[:12]) == DAVIS_PALETTE[:12]
    assert np.array_equal(read_index_mask(pngs[0]), mask)  # ids 2 and 3 kept (a 1-bit PNG made them 1)
    assert set(np.unique(np.stack([read_index_mask(p) for p in pngs]))) <= {0, 2, 3}


def test_generic_keeps_object_id_255(weights, tmp_path):
    data = tmp_path / "data"
    write_clip(data, "binary", ids=(255,))  # a 0/255 binary mask, common for one's own videos
    assert infer(weights, data, tmp_path / "out", "--save-probs", str(tmp_path / "probs")) == 0
    first = read_index_mask(tmp_path / "out" / "binary" / "00000.png")
    assert np.array_equal(first, read_index_mask(prompt_of(data, "binary")))
    assert list(np.load(tmp_path / "probs" / "binary" / "00001.npz")["object_ids"]) == [255]


HOLD_LOCK = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
fcntl.flock(fd, fcntl.LOCK_EX)
os.write(fd, str(os.getpid()).encode())
print("locked", flush=True)
time.sleep(120)
"""


def test_second_writer_on_the_same_out_is_refused(weights, data, tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(out / validation.OUTPUT_LOCK)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        assert infer(weights, data, out) == 2
        err = error_of(capsys)
        assert f"--out {out}" in err and "another xmem infer" in err and str(holder.pid) in err
        assert video_outputs(out) == []
    finally:
        holder.kill()
        holder.wait()
    # the lock file a killed holder leaves behind does not block: the kernel released its lock
    assert (out / validation.OUTPUT_LOCK).exists()
    assert infer(weights, data, out) == 0
    assert video_outputs(out) == ["alpha", "beta"]


def test_the_lock_is_held_during_the_run(weights, data, tmp_path, monkeypatch):
    out = tmp_path / "out"
    seen = []

    def run_videos(*args, **kwargs):  # stands in for the work: the lock must be held meanwhile
        with held_lock(out / validation.OUTPUT_LOCK) as acquired:
            seen.append(acquired)

    monkeypatch.setattr("xmem.inference.cli.run_videos", run_videos)
    assert infer(weights, data, out) == 0
    assert seen == [False]


def test_frames_of_different_sizes_fail_before_any_work(weights, data, tmp_path, capsys):
    bad = data / "JPEGImages" / "beta" / "00004.jpg"  # beta comes after alpha
    Image.new("RGB", (W + 16, H)).save(bad)
    assert infer(weights, data, tmp_path / "out") == 2
    err = error_of(capsys)
    assert str(bad) in err and f"{W + 16}x{H}" in err and "same size" in err
    assert video_outputs(tmp_path / "out") == []  # alpha was not processed either


def test_every_bad_video_is_logged_and_the_error_names_the_first(weights, data, tmp_path, capsys, caplog):
    Image.new("RGB", (W, H + 2)).save(data / "JPEGImages" / "alpha" / "00003.jpg")
    Image.fromarray(np.zeros((H, W), np.uint8), mode="L").save(prompt_of(data, "beta"))
    with caplog.at_level(logging.ERROR):
        assert infer(weights, data, tmp_path / "out") == 2
    err = error_of(capsys)
    assert "alpha/00003.jpg" in err and "1 more bad videos" in err and "nothing was processed" in err
    assert any("beta/00000.png" in r.message and "no object" in r.message for r in caplog.records)


def test_rgb_annotation_is_refused_before_work(weights, data, tmp_path, capsys):
    Image.new("RGB", (W, H)).save(prompt_of(data, "beta"))
    assert infer(weights, data, tmp_path / "out") == 2
    err = error_of(capsys)
    assert "beta/00000.png" in err and "'RGB'" in err
    assert video_outputs(tmp_path / "out") == []


def test_out_that_is_a_file(weights, data, tmp_path, capsys):
    target = tmp_path / "out.txt"
    target.write_text("not a folder")
    assert infer(weights, data, target) == 2
    err = error_of(capsys)
    assert str(target) in err and "is a file" in err
    assert target.read_text() == "not a folder"


def test_read_only_out(weights, data, tmp_path, capsys, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    out.chmod(0o555)
    if os.geteuid() == 0:  # root writes into read-only folders: make the write fail as it would for a user

        def refuse(*args, **kwargs):
            raise PermissionError(13, "Permission denied")

        monkeypatch.setattr(validation.tempfile, "TemporaryFile", refuse)
    try:
        assert infer(weights, data, out) == 2
        err = error_of(capsys)
        assert f"--out {out}" in err and "Permission denied" in err and "writable" in err
    finally:
        out.chmod(0o755)
    assert video_outputs(out) == []


def test_processing_size_is_logged_and_upscaling_warned(weights, data, tmp_path, caplog):
    with caplog.at_level(logging.INFO, logger="xmem.inference.validation"):
        assert infer(weights, data, tmp_path / "up", "--videos", "beta", "--size", "96") == 0
    messages = [r.getMessage() for r in caplog.records if r.name == "xmem.inference.validation"]
    assert f"beta: {NUM_FRAMES} frames of {W}x{H}, processed at 128x96 (--size 96)" in messages
    warnings = [m for m in messages if "upscaled" in m]
    assert len(warnings) == 1 and "1 of 1 videos" in warnings[0] and "--size -1" in warnings[0]
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="xmem.inference.validation"):
        assert infer(weights, data, tmp_path / "native", "--videos", "beta") == 0  # --size -1
    assert not [r for r in caplog.records if "upscaled" in r.getMessage()]


def test_progress_bars_stay_out_of_redirected_stderr(weights, data, tmp_path, capsys):
    code = main(["infer", "--weights", str(weights), "--data", str(data), "--out", str(tmp_path / "out"),
                 "--size", "-1"])  # progress bars requested, stderr is not a terminal
    assert code == 0
    err = capsys.readouterr().err
    assert "\r" not in err and "frame/s" not in err and "\x1b[A" not in err


def test_help_shows_defaults(capsys):
    with pytest.raises(SystemExit):
        main(["infer", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "(default: 480)" in text and "(default: generic)" in text and "(default: xmem)" in text
    assert "(default: None)" not in text and "(default: False)" not in text


def test_stcn_weights_with_model_xmem_and_back(weights, data, tmp_path, capsys):
    stcn = tmp_path / "stcn.pth"
    save_stcn_network(STCNNetwork(STCNConfig.profile("tiny")), stcn)
    assert infer(stcn, data, tmp_path / "out") == 2
    assert "use --model stcn" in error_of(capsys)
    assert infer(weights, data, tmp_path / "out", "--model", "stcn") == 2
    assert "use --model xmem" in error_of(capsys)
    assert infer(stcn, data, tmp_path / "out", "--model", "stcn") == 0


def test_youtube_submission_from_infer_output(weights, data, tmp_path):
    out = tmp_path / "out"
    assert infer(weights, data, out) == 0
    assert (out / "_stats" / "summary.csv").exists()
    assert main(["evaluate", "--mode", "youtube", "--pred", str(out), "--out", str(tmp_path / "sub")]) == 0
    with zipfile.ZipFile(tmp_path / "sub" / "submission.zip") as archive:
        names = archive.namelist()
    assert len(names) == 2 * NUM_FRAMES
    assert {n.split("/")[1] for n in names} == {"alpha", "beta"}
