"""Memory / FPS analysis of inference logs on synthetic logs with known answers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from xmem.errors import XMemError
from xmem.evaluation.memory_analysis import (
    fit_process_time,
    fps_curve,
    max_memory,
    mean_fps,
    memory_increase_per_frame,
)
from xmem.inference.stats import FRAME_COLUMNS, read_frame_stats


def make_log(video: str, n: int, *, memory=None, cuda=None, peak=None, seconds=None) -> pd.DataFrame:
    idx = np.arange(n)
    nan = np.full(n, np.nan)
    return pd.DataFrame(
        {
            "video": video,
            "frame_index": idx,
            "frame": [f"{i:05d}" for i in idx],
            "process_seconds": np.full(n, 0.1) if seconds is None else seconds,
            "is_memory_frame": idx % 5 == 0,
            "memory_bytes": nan if memory is None else memory,
            "work_elements": idx,
            "long_elements": 0,
            "consolidations": 0,
            "evicted_elements": 0,
            "rss_bytes": 1000 + idx,
            "cuda_allocated_bytes": nan if cuda is None else cuda,
            "cuda_peak_bytes": nan if peak is None else peak,
        },
        columns=FRAME_COLUMNS,
    )


@pytest.fixture()
def log():
    idx = np.arange(250, dtype=float)
    return pd.concat(
        [
            make_log("cpu", 250, memory=1000 + 10 * idx),
            make_log("gpu", 250, memory=1000 + 10 * idx, cuda=5 * idx, peak=7 * idx),
            make_log("short", 150, memory=3 * np.arange(150.0)),
        ],
        ignore_index=True,
    )


def test_memory_increase_per_frame(log):
    table = memory_increase_per_frame(log).set_index("video")
    assert table.loc["cpu", "source"] == "memory_bytes"
    assert table.loc["cpu", "bytes_per_frame"] == 10.0  # (3000 - 2000) / 100
    assert table.loc["gpu", "source"] == "cuda_allocated_bytes"
    assert table.loc["gpu", "bytes_per_frame"] == 5.0
    assert math.isnan(table.loc["short", "bytes_per_frame"])  # no frame 200


def test_fps_curve_and_smoothing():
    seconds = np.array([0.1, 0.3, 0.1, 0.5])
    curve = fps_curve(make_log("v", 4, seconds=seconds), window=2)
    np.testing.assert_allclose(curve["fps"], [10, 1 / 0.3, 10, 2])
    # frames in the trailing window / their total time
    np.testing.assert_allclose(curve["fps_smoothed"], [10, 2 / 0.4, 2 / 0.4, 2 / 0.6])
    assert curve["frame_index"].tolist() == [0, 1, 2, 3]


def test_max_memory(log):
    table = max_memory(log).set_index("video")
    assert table.loc["gpu", "source"] == "cuda_peak_bytes"
    assert table.loc["gpu", "max_bytes"] == 7 * 249
    assert table.loc["cpu", "source"] == "memory_bytes"
    assert table.loc["cpu", "max_bytes"] == 1000 + 10 * 249
    assert table.loc["cpu", "max_rss_bytes"] == 1000 + 249


def test_mean_fps():
    log = pd.concat([make_log("a", 10, seconds=np.full(10, 0.1)), make_log("b", 10, seconds=np.full(10, 0.4))])
    table = mean_fps(log).set_index("video")
    assert table.loc["a", "fps"] == pytest.approx(10.0)
    assert table.loc["b", "fps"] == pytest.approx(2.5)
    assert mean_fps(log, by_video=False) == pytest.approx(20 / 5.0)


def test_fit_process_time():
    seconds = 0.01 + 0.001 * np.arange(50)
    fit = fit_process_time(make_log("v", 50, seconds=seconds)).iloc[0]
    assert fit["slope"] == pytest.approx(0.001)
    assert fit["intercept"] == pytest.approx(0.01)


def test_read_frame_stats_checks_columns(tmp_path, log):
    log.to_csv(tmp_path / "ok.csv", index=False)
    read = read_frame_stats(tmp_path / "ok.csv")
    assert read["frame"].iloc[1] == "00001"
    log.drop(columns=["rss_bytes"]).to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(XMemError, match=r"bad\.csv: missing column\(s\) rss_bytes"):
        read_frame_stats(tmp_path / "bad.csv")
    with pytest.raises(XMemError, match="inference log not found"):
        read_frame_stats(tmp_path / "absent.csv")
