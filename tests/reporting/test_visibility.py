"""Tests for scores split by the object's visibility (xmem.reporting.visibility) and its use in
the claims' "why" sentence (claim_why, claim_evidence.run_visibility)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from xmem.evaluation.results import PER_FRAME_CSV
from xmem.experiments.paths import Run
from xmem.reporting.claim_evidence import run_visibility
from xmem.reporting.claim_model import NOT_SUPPORTED, Evidence, Noise
from xmem.reporting.claims import check_claims
from xmem.reporting.run_results import RunResults
from xmem.reporting.visibility import VisibilitySplit, mean_split, object_visible, split_by_visibility

M = "measured (synthetic)"


def write_mask(path: Path, ids: list[int]) -> None:
    """A 4x4 mask whose first pixels carry ``ids`` (0 elsewhere)."""
    mask = np.zeros((4, 4), np.uint8)
    mask.flat[: len(ids)] = ids
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(mask, mode="L").save(path)


def per_frame(rows: list[tuple[str, int, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["sequence", "object", "frame", "J"]).assign(F=0.0)


def test_split_separates_visible_and_absent_pairs() -> None:
    frames = per_frame([("v", 1, "00000", 0.8), ("v", 1, "00010", 1.0), ("v", 2, "00000", 0.4), ("v", 2, "00010", 0.0)])
    split = split_by_visibility(frames, pd.Series([True, False, True, False]))
    # visible: (0.8 + 0.4) / 2; absent: 1 of 2 predicted empty
    assert (split.visible_j, split.visible_pairs, split.absent_j, split.absent_pairs) == (pytest.approx(60.0), 2, 50.0, 2)
    assert split.describe() == "J 60.0 on 2 visible object-frames, 50 % of 2 absent ones predicted empty"


def test_split_without_absent_pairs_has_nan_absent_mean() -> None:
    split = split_by_visibility(per_frame([("v", 1, "00000", 0.5)]), pd.Series([True]))
    assert split.visible_j == 50.0 and split.absent_pairs == 0 and math.isnan(split.absent_j)


def test_visibility_reads_object_ids_from_the_ground_truth(tmp_path: Path) -> None:
    write_mask(tmp_path / "v" / "00000.png", [1, 2])
    write_mask(tmp_path / "v" / "00010.png", [2])
    frames = per_frame([("v", 1, "00000", 0.0), ("v", 2, "00000", 0.0), ("v", 1, "00010", 0.0), ("v", 2, "00010", 0.0)])
    assert object_visible(frames, tmp_path).tolist() == [True, True, False, True]


def test_mean_split_averages_runs_and_keeps_the_first_runs_counts() -> None:
    assert mean_split([VisibilitySplit(10.0, 5, 20.0, 3), VisibilitySplit(30.0, 5, 60.0, 3)]) == \
        VisibilitySplit(20.0, 5, 40.0, 3)
    assert mean_split([]) is None


def test_run_visibility_reads_the_runs_per_frame_scores(tmp_path: Path) -> None:
    gt = tmp_path / "gt"
    write_mask(gt / "v" / "00000.png", [1])
    write_mask(gt / "v" / "00010.png", [])
    run = Run("xmem", "LV1")
    scores = tmp_path / "results" / run.path / "scores"
    scores.mkdir(parents=True)
    per_frame([("v", 1, "00000", 0.25), ("v", 1, "00010", 0.0)]).to_csv(scores / PER_FRAME_CSV, index=False)
    assert run_visibility(RunResults(tmp_path / "results"), run, gt) == VisibilitySplit(25.0, 1, 0.0, 1)
    assert run_visibility(RunResults(tmp_path / "results"), Run("stcn", "LV1"), gt) is None


def test_why_splits_a_long_video_shortfall_by_visibility() -> None:
    tables = {"table1_long_time_video": pd.DataFrame([
        {"source": M, "method": "XMem", "setting": "", "LV1 J&F": 20.0},
        {"source": M, "method": "STCN", "setting": "", "LV1 J&F": 31.0}])}
    splits = {"XMem": VisibilitySplit(14.0, 262, 24.0, 122), "STCN": VisibilitySplit(15.9, 262, 60.0, 122)}
    evidence = Evidence(visibility=lambda ref: splits.get(ref.method) if ref.dataset == "LV1" else None)
    result = {r.number: r for r in check_claims(tables, noise=Noise(1.3, "sd"), evidence=evidence)}[1]
    assert result.verdict == NOT_SUPPORTED
    assert result.why == ("largest shortfall: XMem LV1 J&F 20.0 vs STCN LV1 J&F 31.0 (-11.0, beyond the spread 1.3 "
                          "(sd)); on LV1 XMem: J 14.0 on "
                          "262 visible object-frames, 24 % of 122 absent ones predicted empty; STCN: J 15.9 on 262 "
                          "visible object-frames, 60 % of 122 absent ones predicted empty")
