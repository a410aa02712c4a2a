"""Rendering of scenes: sprites warped into frames back to front, with an index mask.

A frame is the background canvas cropped at the camera offset, then every layer (objects,
distractors, occluders) composited in depth order with its anti-aliased alpha; the label
map receives the layer's id where its alpha exceeds 0.5, so nearer layers overwrite the
labels of farther ones (occlusion). Unannotated layers write id 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from xmem.data.synth.motion import Illumination, Motion, Pan, Pose
from xmem.data.synth.shapes import SPRITE_MARGIN, ShapeRecipe, draw_shape


@dataclass
class Appearance:
    """What a layer looks like, in sprite coordinates (square ``S x S`` sprite)."""

    category: str  # category name ('occluder' / 'clutter' for scenery)
    texture_a: np.ndarray  # float32 [S, S, 3], colour scheme A
    texture_b: np.ndarray | None = None  # float32 [S, S, 3], colour scheme B (appearance drift)
    shape: ShapeRecipe | None = None  # drawn per frame if animated
    fixed_alpha: np.ndarray | None = None  # float32 [S, S] for rigid shapes / occluders
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def size(self) -> int:
        return self.texture_a.shape[0]

    def alpha(self, t: float) -> np.ndarray:
        """``float32 [S, S]`` coverage in [0, 1] at frame ``t``."""
        if self.fixed_alpha is not None:
            return self.fixed_alpha
        assert self.shape is not None
        if not self.shape.animated:
            if "alpha" not in self._cache:
                self._cache["alpha"] = draw_shape(self.shape, self.size, 0.0).astype(np.float32) / 255.0
            return self._cache["alpha"]
        return draw_shape(self.shape, self.size, t).astype(np.float32) / 255.0

    def texture(self, mix: float) -> np.ndarray:
        if self.texture_b is None or mix <= 0.0:
            return self.texture_a
        if mix >= 1.0:
            return self.texture_b
        return (1.0 - mix) * self.texture_a + mix * self.texture_b


@dataclass
class Layer:
    label: int  # object id written into the mask (0 = unannotated scenery)
    appearance: Appearance
    motion: Motion
    kind: str  # 'object' | 'distractor' | 'occluder'


@dataclass
class Scene:
    height: int
    width: int
    length: int
    background: np.ndarray  # float32 [H + 2*pad_y, W + 2*pad_x, 3]
    pan: Pan
    layers: list[Layer]  # back to front
    illumination: Illumination
    noise_std: float
    noise_key: tuple[int, ...]  # per-frame noise is seeded by (noise_key, t)

    def annotated_labels(self) -> list[int]:
        return sorted({layer.label for layer in self.layers if layer.label > 0})

    def category_of(self, label: int) -> str:
        for layer in self.layers:
            if layer.label == label:
                return layer.appearance.category
        raise KeyError(label)


def composite(canvas: np.ndarray, labels: np.ndarray | None, texture: np.ndarray, alpha: np.ndarray,
              pose: Pose, value: int) -> None:
    """Paint a sprite into ``canvas [H, W, 3]`` (and ``labels [H, W]``) in place.

    ``texture [h, w, 3]`` and ``alpha [h, w]`` form the sprite; its centre goes to
    ``(pose.x, pose.y)``, it is scaled so that ``h / (2 * SPRITE_MARGIN)`` sprite pixels
    become ``pose.radius`` frame pixels, and rotated by ``pose.angle``. Only the bounding box
    is warped.
    """
    sh, sw = alpha.shape
    cx, cy = (sw - 1) / 2.0, (sh - 1) / 2.0
    scale = pose.radius / (sh / (2.0 * SPRITE_MARGIN))
    matrix = cv2.getRotationMatrix2D((cx, cy), pose.angle, scale)
    matrix[:, 2] += (pose.x - cx, pose.y - cy)
    corners = np.array([[0, 0, 1], [sw, 0, 1], [0, sh, 1], [sw, sh, 1]], np.float64) @ matrix.T
    h, w = canvas.shape[:2]
    x0, y0 = max(0, int(np.floor(corners[:, 0].min()))), max(0, int(np.floor(corners[:, 1].min())))
    x1, y1 = min(w, int(np.ceil(corners[:, 0].max())) + 1), min(h, int(np.ceil(corners[:, 1].max())) + 1)
    if x0 >= x1 or y0 >= y1:
        return
    matrix[:, 2] -= (x0, y0)
    dsize = (x1 - x0, y1 - y0)
    a = cv2.warpAffine(alpha, matrix, dsize, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    if not a.any():
        return
    tex = cv2.warpAffine(texture, matrix, dsize, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                         borderValue=(0, 0, 0))
    region = canvas[y0:y1, x0:x1]
    a3 = a[:, :, None]
    region *= 1.0 - a3
    region += tex * a3
    if labels is not None:
        labels[y0:y1, x0:x1][a > 0.5] = value


def render_frame(scene: Scene, t: int) -> tuple[np.ndarray, np.ndarray]:
    """Frame ``t`` of ``scene``: (``uint8 [H, W, 3]`` RGB, ``uint8 [H, W]`` labels)."""
    ox, oy = scene.pan.offset(t)
    frame = scene.background[oy:oy + scene.height, ox:ox + scene.width].copy()
    labels = np.zeros((scene.height, scene.width), np.uint8)
    for layer in scene.layers:
        pose = layer.motion.pose(t)
        composite(frame, labels, layer.appearance.texture(pose.mix), layer.appearance.alpha(t), pose, layer.label)
    gain = scene.illumination.gain(t)
    if gain is not None:
        frame *= gain
    if scene.noise_std > 0:
        rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([*scene.noise_key, t])))
        frame += rng.standard_normal(frame.shape, dtype=np.float32) * np.float32(scene.noise_std)
    return np.clip(np.rint(frame), 0, 255).astype(np.uint8), labels
