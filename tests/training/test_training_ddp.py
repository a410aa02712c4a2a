"""Two CPU processes (gloo) train together for 2 iterations and end with identical weights."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import torch
import yaml

from xmem.training.models import get_model_kind
from xmem.training.sampling import derive_seed

WORKER = Path(__file__).resolve().parent / "ddp_worker.py"
REPO = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_process_gloo_training_keeps_ranks_identical(train_data, tmp_path):
    config = {
        "network": {"profile": "tiny"},
        "data": {"root": str(train_data), "davis": {"root": "DAVIS"}, "youtube": {"root": "YouTube"}},
        "stages": ["main"],
        "main": {"iterations": 2, "finetune_fraction": 0.0, "batch_size": 2, "crop_size": 32, "num_frames": 4,
                 "num_ref_frames": 2, "lr": 1e-3},
        "runtime": {"device": "cpu", "log_every": 1, "checkpoint_every": 1, "tensorboard": False,
                    "progress": False},
    }
    path = tmp_path / "ddp.yaml"
    path.write_text(yaml.safe_dump(config))
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, str(WORKER), str(path), str(out), str(_free_port())], cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rank0 = torch.load(out / "rank0.pt", weights_only=True)
    rank1 = torch.load(out / "rank1.pt", weights_only=True)
    assert all(torch.equal(rank0[k], rank1[k]) for k in rank0)
    saved = torch.load(out / "network.pth", weights_only=True)
    assert all(torch.equal(saved[k], rank0[k]) for k in rank0)
    # The ranks trained on different samples (one each of the global batch of 2) yet agree, so
    # their gradients were averaged. And training did change the initial weights:
    torch.manual_seed(derive_seed(14159265, 0))
    initial = get_model_kind("xmem").build_network({"profile": "tiny"}, False, {}).state_dict()
    assert any(not torch.equal(initial[k], rank0[k]) for k in rank0 if k.endswith("weight"))
    state = yaml.safe_load((out / "config.yaml").read_text())
    assert state["run"]["world_size"] == 2
    log = (out / "log.csv").read_text().splitlines()
    assert len(log) == 3  # header + 2 iterations, written by rank 0 only
