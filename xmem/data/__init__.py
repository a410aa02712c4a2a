"""Synthetic benchmark data and Long-time Video variants.

* :mod:`xmem.data.synth` — the embedded synthetic benchmark (``xmem synth``): stand-ins for
  the static-image set, DAVIS 2016/2017, YouTube-VOS 2018/2019 and the Long-time Video
  dataset, laid out exactly like the real datasets.
* :mod:`xmem.data.long_video_variants` — the paper's n-times back-and-forth Long-time Video
  variants; :mod:`xmem.data.extend` is its ``xmem extend`` command.

Public API::

    generate_benchmark(out_root, config, seed, only=None, processes=1) -> dict
    load_synth_config(path) -> SynthConfig
    extend_dataset(src, dst, times) -> dict
    back_and_forth_indices(n, times) -> list[int]
"""

from xmem.data.long_video_variants import back_and_forth_indices, extend_dataset
from xmem.data.synth import DATASET_NAMES, SynthConfig, generate_benchmark, load_synth_config

__all__ = [
    "DATASET_NAMES",
    "SynthConfig",
    "back_and_forth_indices",
    "extend_dataset",
    "generate_benchmark",
    "load_synth_config",
]
