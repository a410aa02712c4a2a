"""Fig. S3: XMem vs STCN masks on a Long-time Video 3× sequence (annotated frames only).

Rows: the frames, XMem's masks, STCN's masks, and the ground truth when it is on disk;
columns: about five annotated frames spread over the video (the LV3 runs save masks only on
frames with ground truth). Each object is filled in its palette colour (alpha 0.5) and outlined
(its colour on a white halo), so masks stay visible on striped or same-coloured backgrounds; a
legend names the object ids.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.patches import Patch
from PIL import Image

from xmem.experiments.datasets import dataset_layout
from xmem.experiments.paths import Run
from xmem.experiments.plan import STCN_LONG
from xmem.reporting.fig_common import Notes, empty_axes_message, new_figure, run_paths, save_figure, unavailable_reason
from xmem.utils.masks import DAVIS_PALETTE, read_index_mask, read_palette

ALPHA = 0.5
COLUMNS = 5
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png")


def overlay_mask(image: np.ndarray, mask: np.ndarray, palette: bytes, alpha: float = ALPHA) -> np.ndarray:
    """Blend palette colours of object pixels (ids 1..254) into ``image``.

    image: [H, W, 3] uint8; mask: [H, W] uint8 ids (0 background, 255 void: left as is).
    Returns [H, W, 3] uint8.
    """
    colours = np.frombuffer(palette, dtype=np.uint8).reshape(256, 3).astype(np.float32)
    out = image.astype(np.float32)
    objects = (mask > 0) & (mask < 255)
    out[objects] = (1 - alpha) * out[objects] + alpha * colours[mask[objects]]
    return out.round().clip(0, 255).astype(np.uint8)


def object_ids(masks: list[np.ndarray]) -> list[int]:
    """Object ids (1..254) present in any of ``masks``, sorted."""
    present = set()
    for mask in masks:
        present |= set(np.unique(mask).tolist())
    return sorted(i for i in present if 0 < i < 255)


def draw_outlines(ax, mask: np.ndarray, ids: list[int], palette: bytes) -> None:
    """Outline each object of ``mask`` in its palette colour on a white halo."""
    colours = np.frombuffer(palette, dtype=np.uint8).reshape(256, 3) / 255.0
    for i in ids:
        region = (mask == i).astype(float)
        if region.any() and not region.all():
            ax.contour(region, levels=[0.5], colors=["white"], linewidths=2.6)
            ax.contour(region, levels=[0.5], colors=[tuple(colours[i])], linewidths=1.3)


def spread(items: list[str], count: int) -> list[str]:
    """``count`` items evenly spread over ``items`` (all of them when there are fewer)."""
    if len(items) <= count:
        return list(items)
    picks = np.linspace(0, len(items) - 1, count).round().astype(int)
    return [items[i] for i in dict.fromkeys(picks.tolist())]


def _frame_image(image_dir: Path, frame: str, shape: tuple[int, int]) -> np.ndarray | None:
    for ext in IMAGE_EXTENSIONS:
        path = image_dir / f"{frame}{ext}"
        if path.is_file():
            with Image.open(path) as img:
                rgb = img.convert("RGB")
                if (rgb.height, rgb.width) != shape:
                    rgb = rgb.resize((shape[1], shape[0]), Image.BILINEAR)
                return np.asarray(rgb)
    return None


def draw_qualitative(config: dict, out_png: Path, columns: int = COLUMNS) -> list[str]:
    """Fig. S3 on the first LV3 video that both runs have masks for; returns the footnotes."""
    notes = Notes()
    runs = {"XMem": Run("xmem", "LV3"), "STCN": Run("stcn", "LV3", STCN_LONG)}
    available = {}
    for name, run in runs.items():
        reason = unavailable_reason(run, "masks", config)
        if reason:
            notes.skip(run, reason)
        else:
            available[name] = run_paths(config, run).masks
    videos = sorted(set.intersection(*[{p.name for p in d.iterdir() if p.is_dir()} for d in available.values()])) \
        if available else []
    frames: list[str] = []
    video = videos[0] if videos else None
    if video:
        names = [sorted(p.stem for p in (d / video).glob("*.png")) for d in available.values()]
        common = sorted(set(names[0]).intersection(*names[1:]))
        frames = spread(common[1:] if len(common) > columns else common, columns)  # skip the prompt frame
    if not frames:
        fig = new_figure(8.0, 3.0)
        empty_axes_message(fig.add_subplot(1, 1, 1), "no LV3 masks available in this profile")
        save_figure(fig, out_png, config, "Fig. S3: qualitative results on Long-time Video 3×", notes)
        return notes.lines

    layout = dataset_layout("LV3", config)
    image_dir = Path(layout.data_root) / "JPEGImages" / video
    gt = layout.evaluation.gt if layout.evaluation is not None else ""
    gt_dir = Path(gt) / video if gt else None
    has_gt = gt_dir is not None and all((gt_dir / f"{f}.png").is_file() for f in frames)
    first_mask = next(iter(available.values())) / video / f"{frames[0]}.png"
    palette = read_palette(first_mask) or DAVIS_PALETTE
    shape = read_index_mask(first_mask).shape
    rows = [("Images", None)] + [(name, d / video) for name, d in available.items()]
    if has_gt:
        rows.append(("Ground truth", gt_dir))
    aspect = shape[0] / shape[1]
    fig = new_figure(2.3 * len(frames) + 1.4, 2.3 * aspect * len(rows) + 0.4)
    masks = {(r, frame): read_index_mask(folder / f"{frame}.png") for r, (_, folder) in enumerate(rows)
             if folder is not None for frame in frames}
    ids = object_ids(list(masks.values()))
    missing_images = 0
    for c, frame in enumerate(frames):
        image = _frame_image(image_dir, frame, shape)
        if image is None:
            missing_images += 1
            image = np.full((*shape, 3), 128, np.uint8)
        for r, (label, folder) in enumerate(rows):
            ax = fig.add_subplot(len(rows), len(frames), r * len(frames) + c + 1)
            mask = masks.get((r, frame))
            ax.imshow(image if mask is None else overlay_mask(image, mask, palette))
            if mask is not None:
                draw_outlines(ax, mask, ids, palette)
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                ax.set_title(f"frame {frame}", fontsize=9)
                top_right = ax
            if c == 0:
                ax.set_ylabel(label, fontsize=9)
    colours = np.frombuffer(palette, dtype=np.uint8).reshape(256, 3) / 255.0
    handles = [Patch(facecolor=tuple(colours[i]), edgecolor="black", label=f"object {i}") for i in ids]
    if handles:  # beside the top-right image, outside every image
        top_right.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.03, 1.0), fontsize=8, borderaxespad=0, title="objects", title_fontsize=8)
    if missing_images:
        notes.add(f"{missing_images} frame image(s) not found in {image_dir}; masks drawn on grey")
    notes.add(f"video {video}; annotated frames only (LV3 runs save masks where ground truth exists); "
              f"XMem default, STCN {STCN_LONG}; offset 0; fill alpha {ALPHA}, outlines in the object's colour")
    if not has_gt:
        notes.add("ground-truth row omitted: annotations not found for these frames")
    save_figure(fig, out_png, config, "Fig. S3: qualitative results on Long-time Video 3×", notes)
    return notes.lines
