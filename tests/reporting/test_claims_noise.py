"""Tests for the honest verdicts of the claims check: noise, mechanisms that did not act, the
equal-budget reference row and the "why" sentence (xmem.reporting.claims, claim_evidence)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from xmem.experiments.paths import Run
from xmem.experiments.plan import ABLATION_REFERENCE
from xmem.experiments.plan import build_tables
from xmem.reporting.claim_evidence import FPS_NOISE_CELL, claim_noise, fps_spread, video_scores, window_consolidations
from xmem.reporting.claim_model import (
    NOT_SUPPORTED, NOT_TESTABLE, SUPPORTED, WITHIN_NOISE, Comparison, Evidence, FpsSpread, Mechanism, Noise,
    consolidations_key, eviction_key, memory_frames_key, verdict,
)
from xmem.reporting.claims import check_claims
from xmem.reporting.run_results import RunResults

M = "measured (synthetic)"
NOISE = Noise(1.3, "recipe sd")


def frame(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame(list(rows))


def by_number(results) -> dict:
    return {x.number: x for x in results}


def table1(xmem_lv1: float, stcn_lv1: float, std: float | None = None) -> dict[str, pd.DataFrame]:
    extra = {} if std is None else {"LV1 J&F std": std}
    return {"table1_long_time_video": frame(
        {"source": M, "method": "XMem", "setting": "", "LV1 J&F": xmem_lv1, **extra},
        {"source": M, "method": "STCN", "setting": "", "LV1 J&F": stcn_lv1, **extra})}


# --------------------------------------------------------------------------- noise
def test_a_difference_inside_the_recipe_spread_is_within_noise() -> None:
    tables = table1(60.0, 59.0)
    assert by_number(check_claims(tables))[1].verdict == SUPPORTED  # no spread: an exact win
    result = by_number(check_claims(tables, noise=NOISE))[1]
    assert result.verdict == WITHIN_NOISE
    assert "XMem LV1 J&F 60.0 > STCN LV1 J&F 59.0: within noise (difference +1.0, spread 1.3 recipe sd)" \
        in result.evidence
    assert result.why == "XMem LV1 J&F minus STCN LV1 J&F is +1.0, inside the spread 1.3 (recipe sd)"


def test_a_loss_beyond_the_spread_is_not_supported_and_the_std_over_offsets_counts() -> None:
    assert by_number(check_claims(table1(55.0, 59.0), noise=NOISE))[1].verdict == NOT_SUPPORTED  # -4 < -1.3
    # std over offsets 5.0 is the larger spread: -4 is within it
    assert by_number(check_claims(table1(55.0, 59.0, std=5.0), noise=NOISE))[1].verdict == WITHIN_NOISE
    assert by_number(check_claims(table1(62.0, 59.0), noise=NOISE))[1].verdict == SUPPORTED  # +3 > 1.3


def test_the_recipe_spread_is_not_applied_between_settings_of_the_same_weights() -> None:
    t6 = {"table6_consolidation": frame(
        {"source": M, "method": "XMem", "setting": "With potentiation", "LV3 J&F": 51.0},
        {"source": M, "method": "XMem", "setting": "No potentiation", "LV3 J&F": 50.5})}
    assert by_number(check_claims(t6, noise=NOISE))[8].verdict == SUPPORTED  # spread 0: 51.0 > 50.5


def test_single_offset_settings_of_one_model_borrow_its_table1_offset_std() -> None:
    t6 = {"table6_consolidation": frame(
        {"source": M, "method": "XMem", "setting": "With potentiation", "LV3 J&F": 22.9},
        {"source": M, "method": "XMem", "setting": "No potentiation", "LV3 J&F": 22.9})}
    assert by_number(check_claims(t6))[8].verdict == NOT_SUPPORTED  # no spread anywhere: 22.9 > 22.9 fails
    t6["table1_long_time_video"] = frame(
        {"source": M, "method": "XMem", "setting": "", "LV3 J&F": 22.7, "LV3 J&F std": 0.3},
        {"source": M, "method": "STCN", "setting": "", "LV3 J&F": 18.4, "LV3 J&F std": 1.7})
    result = by_number(check_claims(t6))[8]
    assert result.verdict == WITHIN_NOISE  # XMem's own 0.3, not STCN's 1.7
    assert "within noise (difference +0.0, spread 0.3 std over offsets of XMem on LV3 in Table 1)" \
        in result.evidence
    t6["table6_consolidation"].loc[1, "LV3 J&F"] = 23.5  # -0.6: beyond XMem's 0.3
    assert by_number(check_claims(t6))[8].verdict == NOT_SUPPORTED


def test_verdict_order_fail_beats_noise_beats_support() -> None:
    ok = Comparison("a", 5.0, "b", 1.0, spread=1.0)
    noisy = Comparison("a", 1.5, "b", 1.0, spread=1.0)
    bad = Comparison("a", 0.0, "b", 2.0, spread=1.0)
    assert verdict([ok])[0] == SUPPORTED
    assert verdict([ok, noisy])[0] == WITHIN_NOISE
    assert verdict([ok, noisy, bad])[0] == NOT_SUPPORTED


# --------------------------------------------------------------------------- mechanisms
def test_claims_whose_mechanism_did_not_act_are_not_testable_with_the_count() -> None:
    tables = {
        "table6_consolidation": frame(
            {"source": M, "method": "XMem", "setting": "With potentiation", "LV3 J&F": 40.0},
            {"source": M, "method": "XMem", "setting": "No potentiation", "LV3 J&F": 45.0}),
        "tableS1_ltmax": frame(*[{"source": M, "method": "XMem", "setting": f"LTmax={n}", "LV3 FPS": fps}
                                 for n, fps in ((500, 20.0), (10000, 21.0))]),
    }
    evidence = Evidence({consolidations_key("LV3"): 0, eviction_key(500): 0})
    results = by_number(check_claims(tables, evidence=evidence))
    assert results[8].verdict == NOT_TESTABLE
    assert results[8].evidence == ("XMem With potentiation LV3 J&F 40.0 > XMem No potentiation LV3 J&F 45.0: "
                                   "not testable (XMem consolidations per LV3 video: 0)")
    assert results[8].why == "the mechanism under test did not act in these runs (XMem consolidations per LV3 video: 0)"
    assert results[11].verdict == NOT_TESTABLE
    assert "elements evicted per LV3 video at LTmax=500: 0" in results[11].why
    acted = by_number(check_claims(tables, evidence=Evidence({consolidations_key("LV3"): 3, eviction_key(500): 112})))
    assert acted[8].verdict == NOT_SUPPORTED and acted[11].verdict == NOT_SUPPORTED


def test_strategies_limited_to_50_frames_need_more_than_50_memory_frames() -> None:
    t7 = {"table7_long_video_strategies": frame(
        *[{"source": M, "method": "XMem", "setting": s, "LV1 J&F": v, "LV3 J&F": v}
          for s, v in (("Consolidation", 60.0), ("Eager compression", 50.0), ("Sparse insertion", 70.0),
                       ("Local window", 70.0))])}
    counts = {consolidations_key("LV1"): 4, consolidations_key("LV3"): 14,
              memory_frames_key("LV1"): 10, memory_frames_key("LV3"): 30}
    result = by_number(check_claims(t7, evidence=Evidence(counts)))[9]
    assert result.verdict == SUPPORTED  # only the eager-compression comparisons can be judged
    assert "not testable (XMem memory frames per LV3 video: 30)" in result.evidence
    counts[memory_frames_key("LV3")] = 51
    assert by_number(check_claims(t7, evidence=Evidence(counts)))[9].verdict == NOT_SUPPORTED  # 60 < 70 on LV3


def test_unknown_counts_keep_the_comparison() -> None:
    assert Mechanism("x", None).acted and not Mechanism("x", 0).acted and Mechanism("x", 2, needed=2).acted


# --------------------------------------------------------------------------- reference row and why
def test_ablation_claims_use_the_equal_budget_reference_row() -> None:
    t4 = {"table4_memory_stores": frame(
        {"source": M, "method": "XMem", "setting": "All memory stores", "D17 J&F": 70.0},
        {"source": M, "method": ABLATION_REFERENCE, "setting": "All memory stores", "D17 J&F": 40.0},
        {"source": M, "method": "XMem", "setting": "No sensory memory", "D17 J&F": 45.0})}
    result = by_number(check_claims(t4))[5]
    assert result.verdict == NOT_SUPPORTED  # 40 (same budget) < 45, although the main XMem has 70
    assert f"{ABLATION_REFERENCE} All memory stores D17 J&F 40.0 > XMem No sensory memory D17 J&F 45.0: no" \
        in result.evidence


def test_why_names_the_video_with_the_largest_gap() -> None:
    scores = {("XMem", "LV1"): {"v1": 80.0, "v2": 20.0, "v3": 50.0}, ("STCN", "LV1"): {"v1": 70.0, "v2": 60.0, "v3": 55.0}}
    evidence = Evidence(per_video=lambda ref: scores.get((ref.method, ref.dataset)))
    result = by_number(check_claims(table1(50.0, 61.7), noise=NOISE, evidence=evidence))[1]
    assert result.verdict == NOT_SUPPORTED
    assert result.why == ("largest shortfall: XMem LV1 J&F 50.0 vs STCN LV1 J&F 61.7 (-11.7, beyond the spread 1.3 "
                          "(recipe sd)); per video on LV1, "
                          "XMem is below STCN on 2 of 3 videos; largest gap v2: 20.0 vs 60.0")


# --------------------------------------------------------------------------- evidence from run files
def test_window_consolidations_count_inside_frames_100_to_200() -> None:
    index = np.arange(260)
    stats = pd.DataFrame({"video": "a", "frame_index": index, "consolidations": index // 30})
    assert window_consolidations(stats) == 6 - 3  # 200 // 30 - 100 // 30
    short = pd.DataFrame({"video": "b", "frame_index": np.arange(50), "consolidations": np.arange(50) // 10})
    assert window_consolidations(short) == 4  # frames 0 -> 49: 4 - 0
    assert window_consolidations(stats.drop(columns="consolidations")) is None


def test_video_scores_average_objects_in_percent(tmp_path: Path) -> None:
    run = Run("xmem", "LV1")
    folder = tmp_path / run.path / "scores"
    folder.mkdir(parents=True)
    pd.DataFrame({"Sequence": ["bird-long0_1", "bird-long0_2", "ring_x-long1_1"], "J-Mean": [0.5, 0.7, 0.2],
                  "F-Mean": [0.7, 0.9, 0.4]}).to_csv(folder / "per-sequence_results.csv", index=False)
    assert video_scores(RunResults(tmp_path), run) == pytest.approx({"bird-long0": 70.0, "ring_x-long1": 30.0})
    assert video_scores(RunResults(tmp_path), Run("stcn", "LV1")) is None


def test_noise_comes_from_the_profile() -> None:
    assert claim_noise({"profile": "synthetic", "claims": {"recipe_seed_sd": 1.3}}).recipe_seed_sd == 1.3
    assert claim_noise({"profile": "smoke", "claims": {"recipe_seed_sd": None}}).recipe_seed_sd is None
    assert claim_noise({"profile": "paper"}).recipe_seed_sd is None


# --------------------------------------------------------------------------- speed noise
def ltmax_fps_tables(small: float, large: float) -> dict[str, pd.DataFrame]:
    return {"tableS1_ltmax": frame(*[{"source": M, "method": "XMem", "setting": f"LTmax={n}", "LV3 FPS": fps}
                                     for n, fps in ((56, small), (2222, large))])}


def test_a_speed_difference_inside_the_fps_spread_is_within_noise() -> None:
    spread = FpsSpread(1.5, 3, "XMem's LV3 FPS in Table 1")
    close = by_number(check_claims(ltmax_fps_tables(39.0, 40.0), evidence=Evidence(fps_spread=spread)))[11]
    assert close.verdict == WITHIN_NOISE
    assert close.evidence == ("LTmax=56 LV3 FPS 39.0 > LTmax=2222 LV3 FPS 40.0: within noise (difference -1.0, "
                              "spread 1.5 std of XMem's LV3 FPS in Table 1 over 3 offsets)")
    slow = by_number(check_claims(ltmax_fps_tables(39.0, 41.0), evidence=Evidence(fps_spread=spread)))[11]
    assert slow.verdict == NOT_SUPPORTED
    assert slow.why == ("largest shortfall: LTmax=56 LV3 FPS 39.0 vs LTmax=2222 LV3 FPS 41.0 (-2.0, beyond the spread "
                        "1.5 (std of XMem's LV3 FPS in Table 1 over 3 offsets))")
    assert by_number(check_claims(ltmax_fps_tables(42.0, 40.0), evidence=Evidence(fps_spread=spread)))[11].verdict \
        == SUPPORTED
    assert by_number(check_claims(ltmax_fps_tables(39.0, 40.0)))[11].verdict == NOT_SUPPORTED  # no spread: exact


def test_fps_spread_is_the_std_over_the_offsets_of_the_table1_cell(tmp_path: Path) -> None:
    config = yaml.safe_load((Path(__file__).parents[2] / "config" / "config.yaml").read_text())
    tables = build_tables(config)
    results = RunResults(tmp_path)
    cell = [c for r in tables[FPS_NOISE_CELL.table].rows if (r.method, r.setting) == ("XMem", "")
            for c in r.cells if c.dataset == "LV3" and c.kind == "score"][0]
    assert len(cell.runs) == 3
    assert fps_spread(results, tables) is None  # nothing run yet
    for run, seconds in zip(cell.runs, (100.0, 125.0, 80.0)):  # 4,000 frames: 40, 32 and 50 FPS
        path = results.paths(run).summary
        path.parent.mkdir(parents=True)
        pd.DataFrame({"video": ["v"], "frames": [4000], "process_seconds": [seconds]}).to_csv(path, index=False)
    spread = fps_spread(results, tables)
    assert spread.runs == 3 and spread.std == pytest.approx(float(np.std([40.0, 32.0, 50.0], ddof=1)))
