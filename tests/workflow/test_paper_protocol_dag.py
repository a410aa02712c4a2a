"""Issue 15: a dry run of the paper profile with real-layout datasets on disk plans every run
of the paper's protocol (XMem*, the 600p test-dev run, appendix H's multi-scale members)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from workflow_helpers import REPO, snakemake
from xmem.data import generate_benchmark, load_synth_config


@pytest.fixture(scope="module")
def real_layout(tmp_path_factory) -> dict[str, str]:
    """The smoke synthetic benchmark: every dataset in its real layout (DAVIS/2016, DAVIS/2017
    with trainval/ and test-dev/, YouTube-VOS, Long-time Video, static images, BL30K)."""
    root = tmp_path_factory.mktemp("datasets") / "bench"
    generate_benchmark(root, load_synth_config(REPO / "config/synth/smoke.yaml"), seed=0)
    return {"D16": root / "DAVIS" / "2016", "D17": root / "DAVIS" / "2017", "Y18": root / "YouTube2018",
            "Y19": root / "YouTube2019", "LV1": root / "long_video", "static": root / "static",
            "bl30k": root / "BL30K"}


@pytest.fixture(scope="module")
def paper_dry_run(real_layout, tmp_path_factory) -> str:
    config = yaml.safe_load((REPO / "config/paper.yaml").read_text())
    config["datasets"] = {k: str(v) for k, v in real_layout.items()}
    tmp = tmp_path_factory.mktemp("paper")
    (tmp / "stcn.pth").write_bytes(b"released STCN")  # item 7: run next to the retrained STCN
    config["stcn_weights"] = str(tmp / "stcn.pth")
    path = tmp / "paper.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True))
    result = snakemake(tmp, "report", "-n", "-p", "--configfile", str(path))
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def planned_markers(stdout: str) -> set[str]:
    """model/dataset/setting of every run-group (and merge) job of the dry run."""
    return set(re.findall(r"results/paper/runs/([^/\s]+/[^/\s]+/[^/\s]+)/\.complete", stdout))


def test_paper_dry_run_trains_xmem_star_on_the_configured_bl30k(paper_dry_run, real_layout):
    assert "results/paper/models/xmem_bl30k/network.pth" in paper_dry_run
    command = next(line for line in paper_dry_run.splitlines() if "paper_xmem_bl30k.yaml" in line and "xmem train" in line)
    assert f"--set data.bl30k.root={real_layout['bl30k']}" in command
    assert f"--set data.static.root={real_layout['static']}" in command


def test_paper_dry_run_plans_every_protocol_run(paper_dry_run):
    markers = planned_markers(paper_dry_run)
    # XMem* rows: Tables 2, 3, S3, S5-S9 (row 4), S10-S11
    for ds in ("Y18", "Y19", "D16", "D17", "D17td"):
        assert f"xmem_bl30k/{ds}/default" in markers, ds
        for model in ("xmem", "xmem_bl30k"):
            assert f"{model}/{ds}/ms" in markers, (model, ds)
    assert "xmem_bl30k/D17td/hires" in markers  # Table 3 / S10: XMem*‡ at 600p
    assert "stcn/LV/native_insertion" in markers  # Fig. 1 left: STCN at r = 5 before limiting
    for planned in ("stcn_released/LV1/sparse_insertion", "stcn_released/D17/default", "stcn_released/D17td/default",
                    "stcn_released/Y19/default"):  # item 7: the released stcn.pth, inferred only
        assert planned in markers, planned
    assert "results/paper/models/stcn_released" not in paper_dry_run
    # appendix H: 720p, r = 3 on the val sets; r = 3 and 5 on test-dev; each mirrored too
    for model in ("xmem", "xmem_bl30k"):
        for ds in ("D16", "D17"):
            assert {m for m in markers if m.startswith(f"{model}/{ds}/ms_")} == {
                f"{model}/{ds}/ms_s720_r3", f"{model}/{ds}/ms_s720_r3_flip"}
        assert {m for m in markers if m.startswith(f"{model}/D17td/ms_")} == {
            f"{model}/D17td/ms_s720_r{r}{f}" for r in (3, 5) for f in ("", "_flip")}
        for ds in ("Y18", "Y19"):  # 480 ... 624 at r = 5, each mirrored too
            assert {m for m in markers if m.startswith(f"{model}/{ds}/ms_")} == {
                f"{model}/{ds}/ms_s{s}_r5{f}" for s in (480, 528, 576, 624) for f in ("", "_flip")}
