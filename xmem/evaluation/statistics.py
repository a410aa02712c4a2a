"""Per-object statistics over a sequence of per-frame scores: mean, recall and decay.

As in davis2017-evaluation (``db_statistics``), for per-frame values ``v[0..n-1]`` of one
object (J or F, evaluated frames only):

* mean   = nanmean(v)
* recall = nanmean(v > 0.5)
* decay  = nanmean(first quarter) - nanmean(last quarter), where the quarters come from
  ``e = round(linspace(1, n, 5) + 1e-10) - 1`` and bin ``i`` is ``v[e[i] : e[i+1] + 1]``
  (neighbouring bins share their edge frame).

The official code stores the bin edges ``e`` as uint8, so for n > 256 they wrap around
modulo 256 and the decay is wrong (often NaN from an empty last bin). Here the edges are
integers that do not overflow; ``official_uint8=True`` reproduces the wrap-around.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

RECALL_THRESHOLD = 0.5
DECAY_BINS = 4


class ObjectStatistics(NamedTuple):
    """Mean, recall and decay of one object's per-frame scores."""

    mean: float
    recall: float
    decay: float


def decay_bin_edges(n_frames: int, n_bins: int = DECAY_BINS, *, official_uint8: bool = False) -> np.ndarray:
    """Edges ``[n_bins + 1]`` of the decay bins over ``n_frames`` evaluated frames.

    With ``official_uint8`` the edges are cast to uint8 like the official tool (wrapping
    modulo 256 for sequences with more than 256 evaluated frames).
    """
    positions = np.linspace(1, n_frames, n_bins + 1)  # 1-based frame positions of the edges
    edges = np.floor(positions + (0.5 + 1e-10)).astype(np.int64) - 1  # halves round up
    return np.mod(edges, 256) if official_uint8 else edges


def _nanmean(values: np.ndarray) -> float:
    """Mean over the non-NaN entries; NaN when there are none (no warning)."""
    present = values[~np.isnan(values)]
    return float(present.mean()) if present.size else float("nan")


def decay(values: np.ndarray, n_bins: int = DECAY_BINS, *, official_uint8: bool = False) -> float:
    """Performance decay of per-frame scores ``[n]``: mean of the first bin minus mean of the last."""
    values = np.asarray(values, dtype=np.float64)
    edges = decay_bin_edges(len(values), n_bins, official_uint8=official_uint8)
    first = values[edges[0] : edges[1] + 1]
    last = values[edges[n_bins - 1] : edges[n_bins] + 1]
    return _nanmean(first) - _nanmean(last)


def object_statistics(values: np.ndarray, *, official_uint8: bool = False) -> ObjectStatistics:
    """Mean, recall (fraction of frames scoring > 0.5) and decay of per-frame scores ``[n]``.

    An empty input gives NaN for all three.
    """
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        nan = float("nan")
        return ObjectStatistics(nan, nan, nan)
    return ObjectStatistics(
        mean=_nanmean(values),
        recall=_nanmean((values > RECALL_THRESHOLD).astype(np.float64)),
        decay=decay(values, official_uint8=official_uint8),
    )
