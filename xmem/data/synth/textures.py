"""Procedural textures: scalar fields in [0, 1] mapped through colour schemes.

Every texture family produces a ``float32 [H, W]`` field; :func:`colourise` maps it to
``float32 [H, W, 3]`` RGB (0..255) by interpolating a colour scheme. Re-colouring the same
field with a second scheme gives a gradual appearance change without changing the pattern.
"""

from __future__ import annotations

import cv2
import numpy as np

# Colour schemes (RGB). Each object draws one scheme and jitters it slightly.
COLOUR_SCHEMES: dict[str, tuple[tuple[int, int, int], ...]] = {
    "warm": ((120, 20, 10), (220, 80, 20), (250, 190, 60), (255, 240, 180)),
    "cool": ((10, 30, 90), (30, 110, 190), (90, 200, 230), (220, 245, 255)),
    "earth": ((60, 40, 20), (130, 90, 50), (190, 160, 110), (230, 215, 180)),
    "forest": ((10, 50, 20), (40, 120, 40), (140, 180, 60), (220, 230, 150)),
    "neon": ((255, 0, 130), (20, 240, 60), (0, 200, 255), (255, 250, 0)),
    "pastel": ((250, 200, 210), (200, 230, 250), (210, 250, 200), (250, 240, 190)),
    "mono": ((15, 15, 15), (90, 90, 90), (170, 170, 170), (245, 245, 245)),
    "sunset": ((60, 10, 80), (200, 40, 90), (250, 130, 60), (255, 220, 120)),
    "ocean": ((0, 40, 60), (0, 110, 120), (60, 170, 160), (200, 240, 220)),
    "candy": ((240, 60, 60), (250, 250, 250), (60, 60, 240), (250, 200, 0)),
}
SCHEME_NAMES: tuple[str, ...] = tuple(COLOUR_SCHEMES)


def random_palette(rng: np.random.Generator, exclude: str | None = None) -> tuple[str, np.ndarray]:
    """Draw a colour scheme (not ``exclude``) and jitter it: returns (name, ``float32 [K, 3]``)."""
    names = [n for n in SCHEME_NAMES if n != exclude]
    name = names[int(rng.integers(len(names)))]
    colours = np.array(COLOUR_SCHEMES[name], dtype=np.float32)
    if rng.random() < 0.5:
        colours = colours[::-1].copy()
    colours += rng.normal(0.0, 12.0, size=colours.shape).astype(np.float32)
    return name, np.clip(colours, 0, 255)


def mute_palette(palette: np.ndarray, amount: float) -> np.ndarray:
    """Pull a palette towards its mean colour by ``amount`` in [0, 1] (lower contrast)."""
    return palette + amount * (palette.mean(axis=0, keepdims=True) - palette)


def colourise(fld: np.ndarray, palette: np.ndarray) -> np.ndarray:
    """Map a field ``[H, W]`` in [0, 1] through ``palette [K, 3]`` -> ``float32 [H, W, 3]``."""
    stops = np.linspace(0.0, 1.0, len(palette))
    flat = fld.reshape(-1)
    out = np.stack([np.interp(flat, stops, palette[:, c]) for c in range(3)], axis=-1)
    return out.reshape(*fld.shape, 3).astype(np.float32)


def _normalise(x: np.ndarray) -> np.ndarray:
    lo, hi = float(x.min()), float(x.max())
    return ((x - lo) / (hi - lo + 1e-6)).astype(np.float32)


def _coords(rng: np.random.Generator, h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel coordinates rotated by a random angle: (u, v), each ``float32 [H, W]``."""
    theta = rng.uniform(0, np.pi)
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    c, s = np.float32(np.cos(theta)), np.float32(np.sin(theta))
    return xs * c + ys * s, -xs * s + ys * c


def value_noise(rng: np.random.Generator, h: int, w: int, scale: float, octaves: int = 3) -> np.ndarray:
    """Fractal value noise in [0, 1]; ``scale`` = feature size of the coarsest octave in pixels."""
    total = np.zeros((h, w), np.float32)
    weight = 1.0
    for octave in range(octaves):
        cell = max(scale / (2**octave), 2.0)
        gh, gw = int(np.ceil(h / cell)) + 2, int(np.ceil(w / cell)) + 2
        grid = rng.random((gh, gw), dtype=np.float32)
        up = cv2.resize(grid, (int(gw * cell), int(gh * cell)), interpolation=cv2.INTER_CUBIC)
        total += weight * up[:h, :w]
        weight *= 0.5
    return _normalise(total)


def _stripes(rng, h, w, scale):
    u, _ = _coords(rng, h, w)
    period = scale * rng.uniform(0.5, 1.2)
    wave = 0.5 + 0.5 * np.sin(2 * np.pi * u / period + rng.uniform(0, 2 * np.pi))
    sharp = rng.uniform(1.0, 4.0)
    return np.clip((wave - 0.5) * sharp + 0.5, 0, 1)


def _checker(rng, h, w, scale):
    u, v = _coords(rng, h, w)
    cell = scale * rng.uniform(0.3, 0.8)
    board = (np.floor(u / cell) + np.floor(v / cell)) % 2
    lo, hi = rng.uniform(0.0, 0.3), rng.uniform(0.7, 1.0)
    return lo + (hi - lo) * board + 0.08 * (value_noise(rng, h, w, scale, 2) - 0.5)


def _gradient(rng, h, w, scale):
    if rng.random() < 0.5:
        u, _ = _coords(rng, h, w)
        base = _normalise(u)
    else:
        ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
        cy, cx = rng.uniform(0, h), rng.uniform(0, w)
        base = _normalise(np.hypot(ys - cy, xs - cx))
    return 0.85 * base + 0.15 * value_noise(rng, h, w, scale, 2)


def _spots(rng, h, w, scale):
    fld = np.full((h, w), rng.uniform(0.0, 0.25), np.float32)
    count = int(np.clip(h * w / (scale * scale) * rng.uniform(1.0, 3.0), 3, 400))
    for _ in range(count):
        centre = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        radius = max(1, int(scale * rng.uniform(0.12, 0.35)))
        cv2.circle(fld, centre, radius, float(rng.uniform(0.5, 1.0)), -1, lineType=cv2.LINE_AA)
    return cv2.GaussianBlur(fld, (3, 3), 0)


def _waves(rng, h, w, scale):
    u, _ = _coords(rng, h, w)
    warp = value_noise(rng, h, w, scale * 1.5, 2)
    period = scale * rng.uniform(0.4, 1.0)
    return 0.5 + 0.5 * np.sin(2 * np.pi * u / period + rng.uniform(2.0, 6.0) * warp)


_FAMILIES = {
    "noise": lambda rng, h, w, scale: value_noise(rng, h, w, scale),
    "stripes": _stripes,
    "checker": _checker,
    "gradient": _gradient,
    "spots": _spots,
    "waves": _waves,
}


def texture_field(family: str, rng: np.random.Generator, h: int, w: int, scale: float) -> np.ndarray:
    """A ``float32 [h, w]`` field in [0, 1] of texture ``family`` with feature size ``scale`` px."""
    fld = _FAMILIES[family](rng, h, w, max(float(scale), 2.0))
    return np.clip(fld, 0.0, 1.0).astype(np.float32)
