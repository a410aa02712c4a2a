"""Named inference settings of the plan and the :class:`InferenceConfig` of a run.

A *setting* is a named change of a method's default inference configuration (Tables 4, 6, 7,
8, S1, Fig. S7); the grid settings ``<selection>_p<P>`` (Table 6) and ``ltmax<N>`` (Table S1,
Fig. S7) carry their value in the name, so the grids come from the profile; ``ms_s<size>_r<r>[_flip]``
names one member run of a multi-scale merge (Appendix H). A run starts from the profile's P / LT_max
of its dataset's kind (``inference.memory``). :func:`inference_config` turns (run, profile, method defaults) into the typed
configuration the engine runs with — the single place where a setting becomes settings.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any

from xmem.errors import XMemError
from xmem.evaluation.memory_analysis import GROWTH_END
from xmem.experiments.element_counts import element_counts, key_stride
from xmem.experiments.paths import Run
from xmem.inference.config import InferenceConfig
from xmem.memory.config import MemoryConfig, PrototypeSelection

MULTISCALE = "ms"  # the merged multi-scale run of a dataset
MULTISCALE_PREFIX = "ms_"  # its member runs
#: Table 3 / S10 ‡: the default settings at a larger processing size (``inference.hires_size``,
#: paper 600: "uses 600p videos")
HIRES = "hires"
#: Fig. 1 (left): a method's memory growth at its native insertion before any limiting — no
#: frame cap and r = ``mem_every_short`` (5, STCN's and XMem's default) even on Long-time Video.
#: Only its memory statistics up to frame GROWTH_END are read, so it stops after frame GROWTH_END + 1
#: (one frame of margin); the video's length still sets the schedule (InferenceConfig.max_frames), so
#: the frames it processes are those of a full run.
NATIVE_INSERTION = "native_insertion"
NATIVE_INSERTION_FRAMES = GROWTH_END + 2


@dataclass(frozen=True)
class Setting:
    """Changes to a method's defaults: ``memory`` holds :class:`MemoryConfig` field overrides
    (as sorted (name, value) pairs, so that a setting is hashable); ``deep_update_every`` is
    :attr:`InferenceConfig.deep_update_every` (-1 = with every memory frame); ``max_frames`` is
    :attr:`InferenceConfig.max_frames` (a run read for its statistics only: not scored)."""

    memory: tuple[tuple[str, Any], ...] = ()
    deep_update_every: int = -1
    max_frames: int | None = None

    @classmethod
    def of(cls, deep_update_every: int = -1, max_frames: int | None = None, **memory: Any) -> "Setting":
        names = {f.name for f in dataclasses.fields(MemoryConfig)}
        unknown = set(memory) - names
        if unknown:
            raise XMemError(f"setting overrides unknown memory options {sorted(unknown)}")
        return cls(tuple(sorted(memory.items())), deep_update_every, max_frames)

    def apply(self, memory: MemoryConfig) -> MemoryConfig:
        return dataclasses.replace(memory, **dict(self.memory))

    @property
    def strategy(self) -> str | None:
        return dict(self.memory).get("strategy")


#: setting name -> its changes (r, o and the size are set per run)
SETTINGS: dict[str, Setting] = {
    "default": Setting(),
    "no_long_term": Setting.of(strategy="no_long_term"),
    "sensory_only": Setting.of(strategy="sensory_only"),
    "eager_compression": Setting.of(strategy="eager_compression"),
    "sparse_insertion": Setting.of(strategy="sparse_insertion", max_memory_frames=50),
    "local_window": Setting.of(strategy="local_window", max_memory_frames=50),
    "no_potentiation": Setting.of(potentiation=False),
    "deep_every_frame": Setting.of(deep_update_every=1),
    "deep_never": Setting.of(deep_update_every=0),
    "unbounded": Setting.of(strategy="no_long_term"),  # STCN without the 50-frame cap (Fig. S7)
    NATIVE_INSERTION: Setting.of(strategy="no_long_term", max_frames=NATIVE_INSERTION_FRAMES),  # r: see mem_every
}
PROTOTYPE_SELECTIONS: tuple[str, ...] = PrototypeSelection.__args__  # type: ignore[attr-defined]
#: grid settings of Tables 6 / S1 and Fig. S7, named by their value: "<selection>_p<P>", "ltmax<LT_max>"
_GRID_SETTING = re.compile(rf"(?P<selection>{'|'.join(PROTOTYPE_SELECTIONS)})_p(?P<p>[1-9][0-9]*)|ltmax(?P<n>[1-9][0-9]*)")


def setting_of(name: str) -> Setting:
    """The changes a setting name stands for: a named setting (:data:`SETTINGS`) or a grid
    setting (``usage_p4``: usage-based selection with P = 4; ``ltmax278``: LT_max = 278)."""
    if name in SETTINGS:
        return SETTINGS[name]
    match = _GRID_SETTING.fullmatch(name)
    if match is None:
        raise XMemError(f"unknown setting {name!r}; see xmem.experiments.settings.SETTINGS "
                        "(or <selection>_p<P>, ltmax<N>)")
    if match["n"]:
        return Setting.of(max_long_term_elements=int(match["n"]))
    return Setting.of(prototype_selection=match["selection"], num_prototypes=int(match["p"]))


def profile_memory(dataset: str, config: dict, defaults: MemoryConfig = MemoryConfig(),
                   stride: int | None = None) -> MemoryConfig:
    """``defaults`` with the profile's element-count settings of the dataset's kind for a network
    of key stride ``stride`` (:func:`~xmem.experiments.element_counts.element_counts`; None: the main
    models'): ``long_video`` on Long-time Video, ``short_video`` on DAVIS / YouTube-VOS (P, LT_max;
    absent = ``defaults``, the paper's values)."""
    counts = element_counts(config["inference"], stride)
    return dataclasses.replace(defaults, **(counts.long_video if is_long(dataset) else counts.short_video))


def xmem_memory(dataset: str, config: dict) -> MemoryConfig:
    """XMem's P / LT_max on ``dataset`` in the profile (at its key stride): the default run of the
    grids of Tables 6, S1 and Fig. S7."""
    return profile_memory(dataset, config, stride=key_stride("xmem", config))


def prototype_setting(selection: str, num_prototypes: int, config: dict) -> str:
    """The setting of Table 6's (selection, P): "default" for usage-based selection at the
    profile's Long-time Video P (the default run), else ``<selection>_p<P>``."""
    if selection == "usage" and num_prototypes == xmem_memory("LV1", config).num_prototypes:
        return "default"
    return f"{selection}_p{num_prototypes}"


def ltmax_setting(n: int, config: dict) -> str:
    """The setting of LT_max = n on Long-time Video: "default" at the profile's Long-time Video
    LT_max (the default run), else ``ltmax<n>``."""
    return "default" if n == xmem_memory("LV1", config).max_long_term_elements else f"ltmax{n}"


def multiscale_setting(size: int, mem_every: int, flip: bool) -> str:
    """Name of one member run of a multi-scale merge (probabilities are saved)."""
    return f"{MULTISCALE_PREFIX}s{size}_r{mem_every}{'_flip' if flip else ''}"


def is_multiscale_member(setting: str) -> bool:
    return setting.startswith(MULTISCALE_PREFIX)


def parse_multiscale_setting(name: str) -> tuple[int, int, bool]:
    parts = name.split("_")
    return int(parts[1][1:]), int(parts[2][1:]), len(parts) > 3 and parts[3] == "flip"


def length_dependent(setting: str) -> bool:
    """Sparse insertion stretches r to fit the whole video into its memory budget, so the run
    of a longer Long-time Video is not an extension of a shorter one's."""
    known = SETTINGS.get(setting)  # grid settings (usage_p4, ltmax278) never change the strategy
    return known is not None and known.strategy == "sparse_insertion"


# --------------------------------------------------------------------------- datasets codes
def long_dataset(times: int) -> str:
    return f"LV{times}"


def is_long(dataset: str) -> bool:
    return dataset.startswith("LV")


def long_times(dataset: str) -> int:
    return int(dataset[2:])


# --------------------------------------------------------------------------- per run
def mem_every(dataset: str, setting: str, config: dict) -> int:
    """r for a run: 10 on Long-time Video, 5 on short videos (paper §4.1–4.2), or the setting's."""
    if is_multiscale_member(setting):
        return parse_multiscale_setting(setting)[1]
    inf = config["inference"]
    if setting == NATIVE_INSERTION:
        return inf["mem_every_short"]
    return inf["mem_every_long"] if is_long(dataset) else inf["mem_every_short"]


def offsets(config: dict, r: int) -> list[int]:
    """The paper's evenly spaced memory-insertion offsets in [0, r): floor(i * r / count)."""
    count = config["inference"]["offsets"]
    return sorted({(i * r) // count for i in range(count)})


def inference_config(run: Run, config: dict, defaults: MemoryConfig) -> InferenceConfig:
    """The configuration ``run`` is inferred with: the method's default memory settings
    ``defaults``, then the profile's P / LT_max of the dataset's kind (:func:`profile_memory`),
    then the run's setting."""
    inf = config["inference"]
    r = mem_every(run.dataset, run.setting, config)
    stride = key_stride(run.model, config)
    memory = profile_memory(run.dataset, config, defaults, stride)
    if is_multiscale_member(run.setting):
        size, _, flip = parse_multiscale_setting(run.setting)
        memory = dataclasses.replace(memory, num_prototypes=element_counts(inf, stride).multiscale_prototypes)
        return InferenceConfig(mem_every=r, mem_offset=run.offset, size=size, memory=memory, flip=flip)
    if run.setting == HIRES:
        return InferenceConfig(mem_every=r, mem_offset=run.offset, size=inf["hires_size"], memory=memory)
    setting = setting_of(run.setting)
    return InferenceConfig(mem_every=r, mem_offset=run.offset, deep_update_every=setting.deep_update_every,
                           size=inf["size"], memory=setting.apply(memory), max_frames=setting.max_frames)
