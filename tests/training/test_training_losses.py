"""Losses on crafted inputs: bootstrapped CE keeps the hardest pixels, dice on known masks."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from xmem.training.batch import ClipOutput, TrainingBatch
from xmem.training.losses import bootstrapped_cross_entropy, clip_iou, clip_loss, dice_loss


def _two_class_logits(p_correct: torch.Tensor) -> torch.Tensor:
    """Logits [1, 2, 1, P] whose class-0 probability is ``p_correct`` (target 0)."""
    return torch.stack([torch.log(p_correct), torch.log(1 - p_correct)]).view(1, 2, 1, -1)


def test_bootstrapped_ce_averages_the_hardest_fraction():
    p = torch.tensor([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05], dtype=torch.float64)
    logits, target = _two_class_logits(p), torch.zeros(1, 1, 10, dtype=torch.long)
    per_pixel = -torch.log(p)
    # 30% of 10 pixels: the three with the lowest probability of the right class
    assert bootstrapped_cross_entropy(logits, target, 0.3).item() == pytest.approx(per_pixel[-3:].mean().item())
    assert bootstrapped_cross_entropy(logits, target, 0.15).item() == pytest.approx(per_pixel[-1].item())
    assert bootstrapped_cross_entropy(logits, target, 1.0).item() == pytest.approx(per_pixel.mean().item())
    assert bootstrapped_cross_entropy(logits, target, 1.0).item() == pytest.approx(F.cross_entropy(logits, target).item())


def test_dice_on_known_masks():
    labels = torch.zeros(1, 4, 4, dtype=torch.long)
    labels[0, :2, :2] = 1  # object 1: 4 pixels
    perfect = (labels == 1).float().unsqueeze(1)
    assert dice_loss(perfect, labels).item() == pytest.approx(0.0)
    disjoint = torch.zeros(1, 1, 4, 4)
    disjoint[0, 0, 2:, 2:] = 1  # 4 predicted pixels, none right
    assert dice_loss(disjoint, labels).item() == pytest.approx(1 - 1 / 9)
    half = perfect * 0.5
    assert dice_loss(half, labels).item() == pytest.approx(1 - (2 * 2 + 1) / (2 + 4 + 1))
    # two slots: mean over slots; an empty slot predicted empty costs nothing
    two = torch.cat([perfect, torch.zeros(1, 1, 4, 4)], dim=1)
    assert dice_loss(two, labels).item() == pytest.approx(0.0)


def _batch(labels: torch.Tensor, slots: int, real: list[int]) -> TrainingBatch:
    b, t, h, w = labels.shape
    masks = torch.stack([(labels == k + 1).float() for k in range(slots)], dim=2)
    selector = torch.tensor([[1.0 if k < n else 0.0 for k in range(slots)] for n in real])
    return TrainingBatch(torch.zeros(b, t, 3, h, w), masks, selector, tuple(f"s{i}" for i in range(b)))


def test_clip_loss_uses_only_real_object_channels_and_sums_frames():
    torch.manual_seed(0)
    labels = torch.randint(0, 2, (2, 3, 4, 4))  # one real object per sample, 2 slots
    batch = _batch(labels, slots=2, real=[1, 1])
    logits = tuple(torch.randn(2, 3, 4, 4) for _ in range(2))
    masks = tuple(lg.softmax(1)[:, 1:] for lg in logits)
    terms = clip_loss(ClipOutput(logits, masks), batch, keep_fraction=1.0)
    expected_ce = sum(
        sum(F.cross_entropy(logits[i][s : s + 1, :2], labels[s : s + 1, i + 1]) for s in range(2)) / 2 for i in range(2)
    )
    expected_dice = sum(dice_loss(masks[i], labels[:, i + 1]) for i in range(2))
    assert terms.ce == pytest.approx(float(expected_ce), rel=1e-6)
    assert terms.dice == pytest.approx(float(expected_dice), rel=1e-6)
    assert terms.total.item() == pytest.approx(terms.ce + terms.dice, rel=1e-6)
    assert terms.total.requires_grad is False  # inputs carry no gradient here


def test_clip_iou_counts_real_objects_only():
    labels = torch.zeros(1, 2, 4, 4, dtype=torch.long)
    labels[0, 1, :2, :] = 1  # frame 1: object 1 covers 8 pixels
    batch = _batch(labels, slots=2, real=[1])
    pred = torch.zeros(1, 2, 4, 4)
    pred[0, 0, :1, :] = 0.9  # 4 of the 8 pixels
    pred[0, 1] = 0.9  # padded slot: ignored
    out = ClipOutput((torch.zeros(1, 3, 4, 4),), (pred,))
    assert clip_iou(out, batch) == pytest.approx(4 / 8)
    assert math.isclose(clip_iou(ClipOutput((torch.zeros(1, 3, 4, 4),), (torch.zeros(1, 2, 4, 4),)), _batch(
        torch.zeros(1, 2, 4, 4, dtype=torch.long), 2, [1])), 1.0)


def test_metrics_log_averages_rows_and_flushes_partial_intervals(tmp_path):
    import pandas as pd

    from xmem.training.train_log import MetricsLog, truncate_log

    log = MetricsLog(tmp_path, every=2, enabled=True, tensorboard=False)
    for it, total in enumerate([1.0, 3.0, 5.0], start=1):
        log.add(0, "static", it, {"total": total, "lr": 0.1})
    log.flush(0, "static", 3)
    log.add(1, "main", 1, {"total": 7.0})
    log.flush(1, "main", 1)
    frame = pd.read_csv(tmp_path / "log.csv")
    assert list(zip(frame.stage, frame.iteration, frame.total)) == [("static", 2, 2.0), ("static", 3, 5.0), ("main", 1, 7.0)]
    truncate_log(tmp_path / "log.csv", 0, 2)
    assert list(pd.read_csv(tmp_path / "log.csv").iteration) == [2]
