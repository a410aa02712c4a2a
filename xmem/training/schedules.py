"""Schedules of a training stage as pure functions of the iteration.

Every schedule is given in fractions of the stage's ``iterations`` (the main part, without the
fine-tuning tail); a fraction f becomes the iteration ``round(f * iterations)``. With the
official main stage (100K iterations + 10K fine-tuning) the fractions give the official
numbers: curriculum switches at 10K / 30K / 90K, bootstrapping from 20K to 70K, lr decay at 80K.
"""

from __future__ import annotations

import bisect

from xmem.training.config import BootstrapConfig, CurriculumConfig, StageConfig


def milestone(fraction: float, iterations: int) -> int:
    """The iteration at ``fraction`` of ``iterations``."""
    return round(fraction * iterations)


def max_skip_at(iteration: int, iterations: int, curriculum: CurriculumConfig) -> int:
    """Curriculum sampling: maximum frame skip used for the samples of ``iteration``.

    ``max_skip[k]`` applies from iteration ``milestone(at[k-1])`` on (``max_skip[0]`` before the
    first milestone). Official main stage: 5, then 10 from 10%, 15 from 30%, 5 from 90%.
    """
    switches = [milestone(f, iterations) for f in curriculum.at]
    return curriculum.max_skip[bisect.bisect_right(switches, iteration)]


def keep_fraction_at(iteration: int, iterations: int, bootstrap: BootstrapConfig) -> float:
    """Fraction of the hardest pixels kept by the bootstrapped cross-entropy at ``iteration``.

    1 (plain CE) before ``start``; then top_p + (1 - top_p) * (end - it) / (end - start), which
    falls linearly from 1 at ``start`` to ``top_p`` at ``end``; ``top_p`` after ``end``
    (the official formula, with start/end as iterations).
    """
    start = milestone(bootstrap.start, iterations)
    end = milestone(bootstrap.end, iterations)
    if iteration < start:
        return 1.0
    if iteration > end or end == start:
        return bootstrap.top_p
    # the official order of operations: (1 - top_p) * ((end - it) / (end - start)), bit for bit
    return bootstrap.top_p + (1.0 - bootstrap.top_p) * ((end - iteration) / (end - start))


def lr_milestones(stage: StageConfig) -> list[int]:
    """Iterations at which the learning rate is multiplied by ``lr_gamma`` (MultiStepLR milestones)."""
    return [milestone(f, stage.iterations) for f in stage.lr_decay_at]


def lr_at(iteration: int, stage: StageConfig) -> float:
    """Learning rate used by the optimizer step of ``iteration`` (0-based): the lr times
    ``lr_gamma`` for every milestone <= iteration (what a MultiStepLR stepped once per
    iteration gives)."""
    passed = bisect.bisect_right(lr_milestones(stage), iteration)
    return stage.lr * stage.lr_gamma**passed


def is_finetuning(iteration: int, stage: StageConfig) -> bool:
    """True in the fine-tuning tail (iteration >= iterations): no per-frame affine augmentation."""
    return iteration >= stage.iterations
