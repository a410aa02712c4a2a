"""Fig. S1: what the first memory consolidation of XMem aggregates.

XMem runs in-process on the longest Long-time Video 1× video (else the longest 3× one) until its
first consolidation,
observed through ``consolidation_observer``. The figure shows the candidate frames (working
memory frames turned into long-term memory) in the first row; each further row shows one
prototype (yellow cross at its key position on the h/16 × w/16 grid) and its aggregation
weights (its column of the potentiation affinity W(k_c, k_p)) as a red overlay on every
candidate frame; the frame holding the prototype is framed in red.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from xmem.errors import XMemError
from xmem.experiments.datasets import dataset_layout
from xmem.experiments.profile import weights_path
from xmem.experiments.settings import xmem_memory
from xmem.inference.config import InferenceConfig
from xmem.inference.datasets import VideoSpec
from xmem.inference.predictor import VideoPredictor
from xmem.inference.runner import load_frame, read_rgb
from xmem.inference.geometry import resized_shape
from xmem.inference.transforms import pad_to_multiple
from xmem.memory.config import MemoryConfig
from xmem.memory.consolidation import Prototypes
from xmem.methods import get_method
from xmem.reporting.fig_common import Notes, new_figure, save_figure
from xmem.utils.precision import describe_precision, resolve_amp

log = logging.getLogger(__name__)

STRIDES = (16, 8)  # key maps are at 1/16 of the (padded) processed frame, 1/8 for "small-s8" networks
PROTOTYPE_ROWS = 5
TITLE = "Fig. S1: the first memory consolidation"


@dataclass(frozen=True)
class ConsolidationCapture:
    """The first consolidation of a video.

    candidate_images: processed-size RGB frames [H, W, 3] uint8 of the candidate frames;
    indices: [P] candidate positions of the prototypes (None for k-means centroids);
    affinity: [N, P] aggregation weights (None without potentiation), N = frames * h16 * w16.
    """

    video: str
    candidate_frames: tuple[str, ...]
    candidate_images: tuple[np.ndarray, ...]
    grid: tuple[int, int]  # (h16, w16): the key map's rows and columns
    stride: int  # of the key map in processed-frame pixels (16, or 8 for "small-s8" networks)
    pad: tuple[int, int, int, int]  # (left, right, top, bottom) of the processed frame
    indices: np.ndarray | None
    affinity: np.ndarray | None
    memory_frames: tuple[str, ...]


def xmem_weights(config: dict) -> Path:
    """The XMem weights the workflow uses in this profile."""
    try:
        return Path(weights_path("xmem", config))
    except XMemError as exc:
        raise XMemError(f"figS1_consolidation: {exc}; set xmem_weights in the config") from None


@contextmanager
def torch_threads(threads: int):
    previous = torch.get_num_threads()
    torch.set_num_threads(max(1, int(threads)))
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def capture_first_consolidation(network, video: VideoSpec, inference: InferenceConfig,
                                device: torch.device = torch.device("cpu")) -> ConsolidationCapture | None:
    """Run ``video`` (through :class:`xmem.inference.predictor.VideoPredictor`) until the first
    consolidation and record it; None if none happens. ``network`` is used as given (eval mode)."""
    seen: dict[str, object] = {}

    def observer(candidate_key: torch.Tensor, prototypes: Prototypes, frame_hw: int) -> None:
        if seen:
            return
        seen["n"] = int(candidate_key.shape[-1])
        seen["hw"] = int(frame_hw)
        seen["indices"] = None if prototypes.indices is None else prototypes.indices.cpu().numpy()
        seen["affinity"] = None if prototypes.affinity is None else prototypes.affinity.float().cpu().numpy()

    predictor = VideoPredictor(network, inference, device, prepared=True)
    frames = (load_frame(video, spec, inference.size) for spec in video.frames)
    processed: list[tuple[str, np.ndarray]] = []  # (frame name, processed-size RGB) per processed frame t
    memory_t: list[int] = []
    pad = (0, 0, 0, 0)
    shape = (0, 0)
    for result in predictor.track_frames(frames, len(video.frames), ignore_ids=video.ignore_ids,
                                         consolidation_observer=observer):
        if not result.processed:
            continue
        rgb = read_rgb(video.frames[result.index].image)
        shape = resized_shape(rgb.shape[0], rgb.shape[1], inference.size)
        processed.append((result.name, np.asarray(Image.fromarray(rgb).resize((shape[1], shape[0]), Image.BILINEAR))))
        if result.memory.is_memory_frame:
            memory_t.append(len(processed) - 1)
        if seen:
            _, pad = pad_to_multiple(torch.zeros(1, *shape))
            break
    if not seen:
        return None
    padded = (shape[0] + pad[2] + pad[3], shape[1] + pad[0] + pad[1])
    hw = seen["hw"]
    stride = next((st for st in STRIDES if (padded[0] // st) * (padded[1] // st) == hw), None)
    if stride is None:
        raise XMemError(f"figS1_consolidation: key map has {hw} elements per frame, which no key stride in "
                        f"{STRIDES} gives for a {padded[0]}x{padded[1]} padded frame")
    h16, w16 = padded[0] // stride, padded[1] // stride
    count = seen["n"] // hw
    candidates = memory_t[1 : 1 + count]  # working memory keeps its first frame; candidates follow it
    return ConsolidationCapture(
        video=video.name,
        candidate_frames=tuple(processed[t][0] for t in candidates),
        candidate_images=tuple(processed[t][1] for t in candidates),
        grid=(h16, w16), stride=stride, pad=pad, indices=seen["indices"], affinity=seen["affinity"],
        memory_frames=tuple(processed[t][0] for t in memory_t),
    )


def weight_overlay(weights: np.ndarray, pad: tuple[int, int, int, int], shape: tuple[int, int],
                   stride: int = 16) -> np.ndarray:
    """RGBA red overlay [H, W, 4] from grid weights [h16, w16] in [0, 1] (nearest upsampling by ``stride``)."""
    full = np.kron(weights, np.ones((stride, stride)))
    left, _, top, _ = pad
    crop = full[top : top + shape[0], left : left + shape[1]]
    rgba = np.zeros((*crop.shape, 4))
    rgba[..., 0] = 1.0
    rgba[..., 3] = 0.85 * crop
    return rgba


def _prototype_columns(capture: ConsolidationCapture, rows: int) -> list[int]:
    p = capture.affinity.shape[1]
    return list(dict.fromkeys(np.linspace(0, p - 1, min(rows, p)).round().astype(int).tolist()))


def draw_capture(capture: ConsolidationCapture, config: dict, out_png: Path, notes: Notes,
                 rows: int = PROTOTYPE_ROWS, title: str = TITLE) -> None:
    """Draw a recorded consolidation (see the module docstring)."""
    frames = len(capture.candidate_frames)
    h16, w16 = capture.grid
    shape = capture.candidate_images[0].shape[:2]
    columns = _prototype_columns(capture, rows) if capture.affinity is not None else []
    if capture.affinity is None:
        notes.add("no aggregation weights: potentiation is off in these settings; candidate frames only")
    if capture.indices is None and columns:
        notes.add("k-means prototypes are centroids, not candidate positions: no cross drawn")
    n_rows = 1 + len(columns)
    aspect = shape[0] / shape[1]
    fig = new_figure(2.2 * frames + 0.8, 2.2 * aspect * n_rows + 0.3)
    for c, (name, image) in enumerate(zip(capture.candidate_frames, capture.candidate_images)):
        ax = fig.add_subplot(n_rows, frames, c + 1)
        ax.imshow(image)
        ax.set_title(f"frame {name}", fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
        if c == 0:
            ax.set_ylabel("candidates", fontsize=8)
    per_frame = h16 * w16
    for r, column in enumerate(columns, start=1):
        weights = capture.affinity[:, column].reshape(frames, h16, w16)
        weights = weights / max(float(weights.max()), 1e-12)
        where = None
        if capture.indices is not None:
            index = int(capture.indices[column])
            where = (index // per_frame, (index % per_frame) // w16, index % w16)
        for c in range(frames):
            ax = fig.add_subplot(n_rows, frames, r * frames + c + 1)
            ax.imshow(capture.candidate_images[c])
            ax.imshow(weight_overlay(weights[c], capture.pad, shape, capture.stride))
            ax.set_xticks([])
            ax.set_yticks([])
            if c == 0:
                ax.set_ylabel(f"prototype {column}", fontsize=8)
            if where is not None and where[0] == c:
                y = where[1] * capture.stride + capture.stride / 2 - capture.pad[2]
                x = where[2] * capture.stride + capture.stride / 2 - capture.pad[0]
                ax.plot([x], [y], marker="x", color="yellow", ms=11, mew=2.5)
                for spine in ax.spines.values():
                    spine.set_edgecolor("red")
                    spine.set_linewidth(3)
    notes.add(f"video {capture.video}; memory frames {', '.join(capture.memory_frames)}; "
              f"{capture.affinity.shape[1] if capture.affinity is not None else '?'} prototypes, "
              f"{len(columns)} shown (evenly spaced by position); red = aggregation weight, normalised per row")
    save_figure(fig, out_png, config, title, notes)


#: datasets searched for a consolidation, in order: the paper's LV1, then its 3× variant
SEARCH_DATASETS = ("LV1", "LV3")


def memory_frames(frames: int, mem_every: int) -> int:
    """Memory frames of a video of ``frames`` frames: the first frame, then every r-th."""
    return 1 + (frames - 1) // mem_every if frames > 0 else 0


def frames_for_consolidation(memory: MemoryConfig, mem_every: int) -> int:
    """Frames a video needs before its working memory reaches T_max frames (first consolidation)."""
    return (memory.max_work_frames - 1) * mem_every + 1


def _no_consolidation(config: dict, out_png: Path, notes: Notes, lines: list[str]) -> list[str]:
    fig = new_figure(8.0, 2.6)
    ax = fig.add_subplot(1, 1, 1)
    ax.axis("off")
    ax.text(0.5, 0.5, "No memory consolidation happened, so there is nothing to draw.\n" + "\n".join(lines),
            ha="center", va="center", transform=ax.transAxes, fontsize=9, color="dimgray", wrap=True)
    notes.add("no consolidation: " + "; ".join(lines))
    save_figure(fig, out_png, config, TITLE, notes)
    return notes.lines


def draw_consolidation(config: dict, out_png: Path, threads: int = 1, memory: MemoryConfig | None = None,
                       mem_every: int | None = None) -> list[str]:
    """Fig. S1 from the profile's XMem weights on the longest video of LV1, else of LV3 (a
    consolidation happens in the longest video if in any); ``memory`` / ``mem_every`` override the
    defaults (XMem's Long-time Video memory in the profile, at its key stride, and r). When no
    video is long enough the figure says so, with the numbers. Returns the footnotes."""
    notes = Notes()
    inf = config["inference"]
    device = torch.device("cuda" if config.get("device") == "cuda" and torch.cuda.is_available() else "cpu")
    amp = resolve_amp(inf.get("amp", False), device, "inference.amp")  # as the Long-time Video runs
    inference = InferenceConfig(mem_every=mem_every or inf["mem_every_long"], size=inf["size"],
                                memory=memory or xmem_memory(SEARCH_DATASETS[0], config), amp=amp)
    m = inference.memory
    needed = frames_for_consolidation(m, inference.mem_every)
    notes.add(f"settings: r = {inference.mem_every}, T_min = {m.min_work_frames}, T_max = {m.max_work_frames}, "
              f"P = {m.num_prototypes}, selection = {m.prototype_selection}, {describe_precision(amp, device)}, "
              f"weights {xmem_weights(config)}")
    searched = []
    network = None
    for code in SEARCH_DATASETS:
        layout = dataset_layout(code, config)
        if not layout.data_root or not Path(layout.data_root).is_dir():
            searched.append(f"{code} unavailable ({layout.reason or f'{layout.data_root} not on disk'})")
            continue
        videos = layout.ref.videos(inf["size"], save="all")
        if not videos:
            searched.append(f"{code} has no video")
            continue
        video = max(videos, key=lambda v: (len(v.frames), v.name))
        frames = len(video.frames)
        with torch_threads(threads):
            network = network or get_method("xmem").load(xmem_weights(config), device)
            capture = capture_first_consolidation(network, video, inference, device)
        if capture is None:
            searched.append(f"longest {code} video {video.name}: {frames} frames = "
                            f"{memory_frames(frames, inference.mem_every)} memory frames at r = {inference.mem_every}; "
                            f"a consolidation needs T_max = {m.max_work_frames} (about {needed} frames)")
            continue
        notes.add(f"dataset {code}, its longest video; " + "; ".join(f"skipped {s}" for s in searched)
                  if searched else f"dataset {code}, its longest video")
        draw_capture(capture, config, out_png, notes, title=f"{TITLE} in {code} video {video.name}")
        return notes.lines
    return _no_consolidation(config, out_png, notes, searched)
