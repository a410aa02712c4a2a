"""Sampling of one video's scene: objects, look-alikes, occluders, motions and events.

Everything is drawn from the caller's ``numpy.random.Generator`` in a fixed order, so a
scene is a deterministic function of the video's seed and its :class:`SceneRequest`.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from xmem.data.synth.categories import Category
from xmem.data.synth.config import ScenarioConfig
from xmem.data.synth.motion import Illumination, Motion, OffScreen, Pan
from xmem.data.synth.render import Appearance, Layer, Scene, render_frame
from xmem.data.synth.scenery import sample_background, sample_occluder
from xmem.data.synth.shapes import SPRITE_MARGIN, sample_shape
from xmem.data.synth.textures import colourise, random_palette, texture_field

_UPRIGHT = frozenset({"quadruped", "bird"})  # animals stay roughly upright
_SIDES = ((1.0, 0.0), (-1.0, 0.0), (0.0, 1.0), (0.0, -1.0))


@dataclass(frozen=True)
class VideoFeatures:
    """Video-level events, decided per split so that their counts are exact (stratified)."""

    twin: bool = False  # two annotated objects look identical
    distractor: bool = False  # unannotated look-alikes
    occluder: bool = False  # foreground occluders
    absence: bool = False  # an object leaves the frame and comes back
    late_entry: bool = False  # an object enters mid-video
    fast_motion: bool = False  # one object moves much faster
    unseen: bool = False  # at least one object of an unseen category


@dataclass(frozen=True)
class SceneRequest:
    height: int
    width: int
    length: int
    scenario: ScenarioConfig
    features: VideoFeatures
    categories: tuple[Category, ...]  # pool of ordinary objects
    unseen: tuple[Category, ...] = ()  # pool used when features.unseen
    num_objects: int | None = None  # overrides scenario.objects
    noise_key: tuple[int, ...] = (0,)


def _sample_appearance(rng: np.random.Generator, category: Category, max_radius: float, drift: bool) -> Appearance:
    size = int(math.ceil(2 * SPRITE_MARGIN * max_radius)) + 2
    shape = sample_shape(category.shape, rng)
    fld = texture_field(category.texture, rng, size, size, scale=max_radius * rng.uniform(0.25, 0.6))
    name_a, palette_a = random_palette(rng)
    texture_b = colourise(fld, random_palette(rng, exclude=name_a)[1]) if drift else None
    return Appearance(category.name, colourise(fld, palette_a), texture_b, shape=shape)


def _sample_motion(rng: np.random.Generator, req: SceneRequest, radius0: float, drift: bool, fast: bool,
                   upright: bool) -> Motion:
    h, w, length = req.height, req.width, req.length
    s = req.scenario
    ax, ay = rng.uniform(0.15, 0.35) * w, rng.uniform(0.1, 0.3) * h
    speed = rng.uniform(*s.speed) * w * (s.fast_factor if fast else 1.0)
    fx = speed / ax * rng.uniform(0.7, 1.3)
    fy = speed / ax * rng.uniform(0.5, 1.2)
    scale_drift = float(rng.choice([-1.0, 1.0]) * rng.uniform(0.25, 0.6)) if drift else 0.0
    spin = float(rng.choice([-1.0, 1.0]) * rng.uniform(90, 240) / length) if drift and not upright else 0.0
    ramp_start = rng.uniform(0.1, 0.5) * length
    motion = Motion(
        centre=(rng.uniform(0.3, 0.7) * w, rng.uniform(0.3, 0.7) * h),
        amplitude=(ax, ay),
        freq=((fx, fx * rng.uniform(1.6, 2.6)), (fy, fy * rng.uniform(1.6, 2.6))),
        phase=(tuple(rng.uniform(0, 2 * np.pi, 2)), tuple(rng.uniform(0, 2 * np.pi, 2))),
        radius0=radius0,
        length=length,
        scale_drift=scale_drift,
        wobble=(rng.uniform(0.02, 0.08), rng.uniform(0.02, 0.1), rng.uniform(0, 2 * np.pi)),
        angle0=rng.uniform(-20, 20) if upright else rng.uniform(-180, 180),
        spin=spin,
        sway=(rng.uniform(3, 12), rng.uniform(0.02, 0.08), rng.uniform(0, 2 * np.pi)),
        colour_ramp=(ramp_start, ramp_start + rng.uniform(0.3, 0.5) * length) if drift else None,
    )
    if drift and s.drift_return_prob > 0 and rng.random() < s.drift_return_prob:
        # the drift comes back: colour A -> B -> A, scale and rotation peak mid-video
        up = rng.uniform(0.05, 0.3) * length
        top = up + rng.uniform(0.15, 0.25) * length
        down = top + rng.uniform(0.05, 0.15) * length
        motion = dataclasses.replace(motion, colour_ramp=(up, top), drift_returns=True,
                                     colour_return=(down, down + rng.uniform(0.15, 0.25) * length))
    return dataclasses.replace(motion, push_distance=max(w, h) + 2.5 * motion.max_radius())


def _absences(rng: np.random.Generator, s: ScenarioConfig, length: int) -> tuple[OffScreen, ...]:
    """Non-overlapping off-screen periods inside [0.15 L, 0.95 L]."""
    count = int(rng.integers(s.absences[0], s.absences[1] + 1))
    first, last = 0.15 * length, 0.95 * length
    slot = (last - first) / count
    out = []
    for i in range(count):
        span = min(rng.uniform(*s.absence_length) * length, 0.8 * slot)
        ramp = float(np.clip(0.25 * span, 2.0, 15.0))
        start = first + i * slot + rng.uniform(0, slot - span)
        start = max(start, ramp + 1.0)
        out.append(OffScreen(start, start + span, _SIDES[int(rng.integers(4))], ramp))
    return tuple(out)


def sample_scene(rng: np.random.Generator, req: SceneRequest) -> Scene:
    """Draw a complete scene; object ids are 1..K in creation order."""
    s, f = req.scenario, req.features
    h, w, length = req.height, req.width, req.length
    short = min(h, w)
    pad = (int(round(s.camera_pan * w)), int(round(s.camera_pan * h)))
    background = sample_background(rng, h + 2 * pad[1], w + 2 * pad[0], s.clutter)
    pan = Pan(pad, (rng.uniform(0.01, 0.05), rng.uniform(0.01, 0.05)), tuple(rng.uniform(0, 2 * np.pi, 2)))
    if s.illumination_drift > 0:
        period = rng.uniform(0.5, 1.5, 3) * length
        illumination = Illumination(tuple(rng.uniform(-s.illumination_drift, s.illumination_drift, 3)),
                                    tuple(2 * np.pi / period), tuple(rng.uniform(0, 2 * np.pi, 3)))
    else:
        illumination = Illumination()

    count = req.num_objects or int(rng.integers(s.objects[0], s.objects[1] + 1))
    if req.num_objects is None and (f.twin or f.late_entry):
        count = max(count, 2)
    cats = [req.categories[int(rng.integers(len(req.categories)))] for _ in range(count)]
    if f.unseen and req.unseen:
        cats[int(rng.integers(count))] = req.unseen[int(rng.integers(len(req.unseen)))]
    fast_index = int(rng.integers(count)) if f.fast_motion else -1

    objects: list[Layer] = []
    for k, cat in enumerate(cats):
        drift = bool(rng.random() < s.drift_prob)
        radius0 = rng.uniform(*s.object_size) * short
        motion = _sample_motion(rng, req, radius0, drift, k == fast_index, cat.shape in _UPRIGHT)
        if f.twin and count >= 2 and k == count - 1:
            appearance = objects[0].appearance  # identical look, different id
        else:
            appearance = _sample_appearance(rng, cat, motion.max_radius(), drift)
        objects.append(Layer(k + 1, appearance, motion, "object"))

    if f.absence:  # one object for sure, each other one with probability 0.3
        chosen = int(rng.integers(count))
        for k in range(count):
            if k == chosen or rng.random() < 0.3:
                objects[k].motion = dataclasses.replace(objects[k].motion, offscreen=_absences(rng, s, length))
    if f.late_entry and count >= 2:
        k = int(rng.integers(1, count))  # object 1 is always there from the start
        enter = rng.uniform(0.2, 0.6) * length
        ramp = float(np.clip(0.05 * length, 3.0, 10.0))
        off = OffScreen(-math.inf, enter, _SIDES[int(rng.integers(4))], ramp)
        objects[k].motion = dataclasses.replace(objects[k].motion, offscreen=(off,))

    scenery: list[Layer] = []
    if f.distractor:
        for _ in range(int(rng.integers(1, s.max_distractors + 1))):
            model = objects[int(rng.integers(count))]
            motion = _sample_motion(rng, req, model.motion.radius0 * rng.uniform(0.8, 1.1), False, False,
                                    model.appearance.category.split("-")[0] in _UPRIGHT)
            scenery.append(Layer(0, model.appearance, motion, "distractor"))
    layers = objects + scenery
    order = rng.permutation(len(layers))
    layers = [layers[i] for i in order]
    if f.occluder:
        layers += [sample_occluder(rng, h, w, length) for _ in range(int(rng.integers(1, s.max_occluders + 1)))]
    return Scene(h, w, length, background, pan, layers, illumination, s.noise_std, req.noise_key)


def _enters_late(layer: Layer) -> bool:
    return any(off.start == -math.inf for off in layer.motion.offscreen)


def _missing_at_start(scene: Scene, min_pixels: int) -> list[int]:
    """Ids of objects that must be visible in frame 0 but have fewer than ``min_pixels``."""
    _, labels = render_frame(scene, 0)
    counts = np.bincount(labels.ravel(), minlength=256)
    return [layer.label for layer in scene.layers
            if layer.label > 0 and not _enters_late(layer) and counts[layer.label] < min_pixels]


def _relabel(scene: Scene, keep: list[int]) -> Scene:
    """Drop annotated objects not in ``keep``; renumber the rest 1..K in order."""
    mapping = {old: new for new, old in enumerate(sorted(keep), start=1)}
    layers = []
    for layer in scene.layers:
        if layer.label == 0:
            layers.append(layer)
        elif layer.label in mapping:
            layers.append(dataclasses.replace(layer, label=mapping[layer.label]))
    return dataclasses.replace(scene, layers=layers)


def sample_valid_scene(rng: np.random.Generator, req: SceneRequest, min_pixels: int, attempts: int = 8) -> Scene:
    """A scene whose objects (except late entries) are all visible in frame 0.

    Resamples up to ``attempts`` times; then removes scenery from the last draw, and finally
    drops objects that stay hidden (keeping at least one).
    """
    scene = sample_scene(rng, req)
    for _ in range(attempts - 1):
        if not _missing_at_start(scene, min_pixels):
            return scene
        scene = sample_scene(rng, req)
    if not _missing_at_start(scene, min_pixels):
        return scene
    scene = dataclasses.replace(scene, layers=[layer for layer in scene.layers if layer.label > 0])
    missing = _missing_at_start(scene, min_pixels)
    labels = scene.annotated_labels()
    keep = [label for label in labels if label not in missing] or labels[:1]
    if keep != labels:
        scene = _relabel(scene, keep)
    for layer in scene.layers:  # last resort: move a still-hidden object to the frame centre
        if layer.label in _missing_at_start(scene, min_pixels):
            pose = layer.motion.pose(0)
            cx, cy = layer.motion.centre
            centre = (cx + scene.width / 2 - pose.x, cy + scene.height / 2 - pose.y)
            layer.motion = dataclasses.replace(layer.motion, centre=centre)
    return scene
