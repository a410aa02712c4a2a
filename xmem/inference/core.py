"""The inference engine: one call of :meth:`SegmentationEngine.step` per frame (paper Fig. 3).

Order of operations per frame t (identical to the official ``InferenceCore.step``):
  1. encode the query (key, selection; shrinkage only on memory frames);
  2. unless every object is given by a mask on this frame: read memory, decode, and update
     the sensory memory (skipped on deep-update frames, whose hidden state comes from the
     value encoder instead, and on the last frame);
  3. merge masks given on this frame (new objects) with the prediction;
  4. on memory frames: encode the value (with the deep update of the sensory memory) and
     add it to working memory (which may trigger consolidation / eviction).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Protocol

import torch
from torch import Tensor

from xmem.inference.config import InferenceConfig
from xmem.inference.transforms import pad_to_multiple, unpad
from xmem.memory.config import needs_long_term_usage
from xmem.memory.manager import ConsolidationObserver, MemoryController
from xmem.memory.sensory import SensoryMemory
from xmem.model.aggregate import aggregate_probabilities


def _fp32(x: Tensor | None) -> Tensor | None:
    """Memory reading subtracts large squared norms (eq. S2): under bf16/fp16 autocast it must
    still run in fp32, so keys, scaling terms and values are stored and read as fp32."""
    return None if x is None else x.float()


class SegmentationNetwork(Protocol):
    """What the engine needs from a network (XMem and the STCN baseline implement it)."""

    hidden_dim: int

    def encode_key(self, image: Tensor, need_shrinkage: bool = True, need_selection: bool = True): ...

    def encode_value(self, image: Tensor, f16: Tensor, hidden: Tensor | None, masks: Tensor, deep_update: bool = True): ...

    def segment(self, features, readout: Tensor, hidden: Tensor | None, update_hidden: bool = True): ...


class SegmentationEngine:
    """Processes one video frame by frame.

    Args:
        network: a :class:`SegmentationNetwork` in eval mode.
        config: inference settings.
        num_frames: length of the video, used to decide whether long-term usage must be
            counted (as the official script does) and by the sparse-insertion schedule.
        consolidation_observer: forwarded to the memory manager (Fig. S1).
    """

    def __init__(
        self,
        network: SegmentationNetwork,
        config: InferenceConfig,
        num_frames: int | None = None,
        consolidation_observer: ConsolidationObserver | None = None,
    ):
        self.network = network
        self.config = config
        memory_config = config.memory
        if num_frames is not None:
            memory_config = replace(memory_config, count_long_term_usage=needs_long_term_usage(memory_config, num_frames))
        self.memory = MemoryController(memory_config, consolidation_observer)
        self.sensory = SensoryMemory(network.hidden_dim)
        self.mem_every, self.mem_offset = config.schedule_for(num_frames or 0)
        self.t = -1
        self.next_memory_t: int | None = None
        self.last_memory_t: int | None = None
        self.last_deep_update_t = -(10**9)
        self.num_objects = 0
        self.prompted = False

    @property
    def uses_long_term(self) -> bool:
        return self.memory.config.uses_long_term

    def _schedule_next_memory(self, t: int, first_prompt: bool) -> None:
        step = self.mem_offset if (first_prompt and self.mem_offset > 0) else self.mem_every
        self.next_memory_t = t + step

    def _is_deep_update(self, is_memory_frame: bool, last: bool) -> bool:
        every = self.config.deep_update_every
        if last or every == 0:
            return False
        if every < 0:
            return is_memory_frame
        return self.t - self.last_deep_update_t >= every

    @torch.inference_mode()
    def step(
        self,
        image: Tensor,
        masks: Tensor | None = None,
        new_objects: list[int] | None = None,
        last: bool = False,
    ) -> Tensor:
        """Process one frame.

        Args:
            image: normalised frame [3, H, W].
            masks: [num_objects, H, W] one-hot masks of ALL objects known so far (rows of
                objects not annotated on this frame are ignored), or None.
            new_objects: internal ids (1-based) of the objects annotated on this frame;
                None with ``masks`` means all of them.
            last: this is the video's last frame (nothing is memorised).

        Returns:
            probabilities [num_objects + 1, H, W] including the background at index 0.
        """
        if masks is None and not self.prompted:
            raise ValueError("the first processed frame needs a mask (the prompt)")
        self.t += 1
        image, pad = pad_to_multiple(image)
        image = image.unsqueeze(0)
        given = masks is not None
        if given and new_objects is None:
            new_objects = list(range(1, masks.shape[0] + 1))
        total_objects = masks.shape[0] if given else self.num_objects

        is_memory_frame = (given or self.t >= self.next_memory_t) and not last
        must_predict = self.t > 0 and (not given or len(new_objects) != total_objects)
        deep_update = self._is_deep_update(is_memory_frame, last)
        sync = self.config.deep_update_every < 0
        normal_update = (not sync or not deep_update) and not last

        feats = self.network.encode_key(
            image, need_shrinkage=is_memory_frame, need_selection=(self.uses_long_term or must_predict)
        )

        prob = None
        if must_predict:
            with torch.autocast(image.device.type, enabled=False):  # memory math in fp32 (see _fp32)
                readout = self.memory.read(_fp32(feats.key), _fp32(feats.selection)).unsqueeze(0)
            out = self.network.segment(feats.multi_scale, readout, self.sensory.hidden, update_hidden=normal_update)
            prob = out.prob[0]
            if normal_update:
                self.sensory.hidden = out.hidden

        if given:
            prob = self._merge_given_masks(prob, masks, new_objects)
            self.sensory.ensure_objects(total_objects, feats.key)
            first_prompt = not self.prompted
            self.prompted = True
            self.num_objects = total_objects

        if is_memory_frame or deep_update:
            object_probs = prob[1:].unsqueeze(0)  # [1, num_objects, H, W]: background row dropped
            value, hidden = self.network.encode_value(image=image, f16=feats.f16, hidden=self.sensory.hidden,
                                                      masks=object_probs, deep_update=deep_update)
            if is_memory_frame:
                self.memory.add(
                    _fp32(feats.key),
                    _fp32(feats.shrinkage),
                    _fp32(value),
                    list(range(1, self.num_objects + 1)),
                    selection=_fp32(feats.selection) if self.uses_long_term else None,
                )
                self._schedule_next_memory(self.t, given and first_prompt)
                self.last_memory_t = self.t
            if deep_update:
                self.sensory.hidden = hidden
                self.last_deep_update_t = self.t
        return unpad(prob, pad)

    @staticmethod
    def _merge_given_masks(prob: Tensor | None, masks: Tensor, new_objects: list[int]) -> Tensor:
        """Combine masks given on this frame with the prediction for the other objects."""
        masks, _ = pad_to_multiple(masks)
        if prob is not None:
            predicted = prob[1:].clone()  # [num_old_objects, H, W]
            predicted[:, masks.sum(0) > 0.5] = 0  # annotated pixels belong to the new objects
            masks = masks.to(predicted.dtype).clone()
            for i in range(predicted.shape[0]):
                if (i + 1) not in new_objects:
                    masks[i] = predicted[i]
        _, prob_with_bg = aggregate_probabilities(masks, dim=0)
        return prob_with_bg
