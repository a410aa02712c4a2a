"""Unannotated scenery: textured backgrounds with static clutter, and foreground occluders."""

from __future__ import annotations

import math

import numpy as np

from xmem.data.synth.categories import SHAPE_FAMILIES, TEXTURE_FAMILIES
from xmem.data.synth.motion import Motion, Pose
from xmem.data.synth.render import Appearance, Layer, composite
from xmem.data.synth.shapes import SPRITE_MARGIN, draw_shape, sample_shape
from xmem.data.synth.textures import colourise, mute_palette, random_palette, texture_field


def sample_background(rng: np.random.Generator, height: int, width: int, clutter: tuple[int, int]) -> np.ndarray:
    """``float32 [height, width, 3]`` textured canvas with a few static object-like shapes."""
    short = min(height, width)
    family = TEXTURE_FAMILIES[int(rng.integers(len(TEXTURE_FAMILIES)))]
    fld = texture_field(family, rng, height, width, scale=short * rng.uniform(0.1, 0.4))
    _, palette = random_palette(rng)
    canvas = colourise(fld, mute_palette(palette, rng.uniform(0.2, 0.6)))
    for _ in range(int(rng.integers(clutter[0], clutter[1] + 1))):
        radius = short * rng.uniform(0.06, 0.2)
        size = int(math.ceil(2 * SPRITE_MARGIN * radius)) + 2
        shape = sample_shape(SHAPE_FAMILIES[int(rng.integers(len(SHAPE_FAMILIES)))], rng)
        texture = TEXTURE_FAMILIES[int(rng.integers(len(TEXTURE_FAMILIES)))]
        fld = texture_field(texture, rng, size, size, scale=radius * rng.uniform(0.3, 0.8))
        _, palette = random_palette(rng)
        tex = colourise(fld, mute_palette(palette, rng.uniform(0.3, 0.6)))
        alpha = draw_shape(shape, size, rng.uniform(0, 100)).astype(np.float32) / 255.0
        pose = Pose(rng.uniform(0, width), rng.uniform(0, height), radius, rng.uniform(-180, 180), 0.0)
        composite(canvas, None, tex, alpha, pose, 0)
    return canvas


def sample_occluder(rng: np.random.Generator, height: int, width: int, length: int) -> Layer:
    """A textured bar in front of everything, still or sliding slowly across the frame."""
    vertical = rng.random() < 0.7
    span = (height if vertical else width) * rng.uniform(0.6, 1.5)
    thickness = (width if vertical else height) * rng.uniform(0.07, 0.18)
    long_side, short_side = int(math.ceil(span)) + 2, int(math.ceil(thickness)) + 2
    h, w = (long_side, short_side) if vertical else (short_side, long_side)
    alpha = np.zeros((h, w), np.float32)
    alpha[1:-1, 1:-1] = 1.0
    family = TEXTURE_FAMILIES[int(rng.integers(len(TEXTURE_FAMILIES)))]
    fld = texture_field(family, rng, h, w, scale=thickness * rng.uniform(0.3, 1.0))
    _, palette = random_palette(rng)
    appearance = Appearance("occluder", colourise(fld, palette), fixed_alpha=alpha)
    # The bar's anchor: it reaches into the frame from an edge or crosses it entirely.
    if vertical:
        centre = (rng.uniform(0.1, 0.9) * width, rng.choice([0.0, 0.5, 1.0]) * height)
        amplitude = (rng.uniform(0.0, 0.3) * width, 0.0)
    else:
        centre = (rng.choice([0.0, 0.5, 1.0]) * width, rng.uniform(0.15, 0.85) * height)
        amplitude = (0.0, rng.uniform(0.0, 0.25) * height)
    rate = rng.uniform(0.001, 0.004) * width / max(amplitude[0] + amplitude[1], 1.0)
    motion = Motion(
        centre=centre,
        amplitude=amplitude,
        freq=((rate, 2 * rate), (rate, 2 * rate)),
        phase=(tuple(rng.uniform(0, 2 * np.pi, 2)), tuple(rng.uniform(0, 2 * np.pi, 2))),
        radius0=h / (2.0 * SPRITE_MARGIN),  # scale 1: the bar keeps its pixel size
        length=length,
        angle0=rng.uniform(-15, 15),
    )
    return Layer(0, appearance, motion, "occluder")
