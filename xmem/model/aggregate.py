"""Soft aggregation of independent per-object probabilities (STM, Oh et al. 2019)."""

from __future__ import annotations

import torch
from torch import Tensor

EPSILON = 1e-7  # probabilities are clamped to [EPSILON, 1 - EPSILON] before the logit


def aggregate_probabilities(prob: Tensor, dim: int = 1) -> tuple[Tensor, Tensor]:
    """Merge N per-object foreground probabilities into an (N+1)-way distribution.

    The background probability is prod_i (1 - p_i); [background, p_1..p_N] is clamped to
    [1e-7, 1 - 1e-7], mapped to logits log(p / (1 - p)) and renormalised with a softmax.

    Args:
        prob: [..., N, ...] probabilities in [0, 1], objects along ``dim``.
        dim: the object dimension.

    Returns:
        logits: [..., N+1, ...] (background first), the input of a cross-entropy loss.
        prob_with_bg: softmax(logits) along ``dim``; sums to 1 over ``dim``.
    """
    nobody = (1 - prob).prod(dim=dim, keepdim=True)  # probability that no object covers the pixel
    odds_logits = torch.logit(torch.cat([nobody, prob], dim=dim), eps=EPSILON)
    return odds_logits, odds_logits.softmax(dim=dim)


def aggregate_objects(prob: Tensor, selector: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """``aggregate_probabilities`` over dim 1 of [B, N, H, W] after zeroing the objects a
    selector [B, N, 1, 1] (1 = real object, 0 = padding slot) marks as absent."""
    return aggregate_probabilities(prob if selector is None else prob * selector, dim=1)
