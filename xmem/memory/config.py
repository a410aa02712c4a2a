"""Memory configuration and the long-video strategies of Tables 4, 6, 7 and S1."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Literal

from xmem.errors import XMemError

PrototypeSelection = Literal["usage", "random", "kmeans"]
MemoryStrategy = Literal[
    "consolidation",  # XMem: working memory + long-term memory (default)
    "eager_compression",  # AFB-URR-like: T_min=1, T_max=2, random prototypes, same compression ratio
    "sparse_insertion",  # growing memory bank, at most `max_memory_frames` memory frames per video
    "local_window",  # keep the first frame, drop the oldest beyond `max_memory_frames`
    "no_long_term",  # everything stays in working memory
    "sensory_only",  # no working (and hence no long-term) memory
]
STRATEGIES: tuple[str, ...] = MemoryStrategy.__args__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class MemoryConfig:
    """Settings of the working / long-term memory (paper §3.3-3.4, official option names in comments).

    Attributes:
        top_k: top-k filtering of the affinity (``top_k``); None = plain softmax.
        strategy: how long videos are handled (see :data:`MemoryStrategy`).
        min_work_frames: T_min (``min_mid_term_frames``).
        max_work_frames: T_max (``max_mid_term_frames``).
        num_prototypes: P (``num_prototypes``).
        max_long_term_elements: LT_max (``max_long_term_elements``).
        count_long_term_usage: count usage in long-term memory (``enable_long_term_count_usage``);
            needed only when eviction can happen.
        prototype_selection: usage (paper), random, or kmeans (centroids) — Table 6.
        potentiation: aggregate candidate values into prototypes (eq. 3); False = plain sampling.
        max_memory_frames: capacity of ``local_window`` and the frame budget of ``sparse_insertion``.
        seed: seed for random prototype selection and k-means initialisation.
    """

    top_k: int | None = 30
    strategy: MemoryStrategy = "consolidation"
    min_work_frames: int = 5
    max_work_frames: int = 10
    num_prototypes: int = 128
    max_long_term_elements: int = 10000
    count_long_term_usage: bool = True
    prototype_selection: PrototypeSelection = "usage"
    potentiation: bool = True
    max_memory_frames: int = 50
    seed: int = 0

    def __post_init__(self) -> None:
        if self.strategy not in STRATEGIES:
            raise XMemError(f"memory strategy {self.strategy!r} is unknown; choose one of {', '.join(STRATEGIES)}")
        if self.prototype_selection not in ("usage", "random", "kmeans"):
            raise XMemError(
                f"prototype selection {self.prototype_selection!r} is unknown; choose usage, random or kmeans"
            )
        if self.top_k is not None and self.top_k < 1:
            raise XMemError(f"--top-k must be >= 1 (got {self.top_k})")
        if self.min_work_frames < 1:
            raise XMemError(f"--min-mid-term-frames (T_min) must be >= 1 (got {self.min_work_frames})")
        if self.max_work_frames <= self.min_work_frames:
            raise XMemError(
                f"--max-mid-term-frames (T_max={self.max_work_frames}) must exceed "
                f"--min-mid-term-frames (T_min={self.min_work_frames})"
            )
        if self.num_prototypes < 1:
            raise XMemError(f"--num-prototypes must be >= 1 (got {self.num_prototypes})")
        if self.uses_long_term and self.max_long_term_elements <= self.num_prototypes:
            raise XMemError(
                f"--max-long-term-elements ({self.max_long_term_elements}) must exceed "
                f"--num-prototypes ({self.num_prototypes}): each consolidation adds P elements"
            )
        if self.max_memory_frames < 2:
            raise XMemError(f"max_memory_frames must be >= 2 (got {self.max_memory_frames})")

    @property
    def uses_long_term(self) -> bool:
        return self.strategy in ("consolidation", "eager_compression")

    @property
    def uses_working_memory(self) -> bool:
        return self.strategy != "sensory_only"

    def resolved(self) -> "MemoryConfig":
        """Translate a named strategy into the concrete parameters it stands for.

        ``eager_compression`` consolidates every frame (T_min=1, T_max=2) with random prototypes
        at the same compression ratio as the base setting: P' = ceil(P / (T_max - T_min)).
        """
        if self.strategy != "eager_compression":
            return self
        ratio_frames = self.max_work_frames - self.min_work_frames
        return replace(
            self,
            min_work_frames=1,
            max_work_frames=2,
            num_prototypes=max(1, math.ceil(self.num_prototypes / ratio_frames)),
            prototype_selection="random",
        )

    @classmethod
    def from_official(cls, options: dict) -> "MemoryConfig":
        """Build from the official XMem option dictionary (eval.py names)."""
        return cls(
            top_k=options.get("top_k", 30),
            strategy="consolidation" if options.get("enable_long_term", True) else "no_long_term",
            min_work_frames=options.get("min_mid_term_frames", 5),
            max_work_frames=options.get("max_mid_term_frames", 10),
            num_prototypes=options.get("num_prototypes", 128),
            max_long_term_elements=options.get("max_long_term_elements", 10000),
            count_long_term_usage=options.get("enable_long_term_count_usage", True),
        )


def needs_long_term_usage(config: MemoryConfig, num_frames: int) -> bool:
    """Whether usage must be counted in long-term memory for a video of ``num_frames`` frames.

    Same rule as the official evaluation script: counting is only needed when the long-term
    memory could reach LT_max, estimated (conservatively, as if r = 1) as
    num_frames / (T_max - T_min) * P >= LT_max.
    """
    c = config.resolved()
    if not c.uses_long_term:
        return False
    return num_frames / (c.max_work_frames - c.min_work_frames) * c.num_prototypes >= c.max_long_term_elements
