"""Fig. 4: the anisotropic L2 similarity in 2-D (no run inputs).

Three memory elements (red, green, blue dots) live in a 2-D key space; every background pixel
is a query whose colour is the affinity-weighted mix of the elements' colours, computed with
the project's own :func:`anisotropic_l2_similarity` and :func:`softmax_affinity`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from xmem.memory.similarity import anisotropic_l2_similarity, softmax_affinity
from xmem.reporting.fig_common import Notes, new_figure, save_figure

#: memory keys [3, 2] (x, y) and their colours (RGB)
KEYS = ((-1.3, -0.9), (1.4, -0.6), (0.1, 1.3))
COLORS = ((0.9, 0.1, 0.1), (0.1, 0.75, 0.1), (0.15, 0.25, 0.95))
SHRINKAGE = (1.0, 2.5, 6.0)  # s >= 1 per element for panels (b)-(d)
EXTENT = 3.0  # queries cover [-EXTENT, EXTENT]^2
#: selection e (x weight, y weight) of the two queries of panels (c) and (d)
SELECTION_VERTICAL = (0.15, 1.0)
SELECTION_HORIZONTAL = (1.0, 0.15)


@dataclass(frozen=True)
class Panel:
    title: str
    shrinkage: tuple[float, float, float] | None
    selection: tuple[float, float] | None


PANELS = (
    Panel("(a) L2 similarity (s = e = 1)", None, None),
    Panel("(b) with shrinkage s", SHRINKAGE, None),
    Panel("(c) with both (query 1:\nselection on the vertical axis)", SHRINKAGE, SELECTION_VERTICAL),
    Panel("(d) with both (query 2:\nselection on the horizontal axis)", SHRINKAGE, SELECTION_HORIZONTAL),
)


def affinity_colours(
    keys: torch.Tensor,
    colours: torch.Tensor,
    queries: torch.Tensor,
    shrinkage: torch.Tensor | None,
    selection: torch.Tensor | None,
) -> torch.Tensor:
    """Affinity-weighted colour of every query.

    Args:
        keys: memory keys [N, 2]; colours: [N, 3]; queries: [M, 2].
        shrinkage: [N] (s >= 1) or None (s = 1).
        selection: [2] weights in [0, 1] shared by all queries, or None (e = 1). It is always
            passed on as a tensor: without one the similarity function drops the query-only
            term -s|q|^2, which is constant over elements only when s is.

    Returns:
        [M, 3] colours: sum_i W_im * colour_i (W = softmax over the N elements).
    """
    mk = keys.T.unsqueeze(0)  # [1, 2, N]
    qk = queries.T.unsqueeze(0)  # [1, 2, M]
    s = None if shrinkage is None else shrinkage.to(keys.dtype).view(1, 1, -1)
    e = torch.ones_like(qk) if selection is None else selection.to(keys.dtype).view(1, 2, 1).expand_as(qk)
    affinity = softmax_affinity(anisotropic_l2_similarity(mk, s, qk, e))[0]  # [N, M]
    return affinity.T @ colours


def similarity_image(panel: Panel, resolution: int = 160) -> np.ndarray:
    """[resolution, resolution, 3] image of one panel (row 0 = top, y increases upwards)."""
    axis = torch.linspace(-EXTENT, EXTENT, resolution, dtype=torch.float64)
    ys, xs = torch.meshgrid(axis.flip(0), axis, indexing="ij")
    queries = torch.stack([xs.reshape(-1), ys.reshape(-1)], dim=1)
    keys = torch.tensor(KEYS, dtype=torch.float64)
    colours = torch.tensor(COLORS, dtype=torch.float64)
    s = None if panel.shrinkage is None else torch.tensor(panel.shrinkage, dtype=torch.float64)
    e = None if panel.selection is None else torch.tensor(panel.selection, dtype=torch.float64)
    mix = affinity_colours(keys, colours, queries, s, e)
    return mix.reshape(resolution, resolution, 3).clamp(0, 1).numpy()


def draw_similarity(config: dict, out_png: Path) -> list[str]:
    """Fig. 4 (a)-(d); returns the footnotes."""
    notes = Notes()
    fig = new_figure(12.0, 3.6)
    for i, panel in enumerate(PANELS):
        ax = fig.add_subplot(1, len(PANELS), i + 1)
        ax.imshow(similarity_image(panel), extent=(-EXTENT, EXTENT, -EXTENT, EXTENT), interpolation="bilinear")
        sizes = [40 * (s if panel.shrinkage else 1.0) for s in (panel.shrinkage or (1.0, 1.0, 1.0))]
        ax.scatter([k[0] for k in KEYS], [k[1] for k in KEYS], s=sizes, c=COLORS, edgecolors="black", linewidths=1.5)
        if panel.selection is not None:
            ex, ey = panel.selection
            ax.text(-EXTENT + 0.15, -EXTENT + 0.2, f"e = ({ex:g}, {ey:g})", color="white", fontsize=8)
        ax.set_title(panel.title, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    notes.add(f"computed with xmem.memory.similarity (anisotropic L2 + softmax) on 3 keys; dot area ~ s, "
              f"s = {SHRINKAGE}; e = (x, y) weights of the query's selection term")
    save_figure(fig, out_png, config, "Fig. 4: similarity functions in 2-D", notes, measured=False)
    return notes.lines
