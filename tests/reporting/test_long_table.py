"""Tests for the long-format results table (xmem.reporting.long_table), the hardware column and
the memory column names of the wide tables (xmem.reporting.tables)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from xmem.experiments.plan import build_tables
from xmem.reporting.long_table import (
    COLUMNS,
    EMPTY_TEXT,
    SettingFields,
    long_table,
    read_long_table,
    setting_fields,
    write_long_table,
)
from xmem.reporting.paper import load_paper_results
from xmem.reporting.run_results import RunResults
from xmem.reporting.tables import TableInputs, build_table
from xmem.reporting.vocabulary import PAPER_HARDWARE, metric_unit

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def config() -> dict:
    return yaml.safe_load((REPO / "config" / "config.yaml").read_text())


def nothing_measured(tmp_path: Path, on_gpu: bool = False) -> TableInputs:
    return TableInputs(RunResults(tmp_path), lambda run: (False, "dataset absent in this test"), on_gpu=on_gpu)


def test_setting_fields_are_typed() -> None:
    assert setting_fields("table6_consolidation", "Usage-based P = 128") == SettingFields(P=128, selection="usage")
    assert setting_fields("table6_consolidation", "K-means centroid P = 64") == SettingFields(P=64, selection="kmeans")
    assert setting_fields("table6_consolidation", "No potentiation") == SettingFields()
    assert setting_fields("tableS1_ltmax", "LTmax=10000") == SettingFields(LT_max=10000)
    assert setting_fields("tableS5_S9_training_data", "DAVIS only") == SettingFields(training_data="DAVIS only")
    assert setting_fields("tableS10_S11_multiscale", "multi-scale").multi_scale is True
    assert setting_fields("tableS10_S11_multiscale", "single-scale (600p)").multi_scale is False
    assert setting_fields("table2_short_video", "") == SettingFields()


def test_units() -> None:
    assert [metric_unit(m) for m in ("J&F", "G", "J_u", "J&F_delta", "FPS", "max_gpu_memory_MB",
                                     "max_memory_store_MB", "compression_ratio_pct")] == [
        "%", "%", "%", "percent points", "frames/s", "MiB", "MiB", "%"]


def test_long_table_holds_every_paper_and_measured_cell(config: dict, tmp_path: Path) -> None:
    table = long_table(config, nothing_measured(tmp_path))
    assert tuple(table.columns) == COLUMNS
    paper = table[table["source"] == "paper"]
    measured = table[table["source"] == "measured"]
    assert len(paper) == len(load_paper_results())
    cells = sum(len(row.cells) for spec in build_tables(config).values() for row in spec.rows)
    assert len(measured) == cells and (measured["profile"] == config["profile"]).all()
    assert measured["value"].isna().all() and (measured["n_offsets"] == 0).all()
    # the paper's XMem on Table 1 LV1: 89.8 ± 0.2 over 5 offsets, percent
    hit = paper[(paper["table"] == "table1_long_time_video") & (paper["method"] == "XMem")
                & (paper["dataset"] == "LV1") & (paper["metric"] == "J&F")].iloc[0]
    assert (hit["value"], hit["std"], hit["n_offsets"], hit["unit"], hit["paper_row"]) == (89.8, 0.2, 5, "%", 10)
    # a measured row without a paper counterpart has no paper row
    copy = measured[measured["method"] == "First-frame copy"]
    assert len(copy) and copy["paper_row"].isna().all()
    # CPU profile: the memory a CPU run measures is named for what it is
    s1 = measured[measured["table"] == "tableS1_ltmax"]
    assert set(s1["metric"]) == {"J&F", "max_memory_store_MB", "FPS"}
    assert set(s1.loc[s1["metric"] == "FPS", "hardware"]) == {
        "CPU, 1 torch thread per inference job (see Machine), inference.amp auto (each run's precision: protocol column)"}
    assert set(paper.loc[paper["metric"] == "FPS", "hardware"]) == {PAPER_HARDWARE}


def test_long_csv_reads_back_with_string_text_columns(config: dict, tmp_path: Path) -> None:
    table = long_table(config, nothing_measured(tmp_path))
    csv, readme = tmp_path / "results_long.csv", tmp_path / "README.md"
    write_long_table(table, csv, readme)
    plain = pd.read_csv(csv)
    for column in ("setting", "note", "hardware", "unit", "method"):
        assert plain[column].map(lambda v: isinstance(v, str)).all(), column
    assert (plain["setting"] == EMPTY_TEXT).any() and (plain["note"] == EMPTY_TEXT).any()
    typed = read_long_table(csv)
    assert str(typed["P"].dtype) == "Int64" and str(typed["multi_scale"].dtype) == "boolean"
    # paper rows at the paper's P, measured rows at XMem's (paper x E/1620 at stride 8: 7, 14, 28)
    assert set(typed["P"].dropna().astype(int)) == {64, 128, 256, 7, 14, 28}
    text = readme.read_text()
    assert all(f"| `{c}` |" in text for c in COLUMNS)
    assert "**fractions** (0-1)" in text and "**percent** (0-100)" in text


def test_hardware_column_and_memory_column_names(config: dict, tmp_path: Path) -> None:
    specs = build_tables(config)
    s1 = build_table(specs["tableS1_ltmax"], nothing_measured(tmp_path), config)
    assert list(s1.columns[:4]) == ["source", "method", "setting", "hardware"]
    assert set(s1.loc[s1["source"] == "paper", "hardware"]) == {PAPER_HARDWARE}
    assert "LV3 max_memory_store_MB" in s1.columns and "LV3 max_gpu_memory_MB" in s1.columns
    assert s1.loc[s1["source"] == "paper", "LV3 max_memory_store_MB"].isna().all()
    on_gpu = build_table(specs["tableS1_ltmax"], nothing_measured(tmp_path, on_gpu=True), config)
    assert "LV3 max_memory_store_MB" not in on_gpu.columns
    t5 = build_table(specs["table5_scaling_terms"], nothing_measured(tmp_path), config)
    assert "hardware" not in t5.columns  # scores only: nothing depends on the hardware
