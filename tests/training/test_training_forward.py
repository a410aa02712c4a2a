"""Clip forwards (XMem, STCN through the registry), optimisation steps and weight transfer."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from xmem.errors import XMemError
from xmem.model import NetworkConfig, XMemNetwork
from xmem.training.batch import TrainingBatch
from xmem.training.losses import clip_loss
from xmem.training.models import get_model_kind, transfer_weights
from xmem.training.step import ClipModel, StepSettings, freeze_batchnorm, training_step
from xmem.training.xmem_forward import reference_indices, xmem_clip_forward

B, T, N, S = 2, 5, 2, 32


def _batch(seed: int = 0, n: int = N) -> TrainingBatch:
    g = torch.Generator().manual_seed(seed)
    labels = torch.zeros(B, T, S, S, dtype=torch.long)
    for t in range(T):
        labels[:, t, 4 + t : 14 + t, 4:14] = 1
        if n > 1:
            labels[:, t, 18:28, 16 + t : 26 + t] = 2
    masks = torch.stack([(labels == k + 1).float() for k in range(n)], dim=2)
    images = torch.randn(B, T, 3, S, S, generator=g) * 0.1 + masks.sum(2, keepdim=True)
    selector = torch.ones(B, n)
    selector[1, n - 1] = 0 if n > 1 else 1  # sample 1 has one object fewer
    masks[1, :, n - 1] *= selector[1, n - 1]
    return TrainingBatch(images, masks, selector, ("a", "b"))


def _tiny(**changes) -> XMemNetwork:
    torch.manual_seed(0)
    return XMemNetwork(dataclasses.replace(NetworkConfig.profile("tiny"), **changes))


def test_reference_indices_follow_the_official_rule():
    g = torch.Generator().manual_seed(0)
    assert reference_indices(3, 3, 4, g) is None
    for t in range(4, 12):
        idx = reference_indices(t, 3, 4, g)
        assert idx.shape == (4, 3) and (idx[:, 0] == 0).all()
        assert ((idx[:, 1:] >= 1) & (idx[:, 1:] < t)).all()
        assert all(len(set(row.tolist())) == 3 for row in idx)


def test_xmem_clip_forward_shapes_and_determinism():
    net = freeze_batchnorm(_tiny())
    batch = _batch()
    out = xmem_clip_forward(net, batch, num_ref_frames=2, generator=torch.Generator().manual_seed(1))
    assert out.num_predicted == T - 1
    assert all(lg.shape == (B, N + 1, S, S) and m.shape == (B, N, S, S) for lg, m in zip(out.logits, out.masks))
    torch.testing.assert_close(out.logits[0].softmax(1)[:, 1:], out.masks[0])
    assert out.masks[-1][1, N - 1].abs().max() < 1e-6  # padded object of sample 1 is masked out by the selector
    again = xmem_clip_forward(net, batch, num_ref_frames=2, generator=torch.Generator().manual_seed(1))
    assert all(torch.equal(a, b) for a, b in zip(out.logits, again.logits))


@pytest.mark.parametrize("changes", [dict(hidden_dim=0), dict(use_shrinkage=False, use_selection=False)])
def test_xmem_forward_variants(changes):
    out = xmem_clip_forward(freeze_batchnorm(_tiny(**changes)), _batch(), num_ref_frames=2,
                            generator=torch.Generator().manual_seed(0), deep_update_prob=1.0)
    assert out.num_predicted == T - 1 and torch.isfinite(torch.stack(out.logits)).all()


def test_registry_builds_both_kinds_and_rejects_unknown():
    with pytest.raises(XMemError, match="unknown kind 'nope'"):
        get_model_kind("nope")
    for name in ("xmem", "stcn"):
        kind = get_model_kind(name)
        torch.manual_seed(0)
        net = freeze_batchnorm(kind.build_network({"profile": "tiny"}, False, {}))
        out = kind.clip_forward(net, _batch(), num_ref_frames=2, generator=torch.Generator().manual_seed(0),
                                deep_update_prob=0.2)
        assert out.num_predicted == T - 1 and out.logits[0].shape == (B, N + 1, S, S)
        single = kind.build_network({"profile": "tiny"}, True, {})
        assert single.state_dict()["value_encoder.conv1.weight"].shape[1] == 4


def _step(model, optimizer, scheduler, batch, it=0):
    settings = StepSettings(num_ref_frames=2, deep_update_prob=0.2, keep_fraction=1.0)
    return training_step(model, optimizer, scheduler, batch, settings, torch.Generator().manual_seed(it))


def test_one_step_changes_weights_but_not_batchnorm_statistics():
    model = freeze_batchnorm(ClipModel(_tiny(), get_model_kind("xmem")))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.05)
    sched = torch.optim.lr_scheduler.MultiStepLR(opt, [1], 0.1)
    metrics = _step(model, opt, sched, _batch())
    assert set(metrics) >= {"total", "ce", "dice", "iou", "lr", "keep_fraction"} and metrics["lr"] == 1e-3
    after = model.state_dict()
    changed = [k for k in before if not torch.equal(before[k], after[k])]
    assert any(k.endswith("key_proj.key_proj.weight") for k in changed)
    assert any("decoder" in k and k.endswith("weight") for k in changed)
    assert not any(k.endswith(("running_mean", "running_var", "num_batches_tracked")) for k in changed)
    assert opt.param_groups[0]["lr"] == pytest.approx(1e-4)  # the scheduler stepped past milestone 1


def test_loss_on_a_fixed_batch_goes_down():
    model = freeze_batchnorm(ClipModel(_tiny(), get_model_kind("xmem")))
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3)
    sched = torch.optim.lr_scheduler.MultiStepLR(opt, [], 0.1)
    batch = _batch()
    losses = [_step(model, opt, sched, batch, it)["total"] for it in range(8)]
    assert losses[-1] < 0.8 * losses[0], losses


def test_transfer_pads_single_object_weights():
    single = _tiny(single_object=True)
    multi = _tiny()
    torch.manual_seed(5)
    transfer_weights(single.state_dict(), multi, "test")
    w_multi = multi.state_dict()["value_encoder.conv1.weight"]
    w_single = single.state_dict()["value_encoder.conv1.weight"]
    assert torch.equal(w_multi[:, :4], w_single) and w_multi[:, 4].abs().sum() > 0  # orthogonal, not zero
    assert torch.equal(multi.state_dict()["decoder.pred.weight"], single.state_dict()["decoder.pred.weight"])
    with pytest.raises(XMemError, match="does not match"):
        transfer_weights(_tiny(hidden_dim=0).state_dict(), multi, "no-sensory weights")
    loss = clip_loss(xmem_clip_forward(multi, _batch(), num_ref_frames=2, generator=torch.Generator()), _batch(), 1.0)
    assert torch.isfinite(loss.total)
