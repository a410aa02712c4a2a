"""Issue 15 items 6-8: how each number was made (``protocol`` column), retrained vs original
STCN, the std estimator, Table 4's n/a cell — on the plan of the real profiles, no runs needed."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from xmem.experiments import plan as P
from xmem.experiments.paths import Run
from xmem.experiments.profile import RELEASED_STCN, weights_path
from xmem.reporting.protocol import PAPER_MEASURED, PAPER_ONLY
from xmem.reporting.run_results import STD_ESTIMATOR, RunResults, mean_std
from xmem.reporting.tables import TableInputs, build_table

REPO = Path(__file__).resolve().parents[2]


def profile(name: str, **changes) -> dict:
    """A profile's config with no run outputs: its ``results`` points nowhere, so that the tables
    do not read the hardware notes of a workflow run in the working directory."""
    config = yaml.safe_load((REPO / "config" / name).read_text())
    config.update(changes)
    config["results"] = "/nonexistent/results"
    return config


def table(name: str, config: dict):
    absent = TableInputs(RunResults(Path("/nonexistent")), lambda run: (False, "absent in this test"), lambda c: 112)
    return build_table(P.build_tables(config)[name], absent, config)


@pytest.mark.parametrize("name", P.TABLE_NAMES)
def test_every_row_has_a_protocol_and_paper_only_rows_say_so(name) -> None:
    config = profile("config.yaml")
    t = table(name, config)
    assert list(t.columns[-2:]) == ["protocol", "note"]
    measured = t[t.source != "paper"]
    assert len(measured) == len(P.build_tables(config)[name].rows)
    assert measured["protocol"].str.len().min() > 20
    paper = t[t.source == "paper"]
    assert set(paper["protocol"]) <= {PAPER_ONLY, PAPER_MEASURED}
    followed = [i for i in range(len(t) - 1) if t.source.iloc[i] == "paper" and t.source.iloc[i + 1] != "paper"]
    assert all(t["protocol"].iloc[i] == PAPER_MEASURED for i in followed)


def test_protocol_names_offsets_size_r_memory_changes_recipe_and_derivation() -> None:
    config = profile("config.yaml")
    t6 = table("table6_consolidation", config)
    # the default profile's P (paper 128 x E/1620 at stride 8) and its budget: Table 6 at offset 0 only
    random4 = t6[(t6.source != "paper") & (t6.setting == "Random P = 14")]["protocol"].iloc[0]
    assert "recipe default_xmem.yaml" in random4 and "r = 10, 1 offset (o = 0)" in random4
    assert "native size" in random4 and "num_prototypes=14" in random4 and "prototype_selection=random" in random4
    assert "compression_ratio_pct: derived, not measured" in random4
    t1 = table("table1_long_time_video", config)
    xmem = t1[(t1.source != "paper") & (t1.method == "XMem")]["protocol"].iloc[0]
    assert "LV1, LV3: r = 10, 3 offsets (o = 0, 3, 6)" in xmem and "max_long_term_elements=1111" in xmem
    t3 = table("table3_davis17_testdev", profile("paper.yaml"))
    rows = t3[t3.source != "paper"]["protocol"].tolist()
    assert "recipe paper_xmem_bl30k.yaml; D17td: r = 5, 1 offset (o = 0), shorter side 600 px" in rows
    t2 = table("table2_short_video", config)
    fps = t2[(t2.source != "paper") & (t2.method == "XMem")]["protocol"].iloc[0]
    assert "D17 FPS" in fps and "timed on device cpu" in fps
    s10 = table("tableS10_S11_multiscale", profile("paper.yaml"))
    ms = s10[(s10.source != "paper") & (s10.setting == "multi-scale")]["protocol"].iloc[0]
    assert "ms_s720_r3, ms_s720_r3_flip, ms_s720_r5, ms_s720_r5_flip, P = 512" in ms


def test_table4_no_long_term_lv1_cell_carries_the_paper_na_reason() -> None:
    t4 = table("table4_memory_stores", profile("config.yaml"))
    cell = t4[(t4.source != "paper") & (t4.setting == "No long-term memory")]["LV1 J&F"].iloc[0]
    assert cell.startswith("n/a (paper §4.3") and "cannot handle long videos" in cell


def test_retrained_and_original_stcn_are_labelled_and_released_weights_get_their_own_row(tmp_path) -> None:
    weights = tmp_path / "stcn.pth"
    weights.write_bytes(b"x")
    config = profile("paper.yaml", stcn_weights=str(weights))
    for name, paper_row in P.RELEASED_STCN_ROWS.items():
        t = table(name, config)
        paper = t[(t.source == "paper") & (t.method == "STCN")]
        assert paper["note"].str.contains("original STCN").all(), name
        measured = t[(t.source != "paper") & (t.method == "STCN")]
        assert list(measured["setting"].fillna("")) == ["", "released stcn.pth"], name
        assert "retrained" in measured["note"].iloc[0] and "released stcn.pth" in measured["note"].iloc[1]
        assert f"released weights {weights}" in measured["protocol"].iloc[1]
        # the released row sits right after the paper's original STCN row
        position = t.index[(t.source == "paper") & (t.method == "STCN")][0]
        assert t.loc[position + 1:position + 2, "setting"].fillna("").tolist() == ["", "released stcn.pth"]
    runs = P.all_runs(config)
    assert Run(RELEASED_STCN, "LV1", P.STCN_LONG, 4) in runs and Run(RELEASED_STCN, "D17td") in runs
    assert weights_path(RELEASED_STCN, config) == str(weights)
    assert not any(r.model == RELEASED_STCN for r in P.all_runs(profile("paper.yaml")))  # only when given


def test_the_std_estimator_is_named_and_is_the_one_used() -> None:
    assert mean_std([1.0, 2.0, 3.0]) == (2.0, 1.0)  # n - 1: sqrt(2 / 2); n would give 0.816
    assert "n - 1" in STD_ESTIMATOR
    t1 = table("table1_long_time_video", profile("config.yaml"))
    assert t1[t1.source != "paper"]["note"].str.contains(f"± = {STD_ESTIMATOR}", regex=False).all()
    t2 = table("table2_short_video", profile("config.yaml"))  # one offset per cell: no ± to explain
    assert not t2["note"].fillna("").str.contains("standard deviation").any()
