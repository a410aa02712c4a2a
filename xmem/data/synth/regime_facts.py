"""The facts of a synthetic profile that its memory regime depends on (``xmem synth --describe``).

:func:`profile_regime` builds :class:`~xmem.memory.regime.RegimeInputs` from a workflow profile
(``config/config.yaml``: its ``inference`` section and the synthetic profile it names) and, when
given, the generated benchmark's ``manifest.json``. With a manifest, the long videos' lengths,
the short (DAVIS 2017 val) videos' mean length and the longest absence are read from the data
(absence: the longest run of frames in which an annotated object covers less than
``min_visible_fraction`` of the frame, occlusions included). Without one they come from the
configuration: lengths and the mean of the val length range as configured, and the longest
absence as planned (frames an object is pushed fully off-screen, from the same scene draws as
the generator; occlusions not included).
"""

from __future__ import annotations

import math

from xmem.data.synth import long_video
from xmem.data.synth.categories import split_categories
from xmem.data.synth.config import SynthConfig
from xmem.data.synth.jobs import Context, job_rng, noise_key
from xmem.data.synth.scene import SceneRequest, sample_valid_scene
from xmem.experiments.element_counts import element_counts
from xmem.inference.geometry import resized_shape
from xmem.memory.config import MemoryConfig
from xmem.memory.regime import LongVideoFacts, MemorySettings, RegimeInputs


def planned_longest_absence(config: SynthConfig, seed: int) -> int:
    """Longest planned off-screen period (whole frames) over the long videos' objects."""
    seen, unseen = split_categories(seed, config.unseen_categories)
    ctx = Context(root=None, config=config, seed=seed, seen=seen, unseen=unseen)  # type: ignore[arg-type]
    lv, longest = config.long_video, 0
    height, width = long_video.frame_size(config)
    for job in long_video.plan(ctx):
        length = lv.lengths[job.index]
        request = SceneRequest(height, width, length, lv.scenario, job.features, seen + unseen,
                               noise_key=noise_key(seed, job))
        scene = sample_valid_scene(job_rng(seed, job), request, ctx.min_pixels(height, width))
        for layer in scene.layers:
            if layer.label > 0:
                for off in layer.motion.offscreen:
                    longest = max(longest, math.floor(off.end) - math.ceil(off.start) + 1)
    return longest


def memory_settings(inference: dict, key_stride: int | None = None) -> MemorySettings:
    """r, T_min, T_max, P, LT_max and the Table 6 / S1 grids of Long-time Video in a workflow
    profile's ``inference`` section for a network of ``key_stride``
    (:func:`~xmem.experiments.element_counts.element_counts`; None: the main models'); what it
    does not give keeps :class:`MemoryConfig`'s defaults, the paper's values."""
    defaults = MemoryConfig()
    counts = element_counts(inference, key_stride)
    long_video = counts.long_video
    return MemorySettings(
        mem_every=int(inference["mem_every_long"]),
        min_work_frames=defaults.min_work_frames,
        max_work_frames=defaults.max_work_frames,
        num_prototypes=int(long_video.get("num_prototypes", defaults.num_prototypes)),
        max_long_term_elements=int(long_video.get("max_long_term_elements", defaults.max_long_term_elements)),
        prototype_counts=counts.prototype_counts,
        ltmax_values=counts.ltmax_values,
    )


def profile_regime(inference: dict, config: SynthConfig, seed: int, manifest: dict | None = None,
                   name: str = "profile", key_stride: int = 16) -> RegimeInputs:
    """The regime inputs of a synthetic profile (see the module docstring)."""
    height, width = resized_shape(*long_video.frame_size(config), int(inference.get("size", -1)))
    if manifest is not None:
        lengths = tuple(float(v["frames"]) for v in manifest["videos"]["long_video"])
        val = [v["frames"] for v in manifest["videos"]["DAVIS"] if v["split"] == "val"]
        short = sum(val) / len(val)
        absence = float(manifest["datasets"]["long_video"]["longest_absence"])
        note = "measured in the generated data (occlusions included)"
    else:
        lengths = tuple(float(n) for n in config.long_video.lengths)
        short = sum(config.davis.val.frames) / 2
        absence = float(planned_longest_absence(config, seed))
        note = "planned off-screen time (occlusions not included)"
    videos = LongVideoFacts(lengths, height, width, short, absence, note, key_stride)
    return RegimeInputs(name, videos, memory_settings(inference, key_stride))
