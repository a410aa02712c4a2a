"""The memory regime of a long-video benchmark: how much the memory mechanisms act (issue 14).

Pure arithmetic on frozen inputs, by the rules of :class:`~xmem.memory.manager.MemoryController`
and :class:`~xmem.inference.core.SegmentationEngine`:

* memory frames (r, offset o): frame 0 (the prompt), then frames r, 2r, ... (o = 0) or
  o, o + r, ... (o > 0); the last frame of a video is never memorised;
* the working memory holds the first frame and every later memory frame; when a memory frame
  brings it to T_max frames, the T_max - T_min oldest frames after the first are consolidated
  into P prototypes (T_min frames stay): consolidation j happens at memory frame
  T_max + (j - 1)(T_max - T_min);
* before a consolidation, a long-term memory holding >= LT_max - P elements is evicted down to
  LT_max - P: elements are first removed at consolidation j = floor(LT_max / P) + 1, and the
  long-term memory then holds LT_max elements;
* the n-times video is the 1-times video played back and forth: n * L frames;
* one memory frame has E = ceil(h/16) * ceil(w/16) elements at the processing size h x w (frames
  are padded to a multiple of 16), 4x as many for key maps at stride 8; compression ratio =
  (T_max - T_min) * E / P.

``regime_rows(profile, paper)`` gives the typed rows of the table (profile and paper side by
side), ``regime_frame`` a pandas DataFrame of them and ``render_markdown`` its markdown. The
paper's numbers come from :data:`PAPER` (the only place they are written, with their sources).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

PAPER_ELEMENTS_PER_FRAME = 1620  # 480p: 30 x 54 (the scale of every element count, see scaled_elements)


# --------------------------------------------------------------------------- inputs
@dataclass(frozen=True)
class MemorySettings:
    """The frame-count and element-count parameters of a profile (paper §3.3, §4, App. D)."""

    mem_every: int  # r on Long-time Video
    min_work_frames: int  # T_min
    max_work_frames: int  # T_max
    num_prototypes: int  # P
    max_long_term_elements: int  # LT_max
    prototype_counts: tuple[int, ...] = ()  # Table 6's P grid
    ltmax_values: tuple[int, ...] = ()  # Table S1's LT_max grid


@dataclass(frozen=True)
class LongVideoFacts:
    """Facts of the long videos (from the generated data, or from the paper)."""

    lengths: tuple[float, ...]  # frames per 1x video
    height: int  # processing size
    width: int
    short_video_frames: float  # mean frames of a short (DAVIS 2017 val-like) video
    longest_absence: float | None  # frames: the longest time an annotated object is absent (1x)
    absence_note: str = ""
    key_stride: int = 16  # of the network's key maps (16 in the paper; 8 for the "small-s8" networks)


@dataclass(frozen=True)
class RegimeInputs:
    name: str
    videos: LongVideoFacts
    memory: MemorySettings
    fig1_window: tuple[int, int] = (100, 200)  # memory growth measured between these frames
    offset: int = 0  # memory-insertion offset the counts are given for
    sources: dict[str, str] = field(default_factory=dict)  # quantity -> where the number comes from


#: The paper's regime. Every number with its source; nothing else in the project restates them.
PAPER = RegimeInputs(
    name="paper",
    videos=LongVideoFacts(
        lengths=(7000 / 3,) * 3,  # "three videos with more than 7,000 frames in total" (§4.1)
        height=480,  # "480p videos are used by default" (§4); Long-time Video is 480 x 854
        width=854,
        short_video_frames=10459 / 150,  # DAVIS 2017: 150 sequences, 10,459 frames (Pont-Tuset et al. 2017, §2)
        longest_absence=2000,  # App. B, 'cans' (an in-the-wild video): "occluded for more than 2,000 frames"
        absence_note="not stated for Long-time Video; App. B 'cans': > 2,000 frames",
    ),
    memory=MemorySettings(
        mem_every=10,  # "In this dataset, we use r = 10" (§4.1)
        min_work_frames=5, max_work_frames=10, num_prototypes=128,  # §4 first paragraph
        max_long_term_elements=10000,  # §4 first paragraph
        prototype_counts=(64, 128, 256),  # Table 6
        ltmax_values=(500, 1000, 2500, 5000, 10000, 20000, 30000),  # Table S1 (App. D)
    ),
    fig1_window=(100, 200),  # "between the 100-th and 200-th frame" (§4.1)
    sources={
        "frames": "§4.1: 3 videos, > 7,000 frames in total (mean shown); App. B: dressage 10,767 frames at 3x",
        "short": "DAVIS 2017 (Pont-Tuset et al. 2017): 150 sequences, 10,459 frames",
        "memory": "§4: T_min = 5, T_max = 10, P = 128, LT_max = 10,000; §4.1: r = 10; 480p",
        "grids": "Table 6: P = 64, 128, 256; Table S1: LT_max = 500 ... 30,000 on Long-time Video 3x",
    },
)


# --------------------------------------------------------------------------- the rules
def elements_per_frame(height: int, width: int, stride: int = 16) -> int:
    """E: memory elements of one frame after padding to a multiple of 16, for key maps at
    ``stride`` (16 in the paper; 8 for the "small-s8" networks)."""
    return math.ceil(height / 16) * math.ceil(width / 16) * (16 // stride) ** 2


def scaled_elements(paper_value: int, elements: int) -> int:
    """An element-count parameter scaled from 480p: ``round(paper_value * E / 1620)`` (>= 1)."""
    return max(1, round(paper_value * elements / PAPER_ELEMENTS_PER_FRAME))


def memory_frames(num_frames: float, mem_every: int, offset: int = 0) -> int:
    """Memory frames of a video of ``num_frames`` frames (frame 0 included, last frame excluded)."""
    last = math.floor(num_frames) - 2  # the last frame that can be memorised
    if last < 0:
        return 1 if num_frames >= 1 else 0
    first = offset if offset > 0 else mem_every
    return 1 + (0 if last < first else (last - first) // mem_every + 1)


def memory_frame_index(count: int, mem_every: int, offset: int = 0) -> int:
    """Frame index of the ``count``-th memory frame (count 1 = frame 0)."""
    if count <= 1:
        return 0
    return (count - 1) * mem_every if offset == 0 else offset + (count - 2) * mem_every


def consolidations(num_memory_frames: int, min_work_frames: int, max_work_frames: int) -> int:
    """Consolidations after ``num_memory_frames`` memory frames (the working memory's rule)."""
    if num_memory_frames < max_work_frames:
        return 0
    return 1 + (num_memory_frames - max_work_frames) // (max_work_frames - min_work_frames)


def consolidation_frame(j: int, m: MemorySettings, offset: int = 0) -> int:
    """Frame index at which consolidation ``j`` (1-based) happens."""
    count = m.max_work_frames + (j - 1) * (m.max_work_frames - m.min_work_frames)
    return memory_frame_index(count, m.mem_every, offset)


def first_evicting_consolidation(num_prototypes: int, max_long_term_elements: int) -> int:
    """The first consolidation before which long-term elements are removed."""
    return max_long_term_elements // num_prototypes + 1


def compression_ratio_pct(m: MemorySettings, elements: int, num_prototypes: int | None = None) -> float:
    """(T_max - T_min) * E / P in percent (paper: 5 * 1620 / 128 = 6328 %)."""
    p = m.num_prototypes if num_prototypes is None else num_prototypes
    return 100.0 * (m.max_work_frames - m.min_work_frames) * elements / p


@dataclass(frozen=True)
class VideoRegime:
    """The regime of one video at n x."""

    frames: int
    memory_frames: int
    consolidations: int
    prototypes_added: int  # consolidations * P: long-term elements without eviction
    long_term_elements: int  # held at the end: min(added, LT_max)
    eviction_frame: int | None  # frame of the first consolidation that removes elements (None: never)


def video_regime(num_frames: float, m: MemorySettings, offset: int = 0,
                 max_long_term: int | None = None) -> VideoRegime:
    """Memory frames, consolidations and long-term size of one video (``max_long_term``: LT_max)."""
    lt_max = m.max_long_term_elements if max_long_term is None else max_long_term
    frames = math.floor(num_frames)
    mf = memory_frames(frames, m.mem_every, offset)
    n = consolidations(mf, m.min_work_frames, m.max_work_frames)
    added = n * m.num_prototypes
    j = first_evicting_consolidation(m.num_prototypes, lt_max)
    eviction = consolidation_frame(j, m, offset) if n >= j else None
    return VideoRegime(frames, mf, n, added, min(added, lt_max), eviction)


# --------------------------------------------------------------------------- the table
@dataclass(frozen=True)
class RegimeRow:
    """One quantity, profile vs paper. ``*_low``/``*_high``: range over the videos (equal when one)."""

    quantity: str
    profile_low: float | None
    profile_high: float | None
    paper_value: float | None
    unit: str = ""
    note: str = ""

    @property
    def ratio_low(self) -> float | None:
        return _ratio(self.profile_low, self.paper_value)

    @property
    def ratio_high(self) -> float | None:
        return _ratio(self.profile_high, self.paper_value)


def _ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b == 0:
        return None
    return a / b


def _span(values: list[float | None]) -> tuple[float | None, float | None]:
    known = [v for v in values if v is not None]
    if len(known) != len(values) or not known:
        return None, None
    return min(known), max(known)


def _row(quantity: str, profile: list[float | None], paper: list[float | None], unit: str = "",
         note: str = "") -> RegimeRow:
    low, high = _span(profile)
    paper_low, paper_high = _span(paper)
    paper_value = None if paper_low is None else (paper_low + paper_high) / 2
    return RegimeRow(quantity, low, high, paper_value, unit, note)


def _nearest_paper_value(value: int, paper_grid: tuple[int, ...], elements: int) -> int | None:
    if not paper_grid:
        return None
    return min(paper_grid, key=lambda p: abs(scaled_elements(p, elements) - value))


def regime_rows(profile: RegimeInputs, paper: RegimeInputs = PAPER,
                times: tuple[int, ...] = (1, 3, 10)) -> list[RegimeRow]:
    """The regime table: one row per quantity (see the module docstring for the rules)."""
    pm, qm = profile.memory, paper.memory
    pe = elements_per_frame(profile.videos.height, profile.videos.width, profile.videos.key_stride)
    qe = elements_per_frame(paper.videos.height, paper.videos.width, paper.videos.key_stride)
    p_videos = [video_regime(n, pm, profile.offset) for n in profile.videos.lengths]
    q_videos = [video_regime(n, qm, paper.offset) for n in paper.videos.lengths]
    rows = [
        _row("frames per long video (1x)", [v.frames for v in p_videos], [v.frames for v in q_videos], "frames",
             f"videos: {len(profile.videos.lengths)} (paper {len(paper.videos.lengths)})"),
        _row("long video / short video length", [v.frames / profile.videos.short_video_frames for v in p_videos],
             [v.frames / paper.videos.short_video_frames for v in q_videos], "x",
             f"short: mean of {profile.videos.short_video_frames:.1f} frames "
             f"(paper {paper.videos.short_video_frames:.1f})"),
        _row("elements per memory frame E", [pe], [qe], "elements",
             f"{profile.videos.height}x{profile.videos.width} / {profile.videos.key_stride} "
             f"(paper {paper.videos.height}x{paper.videos.width} / {paper.videos.key_stride})"),
        _row("r (memory every r-th frame)", [pm.mem_every], [qm.mem_every], "frames"),
        _row("T_min / T_max", [pm.min_work_frames / pm.max_work_frames], [qm.min_work_frames / qm.max_work_frames], "",
             f"{pm.min_work_frames}/{pm.max_work_frames} (paper {qm.min_work_frames}/{qm.max_work_frames})"),
        _row("P (prototypes per consolidation)", [pm.num_prototypes], [qm.num_prototypes], "elements",
             f"paper x E/1620 = {qm.num_prototypes * pe / PAPER_ELEMENTS_PER_FRAME:.2f}"),
        _row("LT_max", [pm.max_long_term_elements], [qm.max_long_term_elements], "elements",
             f"paper x E/1620 = {qm.max_long_term_elements * pe / PAPER_ELEMENTS_PER_FRAME:.1f}"),
        _row("LT_max / P (consolidations before eviction)", [pm.max_long_term_elements / pm.num_prototypes],
             [qm.max_long_term_elements / qm.num_prototypes], "consolidations"),
        _row("compression ratio (T_max-T_min)*E/P", [compression_ratio_pct(pm, pe)],
             [compression_ratio_pct(qm, qe)], "%"),
        _row("memory frames per 1x video", [v.memory_frames for v in p_videos], [v.memory_frames for v in q_videos],
             "frames", f"offset {profile.offset}"),
        _row("consolidations per 1x video", [v.consolidations for v in p_videos],
             [v.consolidations for v in q_videos], ""),
    ]
    for n in times:
        pv = [video_regime(n * length, pm, profile.offset) for length in profile.videos.lengths]
        qv = [video_regime(n * length, qm, paper.offset) for length in paper.videos.lengths]
        rows.append(_row(f"long-term elements at {n}x / LT_max (before eviction)",
                         [v.prototypes_added / pm.max_long_term_elements for v in pv],
                         [v.prototypes_added / qm.max_long_term_elements for v in qv], "x LT_max",
                         "> 1: eviction"))
        rows.append(_row(f"first eviction at {n}x (fraction of the video)",
                         [None if v.eviction_frame is None else v.eviction_frame / v.frames for v in pv],
                         [None if v.eviction_frame is None else v.eviction_frame / v.frames for v in qv], "",
                         "empty: no eviction"))
    lv3 = 3
    for value in pm.ltmax_values:
        match = _nearest_paper_value(value, qm.ltmax_values, pe)
        pv = [video_regime(lv3 * length, pm, profile.offset, value) for length in profile.videos.lengths]
        qv = [] if match is None else [video_regime(lv3 * length, qm, paper.offset, match)
                                       for length in paper.videos.lengths]
        rows.append(_row(f"Table S1 LT_max = {value}: 3x elements / LT_max",
                         [v.prototypes_added / value for v in pv],
                         [v.prototypes_added / match for v in qv] if qv else [None],
                         "x LT_max", f"paper LT_max = {match}" if match is not None else "no paper value"))
    for p in pm.prototype_counts:
        match = _nearest_paper_value(p, qm.prototype_counts, pe)
        rows.append(_row(f"Table 6 P = {p}: compression ratio", [compression_ratio_pct(pm, pe, p)],
                         [None if match is None else compression_ratio_pct(qm, qe, match)], "%",
                         f"paper P = {match}" if match is not None else "no paper value"))
    span = pm.max_work_frames * pm.mem_every
    rows.append(_row("longest absence / working-memory span (T_max*r)",
                     [None if profile.videos.longest_absence is None else profile.videos.longest_absence / span],
                     [None if paper.videos.longest_absence is None
                      else paper.videos.longest_absence / (qm.max_work_frames * qm.mem_every)], "x",
                     f"span {span} frames (paper {qm.max_work_frames * qm.mem_every}); "
                     f"{profile.videos.absence_note or 'profile'}; paper: {paper.videos.absence_note}"))
    shortest = min(v.frames for v in p_videos)
    start, end = profile.fig1_window
    rows.append(_row(f"Fig. 1 window: shortest video / frame {end}", [shortest / end],
                     [min(v.frames for v in q_videos) / paper.fig1_window[1]], "",
                     f">= 1: memory growth measured over frames {start}->{end}"))
    return rows


# --------------------------------------------------------------------------- output
def _format(value: float | None) -> str:
    if value is None:
        return ""
    if float(value).is_integer():
        return f"{value:,.0f}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _format_span(low: float | None, high: float | None) -> str:
    if low is None:
        return ""
    a, b = _format(low), _format(high)
    return a if a == b else f"{a}–{b}"


def regime_frame(rows: list[RegimeRow]) -> pd.DataFrame:
    """The rows as a DataFrame (numeric columns; ratios are profile / paper)."""
    return pd.DataFrame([{
        "quantity": r.quantity, "profile_low": r.profile_low, "profile_high": r.profile_high,
        "paper": r.paper_value, "ratio_low": r.ratio_low, "ratio_high": r.ratio_high, "unit": r.unit, "note": r.note,
    } for r in rows])


def render_cells(rows: list[RegimeRow], profile_name: str = "profile") -> tuple[list[str], list[list[str]]]:
    """(header, formatted cells per row): quantity | profile | paper | profile / paper | note."""
    header = ["quantity", profile_name, "paper", f"{profile_name} / paper", "note"]
    cells = []
    for r in rows:
        unit = f" {r.unit}" if r.unit and r.unit not in ("x", "%") else (r.unit if r.unit in ("x", "%") else "")
        profile = _format_span(r.profile_low, r.profile_high)
        paper = _format(r.paper_value)
        ratio = _format_span(r.ratio_low, r.ratio_high)
        cells.append([r.quantity, f"{profile}{unit if profile else ''}", f"{paper}{unit if paper else ''}",
                      f"{ratio + '×' if ratio else ''}", r.note])
    return header, cells


def render_markdown(rows: list[RegimeRow], profile_name: str = "profile") -> str:
    """A markdown table: quantity | profile | paper | profile / paper | note."""
    header, cells = render_cells(rows, profile_name)
    lines = ["| " + " | ".join(header) + " |", "|---|---:|---:|---:|---|"]
    lines += ["| " + " | ".join(row) + " |" for row in cells]
    return "\n".join(lines) + "\n"
