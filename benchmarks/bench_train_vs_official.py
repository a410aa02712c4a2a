"""Fidelity of one training step: this project's loss and gradients vs the official XMemTrainer.

Usage (a checkout of https://github.com/hkchengrex/XMem is needed; it is imported from that
path at run time, never copied into this project):

    python benchmarks/bench_train_vs_official.py --official-repo /path/to/XMem [--size 64] [--threads 2] [--seed 0]

Same weights (the paper network, random init or --weights; our state dict loads strictly into
the official ``XMem``), same batch (--seed sets both; 3 object slots: sample 0 has three
objects, sample 1 two and a padded slot, sample 2 an empty clip, for which the official
datasets mark slot 0 as present),
T = 4 frames and num_ref_frames = 3 (every frame reads all previous frames: no reference frame is
drawn), deep-update probability 1 (every memorised frame gets a deep update). Both run at two
iterations of the official main stage (start_warm 20K, end_warm 70K, top_p 0.15): one before
the bootstrap warm-up (plain cross-entropy) and one inside it (a bootstrapped fraction).

Ours: ClipModel + clip_loss + backward, the internals of ``xmem.training.step.training_step``
without the optimizer step, with BatchNorm frozen by ``freeze_batchnorm`` as our trainer does.

Official: the real ``XMemTrainer.__init__`` and ``do_pass`` with these run-time patches, none of
which changes the math:
  * ``torch.nn.parallel.DistributedDataParallel`` -> identity while the trainer is built: one
    process, so DDP's gradient all-reduce would average over a world of size 1
    (broadcast_buffers=False); ``do_pass`` then calls the bare network's forward(mode, ...).
  * ``Module.cuda`` / ``Tensor.cuda`` -> identity (no GPU here; everything stays on the CPU).
  * ``torch.utils.model_zoo.load_url`` -> random torchvision ResNet weights: the official
    constructor would download ImageNet weights, which our state dict overwrites anyway.
  * the trainer's log / save intervals are set beyond the iterations run, so no TensorBoard
    logging, all-reduce of logged values or checkpoint saving is triggered (logger is None).
  * the loss dict is captured by wrapping ``LossComputer.compute`` (``do_pass`` returns nothing);
    gradients are read from ``.grad`` after ``do_pass`` (its AdamW step changes the weights,
    not the gradients; each run starts from a fresh copy of the weights).
The official trainer puts the whole network in eval() mode (``XMemTrainer.train``), i.e. BatchNorm
uses its running statistics; ours trains with BatchNorm in eval mode and everything else in
train mode: the network has no dropout or other train-mode behaviour, so both are the same.

Randomness: the official code draws np.random.rand() per memorised frame (deep update) and
torch.randperm for reference frames; both generators are seeded, and the benchmark verifies that
no randperm was called and that every value encoding was a deep update, in both implementations.

The floor: the official code in fp32 vs the official code in fp64 (``torch.set_default_dtype``
float64, network and images in float64) on the same batch and weights. Statistic for gradients:
max over parameters of ||g - g_ref|| / ||g_ref|| (and the parameter attaining it).
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import io
import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import numpy as np
import torch
from torch import nn

from xmem.model.checkpoint import read_state_dict
from xmem.model.config import NetworkConfig
from xmem.model.network import XMemNetwork
from xmem.training.batch import TrainingBatch
from xmem.training.config import BootstrapConfig
from xmem.training.losses import clip_loss
from xmem.training.models import get_model_kind
from xmem.training.schedules import keep_fraction_at
from xmem.training.step import ClipModel, freeze_batchnorm

T, N, NUM_REF_FRAMES = 4, 3, 3
OBJECTS_PER_SAMPLE = (3, 2, 0)  # sample 1: one padded slot; sample 2: an empty clip
MAIN_ITERATIONS, START_WARM, END_WARM, TOP_P = 100_000, 20_000, 70_000, 0.15  # official stage 3
ITERATIONS = {"plain CE (before warm-up)": 12_345, "bootstrapped (inside warm-up)": 45_678}
NEVER = 10**12  # log / save intervals of the official trainer: never reached


def make_batch(size: int, seed: int = 0) -> TrainingBatch:
    """Moving rectangles on a noisy background, 3 slots; selector as the official datasets
    build it (the first max(1, objects) slots are marked)."""
    g = torch.Generator().manual_seed(seed)
    b = len(OBJECTS_PER_SAMPLE)
    labels = torch.zeros(b, T, size, size, dtype=torch.long)
    box = size // 4
    for s, count in enumerate(OBJECTS_PER_SAMPLE):
        for k in range(count):
            y0, x0 = (torch.randint(0, size - box - T * 2, (2,), generator=g)).tolist()
            for t in range(T):
                labels[s, t, y0 + 2 * t : y0 + 2 * t + box, x0 + t : x0 + t + box] = k + 1
    masks = torch.stack([(labels == k + 1).float() for k in range(N)], dim=2)
    colours = torch.rand(b, 1, N, 3, 1, 1, generator=g) * 2 - 1
    images = (torch.randn(b, T, 3, size, size, generator=g) * 0.3
              + (masks.unsqueeze(3) * colours).sum(2))
    selector = torch.tensor([[1.0 if k < max(1, n) else 0.0 for k in range(N)] for n in OBJECTS_PER_SAMPLE])
    return TrainingBatch(images, masks, selector, tuple(f"sample{s}" for s in range(b)))


def official_data(batch: TrainingBatch, dtype: torch.dtype) -> dict:
    """The batch as the official DataLoader delivers it (vos_dataset.py)."""
    return {
        "rgb": batch.images.to(dtype),
        "first_frame_gt": batch.masks[:, :1].long(),  # [B, 1, N, H, W] int64
        "cls_gt": batch.labels.unsqueeze(2),  # [B, T, 1, H, W] int64
        "selector": batch.selector.to(dtype),
        "info": {"num_objects": [torch.tensor(max(1, n)) for n in OBJECTS_PER_SAMPLE]},
    }


@dataclass
class StepResult:
    loss: float
    keep_fraction: float
    grads: dict[str, torch.Tensor]
    randperm_calls: int
    deep_updates: list[bool]
    loss_dtype: torch.dtype


@contextlib.contextmanager
def count_randperm(counter: list[int]):
    real = torch.randperm

    def counting(*args, **kwargs):
        counter[0] += 1
        return real(*args, **kwargs)

    with mock.patch.object(torch, "randperm", counting):
        yield


def run_ours(state_dict, batch: TrainingBatch, iteration: int) -> StepResult:
    torch.manual_seed(0)
    network = XMemNetwork(NetworkConfig())
    network.load_state_dict(state_dict)
    model = freeze_batchnorm(ClipModel(network, get_model_kind("xmem")))
    deep_updates: list[bool] = []
    hook = network.value_encoder.register_forward_pre_hook(
        lambda m, args, kwargs: deep_updates.append(bool(args[5] if len(args) > 5 else kwargs.get("deep_update", True))),
        with_kwargs=True)
    keep = keep_fraction_at(iteration, MAIN_ITERATIONS,
                            BootstrapConfig(START_WARM / MAIN_ITERATIONS, END_WARM / MAIN_ITERATIONS, TOP_P))
    calls = [0]
    with count_randperm(calls):
        out = model(batch, num_ref_frames=NUM_REF_FRAMES, generator=torch.Generator().manual_seed(0),
                    deep_update_prob=1.0)
        terms = clip_loss(out, batch, keep)
    model.zero_grad(set_to_none=True)
    terms.total.backward()
    hook.remove()
    grads = {name: p.grad.detach().clone() for name, p in network.named_parameters() if p.grad is not None}
    return StepResult(float(terms.total.detach()), keep, grads, calls[0], deep_updates, terms.total.dtype)


def _random_resnet_weights(url: str, *args, **kwargs):
    """Stand-in for the ImageNet download: torchvision's ResNet initialisation, overwritten later."""
    import torchvision

    return (torchvision.models.resnet50() if "resnet50" in url else torchvision.models.resnet18()).state_dict()


def official_trainer(repo: Path, state_dict, dtype: torch.dtype):
    """The official XMemTrainer on the CPU (see the module docstring for the patches)."""
    if str(repo) not in sys.path:
        sys.path.insert(0, str(repo))
    from model.trainer import XMemTrainer  # type: ignore

    config = {
        "num_frames": T, "num_ref_frames": NUM_REF_FRAMES, "deep_update_prob": 1.0,
        "key_dim": 64, "value_dim": 512, "hidden_dim": 64, "single_object": False,
        "start_warm": START_WARM, "end_warm": END_WARM, "amp": False, "debug": False,
        "lr": 1e-5, "weight_decay": 0.05, "steps": [80_000], "gamma": 0.1,
        "log_text_interval": NEVER, "log_image_interval": NEVER,
        "save_network_interval": NEVER, "save_checkpoint_interval": NEVER,
    }
    with contextlib.ExitStack() as stack:
        stack.enter_context(mock.patch("torch.nn.parallel.DistributedDataParallel", lambda module, **kw: module))
        stack.enter_context(mock.patch.object(nn.Module, "cuda", lambda self, *a, **k: self))
        stack.enter_context(mock.patch("torch.utils.model_zoo.load_url", _random_resnet_weights))
        stack.enter_context(contextlib.redirect_stdout(io.StringIO()))  # its prints of defaults
        trainer = XMemTrainer(config, logger=None, save_path=None)
    trainer.XMem.load_state_dict(state_dict)
    trainer.XMem.to(dtype)
    return trainer


def run_official(trainer, state_dict, batch: TrainingBatch, iteration: int, dtype: torch.dtype) -> StepResult:
    """One ``do_pass`` from ``state_dict``'s weights (copied in: the previous pass's AdamW step
    moved them)."""
    network = trainer.XMem
    network.load_state_dict(state_dict)
    captured: dict = {}
    real_compute = trainer.loss_computer.compute

    def compute(data, num_objects, it):
        captured.update(real_compute(data, num_objects, it))
        return captured

    trainer.loss_computer.compute = compute
    deep_updates: list[bool] = []
    hook = network.value_encoder.register_forward_pre_hook(lambda m, args: deep_updates.append(bool(args[5])))
    torch.manual_seed(0)
    np.random.seed(0)
    calls = [0]
    previous = torch.get_default_dtype()
    torch.set_default_dtype(dtype)  # its zero hidden state is created with the default dtype
    try:
        with count_randperm(calls), mock.patch.object(torch.Tensor, "cuda", lambda self, *a, **k: self):
            trainer.do_pass(official_data(batch, dtype), iteration)
    finally:
        torch.set_default_dtype(previous)
        hook.remove()
    grads = {name: p.grad.detach().clone() for name, p in network.named_parameters() if p.grad is not None}
    total = captured["total_loss"]
    return StepResult(float(total.detach()), float(captured["p"]), grads, calls[0], deep_updates, total.dtype)


ZERO_GRADIENT = 1e-10  # a parameter whose fp64 gradient norm is below this share of the whole gradient's


def zero_gradient_parameters(reference64: dict[str, torch.Tensor]) -> list[str]:
    """Parameters whose exact gradient is (analytically) zero, judged on the fp64 gradient: their
    fp32 gradients are pure rounding noise and a relative error means nothing. The key
    projection's bias is one: the L2 similarity depends on memory key - query key only."""
    total = math.sqrt(sum(float(g.double().norm()) ** 2 for g in reference64.values()))
    return sorted(name for name, g in reference64.items() if float(g.double().norm()) < ZERO_GRADIENT * total)


def grad_error(grads: dict[str, torch.Tensor], reference: dict[str, torch.Tensor],
               skip: list[str]) -> tuple[float, str, float]:
    """max over parameters (except ``skip``) of ||g - g_ref|| / ||g_ref|| (in float64), that
    parameter, and the error of the whole gradient vector ||G - G_ref|| / ||G_ref||."""
    if set(grads) != set(reference):
        different = sorted(set(grads) ^ set(reference))
        raise SystemExit(f"the two gradient sets differ in parameters: {different[:5]} ...")
    worst, worst_name, diff_sq, ref_sq = 0.0, "", 0.0, 0.0
    for name, ref in reference.items():
        ref64, g64 = ref.double(), grads[name].double()
        norm, diff = float(ref64.norm()), float((g64 - ref64).norm())
        diff_sq, ref_sq = diff_sq + diff**2, ref_sq + norm**2
        if name in skip:
            continue
        err = diff / norm if norm > 0 else (0.0 if diff == 0 else math.inf)
        if err > worst:
            worst, worst_name = err, name
    return worst, worst_name, math.sqrt(diff_sq / ref_sq)


def zero_gradient_noise(grads: dict[str, torch.Tensor], reference64: dict[str, torch.Tensor], names: list[str]) -> float:
    """Largest ||g|| of the ``names`` parameters relative to the norm of the whole fp64 gradient."""
    total = math.sqrt(sum(float(g.double().norm()) ** 2 for g in reference64.values()))
    return max((float(grads[n].double().norm()) / total for n in names), default=0.0)


def check_randomness(name: str, result: StepResult) -> None:
    expected = [True] * (T - 1)  # frame 0 (ground truth) and frames 1..T-2 are memorised
    if result.randperm_calls or result.deep_updates != expected:
        raise SystemExit(f"{name}: randomness acted (randperm calls {result.randperm_calls}, "
                         f"deep updates {result.deep_updates}); the comparison needs T=4, p=1")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--official-repo", type=Path, required=True)
    parser.add_argument("--weights", type=Path, default=None, help="paper-network weights (default: random, from --seed)")
    parser.add_argument("--size", type=int, default=64, help="crop size (a multiple of 16)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0, help="seed of the random weights and of the batch")
    parser.add_argument("--json", type=Path, default=None, help="also write the numbers here")
    args = parser.parse_args()
    if not (args.official_repo / "model" / "trainer.py").is_file():
        raise SystemExit(f"{args.official_repo}: no model/trainer.py; pass a checkout of hkchengrex/XMem")
    if args.size % 16:
        raise SystemExit(f"--size {args.size}: must be a multiple of 16")
    torch.set_num_threads(args.threads)
    if args.weights is not None:
        state_dict = read_state_dict(args.weights)
    else:
        torch.manual_seed(args.seed)
        state_dict = copy.deepcopy(XMemNetwork(NetworkConfig()).state_dict())
    batch = make_batch(args.size, args.seed)

    trainers = {dtype: official_trainer(args.official_repo, state_dict, dtype) for dtype in (torch.float32, torch.float64)}
    report = {"size": args.size, "seed": args.seed, "batch": list(OBJECTS_PER_SAMPLE), "frames": T, "regimes": {}}
    for regime, iteration in ITERATIONS.items():
        ours = run_ours(state_dict, batch, iteration)
        off32 = run_official(trainers[torch.float32], state_dict, batch, iteration, torch.float32)
        off64 = run_official(trainers[torch.float64], state_dict, batch, iteration, torch.float64)
        for name, result in (("ours", ours), ("official fp32", off32), ("official fp64", off64)):
            check_randomness(name, result)
        if off64.loss_dtype != torch.float64 or off32.loss_dtype != torch.float32 or ours.loss_dtype != torch.float32:
            raise SystemExit(f"unexpected loss dtypes {ours.loss_dtype}, {off32.loss_dtype}, {off64.loss_dtype}")
        skip = zero_gradient_parameters(off64.grads)
        ours_err, ours_worst, ours_all = grad_error(ours.grads, off32.grads, skip)
        floor, floor_worst, floor_all = grad_error(off32.grads, off64.grads, skip)
        truth_err, truth_worst, truth_all = grad_error(ours.grads, off64.grads, skip)
        row = {
            "iteration": iteration, "keep_fraction_ours": ours.keep_fraction, "keep_fraction_official": off32.keep_fraction,
            "loss_ours": ours.loss, "loss_official_fp32": off32.loss, "loss_official_fp64": off64.loss,
            "loss_abs_diff": abs(ours.loss - off32.loss), "loss_rel_diff": abs(ours.loss - off32.loss) / abs(off32.loss),
            "loss_floor_rel": abs(off32.loss - off64.loss) / abs(off64.loss),
            "grad_err_ours_vs_official_fp32": ours_err, "worst_param_ours_vs_official": ours_worst,
            "grad_floor_official_fp32_vs_fp64": floor, "worst_param_floor": floor_worst,
            "grad_err_ours_vs_official_fp64": truth_err, "worst_param_ours_vs_fp64": truth_worst,
            "whole_gradient_err_ours_vs_official_fp32": ours_all, "whole_gradient_floor": floor_all,
            "whole_gradient_err_ours_vs_official_fp64": truth_all,
            "zero_gradient_parameters": skip,
            "zero_gradient_noise_ours": zero_gradient_noise(ours.grads, off64.grads, skip),
            "zero_gradient_noise_official_fp32": zero_gradient_noise(off32.grads, off64.grads, skip),
            "parameters_compared": len(ours.grads) - len(skip),
        }
        report["regimes"][regime] = row
        print(f"== {regime}: iteration {iteration}, kept fraction ours {ours.keep_fraction:.6f} / "
              f"official {off32.keep_fraction:.6f}")
        print(f"   loss ours {ours.loss:.9g}  official fp32 {off32.loss:.9g}  official fp64 {off64.loss:.12g}")
        print(f"   loss |ours - official| = {row['loss_abs_diff']:.3g} (relative {row['loss_rel_diff']:.3g}); "
              f"floor |fp32 - fp64| relative {row['loss_floor_rel']:.3g}")
        print(f"   gradient: max over {row['parameters_compared']} parameters of ||g - g_ref|| / ||g_ref|| "
              f"(whole gradient vector in brackets):")
        print(f"     ours fp32 vs official fp32:  {ours_err:.3g} [{ours_all:.3g}]  worst: {ours_worst}")
        print(f"     FLOOR official fp32 vs fp64: {floor:.3g} [{floor_all:.3g}]  worst: {floor_worst}")
        print(f"     ours fp32 vs official fp64:  {truth_err:.3g} [{truth_all:.3g}]  worst: {truth_worst}")
        print(f"   zero exact gradient (fp64 norm < {ZERO_GRADIENT:g} of the whole), not in the max: {', '.join(skip)}; "
              f"their fp32 norms / whole: ours {row['zero_gradient_noise_ours']:.3g}, "
              f"official {row['zero_gradient_noise_official_fp32']:.3g}")
        print(f"   randomness: no randperm call, deep update on all {T - 1} memorised frames (both)")
    if args.json is not None:
        tmp = args.json.with_suffix(args.json.suffix + ".tmp")
        tmp.write_text(json.dumps(report, indent=2))
        tmp.replace(args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
