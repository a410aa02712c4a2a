"""The memory-regime arithmetic: the paper's numbers by hand, the closed forms against the code."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

from xmem.inference.config import InferenceConfig
from xmem.inference.core import SegmentationEngine
from xmem.memory.config import MemoryConfig
from xmem.memory.manager import MemoryController
from xmem.memory.regime import (
    PAPER,
    LongVideoFacts,
    MemorySettings,
    RegimeInputs,
    compression_ratio_pct,
    consolidation_frame,
    consolidations,
    elements_per_frame,
    first_evicting_consolidation,
    memory_frames,
    regime_frame,
    regime_rows,
    render_markdown,
    scaled_elements,
    video_regime,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "inference"))
from stub_network import StubNetwork  # noqa: E402


def by_quantity(rows):
    return {r.quantity: r for r in rows}


def test_paper_numbers_by_hand():
    m = PAPER.memory
    assert elements_per_frame(480, 854) == 30 * 54 == 1620
    assert compression_ratio_pct(m, 1620) == pytest.approx(100 * 5 * 1620 / 128)  # 6328.125 %
    assert [round(compression_ratio_pct(m, 1620, p)) for p in (64, 128, 256)] == [12656, 6328, 3164]
    # 7,000 / 3 frames: memory frames 0, 10, ..., 2330 -> 234; consolidations at 10, 15, ..., 230 -> 45
    lv1 = video_regime(7000 / 3, m)
    assert (lv1.frames, lv1.memory_frames, lv1.consolidations) == (2333, 234, 45)
    assert (lv1.prototypes_added, lv1.long_term_elements, lv1.eviction_frame) == (5760, 5760, None)
    # 3x: 7,000 frames, 700 memory frames, 1 + 690 // 5 = 139 consolidations; elements first removed
    # before consolidation 10000 // 128 + 1 = 79 = memory frame 10 + 78 * 5 = 400 = frame 3,990
    # (App. D: LT_max = 10,000 "can store information from around 3,900 frames")
    lv3 = video_regime(7000, m)
    assert (lv3.memory_frames, lv3.consolidations, lv3.prototypes_added) == (700, 139, 17792)
    assert first_evicting_consolidation(128, 10000) == 79
    assert lv3.eviction_frame == consolidation_frame(79, m) == 3990
    assert lv3.long_term_elements == 10000


def test_paper_column_of_the_table():
    rows = by_quantity(regime_rows(PAPER))
    assert rows["elements per memory frame E"].paper_value == 1620
    assert rows["compression ratio (T_max-T_min)*E/P"].paper_value == pytest.approx(6328.125)
    assert rows["consolidations per 1x video"].paper_value == 45
    assert rows["long-term elements at 1x / LT_max (before eviction)"].paper_value == pytest.approx(0.576)
    assert rows["first eviction at 1x (fraction of the video)"].paper_value is None  # never at 1x
    assert rows["first eviction at 3x (fraction of the video)"].paper_value == pytest.approx(3990 / 7000)
    # Table S1: 20,000 and 30,000 hold the whole 3x memory (identical rows in the paper), 10,000 does not
    s1 = {v: rows[f"Table S1 LT_max = {v}: 3x elements / LT_max"].paper_value for v in (10000, 20000, 30000)}
    assert s1[10000] > 1 > s1[20000] > s1[30000]
    assert rows["longest absence / working-memory span (T_max*r)"].paper_value == 20  # 'cans', 2,000 / 100
    assert rows["long video / short video length"].paper_value == pytest.approx(2333 / (10459 / 150))


def test_scaling_of_element_counts():
    assert elements_per_frame(128, 224) == 8 * 14 == 112
    assert elements_per_frame(100, 100) == 7 * 7  # padded to 112 x 112
    assert scaled_elements(128, 112) == 9  # 8.85
    assert scaled_elements(10000, 112) == 691  # 691.4
    assert scaled_elements(128, 1620) == 128
    assert scaled_elements(1, 10) == 1  # never 0


@pytest.mark.parametrize("num_frames,r,offset", [(21, 5, 0), (21, 5, 3), (100, 10, 0), (101, 10, 6), (12, 10, 0),
                                                 (2, 10, 0), (57, 10, 9)])
def test_memory_frames_match_the_engine_schedule(num_frames, r, offset):
    core = SegmentationEngine(StubNetwork(), InferenceConfig(mem_every=r, mem_offset=offset, size=-1),
                              num_frames=num_frames)
    mask = torch.zeros(1, 32, 32)
    mask[0, :, :16] = 1
    count = 0
    for t in range(num_frames):
        core.step(torch.zeros(3, 32, 32), mask if t == 0 else None, last=t == num_frames - 1)
        count += core.last_memory_t == t
    assert memory_frames(num_frames, r, offset) == count


def test_consolidations_and_eviction_match_the_memory_controller():
    """Closed forms vs a MemoryController fed random keys (T_min 5, T_max 10, P 3, LT_max 20)."""
    settings = MemorySettings(mem_every=1, min_work_frames=5, max_work_frames=10, num_prototypes=3,
                              max_long_term_elements=20)
    controller = MemoryController(MemoryConfig(min_work_frames=5, max_work_frames=10, num_prototypes=3,
                                               max_long_term_elements=20))
    g = torch.Generator().manual_seed(0)
    first_eviction = None
    for count in range(1, 71):
        key = torch.randn(1, 8, 2, 3, generator=g)
        selection = 0.5 + 0.5 * torch.rand(1, 8, 2, 3, generator=g)
        if controller.engaged:
            controller.read(key, selection)
        controller.add(key, 1 + torch.rand(1, 1, 2, 3, generator=g), torch.randn(1, 1, 4, 2, 3, generator=g), [1],
                       selection=selection)
        n = consolidations(count, 5, 10)
        assert controller.num_consolidations == n
        assert controller.long_size == min(3 * n, 20)
        assert controller.work_size == 6 * (count if count < 10 else 5 + (count - 10) % 5)
        if first_eviction is None and controller.num_evicted > 0:
            first_eviction = count
    j = first_evicting_consolidation(3, 20)
    assert j == 7 and first_eviction == 10 + (j - 1) * 5 == 40
    # with r = 1, offset 0, memory frame k is frame k - 1; the last frame is never memorised
    assert video_regime(71, settings).eviction_frame == consolidation_frame(j, settings) == 39
    assert video_regime(71, settings).consolidations == consolidations(70, 5, 10) == 13


def _profile(lengths=(1500.0, 1700.0)) -> RegimeInputs:
    memory = MemorySettings(mem_every=10, min_work_frames=5, max_work_frames=10, num_prototypes=4,
                            max_long_term_elements=309, prototype_counts=(2, 4, 9),
                            ltmax_values=(19, 37, 93, 185, 309))
    videos = LongVideoFacts(lengths, 80, 144, 50.0, 330.0, "measured")  # E = 5 x 9 = 45
    return RegimeInputs("synthetic", videos, memory)


def test_profile_rows_and_markdown():
    rows = regime_rows(_profile())
    q = by_quantity(rows)
    assert q["elements per memory frame E"].profile_low == 45
    assert q["P (prototypes per consolidation)"].note == "paper x E/1620 = 3.56"
    # 1,500 frames: 150 memory frames, 1 + 140 // 5 = 29 consolidations; 1,700: 170, 33
    assert (q["consolidations per 1x video"].profile_low, q["consolidations per 1x video"].profile_high) == (29, 33)
    assert q["consolidations per 1x video"].ratio_low == pytest.approx(29 / 45)
    assert q["compression ratio (T_max-T_min)*E/P"].profile_low == pytest.approx(100 * 5 * 45 / 4)
    # 3x: 4,500 frames -> 450 memory frames -> 89 consolidations -> 356 elements > 309
    assert q["long-term elements at 3x / LT_max (before eviction)"].profile_low == pytest.approx(356 / 309)
    assert q["first eviction at 1x (fraction of the video)"].profile_low is None
    assert q["Table S1 LT_max = 309: 3x elements / LT_max"].note == "paper LT_max = 10000"
    assert q["Table 6 P = 2: compression ratio"].note == "paper P = 64"
    assert q["longest absence / working-memory span (T_max*r)"].profile_low == pytest.approx(3.3)
    frame = regime_frame(rows)
    assert list(frame.columns) == ["quantity", "profile_low", "profile_high", "paper", "ratio_low", "ratio_high",
                                   "unit", "note"]
    assert len(frame) == len(rows)
    text = render_markdown(rows, "synthetic")
    assert text.startswith("| quantity | synthetic | paper | synthetic / paper | note |")
    assert "| consolidations per 1x video | 29–33 | 45 | 0.64–0.73× |" in text
    assert "| compression ratio (T_max-T_min)*E/P | 5,625% | 6,328% | 0.89× |" in text
