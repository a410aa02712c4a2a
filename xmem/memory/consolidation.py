"""Memory consolidation (paper §3.3): prototype selection and memory potentiation.

Pure functions. Shapes: candidate keys [1, CK, N], candidate shrinkage [1, 1, N],
candidate selection [1, CK, N], usage [N], group candidate values [n_obj, CV, n_g] that are
end-aligned with the N candidates, P prototypes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from xmem.memory.similarity import anisotropic_l2_similarity, readout, softmax_affinity


@dataclass(frozen=True)
class Prototypes:
    """Result of one consolidation.

    key: [1, CK, P]; shrinkage: [1, 1, P] | None; group_values[g]: [n_obj_g, CV, P_g] | None,
    end-aligned with ``key``; indices: [P] candidate positions (None for k-means centroids);
    affinity: [N, P] potentiation weights of group 0 (columns are distributions over
    candidates), kept for visualisation (Fig. S1).
    """

    key: Tensor
    shrinkage: Tensor | None
    group_values: list[Tensor | None]
    indices: Tensor | None
    affinity: Tensor | None


def select_by_usage(usage: Tensor, num_prototypes: int) -> Tensor:
    """Positions of the ``num_prototypes`` most used candidates, in increasing position order.

    Sorting by position (rather than by usage) keeps every late object group's prototypes
    end-aligned with the keys, so its long-term values stay matched to their keys.
    """
    k = min(num_prototypes, usage.numel())
    _, top = torch.topk(usage.reshape(-1), k=k, dim=-1, sorted=True)
    return torch.sort(top).values


def select_randomly(num_candidates: int, num_prototypes: int, generator: torch.Generator) -> Tensor:
    """``num_prototypes`` distinct random candidate positions, in increasing order."""
    k = min(num_prototypes, num_candidates)
    return torch.sort(torch.randperm(num_candidates, generator=generator)[:k]).values


def kmeans_centroids(candidate_key: Tensor, num_prototypes: int, seed: int) -> tuple[Tensor, Tensor]:
    """K-means over candidate keys; returns (centroids [1, CK, P], labels [N])."""
    from scipy.cluster.vq import kmeans2  # imported here: ~0.4 s that every other inference job would pay

    data = candidate_key[0].transpose(0, 1).double().cpu().numpy()  # [N, CK]
    k = min(num_prototypes, data.shape[0])
    centroids, labels = kmeans2(data, k, iter=10, minit="++", seed=np.random.default_rng(seed))
    key = torch.from_numpy(centroids).to(candidate_key).transpose(0, 1).unsqueeze(0)
    return key, torch.from_numpy(labels).to(candidate_key.device)


def cluster_means(features: Tensor, labels: Tensor, num_clusters: int) -> Tensor:
    """Mean of ``features`` [1, C, N] per cluster label ([N] in 0..K-1) → [1, C, K]."""
    c = features.shape[1]
    sums = torch.zeros(c, num_clusters, dtype=features.dtype, device=features.device)
    sums.index_add_(1, labels, features[0])
    counts = torch.bincount(labels, minlength=num_clusters).clamp(min=1).to(features.dtype)
    return (sums / counts).unsqueeze(0)


def potentiate(
    candidate_key: Tensor,
    candidate_shrinkage: Tensor | None,
    prototype_key: Tensor,
    prototype_selection: Tensor | None,
    group_values: list[Tensor | None],
    group_valid: list[Tensor | None],
) -> tuple[list[Tensor | None], Tensor | None, Tensor | None]:
    """Memory potentiation, eq. (3): v_p = v_c W(k_c, k_p), one softmax per object group.

    Args:
        candidate_key/shrinkage: [1, CK, N] / [1, 1, N] | None
        prototype_key/selection: [1, CK, P] / [1, CK, P] | None (query side of eq. 2)
        group_values: per group, [n_obj, CV, n_g] candidate values end-aligned to the N
            candidates, or None if the group has no candidate.
        group_valid: per group, boolean [P] mask of the prototypes that group gets a value for.

    Returns:
        (per-group prototype values [n_obj, CV, P_valid] | None, prototype shrinkage
        [1, 1, P] | None from group 0's weights, group 0's affinity [N, P]).
    """
    # candidates play the memory side of eq. (2), prototypes the query side: [1, N, P]
    similarity = anisotropic_l2_similarity(memory_key=candidate_key, memory_shrinkage=candidate_shrinkage,
                                           query_key=prototype_key, query_selection=prototype_selection)
    values: list[Tensor | None] = []
    first_affinity = None
    for gi, (gv, valid) in enumerate(zip(group_values, group_valid)):
        if gv is None or valid is None or not bool(valid.any()):
            values.append(None)
            continue
        affinity = softmax_affinity(similarity[:, -gv.shape[-1] :, valid])  # [1, n_g, P_valid]
        values.append(readout(affinity, gv.unsqueeze(0).flatten(1, 2)).view(gv.shape[0], gv.shape[1], -1))
        if gi == 0:
            first_affinity = affinity
    shrinkage = None
    if candidate_shrinkage is not None and first_affinity is not None:
        shrinkage = readout(first_affinity, candidate_shrinkage)
    return values, shrinkage, None if first_affinity is None else first_affinity[0]


def consolidate(
    candidate_key: Tensor,
    candidate_shrinkage: Tensor | None,
    candidate_selection: Tensor | None,
    usage: Tensor | None,
    group_values: list[Tensor | None],
    *,
    num_prototypes: int,
    selection_method: str = "usage",
    potentiation: bool = True,
    generator: torch.Generator | None = None,
    seed: int = 0,
) -> Prototypes:
    """Turn working-memory candidates into long-term prototypes (selection + potentiation).

    ``usage`` ([N], normalised) is required for usage-based selection.
    """
    n = candidate_key.shape[-1]
    if selection_method == "kmeans":
        key, labels = kmeans_centroids(candidate_key, num_prototypes, seed)
        p = key.shape[-1]
        selection = None if candidate_selection is None else cluster_means(candidate_selection, labels, p)
        valid = [None if gv is None else torch.ones(p, dtype=torch.bool, device=key.device) for gv in group_values]
        if potentiation:
            values, shrinkage, affinity = potentiate(
                candidate_key, candidate_shrinkage, key, selection, group_values, valid
            )
        else:  # no potentiation: each centroid takes the value of its nearest candidate
            nearest = torch.cdist(key[0].T, candidate_key[0].T).argmin(dim=1)  # [P]
            order = torch.argsort(nearest)  # position order keeps late groups end-aligned
            key, nearest = key[:, :, order], nearest[order]
            values, shrinkage, affinity = _sample_values(candidate_shrinkage, group_values, nearest, n)
        return Prototypes(key=key, shrinkage=shrinkage, group_values=values, indices=None, affinity=affinity)

    if selection_method == "usage":
        if usage is None:
            raise ValueError("usage-based prototype selection needs usage statistics")
        indices = select_by_usage(usage, num_prototypes)
    elif selection_method == "random":
        indices = select_randomly(n, num_prototypes, generator or torch.Generator().manual_seed(seed))
    else:
        raise ValueError(f"unknown prototype selection {selection_method!r}")
    indices = indices.to(candidate_key.device)
    key = candidate_key[:, :, indices]
    if not potentiation:
        values, shrinkage, affinity = _sample_values(candidate_shrinkage, group_values, indices, n)
        return Prototypes(key=key, shrinkage=shrinkage, group_values=values, indices=indices, affinity=affinity)
    selection = None if candidate_selection is None else candidate_selection[:, :, indices]
    # A late group only has values for the last n_g candidates: it gets prototypes there only.
    valid = [None if gv is None else indices >= (n - gv.shape[-1]) for gv in group_values]
    values, shrinkage, affinity = potentiate(candidate_key, candidate_shrinkage, key, selection, group_values, valid)
    return Prototypes(key=key, shrinkage=shrinkage, group_values=values, indices=indices, affinity=affinity)


def _sample_values(
    candidate_shrinkage: Tensor | None, group_values: list[Tensor | None], indices: Tensor, n: int
) -> tuple[list[Tensor | None], Tensor | None, None]:
    """Prototype values taken directly at candidate positions (no potentiation)."""
    values: list[Tensor | None] = []
    for gv in group_values:
        if gv is None:
            values.append(None)
            continue
        offset = n - gv.shape[-1]
        mine = indices[indices >= offset] - offset
        values.append(gv[:, :, mine] if mine.numel() else None)
    shrinkage = None if candidate_shrinkage is None else candidate_shrinkage[:, :, indices]
    return values, shrinkage, None
