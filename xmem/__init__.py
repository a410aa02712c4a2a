"""XMem benchmark and reproduction harness.

Subpackages:
    model       the XMem network (state-dict compatible with the released checkpoints)
    memory      sensory / working / long-term memory stores and their pure math
    inference   frame-by-frame inference engine, dataset readers, ``xmem infer``
    evaluation  DAVIS / Long-time Video / YouTube-VOS metrics, ``xmem evaluate``
    data        synthetic benchmark (``xmem synth``) and n-times videos (``xmem extend``)
    training    training loop and recipes (``xmem train``)
"""

__version__ = "0.1.0"
