"""DAVIS / Long-time Video protocol: official fixture, crafted sequences, bad input."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from eval_helpers import DAVIS_FIXTURE, square, write_sequence
from PIL import Image

from xmem.errors import XMemError
from xmem.evaluation import DavisProtocol, evaluate_davis, evaluate_long_video
from xmem.evaluation.results import GLOBAL_CSV, PER_FRAME_CSV, PER_SEQUENCE_CSV

SHAPE = (24, 32)


@pytest.fixture(scope="module")
def fixture_dir(shared) -> Path:
    return shared(DAVIS_FIXTURE)


@pytest.fixture(scope="module")
def fixture_result(fixture_dir):
    return evaluate_davis(fixture_dir / "gt", fixture_dir / "pred", fixture_dir / "sequences.txt")


def test_fixture_global_matches_official(fixture_dir, fixture_result):
    official = pd.read_csv(fixture_dir / "official" / "global_results.csv")
    assert list(fixture_result.global_table.columns) == list(official.columns)
    np.testing.assert_allclose(fixture_result.global_table.to_numpy(), official.to_numpy(), atol=1e-4, rtol=0)


def test_fixture_per_sequence_matches_official(fixture_dir, fixture_result):
    official = pd.read_csv(fixture_dir / "official" / "per-sequence_results.csv")
    ours = fixture_result.per_sequence
    assert list(ours.columns) == list(official.columns)
    assert ours["Sequence"].tolist() == official["Sequence"].tolist()
    np.testing.assert_allclose(ours[["J-Mean", "F-Mean"]].to_numpy(), official[["J-Mean", "F-Mean"]].to_numpy(), atol=1e-4, rtol=0)


def test_fixture_per_frame_rows(fixture_result):
    per_frame = fixture_result.per_frame
    assert list(per_frame.columns) == ["sequence", "object", "frame", "J", "F"]
    dog = per_frame[per_frame["sequence"] == "dog"]
    # 60 frames, first and last not scored, one object
    assert dog["frame"].tolist() == [f"{i:05d}" for i in range(1, 59)]
    assert len(per_frame) == 1060  # sum over sequences of (frames - 2) * objects


def test_processes_give_identical_tables(fixture_dir):
    names = ["dog", "kite-surf"]
    single = evaluate_davis(fixture_dir / "gt", fixture_dir / "pred", names, processes=1)
    pooled = evaluate_davis(fixture_dir / "gt", fixture_dir / "pred", names, processes=2)
    pd.testing.assert_frame_equal(single.per_frame, pooled.per_frame)
    pd.testing.assert_frame_equal(single.global_table, pooled.global_table)


def test_void_is_background(tmp_path):
    # object: 10x10 square; void: a 2x10 strip below it; the prediction covers the strip too
    gt = square(SHAPE, 2, 2, 10)
    gt[12:14, 2:12] = 255
    pred = square(SHAPE, 2, 2, 10)
    pred[12:14, 2:12] = 1
    write_sequence(tmp_path / "gt", "s", [gt] * 3)
    write_sequence(tmp_path / "pred", "s", [pred] * 3)
    result = evaluate_davis(tmp_path / "gt", tmp_path / "pred")
    assert result.per_sequence["Sequence"].tolist() == ["s_1"]  # 255 is not an object
    assert result.per_frame["J"].tolist() == [pytest.approx(100 / 120)]


def test_missing_and_unused_objects(tmp_path):
    # first frame has ids 1 and 3 -> objects 1, 2, 3; later id 4 is never scored
    first = square(SHAPE, 0, 0, 5, 1, square(SHAPE, 10, 10, 5, 3))
    middle = square(SHAPE, 0, 20, 4, 4, first)
    frames = [first, middle, middle, first]
    preds = [square(SHAPE, 0, 0, 5, 1)] * 4  # object 3 never predicted, no id 2 anywhere
    write_sequence(tmp_path / "gt", "s", frames)
    write_sequence(tmp_path / "pred", "s", preds)
    result = evaluate_davis(tmp_path / "gt", tmp_path / "pred")
    table = result.per_sequence.set_index("Sequence")
    assert table.index.tolist() == ["s_1", "s_2", "s_3"]
    assert table.loc["s_1"].tolist() == [1.0, 1.0]
    assert table.loc["s_2"].tolist() == [1.0, 1.0]  # absent in GT and prediction: J = F = 1
    assert table.loc["s_3"].tolist() == [0.0, 0.0]  # missing prediction scores 0
    assert result.global_table["J-Mean"].item() == pytest.approx(2 / 3)


def test_recall_and_decay_crafted(tmp_path):
    # 10 frames, 8 scored; the prediction is perfect for 4 scored frames, then empty
    gt = [square(SHAPE, 4, 4, 8)] * 10
    pred = [square(SHAPE, 4, 4, 8)] * 5 + [np.zeros(SHAPE, np.uint8)] * 5
    write_sequence(tmp_path / "gt", "s", gt)
    write_sequence(tmp_path / "pred", "s", pred)
    row = evaluate_davis(tmp_path / "gt", tmp_path / "pred").global_table.iloc[0]
    # per-frame J = F = [1, 1, 1, 1, 0, 0, 0, 0]; bins v[0:3] and v[5:8]
    expected = {"J&F-Mean": 0.5, "J-Mean": 0.5, "J-Recall": 0.5, "J-Decay": 1.0,
                "F-Mean": 0.5, "F-Recall": 0.5, "F-Decay": 1.0}
    assert row.to_dict() == pytest.approx(expected)


def test_decay_of_sequence_longer_than_256_frames(tmp_path):
    shape = (8, 8)
    gt = [square(shape, 2, 2, 4)] * 300
    # 298 scored frames: perfect on the first 149, empty afterwards
    pred = [square(shape, 2, 2, 4)] * 150 + [np.zeros(shape, np.uint8)] * 150
    write_sequence(tmp_path / "gt", "long", gt)
    write_sequence(tmp_path / "pred", "long", pred)
    result = evaluate_long_video(tmp_path / "gt", tmp_path / "pred")
    row = result.global_table.iloc[0]
    assert row["J-Mean"] == pytest.approx(0.5)
    assert row["J-Decay"] == 1.0  # bins [0, 74] and [223, 297]
    official = evaluate_long_video(tmp_path / "gt", tmp_path / "pred", protocol=DavisProtocol(official_uint8_decay=True))
    assert math.isnan(official.global_table["J-Decay"].item())  # edge 297 wraps to 41: empty last bin


def test_long_video_scores_only_annotated_frames(tmp_path):
    annotated = ["00000", "00005", "00010", "00015"]
    write_sequence(tmp_path / "gt", "v", [square(SHAPE, 3, 3, 6)] * 4, frames=annotated)
    preds = [square(SHAPE, 3, 3, 6) if i % 5 == 0 else np.zeros(SHAPE, np.uint8) for i in range(16)]
    write_sequence(tmp_path / "pred", "v", preds)
    result = evaluate_long_video(tmp_path / "gt", tmp_path / "pred")
    assert result.mode == "lv"
    assert result.per_frame["frame"].tolist() == ["00005", "00010"]
    assert result.global_table["J-Mean"].item() == 1.0


def test_write_outputs(tmp_path, fixture_result):
    written = fixture_result.write(tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted([GLOBAL_CSV, PER_FRAME_CSV, PER_SEQUENCE_CSV])
    assert set(written) == {GLOBAL_CSV, PER_FRAME_CSV, PER_SEQUENCE_CSV}
    lines = (tmp_path / "out" / GLOBAL_CSV).read_text().splitlines()
    assert lines[0] == "J&F-Mean,J-Mean,J-Recall,J-Decay,F-Mean,F-Recall,F-Decay"
    assert lines[1] == "0.754829,0.655741,0.771145,0.044251,0.853917,0.903951,-0.004750"
    seq_lines = (tmp_path / "out" / PER_SEQUENCE_CSV).read_text().splitlines()
    assert seq_lines[:2] == ["Sequence,J-Mean,F-Mean", "bike-packing_1,0.638276,0.901077"]
    assert (tmp_path / "out" / PER_FRAME_CSV).read_text().startswith("sequence,object,frame,J,F\nbike-packing,1,00001,")


# ---- bad input -------------------------------------------------------------------------


@pytest.fixture()
def small_case(tmp_path):
    write_sequence(tmp_path / "gt", "s", [square(SHAPE, 2, 2, 6)] * 4)
    write_sequence(tmp_path / "pred", "s", [square(SHAPE, 2, 2, 6)] * 4)
    return tmp_path


def test_missing_prediction_folder(small_case):
    write_sequence(small_case / "gt", "other", [square(SHAPE, 2, 2, 6)] * 4)
    with pytest.raises(XMemError, match=r"pred/other: predicted sequence folder not found"):
        evaluate_davis(small_case / "gt", small_case / "pred")


def test_missing_prediction_frame(small_case):
    (small_case / "pred" / "s" / "00002.png").unlink()
    with pytest.raises(XMemError, match=r"s/00002\.png: predicted mask missing"):
        evaluate_davis(small_case / "gt", small_case / "pred")


def test_frame_size_mismatch(small_case):
    write_sequence(small_case / "pred", "s", [np.zeros((SHAPE[0], SHAPE[1] + 1), np.uint8)], frames=["00001"])
    with pytest.raises(XMemError, match=r"pred/s/00001\.png: mask is 33x24 \(WxH\) but 32x24"):
        evaluate_davis(small_case / "gt", small_case / "pred")


def test_rgb_mask_rejected(small_case):
    Image.new("RGB", (SHAPE[1], SHAPE[0])).save(small_case / "pred" / "s" / "00002.png")
    with pytest.raises(XMemError, match=r"pred/s/00002\.png: mask has image mode 'RGB'"):
        evaluate_davis(small_case / "gt", small_case / "pred")


def test_corrupt_png(small_case):
    (small_case / "pred" / "s" / "00001.png").write_bytes(b"\x89PNG\r\n\x1a\n not really a png")
    with pytest.raises(XMemError, match=r"pred/s/00001\.png: cannot read mask image"):
        evaluate_davis(small_case / "gt", small_case / "pred", processes=2)


def test_unknown_predicted_id(small_case):
    write_sequence(small_case / "pred", "s", [square(SHAPE, 10, 10, 3, 2)], frames=["00001"])
    with pytest.raises(XMemError, match=r"00001\.png: predicted object id 2 is not an object"):
        evaluate_davis(small_case / "gt", small_case / "pred")


def test_too_few_frames_and_missing_roots(tmp_path):
    write_sequence(tmp_path / "gt", "s", [square(SHAPE, 2, 2, 6)] * 2)
    write_sequence(tmp_path / "pred", "s", [square(SHAPE, 2, 2, 6)] * 2)
    with pytest.raises(XMemError, match="at least 3 are needed"):
        evaluate_davis(tmp_path / "gt", tmp_path / "pred")
    with pytest.raises(XMemError, match="--pred .*nowhere: directory not found"):
        evaluate_davis(tmp_path / "gt", tmp_path / "nowhere")
    with pytest.raises(XMemError, match="--gt .*nowhere: directory not found"):
        evaluate_davis(tmp_path / "nowhere", tmp_path / "pred")


def test_sequence_selection(small_case):
    write_sequence(small_case / "gt", "t", [square(SHAPE, 1, 1, 4)] * 3)
    assert evaluate_davis(small_case / "gt", small_case / "pred", "s").per_sequence["Sequence"].tolist() == ["s_1"]
    (small_case / "list.txt").write_text("# selected\ns\n\n")
    assert evaluate_davis(small_case / "gt", small_case / "pred", small_case / "list.txt").per_sequence["Sequence"].tolist() == ["s_1"]
    with pytest.raises(XMemError, match=r"--sequences .*absent\.txt: cannot read"):
        evaluate_davis(small_case / "gt", small_case / "pred", small_case / "absent.txt")


@pytest.mark.parametrize("bits", [1, 2, 4, 8])
def test_masks_of_any_palette_bit_depth_read_exactly(tmp_path, bits):
    from xmem.evaluation.inputs import read_mask

    values = np.random.default_rng(bits).integers(0, 2**min(bits, 3), size=(13, 21)).astype(np.uint8)
    image = Image.fromarray(values, mode="P")
    image.putpalette(list(range(256)) * 3)
    image.save(tmp_path / "m.png", bits=bits)
    np.testing.assert_array_equal(read_mask(tmp_path / "m.png"), values)
