"""Fig. S7: FPS over processed frames for STCN (unbounded memory) and XMem with several LT_max.

One panel per video (videos differ in length, so curves are never averaged by frame index):
each run's smoothed FPS curve (:func:`fps_curve`) of that video, and STCN's per-frame time
fitted with a line (:func:`fit_process_time`) drawn dashed as 1 / line, as in the paper.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from xmem.evaluation.memory_analysis import fit_process_time, fps_curve
from xmem.experiments.plan import fps_scaling_runs
from xmem.reporting.fig_common import MODEL_COLORS, Notes, empty_axes_message, new_figure, read_stats, save_figure

SMOOTHING_WINDOW = 50  # frames (trailing window of fps_curve)
MAX_PANELS = 4  # the longest videos get a panel; the others are footnoted
XMEM_CMAP = "YlOrRd"
TITLE = "Fig. S7: FPS over processed frames, per video"


def video_curves(stats, window: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """video -> (processed-frame indices, smoothed FPS) of one run."""
    curve = fps_curve(stats, window=window)
    return {str(video): (group["frame_index"].to_numpy(dtype=float), group["fps_smoothed"].to_numpy(dtype=float))
            for video, group in curve.groupby("video", sort=True)}


def draw_fps_scaling(config: dict, out_png: Path, window: int = SMOOTHING_WINDOW) -> list[str]:
    """Fig. S7; returns the footnotes."""
    notes = Notes()
    stcn_run, xmem_runs = fps_scaling_runs(config)
    series = []  # (label, colour, {video: (x, fps)}, {video: (slope, intercept)} or None)
    stcn_stats = read_stats(config, stcn_run, notes)
    if stcn_stats is not None:
        fits = fit_process_time(stcn_stats).dropna().set_index("video")
        series.append(("STCN (unbounded memory)", MODEL_COLORS["stcn"], video_curves(stcn_stats, window),
                       {str(v): (float(r.slope), float(r.intercept)) for v, r in fits.iterrows()}))
    for colour, (n, run) in zip(xmem_colours(len(xmem_runs)), xmem_runs):
        stats = read_stats(config, run, notes)
        if stats is not None:
            series.append((f"XMem LT_max = {n}", colour, video_curves(stats, window), None))
    lengths = {}
    for _, _, curves, _ in series:
        for video, (x, _) in curves.items():
            lengths[video] = max(lengths.get(video, 0), int(x.max()) + 1 if len(x) else 0)
    videos = sorted(lengths, key=lambda v: (-lengths[v], v))[:MAX_PANELS]
    if len(lengths) > len(videos):
        notes.add(f"{len(lengths) - len(videos)} shorter video(s) not shown (at most {MAX_PANELS} panels)")
    fig = new_figure(7.6, 2.6 * max(1, len(videos)))
    if not videos:
        empty_axes_message(fig.add_subplot(1, 1, 1), "no run of this figure is available in this profile")
    for i, video in enumerate(videos):
        ax = fig.add_subplot(len(videos), 1, i + 1)
        for label, colour, curves, fits in series:
            if video not in curves:
                continue
            x, fps = curves[video]
            ax.plot(x, fps, color=colour, lw=1.5, label=label)
            if fits and video in fits:
                slope, intercept = fits[video]
                grid = np.linspace(0, x.max(), 200)
                seconds = intercept + slope * grid
                valid = seconds > 0
                ax.plot(grid[valid], 1.0 / seconds[valid], "--", color=colour, lw=1.2,
                        label=f"STCN: 1 / linear fit of its time per frame ({slope * 1e3:.3g} ms more per frame)")
        ax.set_title(f"{video} ({lengths[video]} processed frames)", fontsize=9)
        ax.set_ylim(bottom=0)
        ax.set_ylabel("FPS", fontsize=9)
        ax.grid(True, alpha=0.3)
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=7, borderaxespad=0)
        if i == len(videos) - 1:
            ax.set_xlabel("processed frames")
    notes.add(f"STCN on {stcn_run.dataset}, XMem on LV3 (Long-time Video n×), offset 0; FPS = 1 / process seconds over a trailing {window}-frame window; "
              "one panel per video (videos differ in length, so no averaging by frame index); "
              "dashed: 1 / (least-squares line of STCN's per-frame time) of that video")
    save_figure(fig, out_png, config, TITLE, notes)
    return notes.lines


def xmem_colours(count: int) -> list:
    """Reds to oranges, darkest for the smallest LT_max."""
    from matplotlib import colormaps

    cmap = colormaps[XMEM_CMAP]
    return [cmap(v) for v in np.linspace(0.95, 0.45, max(count, 1))][:count]
