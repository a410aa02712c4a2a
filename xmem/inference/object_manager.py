"""Maps the object ids found in annotation PNGs to contiguous internal ids 1..N.

Annotations may use any ids (e.g. 1, 3, 7) and may introduce objects mid-video (YouTube-VOS).
Internal ids are assigned in order of first appearance (ascending id within one frame); the
network and the memory only ever see 1..N.
"""

from __future__ import annotations

import numpy as np


class ObjectManager:
    def __init__(self) -> None:
        self.external_ids: list[int] = []  # position i holds the external id of internal id i+1

    @property
    def num_objects(self) -> int:
        return len(self.external_ids)

    def register(self, index_mask: np.ndarray, ignore: tuple[int, ...] = (0, 255)) -> list[int]:
        """Register the ids present in an index mask; return the internal ids of the NEW objects.

        ``ignore`` lists ids that are never objects (background, DAVIS void).
        Raises ValueError if an already known object is given again (the protocol gives each
        object's mask once, on its first frame).
        """
        present = [int(v) for v in np.unique(index_mask) if int(v) not in ignore]
        again = [v for v in present if v in self.external_ids]
        if again:
            raise ValueError(f"object ids {again} were already given in an earlier annotation")
        start = len(self.external_ids)
        self.external_ids.extend(present)
        return list(range(start + 1, start + 1 + len(present)))

    def one_hot(self, index_mask: np.ndarray) -> np.ndarray:
        """[num_objects, H, W] float32 one-hot of all known objects (zeros for absent ones)."""
        ids = np.asarray(self.external_ids, dtype=np.int64).reshape(-1, 1, 1)
        return (index_mask[None].astype(np.int64) == ids).astype(np.float32)

    def to_external(self, internal_index_mask: np.ndarray) -> np.ndarray:
        """Map an internal index mask (0 = background, i = internal id) back to external ids."""
        lut = np.zeros(max(256, self.num_objects + 1), dtype=np.uint8)
        lut[1 : self.num_objects + 1] = self.external_ids
        return lut[internal_index_mask]
