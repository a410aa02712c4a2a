"""Figures drawn from scores and memory logs: Fig. 1 (left and right) and Fig. 7.

* Fig. 1 left — memory increase per second of video at 24 FPS (the paper's assumption, §4.1:
  the increase per frame between frames 100 and 200 of Long-time Video x 24) against the
  short-video quality (DAVIS 2017 J&F); STCN at its native insertion (r = 5, no frame cap),
  as the paper measures memory before limiting the insertion frequency.
* Fig. 1 right — short-video (D17) against long-video (LV1, mean over offsets) J&F with the
  1:1 line; the paper's Table 1/2 values are shown as lighter "paper" points.
* Fig. 7 — J&F over the n× Long-time Video variants (mean ± std over the offsets the workflow
  ran for each variant) with least-squares lines.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from matplotlib.ticker import NullFormatter

from xmem.reporting.fig_common import (
    MODEL_COLORS,
    MODEL_NAMES,
    MemoryGrowth,
    Notes,
    empty_axes_message,
    format_bytes,
    memory_growth,
    mean_score,
    new_figure,
    planned_runs,
    read_score,
    read_stats,
    save_figure,
)
from xmem.reporting.paper import load_paper_results
from xmem.reporting.run_results import STD_ESTIMATOR
from xmem.experiments.paths import Run
from xmem.experiments.plan import FIG1_MEMORY_RUNS, STCN_LONG, TABLE_TARGETS, stcn_long_times
from xmem.experiments.profile import COPY_MODEL
from xmem.experiments.settings import long_dataset, mem_every, offsets


PAPER_FPS = 24  # §4.1: "Figure 1 (left) shows our findings, assuming 24FPS"
_DATASET_NAMES = {"D17": "DAVIS 2017 val", "LV1": "Long-time Video 1×"}


def dataset_source(code: str, config: dict) -> str:
    """The dataset behind an axis: its name and where it comes from in this profile."""
    name = _DATASET_NAMES.get(code, code)
    if config["synthetic"]["enabled"]:
        return f"{name} (synthetic stand-in, xmem synth)"
    key = "LV1" if code.startswith("LV") else code[:3]
    root = (config.get("datasets") or {}).get(key)
    return f"{name} ({root})" if root else f"{name} (not configured)"


def _window_text(growths: list[MemoryGrowth]) -> str:
    """The processed-frame windows of the memory increase, e.g. "frames 0→49" or "frames 100→200"."""
    spans = sorted({w for g in growths for w in g.windows})
    return "frames " + ", ".join(f"{a}→{b}" for a, b in spans) if spans else "no frames"


def memory_points(config: dict, notes: Notes) -> list[tuple[str, MemoryGrowth, float]]:
    """Fig. 1 (left) points: (model, memory growth on LV1, D17 J&F) of the runs of
    :data:`FIG1_MEMORY_RUNS` that exist."""
    pairs = tuple((model, run, Run(model, "D17")) for model, run in FIG1_MEMORY_RUNS.items())
    points = []
    for model, long_run, short_run in pairs:
        stats = read_stats(config, long_run, notes)
        growth = memory_growth(stats) if stats is not None else None
        if stats is not None and growth is None:
            notes.skip(long_run, "videos too short to measure a memory increase")
        jf = read_score(config, short_run, notes)
        if growth is None or jf is None:
            continue
        if not growth.paper_window:
            notes.add(f"{MODEL_NAMES[model]}: videos shorter than 201 processed frames; memory increase measured "
                      f"over the largest available window ({growth.describe()}), not the paper's 100→200")
        points.append((model, growth, jf))
    return points


def draw_memory_vs_quality(config: dict, out_png: Path) -> list[str]:
    """Fig. 1 (left): memory increase per second at 24 FPS on LV1 (log x) vs D17 J&F; returns the footnotes.

    Labels are in the legend (outside the axes), so none can cover a point; the paper's D17 J&F
    of the same methods (Table 2) are drawn as dotted lines: the paper prints no memory numbers
    for this figure, only draws them."""
    notes = Notes()
    fig = new_figure(7.6, 4.4)
    ax = fig.add_subplot(1, 1, 1)
    points = memory_points(config, notes)
    if not points:
        empty_axes_message(ax, "no run of this figure is available in this profile")
    per_second = {model: g.bytes_per_frame * PAPER_FPS for model, g, _ in points}
    positive = [v for v in per_second.values() if v > 0]
    floor = min(positive) / 10 if positive else 1.0
    for model, growth, jf in points:
        x, std = per_second[model], growth.std * PAPER_FPS
        shown = x if x > 0 else floor
        if x <= 0:
            notes.add(f"{MODEL_NAMES[model]}: memory did not grow ({x:.0f} B/s); drawn at the axis floor")
        ax.errorbar([shown], [jf], xerr=[[min(std, shown * 0.9)], [std]] if std else None,
                    fmt="o", ms=9, color=MODEL_COLORS[model], capsize=3,
                    label=f"{MODEL_NAMES[model]} (measured): {format_bytes(x)}/s, D17 J&F {jf:.1f}")
    ys = [jf for _, _, jf in points]
    for method, (_, d17) in _paper_points().items():
        model = method.lower()
        ax.axhline(d17, color=MODEL_COLORS[model], ls=":", lw=1.4, alpha=0.7,
                   label=f"{method} (paper, Table 2): D17 J&F {d17:.1f}")
        ys.append(d17)
    ax.set_xscale("log")
    if points:
        xs = [v if v > 0 else floor for v in per_second.values()]
        ax.set_xlim(min(xs) / 4, max(xs) * 8)
    if ys:
        ax.set_ylim(max(0, min(ys) - 8), min(100, max(ys) + 8))
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=7.5, borderaxespad=0)
    window = _window_text([g for _, g, _ in points])
    ax.xaxis.set_minor_formatter(NullFormatter())  # minor log ticks unlabelled: no overlapping tick labels
    ax.set_xlabel(f"memory increase per second at {PAPER_FPS} FPS (bytes/s, log scale)\n"
                  f"on {dataset_source('LV1', config)}, {window}", fontsize=8)
    ax.set_ylabel(f"J&F (%) on {dataset_source('D17', config)}", fontsize=8)
    ax.grid(True, which="both", alpha=0.3)
    r_short = config["inference"]["mem_every_short"]
    notes.add(f"memory = bytes held by the memory stores (memory_bytes, or CUDA allocation on GPU), per frame x "
              f"{PAPER_FPS} (§4.1 assumes 24 FPS); error bars: {STD_ESTIMATOR} over videos; STCN at its native "
              f"insertion (r = {r_short}, no 50-frame cap: measured before any limiting, as in §4.1); XMem default settings")
    notes.add("paper (Fig. 1 left): GPU memory increase between processed frames 100 and 200 at 480p; "
              "it prints no memory numbers, so only its D17 J&F (Table 2) is drawn (dotted)")
    save_figure(fig, out_png, config, f"Fig. 1 (left): memory growth ({window}) vs short-video quality", notes)
    return notes.lines


def _paper_points() -> dict[str, tuple[float, float]]:
    """{method: (LV1 J&F, D17 J&F)} for STCN and XMem from the paper's Tables 1 and 2."""
    cells = load_paper_results()
    out = {}
    for method in ("STCN", "XMem"):
        lv1 = cells[(cells["table"] == TABLE_TARGETS["table1"]) & (cells["method"] == method)
                    & (cells["dataset"] == "LV1") & (cells["metric"] == "J&F")]["value"]
        d17 = cells[(cells["table"] == TABLE_TARGETS["table2"]) & (cells["method"] == method)
                    & (cells["dataset"] == "D17") & (cells["metric"] == "J&F")]["value"]
        if len(lv1) and len(d17) and not (math.isnan(lv1.iloc[0]) or math.isnan(d17.iloc[0])):
            out[method] = (float(lv1.iloc[0]), float(d17.iloc[0]))
    return out


def draw_short_vs_long(config: dict, out_png: Path, paper_points: bool = True) -> list[str]:
    """Fig. 1 (right): D17 J&F (y) against LV1 J&F averaged over offsets (x), with the 1:1 line."""
    notes = Notes()
    fig = new_figure(8.4, 4.8)
    ax = fig.add_subplot(1, 1, 1)
    lv_offsets = offsets(config, mem_every("LV1", "default", config))
    models = (("xmem", "default", lv_offsets), ("stcn", STCN_LONG, lv_offsets), (COPY_MODEL, "default", [0]))
    values = []
    for model, setting, offs in models:
        long = mean_score(config, [Run(model, "LV1", setting, o) for o in offs], notes)
        short = read_score(config, Run(model, "D17"), notes)
        if long is None or short is None:
            continue
        mean, std, count = long
        spread = f" ± {std:.1f} ({count} offsets)" if count > 1 and std else ""
        ax.errorbar([mean], [short], xerr=[std] if count > 1 and std else None, fmt="o", ms=9, capsize=3,
                    color=MODEL_COLORS[model],
                    label=f"{MODEL_NAMES[model]} (measured): LV1 {mean:.1f}{spread}, D17 {short:.1f}")
        values += [mean, short]
    if paper_points:
        for method, (lv1, d17) in _paper_points().items():
            model = method.lower()
            ax.plot([lv1], [d17], marker="s", ms=8, mew=1.5, ls="none", color=MODEL_COLORS[model], alpha=0.6,
                    markerfacecolor="none", label=f"{method} (paper, Tables 1-2): LV1 {lv1:.1f}, D17 {d17:.1f}")
            values += [lv1, d17]
    if not values:
        empty_axes_message(ax, "no run of this figure is available in this profile")
        values = [0.0, 100.0]
    lo, hi = max(0.0, min(values) - 8), min(100.0, max(values) + 8)
    ax.plot([lo, hi], [lo, hi], "k--", lw=1, alpha=0.6, label="1:1")
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    ax.set_aspect("equal")
    ax.set_xlabel(f"J&F (%) on {dataset_source('LV1', config)}\nmean ± std over memory-insertion offsets",
                  fontsize=8)
    ax.set_ylabel(f"J&F (%) on {dataset_source('D17', config)}", fontsize=8)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=7.5, borderaxespad=0)  # labels off the points
    notes.add(f"XMem default and STCN ({STCN_LONG}, at most 50 memory frames) on LV1; "
              "the first-frame copy needs no memory (one run)")
    notes.add(f"error bars: {STD_ESTIMATOR} over the memory-insertion offsets")
    save_figure(fig, out_png, config, "Fig. 1 (right): short vs long videos", notes)
    return notes.lines


def _linear_fit(xs: list[float], ys: list[float]) -> tuple[float, float] | None:
    """(slope, intercept) of the least-squares line, None with fewer than two distinct x."""
    if len(set(xs)) < 2:
        return None
    slope, intercept = np.polyfit(np.asarray(xs, float), np.asarray(ys, float), 1)
    return float(slope), float(intercept)


def draw_length_scaling(config: dict, out_png: Path) -> list[str]:
    """Fig. 7: J&F over Long-time Video n× for XMem and STCN with dashed least-squares lines."""
    notes = Notes()
    fig = new_figure(6.4, 4.2)
    ax = fig.add_subplot(1, 1, 1)
    times = list(config["inference"]["long_times"])
    drawn = False
    slopes = []
    counts: set[int] = set()
    for model, setting in (("xmem", "default"), ("stcn", STCN_LONG)):
        xs, ys, errors = [], [], []
        for n in times if model == "xmem" else stcn_long_times(config):
            score = mean_score(config, planned_runs(config, Run(model, long_dataset(n), setting)), notes)
            if score is not None:
                mean, std, count = score
                xs.append(float(n))
                ys.append(mean)
                errors.append(std if count > 1 and not math.isnan(std) else 0.0)
                counts.add(count)
        if not xs:
            continue
        drawn = True
        fit = _linear_fit(xs, ys)
        slope = round(fit[0], 2) + 0.0 if fit else None  # + 0.0: no "-0.00"
        label = MODEL_NAMES[model] + (f" (slope {slope:+.2f} J&F per ×)" if fit else " (one point: no fit)")
        if fit:
            slopes.append(f"{MODEL_NAMES[model]} {slope:+.2f}")
        ax.errorbar(xs, ys, yerr=errors if any(errors) else None, fmt="o", capsize=3, color=MODEL_COLORS[model],
                    label=label)
        if fit:
            grid = np.linspace(min(xs), max(xs), 50)
            ax.plot(grid, fit[0] * grid + fit[1], "--", color=MODEL_COLORS[model], lw=1.2)
    if not drawn:
        empty_axes_message(ax, "no run of this figure is available in this profile")
    else:
        ax.legend(fontsize=8)
    ax.set_xticks(sorted(set(times) | set(stcn_long_times(config))))
    ax.set_xlabel("Long-time Video variant (n× the frames)")
    ax.set_ylabel("J&F (%)")
    ax.grid(True, alpha=0.3)
    if slopes:
        notes.add(f"fitted slopes (J&F points per n): {', '.join(slopes)}")
    spread = (f"error bars: ± std over the memory-insertion offsets the workflow ran for that variant "
              f"({', '.join(map(str, sorted(counts)))} runs per point)" if counts - {1} else
              "one run per point (offset 0): no error bars")
    notes.add(f"{spread}; STCN uses {STCN_LONG} (at most 50 memory frames); "
              "dashed: least-squares lines through the means (numpy.polyfit, degree 1)")
    save_figure(fig, out_png, config, "Fig. 7: performance over video length", notes)
    return notes.lines
