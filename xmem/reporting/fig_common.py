"""Shared pieces of the workflow's figures: reading run outputs, labelling, saving.

Every figure states the profile it was measured in (title and footer), lists the runs it had
to skip (dataset absent in the profile, file missing) in a footnote and is written atomically.
Figures are drawn on :class:`matplotlib.figure.Figure` objects attached to the Agg canvas
(``FigureCanvasAgg``), so neither pyplot's global state nor a display is involved.
"""

from __future__ import annotations

import logging
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from xmem.evaluation.memory_analysis import GROWTH_END, GROWTH_START, memory_increase_per_frame
from xmem.experiments.paths import Run, RunPaths
from xmem.experiments.profile import inputs_unavailable, run_availability
from xmem.reporting.run_results import RunResults, mean_std
from xmem.utils.atomic import atomic_path

log = logging.getLogger(__name__)

DPI = 120
FOOTER_CHARS_PER_INCH = 16  # monospace 7 pt
TITLE_MARGIN_INCHES = 0.08  # above the figure title
TITLE_GAP_INCHES = 0.06  # between the title and the axes' decorations (plus tight_layout's pad)
MODEL_NAMES = {"xmem": "XMem", "stcn": "STCN", "copy": "First-frame copy"}
MODEL_COLORS = {"xmem": "tab:red", "stcn": "tab:blue", "copy": "tab:gray"}


@dataclass
class Notes:
    """Footnotes of one figure (skipped runs, approximations), in order, without duplicates."""

    lines: list[str] = field(default_factory=list)

    def add(self, text: str) -> None:
        if text not in self.lines:
            self.lines.append(text)
            log.info("%s", text)

    def skip(self, run: Run, reason: str) -> None:
        self.add(f"skipped {run_label(run)}: {reason}")


def profile_name(config: dict) -> str:
    return str(config.get("profile") or "unnamed")


def profile_tag(config: dict) -> str:
    """E.g. "synthetic profile" — appended to every figure title."""
    return f"{profile_name(config)} profile"


def run_label(run: Run) -> str:
    return f"{run.model} {run.dataset} {run.setting} o{run.offset}"


def run_paths(config: dict, run: Run) -> RunPaths:
    return RunPaths.of(config["results"], run)


def unavailable_reason(run: Run, kind: str, config: dict) -> str:
    """Why ``kind`` ("scores", "stats", "masks") of ``run`` cannot be read ("" when it can)."""
    paths = run_paths(config, run)
    if kind == "scores":
        ok, reason = run_availability(run, config)
        path = paths.global_scores
    else:
        reason = inputs_unavailable(run, config)
        path = paths.summary if kind == "stats" else paths.masks
    if reason:
        return reason
    if not path.exists():
        return f"{path} not found"
    return ""


def read_score(config: dict, run: Run, notes: Notes, column: str = "J&F-Mean") -> float | None:
    """A global score of a run in percent (the CSVs hold fractions), or None (skip noted)."""
    reason = unavailable_reason(run, "scores", config)
    if reason:
        notes.skip(run, reason)
        return None
    value = RunResults(Path(config["results"])).score_column(run, column)
    if value is None:
        notes.skip(run, f"{run_paths(config, run).global_scores} has no {column} column")
    return value


def mean_score(config: dict, runs: list[Run], notes: Notes,
               column: str = "J&F-Mean") -> tuple[float, float, int] | None:
    """(mean, std, count) of a score over runs (e.g. memory-insertion offsets); None if none read.

    Runs that cannot be read are skipped (noted); std as :func:`xmem.reporting.run_results.mean_std`
    (NaN for a single run).
    """
    values = [v for v in (read_score(config, r, notes, column) for r in runs) if v is not None]
    if not values:
        return None
    if len(values) < len(runs):
        first = runs[0]
        notes.add(f"{first.model} {first.dataset} {first.setting}: mean over {len(values)} of {len(runs)} offsets")
    mean, std = mean_std(values)
    return mean, std, len(values)


def planned_runs(config: dict, run: Run) -> list[Run]:
    """Every offset of ``run``'s (model, dataset, setting) that the profile's plan runs
    (:func:`xmem.experiments.plan.all_runs`); ``[run]`` when the plan has none."""
    from xmem.experiments.plan import all_runs

    same = sorted({r for r in all_runs(config) if (r.model, r.dataset, r.setting) == (run.model, run.dataset, run.setting)},
                  key=lambda r: r.offset)
    return same or [run]


def read_stats(config: dict, run: Run, notes: Notes) -> pd.DataFrame | None:
    """All per-frame logs (stats/<video>.csv) of a run concatenated, or None (skip noted)."""
    reason = unavailable_reason(run, "stats", config)
    if reason:
        notes.skip(run, reason)
        return None
    stats = RunResults(Path(config["results"])).frame_stats(run)
    if stats is None:
        notes.skip(run, f"no per-video CSV in {run_paths(config, run).stats}")
    return stats


@dataclass(frozen=True)
class MemoryGrowth:
    """Mean memory increase per frame over the videos of a run (paper §4.1: frames 100 → 200)."""

    bytes_per_frame: float
    std: float
    videos: int
    windows: tuple[tuple[int, int], ...]  # (start, end) processed-frame indices used per video

    @property
    def paper_window(self) -> bool:
        return all(w == (GROWTH_START, GROWTH_END) for w in self.windows)

    def describe(self) -> str:
        spans = sorted(set(self.windows))
        text = ", ".join(f"{a}->{b}" for a, b in spans)
        return f"{self.bytes_per_frame:.0f} B/frame over {self.videos} video(s), frames {text}"


def growth_window(num_frames: int, start: int = GROWTH_START, end: int = GROWTH_END) -> tuple[int, int]:
    """The paper's window (start, end) if the video has frame ``end``; otherwise the largest
    window of at most ``end - start`` processed frames that ends at the last frame."""
    if num_frames > end:
        return start, end
    last = num_frames - 1
    return max(0, last - (end - start)), last


def memory_growth(stats: pd.DataFrame) -> MemoryGrowth | None:
    """Memory increase per frame of every video (xmem.evaluation.memory_analysis), averaged."""
    rates, windows = [], []
    for video, group in stats.groupby("video", sort=True):
        start, end = growth_window(int(group["frame_index"].max()) + 1)
        if end <= start:
            continue
        rate = memory_increase_per_frame(group, start, end)["bytes_per_frame"].iloc[0]
        if np.isfinite(rate):
            rates.append(float(rate))
            windows.append((start, end))
    if not rates:
        return None
    std = float(np.std(rates, ddof=1)) if len(rates) > 1 else 0.0
    return MemoryGrowth(float(np.mean(rates)), std, len(rates), tuple(windows))


def new_figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), dpi=DPI)
    FigureCanvasAgg(fig)
    return fig


def figure_title(title: str, config: dict, measured: bool = True) -> str:
    """The figure's title: a measured figure names the profile, an illustration does not."""
    return f"{title} — {profile_tag(config)}" if measured else title


def save_figure(fig: Figure, out_png: Path, config: dict, title: str, notes: Notes, measured: bool = True) -> None:
    """Title (with the profile unless ``measured=False``), footer with the profile and the notes;
    write the PNG atomically. The title's band is measured, so the axes start right below it.

    ``measured=False`` for illustrations that use no run output (Fig. 4).
    """
    if measured:
        first = (f"Measured in the {profile_tag(config)} of this harness, not the paper's numbers "
                 f"(unless a point is labelled 'paper').")
    else:
        first = f"Illustration (no measurement, no run output): drawn by this harness ({profile_tag(config)} run)."
    width, height = fig.get_size_inches()
    chars = max(60, int(width * FOOTER_CHARS_PER_INCH))
    lines = [w for line in [first] + [f"* {n}" for n in notes.lines] for w in textwrap.wrap(line, chars)]
    footer_in = 0.15 * len(lines) + 0.12
    suptitle = fig.suptitle(figure_title(title, config, measured), fontsize=11, va="top")
    title_in = suptitle.get_window_extent(fig.canvas.get_renderer()).height / fig.dpi
    top_in = TITLE_MARGIN_INCHES + title_in + TITLE_GAP_INCHES
    total = height + footer_in + top_in
    fig.set_size_inches(width, total)
    suptitle.set_y(1 - TITLE_MARGIN_INCHES / total)
    fig.text(0.01, 0.06 / total, "\n".join(lines), fontsize=7, va="bottom", ha="left", family="monospace")
    fig.tight_layout(pad=0.4, rect=(0, (footer_in + 0.04) / total, 1, 1 - top_in / total))
    with atomic_path(out_png) as tmp:
        fig.savefig(tmp, format="png", dpi=DPI)
    log.info("wrote %s", out_png)


def format_bytes(value: float) -> str:
    """Bytes with a binary unit: 40 B, 1.5 KiB, 3.2 MiB."""
    for unit in ("B", "KiB", "MiB"):
        if abs(value) < 1024 or unit == "MiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"


def empty_axes_message(ax, text: str) -> None:
    """Mark an axes that has nothing to show (all its runs were skipped)."""
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, fontsize=9, color="dimgray", wrap=True)
