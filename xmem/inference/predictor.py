"""The public frame-by-frame API: a :class:`VideoPredictor` tracks objects through a video.

    predictor = VideoPredictor.from_weights("XMem.pth")              # or VideoPredictor(network)
    for out in predictor.track(frames, masks={0: first_mask, 30: new_object_mask}):
        out.index, out.object_ids, out.probabilities, out.mask

``frames`` are RGB arrays [H, W, 3] (uint8); ``masks`` maps a frame index to an index mask
[H, W] whose non-zero ids are objects (ids 0 and 255 are ignored): the first one is the prompt,
later ones add objects that enter the video there (YouTube-VOS style). Each step yields a
:class:`FrameResult`. ``xmem infer`` (:mod:`xmem.inference.runner`) and Fig. S1 run the same
loop (:meth:`VideoPredictor.track_frames`) and write through :mod:`xmem.inference.sinks`.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from functools import cached_property
from typing import Iterable, Iterator, Mapping

import numpy as np
import torch
from torch import Tensor

from xmem.errors import XMemError
from xmem.inference.config import InferenceConfig
from xmem.inference.core import SegmentationEngine, SegmentationNetwork
from xmem.inference.object_manager import ObjectManager
from xmem.inference.geometry import resized_shape
from xmem.inference.transforms import image_to_tensor, resize_image, resize_masks, resize_probabilities
from xmem.memory.manager import ConsolidationObserver
from xmem.utils.precision import autocast


@dataclass(frozen=True)
class Frame:
    """One prepared input frame.

    image: normalised frame resized to the processing size [3, h, w]; mask: annotation index
    mask at the frame's original size (objects given on this frame) or None; output_shape:
    (H, W) of the results; source: names the mask in error messages (e.g. its file).
    """

    image: Tensor
    mask: np.ndarray | None
    output_shape: tuple[int, int]
    name: str = ""
    source: str = ""


def prepare_frame(rgb: np.ndarray, size: int, mask: np.ndarray | None = None, name: str = "",
                  output_shape: tuple[int, int] | None = None, source: str = "") -> Frame:
    """A :class:`Frame` from an RGB array [H, W, 3] uint8 processed at ``size`` (-1 = native)."""
    h, w = rgb.shape[:2]
    if mask is not None and mask.shape != (h, w):
        raise XMemError(f"{source or 'mask'}: mask is {mask.shape[1]}x{mask.shape[0]} but frame {name or ''} is "
                        f"{w}x{h}; annotations must match their frames' size")
    image = resize_image(image_to_tensor(rgb), resized_shape(h, w, size))
    return Frame(image, mask, output_shape or (h, w), name, source)


@dataclass(frozen=True)
class MemoryState:
    """What the memory holds after a frame."""

    is_memory_frame: bool
    memory_bytes: int  # bytes of the working, long-term and sensory memory
    work_elements: int
    long_elements: int
    consolidations: int = 0  # consolidations so far in this video (working -> long-term memory)
    evicted_elements: int = 0  # long-term elements evicted so far in this video


@dataclass(frozen=True, eq=False)
class FrameResult:
    """The prediction for one frame.

    index: position of the frame in the video; object_ids: annotation ids of the tracked
    objects, in channel order 1..N; probabilities: [N+1, H, W] at the output size (channel 0
    is the background), None before the first annotated frame; seconds: processing time of
    the frame (0 when not processed); memory: the memory after the frame (None when not
    processed).
    """

    index: int
    name: str
    object_ids: tuple[int, ...]
    probabilities: Tensor | None
    output_shape: tuple[int, int]
    seconds: float = 0.0
    memory: MemoryState | None = None

    @property
    def processed(self) -> bool:
        return self.probabilities is not None

    @cached_property
    def mask(self) -> np.ndarray:
        """[H, W] uint8 index mask with the annotation ids (argmax of the probabilities)."""
        if self.probabilities is None:
            return np.zeros(self.output_shape, np.uint8)
        # max(dim).indices == argmax (first maximum on ties), ~8x faster on CPU for dim 0
        internal = self.probabilities.max(dim=0).indices.to(torch.uint8).cpu().numpy()
        lut = np.zeros(max(256, len(self.object_ids) + 1), dtype=np.uint8)
        lut[1 : len(self.object_ids) + 1] = self.object_ids
        return lut[internal]


def prepare_network(network: torch.nn.Module, device: torch.device) -> torch.nn.Module:
    """Eval mode on ``device`` with channels-last weights.

    oneDNN (CPU) and cuDNN (fp16 on tensor cores) run convolutions much faster in the NHWC
    layout (3.5x for the paper's network on this project's 2-core CPU); the math is unchanged,
    only the summation order inside each convolution differs.
    """
    return network.to(device).eval().to(memory_format=torch.channels_last)


class VideoPredictor:
    """Tracks the objects of one video at a time with a loaded network.

    Args:
        network: a network of a registered method (:mod:`xmem.methods`), e.g. from
            :func:`xmem.model.load_network`; it is put in eval mode, channels-last, on ``device``.
        config: inference settings (r, size, memory); default :class:`InferenceConfig`.
        device: "cpu" or "cuda".
    """

    def __init__(self, network: SegmentationNetwork, config: InferenceConfig | None = None,
                 device: str | torch.device = "cpu", prepared: bool = False):
        self.device = torch.device(device)
        self.network = network if prepared else prepare_network(network, self.device)
        self.config = config or InferenceConfig()

    @classmethod
    def from_weights(cls, weights: str | os.PathLike, method: str = "xmem", config: InferenceConfig | None = None,
                     device: str | torch.device = "cpu") -> "VideoPredictor":
        """Load ``weights`` of a registered ``method`` strictly; ``config`` defaults to the
        method's memory settings."""
        from xmem.methods import get_method

        spec = get_method(method)
        config = config or InferenceConfig(memory=spec.memory)
        spec.check(config.memory)
        return cls(spec.load(weights, torch.device(device)), config, device)

    def track(self, frames: Iterable[np.ndarray], masks: Mapping[int, np.ndarray], *,
              ignore_ids: tuple[int, ...] = (0, 255), num_frames: int | None = None) -> Iterator[FrameResult]:
        """Track the objects of ``masks`` (frame index -> index mask) through RGB ``frames``."""
        if num_frames is None and hasattr(frames, "__len__"):
            num_frames = len(frames)  # type: ignore[arg-type]
        prepared = (prepare_frame(rgb, self.config.size, masks.get(i), name=str(i)) for i, rgb in enumerate(frames))
        return self.track_frames(prepared, num_frames, ignore_ids=ignore_ids)

    def track_frames(self, frames: Iterable[Frame], num_frames: int | None, *, ignore_ids: tuple[int, ...] = (0, 255),
                     consolidation_observer: ConsolidationObserver | None = None) -> Iterator[FrameResult]:
        """Track through prepared frames; ``num_frames`` is the video length (it decides the
        last frame, long-term usage counting and the sparse-insertion schedule)."""
        config, device = self.config, self.device
        core = SegmentationEngine(self.network, config, num_frames=num_frames,
                                  consolidation_observer=consolidation_observer)
        objects = ObjectManager()
        cuda = device.type == "cuda"
        for index, frame in enumerate(frames):
            if frame.mask is None and not core.prompted:  # nothing to track before the first annotation
                yield FrameResult(index, frame.name, (), None, frame.output_shape)
                continue
            start = time.perf_counter()
            image = frame.image.to(device, non_blocking=True)
            given = new_ids = None
            if frame.mask is not None:
                try:
                    new_ids = objects.register(frame.mask, ignore=ignore_ids)
                except ValueError as exc:
                    raise XMemError(f"{frame.source or frame.name}: {exc}") from None
                if not core.prompted and not new_ids:
                    raise XMemError(f"{frame.source or frame.name}: the prompt annotation contains no object; "
                                    "annotate at least one")
                if new_ids or not core.prompted:
                    given = resize_masks(torch.from_numpy(objects.one_hot(frame.mask)), tuple(image.shape[-2:]))
                    given = given.to(device)
            if config.flip:
                image = torch.flip(image, dims=[-1])
                given = None if given is None else torch.flip(given, dims=[-1])
            with autocast(device, config.amp):
                prob = core.step(image, given, new_ids if given is not None else None,
                                 last=num_frames is not None and index == num_frames - 1)
            prob = resize_probabilities(prob.float(), frame.output_shape)
            if config.flip:
                prob = prob.flip(-1)  # back to the frame's orientation
            if cuda:
                torch.cuda.synchronize(device)
            seconds = time.perf_counter() - start
            memory = MemoryState(core.last_memory_t == core.t, core.memory.nbytes() + core.sensory.nbytes(),
                                 core.memory.work_size, core.memory.long_size, core.memory.num_consolidations,
                                 core.memory.num_evicted)
            yield FrameResult(index, frame.name, tuple(objects.external_ids), prob, frame.output_shape, seconds,
                              memory)
