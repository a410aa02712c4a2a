"""The workflow's figures: ``draw_figure(name, config, out_png)`` draws one PNG.

Inputs are the run outputs under ``Path(config["results"]) / run.path`` listed by
:func:`xmem.experiments.plan.build_figures` (scores/global_results.csv, stats/<video>.csv,
masks/<video>/<frame>.png). Every figure names the profile in its title and footer, skips
runs a profile cannot provide (saying so in a footnote) and is written atomically.
One module per group of figures: ``fig_scores`` (Fig. 1, 7), ``fig_similarity`` (Fig. 4),
``fig_consolidation`` (Fig. S1), ``fig_qualitative`` (Fig. S3), ``fig_fps`` (Fig. S7).
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Callable

from xmem.errors import XMemError

DrawFunction = Callable[[dict, Path, int], list[str]]  # (config, out_png, threads) -> footnotes


def _drawn_by(module: str, function: str, threaded: bool = False) -> DrawFunction:
    """The drawing function ``xmem.reporting.<module>.<function>``, imported when the figure is drawn
    (a figure job then imports only its own module: torch only for the figures that run a network)."""
    def draw(config: dict, out_png: Path, threads: int) -> list[str]:
        fn = getattr(importlib.import_module(f"xmem.reporting.{module}"), function)
        return fn(config, out_png, threads=threads) if threaded else fn(config, out_png)
    return draw


#: figure name -> drawing function
FIGURES: dict[str, DrawFunction] = {
    "fig1_memory_vs_quality": _drawn_by("fig_scores", "draw_memory_vs_quality"),
    "fig1_short_vs_long": _drawn_by("fig_scores", "draw_short_vs_long"),
    "fig4_similarity": _drawn_by("fig_similarity", "draw_similarity"),
    "fig7_length_scaling": _drawn_by("fig_scores", "draw_length_scaling"),
    "figS1_consolidation": _drawn_by("fig_consolidation", "draw_consolidation", threaded=True),
    "figS3_qualitative": _drawn_by("fig_qualitative", "draw_qualitative"),
    "figS7_fps_scaling": _drawn_by("fig_fps", "draw_fps_scaling"),
    "timeline_lv1": _drawn_by("fig_timeline", "draw_timeline"),
}

#: one-line captions used by the report
CAPTIONS = {
    "fig1_memory_vs_quality": "Fig. 1 (left): memory increase per second at 24 FPS on Long-time Video 1× (STCN at "
                              "its native r = 5, no cap) against DAVIS 2017 J&F. The paper measures GPU memory "
                              "between processed frames 100 and 200; the frames used here are named in the "
                              "figure's title (shorter videos: the largest window); dotted: the paper's D17 J&F "
                              "(Table 2).",
    "fig1_short_vs_long": "Fig. 1 (right): short-video (DAVIS 2017) against long-video (Long-time Video 1×) J&F; "
                          "dashed 1:1 line; open squares are the paper's numbers (Tables 1-2); labels in the legend.",
    "fig4_similarity": "Fig. 4: L2 vs anisotropic L2 similarity in 2-D (illustration, no measurement).",
    "fig7_length_scaling": "Fig. 7: J&F over Long-time Video 1×…n× with least-squares lines; error bars: ± std over "
                           "memory-insertion offsets where the workflow ran several.",
    "figS1_consolidation": "Fig. S1: the first consolidation of the longest LV1 video (else LV3): candidate frames, "
                           "prototypes (yellow crosses) and their aggregation weights; says so when none happened.",
    "figS3_qualitative": "Fig. S3: XMem vs STCN masks (filled and outlined, objects in the legend) on annotated "
                         "frames of a Long-time Video 3× sequence.",
    "figS7_fps_scaling": "Fig. S7: FPS over processed frames for STCN (unbounded memory) and XMem with several "
                         "LT_max, one panel per video.",
    "timeline_lv1": "Timeline (diagnostic, not in the paper): per-frame J of XMem, STCN, XMem without long-term "
                    "memory and the first-frame copy on one Long-time Video, absences shaded, XMem's memory below "
                    "(memory frames, consolidations, evictions).",
}


def draw_figure(name: str, config: dict, out_png: Path, threads: int = 1) -> None:
    """Draw figure ``name`` (a key of :data:`FIGURES`) for profile ``config`` into ``out_png``."""
    try:
        draw = FIGURES[name]
    except KeyError:
        raise XMemError(f"unknown figure {name!r}; use one of {', '.join(FIGURES)}") from None
    draw(config, Path(out_png), threads)
