"""Deterministic, stateless sampling of training clips.

What a process trains on at iteration ``i`` is a pure function of (seed, stage, i, rank): the
global batch of iteration i is made of the global samples ``g = i * B + j`` (j < B); sample g is
item ``perm_e[g mod n]`` of the dataset (n items), where ``perm_e`` is the permutation of epoch
``e = g // n``, and the sample's augmentations use a random generator seeded from
(seed, stage, i, j). Process r of W takes j in [r*B/W, (r+1)*B/W). Hence resuming at any
iteration, changing the number of data-loading workers, or splitting the batch across
processes draws exactly the same samples (the "sampler state" is just the iteration).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import numpy as np
from torch.utils.data import Sampler

from xmem.errors import XMemError

_PERMUTATION_STREAM = 0x5EED  # separates the epoch-permutation seeds from the sample seeds
_FORWARD_STREAM = 0xF0D


@dataclass(frozen=True)
class SampleKey:
    """What a dataset needs to produce one training sample.

    index: item of the dataset; seed: entropy for ``numpy.random.default_rng``;
    max_skip: curriculum value for this iteration; finetune: fewer augmentations.
    """

    index: int
    seed: tuple[int, ...]
    max_skip: int = 5
    finetune: bool = False


def derive_seed(*parts: int) -> int:
    """A 63-bit integer seed mixed from ``parts`` (numpy SeedSequence)."""
    state = np.random.SeedSequence([int(p) for p in parts]).generate_state(2, dtype=np.uint32)
    return (int(state[0]) << 31) ^ int(state[1])


def epoch_permutation(seed: int, stage_index: int, epoch: int, size: int) -> np.ndarray:
    """The order of the dataset items in ``epoch``."""
    rng = np.random.default_rng([seed, stage_index, epoch, _PERMUTATION_STREAM])
    return rng.permutation(size)


def forward_seed(seed: int, stage_index: int, iteration: int, rank: int) -> int:
    """Seed of the clip forward's generator (memory-frame choice, deep updates) at ``iteration``."""
    return derive_seed(seed, stage_index, iteration, rank, _FORWARD_STREAM)


class ClipBatchSampler(Sampler[list[SampleKey]]):
    """Yields, for iterations ``start .. total-1``, this process's share of the global batch.

    Args:
        dataset_size: number of items of the (mixed) dataset.
        seed, stage_index: identify the stream.
        start, total: iteration range.
        global_batch: B, split evenly across ``world_size`` processes.
        schedule: function iteration -> (max_skip, finetune).
    """

    def __init__(self, dataset_size: int, seed: int, stage_index: int, start: int, total: int, global_batch: int,
                 rank: int = 0, world_size: int = 1, schedule=None):
        if dataset_size < 1:
            raise XMemError("the training dataset is empty; check the dataset folders in the config")
        if global_batch % world_size:
            raise XMemError(f"batch_size {global_batch} is not divisible by the {world_size} processes; "
                            "change batch_size or the number of processes")
        self.dataset_size = dataset_size
        self.seed = seed
        self.stage_index = stage_index
        self.start = start
        self.total = total
        self.global_batch = global_batch
        self.local_batch = global_batch // world_size
        self.rank = rank
        self.schedule = schedule or (lambda iteration: (5, False))
        self._cached_epoch: tuple[int, np.ndarray] | None = None

    def _item(self, global_sample: int) -> int:
        epoch, position = divmod(global_sample, self.dataset_size)
        if self._cached_epoch is None or self._cached_epoch[0] != epoch:
            self._cached_epoch = (epoch, epoch_permutation(self.seed, self.stage_index, epoch, self.dataset_size))
        return int(self._cached_epoch[1][position])

    def keys_for(self, iteration: int) -> list[SampleKey]:
        """This process's sample keys of ``iteration``."""
        max_skip, finetune = self.schedule(iteration)
        first = self.rank * self.local_batch
        keys = []
        for j in range(first, first + self.local_batch):
            g = iteration * self.global_batch + j
            keys.append(SampleKey(self._item(g), (self.seed, self.stage_index, iteration, j), max_skip, finetune))
        return keys

    def __iter__(self) -> Iterator[list[SampleKey]]:
        for iteration in range(self.start, self.total):
            yield self.keys_for(iteration)

    def __len__(self) -> int:
        return max(0, self.total - self.start)
