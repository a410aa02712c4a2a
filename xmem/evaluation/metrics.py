"""Per-frame segmentation metrics of the DAVIS protocol: region similarity J and boundary F.

Pure numpy/OpenCV functions. Shapes: masks are ``[H, W]`` (bool or anything whose non-zero
pixels are foreground); :func:`region_similarity` also accepts stacks ``[..., H, W]``.

Definitions (Perazzi et al., CVPR 2016, as implemented by davis2017-evaluation):

* J = |A ∩ S| / |A ∪ S| over non-void pixels, and 1 when the union is empty.
* F = 2PR / (P + R) over one-pixel-wide boundary maps (:func:`boundary_map`). A
  predicted boundary pixel counts as matched when a ground-truth boundary pixel lies in
  the disk of radius ``r = ceil(bound_th * ||(H, W)||)`` around it (and vice versa for the
  recall); with ``bound_th = 0.008`` a 480x854 frame gives r = 8.

The fast path (:func:`score_objects`) restricts boundary extraction and dilation to the
bounding box of each object's ground truth and prediction plus a one-pixel margin. This
is exact: every boundary pixel lies inside that window and a dilated map only matters
where the other boundary map has pixels (see docs/evaluation.md).
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Sequence

import cv2
import numpy as np

DEFAULT_BOUND_TH = 0.008
_TWO_BY_TWO = np.ones((2, 2), dtype=np.uint8)


@lru_cache(maxsize=32)
def disk_kernel(radius: int) -> np.ndarray:
    """Disk structuring element ``[2r+1, 2r+1]`` uint8: 1 where x² + y² <= r².

    This is the element of ``skimage.morphology.disk(r)`` that the official tool uses;
    OpenCV's ``MORPH_ELLIPSE`` differs from it for r >= 2, so it is not used.
    """
    radius = int(radius)
    offsets = np.arange(-radius, radius + 1)
    kernel = (offsets[:, None] ** 2 + offsets[None, :] ** 2) <= radius * radius
    kernel = kernel.astype(np.uint8)
    kernel.setflags(write=False)
    return kernel


def boundary_radius(shape: Sequence[int], bound_th: float = DEFAULT_BOUND_TH) -> int:
    """Dilation radius in pixels for a frame of ``shape = (H, W)``.

    ``bound_th >= 1`` is taken as a radius in pixels, otherwise as a fraction of the
    image diagonal, rounded up.
    """
    if bound_th >= 1:
        return int(bound_th)
    return int(math.ceil(bound_th * math.hypot(shape[0], shape[1])))


def boundary_map(mask: np.ndarray) -> np.ndarray:
    """One-pixel-wide boundary of a binary mask, ``[H, W] -> [H, W]`` bool.

    A pixel is a boundary pixel when its value differs from its east, south or
    south-east neighbour (boundaries sit half a pixel towards the origin). On the last
    row only the east neighbour is compared, on the last column only the south one, and
    the bottom-right pixel is never a boundary — the same as replicating the last row and
    column outwards. Computed as the morphological gradient (max - min) over the 2x2
    window anchored at the pixel, with replicated borders.
    """
    seg = np.ascontiguousarray(np.asarray(mask).astype(bool, copy=False)).view(np.uint8)
    gradient = cv2.morphologyEx(seg, cv2.MORPH_GRADIENT, _TWO_BY_TWO, anchor=(0, 0), borderType=cv2.BORDER_REPLICATE)
    return gradient.view(bool)


def region_similarity(
    annotation: np.ndarray, segmentation: np.ndarray, void_pixels: np.ndarray | None = None
) -> float | np.ndarray:
    """Jaccard index J of binary masks.

    Args:
        annotation:   ground truth ``[..., H, W]`` (non-zero = object).
        segmentation: prediction, same shape.
        void_pixels:  optional ``[..., H, W]`` (broadcastable) mask of pixels to ignore.

    Returns:
        a float for ``[H, W]`` inputs, else an array of shape ``[...]``; 1 where the union
        of the (non-void) masks is empty.
    """
    gt = np.asarray(annotation).astype(bool, copy=False)
    seg = np.asarray(segmentation).astype(bool, copy=False)
    if gt.shape != seg.shape:
        raise ValueError(f"annotation {gt.shape} and segmentation {seg.shape} shapes differ")
    inter = gt & seg
    union = gt | seg
    if void_pixels is not None:
        keep = ~np.asarray(void_pixels).astype(bool, copy=False)
        inter &= keep
        union &= keep
    n_inter = np.count_nonzero(inter, axis=(-2, -1))
    n_union = np.count_nonzero(union, axis=(-2, -1))
    with np.errstate(invalid="ignore", divide="ignore"):
        j = np.where(n_union == 0, 1.0, n_inter / np.maximum(n_union, 1))
    return float(j) if j.ndim == 0 else j


def _f_from_counts(n_pred: int, n_gt: int, pred_matched: int, gt_matched: int) -> float:
    """F-measure from boundary pixel counts, with the official empty-boundary conventions."""
    if n_pred == 0 and n_gt > 0:
        precision, recall = 1.0, 0.0
    elif n_pred > 0 and n_gt == 0:
        precision, recall = 0.0, 1.0
    elif n_pred == 0 and n_gt == 0:
        precision, recall = 1.0, 1.0
    else:
        precision = pred_matched / float(n_pred)
        recall = gt_matched / float(n_gt)
    if precision + recall == 0:
        return 0.0
    return 2 * precision * recall / (precision + recall)


def _window(mask_union: np.ndarray) -> tuple[slice, slice] | None:
    """Bounding box of the non-zero pixels of ``[H, W]`` bool, grown by one pixel (clipped)."""
    x, y, w, h = cv2.boundingRect(np.ascontiguousarray(mask_union).view(np.uint8))
    if w == 0 or h == 0:
        return None
    height, width = mask_union.shape
    return slice(max(y - 1, 0), min(y + h + 1, height)), slice(max(x - 1, 0), min(x + w + 1, width))


def _boundary_f_window(gt: np.ndarray, pred: np.ndarray, radius: int) -> float:
    """F for binary masks cropped to their joint window (see :func:`_window`)."""
    gt_b = boundary_map(gt)
    pred_b = boundary_map(pred)
    n_gt = int(np.count_nonzero(gt_b))
    n_pred = int(np.count_nonzero(pred_b))
    if n_gt == 0 or n_pred == 0:
        return _f_from_counts(n_pred, n_gt, 0, 0)
    kernel = disk_kernel(radius)
    gt_dil = cv2.dilate(gt_b.view(np.uint8), kernel).view(bool)
    pred_dil = cv2.dilate(pred_b.view(np.uint8), kernel).view(bool)
    pred_matched = int(np.count_nonzero(pred_b & gt_dil))
    gt_matched = int(np.count_nonzero(gt_b & pred_dil))
    return _f_from_counts(n_pred, n_gt, pred_matched, gt_matched)


def _boundary_f_binary(gt: np.ndarray, pred: np.ndarray, radius: int) -> float:
    """F for binary ``[H, W]`` bool masks, computed in their joint bounding window."""
    window = _window(gt | pred)
    if window is None:
        return 1.0  # both masks empty: no boundaries on either side
    return _boundary_f_window(gt[window], pred[window], radius)


def boundary_f_measure(
    annotation: np.ndarray,
    segmentation: np.ndarray,
    void_pixels: np.ndarray | None = None,
    bound_th: float = DEFAULT_BOUND_TH,
) -> float | np.ndarray:
    """Boundary F-measure of binary masks.

    Args:
        annotation:   ground truth ``[H, W]`` or ``[T, H, W]`` (non-zero = object).
        segmentation: prediction, same shape.
        void_pixels:  optional mask of the same shape; void pixels are removed from both
                      masks before their boundaries are extracted.
        bound_th:     boundary tolerance (fraction of the diagonal, or pixels if >= 1).

    Returns:
        a float for ``[H, W]`` inputs, an array ``[T]`` for ``[T, H, W]`` inputs.
    """
    gt = np.asarray(annotation).astype(bool, copy=False)
    seg = np.asarray(segmentation).astype(bool, copy=False)
    if gt.shape != seg.shape:
        raise ValueError(f"annotation {gt.shape} and segmentation {seg.shape} shapes differ")
    if gt.ndim == 3:
        voids = [None] * len(gt) if void_pixels is None else list(void_pixels)
        return np.array([boundary_f_measure(g, s, v, bound_th) for g, s, v in zip(gt, seg, voids)])
    if gt.ndim != 2:
        raise ValueError(f"boundary_f_measure expects [H, W] or [T, H, W] masks, got shape {gt.shape}")
    if void_pixels is not None:
        keep = ~np.asarray(void_pixels).astype(bool, copy=False)
        gt, seg = gt & keep, seg & keep
    return _boundary_f_binary(np.ascontiguousarray(gt), np.ascontiguousarray(seg), boundary_radius(gt.shape, bound_th))


def score_objects(
    gt: np.ndarray, pred: np.ndarray, object_ids: Sequence[int], bound_th: float = DEFAULT_BOUND_TH
) -> tuple[np.ndarray, np.ndarray]:
    """J and F of every object in one frame of index masks.

    Args:
        gt:         ``[H, W]`` uint8 ground-truth ids; ids not in ``object_ids`` (e.g.
                    void 255) count as background.
        pred:       ``[H, W]`` uint8 predicted ids.
        object_ids: the K ids to score.

    Returns:
        ``(J, F)``, two float64 arrays ``[K]``.
    """
    radius = boundary_radius(gt.shape, bound_th)
    j = np.ones(len(object_ids), dtype=np.float64)
    f = np.ones(len(object_ids), dtype=np.float64)
    for i, obj in enumerate(object_ids):
        gt_k = gt == obj
        pred_k = pred == obj
        window = _window(gt_k | pred_k)
        if window is None:
            continue  # absent from both: J = F = 1
        gt_k, pred_k = gt_k[window], pred_k[window]
        n_inter = np.count_nonzero(gt_k & pred_k)
        n_union = np.count_nonzero(gt_k) + np.count_nonzero(pred_k) - n_inter
        j[i] = n_inter / n_union
        f[i] = _boundary_f_window(gt_k, pred_k, radius)
    return j, f
