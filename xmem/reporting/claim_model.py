"""The vocabulary of the claims check (:mod:`xmem.reporting.claims`): verdicts, compared numbers,
the noise model and the evidence read besides the tables.

A :class:`Comparison` is ``left >= right + margin`` between two labelled numbers, with the spread
inside which a difference is noise and the :class:`Mechanism` count that must show the tested
mechanism acted; :func:`verdict` turns a claim's comparisons into one of the five verdicts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from xmem.reporting.visibility import VisibilitySplit


SUPPORTED = "supported"
NOT_SUPPORTED = "not supported"
WITHIN_NOISE = "within noise"
NOT_TESTABLE = "not testable in this profile"
NOT_MEASURABLE = "not measurable in this profile"


@dataclass(frozen=True)
class ClaimResult:
    number: int
    claim: str
    verdict: str
    evidence: str
    why: str = ""  # one measured sentence when the verdict is not "supported"


@dataclass(frozen=True)
class Noise:
    """Spreads of the scores: ``recipe_seed_sd`` (score points) between two models trained with
    the profile's recipe (None = not measured); the offsets' std is read from the tables."""

    recipe_seed_sd: float | None = None
    source: str = ""


@dataclass(frozen=True)
class Mechanism:
    """A count from the runs' memory statistics that must reach ``needed`` for a comparison to
    test its claim (e.g. consolidations of XMem per Long-time Video). ``count`` None = unknown
    (no statistics): the comparison is then kept."""

    label: str
    count: int | None
    needed: int = 1

    @property
    def acted(self) -> bool:
        return self.count is None or self.count >= self.needed

    def describe(self) -> str:
        return f"{self.label}: {'n/a' if self.count is None else self.count}"


@dataclass(frozen=True)
class RowRef:
    """Where a compared number comes from: (table, method, setting) on ``dataset``."""

    table: str
    method: str
    setting: str
    dataset: str


def consolidations_key(dataset: str) -> str:
    """Name of the count: consolidations of XMem (default, offset 0) in one ``dataset`` video (largest)."""
    return f"XMem consolidations per {dataset} video"


def memory_frames_key(dataset: str) -> str:
    """Name of the count: memory frames of XMem (default, offset 0) in one ``dataset`` video (largest)."""
    return f"XMem memory frames per {dataset} video"


WINDOW_CONSOLIDATIONS_KEY = "XMem consolidations per LV1 video in the growth window"


def eviction_key(ltmax: int) -> str:
    """Name of the count: long-term elements XMem evicted in one LV3 video at LT_max = ``ltmax`` (largest)."""
    return f"elements evicted per LV3 video at LTmax={ltmax}"


#: per-video scores of a row: (row, dataset) -> {video: score in percent} or None
PerVideo = Callable[[RowRef], "dict[str, float] | None"]
#: a row's scores split by whether the object is in the ground truth (Long-time Video), or None
Visibility = Callable[[RowRef], "VisibilitySplit | None"]


@dataclass(frozen=True)
class FpsSpread:
    """The run-to-run spread of a speed: ``std`` (frames per second, sample std) of one setting's
    FPS over ``runs`` runs that differ only in the memory-insertion offset."""

    std: float
    runs: int
    label: str

    def source(self) -> str:
        return f"std of {self.label} over {self.runs} offsets"


@dataclass(frozen=True)
class Evidence:
    """What the claims read besides the tables: mechanism counts by name (see
    :func:`xmem.reporting.claim_evidence.claim_evidence`), the memory window of sparse insertion
    and local window (frames), per-video scores, scores split by the object's visibility, and
    the spread of a Long-time Video FPS over offsets (the noise of a speed comparison)."""

    counts: dict[str, int | None] = field(default_factory=dict)
    window_frames: int = 50
    per_video: PerVideo | None = None
    visibility: Visibility | None = None
    fps_spread: FpsSpread | None = None

    def mechanism(self, name: str, needed: int = 1) -> Mechanism | None:
        return Mechanism(name, self.counts.get(name), needed) if name in self.counts else None


@dataclass(frozen=True)
class Comparison:
    """``left >= right + margin`` (or ``>`` when ``strict``) between two labelled numbers.

    ``spread``: differences within it are noise (0 = exact comparison); ``mechanism``: the
    count that must show the tested mechanism acted; ``rows``: where left and right come from
    (for the per-video explanation).
    """

    left_label: str
    left: float | None
    right_label: str
    right: float | None
    margin: float = 0.0
    strict: bool = False
    spread: float = 0.0
    spread_source: str = ""
    mechanism: Mechanism | None = None
    rows: tuple[RowRef, RowRef] | None = None

    @property
    def measurable(self) -> bool:
        return self.left is not None and self.right is not None

    @property
    def testable(self) -> bool:
        return self.mechanism is None or self.mechanism.acted

    @property
    def difference(self) -> float:
        return self.left - self.right - self.margin

    @property
    def within_noise(self) -> bool:
        return self.spread > 0 and abs(self.difference) <= self.spread

    @property
    def holds(self) -> bool:
        """Holds beyond the spread (exactly, when there is no spread)."""
        if self.spread > 0:
            return self.difference > self.spread
        return self.difference > 0 if self.strict else self.difference >= -1e-9

    def describe(self) -> str:
        def fmt(v: float | None) -> str:
            return "n/a" if v is None else f"{v:.1f}"

        if not self.measurable:
            return f"{self.left_label} {fmt(self.left)} vs {self.right_label} {fmt(self.right)} (missing)"
        sign = ">" if self.strict else ">="
        need = f" + {self.margin:g}" if self.margin else ""
        if not self.testable:
            mark = f"not testable ({self.mechanism.describe()})"
        elif self.within_noise:
            mark = f"within noise (difference {self.difference:+.1f}, spread {self.spread:.1f} {self.spread_source})"
        else:
            mark = "yes" if self.holds else "no"
        return f"{self.left_label} {fmt(self.left)} {sign} {self.right_label} {fmt(self.right)}{need}: {mark}"


def verdict(comparisons: list[Comparison]) -> tuple[str, str]:
    measurable = [c for c in comparisons if c.measurable]
    evidence = "; ".join(c.describe() for c in comparisons)
    if not measurable:
        return NOT_MEASURABLE, evidence or "no numbers"
    testable = [c for c in measurable if c.testable]
    if not testable:
        return NOT_TESTABLE, evidence
    if any(not c.holds and not c.within_noise for c in testable):
        return NOT_SUPPORTED, evidence
    if any(c.within_noise for c in testable):
        return WITHIN_NOISE, evidence
    return SUPPORTED, evidence
