"""KeyValueStore: keys shared by all objects, end-aligned values per object group."""

import pytest
import torch

from xmem.memory.kv_store import KeyValueStore

CK, CV, HW = 4, 3, 2


def frame(tags, num_objects, with_selection=True):
    """Key/shrinkage/selection/value of one frame whose HW elements carry the given tags.

    Key channel 0 = tag, shrinkage = tag + 1, selection channel 0 = tag / 100,
    value[o, c, i] = 1000 * o + 100 * c + tag_i (o = 0-based object index).
    """
    tags = torch.tensor(tags, dtype=torch.float32)
    key = torch.zeros(1, CK, len(tags))
    key[0, 0] = tags
    shrinkage = (tags + 1).view(1, 1, -1)
    selection = torch.zeros(1, CK, len(tags))
    selection[0, 0] = tags / 100
    o = torch.arange(num_objects, dtype=torch.float32).view(-1, 1, 1)
    c = torch.arange(CV, dtype=torch.float32).view(1, -1, 1)
    value = 1000 * o + 100 * c + tags.view(1, 1, -1)
    return key, shrinkage, selection if with_selection else None, value


def key_tags(store):
    return store.key[0, 0].tolist()


def value_tags(store, gi):
    """[object index, tags] of group gi recovered from channel 0 of its values."""
    group = store.groups[gi]
    out = []
    for row, obj in enumerate(group.indices):
        assert torch.equal(group.values[row, 1] - group.values[row, 0], torch.full((group.size,), 100.0))
        out.append((group.values[row, 0] - 1000 * obj).tolist())
    return out


def assert_aligned(store):
    """Every group's values carry the tags of the keys they are end-aligned with."""
    tags = key_tags(store)
    for gi, group in enumerate(store.groups):
        expected = tags[len(tags) - group.size :]
        for row in value_tags(store, gi):
            assert row == expected


def build(frames, track_usage=True):
    """frames: list of (tags, object_indices)."""
    store = KeyValueStore(track_usage=track_usage)
    for tags, objects in frames:
        key, s, e, v = frame(tags, max(objects) + 1)
        store.add_frame(key, s, e, v, objects)
    return store


# ---------------------------------------------------------------- adding
def test_empty_store():
    store = KeyValueStore(track_usage=True)
    assert store.size == 0 and store.num_groups == 0 and not store.engaged and store.nbytes() == 0


def test_add_frames_single_group():
    store = build([([0, 1], [0, 1]), ([2, 3], [0, 1]), ([4, 5], [0, 1])])
    assert store.engaged and store.size == 6 and store.num_groups == 1
    assert store.groups[0].indices == [0, 1]
    assert key_tags(store) == [0, 1, 2, 3, 4, 5]
    assert store.shrinkage[0, 0].tolist() == [1, 2, 3, 4, 5, 6]
    assert store.selection.shape == (1, CK, 6)
    assert value_tags(store, 0) == [[0, 1, 2, 3, 4, 5]] * 2
    assert store.usage_sum.tolist() == [0.0] * 6
    torch.testing.assert_close(store.reads_survived, torch.full((6,), 1e-7))


def test_late_objects_form_new_end_aligned_groups():
    store = build(
        [
            ([0, 1], [0]),
            ([2, 3], [0]),
            ([4, 5], [0, 1, 2]),  # objects 1 and 2 enter together
            ([6, 7], [0, 1, 2]),
            ([8, 9], [0, 1, 2, 3]),  # object 3 enters later
        ]
    )
    assert store.num_groups == 3
    assert [g.indices for g in store.groups] == [[0], [1, 2], [3]]
    assert store.object_indices == [0, 1, 2, 3]
    assert [store.group_size(i) for i in range(3)] == [10, 6, 2]
    assert value_tags(store, 0) == [list(range(10))]
    assert value_tags(store, 1) == [[4, 5, 6, 7, 8, 9]] * 2
    assert value_tags(store, 2) == [[8, 9]]
    assert_aligned(store)


def test_objects_must_enter_in_increasing_order():
    store = build([([0, 1], [0, 2])])
    key, s, e, v = frame([2, 3], 3)
    with pytest.raises(ValueError, match="increasing"):
        store.add_frame(key, s, e, v, [0, 1, 2])


def test_store_without_shrinkage_and_selection():
    store = KeyValueStore(track_usage=False)
    key, _, _, v = frame([0, 1], 1)
    store.add_frame(key, None, None, v, [0])
    store.add_frame(key, None, None, v, [0])
    assert store.size == 4 and store.shrinkage is None and store.selection is None
    assert store.usage_sum is None and store.reads_survived is None


def test_add_prototypes_matches_groups_by_position():
    store = build([([0, 1], [0]), ([2, 3], [0, 1])])
    key, s, _, v = frame([10, 11, 12], 2)
    # group 0 gets all three prototypes, group 1 only the last one
    store.add_prototypes(key, s, [v[[0]], v[[1], :, 2:]], [[0], [1]])
    assert key_tags(store) == [0, 1, 2, 3, 10, 11, 12]
    assert store.selection.shape[-1] == 4  # prototypes carry no selection term
    assert value_tags(store, 0) == [[0, 1, 2, 3, 10, 11, 12]]
    assert value_tags(store, 1) == [[2, 3, 12]]


def test_add_prototypes_creates_groups_and_skips_none():
    store = KeyValueStore(track_usage=False)
    key, s, _, v = frame([0, 1], 2)
    store.add_prototypes(key, s, [v[[0]], None], [[0], [1]])
    assert store.num_groups == 1 and store.groups[0].indices == [0]
    key, s, _, v = frame([2, 3], 2)
    store.add_prototypes(key, s, [v[[0]], v[[1], :, 1:]], [[0], [1]])
    assert [g.indices for g in store.groups] == [[0], [1]]
    assert value_tags(store, 1) == [[3]]
    assert_aligned(store)


# ---------------------------------------------------------------- usage
def test_usage_is_normalised_by_life():
    store = build([([0, 1, 2], [0])])
    store.record_usage(torch.tensor([1.0, 0.0, 3.0]))
    store.record_usage(torch.tensor([1.0, 2.0, 0.0]))
    assert store.usage_sum.tolist() == [2.0, 2.0, 3.0]
    torch.testing.assert_close(store.reads_survived, torch.full((3,), 2.0 + 1e-7))
    torch.testing.assert_close(store.normalized_usage(), torch.tensor([1.0, 1.0, 1.5]))
    # new elements start with zero use and (almost) zero life
    key, s, e, v = frame([3], 1)
    store.add_frame(key, s, e, v, [0])
    assert store.normalized_usage()[-1].item() == 0.0


def test_usage_not_counted():
    store = build([([0, 1], [0])], track_usage=False)
    store.record_usage(torch.tensor([1.0, 1.0]))  # ignored
    assert store.usage_sum is None
    with pytest.raises(RuntimeError):
        store.normalized_usage()


# ---------------------------------------------------------------- remove_range
def ten_element_store():
    """Keys tagged 0..9; group 0 covers all, group 1 covers the last 4 (tags 6..9)."""
    store = build([([0, 1], [0]), ([2, 3], [0]), ([4, 5], [0]), ([6, 7], [0, 1]), ([8, 9], [0, 1])])
    store.record_usage(torch.arange(10, dtype=torch.float32))
    return store


def test_remove_range_negative_end():
    store = ten_element_store()
    store.remove_range(2, -3, min_group_size=100)  # group sizes 10 and 4: no value is cut
    assert key_tags(store) == [0, 1, 7, 8, 9]
    assert store.shrinkage[0, 0].tolist() == [1, 2, 8, 9, 10]
    assert (store.selection[0, 0] * 100).round().tolist() == [0, 1, 7, 8, 9]
    assert store.usage_sum.tolist() == [0, 1, 7, 8, 9]
    assert store.reads_survived.shape == (5,)
    assert value_tags(store, 0) == [list(range(10))]
    assert value_tags(store, 1) == [[6, 7, 8, 9]]


def test_remove_range_cuts_only_groups_of_min_group_size():
    store = ten_element_store()
    store.remove_range(2, -3, min_group_size=5)
    assert key_tags(store) == [0, 1, 7, 8, 9]
    assert value_tags(store, 0) == [[0, 1, 7, 8, 9]]
    assert value_tags(store, 1) == [[6, 7, 8, 9]]  # smaller than min_group_size: untouched


def test_remove_range_with_zero_end_keeps_the_head_only():
    store = ten_element_store()
    store.remove_range(2, 0, min_group_size=4)
    assert key_tags(store) == [0, 1]
    assert store.usage_sum.tolist() == [0, 1]
    assert value_tags(store, 0) == [[0, 1]]
    assert value_tags(store, 1) == [[6, 7]]  # sliced [:2] like the official sieve


def test_remove_range_with_positive_end():
    store = ten_element_store()
    store.remove_range(1, 4, min_group_size=10)
    assert key_tags(store) == [0, 4, 5, 6, 7, 8, 9]
    assert value_tags(store, 0) == [[0, 4, 5, 6, 7, 8, 9]]
    assert value_tags(store, 1) == [[6, 7, 8, 9]]
    assert_aligned(store)


def test_remove_range_as_in_consolidation_sieves_late_group_like_official():
    # hw = 2, T_min = 2 as in a consolidation: keep the first and the newest frame. The late
    # group has exactly (T_min + 1) frames = min_group_size, so it is sieved too; like the
    # official sieve it keeps its own first frame (tags 4, 5), which thereby becomes end-aligned
    # with the video's first-frame keys (0, 1).
    store = build([([0, 1], [0]), ([2, 3], [0]), ([4, 5], [0, 1]), ([6, 7], [0, 1]), ([8, 9], [0, 1])])
    store.remove_range(2, -2, min_group_size=6)
    assert key_tags(store) == [0, 1, 8, 9]
    assert value_tags(store, 0) == [[0, 1, 8, 9]]
    assert value_tags(store, 1) == [[4, 5, 8, 9]]  # the group keeps its own first frame


# ---------------------------------------------------------------- keep_elements / eviction
def three_group_store():
    """Keys 0..7; group 0 all, group 1 (objects 1, 2) the last 4, group 2 (object 3) the last 2."""
    return build([([0, 1], [0]), ([2, 3], [0]), ([4, 5], [0, 1, 2]), ([6, 7], [0, 1, 2, 3])])


def test_keep_elements_with_several_groups_keeps_values_matched_to_keys():
    store = three_group_store()
    store.record_usage(torch.arange(8, dtype=torch.float32) * 2)
    keep = torch.tensor([True, False, True, True, False, True, True, False])
    store.keep_elements(keep)
    assert key_tags(store) == [0, 2, 3, 5, 6]
    assert store.shrinkage[0, 0].tolist() == [1, 3, 4, 6, 7]
    assert store.usage_sum.tolist() == [0, 4, 6, 10, 12]
    assert value_tags(store, 0) == [[0, 2, 3, 5, 6]]
    assert value_tags(store, 1) == [[5, 6], [5, 6]]
    assert value_tags(store, 2) == [[6]]
    assert_aligned(store)


def test_keep_elements_can_empty_a_late_group():
    store = three_group_store()
    store.keep_elements(torch.tensor([True] * 6 + [False, False]))
    assert key_tags(store) == [0, 1, 2, 3, 4, 5]
    assert [g.size for g in store.groups] == [6, 2, 0]
    assert_aligned(store)


def test_remove_position():
    store = three_group_store()
    store.remove_position(5)
    assert key_tags(store) == [0, 1, 2, 3, 4, 6, 7]
    assert value_tags(store, 1) == [[4, 6, 7]] * 2
    assert value_tags(store, 2) == [[6, 7]]
    store.remove_position(0)
    assert key_tags(store) == [1, 2, 3, 4, 6, 7]
    assert value_tags(store, 2) == [[6, 7]]
    assert_aligned(store)


# ---------------------------------------------------------------- accounting
def test_nbytes_counts_every_tensor():
    store = build([([0, 1, 2], [0, 1]), ([3, 4, 5], [0, 1])])  # N = 6, 2 objects
    # float32: key 4*6, shrinkage 6, selection 4*6, use 6, life 6, values 2*3*6 -> 102 numbers
    assert store.nbytes() == 4 * (24 + 6 + 24 + 6 + 6 + 36)
    bare = KeyValueStore(track_usage=False)
    key, _, _, v = frame([0, 1, 2], 1)
    bare.add_frame(key, None, None, v, [0])
    assert bare.nbytes() == 4 * (12 + 9)
