"""Timeline of one Long-time Video (a diagnostic, not in the paper): per-frame J and the memory.

Top panels, one per object: J on every annotated frame (the evaluator's
``scores/per-frame_results.csv``) of XMem, STCN (sparse insertion), XMem without long-term
memory and the first-frame copy; the frames where the synthetic manifest records the object as
absent are shaded. Bottom panel: what XMem's memory holds after each frame (working and
long-term elements, ``stats/<video>.csv``) next to the no-long-term variant's and STCN's,
memory frames as ticks, consolidations as dotted lines through every panel, evictions as
crosses. The footer gives each method's mean J on annotated frames before an object's first
absence and after its first return: where a method without long-term memory loses an object,
this is where it shows; and each method's J while an object is visible next to the share of
the frames where it is absent that the method predicts empty (:mod:`xmem.reporting.visibility`):
a method that keeps drawing an absent object loses there, whatever it does while it is visible.

The video: the LV1 video with the most annotated frames XMem was scored on (ties: the longest
absence, then the name).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from xmem.data.synth.benchmark import MANIFEST_NAME
from xmem.evaluation.results import PER_FRAME_CSV
from xmem.experiments.datasets import dataset_layout, synthetic_root
from xmem.experiments.paths import Run
from xmem.experiments.plan import TIMELINE_METHODS
from xmem.experiments.profile import COPY_MODEL
from xmem.memory.config import MemoryConfig
from xmem.reporting.fig_common import (
    Notes, empty_axes_message, new_figure, read_stats, run_paths, save_figure, unavailable_reason,
)
from xmem.reporting.visibility import object_visible, split_by_visibility


@dataclass(frozen=True)
class Method:
    label: str
    run: Run
    color: str
    style: str = "-"


STYLES = {"xmem": ("tab:red", "-"), "stcn": ("tab:blue", "-"), COPY_MODEL: ("tab:gray", ":")}
NO_LONG_TERM_STYLE = ("tab:orange", "--")

#: the methods of the timeline (the plan's, with a colour and line style each), in legend order
METHODS = tuple(Method(label, run, *(NO_LONG_TERM_STYLE if run.setting == "no_long_term" else STYLES[run.model]))
                for label, run in TIMELINE_METHODS)
#: methods whose memory statistics are drawn (the copy baseline has none)
MEMORY_RUNS = tuple(m for m in METHODS if m.run.model != COPY_MODEL)


def read_per_frame(config: dict, run: Run, notes: Notes) -> pd.DataFrame | None:
    """The evaluator's per-frame J of a run (columns sequence, object, frame, J, F), or None."""
    reason = unavailable_reason(run, "scores", config)
    path = run_paths(config, run).scores / PER_FRAME_CSV
    if not reason and not path.is_file():
        reason = f"{path} not found"
    if reason:
        notes.skip(run, reason)
        return None
    return pd.read_csv(path, dtype={"sequence": str, "frame": str})


def read_absences(config: dict) -> dict[str, dict[int, list[tuple[int, int]]]]:
    """{video: {object id: [(first, last) absent frames]}} of the synthetic Long-time Video ({} without)."""
    if not config["synthetic"]["enabled"]:
        return {}
    path = Path(synthetic_root(config)) / MANIFEST_NAME
    if not path.is_file():
        return {}
    manifest = json.loads(path.read_text())
    videos = manifest.get("videos", {}).get("long_video", [])
    return {v["name"]: {int(k): [tuple(r) for r in runs] for k, runs in v.get("absences", {}).items()}
            for v in videos}


def visibility_ground_truth(config: dict) -> Path | None:
    """The LV1 ground-truth folder the evaluator scored against, None when the profile has none on disk."""
    evaluation = dataset_layout("LV1", config).evaluation
    return Path(evaluation.gt) if evaluation is not None and Path(evaluation.gt).is_dir() else None


def choose_video(scores: pd.DataFrame, absences: dict[str, dict[int, list[tuple[int, int]]]]) -> str:
    """The video with the most scored frames; ties: the longest absence, then the name."""
    frames = scores.groupby("sequence")["frame"].nunique()

    def longest(video: str) -> int:
        return max((b - a + 1 for runs in absences.get(video, {}).values() for a, b in runs), default=0)

    return sorted(frames.index, key=lambda v: (-frames[v], -longest(v), v))[0]


def frame_number(name: str) -> int:
    """Frame index of a frame file name (``00040`` -> 40); the Long-time Video names frames by index."""
    return int(os.path.splitext(name)[0])


def before_after(j: pd.Series, spans: list[tuple[int, int]]) -> tuple[float, float]:
    """Mean J (index: frame number) before the first absence and after the first return (NaN if none)."""
    if not spans:
        return float(j.mean()) if len(j) else np.nan, np.nan
    first, last = spans[0]
    before, after = j[j.index < first], j[j.index > last]
    return (float(before.mean()) if len(before) else np.nan, float(after.mean()) if len(after) else np.nan)


def _events(stats: pd.DataFrame, column: str) -> list[int]:
    """Frames after which the cumulative counter ``column`` went up."""
    if column not in stats.columns or stats[column].isna().all():
        return []
    values = stats[column].fillna(0).to_numpy()
    steps = np.flatnonzero(np.diff(np.concatenate([[0], values])) > 0)
    return stats["frame_index"].to_numpy()[steps].tolist()


def draw_timeline(config: dict, out_png: Path) -> list[str]:
    """The timeline of one LV1 video; returns the footnotes."""
    notes = Notes()
    scores = {m.label: read_per_frame(config, m.run, notes) for m in METHODS}
    absences = read_absences(config)
    reference = scores[METHODS[0].label]
    if reference is None or reference.empty:
        fig = new_figure(10, 3)
        empty_axes_message(fig.add_subplot(1, 1, 1), "no per-frame scores of XMem on LV1 in this profile")
        save_figure(fig, out_png, config, "Timeline of a Long-time Video (diagnostic)", notes)
        return notes.lines
    video = choose_video(reference, absences)
    objects = sorted(int(o) for o in reference.loc[reference["sequence"] == video, "object"].unique())
    if not absences:
        notes.add("no absence records (not a synthetic Long-time Video): absences are not shaded")
    stats = {m.label: read_stats(config, m.run, notes) for m in MEMORY_RUNS}
    stats = {k: (None if v is None else v[v["video"] == video].sort_values("frame_index")) for k, v in stats.items()}
    xmem_stats = stats[METHODS[0].label]
    consolidations = _events(xmem_stats, "consolidations") if xmem_stats is not None else []
    evictions = _events(xmem_stats, "evicted_elements") if xmem_stats is not None else []

    fig = new_figure(11, 2.2 * len(objects) + 2.6)
    axes = fig.subplots(len(objects) + 1, 1, sharex=True, gridspec_kw={"height_ratios": [2] * len(objects) + [2.2]})
    summary = []
    for ax, obj in zip(axes[:-1], objects):
        spans = absences.get(video, {}).get(obj, [])
        for a, b in spans:
            ax.axvspan(a - 0.5, b + 0.5, color="0.85", zorder=0)
        for method in METHODS:
            table = scores[method.label]
            if table is None:
                continue
            rows = table[(table["sequence"] == video) & (table["object"] == obj)]
            j = pd.Series(100 * rows["J"].to_numpy(), index=[frame_number(f) for f in rows["frame"]]).sort_index()
            before, after = before_after(j, spans)
            ax.plot(j.index, j.to_numpy(), method.style, color=method.color, marker="o", markersize=3,
                    label=f"{method.label} (mean {j.mean():.1f})")
            if spans:
                summary.append(f"object {obj} {method.label}: J {before:.1f} before its first absence, "
                               f"{after:.1f} after its return")
        for t in consolidations:
            ax.axvline(t, color="tab:red", linestyle=":", linewidth=0.8, alpha=0.6)
        absent = sum(b - a + 1 for a, b in spans)
        ax.set_ylabel(f"object {obj}: J (%)")
        ax.set_ylim(-5, 105)
        ax.set_title(f"{video}, object {obj}: absent {absent} frames in {len(spans)} span(s) (shaded)", fontsize=9)
        ax.legend(fontsize=7, loc="upper right", ncol=2, framealpha=0.6)
    ax = axes[-1]
    for method in MEMORY_RUNS:
        table = stats[method.label]
        if table is None or table.empty:
            continue
        frames = table["frame_index"].to_numpy()
        ax.step(frames, table["work_elements"].to_numpy(), where="post", color=method.color, linestyle=method.style,
                label=f"{method.label}: working memory")
        if method is METHODS[0]:
            ax.step(frames, table["long_elements"].to_numpy(), where="post", color="darkred", linestyle="-.",
                    label="XMem: long-term memory")
            ticks = frames[table["is_memory_frame"].astype(bool).to_numpy()]
            ax.plot(ticks, np.zeros(len(ticks)), "|", color="tab:red", markersize=8, label="XMem memory frames")
    for t in consolidations:
        ax.axvline(t, color="tab:red", linestyle=":", linewidth=0.8, alpha=0.6)
    if evictions:
        ax.plot(evictions, [ax.get_ylim()[1] * 0.95] * len(evictions), "x", color="black", label="eviction")
    ax.set_ylabel("memory elements")
    ax.set_xlabel("frame")
    ax.legend(fontsize=7, loc="upper left", ncol=2)
    if xmem_stats is not None and not xmem_stats.empty:
        memory_frames = int(xmem_stats["is_memory_frame"].sum())
        notes.add(f"XMem on {video}: {memory_frames} memory frames, {len(consolidations)} consolidations "
                  f"(dotted lines), {len(evictions)} evictions; {len(xmem_stats)} frames")
    longest = max((b - a + 1 for spans in absences.get(video, {}).values() for a, b in spans), default=0)
    t_max, r = MemoryConfig().max_work_frames, config["inference"]["mem_every_long"]
    notes.add(f"working-memory span T_max x r = {t_max} x {r} = {t_max * r} frames; longest absence in {video}: "
              f"{longest} frames")
    gt = visibility_ground_truth(config)
    for method in METHODS:
        table = scores[method.label]
        if gt is not None and table is not None:
            rows = table[table["sequence"] == video]
            notes.add(f"{method.label} on {video}: {split_by_visibility(rows, object_visible(rows, gt)).describe()}")
    for line in summary:
        notes.add(line)
    save_figure(fig, out_png, config, f"Timeline of Long-time Video {video} (diagnostic, not in the paper)", notes)
    return notes.lines
