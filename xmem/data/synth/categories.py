"""Object categories of the synthetic benchmark: category = shape family x texture family.

The colour scheme is NOT part of the category (objects of one category come in many
colours), so a model has to generalise over colour; an unseen category is a
shape/texture combination that never occurs in any training set.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

SHAPE_FAMILIES: tuple[str, ...] = ("ellipse", "polygon", "star", "blob", "ring", "quadruped", "bird")
TEXTURE_FAMILIES: tuple[str, ...] = ("noise", "stripes", "checker", "gradient", "spots", "waves")


@dataclass(frozen=True)
class Category:
    shape: str
    texture: str

    @property
    def name(self) -> str:
        return f"{self.shape}-{self.texture}"


ALL_CATEGORIES: tuple[Category, ...] = tuple(Category(s, t) for s in SHAPE_FAMILIES for t in TEXTURE_FAMILIES)


def stable_key(text: str) -> int:
    """A process-independent 32-bit integer for ``text`` (Python's ``hash`` is salted)."""
    return zlib.crc32(text.encode("utf-8"))


def split_categories(seed: int, n_unseen: int) -> tuple[tuple[Category, ...], tuple[Category, ...]]:
    """(seen, unseen) categories for a benchmark seed; unseen ones never appear in training."""
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, stable_key("categories")])))
    unseen_idx = set(rng.choice(len(ALL_CATEGORIES), size=n_unseen, replace=False).tolist())
    seen = tuple(c for i, c in enumerate(ALL_CATEGORIES) if i not in unseen_idx)
    unseen = tuple(c for i, c in enumerate(ALL_CATEGORIES) if i in unseen_idx)
    return seen, unseen
