"""YouTube-VOS local evaluation (seen / unseen, mid-video objects) and submission zips."""

from __future__ import annotations

import json
import math
import zipfile

import pytest
from eval_helpers import square, write_sequence
from PIL import Image

from xmem.errors import XMemError
from xmem.evaluation import evaluate_youtube, write_youtube_submission
from xmem.evaluation.youtube import read_seen_categories

SHAPE = (20, 30)
FRAMES = ["00000", "00005", "00010", "00015", "00020"]


def build_case(root, with_frames=True):
    """Video 'a': object 1 (cat, seen) from 00000; object 2 (dog, unseen) from 00010."""
    cat = square(SHAPE, 1, 1, 6, 1)
    both = square(SHAPE, 10, 15, 5, 2, cat)
    write_sequence(root / "gt" / "Annotations", "a", [cat, cat, both, both, both], FRAMES)
    # prediction: object 1 always right; object 2 wrong on its first frame (not scored),
    # right on 00015, missing on 00020
    write_sequence(root / "pred", "a", [cat, cat, cat, both, cat], FRAMES)
    objects = {
        "1": {"category": "cat", "frames": FRAMES if with_frames else []},
        "2": {"category": "dog", "frames": FRAMES[2:] if with_frames else []},
    }
    (root / "gt" / "meta.json").write_text(json.dumps({"videos": {"a": {"objects": objects}}}))
    (root / "seen.txt").write_text("cat\nperson\n")
    return root


@pytest.mark.parametrize("with_frames", [True, False])
def test_seen_unseen_and_mid_video_objects(tmp_path, with_frames):
    root = build_case(tmp_path, with_frames)
    result = evaluate_youtube(root / "gt", root / "pred", root / "seen.txt")
    frames_of = result.per_frame.groupby("object")["frame"].apply(list).to_dict()
    assert frames_of == {1: ["00005", "00010", "00015", "00020"], 2: ["00015", "00020"]}
    assert result.per_sequence[["Sequence", "Category", "Seen"]].values.tolist() == [
        ["a_1", "cat", True],
        ["a_2", "dog", False],
    ]
    row = result.global_table.iloc[0].to_dict()
    assert row == pytest.approx({"G": 0.75, "J-Seen": 1.0, "F-Seen": 1.0, "J-Unseen": 0.5, "F-Unseen": 0.5})


def test_empty_group_is_nan_and_g_uses_the_other(tmp_path):
    root = build_case(tmp_path)
    result = evaluate_youtube(root / "gt", root / "pred", ["cat", "dog"])
    row = result.global_table.iloc[0]
    assert math.isnan(row["J-Unseen"]) and math.isnan(row["F-Unseen"])
    assert row["J-Seen"] == pytest.approx(0.75) and row["F-Seen"] == pytest.approx(0.75)  # mean of 1 and 0.5
    assert row["G"] == pytest.approx(0.75)


def test_prediction_in_annotations_subfolder(tmp_path):
    root = build_case(tmp_path)
    (root / "pred").rename(root / "Annotations")
    (root / "pred").mkdir()
    (root / "Annotations").rename(root / "pred" / "Annotations")
    result = evaluate_youtube(root / "gt", root / "pred", root / "seen.txt")
    assert result.global_table["G"].item() == pytest.approx(0.75)


def test_seen_categories_from_training_meta(tmp_path):
    meta = {"videos": {"x": {"objects": {"1": {"category": "cat", "frames": []}, "2": {"category": "owl"}}}}}
    (tmp_path / "train_meta.json").write_text(json.dumps(meta))
    assert read_seen_categories(tmp_path / "train_meta.json") == {"cat", "owl"}


def test_missing_meta_and_missing_prediction(tmp_path):
    root = build_case(tmp_path)
    (root / "pred" / "a" / "00015.png").unlink()
    with pytest.raises(XMemError, match=r"a/00015\.png: predicted mask missing"):
        evaluate_youtube(root / "gt", root / "pred", root / "seen.txt")
    (root / "gt" / "meta.json").unlink()
    with pytest.raises(XMemError, match=r"meta\.json: file not found"):
        evaluate_youtube(root / "gt", root / "pred", root / "seen.txt")


def test_submission_zip(tmp_path):
    write_sequence(tmp_path / "pred", "v1", [square(SHAPE, 0, 0, 3)] * 2)
    write_sequence(tmp_path / "pred", "v2", [square(SHAPE, 0, 0, 3)], ["00010"])
    target = write_youtube_submission(tmp_path / "pred", tmp_path / "out" / "submission.zip")
    with zipfile.ZipFile(target) as archive:
        assert sorted(archive.namelist()) == [
            "Annotations/v1/00000.png", "Annotations/v1/00001.png", "Annotations/v2/00010.png"
        ]
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["submission.zip"]


def test_submission_rejects_rgb_and_leaves_no_file(tmp_path):
    write_sequence(tmp_path / "pred", "v1", [square(SHAPE, 0, 0, 3)])
    Image.new("RGB", (4, 4)).save(tmp_path / "pred" / "v1" / "00001.png")
    with pytest.raises(XMemError, match=r"v1/00001\.png: mask has image mode 'RGB'"):
        write_youtube_submission(tmp_path / "pred", tmp_path / "out" / "submission.zip")
    assert list((tmp_path / "out").iterdir()) == []
