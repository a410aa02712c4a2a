"""The workflow's figures: ``draw_figure(name, config, out_png)`` draws one PNG.

Inputs are the run outputs under ``Path(config["results"]) / run.path`` listed by
:func:`xmem.experiments.plan.build_figures` (scores/global_results.csv, stats/<video>.csv,
masks/<video>/<frame>.png). Every figure names the profile in its title and footer, skips
runs a profile cannot provide (saying so in a footnote) and is written atomically.
One module per group of figures: ``fig_scores`` (Fig. 1, 7), ``fig_similarity`` (Fig. 4),
``fig_consolidation`` (Fig. S1), ``fig_qualitative`` (Fig. S3), ``fig_fps`` (Fig. S7).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from xmem.errors import XMemError
from xmem.reporting.fig_consolidation import draw_consolidation
from xmem.reporting.fig_fps import draw_fps_scaling
from xmem.reporting.fig_qualitative import draw_qualitative
from xmem.reporting.fig_scores import draw_length_scaling, draw_memory_vs_quality, draw_short_vs_long
from xmem.reporting.fig_similarity import draw_similarity
from xmem.reporting.fig_timeline import draw_timeline

#: figure name -> drawing function (config, out_png, threads) -> footnotes
FIGURES: dict[str, Callable[[dict, Path, int], list[str]]] = {
    "fig1_memory_vs_quality": lambda c, p, t: draw_memory_vs_quality(c, p),
    "fig1_short_vs_long": lambda c, p, t: draw_short_vs_long(c, p),
    "fig4_similarity": lambda c, p, t: draw_similarity(c, p),
    "fig7_length_scaling": lambda c, p, t: draw_length_scaling(c, p),
    "figS1_consolidation": lambda c, p, t: draw_consolidation(c, p, threads=t),
    "figS3_qualitative": lambda c, p, t: draw_qualitative(c, p),
    "figS7_fps_scaling": lambda c, p, t: draw_fps_scaling(c, p),
    "timeline_lv1": lambda c, p, t: draw_timeline(c, p),
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
