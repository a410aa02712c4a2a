"""Memory consolidation (paper §3.3): prototype selection and potentiation (eq. 3)."""

import pytest
import torch

from xmem.memory.consolidation import (
    cluster_means,
    consolidate,
    kmeans_centroids,
    potentiate,
    select_by_usage,
    select_randomly,
)

F64 = torch.float64
CK, CV = 4, 3


def keys_on_axis(coords):
    """Candidate keys [1, CK, N] whose channel 0 holds ``coords`` (other channels zero)."""
    key = torch.zeros(1, CK, len(coords), dtype=F64)
    key[0, 0] = torch.tensor(coords, dtype=F64)
    return key


def random_values(num_objects, n, seed):
    return torch.randn(num_objects, CV, n, generator=torch.Generator().manual_seed(seed), dtype=F64)


# ---------------------------------------------------------------- selection
def test_select_by_usage_picks_top_p_in_position_order():
    usage = torch.tensor([0.1, 0.9, 0.3, 0.8, 0.2])
    assert select_by_usage(usage, 3).tolist() == [1, 2, 3]
    assert select_by_usage(usage, 1).tolist() == [1]
    assert select_by_usage(usage, 2).tolist() == [1, 3]
    assert select_by_usage(usage, 10).tolist() == [0, 1, 2, 3, 4]  # P > N: every candidate
    assert select_by_usage(usage.view(1, 1, 5), 2).tolist() == [1, 3]


def test_select_randomly_is_reproducible_from_the_seed():
    draws = [select_randomly(20, 6, torch.Generator().manual_seed(s)).tolist() for s in range(5)]
    again = [select_randomly(20, 6, torch.Generator().manual_seed(s)).tolist() for s in range(5)]
    assert draws == again
    assert len({tuple(d) for d in draws}) > 1  # the seed matters
    for d in draws:
        assert d == sorted(set(d)) and len(d) == 6 and 0 <= d[0] and d[-1] < 20
    assert select_randomly(4, 10, torch.Generator().manual_seed(0)).tolist() == [0, 1, 2, 3]


def test_consolidate_random_selection_is_reproducible():
    key = keys_on_axis([float(i) for i in range(12)])
    values = [random_values(1, 12, 0)]

    def run(seed, generator=None):
        return consolidate(
            key, None, None, None, values, num_prototypes=4, selection_method="random", generator=generator, seed=seed
        )

    assert run(3).indices.tolist() == run(3).indices.tolist()
    assert run(3, torch.Generator().manual_seed(3)).indices.tolist() == run(3).indices.tolist()
    a = run(0).indices
    torch.testing.assert_close(run(0).key, key[:, :, a], rtol=0, atol=0)
    # a shared generator advances: two consolidations draw from one stream
    g = torch.Generator().manual_seed(5)
    first, second = run(0, g).indices.tolist(), run(0, g).indices.tolist()
    g2 = torch.Generator().manual_seed(5)
    assert [run(0, g2).indices.tolist(), run(0, g2).indices.tolist()] == [first, second]


def test_usage_selection_needs_usage_and_unknown_method_fails():
    key = keys_on_axis([0.0, 1.0])
    with pytest.raises(ValueError, match="usage"):
        consolidate(key, None, None, None, [random_values(1, 2, 0)], num_prototypes=1)
    with pytest.raises(ValueError, match="unknown"):
        consolidate(key, None, None, torch.ones(2), [random_values(1, 2, 0)], num_prototypes=1, selection_method="x")


# ---------------------------------------------------------------- potentiation
def two_cluster_case():
    """Candidates 0-2 share key 0, candidates 3-4 share key 10 (far apart: exp(-200) ~ 0)."""
    key = keys_on_axis([0.0, 0.0, 0.0, 10.0, 10.0])
    shrinkage = torch.tensor([1.0, 2.0, 3.0, 4.0, 6.0], dtype=F64).view(1, 1, 5)
    usage = torch.tensor([0.1, 0.9, 0.2, 0.3, 0.8])  # picks candidates 1 and 4
    values = random_values(2, 5, seed=1)
    return key, shrinkage, usage, values


def test_potentiation_averages_each_cluster():
    key, shrinkage, usage, values = two_cluster_case()
    selection = torch.ones(1, CK, 5, dtype=F64)
    protos = consolidate(key, shrinkage, selection, usage, [values], num_prototypes=2)
    assert protos.indices.tolist() == [1, 4]
    torch.testing.assert_close(protos.key, key[:, :, [1, 4]], rtol=0, atol=0)
    expected = torch.stack([values[:, :, :3].mean(-1), values[:, :, 3:].mean(-1)], -1)
    torch.testing.assert_close(protos.group_values[0], expected, rtol=1e-12, atol=1e-12)
    # the shrinkage of a prototype is potentiated with the same weights
    torch.testing.assert_close(protos.shrinkage, torch.tensor([[[2.0, 5.0]]], dtype=F64), rtol=1e-12, atol=1e-12)
    third, half = 1 / 3, 0.5
    expected_affinity = torch.tensor(
        [[third, 0.0], [third, 0.0], [third, 0.0], [0.0, half], [0.0, half]], dtype=F64
    )
    torch.testing.assert_close(protos.affinity, expected_affinity, rtol=1e-12, atol=1e-12)


def test_potentiation_with_a_single_candidate_returns_its_value_exactly():
    key = keys_on_axis([3.0])
    shrinkage = torch.full((1, 1, 1), 2.0, dtype=F64)
    values = random_values(2, 1, seed=2)
    protos = consolidate(key, shrinkage, None, torch.tensor([0.5]), [values], num_prototypes=4)
    assert protos.indices.tolist() == [0]
    assert torch.equal(protos.group_values[0], values)
    assert torch.equal(protos.shrinkage, shrinkage)


def test_potentiation_uses_the_prototype_selection_term():
    # candidates 0 and 1 differ only in channel 1; candidate 2 is far away in channel 0
    key = torch.zeros(1, CK, 3, dtype=F64)
    key[0, 1, 1] = 50.0
    key[0, 0, 2] = 50.0
    values = random_values(1, 3, seed=3)
    usage = torch.tensor([1.0, 0.0, 0.0])  # prototype = candidate 0
    ignore_channel_1 = torch.ones(1, CK, 3, dtype=F64)
    ignore_channel_1[0, 1] = 0.0
    with_sel = consolidate(key, None, ignore_channel_1, usage, [values], num_prototypes=1)
    torch.testing.assert_close(with_sel.group_values[0][..., 0], values[..., :2].mean(-1), rtol=1e-12, atol=1e-12)
    without = consolidate(key, None, None, usage, [values], num_prototypes=1)
    torch.testing.assert_close(without.group_values[0][..., 0], values[..., 0], rtol=1e-12, atol=1e-12)
    assert without.shrinkage is None


def late_group_case():
    """Six candidates; candidates 3 and 4 share a key. Group 1 only has values for the last 2."""
    key = keys_on_axis([0.0, 10.0, 20.0, 30.0, 30.0, 50.0])
    group0 = random_values(1, 6, seed=4)
    group1 = random_values(2, 2, seed=5)  # end-aligned: candidates 4 and 5
    return key, group0, group1


def test_late_group_gets_prototypes_only_inside_its_range():
    key, group0, group1 = late_group_case()
    usage = torch.tensor([0.9, 0.1, 0.2, 0.3, 0.8, 0.7])  # prototypes 0, 4, 5
    protos = consolidate(key, None, None, usage, [group0, group1], num_prototypes=3)
    assert protos.indices.tolist() == [0, 4, 5]
    g0, g1 = protos.group_values
    assert g0.shape == (1, CV, 3) and g1.shape == (2, CV, 2)  # end-aligned: prototypes 4 and 5
    # group 0 normalises over all six candidates: prototype 4 averages candidates 3 and 4
    torch.testing.assert_close(g0[..., 0], group0[..., 0], rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(g0[..., 1], group0[..., 3:5].mean(-1), rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(g0[..., 2], group0[..., 5], rtol=1e-12, atol=1e-12)
    # group 1 normalises over its own candidates (4, 5) only
    torch.testing.assert_close(g1, group1, rtol=1e-12, atol=1e-12)


def test_late_group_without_prototype_in_range_gets_none():
    key, group0, group1 = late_group_case()
    usage = torch.tensor([0.9, 0.8, 0.7, 0.1, 0.0, 0.0])  # prototypes 0, 1, 2
    protos = consolidate(key, None, None, usage, [group0, group1, None], num_prototypes=3)
    assert protos.group_values[0].shape == (1, CV, 3)
    assert protos.group_values[1] is None and protos.group_values[2] is None


def test_potentiate_directly_with_validity_masks():
    key, group0, group1 = late_group_case()
    prototype_key = key[:, :, [1, 5]]
    valid0 = torch.tensor([True, True])
    valid1 = torch.tensor([False, True])
    values, shrinkage, affinity = potentiate(key, None, prototype_key, None, [group0, group1], [valid0, valid1])
    assert shrinkage is None and affinity.shape == (6, 2)
    torch.testing.assert_close(values[0], group0[..., [1, 5]], rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(values[1], group1[..., [1]], rtol=1e-12, atol=1e-12)
    values, _, affinity = potentiate(key, None, prototype_key, None, [None, group1], [None, torch.zeros(2).bool()])
    assert values == [None, None] and affinity is None


# ---------------------------------------------------------------- no potentiation
def test_without_potentiation_values_are_sampled_exactly():
    key, group0, group1 = late_group_case()
    shrinkage = torch.arange(1, 7, dtype=F64).view(1, 1, 6)
    usage = torch.tensor([0.9, 0.1, 0.2, 0.3, 0.8, 0.7])
    protos = consolidate(key, shrinkage, None, usage, [group0, group1], num_prototypes=3, potentiation=False)
    assert protos.indices.tolist() == [0, 4, 5]
    assert torch.equal(protos.group_values[0], group0[..., [0, 4, 5]])
    assert torch.equal(protos.group_values[1], group1[..., [0, 1]])
    assert torch.equal(protos.shrinkage, shrinkage[..., [0, 4, 5]])
    assert protos.affinity is None
    # a late group with no selected candidate in range gets None
    usage = torch.tensor([0.9, 0.8, 0.7, 0.0, 0.0, 0.0])
    protos = consolidate(key, None, None, usage, [group0, group1], num_prototypes=2, potentiation=False)
    assert protos.group_values[1] is None and protos.shrinkage is None


# ---------------------------------------------------------------- k-means
def cluster_points():
    """Two well-separated clusters on channel 0: {-1, 0, 1} and {9, 10, 11}."""
    key = keys_on_axis([-1.0, 0.0, 1.0, 9.0, 10.0, 11.0])
    key[0, 1] = torch.tensor([0.5, 0.0, -0.5, 0.5, 0.0, -0.5], dtype=F64)
    return key


def test_cluster_means_by_hand():
    features = torch.tensor([[[1.0, 2.0, 4.0, 8.0], [0.0, 1.0, 0.0, 1.0]]], dtype=F64)
    labels = torch.tensor([0, 2, 0, 2])
    expected = torch.tensor([[[2.5, 0.0, 5.0], [0.0, 0.0, 1.0]]], dtype=F64)  # cluster 1 is empty
    torch.testing.assert_close(cluster_means(features, labels, 3), expected, rtol=0, atol=1e-15)


def test_kmeans_centroids_are_cluster_means():
    key = cluster_points()
    centroids, labels = kmeans_centroids(key, 2, seed=0)
    assert centroids.shape == (1, CK, 2) and centroids.dtype == F64 and labels.shape == (6,)
    order = torch.argsort(centroids[0, 0])
    torch.testing.assert_close(centroids[0, :, order][0], torch.tensor([0.0, 10.0], dtype=F64), rtol=0, atol=1e-12)
    torch.testing.assert_close(centroids[0, 1:], torch.zeros(CK - 1, 2, dtype=F64), rtol=0, atol=1e-12)
    assert labels[:3].unique().numel() == 1 and labels[3:].unique().numel() == 1 and labels[0] != labels[3]
    # reproducible from the seed
    again, labels_again = kmeans_centroids(key, 2, seed=0)
    assert torch.equal(again, centroids) and torch.equal(labels_again, labels)


def test_kmeans_consolidation_returns_p_centroid_prototypes():
    key = cluster_points()
    shrinkage = torch.tensor([1.0, 1.0, 1.0, 2.0, 2.0, 2.0], dtype=F64).view(1, 1, 6)
    selection = torch.rand(1, CK, 6, generator=torch.Generator().manual_seed(0), dtype=F64)
    selection[0, 0] = 1.0  # keep the clusters far apart (exp(-50) ~ 0) whatever the other channels
    group0, group1 = random_values(2, 6, seed=6), random_values(1, 3, seed=7)
    protos = consolidate(
        key, shrinkage, selection, None, [group0, group1], num_prototypes=2, selection_method="kmeans"
    )
    assert protos.indices is None
    assert protos.key.shape == (1, CK, 2)
    assert protos.shrinkage.shape == (1, 1, 2)
    assert protos.group_values[0].shape == (2, CV, 2) and protos.group_values[1].shape == (1, CV, 2)
    assert protos.affinity.shape == (6, 2)
    torch.testing.assert_close(protos.affinity.sum(0), torch.ones(2, dtype=F64), rtol=0, atol=1e-12)
    # potentiated values are convex combinations of the candidates of the prototype's cluster
    for j in range(2):
        members = slice(0, 3) if protos.key[0, 0, j] < 5 else slice(3, 6)
        assert protos.affinity[members, j].sum().item() == pytest.approx(1.0, abs=1e-12)
        assert protos.shrinkage[0, 0, j].item() == pytest.approx(1.0 if members.start == 0 else 2.0, abs=1e-12)


def test_kmeans_without_potentiation_takes_nearest_candidate_values():
    key = cluster_points()
    group0, group1 = random_values(1, 6, seed=8), random_values(1, 3, seed=9)  # group 1: candidates 3-5
    protos = consolidate(
        key, None, None, None, [group0, group1], num_prototypes=2, selection_method="kmeans", potentiation=False
    )
    # centroids (0, ...) and (10, ...) coincide with candidates 1 and 4; sorted by that position
    torch.testing.assert_close(protos.key, key[:, :, [1, 4]], rtol=0, atol=1e-12)
    assert torch.equal(protos.group_values[0], group0[..., [1, 4]])
    assert torch.equal(protos.group_values[1], group1[..., [1]])


def test_kmeans_with_more_prototypes_than_candidates():
    key = cluster_points()[:, :, :3]
    protos = consolidate(key, None, None, None, [random_values(1, 3, 0)], num_prototypes=8, selection_method="kmeans")
    assert protos.key.shape == (1, CK, 3) and protos.group_values[0].shape == (1, CV, 3)
