"""XMem benchmark and reproduction harness.

Subpackages:
    model       the XMem network (state-dict compatible with the released checkpoints)
    memory      sensory / working / long-term memory stores and their pure math
    inference   frame-by-frame inference engine, the VideoPredictor API, dataset readers, ``xmem infer``
    evaluation  DAVIS / Long-time Video / YouTube-VOS metrics, ``xmem evaluate``
    data        synthetic benchmark (``xmem synth``) and n-times videos (``xmem extend``)
    training    training loop and recipes (``xmem train``)
    experiments typed experiment plans of the workflow (runs, settings, groups)
    reporting   tables, figures and the report from run results
    methods     the registry of segmentation methods (XMem, STCN, ...)

Python API (imported on first use, so that ``import xmem`` and ``xmem --help`` stay fast)::

    predictor = xmem.VideoPredictor.from_weights("XMem.pth")
    for out in predictor.track(frames, masks={0: first_mask}):
        out.index, out.object_ids, out.probabilities, out.mask
"""

import importlib

__version__ = "0.1.0"

#: public name -> the module that defines it
_EXPORTS = {
    "VideoPredictor": "xmem.inference.predictor",
    "FrameResult": "xmem.inference.predictor",
    "MemoryState": "xmem.inference.predictor",
    "prepare_frame": "xmem.inference.predictor",
    "MaskWriter": "xmem.inference.sinks",
    "ProbabilityWriter": "xmem.inference.sinks",
    "StatsRecorder": "xmem.inference.sinks",
    "InferenceConfig": "xmem.inference.config",
    "MemoryConfig": "xmem.memory.config",
    "load_network": "xmem.model.checkpoint",
    "get_method": "xmem.methods",
    "register_method": "xmem.methods",
    "Method": "xmem.methods",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'xmem' has no attribute {name!r}")
    module = importlib.import_module(_EXPORTS[name])
    return getattr(module, "register" if name == "register_method" else name)


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
