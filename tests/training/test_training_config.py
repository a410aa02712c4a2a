"""Training configuration: inheritance, overrides, and one-line errors naming file and key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from xmem.cli import main as xmem_main
from xmem.errors import XMemError
from xmem.training.config import STAGE_NAMES, load_config

CONFIG_DIR = Path(__file__).resolve().parents[2] / "config" / "train"


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_unknown_key_names_file_and_key(tmp_path):
    cfg = _write(tmp_path / "bad.yaml", "main:\n  iteratons: 5\n")
    with pytest.raises(XMemError) as err:
        load_config(cfg, check_paths=False)
    message = str(err.value)
    assert str(cfg) in message and "main.iteratons" in message and "unknown key" in message
    assert "\n" not in message


def test_missing_dataset_folder_names_the_key(tmp_path):
    cfg = _write(tmp_path / "c.yaml", f"data: {{davis: {{root: {tmp_path / 'nope'}}}}}\nstages: [main]\n"
                                      "main: {datasets: [davis]}\nnetwork: {profile: tiny}\n")
    with pytest.raises(XMemError, match=r"c\.yaml: data\.davis\.root: folder .*nope does not exist"):
        load_config(cfg)
    unset = _write(tmp_path / "d.yaml", "stages: [static]\nnetwork: {profile: tiny}\n")
    with pytest.raises(XMemError, match=r"d\.yaml: data\.static\.root: not set but stage 'static' uses it"):
        load_config(unset)


@pytest.mark.parametrize("text,key", [
    ("main: {batch_size: two}\n", "main.batch_size"),
    ("main: {crop_size: 100}\n", "main.crop_size"),
    ("main: {num_ref_frames: 8}\n", "main.num_ref_frames"),
    ("main: {curriculum: {max_skip: [5, 10], at: [0.1, 0.5]}}\n", "main.curriculum"),
    ("stages: [main, warmup]\n", "stages"),
    ("model: nope\n", "model"),
    ("network: {profile: huge}\n", "network"),
    ("network: {hiden_dim: 3}\n", "network"),
    ("runtime: {device: tpu}\n", "runtime.device"),
])
def test_invalid_values_name_the_key(tmp_path, text, key):
    cfg = _write(tmp_path / "v.yaml", text)
    with pytest.raises(XMemError, match=r"v\.yaml: " + re.escape(key)):
        load_config(cfg, check_paths=False)


def test_base_inheritance_overrides_and_data_root(tmp_path, train_data):
    _write(tmp_path / "parent.yaml", "network: {profile: tiny}\nmain: {iterations: 10, batch_size: 2}\n"
                                     f"data: {{root: {train_data}, davis: {{root: DAVIS}}}}\n"
                                     "stages: [main]\n")
    child = _write(tmp_path / "child.yaml", "base: parent.yaml\nmain: {batch_size: 4, datasets: [davis]}\n")
    config = load_config(child, ("main.lr=2e-4", "deep_update_prob=0", "main.bootstrap.top_p=0.5"))
    assert (config.main.iterations, config.main.batch_size, config.main.lr) == (10, 4, 2e-4)
    assert config.main.bootstrap.top_p == 0.5 and config.main.bootstrap.start == 0.2
    assert config.deep_update_prob == 0.0 and config.network == {"profile": "tiny"}
    assert config.data.path("davis") == str(train_data / "DAVIS")


def test_base_cycle_and_missing_base(tmp_path):
    a = _write(tmp_path / "a.yaml", "base: b.yaml\n")
    _write(tmp_path / "b.yaml", "base: a.yaml\n")
    with pytest.raises(XMemError, match="inheritance cycle"):
        load_config(a, check_paths=False)
    c = _write(tmp_path / "c.yaml", "base: missing.yaml\n")
    with pytest.raises(XMemError, match=r"c\.yaml: base: training config .*missing\.yaml does not exist"):
        load_config(c, check_paths=False)


def test_every_shipped_config_loads():
    files = sorted(CONFIG_DIR.glob("*.yaml"))
    assert {f.stem for f in files} >= {"paper_xmem", "default_xmem", "smoke_xmem", "default_stcn", "smoke_stcn"}
    for path in files:
        config = load_config(path, check_paths=False)
        assert set(config.stages) <= set(STAGE_NAMES)


def test_shipped_variants_change_what_they_claim():
    ref = load_config(CONFIG_DIR / "default_ablation.yaml", check_paths=False)

    def variant(name):
        return load_config(CONFIG_DIR / f"default_{name}.yaml", check_paths=False)

    assert variant("no_sensory").network == {"profile": "small", "hidden_dim": 0}
    assert variant("shrinkage_only").network["use_selection"] is False
    assert variant("selection_only").network["use_shrinkage"] is False
    assert variant("no_deep_update").deep_update_prob == 0.0 and ref.deep_update_prob == 0.2
    assert variant("no_static").stages == ("main",) and ref.stages == ("static", "main")
    assert variant("data_davis").main.datasets == ("davis",)
    assert variant("data_youtube").main.datasets == ("youtube",)
    assert variant("stcn").model == "stcn"
    paper = load_config(CONFIG_DIR / "paper_xmem.yaml", check_paths=False)
    assert (paper.static.iterations, paper.static.batch_size, paper.main.total_iterations) == (150_000, 16, 110_000)


def test_cli_reports_config_errors_with_exit_status_2(tmp_path, capsys):
    assert xmem_main(["train", "--config", str(tmp_path / "none.yaml"), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "none.yaml does not exist" in err and len(err.strip().splitlines()) == 1
