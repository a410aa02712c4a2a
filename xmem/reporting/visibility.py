"""A run's per-frame J split by whether the object is in the ground-truth frame.

On a long video with absences, J&F mixes two different abilities: segmenting an object that
is there, and predicting nothing for an object that is not. The evaluator (DAVIS convention)
scores an absent object 1 when the prediction is empty too and 0 otherwise, so the mean J over
the absent (frame, object) pairs is the share of them predicted empty. Splitting the two says
where a method wins or loses (the claims' "why" sentence, the timeline's footnotes).

Inputs are the evaluator's ``scores/per-frame_results.csv`` (columns sequence, object, frame,
J, F; J in [0, 1]) and the ground-truth masks ``GT/<sequence>/<frame>.png`` whose pixel values
are object ids.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image


@dataclass(frozen=True)
class VisibilitySplit:
    """Mean J in percent over the scored (frame, object) pairs where the object is visible in
    the ground truth, and over those where it is absent (= percent of them predicted empty);
    the counts are the pairs of one run (NaN mean when a side has none)."""

    visible_j: float
    visible_pairs: int
    absent_j: float
    absent_pairs: int

    def describe(self) -> str:
        """``J 14.0 on 262 visible object-frames, 24 % of 122 absent ones predicted empty``."""
        return (f"J {self.visible_j:.1f} on {self.visible_pairs} visible object-frames, "
                f"{self.absent_j:.0f} % of {self.absent_pairs} absent ones predicted empty")


@functools.lru_cache(maxsize=8192)
def ground_truth_ids(path: Path) -> frozenset[int]:
    """The object ids present in one ground-truth mask (0 = background excluded)."""
    with Image.open(path) as image:
        ids = np.unique(np.asarray(image))
    return frozenset(int(i) for i in ids if i != 0)


def object_visible(per_frame: pd.DataFrame, gt_root: Path) -> pd.Series:
    """Per row of ``per_frame``: is the object in its ground-truth frame ``gt_root/sequence/frame.png``?"""
    root = Path(gt_root)
    return pd.Series([int(obj) in ground_truth_ids(root / str(seq) / f"{frame}.png")
                      for seq, obj, frame in zip(per_frame["sequence"], per_frame["object"], per_frame["frame"])],
                     index=per_frame.index, dtype=bool)


def split_by_visibility(per_frame: pd.DataFrame, visible: pd.Series) -> VisibilitySplit:
    """Mean J (percent) of ``per_frame`` (column ``J`` in [0, 1]) where ``visible`` and where not."""
    j = pd.to_numeric(per_frame["J"], errors="coerce")

    def mean(values: pd.Series) -> float:
        return 100.0 * float(values.mean()) if len(values) else math.nan

    return VisibilitySplit(mean(j[visible]), int(visible.sum()), mean(j[~visible]), int((~visible).sum()))


def mean_split(splits: list[VisibilitySplit]) -> VisibilitySplit | None:
    """The mean of several runs' splits (the runs of one table row, e.g. its memory-insertion
    offsets); counts of the first run (every run scores the same frames). None for no runs."""
    if not splits:
        return None
    return VisibilitySplit(float(np.mean([s.visible_j for s in splits])), splits[0].visible_pairs,
                           float(np.mean([s.absent_j for s in splits])), splits[0].absent_pairs)
