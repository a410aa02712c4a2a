"""Issue 15 item 5: splits whose ground truth is not local (DAVIS 2017 test-dev, YouTube-VOS
2018/2019 valid) get the evaluation server's archive, and the tables name it; FPS is filled."""

from __future__ import annotations

import math
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from xmem.data import generate_benchmark, load_synth_config
from xmem.evaluation.submission import SERVERS, write_submission
from xmem.experiments import groups as G
from xmem.experiments.execute import run_group
from xmem.experiments.paths import Run
from xmem.experiments.plan import Cell, Row
from xmem.experiments.profile import run_availability, server_submission
from xmem.reporting.run_results import RunResults
from xmem.reporting.tables import TableInputs, measured_row, write_table
from xmem.utils.masks import write_index_mask

REPO = Path(__file__).resolve().parents[2]


def write_masks(root: Path) -> None:
    for video in ("a", "b"):
        for t in range(2):
            write_index_mask(root / video / f"{t:05d}.png", np.full((4, 6), t, np.uint8))
    (root / "_stats").mkdir()


@pytest.mark.parametrize(("code", "prefix"), [("D17td", ""), ("Y18", "Annotations/"), ("Y19", "Annotations/")])
def test_archive_has_the_server_layout(tmp_path, code, prefix) -> None:
    write_masks(tmp_path / "masks")
    out = write_submission(code, tmp_path / "masks", tmp_path / "s.zip")
    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == [f"{prefix}{v}/{t:05d}.png" for v in "ab" for t in range(2)]
    assert "codalab" in SERVERS[code].url


@pytest.fixture(scope="module")
def paper_like(tmp_path_factory) -> dict:
    """A real-data profile whose DAVIS 2017 is the smoke stand-in in the real layout (test-dev
    ground truth not configured: the profile sees only test-dev/, as with the real set)."""
    tmp = tmp_path_factory.mktemp("server")
    bench = tmp / "bench"
    generate_benchmark(bench, load_synth_config(REPO / "config/synth/smoke.yaml"), seed=0, only=["DAVIS"])
    return {"profile": "paper", "results": str(tmp / "results"), "data": str(tmp / "data"), "weights": "train",
            "synthetic": {"enabled": False}, "datasets": {"D17": str(bench / "DAVIS" / "2017")},
            "inference": {"size": -1, "mem_every_short": 5, "mem_every_long": 10, "offsets": 1}}


def test_test_dev_run_writes_the_archive_and_availability_names_it(paper_like) -> None:
    run = Run("copy", "D17td")
    ok, reason = run_availability(run, paper_like)
    archive = f"{paper_like['results']}/{run.path}/submission.zip"
    assert not ok and reason == f"scored by the server: submit {archive} -> {SERVERS['D17td'].name}"
    job = G.group_job(paper_like, (run,), None)
    assert job.runs[0].server and job.runs[0].evaluation is None
    run_group(job)
    with zipfile.ZipFile(archive) as zipped:
        names = zipped.namelist()
    videos = sorted(p.name for p in (Path(paper_like["datasets"]["D17"]) / "test-dev" / "JPEGImages" / "480p").iterdir())
    assert sorted({n.split("/")[0] for n in names}) == videos  # sequence folders at the zip's root
    assert not (Path(paper_like["results"]) / run.path / "scores").exists()


def test_table_cell_names_the_archive_and_fps_needs_no_ground_truth(paper_like, tmp_path) -> None:
    run = Run("xmem", "D17td")
    summary = tmp_path / run.path / "stats" / "summary.csv"
    summary.parent.mkdir(parents=True)
    pd.DataFrame({"video": ["a"], "frames": [50], "process_seconds": [2.0]}).to_csv(summary, index=False)
    config = {**paper_like, "results": str(tmp_path)}
    inputs = TableInputs(RunResults(tmp_path), lambda r: (False, "scored by the server"),
                         runnable=lambda r: (True, ""), submission=lambda r: server_submission(r, config))
    row = Row("XMem", "", (Cell("D17td", "J&F", (run,)), Cell("D17td", "FPS", (run,), kind="fps")))
    values = measured_row(row, inputs)
    assert values["D17td J&F"] == f"submitted: {tmp_path}/{run.path}/submission.zip -> {SERVERS['D17td'].name}"
    assert values["D17td FPS"] == pytest.approx(25.0)
    write_table(pd.DataFrame([values, {"D17td J&F": 81.04, "D17td FPS": math.nan}]), tmp_path / "t.csv")
    text = (tmp_path / "t.csv").read_text()
    assert "submitted: " in text and ",81.0," in text and "25.0" in text
