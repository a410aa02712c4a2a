"""MemoryController: working memory, consolidation, long-term memory, eviction and strategies."""

import copy
import logging
import math
from dataclasses import dataclass

import pytest
import torch

from xmem.memory.config import MemoryConfig
from xmem.memory.manager import MemoryController, _DerivedTensors

CK, CV, H, W = 8, 4, 2, 3
HW = H * W


@dataclass
class Frame:
    key: torch.Tensor  # [1, CK, H, W]
    shrinkage: torch.Tensor  # [1, 1, H, W]
    selection: torch.Tensor  # [1, CK, H, W]
    value: torch.Tensor  # [1, num_objects, CV, H, W]

    @property
    def ids(self):
        return list(range(1, self.value.shape[1] + 1))


def make_video(num_frames, objects_at=lambda t: 1, key_scale=1.0, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [
        Frame(
            key=torch.randn(1, CK, H, W, generator=g) * key_scale,
            shrinkage=1 + torch.rand(1, 1, H, W, generator=g),
            selection=0.5 + 0.5 * torch.rand(1, CK, H, W, generator=g),
            value=torch.randn(1, objects_at(t), CV, H, W, generator=g),
        )
        for t in range(num_frames)
    ]


def step(manager, frame):
    """One inference step on a memory frame: read (once memory exists), then memorise."""
    out = manager.read(frame.key, frame.selection) if manager.engaged else None
    manager.add(frame.key, frame.shrinkage, frame.value, frame.ids, selection=frame.selection)
    return out


def flat_keys(frames):
    return torch.cat([f.key.flatten(2) for f in frames], -1)


def flat_values(frames, obj):
    return torch.cat([f.value[0, obj].flatten(1) for f in frames], -1)


def element_lookup(frames):
    """Map an exact key column to its (frame, pixel) origin."""
    table = {}
    for t, f in enumerate(frames):
        for p, column in enumerate(f.key.flatten(2)[0].T):
            table[tuple(column.tolist())] = (t, p)
    return table


def expected_values(frames, table, keys, obj):
    """Values [CV, n] of object ``obj`` for the key columns ``keys`` [CK, n]."""
    origins = [table[tuple(column.tolist())] for column in keys.T]
    cols = [frames[t].value[0, obj].flatten(1)[:, p] for t, p in origins]
    return torch.stack(cols, -1) if cols else torch.zeros(CV, 0)


def simulate_working_frames(num_added, t_min, t_max):
    """Frame indices held by the working memory after each add (paper §3.3)."""
    held, history = [], []
    for t in range(num_added):
        held.append(t)
        if len(held) >= t_max:
            held = [held[0]] + held[len(held) - (t_min - 1) :]
        history.append(list(held))
    return history


# ---------------------------------------------------------------- reading
def test_read_before_any_memory_fails():
    manager = MemoryController(MemoryConfig())
    f = make_video(1)[0]
    with pytest.raises(RuntimeError, match="empty"):
        manager.read(f.key, f.selection)


def test_read_by_hand_two_memory_elements():
    manager = MemoryController(MemoryConfig(top_k=None, strategy="no_long_term"))
    key = torch.zeros(1, 4, 1, 2)
    key[0, 0, 0, 1] = 2.0  # element 0 at the origin, element 1 at (2, 0, 0, 0)
    value = torch.tensor([1.0, 5.0]).view(1, 1, 1, 1, 2)
    shrinkage = torch.tensor([1.0, 3.0]).view(1, 1, 1, 2)
    manager.add(key, shrinkage, value, [1])
    query = torch.zeros(1, 4, 1, 1)
    query[0, 0] = 1.0  # squared distance 1 to both; similarity -s_i / 2 = -0.5, -1.5
    out = manager.read(query, torch.ones(1, 4, 1, 1))
    w0 = 1 / (1 + math.exp(-1))
    assert out.shape == (1, 1, 1, 1)
    assert out.item() == pytest.approx(w0 * 1.0 + (1 - w0) * 5.0, rel=1e-6)


def test_usage_goes_to_the_matched_long_term_and_working_elements():
    manager = MemoryController(MemoryConfig(min_work_frames=2, max_work_frames=3, num_prototypes=4))
    frames = make_video(4, key_scale=20.0)  # far-apart keys: reading a stored key is one-hot
    for f in frames:
        step(manager, f)
    long, work = manager.long, manager.work
    assert long.size == 8 and work.size == 2 * HW
    # query pixels: long-term elements 1, 6 and working elements 0, 2, 7, 7
    query = torch.cat([long.key[:, :, [1, 6]], work.key[:, :, [0, 2, 7, 7]]], -1).view(1, CK, H, W)
    long_before, work_before = long.usage_sum.clone(), work.usage_sum.clone()
    life_before = work.reads_survived.clone()
    manager.read(query, torch.ones(1, CK, H, W))
    torch.testing.assert_close(work.reads_survived - life_before, torch.ones(2 * HW))  # aged by one read
    expected_long = torch.bincount(torch.tensor([1, 6]), minlength=8).float()
    expected_work = torch.bincount(torch.tensor([0, 2, 7, 7]), minlength=2 * HW).float()
    torch.testing.assert_close(long.usage_sum - long_before, expected_long)
    torch.testing.assert_close(work.usage_sum - work_before, expected_work)


# ---------------------------------------------------------------- working memory
def test_working_memory_is_bounded_and_keeps_the_first_frame():
    t_min, t_max = 3, 5
    manager = MemoryController(MemoryConfig(min_work_frames=t_min, max_work_frames=t_max, num_prototypes=4))
    frames = make_video(23)
    expected = simulate_working_frames(len(frames), t_min, t_max)
    for t, f in enumerate(frames):
        step(manager, f)
        held = [frames[i] for i in expected[t]]
        assert manager.work_size < t_max * HW
        assert manager.work_size == len(held) * HW
        assert expected[t][0] == 0
        assert torch.equal(manager.work.key, flat_keys(held))
        assert torch.equal(manager.work.groups[0].values[0], flat_values(held, 0))
        assert torch.equal(manager.work.shrinkage, torch.cat([x.shrinkage.flatten(2) for x in held], -1))
        assert torch.equal(manager.work.selection, torch.cat([x.selection.flatten(2) for x in held], -1))
    assert manager.num_consolidations == 1 + (23 - t_max) // (t_max - t_min)


def test_each_consolidation_adds_p_usage_selected_prototypes():
    t_min, t_max, p = 2, 4, 5
    events = []
    manager = MemoryController(
        MemoryConfig(min_work_frames=t_min, max_work_frames=t_max, num_prototypes=p, top_k=None),
        consolidation_observer=lambda key, protos, hw: events.append((key, protos, hw)),
    )
    frames = make_video(12)
    held_before = [[]] + simulate_working_frames(len(frames), t_min, t_max)
    for t, f in enumerate(frames):
        if manager.engaged:
            manager.read(f.key, f.selection)
            usage_before = manager.work.normalized_usage().clone()  # includes this read
        n_events = len(events)
        manager.add(f.key, f.shrinkage, f.value, f.ids, selection=f.selection)
        if len(events) == n_events:
            continue
        candidate_key, protos, hw = events[-1]
        assert hw == HW
        # candidates: the frames after the first, except the newest T_min - 1 frames
        candidates = (held_before[t] + [t])[1 : 1 + t_max - t_min]
        assert torch.equal(candidate_key, flat_keys([frames[i] for i in candidates]))
        # top-P normalised usage, in position order (the new frame is not a candidate)
        candidate_usage = usage_before[HW : HW + candidate_key.shape[-1]]
        assert protos.indices.tolist() == sorted(torch.argsort(candidate_usage, descending=True)[:p].tolist())
        assert torch.equal(protos.key, candidate_key[:, :, protos.indices])
        assert protos.group_values[0].shape == (1, CV, p)
    assert len(events) == manager.num_consolidations == 5
    assert manager.long_size == p * len(events)
    assert torch.equal(manager.long.key, torch.cat([e[1].key for e in events], -1))
    assert torch.equal(manager.long.groups[0].values, torch.cat([e[1].group_values[0] for e in events], -1))


@pytest.mark.parametrize("entry", [1, 2, 3])
def test_late_group_consolidation_follows_the_official_sieve(entry):
    # T_min = 2, T_max = 5, P = all 3 candidate frames, no potentiation: object 2 enters at
    # frame `entry`; the first consolidation happens when frame 4 is added (candidates 1-3).
    config = MemoryConfig(min_work_frames=2, max_work_frames=5, num_prototypes=3 * HW, potentiation=False)
    manager = MemoryController(config)
    frames = make_video(5, objects_at=lambda t: 1 if t < entry else 2)
    for f in frames:
        step(manager, f)
    assert manager.num_consolidations == 1
    assert torch.equal(manager.long.key, flat_keys(frames[1:4]))
    assert torch.equal(manager.long.groups[0].values[0], flat_values(frames[1:4], 0))
    late_frames = 5 - entry  # frames the late group holds at consolidation time
    if late_frames > config.min_work_frames + 1:
        # candidates from the group's second frame on; its own first frame is not consolidated
        assert manager.long.num_groups == 2
        assert torch.equal(manager.long.groups[1].values[0], flat_values(frames[entry + 1 : 4], 1))
    else:
        assert manager.long.num_groups == 1  # too short to contribute yet
    # the working memory keeps frames 0 and 4; the late group keeps its own first frame
    # (official behaviour: that value then shares the first frame's key) when it was sieved
    # or had exactly T_min frames
    assert torch.equal(manager.work.key, flat_keys([frames[0], frames[4]]))
    assert torch.equal(manager.work.groups[1].values[0], flat_values([frames[entry], frames[4]], 1))


# ---------------------------------------------------------------- long-term memory and eviction
def test_long_term_memory_is_bounded_over_a_long_run():
    config = MemoryConfig(min_work_frames=2, max_work_frames=3, num_prototypes=4, max_long_term_elements=14)
    manager = MemoryController(config)
    for f in make_video(60):
        out = step(manager, f)
        assert manager.long_size <= 14
        assert manager.work_size <= 2 * HW
        if out is not None:
            assert out.shape == (1, CV, H, W) and torch.isfinite(out).all()
    assert manager.num_consolidations == 58
    assert manager.num_evicted > 0
    assert manager.long_size >= 4
    assert manager.long.usage_sum.shape == (manager.long_size,)


def test_lfu_eviction_removes_the_least_used_elements():
    config = MemoryConfig(top_k=None, min_work_frames=2, max_work_frames=3, num_prototypes=4, max_long_term_elements=10)
    manager = MemoryController(config)
    frames = make_video(8)
    checked = 0
    for f in frames:
        if manager.engaged:
            manager.read(f.key, f.selection)
        before_key = manager.long.key.clone() if manager.long.engaged else None
        usage = manager.long.normalized_usage().clone() if manager.long.engaged else None
        evicted_before = manager.num_evicted
        manager.add(f.key, f.shrinkage, f.value, f.ids, selection=f.selection)
        if manager.num_evicted > evicted_before:
            excess = before_key.shape[-1] - (10 - 4)
            assert manager.num_evicted - evicted_before == excess  # plain softmax: no ties
            survivors = torch.sort(torch.argsort(usage)[excess:]).values
            assert torch.equal(manager.long.key[:, :, : len(survivors)], before_key[:, :, survivors])
            checked += 1
    assert checked >= 2


def test_long_term_size_exactly_lt_max_minus_p_does_not_crash():
    # P = 3, LT_max = 9: after two consolidations |LT| = 6 = LT_max - P; the third one asks
    # to evict zero elements (the official code fails with an empty top-k there).
    config = MemoryConfig(min_work_frames=2, max_work_frames=3, num_prototypes=3, max_long_term_elements=9)
    manager = MemoryController(config)
    frames = make_video(6)
    sizes = []
    for f in frames:
        step(manager, f)
        sizes.append((manager.num_consolidations, manager.long_size, manager.num_evicted))
    assert sizes[3] == (2, 6, 0)
    assert sizes[4] == (3, 9, 0)
    consolidations, long_size, evicted = sizes[5]
    assert consolidations == 4 and long_size <= 9 and evicted >= 3


def test_fifo_eviction_without_long_term_usage(caplog):
    events = []
    config = MemoryConfig(
        min_work_frames=2, max_work_frames=3, num_prototypes=3, max_long_term_elements=9, count_long_term_usage=False
    )
    manager = MemoryController(config, consolidation_observer=lambda k, protos, hw: events.append(protos.key))
    with caplog.at_level(logging.WARNING, logger="xmem.memory.manager"):
        for f in make_video(10):
            step(manager, f)
    assert manager.long.usage_sum is None
    assert manager.num_consolidations == 8 and manager.long_size == 9
    assert manager.num_evicted == 3 * (8 - 3)  # from the fourth consolidation on, 3 per event
    assert torch.equal(manager.long.key, torch.cat(events, -1)[:, :, -9:])  # the newest survive
    assert sum("oldest" in r.getMessage() for r in caplog.records) == 1


@pytest.mark.parametrize("potentiation", [False, True])
def test_eviction_with_several_object_groups_keeps_values_aligned(potentiation):
    # Objects 2 and 3 appear later (three groups). Keys are far apart so that potentiation
    # weights are one-hot and prototype values are exactly the values of their own keys.
    config = MemoryConfig(
        min_work_frames=2, max_work_frames=4, num_prototypes=4, max_long_term_elements=12, potentiation=potentiation
    )
    manager = MemoryController(config)
    frames = make_video(30, objects_at=lambda t: 1 + (t >= 4) + (t >= 9), key_scale=20.0, seed=1)
    for f in frames:
        step(manager, f)
    assert manager.num_evicted > 0 and manager.long_size <= 12
    table = element_lookup(frames)
    long, work = manager.long, manager.work
    assert [g.indices for g in work.groups] == [[0], [1], [2]]
    assert [g.indices for g in long.groups] == [[0], [1], [2]]
    assert long.groups[0].size == long.size and long.groups[2].size >= HW  # late groups cover a suffix
    for group in long.groups:
        keys = long.key[0, :, long.size - group.size :]
        for row, obj in enumerate(group.indices):
            torch.testing.assert_close(group.values[row], expected_values(frames, table, keys, obj))
    for group in work.groups:  # positions before HW hold each late group's own first frame
        keys = work.key[0, :, max(HW, work.size - group.size) :]
        for row, obj in enumerate(group.indices):
            ours = group.values[row, :, group.size - keys.shape[-1] :]
            torch.testing.assert_close(ours, expected_values(frames, table, keys, obj))
    # reading a stored long-term key returns that element's value for every object
    query = long.key[:, :, -HW:].reshape(1, CK, H, W)
    out = manager.read(query, torch.ones(1, CK, H, W))
    assert out.shape == (3, CV, H, W)
    for obj in range(3):
        torch.testing.assert_close(out[obj].flatten(1), expected_values(frames, table, query.flatten(2)[0], obj))


@pytest.mark.parametrize("top_k", [None, 3])  # dense readout / top-k table readout
def test_reads_see_every_memory_change(top_k):
    # The reader reuses concatenations and value tables between memory changes; every read must
    # equal the read of a copy that builds them anew, across additions, late object groups,
    # consolidations and evictions (reading twice per frame: a non-memory frame, then a memory frame).
    config = MemoryConfig(min_work_frames=2, max_work_frames=3, num_prototypes=4, max_long_term_elements=14,
                          top_k=top_k)
    manager = MemoryController(config)
    frames = make_video(24, objects_at=lambda t: 1 + (t >= 4) + (t >= 9), seed=2)
    manager.add(frames[0].key, frames[0].shrinkage, frames[0].value, frames[0].ids, selection=frames[0].selection)
    for f in frames[1:]:
        for _ in range(2):
            rebuilt = copy.deepcopy(manager)
            rebuilt._derived = _DerivedTensors()
            expected = rebuilt.read(f.key, f.selection)
            assert torch.equal(manager.read(f.key, f.selection), expected)
        manager.add(f.key, f.shrinkage, f.value, f.ids, selection=f.selection)
    assert manager.num_consolidations > 5 and manager.num_evicted > 0 and manager.num_objects == 3


# ---------------------------------------------------------------- prototype selection variants
@pytest.mark.parametrize("selection", ["random", "kmeans"])
def test_other_prototype_selections_in_the_manager(selection):
    config = MemoryConfig(min_work_frames=2, max_work_frames=4, num_prototypes=5, prototype_selection=selection)
    runs = []
    for _ in range(2):
        manager = MemoryController(config)
        for f in make_video(9, objects_at=lambda t: 1 if t < 3 else 2):
            step(manager, f)
        runs.append(manager)
    assert runs[0].num_consolidations == 3 and runs[0].long_size == 15
    assert torch.equal(runs[0].long.key, runs[1].long.key)  # reproducible from config.seed
    assert runs[0].long.groups[0].values.shape == (1, CV, 15)


def test_consolidation_without_selection_terms():
    manager = MemoryController(MemoryConfig(min_work_frames=2, max_work_frames=3, num_prototypes=2))
    for f in make_video(5):
        if manager.engaged:
            manager.read(f.key, None)
        manager.add(f.key, f.shrinkage, f.value, f.ids)
    assert manager.work.selection is None and manager.long_size == 6


# ---------------------------------------------------------------- strategies
@pytest.mark.parametrize("strategy", ["no_long_term", "sparse_insertion"])
def test_memory_without_long_term_grows_linearly(strategy):
    # sparse insertion only spaces out memory frames (in the inference loop); the bank grows
    config = MemoryConfig(strategy=strategy, min_work_frames=2, max_work_frames=3, max_memory_frames=3)
    manager = MemoryController(config)
    for t, f in enumerate(make_video(12)):
        step(manager, f)
        assert manager.work_size == (t + 1) * HW
    assert manager.long is None and manager.long_size == 0 and manager.work.usage_sum is None


def test_local_window_keeps_first_frame_and_drops_the_oldest():
    manager = MemoryController(MemoryConfig(strategy="local_window", max_memory_frames=3))
    frames = make_video(10, objects_at=lambda t: 1 if t < 6 else 2)
    for t, f in enumerate(frames):
        step(manager, f)
        held = [0] + list(range(max(1, t - 1), t + 1))
        assert manager.work_size == len(held) * HW <= 3 * HW
        assert torch.equal(manager.work.key, flat_keys([frames[i] for i in held]))
        assert torch.equal(manager.work.groups[0].values[0], flat_values([frames[i] for i in held], 0))
    late = manager.work.groups[1]
    assert torch.equal(late.values[0], flat_values(frames[8:10], 1))


def test_eager_compression_consolidates_every_frame():
    config = MemoryConfig(strategy="eager_compression", min_work_frames=2, max_work_frames=5, num_prototypes=10)
    events = []
    manager = MemoryController(config, consolidation_observer=lambda k, protos, hw: events.append(protos))
    c = manager.config
    assert (c.min_work_frames, c.max_work_frames, c.num_prototypes, c.prototype_selection) == (1, 2, 4, "random")
    frames = make_video(7)
    for t, f in enumerate(frames):
        step(manager, f)
        assert torch.equal(manager.work.key, frames[0].key.flatten(2))  # only the first frame stays
        assert manager.long_size == 4 * t
    assert len(events) == 6 and all(e.indices is not None and e.key.shape[-1] == 4 for e in events)


def test_sensory_only_reads_zeros():
    manager = MemoryController(MemoryConfig(strategy="sensory_only"))
    frames = make_video(3, objects_at=lambda t: 2)
    for f in frames:
        step(manager, f)
    out = manager.read(frames[0].key, frames[0].selection)
    assert out.shape == (2, CV, H, W) and torch.equal(out, torch.zeros(2, CV, H, W))
    assert manager.work_size == 0 and manager.long is None and manager.nbytes() == 0


# ---------------------------------------------------------------- bookkeeping and bad input
def test_nbytes_sums_both_stores():
    manager = MemoryController(MemoryConfig(min_work_frames=2, max_work_frames=3, num_prototypes=2))
    for f in make_video(4):
        step(manager, f)
    assert manager.long_size > 0
    assert manager.nbytes() == manager.work.nbytes() + manager.long.nbytes()


@pytest.mark.parametrize("ids", [[2], [0], [1, 1]])
def test_object_ids_must_be_one_to_n(ids):
    manager = MemoryController(MemoryConfig())
    f = make_video(1)[0]
    value = f.value if len(ids) == 1 else torch.cat([f.value, f.value], 1)
    with pytest.raises(ValueError, match="object ids"):
        manager.add(f.key, f.shrinkage, value, ids)


def test_objects_cannot_disappear():
    manager = MemoryController(MemoryConfig())
    f = make_video(1, objects_at=lambda t: 2)[0]
    manager.add(f.key, f.shrinkage, f.value, [1, 2])
    with pytest.raises(ValueError, match="disappear"):
        manager.add(f.key, f.shrinkage, f.value[:, :1], [1])
