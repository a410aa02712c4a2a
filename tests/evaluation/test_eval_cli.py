"""`xmem evaluate` end to end through the CLI dispatcher."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pandas as pd
from eval_helpers import DAVIS_FIXTURE, square, write_sequence

from xmem.cli import main


def test_davis_mode_writes_csvs_matching_official(tmp_path, shared):
    fixture = shared(DAVIS_FIXTURE)
    (tmp_path / "seqs.txt").write_text("dog\nhorsejump-high\n")
    out = tmp_path / "scores"
    code = main(["evaluate", "--gt", str(fixture / "gt"), "--pred", str(fixture / "pred"), "--out", str(out),
                 "--sequences", str(tmp_path / "seqs.txt"), "--processes", "1"])
    assert code == 0
    per_sequence = pd.read_csv(out / "per-sequence_results.csv")
    official = pd.read_csv(fixture / "official" / "per-sequence_results.csv").set_index("Sequence")
    assert per_sequence["Sequence"].tolist() == ["dog_1", "horsejump-high_1", "horsejump-high_2"]
    np.testing.assert_allclose(per_sequence[["J-Mean", "F-Mean"]].to_numpy(),
                               official.loc[per_sequence["Sequence"], ["J-Mean", "F-Mean"]].to_numpy(), atol=1e-4)
    global_table = pd.read_csv(out / "global_results.csv")
    assert abs(global_table["J-Mean"].item() - per_sequence["J-Mean"].mean()) < 2e-6
    per_frame = pd.read_csv(out / "per-frame_results.csv", dtype={"frame": str})
    assert len(per_frame) == 58 + 2 * 48
    assert sorted(p.name for p in out.iterdir()) == ["global_results.csv", "per-frame_results.csv",
                                                     "per-sequence_results.csv"]


def test_lv_mode(tmp_path):
    write_sequence(tmp_path / "gt", "v", [square((16, 16), 2, 2, 5)] * 3, frames=["00000", "00050", "00100"])
    write_sequence(tmp_path / "pred", "v", [square((16, 16), 2, 2, 5)] * 101)
    assert main(["evaluate", "--mode", "lv", "--gt", str(tmp_path / "gt"), "--pred", str(tmp_path / "pred"),
                 "--out", str(tmp_path / "out")]) == 0
    per_frame = pd.read_csv(tmp_path / "out" / "per-frame_results.csv", dtype={"frame": str})
    assert per_frame["frame"].tolist() == ["00050"]


def test_user_error_exits_2_with_one_line(tmp_path, capsys):
    write_sequence(tmp_path / "gt", "s", [square((16, 16), 2, 2, 5)] * 3)
    (tmp_path / "pred").mkdir()
    code = main(["evaluate", "--gt", str(tmp_path / "gt"), "--pred", str(tmp_path / "pred"), "--out", str(tmp_path / "o")])
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "pred/s: predicted sequence folder not found" in err
    assert not (tmp_path / "o").exists()


def test_youtube_needs_seen_categories_with_gt(tmp_path, capsys):
    (tmp_path / "gt" / "Annotations").mkdir(parents=True)
    (tmp_path / "pred").mkdir()
    code = main(["evaluate", "--mode", "youtube", "--gt", str(tmp_path / "gt"), "--pred", str(tmp_path / "pred"),
                 "--out", str(tmp_path / "o")])
    assert code == 2
    assert "--seen-categories" in capsys.readouterr().err


def test_youtube_local_and_submission(tmp_path):
    frames = ["00000", "00005", "00010"]
    write_sequence(tmp_path / "gt" / "Annotations", "vid", [square((16, 16), 2, 2, 5)] * 3, frames)
    write_sequence(tmp_path / "pred", "vid", [square((16, 16), 2, 2, 5)] * 3, frames)
    meta = {"videos": {"vid": {"objects": {"1": {"category": "cat", "frames": frames}}}}}
    (tmp_path / "gt" / "meta.json").write_text(json.dumps(meta))
    (tmp_path / "seen.txt").write_text("dog\n")
    assert main(["evaluate", "--mode", "youtube", "--gt", str(tmp_path / "gt"), "--pred", str(tmp_path / "pred"),
                 "--out", str(tmp_path / "yt"), "--seen-categories", str(tmp_path / "seen.txt")]) == 0
    table = pd.read_csv(tmp_path / "yt" / "global_results.csv")
    assert table.columns.tolist() == ["G", "J-Seen", "F-Seen", "J-Unseen", "F-Unseen"]
    assert table[["G", "J-Unseen", "F-Unseen"]].iloc[0].tolist() == [1.0, 1.0, 1.0]

    assert main(["evaluate", "--mode", "youtube", "--pred", str(tmp_path / "pred"), "--out", str(tmp_path / "sub")]) == 0
    with zipfile.ZipFile(tmp_path / "sub" / "submission.zip") as archive:
        assert sorted(archive.namelist()) == [f"Annotations/vid/{f}.png" for f in frames]
