"""The smoke profile end to end: every table, figure and the report; reruns are incremental."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from workflow_helpers import REPO, snakemake, workflow_config
from xmem.reporting.paper import column_label, paper_table
from xmem.experiments.paths import group_marker
from xmem.experiments.plan import FIGURE_NAMES, build_tables
from xmem.reporting.long_table import COLUMNS as LONG_COLUMNS
from xmem.reporting.vocabulary import STORE_MEMORY_METRIC

pytestmark = pytest.mark.slow


def run_smoke(workdir: Path) -> Path:
    result = snakemake(workdir, "report", "--cores", "2", "--configfile", str(REPO / "config/smoke.yaml"),
                       timeout=1200)
    if result.returncode != 0:
        logs = sorted((workdir / "results/smoke/logs").rglob("*.log"))
        tail = "\n".join(f"== {p}\n{p.read_text()[-1500:]}" for p in logs[-3:])
        pytest.fail(f"smoke workflow failed:\n{result.stderr[-4000:]}\n{tail}")
    return workdir / "results" / "smoke"


def test_smoke_profile_end_to_end(tmp_path):
    """One smoke run (a few minutes) checked from every side; a single test so that parallel
    test workers do not run the workflow twice."""
    smoke_run = run_smoke(tmp_path)
    check_tables(smoke_run)
    check_scores(smoke_run)
    check_figures_and_report(smoke_run)
    check_rerun_of_one_table(smoke_run)


def check_tables(smoke_run: Path) -> None:
    config = workflow_config(REPO / "config/smoke.yaml")  # as the workflow merges it over config/config.yaml
    for name, spec in build_tables(config).items():
        table = pd.read_csv(smoke_run / "tables" / f"{name}.csv")
        paper = paper_table(name)
        assert list(table.columns[:3]) == ["source", "method", "setting"] and table.columns[-1] == "note"
        for column in paper.columns:
            assert column in table.columns, f"{name}: column {column} missing"
        paper_rows = table[table["source"] == "paper"]
        assert len(paper_rows) == len(paper), name
        measured = table[table["source"] == "measured (smoke)"]
        assert len(measured) == len(spec.rows), name
        # every cell a measured row is meant to fill is a number, or the note says why it is empty
        for (_, row), spec_row in zip(measured.iterrows(), spec.rows):
            assert (row["method"], str(row["setting"]) if isinstance(row["setting"], str) else "") == (
                spec_row.method, spec_row.setting)
            for cell in spec_row.cells:
                metric = STORE_MEMORY_METRIC if cell.kind == "memory_mb" else cell.metric  # CPU profile
                value = row[column_label(cell.dataset, metric)]
                if pd.isna(value):
                    assert isinstance(row["note"], str) and row["note"], f"{name}: empty cell without a reason"


def check_scores(smoke_run: Path) -> None:
    table = pd.read_csv(smoke_run / "tables" / "table2_short_video.csv")
    measured = table[table["source"] == "measured (smoke)"]
    values = measured[["D17 J&F", "D16 J&F", "Y18 G"]].to_numpy()
    assert ((values >= 0) & (values <= 100)).all()
    copy = measured[measured["method"] == "First-frame copy"]
    assert len(copy) == 1


def check_figures_and_report(smoke_run: Path) -> None:
    for name in FIGURE_NAMES:
        png = smoke_run / "figures" / f"{name}.png"
        assert png.stat().st_size > 10_000, name
    html = (smoke_run / "report.html").read_text()
    assert len(re.findall(r"data:image/png;base64,", html)) == len(FIGURE_NAMES) == 8
    assert "smoke" in html and "table7_long_video_strategies" in html
    md = (smoke_run / "report.md").read_text()
    assert "tableS10_S11_multiscale" in md
    assert md.index("## Contents") < md.index("**Wall time:**") < md.index("## Machine")
    assert re.search(r"\*\*Wall time:\*\* \d+:\d\d:\d\d \(h:mm:ss\) for the workflow invocation", md)
    assert "](tables/results_long.csv)" in md
    long = pd.read_csv(smoke_run / "tables" / "results_long.csv")
    assert tuple(long.columns) == LONG_COLUMNS
    assert long["setting"].map(type).eq(str).all() and long["note"].map(type).eq(str).all()
    measured = long[long["source"] == "measured"]
    assert (measured["profile"] == "smoke").all() and measured["value"].notna().any()
    xmem_d17 = measured[(measured["table"] == "table2_short_video") & (measured["method"] == "XMem")
                        & (measured["dataset"] == "D17") & (measured["metric"] == "J&F")]["value"].iloc[0]
    wide = pd.read_csv(smoke_run / "tables" / "table2_short_video.csv")
    shown = wide[(wide["source"] == "measured (smoke)") & (wide["method"] == "XMem")]["D17 J&F"].iloc[0]
    assert abs(xmem_d17 - shown) <= 0.05 + 1e-9  # the same number, unrounded
    s1 = pd.read_csv(smoke_run / "tables" / "tableS1_ltmax.csv")
    assert s1.columns[3] == "hardware" and f"LV3 {STORE_MEMORY_METRIC}" in s1.columns
    assert (smoke_run / "tables" / "README.md").is_file()


def check_rerun_of_one_table(smoke_run: Path) -> None:
    workdir = smoke_run.parents[1]
    (smoke_run / "tables" / "table5_scaling_terms.csv").unlink()
    result = snakemake(workdir, "table5", "-n", "--configfile", str(REPO / "config/smoke.yaml"))
    assert result.returncode == 0, result.stderr[-2000:]
    assert re.search(r"^make_table\s+1$", result.stdout, re.M)
    # the table job and its named target rule, nothing upstream
    assert re.search(r"^total\s+2$", result.stdout, re.M), result.stdout[-3000:]


def test_fake_cluster_runs_jobs_through_the_submit_script(tmp_path):
    profile = tmp_path / "profile"
    shutil.copytree(REPO / "profiles/fake-cluster", profile)
    cfg = (profile / "config.v8+.yaml").read_text().replace("profiles/fake-cluster/", f"{profile}/")
    (profile / "config.v8+.yaml").write_text(cfg)
    target = group_marker("results/smoke", ("copy", "D17", "default"))
    result = snakemake(tmp_path, target, "fig4", "--profile", str(profile),
                       "--configfile", str(REPO / "config/smoke.yaml"), timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    scores = pd.read_csv(tmp_path / "results/smoke/runs/copy/D17/default/o0/scores/global_results.csv")
    assert 0 <= scores["J&F-Mean"].iloc[0] <= 1
    assert (tmp_path / "results/smoke/figures/fig4_similarity.png").exists()
    assert "fake" in result.stderr  # job ids printed by the submit script
