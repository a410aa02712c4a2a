"""Helper of test_training_ddp.py: train with 2 gloo processes; each saves its final weights.

Usage: python ddp_worker.py CONFIG OUT PORT. Every process gets the torchrun environment
(RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT), so ``run_training`` joins the
process group itself, exactly as under ``torchrun``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import torch
import torch.multiprocessing as mp

WORLD_SIZE = 2


def worker(rank: int, config_path: str, out: str, port: int) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), WORLD_SIZE=str(WORLD_SIZE),
                      LOCAL_RANK=str(rank))
    torch.set_num_threads(1)
    from xmem.training.config import load_config
    from xmem.training.trainer import run_training

    result = run_training(load_config(config_path), out)
    torch.save(result.network.state_dict(), Path(out) / f"rank{rank}.pt")


if __name__ == "__main__":
    mp.spawn(worker, args=(sys.argv[1], sys.argv[2], int(sys.argv[3])), nprocs=WORLD_SIZE, join=True)
