"""Shape families drawn as anti-aliased masks in sprite coordinates.

A shape is described by a :class:`ShapeRecipe` (family + parameters drawn once per object)
and drawn by :func:`draw_shape` into a square ``uint8 [S, S]`` mask (0..255). Coordinates
are in units of the object radius ``R = S / (2 * SPRITE_MARGIN)`` around the sprite centre,
so every family fits in the sprite. Articulated families (quadruped legs, bird wings) and
the blob (non-rigid wobble) change with the frame index ``t``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

SPRITE_MARGIN = 1.2  # sprite half-size / object radius
_SHIFT = 4  # fractional bits for sub-pixel drawing
_ONE = 1 << _SHIFT
ANIMATED_FAMILIES = frozenset({"blob", "quadruped", "bird"})


@dataclass(frozen=True)
class ShapeRecipe:
    family: str
    params: dict = field(hash=False, compare=False)

    @property
    def animated(self) -> bool:
        return self.family in ANIMATED_FAMILIES


def sample_shape(family: str, rng: np.random.Generator) -> ShapeRecipe:
    """Draw the parameters of one object of shape ``family``."""
    p: dict = {}
    if family == "ellipse":
        p["ratio"] = rng.uniform(0.45, 0.9)
    elif family == "polygon":
        n = int(rng.integers(3, 8))
        base = np.linspace(0, 2 * np.pi, n, endpoint=False) + rng.uniform(0, 2 * np.pi)
        p["angles"] = base + rng.uniform(-0.25, 0.25, n) * (2 * np.pi / n)
        p["radii"] = rng.uniform(0.75, 1.0, n)
    elif family == "star":
        p["points"] = int(rng.integers(4, 9))
        p["inner"] = rng.uniform(0.35, 0.6)
        p["phase"] = rng.uniform(0, 2 * np.pi)
    elif family == "blob":
        p["amps"] = rng.uniform(0.03, 0.11, 3)
        p["phases"] = rng.uniform(0, 2 * np.pi, 3)
        p["rates"] = rng.uniform(0.02, 0.08, 3)
    elif family == "ring":
        p["inner"] = rng.uniform(0.4, 0.62)
        p["ratio"] = rng.uniform(0.7, 1.0)
    elif family == "quadruped":
        p["rate"] = rng.uniform(0.2, 0.45)
        p["swing"] = rng.uniform(0.3, 0.6)
        p["neck"] = rng.uniform(-0.45, -0.15)
    elif family == "bird":
        p["rate"] = rng.uniform(0.25, 0.6)
        p["span"] = rng.uniform(0.7, 1.0)
    else:
        raise ValueError(f"unknown shape family {family!r}")
    return ShapeRecipe(family, p)


def _pts(points: np.ndarray, centre: float, radius: float) -> np.ndarray:
    """Unit coordinates ``[N, 2]`` (x, y) -> fixed-point pixel coordinates ``int32 [N, 2]``."""
    return np.round((centre + radius * np.asarray(points, np.float64)) * _ONE).astype(np.int32)


def _ellipse(mask, centre, radius, cx, cy, ax, ay, value=255):
    c = (int(round((centre + radius * cx) * _ONE)), int(round((centre + radius * cy) * _ONE)))
    axes = (max(1, int(round(radius * ax * _ONE))), max(1, int(round(radius * ay * _ONE))))
    cv2.ellipse(mask, c, axes, 0, 0, 360, value, -1, cv2.LINE_AA, _SHIFT)


def _limb(mask, centre, radius, x0, y0, angle, length, width):
    """A thick segment from (x0, y0) along ``angle`` (radians, 0 = +x, pi/2 = down)."""
    dx, dy = np.cos(angle), np.sin(angle)
    nx, ny = -dy * width / 2, dx * width / 2
    x1, y1 = x0 + dx * length, y0 + dy * length
    quad = np.array([[x0 + nx, y0 + ny], [x1 + nx, y1 + ny], [x1 - nx, y1 - ny], [x0 - nx, y0 - ny]])
    cv2.fillPoly(mask, [_pts(quad, centre, radius)], 255, cv2.LINE_AA, _SHIFT)
    _ellipse(mask, centre, radius, x1, y1, width / 2, width / 2)


def draw_shape(recipe: ShapeRecipe, size: int, t: float = 0.0) -> np.ndarray:
    """Draw ``recipe`` at frame ``t`` into a ``uint8 [size, size]`` mask (255 inside)."""
    mask = np.zeros((size, size), np.uint8)
    centre = (size - 1) / 2.0
    radius = size / (2.0 * SPRITE_MARGIN)
    p, fam = recipe.params, recipe.family
    if fam == "ellipse":
        _ellipse(mask, centre, radius, 0, 0, 1.0, p["ratio"])
    elif fam == "polygon":
        poly = np.stack([np.cos(p["angles"]), np.sin(p["angles"])], 1) * p["radii"][:, None]
        cv2.fillPoly(mask, [_pts(poly, centre, radius)], 255, cv2.LINE_AA, _SHIFT)
    elif fam == "star":
        n = p["points"]
        ang = p["phase"] + np.arange(2 * n) * np.pi / n
        rad = np.where(np.arange(2 * n) % 2 == 0, 1.0, p["inner"])
        poly = np.stack([np.cos(ang), np.sin(ang)], 1) * rad[:, None]
        cv2.fillPoly(mask, [_pts(poly, centre, radius)], 255, cv2.LINE_AA, _SHIFT)
    elif fam == "blob":
        ang = np.linspace(0, 2 * np.pi, 72, endpoint=False)
        rad = np.full_like(ang, 0.78)
        for k, (a, ph, rate) in enumerate(zip(p["amps"], p["phases"], p["rates"]), start=2):
            rad += a * np.sin(k * ang + ph + rate * t)
        poly = np.stack([np.cos(ang), np.sin(ang)], 1) * rad[:, None]
        cv2.fillPoly(mask, [_pts(poly, centre, radius)], 255, cv2.LINE_AA, _SHIFT)
    elif fam == "ring":
        _ellipse(mask, centre, radius, 0, 0, 1.0, p["ratio"])
        _ellipse(mask, centre, radius, 0, 0, p["inner"], p["inner"] * p["ratio"], value=0)
    elif fam == "quadruped":
        _draw_quadruped(mask, centre, radius, p, t)
    elif fam == "bird":
        _draw_bird(mask, centre, radius, p, t)
    else:
        raise ValueError(f"unknown shape family {fam!r}")
    return mask


def _draw_quadruped(mask, centre, radius, p, t):
    _ellipse(mask, centre, radius, 0.0, 0.0, 0.62, 0.3)  # body
    _limb(mask, centre, radius, 0.5, -0.05, p["neck"], 0.3, 0.2)  # neck
    hx, hy = 0.5 + 0.3 * np.cos(p["neck"]), -0.05 + 0.3 * np.sin(p["neck"])
    _ellipse(mask, centre, radius, hx + 0.05, hy, 0.2, 0.14)  # head
    phase = p["rate"] * t
    for i, (x0, offset) in enumerate([(0.4, 0.0), (0.3, np.pi), (-0.35, np.pi), (-0.45, 0.0)]):
        angle = np.pi / 2 + p["swing"] * np.sin(phase + offset + 0.3 * i)
        _limb(mask, centre, radius, x0, 0.15, angle, 0.62, 0.13)
    tail = np.pi * 0.85 + 0.25 * np.sin(phase * 0.7)
    _limb(mask, centre, radius, -0.58, -0.05, tail, 0.4, 0.08)


def _draw_bird(mask, centre, radius, p, t):
    _ellipse(mask, centre, radius, 0.0, 0.05, 0.6, 0.22)  # body
    _ellipse(mask, centre, radius, 0.55, -0.05, 0.2, 0.18)  # head
    beak = np.array([[0.72, -0.1], [0.98, -0.02], [0.72, 0.04]])
    cv2.fillPoly(mask, [_pts(beak, centre, radius)], 255, cv2.LINE_AA, _SHIFT)
    tail = np.array([[-0.5, 0.0], [-0.95, -0.18], [-0.95, 0.28], [-0.5, 0.12]])
    cv2.fillPoly(mask, [_pts(tail, centre, radius)], 255, cv2.LINE_AA, _SHIFT)
    lift = np.cos(p["rate"] * t)  # +1 wings up, -1 wings down
    tip_y = -0.05 - p["span"] * lift
    wing = np.array([[-0.25, 0.0], [0.2, 0.0], [0.05 - 0.15 * abs(lift), tip_y], [-0.35, tip_y * 0.8]])
    cv2.fillPoly(mask, [_pts(wing, centre, radius)], 255, cv2.LINE_AA, _SHIFT)
