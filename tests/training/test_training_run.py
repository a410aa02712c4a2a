"""End-to-end training runs on tiny data: outputs, save/load, bit-exact resume, guard rails."""

from __future__ import annotations

import pandas as pd
import pytest
import torch
import yaml

import xmem.training.trainer as trainer_module
from xmem.errors import XMemError
from xmem.model import load_network
from xmem.training.checkpointing import load_training_state
from xmem.training.config import config_from_dict
from xmem.training.step import prepare_training_network
from xmem.training.trainer import run_training
from xmem.training.xmem_forward import xmem_clip_forward
from test_training_forward import _batch


def _config(data, runtime=None, **main):
    return config_from_dict({
        "network": {"profile": "tiny"},
        "data": {"root": str(data), "static": {"root": "static"}, "davis": {"root": "DAVIS"},
                 "youtube": {"root": "YouTube"}},
        "stages": ["static", "main"],
        "static": {"iterations": 2, "batch_size": 2, "crop_size": 32},
        "main": {"iterations": 4, "batch_size": 2, "crop_size": 32, "num_frames": 5, "num_ref_frames": 2,
                 "finetune_fraction": 0.0, "lr": 1e-3, **main},
        "runtime": {"log_every": 1, "checkpoint_every": 1, "tensorboard": False, "progress": False,
                    "device": "cpu", **(runtime or {})},
    })


@pytest.fixture(scope="module")
def full_run(train_data, tmp_path_factory):
    out = tmp_path_factory.mktemp("full")
    return run_training(_config(train_data, {"keep_checkpoint": True, "save_stage_networks": True}), out)


def test_outputs_and_saved_network_reproduce_the_model(full_run):
    out = full_run.out_dir
    for name in ("network.pth", "network_static.pth", "network_main.pth", "checkpoint.pth", "log.csv", "config.yaml"):
        assert (out / name).is_file(), name
    assert full_run.completed == {"static": 2, "main": 4}
    log = pd.read_csv(out / "log.csv")
    assert list(zip(log.stage, log.iteration)) == [("static", 1), ("static", 2)] + [("main", i) for i in range(1, 5)]
    assert {"lr", "total", "ce", "dice", "iou", "data_wait_sec"} <= set(log.columns)
    assert ((0 <= log.data_wait_sec) & (log.data_wait_sec <= log.sec_per_iter)).all()
    recorded = yaml.safe_load((out / "config.yaml").read_text())
    assert recorded["seed"] == 14159265 and recorded["main"]["iterations"] == 4
    assert set(recorded["run"]["stage_init_seeds"]) == {"static", "main"}
    state = load_training_state(out / "checkpoint.pth")
    assert (state["stage"], state["iteration"], state["sampler"]["next_iteration"]) == ("main", 4, 4)
    assert recorded["run"]["precision"] == state["precision"] == "float32"  # runtime.amp: false
    # in the layout the trainer runs the network in (channels-last), the same outputs bit for bit
    loaded = prepare_training_network(load_network(out / "network.pth"), torch.device("cpu")).eval()
    trained = full_run.network.eval()
    batch = _batch(n=3)
    with torch.no_grad():
        a = xmem_clip_forward(trained, batch, num_ref_frames=2, generator=torch.Generator().manual_seed(0))
        b = xmem_clip_forward(loaded, batch, num_ref_frames=2, generator=torch.Generator().manual_seed(0))
    assert all(torch.equal(x, y) for x, y in zip(a.logits, b.logits))


@pytest.mark.parametrize("kill_after,where", [(3, ("main", 1)), (2, ("static", 2))])
def test_resume_reproduces_an_uninterrupted_run_bit_exactly(full_run, train_data, tmp_path, monkeypatch, kill_after,
                                                            where):
    """6 iterations (static 2 + main 4) vs. 3 + kill + resume + 3 (and the same across the stage boundary)."""
    real_step = trainer_module.training_step
    calls = {"n": 0}

    def interrupted(*args, **kwargs):
        if calls["n"] == kill_after:
            raise KeyboardInterrupt
        calls["n"] += 1
        return real_step(*args, **kwargs)

    monkeypatch.setattr(trainer_module, "training_step", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run_training(_config(train_data), tmp_path)
    state = load_training_state(tmp_path / "checkpoint.pth")
    assert (state["stage"], state["iteration"]) == where
    monkeypatch.setattr(trainer_module, "training_step", real_step)
    resumed = run_training(_config(train_data), tmp_path, resume=True)
    assert resumed.completed["main"] == 4
    expected = torch.load(full_run.out_dir / "network.pth", weights_only=True)
    got = torch.load(tmp_path / "network.pth", weights_only=True)
    assert expected.keys() == got.keys() and all(torch.equal(expected[k], got[k]) for k in expected)
    assert not (tmp_path / "checkpoint.pth").exists() and not (tmp_path / "network_static.pth").exists()
    cols = ["stage", "iteration", "lr", "total", "ce", "dice", "iou"]
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "log.csv")[cols], pd.read_csv(full_run.out_dir / "log.csv")[cols])


def test_resume_in_another_precision_warns(train_data, tmp_path, monkeypatch, caplog):
    real_step = trainer_module.training_step
    calls = {"n": 0}

    def interrupted(*args, **kwargs):
        if calls["n"] == 3:
            raise KeyboardInterrupt
        calls["n"] += 1
        return real_step(*args, **kwargs)

    monkeypatch.setattr(trainer_module, "training_step", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run_training(_config(train_data), tmp_path)  # float32
    monkeypatch.setattr(trainer_module, "training_step", real_step)
    with caplog.at_level("WARNING", logger=trainer_module.__name__):
        run_training(_config(train_data, {"amp": True}), tmp_path, resume=True)  # bfloat16 from here on
    assert "was trained in float32, continues in bfloat16 autocast" in caplog.text
    assert yaml.safe_load((tmp_path / "config.yaml").read_text())["run"]["precision"] == "bfloat16 autocast"


def test_guard_rails(full_run, train_data, tmp_path):
    with pytest.raises(XMemError, match="already holds a training state"):
        run_training(_config(train_data), full_run.out_dir)
    (tmp_path / "network.pth").write_bytes(b"")  # a completed run (its checkpoint deleted)
    with pytest.raises(XMemError, match="already holds a completed training"):
        run_training(_config(train_data), tmp_path, resume=True)
    with pytest.raises(XMemError, match=r"config differs .* at main\.lr"):
        run_training(_config(train_data, lr=5e-4), full_run.out_dir, resume=True)
