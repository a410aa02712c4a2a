"""Per-object mean / recall / decay on hand-computed sequences."""

from __future__ import annotations

import math

import numpy as np
import pytest

from xmem.evaluation.statistics import decay, decay_bin_edges, object_statistics


def test_bin_edges_short_sequence():
    # linspace(1, 8, 5) = [1, 2.75, 4.5, 6.25, 8] -> round half up -> [1, 3, 5, 6, 8] -> minus 1
    assert decay_bin_edges(8).tolist() == [0, 2, 4, 5, 7]
    assert decay_bin_edges(1).tolist() == [0, 0, 0, 0, 0]


def test_mean_recall_decay_hand_computed():
    values = np.arange(8) / 10  # bins share edges: first = v[0:3], last = v[5:8]
    stats = object_statistics(values)
    assert stats.mean == pytest.approx(0.35)
    assert stats.recall == pytest.approx(2 / 8)  # 0.6, 0.7 (0.5 itself is not > 0.5)
    assert stats.decay == pytest.approx(0.1 - 0.6)


def test_recall_is_strictly_above_half():
    assert object_statistics(np.array([0.2, 0.6, 0.5, 0.9])).recall == 0.5


def test_empty_sequence_is_nan():
    stats = object_statistics(np.array([]))
    assert all(math.isnan(v) for v in stats)


def test_decay_beyond_256_frames_is_not_wrapped():
    n = 300
    assert decay_bin_edges(n).tolist() == [0, 75, 150, 224, 299]
    # the official tool's uint8 edges wrap 299 -> 43, leaving the last bin empty
    assert decay_bin_edges(n, official_uint8=True).tolist() == [0, 75, 150, 224, 43]
    values = (np.arange(n) < 150).astype(float)  # 1 for the first half, 0 after
    assert decay(values) == 1.0
    assert math.isnan(decay(values, official_uint8=True))


def test_decay_at_257_frames():
    values = np.linspace(1.0, 0.0, 257)
    edges = decay_bin_edges(257)
    assert edges.tolist() == [0, 64, 128, 192, 256]
    assert decay(values) == pytest.approx(values[0:65].mean() - values[192:257].mean())
    assert decay_bin_edges(257, official_uint8=True).tolist() == [0, 64, 128, 192, 0]
