"""Randomised image/mask augmentations with explicit random generators.

Parameters are drawn from a ``numpy.random.Generator`` (so every sample is reproducible from
its own seed) and applied with torchvision's functional ops on PIL images (fast and
single-threaded, like the official datasets) or with OpenCV. Images are RGB PIL images; masks
are mode-L PIL images (binary masks: bilinear, thresholded by the caller; index masks: nearest).

The parameter ranges of the official datasets are passed in by ``static_data`` / ``video_data``.
The thin-plate-spline warp is our own: random control points displaced by a Gaussian, a TPS
fitted with scipy's ``RBFInterpolator`` and sampled with ``cv2.remap``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
import torchvision.transforms.functional as TF
from PIL import Image
from scipy.interpolate import RBFInterpolator
from torchvision.transforms import InterpolationMode

# Official fill colour of the image border after affine warps (RGB).
IMAGE_FILL = (124, 116, 104)
BILINEAR = InterpolationMode.BILINEAR
NEAREST = InterpolationMode.NEAREST


@dataclass(frozen=True)
class ColorJitterParams:
    """Factors of torchvision's ColorJitter (None = not applied) and their order (0..3 =
    brightness, contrast, saturation, hue)."""

    order: tuple[int, ...]
    brightness: float | None
    contrast: float | None
    saturation: float | None
    hue: float | None


def sample_color_jitter(
    rng: np.random.Generator, brightness: float, contrast: float, saturation: float, hue: float
) -> ColorJitterParams:
    """Draw ColorJitter(brightness, contrast, saturation, hue) factors (same ranges as torchvision)."""

    def factor(amount: float) -> float | None:
        return float(rng.uniform(max(0.0, 1 - amount), 1 + amount)) if amount > 0 else None

    order = tuple(int(i) for i in rng.permutation(4))
    b, c, s = factor(brightness), factor(contrast), factor(saturation)
    h = float(rng.uniform(-hue, hue)) if hue > 0 else None
    return ColorJitterParams(order, b, c, s, h)


def apply_color_jitter(image: Image.Image, p: ColorJitterParams) -> Image.Image:
    """Apply jitter factors to an RGB image."""
    ops = (
        (p.brightness, TF.adjust_brightness),
        (p.contrast, TF.adjust_contrast),
        (p.saturation, TF.adjust_saturation),
        (p.hue, TF.adjust_hue),
    )
    for i in p.order:
        value, op = ops[i]
        if value is not None:
            image = op(image, value)
    return image


def maybe_grayscale(image: Image.Image, apply: bool) -> Image.Image:
    """Gray image with 3 channels when ``apply`` (RandomGrayscale's effect)."""
    return TF.rgb_to_grayscale(image, num_output_channels=3) if apply else image


@dataclass(frozen=True)
class AffineParams:
    angle: float
    scale: float
    shear: tuple[float, float]


def sample_affine(
    rng: np.random.Generator, degrees: float, scale: tuple[float, float] | None = None, shear: float = 0.0
) -> AffineParams:
    """RandomAffine(degrees, scale, shear) parameters: rotation in [-degrees, degrees], scale
    uniform in ``scale`` (1 if None), x-shear in [-shear, shear], no translation."""
    angle = float(rng.uniform(-degrees, degrees)) if degrees > 0 else 0.0
    factor = float(rng.uniform(*scale)) if scale is not None else 1.0
    shear_x = float(rng.uniform(-shear, shear)) if shear > 0 else 0.0
    return AffineParams(angle, factor, (shear_x, 0.0))


def apply_affine(x: Image.Image, p: AffineParams, interpolation: InterpolationMode, fill) -> Image.Image:
    """Warp an image about its centre; ``fill``: border value (a tuple for RGB, an int for masks)."""
    if p.angle == 0.0 and p.scale == 1.0 and p.shear == (0.0, 0.0):
        return x
    return TF.affine(x, angle=p.angle, translate=[0, 0], scale=p.scale, shear=list(p.shear),
                     interpolation=interpolation, fill=fill)


def sample_resized_crop(
    rng: np.random.Generator, height: int, width: int, scale: tuple[float, float],
    ratio: tuple[float, float] = (3 / 4, 4 / 3),
) -> tuple[int, int, int, int]:
    """RandomResizedCrop's box (top, left, h, w): area fraction in ``scale``, log-uniform aspect
    ratio in ``ratio``, 10 attempts, then a centre crop clamped to the ratio range."""
    area = height * width
    log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
    for _ in range(10):
        target_area = area * float(rng.uniform(*scale))
        aspect = math.exp(float(rng.uniform(*log_ratio)))
        w = int(round(math.sqrt(target_area * aspect)))
        h = int(round(math.sqrt(target_area / aspect)))
        if 0 < w <= width and 0 < h <= height:
            top = int(rng.integers(0, height - h + 1))
            left = int(rng.integers(0, width - w + 1))
            return top, left, h, w
    in_ratio = width / height
    if in_ratio < ratio[0]:
        w, h = width, int(round(width / ratio[0]))
    elif in_ratio > ratio[1]:
        h, w = height, int(round(height * ratio[1]))
    else:
        w, h = width, height
    return (height - h) // 2, (width - w) // 2, h, w


def resized_crop(x: Image.Image, box: tuple[int, int, int, int], size: int, interpolation: InterpolationMode) -> Image.Image:
    """Crop ``box`` (top, left, h, w) and resize it to size x size."""
    top, left, h, w = box
    return TF.resized_crop(x, top, left, h, w, [size, size], interpolation=interpolation)


def resize_shorter_side(x: Image.Image, size: int, interpolation: InterpolationMode) -> Image.Image:
    """Resize so that the shorter side is ``size``."""
    if min(x.size) == size:
        return x
    return TF.resize(x, [size], interpolation=interpolation)


def sample_crop_position(rng: np.random.Generator, height: int, width: int, size: int) -> tuple[int, int]:
    """Top-left corner of a random size x size crop (0 on an axis shorter than ``size``)."""
    top = int(rng.integers(0, height - size + 1)) if height > size else 0
    left = int(rng.integers(0, width - size + 1)) if width > size else 0
    return top, left


def crop_or_pad(x: Image.Image, top: int, left: int, size: int, fill) -> Image.Image:
    """size x size window at (top, left), padding short axes (right / bottom) with ``fill``."""
    w, h = x.size
    if h < size or w < size:
        canvas = Image.new(x.mode, (max(w, size), max(h, size)), fill)
        canvas.paste(x, (0, 0))
        x = canvas
    return x.crop((left, top, left + size, top + size))


def thin_plate_spline_maps(
    rng: np.random.Generator, height: int, width: int, num_points: int = 12, scale: float = 0.02
) -> tuple[np.ndarray, np.ndarray]:
    """Sampling maps (map_x, map_y) [H, W] float32 of a random thin-plate-spline warp.

    ``num_points`` control points at random pixels (distinct rows and columns) move by a Gaussian
    of std ``scale`` times the image size; the TPS through the displaced points gives, for every
    output pixel, where to sample the input (for ``cv2.remap``).
    """
    ys = rng.choice(height, size=min(num_points, height), replace=False)
    xs = rng.choice(width, size=min(num_points, width), replace=False)
    n = min(len(ys), len(xs))
    source = np.stack([xs[:n] / width, ys[:n] / height], axis=1)
    target = source + rng.normal(scale=scale, size=source.shape)
    # Backward mapping: output (target) positions -> input (source) positions.
    tps = RBFInterpolator(target, source - target, kernel="thin_plate_spline", degree=1)
    gx, gy = np.meshgrid(np.arange(width) / width, np.arange(height) / height)
    grid = np.stack([gx.ravel(), gy.ravel()], axis=1)
    offset = tps(grid)
    map_x = ((grid[:, 0] + offset[:, 0]) * width).reshape(height, width).astype(np.float32)
    map_y = ((grid[:, 1] + offset[:, 1]) * height).reshape(height, width).astype(np.float32)
    return map_x, map_y


def remap(x: Image.Image, maps: tuple[np.ndarray, np.ndarray], interpolation: int = cv2.INTER_LINEAR) -> Image.Image:
    """Sample an image at ``maps`` with cv2.remap (border pixels replicated)."""
    out = cv2.remap(np.asarray(x), maps[0], maps[1], interpolation, borderMode=cv2.BORDER_REPLICATE)
    return Image.fromarray(out)
