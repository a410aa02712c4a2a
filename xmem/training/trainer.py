"""The training loop: stages in order, checkpoints, resume, distributed data parallelism.

Outputs in ``DIR``:
  network.pth              final weights (plain state dict, official format)
  network_<stage>.pth      weights at the end of each stage (static = official "s0" weights),
                           only with runtime.save_stage_networks
  network_<stage>_<it>.pth optional snapshots (runtime.save_network_every)
  checkpoint.pth           full training state, rewritten atomically every
                           runtime.checkpoint_every iterations and at the end of each stage;
                           deleted when the run completes unless runtime.keep_checkpoint
  log.csv, tensorboard/    metrics (see ``train_log``)
  config.yaml              the resolved configuration, seeds and run facts

Determinism: the network of stage k is initialised from seed ``derive_seed(seed, k)`` (then
loaded from stage k-1); samples and clip-forward randomness are functions of (seed, stage,
iteration, sample/rank) (see ``sampling``). A resumed run therefore repeats the iterations
of an uninterrupted one exactly (bit-identical on CPU with the same thread count).
"""

from __future__ import annotations

import inspect
import logging
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import yaml
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from tqdm import tqdm

from xmem.errors import XMemError
from xmem.model.checkpoint import read_state_dict, save_network
from xmem.training import distributed as D
from xmem.training.checkpointing import (
    STATE_FILE,
    capture_rng_state,
    load_training_state,
    restore_rng_state,
    save_training_state,
)
from xmem.training.config import StageConfig, TrainConfig
from xmem.utils.typed_config import plain_data
from xmem.training.models import get_model_kind, transfer_weights
from xmem.training.sampling import derive_seed, forward_seed
from xmem.training.schedules import keep_fraction_at, lr_milestones, max_skip_at
from xmem.training.stage_data import build_loader, build_stage_dataset
from xmem.training.step import ClipModel, StepSettings, freeze_batchnorm, prepare_training_network, training_step
from xmem.training.train_log import MetricsLog, truncate_log
from xmem.utils.atomic import write_text_atomic
from xmem.utils.precision import describe_precision, resolve_amp, uses_grad_scaler

log = logging.getLogger(__name__)


@dataclass
class TrainingResult:
    network: nn.Module  # the final network (bare, on the training device)
    out_dir: Path
    completed: dict[str, int] = field(default_factory=dict)  # stage -> completed iterations


@dataclass
class _Run:
    config: TrainConfig
    out_dir: Path
    device: torch.device
    info: D.ProcessInfo
    metrics: MetricsLog
    config_dict: dict[str, Any]
    amp: bool  # runtime.amp resolved on this machine

    @property
    def precision(self) -> str:
        """The precision of the forward, in words (run facts, training state)."""
        return describe_precision(self.amp, self.device)


def resolve_device(requested: str, info: D.ProcessInfo) -> torch.device:
    if requested == "cuda" and not torch.cuda.is_available():
        raise XMemError("runtime.device: cuda requested but CUDA is not available; use cpu or auto")
    if requested == "cpu" or not torch.cuda.is_available():
        return torch.device("cpu")
    return torch.device("cuda", info.local_rank)


def _seed_everything(seed: int) -> None:
    torch.manual_seed(seed)
    np.random.seed(seed % 2**32)
    random.seed(seed)


def _first_difference(a: Any, b: Any, prefix: str = "") -> str | None:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            found = _first_difference(a.get(key), b.get(key), f"{prefix}.{key}" if prefix else key)
            if found:
                return found
        return None
    return None if a == b else f"{prefix} ({b!r} in the checkpoint, {a!r} now)"


def _check_same_config(current: dict, stored: dict, state_path: Path) -> None:
    now = {k: v for k, v in current.items() if k != "runtime"}
    before = {k: v for k, v in stored.items() if k != "runtime"}
    diff = _first_difference(now, before)
    if diff:
        raise XMemError(f"--resume: the config differs from the one in {state_path} at {diff}; "
                        "resume with the same config or train into a new --out")


def _write_run_config(run: _Run, source: str | None, resumed: bool) -> None:
    stage_seeds = {name: derive_seed(run.config.seed, i) for i, name in enumerate(run.config.stages)}
    facts = {"config_file": source, "world_size": run.info.world_size, "device": str(run.device),
             "seed": run.config.seed, "stage_init_seeds": stage_seeds, "torch": str(torch.__version__),
             "resumed": resumed, "threads": torch.get_num_threads(),
             "precision": run.precision}
    facts["network_resolved"] = plain_data(get_model_kind(run.config.model).resolve_config(run.config.network).to_dict())
    text = yaml.safe_dump({**run.config_dict, "run": facts}, sort_keys=False)
    write_text_atomic(run.out_dir / "config.yaml", text)


def _save_state(run: _Run, stage_index: int, name: str, iteration: int, model: ClipModel, optimizer, scheduler,
                scaler) -> None:
    if run.info.is_main:
        save_training_state(
            run.out_dir / STATE_FILE, stage_index=stage_index, stage=name, iteration=iteration,
            network=model.network.state_dict(), optimizer=optimizer.state_dict(), scheduler=scheduler.state_dict(),
            scaler=scaler.state_dict() if scaler is not None else None, rng=capture_rng_state(),
            sampler={"seed": run.config.seed, "stage_index": stage_index, "next_iteration": iteration},
            config=run.config_dict, world_size=run.info.world_size,
            precision=run.precision,
        )
    D.barrier(run.info)


def _wrap_distributed(model: ClipModel, device: torch.device, stage: StageConfig) -> nn.Module:
    """DDP around the whole clip forward. Buffers (frozen BatchNorm statistics) are not synced in
    the forward pass (official: broadcast_buffers=False). With 2-frame clips the decoder's
    hidden-state update is never used (the last frame skips it), hence find_unused_parameters."""
    kwargs: dict[str, Any] = dict(device_ids=[device.index] if device.type == "cuda" else None,
                                  find_unused_parameters=stage.num_frames < 3)
    if "forward_sync_buffers" in inspect.signature(DistributedDataParallel.__init__).parameters:
        kwargs["forward_sync_buffers"] = False  # newer torch: replaces broadcast_buffers
    else:
        kwargs["broadcast_buffers"] = False
    return DistributedDataParallel(model, **kwargs)


def _run_stage(run: _Run, stage_index: int, name: str, stage: StageConfig, network: nn.Module,
               state: dict | None) -> int:
    """Train ``network`` through one stage (from ``state`` if resuming); returns completed iterations."""
    config, info, device = run.config, run.info, run.device
    kind = get_model_kind(config.model)
    network = prepare_training_network(network, device)  # channels-last weights: faster oneDNN convolutions
    model = ClipModel(network, kind)
    if config.batchnorm == "frozen":
        freeze_batchnorm(model)
    else:
        model.train()
    trained = _wrap_distributed(model, device, stage) if info.distributed else model
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=stage.lr,
                                  weight_decay=stage.weight_decay)
    scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, lr_milestones(stage), stage.lr_gamma)
    amp = run.amp
    log.info("precision: %s (runtime.amp: %s)", run.precision, config.runtime.amp)
    scaler = torch.amp.GradScaler(device.type) if uses_grad_scaler(amp, device) else None
    start = 0
    if state is not None:
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        if scaler is not None and state.get("scaler"):
            scaler.load_state_dict(state["scaler"])
        restore_rng_state(state["rng"])
        start = int(state["iteration"])
    total = stage.total_iterations
    dataset = build_stage_dataset(config, stage)
    loader = build_loader(dataset, stage, seed=config.seed, stage_index=stage_index, start=start, rank=info.rank,
                          world_size=info.world_size, num_workers=config.runtime.num_workers,
                          pin_memory=device.type == "cuda")
    log.info("stage %s: iterations %d..%d, global batch %d (%d per process), %d training items",
             name, start, total, stage.batch_size, stage.batch_size // info.world_size, len(dataset))
    # a progress bar only on a terminal: redirected to a log file it would write a
    # carriage-return line per refresh; without it every log.csv row is logged instead
    show_bar = info.is_main and config.runtime.progress and sys.stderr.isatty()
    bar = tqdm(total=total, initial=start, desc=f"train {name}", unit="it", disable=not show_bar,
               dynamic_ncols=True)
    runtime = config.runtime
    iteration = start
    tick = time.perf_counter()
    batches = iter(loader)
    while True:
        # data_wait_sec: from the end of the previous step until the next batch is on the device
        batch = next(batches, None)
        if batch is None:
            break
        batch = batch.to(device, non_blocking=True)
        waited = time.perf_counter() - tick
        generator = torch.Generator().manual_seed(forward_seed(config.seed, stage_index, iteration, info.rank))
        settings = StepSettings(stage.num_ref_frames, config.deep_update_prob,
                                keep_fraction_at(iteration, stage.iterations, stage.bootstrap), stage.grad_clip, amp)
        metrics = training_step(trained, optimizer, scheduler, batch, settings, generator, scaler)
        metrics["max_skip"] = 0 if stage.is_static else max_skip_at(iteration, stage.iterations, stage.curriculum)
        now = time.perf_counter()
        metrics["sec_per_iter"], metrics["data_wait_sec"], tick = now - tick, waited, now
        iteration += 1
        row = run.metrics.add(stage_index, name, iteration, metrics)
        if row is not None and not show_bar and info.is_main:
            log.info("%s %d/%d: loss %.3f, IoU %.2f, %.2f s/it (%.0f%% waiting for data)", name, iteration, total,
                     row["total"], row["iou"], row["sec_per_iter"], 100 * row["data_wait_sec"] / row["sec_per_iter"])
        bar.update(1)
        bar.set_postfix(loss=f"{metrics['total']:.3f}", iou=f"{metrics['iou']:.2f}", refresh=False)
        if iteration % runtime.checkpoint_every == 0 or iteration == total:
            _save_state(run, stage_index, name, iteration, model, optimizer, scheduler, scaler)
        if runtime.save_network_every and iteration % runtime.save_network_every == 0 and info.is_main:
            save_network(model.network, run.out_dir / f"network_{name}_{iteration}.pth")
    bar.close()
    run.metrics.flush(stage_index, name, iteration)
    if info.is_main and runtime.save_stage_networks:
        save_network(model.network, run.out_dir / f"network_{name}.pth")
    D.barrier(info)
    return iteration


def run_training(config: TrainConfig, out_dir: str | Path, *, resume: bool = False,
                 config_source: str | None = None) -> TrainingResult:
    """Train all stages of ``config`` into ``out_dir`` (see the module docstring)."""
    out_dir = Path(out_dir)
    device_type = "cuda" if config.runtime.device != "cpu" and torch.cuda.is_available() else "cpu"
    info = D.init_distributed(device_type)
    try:
        device = resolve_device(config.runtime.device, info)
        if device.type == "cuda":
            torch.cuda.set_device(device)
        if config.runtime.threads:
            torch.set_num_threads(config.runtime.threads)
        amp = resolve_amp(config.runtime.amp, device, "runtime.amp")
        state_path = out_dir / STATE_FILE
        state = None
        if state_path.is_file() and not resume:
            raise XMemError(f"{out_dir} already holds a training state ({STATE_FILE}); pass --resume to continue "
                            "it or choose another --out")
        if (out_dir / "network.pth").is_file() and not state_path.is_file():
            raise XMemError(f"{out_dir} already holds a completed training (network.pth); choose another --out "
                            "or delete the folder")
        config_dict = config.to_dict()
        if resume and state_path.is_file():
            state = load_training_state(state_path)
            _check_same_config(config_dict, state["config"], state_path)
            now = describe_precision(amp, device)
            if state.get("precision", now) != now:
                log.warning("--resume: %s was trained in %s, continues in %s on this machine (runtime.amp: %s); the "
                            "result will not equal an uninterrupted run", state_path, state["precision"], now,
                            config.runtime.amp)
        elif resume:
            log.warning("%s: nothing to resume; starting from scratch", state_path)
        if info.is_main:
            out_dir.mkdir(parents=True, exist_ok=True)
        D.barrier(info)
        reduce = lambda values: D.mean_over_processes(values, info, device)  # noqa: E731
        metrics = MetricsLog(out_dir, config.runtime.log_every, info.is_main, config.runtime.tensorboard, reduce)
        run = _Run(config, out_dir, device, info, metrics, config_dict, amp)
        start_stage = int(state["stage_index"]) if state is not None else 0
        if info.is_main:
            _write_run_config(run, config_source, state is not None)
            if state is not None:
                truncate_log(metrics.path, start_stage, int(state["iteration"]))
            else:
                metrics.path.unlink(missing_ok=True)  # rows of an unfinished run that left no state
        kind = get_model_kind(config.model)
        completed: dict[str, int] = {}
        previous: dict | None = None
        network = None
        try:
            for stage_index, name in enumerate(config.stages):
                if stage_index < start_stage:
                    continue
                stage = config.stage(name)
                _seed_everything(derive_seed(config.seed, stage_index))
                network = kind.build_network(config.network, stage.single_object, config.pretrained)
                stage_state = state if state is not None and stage_index == start_stage else None
                if stage_state is not None:
                    transfer_weights(stage_state["network"], network, f"{state_path} (stage {name})")
                elif previous is not None:
                    transfer_weights(previous, network, f"stage {config.stages[stage_index - 1]} weights")
                elif config.init_weights is not None:
                    transfer_weights(read_state_dict(config.init_weights), network, f"init_weights {config.init_weights}")
                completed[name] = _run_stage(run, stage_index, name, stage, network, stage_state)
                previous = {k: v.detach().cpu() for k, v in network.state_dict().items()}
        finally:
            metrics.close()
        if info.is_main and network is not None:
            save_network(network, out_dir / "network.pth")
            if not config.runtime.keep_checkpoint:
                state_path.unlink(missing_ok=True)  # 3x the network's size (AdamW moments); resumable state
        D.barrier(info)
        return TrainingResult(network=network, out_dir=out_dir, completed=completed)
    finally:
        D.shutdown(info)
