"""Numerical tests of the GRU formula, the GRU modules and soft aggregation on crafted tensors."""

from __future__ import annotations

import math

import torch

from xmem.model import aggregate_probabilities
from xmem.model.gru import DeepSensoryUpdate, SensoryUpdate, gru_step


def sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def test_gru_step_official_formula_and_gate_order():
    # channel blocks along dim 2: forget, update, candidate (C_h = 2)
    gates = torch.tensor([1.0, -3.0, -2.0, 0.5, 0.5, -1.0], dtype=torch.float64).view(1, 1, 6, 1, 1)
    hidden = torch.tensor([3.0, -2.0], dtype=torch.float64).view(1, 1, 2, 1, 1)
    out = gru_step(gates, hidden).flatten().tolist()
    for c, (f, u, cand, hval) in enumerate([(1.0, -2.0, 0.5, 3.0), (-3.0, 0.5, -1.0, -2.0)]):
        expected = sigmoid(f) * hval * (1 - sigmoid(u)) + sigmoid(u) * math.tanh(cand)
        assert math.isclose(out[c], expected, rel_tol=1e-12)
    # zero gates: forget = update = 1/2, candidate tanh(0) = 0 -> h / 4
    h = torch.randn(2, 3, 4, 5, 6)
    torch.testing.assert_close(gru_step(torch.zeros(2, 3, 12, 5, 6), h), h / 4)


def _set_gates(transform: torch.nn.Conv2d, hidden_dim: int, forget: float, update: float, candidate: float) -> None:
    with torch.no_grad():
        transform.weight.zero_()
        transform.bias[:hidden_dim] = forget
        transform.bias[hidden_dim : 2 * hidden_dim] = update
        transform.bias[2 * hidden_dim :] = candidate


def test_hidden_reinforcer_uses_gru_step():
    gru = DeepSensoryUpdate(value_dim=5, hidden_dim=3)
    assert tuple(gru.transform.weight.shape) == (9, 8, 3, 3)
    _set_gates(gru.transform, 3, forget=30.0, update=0.0, candidate=math.atanh(0.6))
    hidden = torch.randn(2, 2, 3, 4, 4)
    out = gru(torch.randn(2, 2, 5, 4, 4), hidden)
    torch.testing.assert_close(out, hidden * 0.5 + 0.5 * 0.6)


def test_hidden_updater_multiscale_inputs():
    gru = SensoryUpdate((6, 5, 4), mid_dim=7, hidden_dim=3)
    g16, g8, g4 = torch.randn(1, 2, 6, 4, 4), torch.randn(1, 2, 5, 8, 8), torch.randn(1, 2, 4, 16, 16)
    hidden = torch.randn(1, 2, 3, 4, 4)
    assert gru(g16, g8, g4, hidden).shape == hidden.shape
    _set_gates(gru.transform, 3, forget=-30.0, update=30.0, candidate=0.25)  # new_h = tanh(0.25)
    torch.testing.assert_close(gru(g16, g8, g4, hidden), torch.full_like(hidden, math.tanh(0.25)))
    # the projection sums 1x1 convs of area-downsampled inputs
    with torch.no_grad():
        for conv in (gru.g16_conv, gru.g8_conv, gru.g4_conv):
            conv.weight.zero_()
            conv.bias.zero_()
        gru.g4_conv.weight[0, 0] = 1.0
    captured = {}

    def capture(module, inputs, output):
        captured["x"] = inputs[0]

    gru.transform.register_forward_hook(capture)
    gru(g16, g8, g4, hidden)
    pooled = torch.nn.functional.avg_pool2d(g4[0, :, 0:1], 4)  # [2, 1, 4, 4]
    torch.testing.assert_close(captured["x"][0, :, 0:1], pooled)
    torch.testing.assert_close(captured["x"][0, :, 7:], hidden[0])


def test_aggregate_crafted_values():
    prob = torch.tensor([0.5, 0.25], dtype=torch.float64).view(1, 2, 1, 1)
    logits, with_bg = aggregate_probabilities(prob, dim=1)
    # background = (1 - 0.5) * (1 - 0.25) = 0.375
    expected_logits = [math.log(0.375 / 0.625), 0.0, math.log(0.25 / 0.75)]
    assert logits.shape == (1, 3, 1, 1)
    for got, want in zip(logits.flatten().tolist(), expected_logits):
        assert math.isclose(got, want, abs_tol=1e-12)
    odds = [0.6, 1.0, 1 / 3]
    for got, want in zip(with_bg.flatten().tolist(), [o / sum(odds) for o in odds]):
        assert math.isclose(got, want, rel_tol=1e-12)


def test_aggregate_clamps_to_1e7_and_honours_dim():
    prob = torch.tensor([[1.0, 0.0], [0.0, 0.0]], dtype=torch.float64)  # objects along dim 0
    logits, with_bg = aggregate_probabilities(prob, dim=0)
    top = math.log((1 - 1e-7) / 1e-7)
    # column 0: object 1 certain -> background 0 (clamped); column 1: nothing -> background 1
    torch.testing.assert_close(logits[:, 0], torch.tensor([-top, top, -top], dtype=torch.float64))
    torch.testing.assert_close(logits[:, 1], torch.tensor([top, -top, -top], dtype=torch.float64))
    torch.testing.assert_close(with_bg.sum(0), torch.ones(2, dtype=torch.float64))
    assert with_bg[1, 0] > 0.999999 and with_bg[0, 1] > 0.999999
