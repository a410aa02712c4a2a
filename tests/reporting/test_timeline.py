"""Tests for the timeline diagnostic (xmem.reporting.fig_timeline) on small synthetic inputs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from PIL import Image

from xmem.experiments.plan import TIMELINE_METHODS, build_figures
from xmem.inference.stats import FRAME_COLUMNS
from xmem.reporting import fig_timeline as T

REPO = Path(__file__).resolve().parents[2]


def test_choose_video_prefers_more_frames_then_the_longest_absence() -> None:
    scores = pd.DataFrame({"sequence": ["a", "a", "b", "b", "c"], "object": 1,
                           "frame": ["00000", "00010", "00000", "00010", "00000"], "J": 1.0})
    absences = {"a": {1: [(2, 3)]}, "b": {1: [(2, 9)], 2: []}}
    assert T.choose_video(scores, absences) == "b"  # a and b have 2 frames; b's absence is longer
    assert T.choose_video(scores, {}) == "a"  # no absences: the name breaks the tie


def test_before_after_splits_at_the_first_absence() -> None:
    j = pd.Series([90.0, 80.0, 100.0, 10.0, 30.0], index=[0, 10, 20, 30, 40])
    assert T.before_after(j, [(15, 25)]) == (85.0, 20.0)  # frames 0, 10 | 30, 40 (20 is inside)
    before, after = T.before_after(j, [])
    assert before == 62.0 and np.isnan(after)


def test_events_are_the_frames_where_a_counter_rises() -> None:
    stats = pd.DataFrame({"frame_index": [0, 1, 2, 3, 4, 5], "consolidations": [0, 0, 1, 1, 2, 2]})
    assert T._events(stats, "consolidations") == [2, 4]
    assert T._events(stats.assign(consolidations=np.nan), "consolidations") == []
    assert T._events(stats.drop(columns="consolidations"), "consolidations") == []


def test_frame_number_reads_index_names() -> None:
    assert T.frame_number("00040") == 40
    assert T.frame_number("00040.png") == 40


def _config(tmp_path: Path) -> dict:
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    config["results"] = str(tmp_path / "results")
    config["data"] = str(tmp_path / "data")
    return config


def _write_tree(config: dict) -> None:
    """One 60-frame LV1 video, object 2 absent in frames 20-35; XMem keeps it, the others lose it."""
    manifest = Path(config["data"]) / "synthetic" / "manifest.json"
    manifest.parent.mkdir(parents=True)
    manifest.write_text(json.dumps({"videos": {"long_video": [
        {"name": "vid", "absences": {"1": [], "2": [[20, 35]]}}]}}))
    frames = list(range(0, 60, 10))
    for label, run in TIMELINE_METHODS:
        folder = Path(config["results"]) / run.path
        (folder / "scores").mkdir(parents=True)
        lost = run.model != "xmem" or run.setting != "default"
        rows = [{"sequence": "vid", "object": obj, "frame": f"{t:05d}",
                 "J": 0.1 if (lost and obj == 2 and t > 35) else 0.9, "F": 0.5}
                for obj in (1, 2) for t in frames]
        pd.DataFrame(rows).to_csv(folder / "scores" / "per-frame_results.csv", index=False)
        pd.DataFrame([{"J&F-Mean": 0.5}]).to_csv(folder / "scores" / "global_results.csv", index=False)
        if run.model == "copy":
            continue
        (folder / "stats").mkdir()
        index = np.arange(60)
        pd.DataFrame({
            "video": "vid", "frame_index": index, "frame": [f"{i:05d}" for i in index], "process_seconds": 0.01,
            "is_memory_frame": index % 10 == 0, "memory_bytes": 100, "work_elements": 10 * (index // 10 + 1),
            "long_elements": 0, "consolidations": index // 25, "evicted_elements": 0, "rss_bytes": 1,
            "cuda_allocated_bytes": np.nan, "cuda_peak_bytes": np.nan,
        })[FRAME_COLUMNS].to_csv(folder / "stats" / "vid.csv", index=False)
        pd.DataFrame({"video": ["vid"], "frames": [60], "process_seconds": [0.6]}).to_csv(
            folder / "stats" / "summary.csv", index=False)


def test_timeline_draws_and_measures_the_return_after_an_absence(tmp_path: Path) -> None:
    config = _config(tmp_path)
    _write_tree(config)
    out = tmp_path / "timeline.png"
    notes = T.draw_timeline(config, out)
    with Image.open(out) as img:
        assert img.size[0] >= 1000
    assert "XMem on vid: 6 memory frames, 2 consolidations (dotted lines), 0 evictions; 60 frames" in notes
    assert "object 2 XMem: J 90.0 before its first absence, 90.0 after its return" in notes
    assert "object 2 STCN (sparse insertion): J 90.0 before its first absence, 10.0 after its return" in notes
    assert not any(line.startswith("object 1") for line in notes)  # object 1 is never absent
    assert "working-memory span T_max x r = 10 x 10 = 100 frames; longest absence in vid: 16 frames" in notes


def test_plan_reads_scores_of_every_method_and_stats_of_the_networks() -> None:
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    needs = build_figures(config)["timeline_lv1"]
    assert {n.run for n in needs if n.kind == "scores"} == {run for _, run in TIMELINE_METHODS}
    assert {n.run.model for n in needs if n.kind == "stats"} == {"xmem", "stcn"}
