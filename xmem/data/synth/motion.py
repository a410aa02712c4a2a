"""Closed-form object motion: a pose is a pure function of the frame index.

Because ``Motion.pose(t)`` needs no state, any subset of frames (every 5th frame for
YouTube-VOS training, all frames for its validation) can be rendered in any order and gives
the same pixels. Positions are smooth sums of sinusoids; leaving / re-entering the frame is
an off-screen push that ramps in and out over a few frames.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Pose:
    x: float  # centre, pixels (frame coordinates)
    y: float
    radius: float  # object radius, pixels
    angle: float  # degrees, counter-clockwise
    mix: float  # 0 = first colour scheme, 1 = second (appearance drift)


@dataclass(frozen=True)
class OffScreen:
    """The object is fully pushed out of the frame for ``start <= t <= end`` (may be +-inf)."""

    start: float
    end: float
    direction: tuple[float, float]  # unit vector of the push
    ramp: float  # frames to slide out / back in


@dataclass(frozen=True)
class Motion:
    centre: tuple[float, float]
    amplitude: tuple[float, float]
    freq: tuple[tuple[float, float], tuple[float, float]]  # [axis][component], rad/frame
    phase: tuple[tuple[float, float], tuple[float, float]]
    radius0: float
    length: int
    scale_drift: float = 0.0  # log-scale change over the whole video
    wobble: tuple[float, float, float] = (0.0, 0.0, 0.0)  # scale wobble (amplitude, rad/frame, phase)
    angle0: float = 0.0
    spin: float = 0.0  # degrees per frame
    sway: tuple[float, float, float] = (0.0, 0.0, 0.0)  # angle sway (degrees, rad/frame, phase)
    colour_ramp: tuple[float, float] | None = None  # frames where the colour goes from scheme A to B
    colour_return: tuple[float, float] | None = None  # frames where it goes back from B to A (drift that returns)
    drift_returns: bool = False  # scale and rotation drift peak mid-video and come back (else monotonic)
    offscreen: tuple[OffScreen, ...] = field(default=())
    push_distance: float = 0.0  # pixels an off-screen push moves the object

    def max_radius(self) -> float:
        return self.radius0 * math.exp(max(0.0, self.scale_drift)) * (1.0 + abs(self.wobble[0]))

    def offscreen_amount(self, t: float) -> tuple[float, float]:
        """Push (dx, dy) in pixels at frame ``t``: 0 when on screen, ``push_distance`` when away."""
        dx = dy = 0.0
        for off in self.offscreen:
            if off.start <= t <= off.end:
                amount = 1.0
            elif t < off.start:
                amount = max(0.0, 1.0 - (off.start - t) / off.ramp)
            else:
                amount = max(0.0, 1.0 - (t - off.end) / off.ramp)
            dx += amount * off.direction[0] * self.push_distance
            dy += amount * off.direction[1] * self.push_distance
        return dx, dy

    def pose(self, t: float) -> Pose:
        coords = []
        for axis in range(2):
            (f1, f2), (p1, p2) = self.freq[axis], self.phase[axis]
            wave = 0.7 * math.sin(f1 * t + p1) + 0.3 * math.sin(f2 * t + p2)
            coords.append(self.centre[axis] + self.amplitude[axis] * wave)
        dx, dy = self.offscreen_amount(t)
        amp, rate, ph = self.wobble
        progress = t / max(self.length - 1, 1)
        if self.drift_returns:
            progress = 1.0 - abs(2.0 * progress - 1.0)  # 0 -> 1 at mid-video -> 0
        radius = self.radius0 * math.exp(self.scale_drift * progress)
        radius *= 1.0 + amp * math.sin(rate * t + ph)
        s_amp, s_rate, s_ph = self.sway
        turned = self.spin * (progress * max(self.length - 1, 1) / 2 if self.drift_returns else t)
        angle = self.angle0 + turned + s_amp * math.sin(s_rate * t + s_ph)
        mix = _smoothstep(t, self.colour_ramp) - _smoothstep(t, self.colour_return)
        return Pose(coords[0] + dx, coords[1] + dy, radius, angle, mix)


def _smoothstep(t: float, ramp: tuple[float, float] | None) -> float:
    """0 before ``ramp[0]``, 1 after ``ramp[1]``, smooth in between (0 when ``ramp`` is None)."""
    if ramp is None:
        return 0.0
    a, b = ramp
    u = min(max((t - a) / max(b - a, 1e-6), 0.0), 1.0)
    return u * u * (3.0 - 2.0 * u)


@dataclass(frozen=True)
class Pan:
    """Camera pan: integer crop offset into a background canvas larger than the frame."""

    pad: tuple[int, int]  # (x, y) margin of the canvas on each side
    freq: tuple[float, float]
    phase: tuple[float, float]

    def offset(self, t: float) -> tuple[int, int]:
        ox = self.pad[0] + round(self.pad[0] * math.sin(self.freq[0] * t + self.phase[0]))
        oy = self.pad[1] + round(self.pad[1] * math.sin(self.freq[1] * t + self.phase[1]))
        return int(ox), int(oy)


@dataclass(frozen=True)
class Illumination:
    """Per-channel gain ``1 + a_c * sin(w_c t + p_c)`` (slow global colour-tone change)."""

    amplitude: tuple[float, float, float] = (0.0, 0.0, 0.0)
    freq: tuple[float, float, float] = (0.0, 0.0, 0.0)
    phase: tuple[float, float, float] = (0.0, 0.0, 0.0)

    def gain(self, t: float) -> np.ndarray | None:
        """``float32 [3]`` gain at frame ``t``, or ``None`` when there is no change."""
        if not any(self.amplitude):
            return None
        return np.array([1.0 + a * math.sin(w * t + p) for a, w, p in zip(self.amplitude, self.freq, self.phase)],
                        dtype=np.float32)
