"""Key-value memory store shared by the working and the long-term memory.

Keys (and their shrinkage / selection terms) are shared by all objects. Values are kept per
*object group*: the objects that were first given in the same frame. A group that starts
later has values for the most recent keys only; its values are **end-aligned** with the keys
(the j-th last value belongs to the j-th last key), as in the official implementation.

Shapes: keys [1, CK, N], shrinkage [1, 1, N], selection [1, CK, N], group values
[num_objects_in_group, CV, n_g] with n_g <= N, usage counters [N].
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor


@dataclass
class ObjectGroup:
    """Objects that entered together; ``indices`` are 0-based object indices (id - 1)."""

    indices: list[int]
    values: Tensor  # [len(indices), CV, n]

    @property
    def size(self) -> int:
        return self.values.shape[-1]


def _cat(a: Tensor | None, b: Tensor | None) -> Tensor | None:
    if a is None:
        return b
    if b is None:
        return a
    return torch.cat([a, b], -1)


class KeyValueStore:
    """Keys, scaling terms, per-group values and usage statistics of one memory store."""

    def __init__(self, track_usage: bool):
        self.track_usage = track_usage
        self.key: Tensor | None = None
        self.shrinkage: Tensor | None = None
        self.selection: Tensor | None = None
        self.groups: list[ObjectGroup] = []
        self.usage_sum: Tensor | None = None  # [N] cumulative affinity received
        self.reads_survived: Tensor | None = None  # [N] number of reads survived (+1e-7)

    # ----------------------------------------------------------------- properties
    @property
    def size(self) -> int:
        return 0 if self.key is None else self.key.shape[-1]

    @property
    def num_groups(self) -> int:
        return len(self.groups)

    @property
    def engaged(self) -> bool:
        return self.key is not None

    @property
    def object_indices(self) -> list[int]:
        return [i for g in self.groups for i in g.indices]

    def group_size(self, gi: int) -> int:
        return self.groups[gi].size

    # ----------------------------------------------------------------- adding
    def _append_keys(self, key: Tensor, shrinkage: Tensor | None, selection: Tensor | None) -> None:
        n = key.shape[-1]
        self.key = _cat(self.key, key)
        self.shrinkage = _cat(self.shrinkage, shrinkage)
        self.selection = _cat(self.selection, selection)
        if self.track_usage:
            zeros = torch.zeros(n, device=key.device, dtype=torch.float32)
            self.usage_sum = _cat(self.usage_sum, zeros)
            self.reads_survived = _cat(self.reads_survived, zeros + 1e-7)

    def add_frame(
        self,
        key: Tensor,
        shrinkage: Tensor | None,
        selection: Tensor | None,
        value: Tensor,
        object_indices: list[int],
    ) -> None:
        """Append one memory frame.

        Args:
            key: [1, CK, HW]; shrinkage [1, 1, HW] | None; selection [1, CK, HW] | None
            value: [num_objects, CV, HW] for objects 0..num_objects-1
            object_indices: 0-based indices of all objects present so far (sorted); objects not
                in any group yet form a new group.
        """
        self._append_keys(key, shrinkage, selection)
        known = set(self.object_indices)
        for group in self.groups:
            group.values = torch.cat([group.values, value[group.indices]], -1)
        new = [i for i in object_indices if i not in known]
        if new:
            if known and min(new) < max(known):
                raise ValueError(f"objects must enter in increasing index order; got {new} after {sorted(known)}")
            self.groups.append(ObjectGroup(indices=new, values=value[new]))

    def add_prototypes(
        self, key: Tensor, shrinkage: Tensor | None, group_values: list[Tensor | None], group_indices: list[list[int]]
    ) -> None:
        """Append consolidated prototypes (long-term memory).

        ``group_values[g]`` is [n_obj_g, CV, n_g] (end-aligned with ``key``) or None when the
        group contributes nothing this time; groups are matched by position.
        """
        self._append_keys(key, shrinkage, None)
        for gi, values in enumerate(group_values):
            if values is not None and gi >= self.num_groups:
                self.groups.append(ObjectGroup(indices=list(group_indices[gi]), values=values))
            elif values is not None:
                self.groups[gi].values = torch.cat([self.groups[gi].values, values], -1)

    # ----------------------------------------------------------------- usage
    def record_usage(self, usage: Tensor) -> None:
        """Add one read's usage ([N]) and age every element by one read."""
        if not self.track_usage:
            return
        self.usage_sum = self.usage_sum + usage.reshape(-1).float()
        self.reads_survived = self.reads_survived + 1

    def normalized_usage(self) -> Tensor:
        """Usage per element normalised by the time it spent in this store, [N]."""
        if not self.track_usage:
            raise RuntimeError("this store does not count usage")
        return self.usage_sum / self.reads_survived

    # ----------------------------------------------------------------- removal
    def _select_keys(self, index: Tensor) -> None:
        self.key = self.key[:, :, index]
        self.shrinkage = None if self.shrinkage is None else self.shrinkage[:, :, index]
        self.selection = None if self.selection is None else self.selection[:, :, index]
        if self.track_usage:
            self.usage_sum = self.usage_sum[index]
            self.reads_survived = self.reads_survived[index]

    def remove_range(self, start: int, end: int, min_group_size: int) -> None:
        """Drop key positions [start, end) (``end`` relative to N when <= 0, like a slice).

        Group values are cut with the same slice only when the group holds at least
        ``min_group_size`` values; smaller (late) groups are left as they are. This reproduces
        the official working-memory sieve exactly.
        """
        n = self.size
        stop = n + end if end <= 0 else end
        keep = torch.cat([torch.arange(0, start), torch.arange(stop, n)]).to(self.key.device)
        self._select_keys(keep)
        for group in self.groups:
            if group.size >= min_group_size:
                g_stop = group.size + end if end <= 0 else end
                idx = torch.cat([torch.arange(0, start), torch.arange(g_stop, group.size)]).to(group.values.device)
                group.values = group.values[:, :, idx]

    def keep_elements(self, keep: Tensor) -> None:
        """Keep only the key positions where the boolean mask ``keep`` [N] is True.

        Values of every group follow their end-aligned keys, so eviction works with any
        number of object groups.
        """
        n = self.size
        for group in self.groups:
            group.values = group.values[:, :, keep[n - group.size :]]
        self._select_keys(keep)

    def remove_position(self, position: int) -> None:
        """Drop one key position and, for every group covering it, the matching value."""
        keep = torch.ones(self.size, dtype=torch.bool, device=self.key.device)
        keep[position] = False
        self.keep_elements(keep)

    # ----------------------------------------------------------------- accounting
    def nbytes(self) -> int:
        tensors = [self.key, self.shrinkage, self.selection, self.usage_sum, self.reads_survived]
        tensors += [g.values for g in self.groups]
        return sum(t.numel() * t.element_size() for t in tensors if t is not None)
