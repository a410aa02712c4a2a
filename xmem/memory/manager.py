"""The memory manager: reads from and writes to working and long-term memory (paper §3.2-3.4).

Tensor layout at this interface (batch size 1, as in inference):
query key / selection [1, CK, h, w]; shrinkage [1, 1, h, w]; values [1, num_objects, CV, h, w];
readout [num_objects, CV, h, w]. Object ids are contiguous 1..num_objects.
"""

from __future__ import annotations

import logging
from typing import Callable

import torch
from torch import Tensor

from xmem.memory.config import MemoryConfig
from xmem.memory.consolidation import Prototypes, consolidate
from xmem.memory.kv_store import KeyValueStore
from xmem.memory.similarity import (
    anisotropic_l2_similarity,
    readout,
    softmax_affinity,
    table_readout,
    topk_softmax,
    usage_from_affinity,
    usage_from_topk,
    value_table,
)

log = logging.getLogger(__name__)

ConsolidationObserver = Callable[[Tensor, Prototypes, int], None]


def _cat(tensors: list[Tensor | None], dim: int) -> Tensor | None:
    present = [t for t in tensors if t is not None]
    if not present:
        return None
    if len(present) != len(tensors):
        raise ValueError("cannot mix stores with and without this term")
    return torch.cat(present, dim)


class _DerivedTensors:
    """Tensors derived from the stores' tensors (concatenations, transposed tables), rebuilt only
    when a source tensor was replaced: a frame that is not a memory frame reads them as they were.

    Valid because the stores never change a tensor in place (every change makes a new tensor,
    :mod:`xmem.memory.kv_store`), so a source that is still the same object still holds the same
    values; holding the sources keeps their ids from being reused while an entry lives.
    """

    def __init__(self):
        self._entries: dict[str, tuple[tuple, object]] = {}

    def get(self, name: str, sources: tuple[Tensor | None, ...], build: Callable[[], object]):
        entry = self._entries.get(name)
        if entry is not None and len(entry[0]) == len(sources) and all(a is b for a, b in zip(entry[0], sources)):
            return entry[1]
        derived = build()
        self._entries[name] = (sources, derived)
        return derived


class MemoryController:
    """Working memory + long-term memory with consolidation and LFU eviction.

    ``consolidation_observer(candidate_key, prototypes, frame_hw)`` is called at every
    consolidation (used to visualise prototypes, Fig. S1).
    """

    def __init__(self, config: MemoryConfig, consolidation_observer: ConsolidationObserver | None = None):
        self.config = config.resolved()
        c = self.config
        self.work = KeyValueStore(track_usage=c.uses_long_term)
        self.long = KeyValueStore(track_usage=c.count_long_term_usage) if c.uses_long_term else None
        self.frame_hw: int | None = None
        self.value_dim: int | None = None
        self.num_objects = 0
        self.num_consolidations = 0
        self.num_evicted = 0
        self.consolidation_observer = consolidation_observer
        self._generator = torch.Generator().manual_seed(c.seed)
        self._warned_fifo = False
        self._derived = _DerivedTensors()

    # ------------------------------------------------------------------ sizes
    @property
    def work_size(self) -> int:
        return self.work.size

    @property
    def long_size(self) -> int:
        return 0 if self.long is None else self.long.size

    @property
    def engaged(self) -> bool:
        return self.value_dim is not None

    def nbytes(self) -> int:
        """Bytes held by the working and long-term stores."""
        return self.work.nbytes() + (0 if self.long is None else self.long.nbytes())

    # ------------------------------------------------------------------ reading
    def read(self, query_key: Tensor, query_selection: Tensor | None) -> Tensor:
        """Memory readout F (eq. 1) for every object, [num_objects, CV, h, w]."""
        if not self.engaged:
            raise RuntimeError("memory is empty: add a memory frame (the prompt) before reading")
        grid_hw = tuple(query_key.shape[-2:])  # (h, w) of the key map
        if not self.config.uses_working_memory:
            return query_key.new_zeros(self.num_objects, self.value_dim, *grid_hw)
        qk = query_key.flatten(start_dim=2)
        qe = None if query_selection is None else query_selection.flatten(start_dim=2)

        long_on = self.long is not None and self.long.engaged
        n_long = self.long.size if long_on else 0
        stores = [self.long, self.work] if long_on else [self.work]
        keys = tuple(s.key for s in stores)
        shrinkages = tuple(s.shrinkage for s in stores)
        similarity = anisotropic_l2_similarity(
            self._derived.get("key", keys, lambda: _cat(list(keys), -1)),
            self._derived.get("shrinkage", shrinkages, lambda: _cat(list(shrinkages), -1)),
            qk,
            qe,
        )  # [1, n_long + n_work, HW]

        outputs = []
        for gi, group in enumerate(self.work.groups):
            n_in_long = self.long.group_size(gi) if long_on and gi < self.long.num_groups else 0
            work_start = similarity.shape[1] - group.size  # the group's keys: its last n_in_long long-term
            if n_in_long and work_start != n_long:          # ones and its last group.size working ones
                group_similarity = torch.cat([similarity[:, n_long - n_in_long : n_long], similarity[:, work_start:]], 1)
            else:  # adjacent (every group that spans the working memory): a view, no copy
                group_similarity = similarity[:, (n_long - n_in_long if n_in_long else work_start) :]
            sources = (self.long.groups[gi].values, group.values) if n_in_long else (group.values,)
            n_mem = group_similarity.shape[1]
            if self.config.top_k is not None and self.config.top_k < n_mem:
                # top-k read from the k non-zeros per query: no dense [N, HW] affinity
                weights, rows = topk_softmax(group_similarity, self.config.top_k)
                usage = usage_from_topk(weights, rows, n_mem)[0] if gi == 0 else None
                table = self._derived.get(f"table{gi}", sources, lambda: value_table(torch.cat(sources, -1)))
                outputs.append(table_readout(weights, rows, table, group.values.shape[0]))
            else:
                affinity = softmax_affinity(group_similarity, self.config.top_k)
                usage = usage_from_affinity(affinity)[0] if gi == 0 else None
                memory_value = self._derived.get(f"value{gi}", sources, lambda: torch.cat(sources, -1))
                outputs.append(readout(affinity, memory_value))
            if usage is not None:  # group 0 spans every key of both stores
                self.work.record_usage(usage[n_long:])
                if long_on:
                    self.long.record_usage(usage[:n_long])
        return torch.cat(outputs, 0).view(-1, self.value_dim, *grid_hw)

    # ------------------------------------------------------------------ writing
    def add(
        self,
        key: Tensor,
        shrinkage: Tensor | None,
        value: Tensor,
        object_ids: list[int],
        selection: Tensor | None = None,
    ) -> None:
        """Memorise a frame: key [1,CK,h,w], value [1,num_objects,CV,h,w] for ids 1..num_objects."""
        num_objects = value.shape[1]
        if list(object_ids) != list(range(1, num_objects + 1)):
            raise ValueError(f"object ids must be 1..{num_objects} matching the value tensor, got {list(object_ids)}")
        if num_objects < self.num_objects:
            raise ValueError(f"objects cannot disappear from memory ({self.num_objects} -> {num_objects})")
        self.frame_hw = key.shape[-2] * key.shape[-1]
        self.value_dim = value.shape[2]
        self.num_objects = num_objects
        c = self.config
        if not c.uses_working_memory:
            return
        self.work.add_frame(
            key.flatten(start_dim=2),
            None if shrinkage is None else shrinkage.flatten(start_dim=2),
            selection.flatten(start_dim=2) if (selection is not None and c.uses_long_term) else None,
            value[0].flatten(start_dim=2),
            [i - 1 for i in object_ids],
        )
        hw = self.frame_hw
        if c.uses_long_term:
            if self.work.size >= c.max_work_frames * hw:
                if self.long.size >= c.max_long_term_elements - c.num_prototypes:
                    self._evict(c.max_long_term_elements - c.num_prototypes)
                self._consolidate()
        elif c.strategy == "local_window" and self.work.size > c.max_memory_frames * hw:
            keep = torch.ones(self.work.size, dtype=torch.bool, device=key.device)
            keep[hw : 2 * hw] = False  # the oldest frame after the (always kept) first one
            self.work.keep_elements(keep)

    # ------------------------------------------------------------------ long-term memory
    def _consolidate(self) -> None:
        c, hw, work = self.config, self.frame_hw, self.work
        total = work.size
        start, end = hw, -(c.min_work_frames - 1) * hw  # keep the first frame and T_min - 1 newest
        stop = total + end
        min_group = c.min_work_frames * hw + hw
        candidates = []
        for group in work.groups:
            if group.size == total or group.size > min_group:
                candidates.append(group.values[:, :, start : group.size + end])
            else:  # a late group that is too short to contribute yet
                candidates.append(None)
        usage = work.normalized_usage()[start:stop] if work.track_usage else None
        candidate_key = work.key[:, :, start:stop]
        prototypes = consolidate(
            candidate_key,
            None if work.shrinkage is None else work.shrinkage[:, :, start:stop],
            None if work.selection is None else work.selection[:, :, start:stop],
            usage,
            candidates,
            num_prototypes=c.num_prototypes,
            selection_method=c.prototype_selection,
            potentiation=c.potentiation,
            generator=self._generator,
            seed=c.seed + self.num_consolidations,
        )
        if self.consolidation_observer is not None:
            self.consolidation_observer(candidate_key, prototypes, hw)
        work.remove_range(start, end, min_group_size=min_group)
        self.long.add_prototypes(
            prototypes.key, prototypes.shrinkage, prototypes.group_values, [g.indices for g in work.groups]
        )
        self.num_consolidations += 1

    def _evict(self, target_size: int) -> None:
        """Least-frequently-used eviction down to ``target_size`` elements (ties evicted together)."""
        excess = self.long.size - target_size
        if excess <= 0:
            return
        if self.long.track_usage:
            usage = self.long.normalized_usage()
            lowest, _ = torch.topk(usage, k=excess, largest=False, sorted=True)
            keep = usage > lowest[-1]
        else:
            if not self._warned_fifo:
                log.warning("long-term usage is not counted; evicting the oldest elements instead")
                self._warned_fifo = True
            keep = torch.arange(self.long.size, device=self.long.key.device) >= excess
        self.num_evicted += int((~keep).sum())
        self.long.keep_elements(keep)
