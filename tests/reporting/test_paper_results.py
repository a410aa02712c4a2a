"""Tests for report/paper_results.csv (the XMem paper's published numbers) and its loader."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from xmem.errors import XMemError
from xmem.reporting import (
    DATASETS,
    METRICS,
    TABLE_NAMES,
    default_results_path,
    load_paper_results,
    paper_table,
    paper_value,
)

REPO = Path(__file__).resolve().parents[2]
CSV_PATH = REPO / "report" / "paper_results.csv"

# Rows counted by hand in the paper (merged tables: union of the sub-tables' row labels).
ROW_COUNTS = {
    "table1_long_time_video": 11,
    "table2_short_video": 12,
    "table3_davis17_testdev": 11,
    "table4_memory_stores": 4,
    "table5_scaling_terms": 4,
    "table6_consolidation": 11,
    "table7_long_video_strategies": 4,
    "table8_deep_update": 3,
    "tableS1_ltmax": 7,
    "tableS2_stcn_retrained": 3,
    "tableS3_youtubevos19": 11,
    "tableS4_no_pretraining": 5,
    "tableS5_S9_training_data": 5,
    "tableS10_S11_multiscale": 5,
}
# Printed cells per table (rows x printed columns, "-" and "n/a" cells included).
CELL_COUNTS = {
    "table1_long_time_video": 11 * 7,
    "table2_short_video": 12 * 14,
    "table3_davis17_testdev": 11 * 3,
    "table4_memory_stores": 4 * 5,
    "table5_scaling_terms": 4 * 2,
    "table6_consolidation": 9 * 2 + 2,
    "table7_long_video_strategies": 4 * 3,
    "table8_deep_update": 3 * 3,
    "tableS1_ltmax": 7 * 3,
    "tableS2_stcn_retrained": 3 * 2,
    "tableS3_youtubevos19": 11 * 6,
    "tableS4_no_pretraining": 5 * 6,
    "tableS5_S9_training_data": 3 * 4 * 3 + 2 * 4 * 5,
    "tableS10_S11_multiscale": 5 * 9 + 4 * 10,
}
SUB_TABLE_ROWS = {"Table S5": 4, "Table S6": 4, "Table S7": 4, "Table S8": 4, "Table S9": 4,
                  "Table S10": 5, "Table S11": 4}
KNOWN_METHODS = {"XMem", "XMem*", "XMem-", "STCN", "STCN*", "STM", "AOT", "CFBI", "CFBI+", "RMNet",
                 "HMMN", "JOINT", "AFB-URR", "MiVOS*", "SST", "LWL"}

# (table, row, dataset, metric, value, std or None)
SPOT_CHECKS = [
    ("table1_long_time_video", 10, "LV1", "J&F", 89.8, 0.2),
    ("table1_long_time_video", 5, "LV3", "F", 76.3, 13.1),
    ("table1_long_time_video", 0, "LV1->LV3", "J&F_delta", 4.4, None),
    ("table2_short_video", 10, "Y18", "G", 85.7, None),
    ("table2_short_video", 0, "D17", "FPS", 11.1, None),
    ("table2_short_video", 11, "D16", "FPS", 29.6, None),
    ("table2_short_video", 9, "Y18", "F_u", 88.2, None),
    ("table3_davis17_testdev", 0, "D17td", "J&F", 72.2, None),
    ("table3_davis17_testdev", 10, "D17td", "F", 85.8, None),
    ("table4_memory_stores", 2, "LV1", "J&F", 38.7, None),
    ("table4_memory_stores", 3, "Y18", "FPS", 10.0, None),
    ("table4_memory_stores", 2, "D17", "FPS", 31.8, None),
    ("table5_scaling_terms", 2, "Y18", "G", 84.8, None),
    ("table5_scaling_terms", 3, "D17", "J&F", 85.1, None),
    ("table6_consolidation", 7, "LV3", "J&F", 74.5, 17.0),
    ("table6_consolidation", 4, "LV3", "J&F", 82.4, 10.3),
    ("table6_consolidation", 5, "LV3", "compression_ratio_pct", 6328.0, None),
    ("table6_consolidation", 9, "LV3", "J&F", 87.9, 0.2),
    ("table7_long_video_strategies", 1, "LV3", "J&F", 87.3, 1.3),
    ("table7_long_video_strategies", 3, "LV1->LV3", "J&F_delta", -0.7, None),
    ("table8_deep_update", 1, "D17", "FPS", 18.5, None),
    ("table8_deep_update", 2, "Y18", "G", 85.3, None),
    ("tableS1_ltmax", 0, "LV3", "max_gpu_memory_MB", 1168.0, None),
    ("tableS1_ltmax", 0, "LV3", "J&F", 87.2, 4.7),
    ("tableS1_ltmax", 6, "LV3", "FPS", 20.9, None),
    ("tableS2_stcn_retrained", 1, "Y18", "G", 84.0, None),
    ("tableS2_stcn_retrained", 1, "D17", "J&F", 84.2, None),
    ("tableS3_youtubevos19", 1, "Y19", "J_u", 76.7, None),
    ("tableS3_youtubevos19", 4, "Y18", "FPS", 4.0, None),
    ("tableS4_no_pretraining", 2, "D17", "FPS", 5.6, None),
    ("tableS4_no_pretraining", 0, "Y19", "G", 81.0, None),
    ("tableS5_S9_training_data", 0, "D17td", "J&F", 64.8, None),
    ("tableS5_S9_training_data", 1, "Y19", "F_u", 87.1, None),
    ("tableS10_S11_multiscale", 4, "D16", "F", 94.4, None),
    ("tableS10_S11_multiscale", 3, "Y19", "G", 86.4, None),
]


@pytest.fixture(scope="module")
def cells() -> pd.DataFrame:
    return load_paper_results()


def cell(cells: pd.DataFrame, table: str, row: int, dataset: str, metric: str) -> pd.Series:
    hit = cells[(cells.table == table) & (cells.row == row) & (cells.dataset == dataset)
                & (cells.metric == metric)]
    assert len(hit) == 1, (table, row, dataset, metric)
    return hit.iloc[0]


def test_default_path_is_repository_report_csv():
    assert default_results_path() == CSV_PATH


def test_every_table_present_in_paper_order(cells):
    assert list(dict.fromkeys(cells.table)) == list(TABLE_NAMES)
    assert set(ROW_COUNTS) == set(TABLE_NAMES)


@pytest.mark.parametrize("table", TABLE_NAMES)
def test_row_and_cell_counts(cells, table):
    rows = cells[cells.table == table]
    assert sorted(rows.row.unique()) == list(range(ROW_COUNTS[table]))
    assert len(rows) == CELL_COUNTS[table]
    assert list(rows.row) == sorted(rows.row), "lines must be in paper row order"


def test_merged_sub_table_row_counts(cells):
    merged = cells[cells.table.isin(["tableS5_S9_training_data", "tableS10_S11_multiscale"])]
    for sub, count in SUB_TABLE_ROWS.items():
        tagged = merged[merged.note.str.split("; ").apply(lambda parts, s=sub: s in parts)]
        assert tagged.row.nunique() == count, sub


@pytest.mark.parametrize("table,row,dataset,metric,value,std", SPOT_CHECKS)
def test_spot_values(cells, table, row, dataset, metric, value, std):
    got = cell(cells, table, row, dataset, metric)
    assert got.value == value
    if std is None:
        assert math.isnan(got["std"])
    else:
        assert got["std"] == std


def test_spot_checks_cover_every_table():
    per_table = pd.Series([c[0] for c in SPOT_CHECKS]).value_counts()
    assert set(per_table.index) == set(TABLE_NAMES)
    assert per_table.min() >= 2


def test_keys_unique_and_vocabulary_closed(cells):
    raw = pd.read_csv(CSV_PATH, dtype=str, keep_default_na=False)
    assert not raw.duplicated(subset=["table", "row", "dataset", "metric"]).any()
    assert set(cells.dataset) <= set(DATASETS)
    assert set(cells.metric) <= set(METRICS)
    assert set(cells.method) <= KNOWN_METHODS
    assert (cells.groupby(["table", "row"])[["method", "setting"]].nunique() == 1).all().all()


def test_empty_values_are_explained(cells):
    empty = cells[cells.value.isna()]
    assert empty.note.str.contains("not reported").sum() == 34  # T2 14, S3 6, S4 8, S10 6
    assert empty.note.str.split("; ").apply(lambda p: "n/a" in p).sum() == 1
    assert len(empty) == 35
    assert empty["std"].isna().all()
    assert cell(cells, "table4_memory_stores", 3, "LV1", "J&F").note == "n/a"


def test_markers(cells):
    table2 = cells[cells.table == "table2_short_video"]
    dagger = table2[table2.note.str.contains("†")]
    assert len(dagger) == 13 and set(dagger.metric) == {"FPS"}
    ddagger = cells[(cells.table == "table3_davis17_testdev") & cells.note.str.contains("‡")]
    assert sorted(ddagger.row.unique()) == [0, 3, 10]
    assert set(cells[cells.table == "table3_davis17_testdev"].query("row == 10").method) == {"XMem*"}


def test_j_and_f_is_mean_of_j_and_f(cells):
    wide = cells.pivot_table(index=["table", "row", "dataset"], columns="metric", values="value")
    both = wide.dropna(subset=["J&F", "J", "F"])
    error = (both["J&F"] - (both["J"] + both["F"]) / 2).abs()
    flagged = {("table3_davis17_testdev", 2, "D17td")}  # printed 76.1 vs 76.55, see README
    assert set(error[error > 0.05 + 1e-9].index) == flagged
    assert len(both) == 80  # T1 22, T2 22, T3 11, S5-S7 12, S10 13


def test_g_is_mean_of_seen_unseen(cells):
    wide = cells.pivot_table(index=["table", "row", "dataset"], columns="metric", values="value")
    full = wide.dropna(subset=["G", "J_s", "F_s", "J_u", "F_u"])
    parts = full[["J_s", "F_s", "J_u", "F_u"]].mean(axis=1)
    assert ((full["G"] - parts).abs() <= 0.05 + 1e-9).all()
    assert len(full) == 38  # T2 12, S3 10 (SST incomplete), S8-S9 8, S11 8


@pytest.mark.parametrize("table", ["table1_long_time_video", "table7_long_video_strategies"])
def test_delta_is_lv3_minus_lv1(cells, table):
    wide = paper_table(table)
    delta = wide["LV3 J&F"] - wide["LV1 J&F"]
    assert ((delta - wide["LV1->LV3 J&F_delta"]).abs() < 1e-6).all()


def _values(cells, table, row, dataset, metrics):
    return [cell(cells, table, row, dataset, m).value for m in metrics]


YT = ["G", "J_s", "F_s", "J_u", "F_u"]
DV = ["J&F", "J", "F"]


def test_xmem_short_video_numbers_repeat_across_tables(cells):
    t2, s59, s1011 = "table2_short_video", "tableS5_S9_training_data", "tableS10_S11_multiscale"
    for t2_row, train_row, ms_row in [(10, 3, 0), (11, 4, 1)]:  # XMem, XMem*
        assert _values(cells, t2, t2_row, "Y18", YT) == _values(cells, s59, train_row, "Y18", YT)
        assert _values(cells, t2, t2_row, "Y18", YT) == _values(cells, s1011, ms_row, "Y18", YT)
        for ds in ["D17", "D16"]:
            assert _values(cells, t2, t2_row, ds, DV) == _values(cells, s59, train_row, ds, DV)
            assert _values(cells, t2, t2_row, ds, DV) == _values(cells, s1011, ms_row, ds, DV)
    for t3_row, train_row, ms_row in [(8, 3, 0), (9, 4, 1)]:
        t3 = _values(cells, "table3_davis17_testdev", t3_row, "D17td", DV)
        assert t3 == _values(cells, s59, train_row, "D17td", DV)
        assert t3 == _values(cells, s1011, ms_row, "D17td", DV)
    assert (_values(cells, "table3_davis17_testdev", 10, "D17td", DV)
            == _values(cells, s1011, 2, "D17td", DV) == [82.5, 79.1, 85.8])
    for s3_row, train_row, ms_row in [(9, 3, 0), (10, 4, 1)]:
        s3 = _values(cells, "tableS3_youtubevos19", s3_row, "Y19", YT)
        assert s3 == _values(cells, s59, train_row, "Y19", YT)
        assert s3 == _values(cells, s1011, ms_row, "Y19", YT)


def test_xmem_default_85_7_and_86_2_repeat(cells):
    default_rows = [("table2_short_video", 10), ("table4_memory_stores", 0), ("table5_scaling_terms", 0),
                    ("table8_deep_update", 0), ("tableS2_stcn_retrained", 2),
                    ("tableS5_S9_training_data", 3), ("tableS10_S11_multiscale", 0)]
    for table, row in default_rows:
        assert cell(cells, table, row, "Y18", "G").value == 85.7, table
        assert cell(cells, table, row, "D17", "J&F").value == 86.2, table
    for table, row in [("table2_short_video", 10), ("table4_memory_stores", 0), ("table8_deep_update", 0)]:
        assert cell(cells, table, row, "D17", "FPS").value == 22.6, table
    for table, row in [("table2_short_video", 10), ("table4_memory_stores", 0),
                       ("tableS3_youtubevos19", 9), ("tableS3_youtubevos19", 10)]:
        assert cell(cells, table, row, "Y18", "FPS").value == 22.6, table


def test_long_video_default_repeats(cells):
    lv1 = [("table1_long_time_video", 10), ("table7_long_video_strategies", 0)]
    for table, row in lv1:
        got = cell(cells, table, row, "LV1", "J&F")
        assert (got.value, got["std"]) == (89.8, 0.2), table
    assert cell(cells, "table4_memory_stores", 0, "LV1", "J&F").value == 89.8
    lv3 = [("table1_long_time_video", 10), ("table6_consolidation", 5), ("table6_consolidation", 10),
           ("table7_long_video_strategies", 0), ("tableS1_ltmax", 4)]
    for table, row in lv3:
        got = cell(cells, table, row, "LV3", "J&F")
        assert (got.value, got["std"]) == (90.0, 0.4), table


def test_competitor_numbers_repeat(cells):
    # STCN original (Table S2) is Table 2's STCN row.
    assert (_values(cells, "tableS2_stcn_retrained", 0, "Y18", ["G"])
            == _values(cells, "table2_short_video", 6, "Y18", ["G"]) == [83.0])
    assert (_values(cells, "tableS2_stcn_retrained", 0, "D17", ["J&F"])
            == _values(cells, "table2_short_video", 6, "D17", ["J&F"]) == [85.4])
    # Y18 FPS in Table S3 equals Table 2 (CFBI, STCN, STCN*, AOT).
    for s3_row, t2_row in [(0, 2), (5, 6), (7, 8), (8, 9)]:
        assert (cell(cells, "tableS3_youtubevos19", s3_row, "Y18", "FPS").value
                == cell(cells, "table2_short_video", t2_row, "Y18", "FPS").value)
    # Table S4 repeats Y19 G of Table S3 (SST, CFBI+, JOINT) and Table 2 / Table 3 numbers.
    for s4_row, s3_row in [(1, 1), (2, 4), (3, 6)]:
        assert (cell(cells, "tableS4_no_pretraining", s4_row, "Y19", "G").value
                == cell(cells, "tableS3_youtubevos19", s3_row, "Y19", "G").value)
    for ds, metric in [("Y18", "G"), ("D17", "J&F"), ("D17", "FPS")]:
        assert (cell(cells, "tableS4_no_pretraining", 3, ds, metric).value
                == cell(cells, "table2_short_video", 7, ds, metric).value), (ds, metric)
    assert (cell(cells, "tableS4_no_pretraining", 2, "D17td", "J&F").value
            == cell(cells, "table3_davis17_testdev", 3, "D17td", "J&F").value == 78.0)


def test_ours_minus_matches_davis_youtubevos_only_training(cells):
    pairs = [("Y18", "G"), ("Y19", "G"), ("D16", "J&F"), ("D17", "J&F"), ("D17td", "J&F")]
    for ds, metric in pairs:
        assert (cell(cells, "tableS4_no_pretraining", 4, ds, metric).value
                == cell(cells, "tableS5_S9_training_data", 2, ds, metric).value), ds


def test_compression_ratio_halves_with_doubled_prototypes(cells):
    ratios = paper_table("table6_consolidation")["LV3 compression_ratio_pct"]
    assert list(ratios.iloc[:9]) == [12625.0] * 3 + [6328.0] * 3 + [3164.0] * 3
    assert ratios.iloc[9:].isna().all()
    assert 6328.0 == 2 * 3164.0  # the P=64 value 12625 != 2*6328 is flagged in the note
    flagged = cells[(cells.table == "table6_consolidation") & cells.note.str.startswith("flag:")]
    assert sorted(flagged.row) == [0, 1, 2]


def test_paper_table_wide_layout():
    t1 = paper_table("table1_long_time_video")
    assert list(t1.columns[:5]) == ["method", "setting", "LV1 J&F", "LV1 J&F std", "LV1 J"]
    assert t1.columns[-2:].tolist() == ["LV1->LV3 J&F_delta", "note"]
    assert t1.index.tolist() == list(range(11))
    assert t1.loc[10, "method"] == "XMem" and t1.loc[0, "method"] == "CFBI+"
    assert math.isnan(t1.loc[0, "LV1 J&F std"])
    t4 = paper_table("table4_memory_stores")
    assert t4.columns.tolist() == ["method", "setting", "Y18 G", "D17 J&F", "LV1 J&F", "D17 FPS",
                                   "Y18 FPS", "note"]
    assert t4.setting.tolist() == ["All memory stores", "No sensory memory", "No working memory",
                                   "No long-term memory"]
    merged = paper_table("tableS5_S9_training_data")
    assert merged.loc[0, "note"] == "Table S5; Table S6; Table S7"
    assert math.isnan(merged.loc[0, "Y18 G"]) and merged.loc[1, "Y18 G"] == 84.4
    with pytest.raises(XMemError, match="unknown paper table"):
        paper_table("table9")


def test_paper_value_and_copy_semantics():
    assert paper_value("tableS1_ltmax", 3, "LV3", "J&F") == (89.9, 0.2)
    value, std = paper_value("table2_short_video", 0, "Y18", "FPS")
    assert math.isnan(value) and math.isnan(std)
    with pytest.raises(XMemError, match="no paper cell"):
        paper_value("table2_short_video", 99, "Y18", "G")
    first = load_paper_results()
    first.loc[:, "value"] = -1.0
    assert load_paper_results().value.max() == 12625.0


GOOD_LINE = "table5_scaling_terms,0,XMem,With both terms,Y18,G,85.7,,"
HEADER = "table,row,method,setting,dataset,metric,value,std,note"


@pytest.mark.parametrize("lines,message", [
    ([HEADER, "table9,0,XMem,,Y18,G,85.7,,"], "unknown table"),
    ([HEADER, "table5_scaling_terms,x,XMem,,Y18,G,85.7,,"], "row 'x'"),
    ([HEADER, "table5_scaling_terms,0,XMem,,Y17,G,85.7,,"], "unknown dataset"),
    ([HEADER, "table5_scaling_terms,0,XMem,,Y18,mIoU,85.7,,"], "unknown metric"),
    ([HEADER, "table5_scaling_terms,0,XMem,,Y18,G,85.7%,,"], "is not a number"),
    ([HEADER, "table5_scaling_terms,0,XMem,,Y18,G,,,"], "needs a note"),
    ([HEADER, "table5_scaling_terms,0,XMem,,Y18,G,,0.2,not reported"], "std given"),
    ([HEADER, GOOD_LINE, GOOD_LINE], "duplicate cell"),
    ([HEADER, GOOD_LINE, "table5_scaling_terms,0,STCN,With both terms,D17,J&F,86.2,,"], "several method"),
    (["table,row,method,dataset,metric,value,std,note", GOOD_LINE], "header"),
    ([HEADER], "no data lines"),
])
def test_bad_files_raise_one_line_errors(tmp_path, lines, message):
    path = tmp_path / "bad.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(XMemError, match=message) as info:
        load_paper_results(path)
    assert "\n" not in str(info.value)
    assert str(path) in str(info.value)


def test_missing_file_raises(tmp_path):
    with pytest.raises(XMemError, match="not found"):
        load_paper_results(tmp_path / "missing.csv")


def test_custom_path_loads(tmp_path):
    path = tmp_path / "one.csv"
    path.write_text(HEADER + "\n" + GOOD_LINE + "\n", encoding="utf-8")
    loaded = load_paper_results(path)
    assert len(loaded) == 1
    record = loaded.iloc[0]
    assert (record.table, record.row, record.method, record.setting) == (
        "table5_scaling_terms", 0, "XMem", "With both terms")
    assert (record.dataset, record.metric, record.value, record.note) == ("Y18", "G", 85.7, "")
    assert math.isnan(record["std"])
