"""Multi-process training helpers (torchrun / DistributedDataParallel).

``torchrun --nproc_per_node=2 -m xmem.cli train ...`` sets RANK, WORLD_SIZE, LOCAL_RANK,
MASTER_ADDR and MASTER_PORT; :func:`init_distributed` then joins the process group (NCCL on
CUDA, gloo on CPU). A process group created by the caller (e.g. a test) is reused.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class ProcessInfo:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    owns_group: bool = False  # True when init_distributed created the group (and must destroy it)

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1


def init_distributed(device_type: str) -> ProcessInfo:
    """Join the process group described by the environment, if any (single process otherwise)."""
    if dist.is_available() and dist.is_initialized():
        return ProcessInfo(dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", dist.get_rank())))
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size <= 1:
        return ProcessInfo()
    dist.init_process_group(backend="nccl" if device_type == "cuda" else "gloo", init_method="env://")
    return ProcessInfo(dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", "0")), True)


def mean_over_processes(values: list[float], info: ProcessInfo, device: torch.device) -> list[float]:
    """Element-wise mean of ``values`` over all processes (identity for one process)."""
    if not info.distributed:
        return values
    tensor = torch.tensor(values, dtype=torch.float64, device=device)
    dist.all_reduce(tensor)
    return (tensor / info.world_size).tolist()


def barrier(info: ProcessInfo) -> None:
    if info.distributed:
        dist.barrier()


def shutdown(info: ProcessInfo) -> None:
    if info.owns_group and dist.is_initialized():
        dist.destroy_process_group()
