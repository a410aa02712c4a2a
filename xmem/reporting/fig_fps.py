"""Fig. S7: FPS over processed frames for STCN (unbounded memory) and XMem with several LT_max.

Per run, the smoothed FPS curve of each video (:func:`fps_curve`) is averaged by
processed-frame index over the videos that reached that index. STCN's per-frame time is also fitted with a line
(:func:`fit_process_time`, averaged over videos) and drawn dashed as 1 / line, as in the paper.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from xmem.evaluation.memory_analysis import fit_process_time, fps_curve
from xmem.experiments.plan import fps_scaling_runs
from xmem.reporting.fig_common import MODEL_COLORS, Notes, empty_axes_message, new_figure, read_stats, save_figure

SMOOTHING_WINDOW = 50  # frames (trailing window of fps_curve)
XMEM_CMAP = "YlOrRd"


def mean_curve(stats, window: int) -> tuple[np.ndarray, np.ndarray]:
    """(frame indices, smoothed FPS averaged over videos by processed-frame index)."""
    curve = fps_curve(stats, window=window)
    mean = curve.groupby("frame_index")["fps_smoothed"].mean()
    return mean.index.to_numpy(dtype=float), mean.to_numpy(dtype=float)


def draw_fps_scaling(config: dict, out_png: Path, window: int = SMOOTHING_WINDOW) -> list[str]:
    """Fig. S7; returns the footnotes."""
    notes = Notes()
    fig = new_figure(7.0, 4.4)
    ax = fig.add_subplot(1, 1, 1)
    drawn = False
    stcn_run, xmem_runs = fps_scaling_runs(config)
    stats = read_stats(config, stcn_run, notes)
    if stats is not None:
        x, fps = mean_curve(stats, window)
        ax.plot(x, fps, color=MODEL_COLORS["stcn"], lw=1.5, label="STCN (unbounded memory)")
        fits = fit_process_time(stats).dropna()
        if len(fits):
            slope, intercept = float(fits["slope"].mean()), float(fits["intercept"].mean())
            grid = np.linspace(0, x.max(), 200)
            seconds = intercept + slope * grid
            valid = seconds > 0
            ax.plot(grid[valid], 1.0 / seconds[valid], "--", color=MODEL_COLORS["stcn"], lw=1.2,
                    label=f"STCN: 1 / linear fit of its time per frame (slope {slope * 1e3:.3g} ms per frame)")
        drawn = True
    colours = xmem_colours(len(xmem_runs))
    for colour, (n, run) in zip(colours, xmem_runs):
        stats = read_stats(config, run, notes)
        if stats is None:
            continue
        x, fps = mean_curve(stats, window)
        ax.plot(x, fps, color=colour, lw=1.5, label=f"XMem LT_max = {n}")
        drawn = True
    if not drawn:
        empty_axes_message(ax, "no run of this figure is available in this profile")
    else:
        ax.legend(fontsize=8)
        ax.set_ylim(bottom=0)
    ax.set_xlabel("processed frames")
    ax.set_ylabel(f"FPS (1 / process seconds, trailing {window}-frame window)")
    ax.grid(True, alpha=0.3)
    notes.add(f"STCN on {stcn_run.dataset}, XMem on LV3 (Long-time Video n×), offset 0; curves averaged over videos by frame index; "
              "dashed: 1 / (least-squares line of STCN's per-frame time), fitted per video and averaged")
    save_figure(fig, out_png, config, "Fig. S7: FPS over processed frames", notes)
    return notes.lines


def xmem_colours(count: int) -> list:
    """Reds to oranges, darkest for the smallest LT_max."""
    from matplotlib import colormaps

    cmap = colormaps[XMEM_CMAP]
    return [cmap(v) for v in np.linspace(0.95, 0.45, max(count, 1))][:count]
