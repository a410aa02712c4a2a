"""J and F per frame: hand-computed cases and equivalence of the fast (cropped) path."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from xmem.evaluation.metrics import (
    boundary_f_measure,
    boundary_map,
    boundary_radius,
    disk_kernel,
    region_similarity,
    score_objects,
)


def reference_boundary(seg: np.ndarray) -> np.ndarray:
    """Boundary by its definition, pixel by pixel: differs from E, S or SE neighbour;
    last row compares E only, last column S only, bottom-right corner never."""
    h, w = seg.shape
    out = np.zeros((h, w), dtype=bool)
    for y in range(h):
        for x in range(w):
            if y == h - 1 and x == w - 1:
                continue
            if y == h - 1:
                out[y, x] = seg[y, x] != seg[y, x + 1]
            elif x == w - 1:
                out[y, x] = seg[y, x] != seg[y + 1, x]
            else:
                out[y, x] = seg[y, x] != seg[y, x + 1] or seg[y, x] != seg[y + 1, x] or seg[y, x] != seg[y + 1, x + 1]
    return out


def full_frame_f(gt: np.ndarray, pred: np.ndarray, radius: int) -> float:
    """Uncropped F: full-frame boundaries and dilations."""
    gb, pb = reference_boundary(gt), reference_boundary(pred)
    kernel = disk_kernel(radius)
    n_g, n_p = gb.sum(), pb.sum()
    if n_p == 0 and n_g == 0:
        return 1.0
    if n_p == 0 or n_g == 0:
        return 0.0
    precision = (pb & cv2.dilate(gb.astype(np.uint8), kernel).astype(bool)).sum() / n_p
    recall = (gb & cv2.dilate(pb.astype(np.uint8), kernel).astype(bool)).sum() / n_g
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


def random_blobs(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    mask = np.zeros(shape, dtype=np.uint8)
    for _ in range(rng.integers(0, 4)):
        centre = (int(rng.integers(-4, shape[1] + 4)), int(rng.integers(-4, shape[0] + 4)))
        cv2.circle(mask, centre, int(rng.integers(1, 15)), 1, -1)
    return mask.astype(bool)


def test_disk_kernel_is_the_euclidean_disk():
    assert disk_kernel(1).tolist() == [[0, 1, 0], [1, 1, 1], [0, 1, 0]]
    assert disk_kernel(2).sum(axis=1).tolist() == [1, 3, 5, 3, 1]
    assert int(disk_kernel(8).sum()) == 197  # lattice points with x² + y² <= 64
    # OpenCV's ellipse element is a different shape, which is why it is not used
    assert not np.array_equal(disk_kernel(8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (17, 17)))


def test_boundary_radius():
    assert boundary_radius((480, 854)) == 8  # ceil(0.008 * 979.6)
    assert boundary_radius((480, 910)) == 9  # ceil(0.008 * 1028.8)
    assert boundary_radius((480, 854), bound_th=3) == 3


def test_boundary_map_small_example():
    seg = np.zeros((3, 3), dtype=bool)
    seg[1, 1] = True
    assert boundary_map(seg).astype(int).tolist() == [[1, 1, 0], [1, 1, 0], [0, 0, 0]]
    # a mask covering the whole frame has no boundary at all
    assert not boundary_map(np.ones((5, 7), dtype=bool)).any()


def test_boundary_map_matches_definition_on_random_masks():
    rng = np.random.default_rng(0)
    for _ in range(100):
        shape = tuple(int(v) for v in rng.integers(1, 14, size=2))
        seg = rng.random(shape) < rng.random()
        np.testing.assert_array_equal(boundary_map(seg), reference_boundary(seg))


def test_region_similarity_hand_computed():
    gt = np.zeros((4, 4), dtype=bool)
    pred = np.zeros((4, 4), dtype=bool)
    gt[0, 0:4] = True  # 4 pixels
    pred[0, 1:4] = True
    pred[1, 0:3] = True  # 6 pixels, 3 shared
    assert region_similarity(gt, pred) == pytest.approx(3 / 7)
    void = np.zeros((4, 4), dtype=bool)
    void[1, 0] = True  # removes one predicted-only pixel from the union
    assert region_similarity(gt, pred, void) == pytest.approx(3 / 6)
    assert region_similarity(np.zeros((3, 3)), np.zeros((3, 3))) == 1.0
    stacked = region_similarity(np.stack([gt, gt]), np.stack([pred, gt]))
    np.testing.assert_allclose(stacked, [3 / 7, 1.0])


def test_boundary_f_hand_computed_shift():
    # 10x10 squares two columns apart, tolerance radius 1 pixel: 22 of the 40 boundary
    # pixels of each ring are within one pixel (4-neighbourhood) of the other ring.
    gt = np.zeros((40, 40), dtype=bool)
    gt[10:20, 10:20] = True
    pred = np.zeros((40, 40), dtype=bool)
    pred[10:20, 12:22] = True
    assert boundary_f_measure(gt, pred, bound_th=1) == pytest.approx(22 / 40)
    shifted_one = np.zeros((40, 40), dtype=bool)
    shifted_one[10:20, 11:21] = True
    assert boundary_f_measure(gt, shifted_one, bound_th=1) == 1.0


def test_boundary_f_tolerance_is_ceil_of_diagonal_fraction():
    gt = np.zeros((480, 854), dtype=bool)
    gt[100:300, 200:400] = True
    within = np.zeros_like(gt)
    within[100:300, 208:408] = True  # 8 px shift: every boundary pixel within the radius 8
    beyond = np.zeros_like(gt)
    beyond[100:300, 209:409] = True
    assert boundary_f_measure(gt, within) == 1.0
    assert boundary_f_measure(gt, beyond) < 1.0


def test_boundary_f_empty_conventions():
    empty = np.zeros((20, 20), dtype=bool)
    blob = empty.copy()
    blob[5:9, 5:9] = True
    far = empty.copy()
    far[15:19, 15:19] = True
    assert boundary_f_measure(empty, empty) == 1.0
    assert boundary_f_measure(blob, empty) == 0.0  # precision 1, recall 0
    assert boundary_f_measure(empty, blob) == 0.0  # precision 0, recall 1
    assert boundary_f_measure(blob, far, bound_th=1) == 0.0


def test_cropped_f_equals_full_frame_f():
    rng = np.random.default_rng(1)
    for _ in range(60):
        shape = tuple(int(v) for v in rng.integers(8, 60, size=2))
        gt, pred = random_blobs(rng, shape), random_blobs(rng, shape)
        radius = int(rng.integers(1, 6))
        assert boundary_f_measure(gt, pred, bound_th=radius) == full_frame_f(gt, pred, radius)


def test_boundary_f_void_removed_before_boundaries():
    gt = np.zeros((30, 30), dtype=bool)
    gt[5:15, 5:15] = True
    pred = gt.copy()
    pred[5:15, 15:20] = True  # extends right by 5 px
    void = np.zeros_like(gt)
    void[:, 15:] = True  # ... into a void area: both boundaries become identical
    assert boundary_f_measure(gt, pred, bound_th=1) < 1.0
    assert boundary_f_measure(gt, pred, void, bound_th=1) == 1.0
    stack = boundary_f_measure(np.stack([gt, gt]), np.stack([pred, gt]), bound_th=1)
    assert stack.shape == (2,) and stack[1] == 1.0


def test_score_objects_matches_binary_metrics_and_ignores_void():
    rng = np.random.default_rng(2)
    for _ in range(20):
        shape = (int(rng.integers(10, 50)), int(rng.integers(10, 50)))
        gt = rng.integers(0, 4, size=shape).astype(np.uint8) * random_blobs(rng, shape)
        gt[rng.random(shape) < 0.05] = 255
        pred = rng.integers(0, 4, size=shape).astype(np.uint8) * random_blobs(rng, shape)
        j, f = score_objects(gt, pred, [1, 2, 3])
        for i, obj in enumerate([1, 2, 3]):
            assert j[i] == region_similarity(gt == obj, pred == obj)
            assert f[i] == boundary_f_measure(gt == obj, pred == obj)
