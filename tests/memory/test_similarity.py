"""Memory-reading math (paper §3.2 eq. 1-2, appendix I eq. S1-S2)."""

import math

import pytest
import torch

from xmem.memory.similarity import (
    anisotropic_l2_similarity,
    naive_anisotropic_l2_similarity,
    readout,
    softmax_affinity,
    sparse_readout,
    topk_softmax,
    usage_from_affinity,
    usage_from_topk,
)


def loop_similarity(mk, ms, qk, qe):
    """Eq. (S1) element by element (scaled by 1/sqrt(CK) like the official code), [B, N, M]."""
    b, ck, n = mk.shape
    m = qk.shape[-1]
    out = torch.zeros(b, n, m, dtype=torch.float64)
    for bi in range(b):
        for i in range(n):
            for j in range(m):
                acc = 0.0
                for c in range(ck):
                    e = 1.0 if qe is None else float(qe[bi, c, j])
                    acc += e * (float(mk[bi, c, i]) - float(qk[bi, c, j])) ** 2
                s = 1.0 if ms is None else float(ms[bi, 0, i])
                out[bi, i, j] = -s * acc / math.sqrt(ck)
    return out


def random_terms(b, ck, n, m, seed):
    g = torch.Generator().manual_seed(seed)
    mk = torch.randn(b, ck, n, generator=g, dtype=torch.float64)
    ms = 1 + torch.rand(b, 1, n, generator=g, dtype=torch.float64) * 3
    qk = torch.randn(b, ck, m, generator=g, dtype=torch.float64)
    qe = torch.rand(b, ck, m, generator=g, dtype=torch.float64)
    return mk, ms, qk, qe


# ---------------------------------------------------------------- eq. (S2) == eq. (S1)
@pytest.mark.parametrize("shape", [(1, 4, 5, 3), (2, 8, 7, 6), (1, 16, 12, 1), (3, 5, 1, 4)])
def test_matmul_decomposition_equals_elementwise_formula(shape):
    mk, ms, qk, qe = random_terms(*shape, seed=sum(shape))
    expected = loop_similarity(mk, ms, qk, qe)
    ours = anisotropic_l2_similarity(mk, ms, qk, qe)
    assert ours.shape == (shape[0], shape[2], shape[3])
    torch.testing.assert_close(ours, expected, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(naive_anisotropic_l2_similarity(mk, ms, qk, qe), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("shape", [(1, 4, 5, 3), (2, 8, 7, 6)])
def test_decomposition_without_shrinkage_equals_elementwise_formula(shape):
    mk, _, qk, qe = random_terms(*shape, seed=7)
    torch.testing.assert_close(
        anisotropic_l2_similarity(mk, None, qk, qe), loop_similarity(mk, None, qk, qe), rtol=1e-12, atol=1e-12
    )


def test_spatial_dimensions_are_flattened():
    mk, ms, qk, qe = random_terms(1, 4, 6, 6, seed=3)
    flat = anisotropic_l2_similarity(mk, ms, qk, qe)
    spatial = anisotropic_l2_similarity(
        mk.view(1, 4, 1, 2, 3), ms.view(1, 1, 1, 2, 3), qk.view(1, 4, 2, 3), qe.view(1, 4, 2, 3)
    )
    torch.testing.assert_close(spatial, flat, rtol=0, atol=0)


# ---------------------------------------------------------------- special cases
def test_tiny_one_dimensional_example_by_hand():
    # CK = 1 (sqrt(CK) = 1): keys 0, 1, 3; query 1 with selection 0.5; shrinkage 1, 2, 1.
    # S_i = -s_i * 0.5 * (k_i - 1)^2 = [-0.5, 0, -2]
    mk = torch.tensor([[[0.0, 1.0, 3.0]]], dtype=torch.float64)
    ms = torch.tensor([[[1.0, 2.0, 1.0]]], dtype=torch.float64)
    qk = torch.tensor([[[1.0]]], dtype=torch.float64)
    qe = torch.tensor([[[0.5]]], dtype=torch.float64)
    expected = torch.tensor([[[-0.5], [0.0], [-2.0]]], dtype=torch.float64)
    torch.testing.assert_close(anisotropic_l2_similarity(mk, ms, qk, qe), expected, rtol=0, atol=1e-15)


def test_two_dimensional_example_by_hand_with_selection_weighting_channels():
    # CK = 4 (scale 1/2). key (1, 2, 0, 0), query (0, 0, 0, 0), selection (1, 0.25, 0, 0), s = 3
    # sum_c e_c (k_c - q_c)^2 = 1*1 + 0.25*4 = 2  ->  S = -3 * 2 / 2 = -3
    mk = torch.tensor([1.0, 2.0, 0.0, 0.0], dtype=torch.float64).view(1, 4, 1)
    qk = torch.zeros(1, 4, 1, dtype=torch.float64)
    qe = torch.tensor([1.0, 0.25, 0.0, 0.0], dtype=torch.float64).view(1, 4, 1)
    ms = torch.full((1, 1, 1), 3.0, dtype=torch.float64)
    assert anisotropic_l2_similarity(mk, ms, qk, qe).item() == pytest.approx(-3.0, abs=1e-15)


@pytest.mark.parametrize("ck,expected", [(1, -1.0), (4, -0.5), (16, -0.25)])
def test_scale_is_one_over_sqrt_ck(ck, expected):
    mk = torch.zeros(1, ck, 1, dtype=torch.float64)
    mk[0, 0, 0] = 1.0  # squared distance 1 to the zero query
    qk = torch.zeros(1, ck, 1, dtype=torch.float64)
    ones_e = torch.ones(1, ck, 1, dtype=torch.float64)
    assert anisotropic_l2_similarity(mk, None, qk, ones_e).item() == pytest.approx(expected, abs=1e-15)
    assert anisotropic_l2_similarity(mk, None, qk, None).item() == pytest.approx(expected, abs=1e-15)


def test_unit_shrinkage_and_selection_is_stcn_l2_up_to_a_query_constant():
    mk, _, qk, _ = random_terms(2, 8, 9, 5, seed=11)
    ck = 8
    ones_s = torch.ones(2, 1, 9, dtype=torch.float64)
    ones_e = torch.ones(2, 8, 5, dtype=torch.float64)
    full = anisotropic_l2_similarity(mk, ones_s, qk, ones_e)
    # STCN: (2 k^T q - |k|^2) / sqrt(CK), written out independently
    stcn = (2 * torch.einsum("bci,bcj->bij", mk, qk) - (mk**2).sum(1)[:, :, None]) / math.sqrt(ck)
    query_constant = -(qk**2).sum(1)[:, None, :] / math.sqrt(ck)  # [B, 1, M], independent of i
    torch.testing.assert_close(full, stcn + query_constant, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(torch.softmax(full, 1), torch.softmax(stcn, 1), rtol=1e-12, atol=1e-14)
    # the term is not negligible here, so the equality of the softmax is meaningful
    assert (full - stcn).abs().min() > 0.1


def test_without_selection_the_query_norm_term_is_dropped():
    mk, _, qk, _ = random_terms(1, 6, 8, 4, seed=5)
    ones_e = torch.ones(1, 6, 4, dtype=torch.float64)
    no_sel = anisotropic_l2_similarity(mk, None, qk, None)
    full = anisotropic_l2_similarity(mk, None, qk, ones_e)
    torch.testing.assert_close(no_sel - full, ((qk**2).sum(1) / math.sqrt(6))[:, None, :].expand_as(full))
    torch.testing.assert_close(torch.softmax(no_sel, 1), torch.softmax(full, 1), rtol=1e-12, atol=1e-14)
    # a constant shrinkage keeps the dropped term constant over memory elements
    ms = torch.full((1, 1, 8), 2.5, dtype=torch.float64)
    torch.testing.assert_close(
        torch.softmax(anisotropic_l2_similarity(mk, ms, qk, None), 1),
        torch.softmax(anisotropic_l2_similarity(mk, ms, qk, ones_e), 1),
        rtol=1e-12,
        atol=1e-14,
    )


def test_without_selection_varying_shrinkage_scales_the_dropped_term_like_official():
    # Official get_similarity multiplies (2ab - a^2) by s_i; the missing -|q|^2 is therefore
    # s_i * |q_j|^2 / sqrt(CK), which does depend on i when s varies.
    mk, ms, qk, _ = random_terms(1, 4, 5, 3, seed=9)
    ones_e = torch.ones(1, 4, 3, dtype=torch.float64)
    diff = anisotropic_l2_similarity(mk, ms, qk, None) - anisotropic_l2_similarity(mk, ms, qk, ones_e)
    expected = ms[0, 0][:, None] * (qk**2).sum(1)[0][None, :] / 2.0
    torch.testing.assert_close(diff[0], expected, rtol=1e-12, atol=1e-12)


def test_shrinkage_scales_similarity_per_memory_element():
    mk, ms, qk, qe = random_terms(1, 4, 6, 3, seed=2)
    base = anisotropic_l2_similarity(mk, None, qk, qe)
    scaled = anisotropic_l2_similarity(mk, ms, qk, qe)
    torch.testing.assert_close(scaled, base * ms[0, 0][None, :, None], rtol=1e-12, atol=1e-12)


def test_similarity_is_maximal_zero_at_identical_key():
    mk, ms, _, qe = random_terms(1, 8, 6, 6, seed=4)
    sim = anisotropic_l2_similarity(mk, ms, mk.clone(), qe)
    assert torch.all(sim <= 1e-12)
    torch.testing.assert_close(torch.diagonal(sim[0]), torch.zeros(6, dtype=torch.float64), rtol=0, atol=1e-12)


# ---------------------------------------------------------------- softmax / top-k
def test_top_k_values_by_hand():
    # column 0: exp-weights 1, 2, 3, e^-5 -> top-2 keeps rows 2 and 1 with 3/5 and 2/5
    col = torch.tensor([0.0, math.log(2), math.log(3), -5.0], dtype=torch.float64)
    sim = torch.stack([col, col.flip(0)], dim=1).unsqueeze(0)  # [1, 4, 2]
    aff = softmax_affinity(sim, top_k=2)
    expected = torch.tensor(
        [[[0.0, 0.0], [0.4, 0.6], [0.6, 0.4], [0.0, 0.0]]],
        dtype=torch.float64,
    )
    torch.testing.assert_close(aff, expected, rtol=0, atol=1e-15)


def test_full_softmax_by_hand():
    sim = torch.tensor([[[0.0], [math.log(3)]]], dtype=torch.float64)
    torch.testing.assert_close(
        softmax_affinity(sim, None), torch.tensor([[[0.25], [0.75]]], dtype=torch.float64), rtol=0, atol=1e-15
    )


@pytest.mark.parametrize("k", [1, 3, 7])
def test_top_k_keeps_exactly_k_nonzeros_per_column_and_normalises(k):
    g = torch.Generator().manual_seed(k)
    sim = torch.randn(2, 10, 6, generator=g, dtype=torch.float64)
    aff = softmax_affinity(sim, top_k=k)
    assert aff.shape == sim.shape
    assert torch.equal((aff > 0).sum(1), torch.full((2, 6), k))
    torch.testing.assert_close(aff.sum(1), torch.ones(2, 6, dtype=torch.float64), rtol=0, atol=1e-12)
    # the kept entries are exactly the k largest similarities of each column
    kth = sim.topk(k, dim=1).values[:, -1:, :]
    assert torch.equal(aff > 0, sim >= kth)


def test_top_k_equals_softmax_restricted_to_top_k():
    g = torch.Generator().manual_seed(1)
    sim = torch.randn(1, 9, 5, generator=g, dtype=torch.float64)
    aff = softmax_affinity(sim, top_k=4)
    kth = sim.topk(4, dim=1).values[:, -1:, :]
    mask = sim >= kth
    masked = torch.where(mask, sim, torch.full_like(sim, -math.inf))
    torch.testing.assert_close(aff, torch.softmax(masked, 1), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("k", [8, 9, 100])
def test_top_k_at_least_n_equals_full_softmax(k):
    g = torch.Generator().manual_seed(k)
    sim = torch.randn(2, 8, 3, generator=g, dtype=torch.float64)
    torch.testing.assert_close(softmax_affinity(sim, top_k=k), torch.softmax(sim, 1), rtol=1e-12, atol=1e-15)
    torch.testing.assert_close(softmax_affinity(sim, None), torch.softmax(sim, 1), rtol=1e-12, atol=1e-15)


def test_softmax_is_stable_for_large_negative_similarities():
    sim = torch.tensor([[[-1000.0], [-1001.0]]], dtype=torch.float64)
    expected = torch.tensor([[[1 / (1 + math.exp(-1))], [math.exp(-1) / (1 + math.exp(-1))]]], dtype=torch.float64)
    torch.testing.assert_close(softmax_affinity(sim, None), expected, rtol=1e-12, atol=0)
    torch.testing.assert_close(softmax_affinity(sim, 1), torch.tensor([[[1.0], [0.0]]], dtype=torch.float64))


def test_top_k_softmax_does_not_overflow_for_large_positive_similarities():
    # the official top-k softmax exponentiates without subtracting the maximum: exp(1000) is inf
    # in fp32 and inf / inf = NaN; here the k kept similarities are softmaxed stably
    sim = torch.tensor([[[1000.0], [999.0], [0.0]]])
    p = 1 / (1 + math.exp(-1))
    weights, rows = topk_softmax(sim, 2)
    torch.testing.assert_close(weights, torch.tensor([[[p], [1 - p]]]))
    assert rows.flatten().tolist() == [0, 1]
    torch.testing.assert_close(softmax_affinity(sim, 2), torch.tensor([[[p], [1 - p], [0.0]]]))


def test_usage_sums_affinity_over_queries():
    aff = torch.tensor([[[0.5, 0.0, 1.0], [0.5, 1.0, 0.0]], [[0.2, 0.3, 0.1], [0.8, 0.7, 0.9]]])
    torch.testing.assert_close(usage_from_affinity(aff), torch.tensor([[1.5, 1.5], [0.6, 2.4]]))


# ---------------------------------------------------------------- readout (eq. 1)
def test_readout_by_hand():
    # 2 memory elements, values v (CV = 2): v_0 = (1, 10), v_1 = (3, 30)
    value = torch.tensor([[[1.0, 3.0], [10.0, 30.0]]])
    aff = torch.tensor([[[1.0, 0.25], [0.0, 0.75]]])  # query 0 -> element 0; query 1 -> mix
    expected = torch.tensor([[[1.0, 2.5], [10.0, 25.0]]])
    torch.testing.assert_close(readout(aff, value), expected)
    # a [B, CV, T, H, W] value is flattened over T*H*W
    torch.testing.assert_close(readout(aff, value.view(1, 2, 1, 1, 2)), expected)


# ---------------------------------------------------------------- sparse top-k read
def test_topk_softmax_by_hand():
    col = torch.tensor([0.0, math.log(2), math.log(3), -5.0], dtype=torch.float64)
    sim = torch.stack([col, col.flip(0)], dim=1).unsqueeze(0)  # [1, 4, 2]
    weights, rows = topk_softmax(sim, 2)
    assert rows.tolist() == [[[2, 1], [1, 2]]]
    torch.testing.assert_close(weights, torch.tensor([[[0.6, 0.6], [0.4, 0.4]]], dtype=torch.float64))


def test_sparse_readout_by_hand():
    weights = torch.tensor([[[0.75], [0.25]]])  # one query reading rows 2 and 0
    rows = torch.tensor([[[2], [0]]])
    value = torch.tensor([[[1.0, 10.0, 100.0], [2.0, 20.0, 200.0]]])  # [1, CV=2, N=3]
    torch.testing.assert_close(sparse_readout(weights, rows, value), torch.tensor([[[75.25], [150.5]]]))
    usage = usage_from_topk(weights, rows, 3)
    torch.testing.assert_close(usage, torch.tensor([[0.25, 0.0, 0.75]]))


@pytest.mark.parametrize("objects,batch", [(1, 1), (3, 1), (1, 2)])
def test_sparse_read_equals_dense_read(objects, batch):
    g = torch.Generator().manual_seed(objects * 10 + batch)
    sim = torch.randn(batch, 40, 12, generator=g)
    value = torch.randn(max(objects, batch) if batch == 1 else 1, 5, 40, generator=g)
    dense = softmax_affinity(sim, top_k=7)
    weights, rows = topk_softmax(sim, 7)
    torch.testing.assert_close(sparse_readout(weights, rows, value), readout(dense, value), rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(usage_from_topk(weights, rows, 40), usage_from_affinity(dense), rtol=1e-5, atol=1e-6)


def test_sparse_readout_accepts_lower_precision_weights_under_autocast():
    g = torch.Generator().manual_seed(5)
    sim, value = torch.randn(1, 30, 8, generator=g), torch.randn(2, 4, 30, generator=g)
    weights, rows = topk_softmax(sim.bfloat16(), 5)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = sparse_readout(weights, rows, value)
    assert out.dtype == torch.float32
    torch.testing.assert_close(out, readout(softmax_affinity(sim, 5), value), rtol=2e-2, atol=2e-2)
