"""Units of generation work and their seeding.

A :class:`Job` is one video (or one batch of static images). Its random stream is seeded
from ``(seed, dataset, split, index)`` only, so a video's bytes do not depend on which other
videos are generated, in which order, or in how many processes. Video-level events are
planned per split (:func:`plan_features`) from a split-level stream, so their counts are
exact rather than left to chance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from xmem.data.synth.categories import Category, stable_key
from xmem.data.synth.config import ScenarioConfig, SynthConfig
from xmem.data.synth.scene import VideoFeatures


@dataclass(frozen=True)
class Context:
    """Everything a worker needs besides the job (picklable)."""

    root: Path  # the temporary output root
    config: SynthConfig
    seed: int
    seen: tuple[Category, ...]
    unseen: tuple[Category, ...]

    def min_pixels(self, height: int, width: int) -> int:
        return max(4, math.ceil(self.config.min_visible_fraction * height * width))


@dataclass(frozen=True)
class Job:
    dataset: str
    split: str
    index: int
    features: VideoFeatures = VideoFeatures()


def seed_sequence(seed: int, dataset: str, split: str, index: int | None = None) -> np.random.SeedSequence:
    key = [seed, stable_key(dataset), stable_key(split)]
    if index is not None:
        key.append(index)
    return np.random.SeedSequence(key)


def job_rng(seed: int, job: Job) -> np.random.Generator:
    """The job's own random stream (PCG64)."""
    return np.random.Generator(np.random.PCG64(seed_sequence(seed, job.dataset, job.split, job.index)))


def noise_key(seed: int, job: Job) -> tuple[int, ...]:
    """Entropy for per-frame noise streams, distinct from the scene stream."""
    return (seed, stable_key(job.dataset), stable_key(job.split), job.index, stable_key("noise"))


def _pick(rng: np.random.Generator, candidates: list[int], p: float) -> set[int]:
    n = len(candidates)
    if n == 0 or p <= 0:
        return set()
    k = min(n, max(1, round(p * n)))
    return {candidates[i] for i in rng.permutation(n)[:k].tolist()}


def plan_features(seed: int, dataset: str, split: str, n: int, scenario: ScenarioConfig,
                  unseen_fraction: float = 0.0, exclude: frozenset[int] = frozenset()) -> list[VideoFeatures]:
    """Stratified video-level events for the ``n`` videos of a split.

    A feature with probability ``p > 0`` is given to exactly ``max(1, round(p * m))`` of the
    ``m`` eligible videos. Videos in ``exclude`` (single-object videos) are not eligible for a
    twin or a late entry.
    """
    rng = np.random.Generator(np.random.PCG64(seed_sequence(seed, dataset, f"{split}/plan")))
    everyone = list(range(n))
    multi = [i for i in everyone if i not in exclude]
    chosen = {
        "twin": _pick(rng, multi, scenario.twin_prob),
        "distractor": _pick(rng, everyone, scenario.distractor_prob),
        "occluder": _pick(rng, everyone, scenario.occluder_prob),
        "absence": _pick(rng, everyone, scenario.absence_prob),
        "late_entry": _pick(rng, multi, scenario.late_entry_prob),
        "fast_motion": _pick(rng, everyone, scenario.fast_motion_prob),
        "unseen": _pick(rng, everyone, unseen_fraction),
    }
    return [VideoFeatures(**{name: i in idx for name, idx in chosen.items()}) for i in range(n)]


def video_length(rng: np.random.Generator, frames: tuple[int, int]) -> int:
    return int(rng.integers(frames[0], frames[1] + 1))


def object_counts(labels: np.ndarray) -> np.ndarray:
    """Pixel count per id of an ``uint8 [H, W]`` label map -> ``int64 [256]``."""
    return np.bincount(labels.ravel(), minlength=256)
