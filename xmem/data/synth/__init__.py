"""The embedded synthetic benchmark (``xmem synth``).

Stand-ins for the datasets of the XMem paper (static images, DAVIS 2016/2017, YouTube-VOS
2018/2019, Long-time Video), rendered procedurally from a seed with the real datasets' file
layouts. Modules: ``config`` (profiles), ``categories``/``textures``/``shapes`` (appearance),
``motion``/``scene``/``scenery``/``render`` (videos), ``davis``/``youtube``/``long_video``/
``static_images`` (layouts), ``benchmark`` (orchestration), ``cli``.
"""

from xmem.data.synth.benchmark import DATASET_NAMES, MANIFEST_NAME, generate_benchmark
from xmem.data.synth.config import ConfigError, SynthConfig, load_synth_config, synth_config_from_dict

__all__ = [
    "DATASET_NAMES",
    "MANIFEST_NAME",
    "ConfigError",
    "SynthConfig",
    "generate_benchmark",
    "load_synth_config",
    "synth_config_from_dict",
]
