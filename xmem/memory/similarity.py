"""Pure functions for memory reading (paper §3.2, appendix I).

Shapes use B = batch, CK = key channels, CV = value channels, N = memory elements,
M = query elements (H*W, or P prototypes during potentiation).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor


def anisotropic_l2_similarity(
    memory_key: Tensor,
    memory_shrinkage: Tensor | None,
    query_key: Tensor,
    query_selection: Tensor | None,
) -> Tensor:
    """Anisotropic L2 similarity S(k, q) of eq. (2), scaled by 1/sqrt(CK) as in the official code.

    S_ij = -s_i * sum_c e_cj (k_ci - q_cj)^2 / sqrt(CK), computed with the matrix
    decomposition of eq. (S2): s * (-(k*k)^T e + 2 k^T (e*q) - e^T (q*q)).

    Args:
        memory_key:       [B, CK, N] (trailing dims after CK are flattened)
        memory_shrinkage: [B, 1, N] with values >= 1, or None (s = 1)
        query_key:        [B, CK, M]
        query_selection:  [B, CK, M] with values in [0, 1], or None (e = 1)

    Returns:
        [B, N, M] similarity.

    Without selection the query-only term -|q|^2 is dropped, as in STCN and the official
    XMem code. Without shrinkage it is constant over the memory dimension and cancels in the
    softmax; with shrinkage only (a Table 5 variant) it would be scaled by s_i, so dropping it
    is the official behaviour rather than exact eq. (2).
    """
    ck = memory_key.shape[1]
    keys = memory_key.flatten(start_dim=2)  # k: [B, CK, N]
    queries = query_key.flatten(start_dim=2)  # q: [B, CK, M]
    keys_t = keys.transpose(1, 2)  # [B, N, CK]
    if query_selection is not None:
        weights = query_selection.flatten(start_dim=2)  # e: [B, CK, M]
        key_term = torch.bmm(keys_t * keys_t, weights)  # (k*k)^T e: [B, N, M]
        cross_term = torch.bmm(keys_t, weights * queries)  # k^T (e*q): [B, N, M]
        query_term = torch.einsum("bcm,bcm->bm", weights, queries * queries).unsqueeze(1)  # e^T (q*q): [B, 1, M]
        similarity = 2 * cross_term - key_term - query_term
    else:
        key_term = torch.einsum("bcn,bcn->bn", keys, keys).unsqueeze(2)  # |k|^2: [B, N, 1]
        similarity = 2 * torch.bmm(keys_t, queries) - key_term
    if memory_shrinkage is not None:
        similarity = similarity * memory_shrinkage.flatten(start_dim=1).unsqueeze(2)
    return similarity / math.sqrt(ck)


def naive_anisotropic_l2_similarity(
    memory_key: Tensor, memory_shrinkage: Tensor | None, query_key: Tensor, query_selection: Tensor | None
) -> Tensor:
    """Direct evaluation of eq. (S1) with broadcasting; [B, N, M]. For tests and illustration."""
    ck = memory_key.shape[1]
    mk = memory_key.flatten(start_dim=2).unsqueeze(3)  # [B, CK, N, 1]
    qk = query_key.flatten(start_dim=2).unsqueeze(2)  # [B, CK, 1, M]
    diff = (mk - qk).pow(2)
    if query_selection is not None:
        diff = diff * query_selection.flatten(start_dim=2).unsqueeze(2)
    similarity = -diff.sum(1)
    if memory_shrinkage is not None:
        similarity = similarity * memory_shrinkage.flatten(start_dim=1).unsqueeze(2)
    return similarity / math.sqrt(ck)


def softmax_affinity(similarity: Tensor, top_k: int | None = None) -> Tensor:
    """Softmax over the memory dimension, optionally restricted to the top-k entries per query.

    Args:
        similarity: [B, N, M]
        top_k: keep the k largest similarities of each query (column); None = all.
            k larger than N is clamped to N.

    Returns:
        affinity [B, N, M]; every column sums to 1 and has at most k non-zeros.
    """
    if top_k is None or top_k >= similarity.shape[1]:
        return torch.softmax(similarity, dim=1)
    kept, rows = similarity.topk(top_k, dim=1)
    return torch.zeros_like(similarity).scatter_(1, rows, kept.softmax(dim=1))


def full_affinity_float32(
    memory_key: Tensor, memory_shrinkage: Tensor | None, query_key: Tensor, query_selection: Tensor | None
) -> Tensor:
    """``softmax_affinity(anisotropic_l2_similarity(...))`` evaluated in float32 also under autocast.

    The decomposed similarity subtracts large terms (|k|^2 e, e |q|^2) that nearly cancel, and
    CPU autocast would also run the softmax in bfloat16 (8-bit mantissa): an absolute error of
    ~|k|^2 / 256 in exponents. In float32 (CUDA autocast's choice for the softmax) both stay
    exact to float32 rounding; outside autocast the casts are no-ops. Used by the training-time
    full read, whose memories are a few frames (the cost is negligible next to the convolutions).

    Returns:
        [B, N, M] affinity, float32 (float64 for float64 inputs).
    """
    def as_float(x: Tensor | None) -> Tensor | None:  # float16 / bfloat16 -> float32; float64 stays
        return None if x is None else x.to(torch.promote_types(x.dtype, torch.float32))

    with torch.autocast(query_key.device.type, enabled=False):
        similarity = anisotropic_l2_similarity(as_float(memory_key), as_float(memory_shrinkage), as_float(query_key),
                                               as_float(query_selection))
        return softmax_affinity(similarity)


def usage_from_affinity(affinity: Tensor) -> Tensor:
    """Per-memory-element usage of one read: total affinity mass it received, [B, N]."""
    return affinity.sum(dim=2)


def readout(affinity: Tensor, memory_value: Tensor) -> Tensor:
    """F = v W(k, q) of eq. (1).

    Args:
        affinity:     [B, N, M]
        memory_value: [B, CV, N] (or [B, CV, T, H, W], flattened to N = T*H*W)

    Returns:
        [B, CV, M]
    """
    return memory_value.flatten(start_dim=2) @ affinity


def topk_softmax(similarity: Tensor, top_k: int) -> tuple[Tensor, Tensor]:
    """The non-zeros of ``softmax_affinity(similarity, top_k)``: per query, the k largest
    similarities softmaxed, and their memory indices.

    Args:
        similarity: [B, N, M] with N > top_k.

    Returns:
        weights [B, k, M] (each column sums to 1) and rows [B, k, M] (indices into N).
    """
    kept, rows = similarity.topk(top_k, dim=1)
    return kept.softmax(dim=1), rows


def value_table(memory_value: Tensor) -> Tensor:
    """Memory values as the row table that ``table_readout`` gathers from.

    Args:
        memory_value: [O, CV, N]

    Returns:
        [N, O*CV], contiguous: row n holds every object's value of memory element n.
    """
    o, cv, n = memory_value.shape
    return memory_value.reshape(o * cv, n).t().contiguous()


def table_readout(weights: Tensor, rows: Tensor, table: Tensor, num_objects: int) -> Tensor:
    """``sparse_readout`` of one top-k affinity over every object's values, from ``value_table``.

    A memory that did not change since the last frame keeps its table, so a reader can build
    the table once per memory update instead of once per frame (the transposition copies all
    N x O*CV values, more work than the k-term sums themselves).

    Args:
        weights, rows: [1, k, M] (from ``topk_softmax``)
        table: [N, O*CV] (``value_table``)

    Returns:
        [O, CV, M] in the table's dtype (lower-precision weights are cast to it)
    """
    out = F.embedding_bag(rows[0].t(), table, per_sample_weights=weights[0].to(table.dtype).t().contiguous(),
                          mode="sum")  # [M, O*CV]
    return out.t().reshape(num_objects, -1, out.shape[0])


def sparse_readout(weights: Tensor, rows: Tensor, memory_value: Tensor) -> Tensor:
    """``readout`` for a top-k affinity given by its non-zeros (from ``topk_softmax``).

    Every query reads k weighted memory values instead of a dense [N, M] product: the
    same sum with k terms per output instead of N (the dense product adds N - k zeros).

    Args:
        weights, rows: [B, k, M]
        memory_value:  [B or 1, CV, N] (a batch of 1 is shared by every affinity of the batch;
            e.g. one affinity and the values of several objects: weights [1, k, M], value [O, CV, N]
            -> [O, CV, M])

    Returns:
        [max(B, B_value), CV, M] in memory_value's dtype (under autocast the weights may be
        lower precision than the stored values; they are cast to the values' dtype)
    """
    if weights.shape[0] == 1:  # one affinity, one or several value sets
        return table_readout(weights, rows, value_table(memory_value), memory_value.shape[0])
    weights = weights.to(memory_value.dtype)
    values = memory_value.expand(weights.shape[0], -1, -1)
    outputs = [
        F.embedding_bag(r.t(), v.t().contiguous(), per_sample_weights=w.t().contiguous(), mode="sum").t()
        for w, r, v in zip(weights, rows, values)
    ]
    return torch.stack(outputs)


def usage_from_topk(weights: Tensor, rows: Tensor, num_memory: int) -> Tensor:
    """``usage_from_affinity`` of a top-k affinity given by its non-zeros: [B, N]."""
    usage = weights.new_zeros(weights.shape[0], num_memory)
    return usage.scatter_add_(1, rows.flatten(start_dim=1), weights.flatten(start_dim=1))
