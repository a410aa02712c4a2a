"""Tests for the claims checker (xmem.reporting.claims) and the report (xmem.reporting.report)."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from PIL import Image

from xmem.reporting.claim_model import NOT_MEASURABLE, NOT_SUPPORTED, SUPPORTED
from xmem.reporting.claims import check_claims
from xmem.reporting.paper import TABLE_NAMES
from xmem.experiments.plan import build_tables
from xmem.reporting.report import (
    benchmark_times,
    display_table,
    machine_info,
    scale_line,
    wall_time_line,
    write_report,
)
from xmem.reporting.vocabulary import ABBREVIATIONS, TABLE_CAPTIONS
from xmem.reporting.wall_time import wall_time, write_start_marker
from xmem.reporting.run_results import RunResults
from xmem.reporting.tables import TableInputs, build_table, write_table

REPO = Path(__file__).resolve().parents[2]
MEASURED = "measured (synthetic)"


def row(source: str, method: str, setting: str = "", **cells: float) -> dict:
    return {"source": source, "method": method, "setting": setting, **cells}


def table(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame(list(rows))


def crafted_tables() -> dict[str, pd.DataFrame]:
    """Measured rows that support claims 1, 3, 4, 8, contradict 2, 5, 7, 9, 11; 6 has no numbers."""
    lv = lambda a, b, d: {"LV1 J&F": a, "LV3 J&F": b, "LV1->LV3 J&F_delta": d}  # noqa: E731
    return {
        "table1_long_time_video": table(
            row("paper", "STCN"), row(MEASURED, "STCN", **lv(60.0, 55.0, -5.0)),
            row("paper", "XMem"), row(MEASURED, "XMem", **lv(70.0, 50.0, -20.0)),
            row(MEASURED, "First-frame copy", **lv(30.0, 28.0, -2.0)),
        ),
        "table2_short_video": table(row(MEASURED, "STCN", **{"D17 J&F": 60.0, "Y18 G": 50.0}),
                                    row(MEASURED, "XMem", **{"D17 J&F": 60.0, "Y18 G": 51.0}),
                                    row(MEASURED, "First-frame copy", **{"D17 J&F": 45.0})),
        "table4_memory_stores": table(
            row(MEASURED, "XMem", "All memory stores", **{"Y18 G": 50.0, "D17 J&F": 60.0, "LV1 J&F": 70.0}),
            row(MEASURED, "XMem", "No sensory memory", **{"Y18 G": 49.0, "D17 J&F": 61.0, "LV1 J&F": 69.0})),
        "table5_scaling_terms": table(row("paper", "XMem", "With both terms", **{"D17 J&F": 86.2}),
                                      row(MEASURED, "XMem", "With both terms", **{"D17 J&F": np.nan})),
        "table6_consolidation": table(
            row(MEASURED, "XMem", "Random P = 64", **{"LV3 J&F": 50.0}),
            row(MEASURED, "XMem", "K-means centroid P = 64", **{"LV3 J&F": 49.0}),
            row(MEASURED, "XMem", "Usage-based P = 64", **{"LV3 J&F": 50.0}),
            row(MEASURED, "XMem", "Random P = 128", **{"LV3 J&F": 52.0}),
            row(MEASURED, "XMem", "K-means centroid P = 128", **{"LV3 J&F": 40.0}),
            row(MEASURED, "XMem", "Usage-based P = 128", **{"LV3 J&F": 51.0}),
            row(MEASURED, "XMem", "No potentiation", **{"LV3 J&F": 48.0}),
            row(MEASURED, "XMem", "With potentiation", **{"LV3 J&F": 51.0}),
            row("paper", "XMem", "With potentiation", **{"LV3 J&F": 10.0})),
        "table7_long_video_strategies": table(
            row(MEASURED, "XMem", "Consolidation", **{"LV1 J&F": 70.0, "LV3 J&F": 50.0}),
            row(MEASURED, "XMem", "Eager compression", **{"LV1 J&F": 65.0, "LV3 J&F": 51.0}),
            row(MEASURED, "XMem", "Sparse insertion", **{"LV1 J&F": np.nan, "LV3 J&F": np.nan}),
            row(MEASURED, "XMem", "Local window", **{"LV1 J&F": 60.0, "LV3 J&F": 40.0})),
        "tableS1_ltmax": table(*[row(MEASURED, "XMem", f"LTmax={n}", **{"LV3 FPS": fps})
                                 for n, fps in ((500, 20.0), (1000, np.nan), (10000, 21.0), (30000, np.nan))]),
    }


def test_claims_verdicts_on_crafted_tables() -> None:
    results = check_claims(crafted_tables(), {"xmem": 100.0, "stcn": 1000.0})
    verdicts = {r.number: r.verdict for r in results}
    assert verdicts == {
        1: NOT_SUPPORTED,  # LV3: XMem 50 < STCN 55
        2: NOT_SUPPORTED,  # delta -20 vs -5
        3: SUPPORTED,  # D17 60 >= 60, Y18 51 >= 50
        4: SUPPORTED,  # 70 vs 30, 50 vs 28, 60 vs 45 (margin 10)
        5: NOT_SUPPORTED,  # D17 60 < 61 without sensory memory
        6: NOT_MEASURABLE,  # only a NaN measured cell (and a paper row, which must be ignored)
        7: NOT_SUPPORTED,  # P = 128: usage 51 < random 52
        8: SUPPORTED,  # 51 > 48 (the paper row's 10.0 is ignored)
        9: NOT_SUPPORTED,  # LV3: consolidation 50 < eager 51; sparse insertion missing
        10: SUPPORTED,  # 100 <= 0.5 * 1000 and STCN grows
        11: NOT_SUPPORTED,  # LTmax 500: 20 FPS, not faster than 10000: 21 FPS
    }
    evidence = {r.number: r.evidence for r in results}
    assert "XMem LV3 J&F 50.0 > STCN LV3 J&F 55.0: no" in evidence[1]
    assert "XMem D17 J&F 60.0 >= First-frame copy D17 J&F 45.0 + 10: yes" in evidence[4]
    assert "XMem Consolidation LV1 J&F 70.0 vs XMem Sparse insertion LV1 J&F n/a (missing)" in evidence[9]
    assert evidence[11] == "LTmax=500 LV3 FPS 20.0 > LTmax=10000 LV3 FPS 21.0: no"


def test_selection_claim_compares_only_the_ps_run_for_both_selections() -> None:
    """The P grid runs usage-based selection only (prototype_grid_selections), and the paper's rows
    have no measured cells: neither may appear as a missing comparison."""
    tables = crafted_tables()
    tables["table6_consolidation"] = pd.concat([tables["table6_consolidation"], table(
        row(MEASURED, "XMem", "Usage-based P = 7", **{"LV3 J&F": 45.0}),
        row("paper", "XMem", "Usage-based P = 256", **{"LV3 J&F": 90.1}),
        row("paper", "XMem", "Random P = 256", **{"LV3 J&F": 89.8}))], ignore_index=True)
    evidence = {r.number: r.evidence for r in check_claims(tables, None)}[7]
    assert "P = 7" not in evidence and "P = 256" not in evidence and "missing" not in evidence
    assert "XMem Usage-based P = 128 LV3 J&F 51.0 >= XMem Random P = 128 LV3 J&F 52.0: no" in evidence


def test_claims_supported_when_the_numbers_agree_with_the_paper() -> None:
    tables = crafted_tables()
    t1 = tables["table1_long_time_video"]
    t1.loc[t1["method"] == "XMem", ["LV3 J&F", "LV1->LV3 J&F_delta"]] = [58.0, -2.0]
    t4 = tables["table4_memory_stores"]
    t4.loc[t4["setting"] == "No sensory memory", "D17 J&F"] = 59.0
    s1 = tables["tableS1_ltmax"]
    s1.loc[s1["setting"] == "LTmax=500", "LV3 FPS"] = 30.0
    verdicts = {r.number: r.verdict for r in check_claims(tables, {"xmem": 600.0, "stcn": 1000.0})}
    assert verdicts[1] == verdicts[2] == verdicts[5] == verdicts[11] == SUPPORTED
    assert verdicts[10] == NOT_SUPPORTED  # 600 > 0.5 * 1000


def test_claims_without_numbers_are_not_measurable() -> None:
    results = check_claims({}, None)
    assert len(results) == 11
    assert all(r.verdict == NOT_MEASURABLE for r in results)
    assert check_claims({}, {"xmem": 5.0, "stcn": None})[9].verdict == NOT_MEASURABLE


def test_display_table_folds_std_and_blanks_missing_cells() -> None:
    frame = pd.DataFrame({"source": ["paper"], "method": ["XMem"], "setting": [np.nan], "LV1 J&F": [89.8],
                          "LV1 J&F std": [0.2], "D17 J&F": [np.nan]})
    shown = display_table(frame)
    assert list(shown.columns) == ["source", "method", "setting", "LV1 J&F", "D17 J&F"]
    assert shown.iloc[0].tolist() == ["paper", "XMem", "", "89.8 ± 0.2", ""]


def test_benchmark_times_sum_per_rule_group(tmp_path: Path) -> None:
    bench = tmp_path / "benchmarks"
    (bench / "infer").mkdir(parents=True)
    (bench / "figures").mkdir()
    header = "s\th:m:s\tmax_rss\n"
    (bench / "synth.tsv").write_text(header + "30.5\t0:00:30\t100\n")
    (bench / "train_xmem.tsv").write_text(header + "100.0\t0:01:40\t100\n300.0\t0:05:00\t100\n")  # 2 repeats
    (bench / "train_stcn.tsv").write_text(header + "50.0\t0:00:50\t100\n")
    (bench / "infer" / "a.tsv").write_text(header + "10.0\t0:00:10\t1\n")
    (bench / "infer" / "b.tsv").write_text(header + "15.0\t0:00:15\t1\n")
    (bench / "figures" / "f.tsv").write_text("other\n1\n")  # no 's' column: skipped
    times = benchmark_times(tmp_path)
    assert times["group"].tolist() == ["synth", "train_stcn", "train_xmem", "infer", "total"]
    assert times["jobs"].tolist() == [1, 1, 1, 2, 5]
    assert times["seconds"].tolist() == pytest.approx([30.5, 50.0, 200.0, 25.0, 305.5])


def test_machine_info_names_the_essentials() -> None:
    import torch

    info = machine_info({"device": "cpu"})
    assert set(info) == {"CPU", "cores", "RAM", "OS", "Python", "torch", "device"}
    assert info["torch"] == torch.__version__ and info["device"] == "cpu"
    assert info["RAM"].endswith("GiB") and info["cores"].startswith(str(__import__("os").cpu_count()))


def test_report_lists_every_table_and_embeds_every_figure(tmp_path: Path) -> None:
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    config["results"] = str(tmp_path / "results")
    config["data"] = str(tmp_path / "data")
    # every table as the workflow writes it when no run could be scored: paper rows + empty measured rows
    results = TableInputs(RunResults(tmp_path / "results"), lambda run: (False, "dataset absent in this test"))
    specs = build_tables(config)
    csvs = []
    for name in TABLE_NAMES:
        path = tmp_path / "results" / "tables" / f"{name}.csv"
        write_table(build_table(specs[name], results, config), path)
        csvs.append(path)
    pngs = []
    for i, name in enumerate(("fig4_similarity", "fig7_length_scaling", "figS7_fps_scaling")):
        path = tmp_path / "results" / "figures" / f"{name}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.full((8, 8, 3), 40 * i, np.uint8)).save(path)
        pngs.append(path)
    bench = tmp_path / "results" / "benchmarks"
    bench.mkdir(parents=True)
    (bench / "synth.tsv").write_text("s\th:m:s\n3723.0\t1:02:03\n")
    out_md, out_html = tmp_path / "results" / "report.md", tmp_path / "results" / "report.html"
    write_report(config, csvs, pngs, out_md, out_html)
    md, page = out_md.read_text(), out_html.read_text()
    for name in TABLE_NAMES:
        assert f"### {name}" in md and f">{name}</h3>" in page
    assert len(re.findall(r"src='data:image/png;base64,", page)) == len(pngs)
    assert md.count("](figures/") == len(pngs)  # Markdown links the PNGs relative to the report
    assert "XMem reproduction report — synthetic profile" in md
    assert "| synth | 1 | 3723.0 | 1:02:03 |" in md
    assert "### Memory regime of the long videos" in md
    assert "<h3 id='memory-regime'>Memory regime of the long videos</h3>" in page
    assert md.count(f"**{NOT_MEASURABLE}**") == 11  # nothing measured: no claim can be judged
    assert page.count("<tr class=\"measured\">") == sum(
        (pd.read_csv(p)["source"].str.startswith("measured")).sum() for p in csvs)
    assert page.count("<tr class=\"paper\">") == sum((pd.read_csv(p)["source"] == "paper").sum() for p in csvs)
    assert not [p for p in out_md.parent.iterdir() if p.name.startswith(".")]  # no temporary files left
    check_structure(md, page, tables={n: pd.read_csv(p) for n, p in zip(TABLE_NAMES, csvs)})


def check_structure(md: str, page: str, tables: dict[str, pd.DataFrame]) -> None:
    """Contents with working anchors, a caption per table, abbreviations once, the wall time first."""
    links = re.findall(r"^\s*- \[[^\]]+\]\(#([a-z0-9-]+)\)$", md.split("## Contents")[1].split("<a id=")[0], re.M)
    assert len(links) == len(set(links)) >= 8 + len(TABLE_NAMES) + 3
    for anchor in links:
        assert md.count(f'<a id="{anchor}"></a>') == 1 and page.count(f"id='{anchor}'") == 1, anchor
        assert f"href='#{anchor}'" in page
    for name in TABLE_NAMES:
        section = md.split(f"### {name}\n")[1]
        assert section.lstrip().startswith(f"*{TABLE_CAPTIONS[name]}"), name
        assert f"<caption>{html.escape(TABLE_CAPTIONS[name], quote=False)}" in page
        if "hardware" in tables[name].columns:
            assert "NVIDIA V100" in section.split("\n\n")[0]  # the caption names both hardwares
    for code, _ in ABBREVIATIONS:
        assert md.count(f"- **{code}**:") == 1, code
    assert md.index("**Wall time:**") < md.index("## Machine") < md.index("## Time per rule group")
    assert "**Scale:**" in md


def test_scale_line_compares_a_measured_score_with_the_paper() -> None:
    tables = {"table2_short_video": table(row("paper", "XMem", **{"D17 J&F": 86.2}),
                                          row(MEASURED, "XMem", **{"D17 J&F": 36.7}))}
    assert scale_line(tables) == ("**Scale:** measured XMem D17 J&F 36.7 vs paper 86.2 (-49.5 points): a "
                                  "small-scale analogue of the paper's experiments: compare the direction of effects "
                                  "between rows, not the values with the paper's.")
    tables["table2_short_video"].loc[1, "D17 J&F"] = 84.0
    assert "(-2.2 points): within 5 points of the paper" in scale_line(tables)
    tables["table2_short_video"].loc[1, "D17 J&F"] = np.nan  # falls back to the next cell, then gives up
    assert scale_line(tables).startswith("**Scale:** no XMem score was measured")
    tables["table1_long_time_video"] = table(row("paper", "XMem", **{"LV1 J&F": 89.8}),
                                             row(MEASURED, "XMem", **{"LV1 J&F": 50.0}))
    assert "measured XMem LV1 J&F 50.0 vs paper 89.8" in scale_line(tables)


def test_wall_time_from_the_start_marker_and_the_benchmark_files(tmp_path: Path) -> None:
    import os

    now = 1_000_000.0
    write_start_marker(tmp_path, now=now - 600)
    bench = tmp_path / "benchmarks"
    (bench / "runs").mkdir(parents=True)
    for name, seconds, end in (("synth.tsv", 100.0, now - 800), ("runs/a.tsv", 300.0, now - 60),
                               ("runs/b.tsv", 250.0, now - 30)):
        path = bench / name
        path.write_text(f"s\th:m:s\n{seconds}\t0\n")
        os.utime(path, (end, end))
    clock = wall_time(tmp_path, now=now)
    assert clock.invocation_seconds == pytest.approx(600.0)
    assert clock.span_seconds == pytest.approx(900.0)  # the synth job started before this invocation
    assert clock.job_seconds == pytest.approx(650.0) and clock.jobs == 3
    line = wall_time_line(clock)
    assert line.startswith("**Wall time:** 0:10:00 (h:mm:ss) for the workflow invocation")
    assert "the 3 jobs whose outputs are shown ran within 0:15:00" in line and "sum to 0:10:50" in line
    (tmp_path / "logs" / "workflow_start.json").unlink()
    assert wall_time_line(wall_time(tmp_path, now=now)).startswith("**Wall time:** unknown for this invocation")


def test_report_regime_section_is_computed_from_the_profile_and_its_data(tmp_path: Path) -> None:
    from xmem.reporting.document import to_html, to_markdown
    from xmem.reporting.regime_section import regime_section

    def render(config):
        section = regime_section(config)
        return to_markdown("t", "b", [section], tmp_path), to_html("t", "b", [section])

    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    config["data"] = str(tmp_path / "data")
    md, _ = render(config)  # no generated data: from the configuration
    assert "from the configuration (default.yaml; no generated data" in md
    assert "| consolidations per 1x video | 27 | 45 | 0.60× |" in md
    assert "| P (prototypes per consolidation) | 14 elements | 128 elements | 0.11× |" in md
    manifest = {"videos": {"long_video": [{"frames": 2000}], "DAVIS": [{"split": "val", "frames": 40},
                                                                       {"split": "train", "frames": 99}]},
                "datasets": {"long_video": {"longest_absence": 300}}}
    root = tmp_path / "data" / "synthetic"
    root.mkdir(parents=True)
    (root / "manifest.json").write_text(json.dumps(manifest))
    md, page = render(config)
    assert "from the generated data" in md
    assert "| frames per long video (1x) | 2,000 frames | 2,333 frames | 0.86× |" in md
    assert "| consolidations per 1x video | 39 | 45 | 0.87× |" in md  # 200 memory frames: 1 + (200 - 10) // 5
    assert "| long video / short video length | 50x |" in md  # val videos only
    assert "<td>consolidations per 1x video</td><td>39</td>" in page
    paper = yaml.safe_load((REPO / "config" / "paper.yaml").read_text())
    md, _ = render(paper)
    assert "the paper's description of Long-time Video" in md
    assert "| consolidations per 1x video | 45 | 45 | 1× |" in md
