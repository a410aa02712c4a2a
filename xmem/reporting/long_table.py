"""Every number of the report in one long ("tidy") CSV: one line per paper or measured cell.

The wide tables (``results/tables/<table>.csv``) are shaped like the paper's; this table holds
the same numbers one per line, with the setting text split into typed columns (``P``,
``LT_max``, ``selection``, ``training_data``, ``multi_scale``), the unit of every value, the
number of memory-insertion offsets a mean is over and where FPS and memory were measured.
Column meanings live in :data:`COLUMN_DOCS`, the one source for the CSV's header and for the
README written next to it. Text columns are never empty (``(none)`` stands for "nothing"), so
``pandas.read_csv`` reads ``setting`` and ``note`` as strings without options.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import pandas as pd

from xmem.experiments.plan import TableSpec, build_tables
from xmem.reporting.paper import load_paper_results, paper_table
from xmem.reporting.tables import HARDWARE_METRICS, TableInputs, measure_cell
from xmem.reporting.vocabulary import ABBREVIATIONS, PAPER_HARDWARE, measured_hardware, metric_unit
from xmem.utils.atomic import atomic_path, write_text_atomic

EMPTY_TEXT = "(none)"
PAPER = "paper"
MEASURED = "measured"
PAPER_OFFSETS = 5  # the paper's ± std is over 5 evenly spaced memory-insertion offsets (§4.1)

#: (column, pandas dtype, meaning) of the long table, in order
COLUMN_DOCS: tuple[tuple[str, str, str], ...] = (
    ("table", "str", "workflow table name (results/tables/<table>.csv), e.g. table1_long_time_video"),
    ("paper_row", "Int64", "0-based row of the paper table this line belongs to or sits next to; "
                           "empty for measured rows without a paper counterpart (first-frame copy)"),
    ("source", "str", "'paper' (published number) or 'measured' (this harness)"),
    ("profile", "str", "workflow profile of a measured number ('paper' for published numbers)"),
    ("method", "str", "method as printed (XMem, STCN, ...; trailing * = BL30K pretraining)"),
    ("setting", "str", "the row's setting text as printed in the paper, '(none)' for plain comparison rows"),
    ("P", "Int64", "prototypes per consolidation, when the setting names it (Table 6)"),
    ("LT_max", "Int64", "long-term memory limit in elements, when the setting names it (Table S1)"),
    ("selection", "str", "prototype selection named by the setting: usage, random, kmeans (Table 6)"),
    ("training_data", "str", "training data named by the setting (Tables S5-S9)"),
    ("multi_scale", "boolean", "single- (False) or multi-scale (True) evaluation (Tables S10-S11)"),
    ("dataset", "str", "dataset code: Y18, Y19, D16, D17, D17td, LV1, LV3, LV1->LV3"),
    ("metric", "str", "metric code: J&F, J, F, G, J_s, F_s, J_u, F_u, J&F_delta, FPS, max_gpu_memory_MB, "
                      "max_memory_store_MB, compression_ratio_pct"),
    ("value", "float64", "the number, in `unit` (scores in percent like the paper; empty: not measured, see note)"),
    ("std", "float64", "sample standard deviation over memory-insertion offsets, in `unit` (empty: one run "
                       "or not printed)"),
    ("n_offsets", "Int64", "runs (memory-insertion offsets) a measured mean is over; 5 for a paper number with "
                           "a printed std; empty when not an average of runs or not stated"),
    ("unit", "str", "unit of value and std: % (scores, compression), percent points (J&F_delta), frames/s, MiB"),
    ("hardware", "str", "where an FPS or memory number was measured; '(none)' for hardware-independent metrics"),
    ("note", "str", "remarks: paper markers and transcription flags, why a measured cell is empty, "
                    "profile notes; '(none)' if nothing"),
)
COLUMNS: tuple[str, ...] = tuple(name for name, _, _ in COLUMN_DOCS)
DTYPES: dict[str, str] = {name: dtype for name, dtype, _ in COLUMN_DOCS}

_SELECTIONS = (("Usage-based", "usage"), ("Random", "random"), ("K-means", "kmeans"))


@dataclass(frozen=True)
class SettingFields:
    """The typed parts of a setting text ("Usage-based P = 128", "LTmax=5000", "DAVIS only")."""

    P: int | None = None
    LT_max: int | None = None
    selection: str | None = None
    training_data: str | None = None
    multi_scale: bool | None = None


def setting_fields(table: str, setting: str) -> SettingFields:
    """Parse the setting text of a row of ``table`` into :class:`SettingFields`."""
    p = re.search(r"\bP\s*=\s*(\d+)", setting)
    lt = re.fullmatch(r"LTmax\s*=\s*([\d,]+)", setting.strip())
    selection = next((code for prefix, code in _SELECTIONS if setting.startswith(prefix)), None)
    training = setting if table == "tableS5_S9_training_data" and setting else None
    scale = None
    if table == "tableS10_S11_multiscale" and setting:
        scale = setting.startswith("multi-scale")
    return SettingFields(int(p.group(1)) if p else None, int(lt.group(1).replace(",", "")) if lt else None,
                         selection, training, scale)


#: texts pandas.read_csv would read as NaN (its default na_values), as they occur in notes
_NA_LIKE = {"n/a": "printed n/a", "na": "printed NA", "nan": "printed NaN"}


def _text(value) -> str:
    """A never-empty text cell that pandas reads back as the same string."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value == "":
        return EMPTY_TEXT
    return _NA_LIKE.get(str(value).strip().lower(), str(value))


def _record(table: str, setting: str, **fields) -> dict:
    parsed = setting_fields(table, setting)
    metric = fields["metric"]
    return {"table": table, "setting": _text(setting), "P": parsed.P, "LT_max": parsed.LT_max,
            "selection": parsed.selection, "training_data": parsed.training_data, "multi_scale": parsed.multi_scale,
            "unit": metric_unit(metric), **fields}


def paper_records() -> list[dict]:
    """One record per published cell of ``report/paper_results.csv``."""
    out = []
    for cell in load_paper_results().to_dict("records"):
        printed_std = not math.isnan(cell["std"]) or "std omitted" in cell["note"]
        out.append(_record(
            cell["table"], cell["setting"], paper_row=cell["row"], source=PAPER, profile=PAPER,
            method=cell["method"], dataset=cell["dataset"], metric=cell["metric"], value=cell["value"],
            std=cell["std"], n_offsets=PAPER_OFFSETS if printed_std else None,
            hardware=PAPER_HARDWARE if cell["metric"] in HARDWARE_METRICS else EMPTY_TEXT, note=_text(cell["note"])))
    return out


def _paper_rows(name: str) -> dict[tuple[str, str], int]:
    paper = paper_table(name)
    return {(m, s if isinstance(s, str) else ""): int(i) for i, m, s in zip(paper.index, paper["method"],
                                                                               paper["setting"])}


def measured_records(spec: TableSpec, inputs: TableInputs, config: dict) -> list[dict]:
    """One record per measured cell of a table (the same numbers as its wide CSV, unrounded)."""
    rows = _paper_rows(spec.name)
    out = []
    for row in spec.rows:
        for cell in row.cells:
            m = measure_cell(cell, inputs)
            metric = m.metric or cell.metric
            notes = [n for n in (row.note, m.reason, *spec.notes) if n]
            out.append(_record(
                spec.name, row.setting, paper_row=rows.get((row.method, row.setting)), source=MEASURED,
                profile=str(config["profile"]), method=row.method, dataset=cell.dataset, metric=metric,
                value=m.value, std=m.std, n_offsets=m.runs,
                hardware=measured_hardware(config) if metric in HARDWARE_METRICS else EMPTY_TEXT,
                note=_text("; ".join(dict.fromkeys(notes)))))
    return out


def long_table(config: dict, inputs: TableInputs) -> pd.DataFrame:
    """Paper and measured records of every table of profile ``config``, typed as :data:`DTYPES`;
    each table's paper lines come first, then its measured lines."""
    records = paper_records()
    for spec in build_tables(config).values():
        records += measured_records(spec, inputs, config)
    frame = pd.DataFrame.from_records(records, columns=list(COLUMNS))
    order = {name: i for i, name in enumerate(build_tables(config))}
    frame = frame.sort_values("table", key=lambda t: t.map(order), kind="stable").reset_index(drop=True)
    return frame.astype(DTYPES)


def readme_text(csv_name: str) -> str:
    """The README written next to the long table: its columns and units, and those of the wide tables."""
    lines = [f"# The tables of this results folder", "",
             "`<table>.csv` — one per paper table, paper-shaped (wide): `source` (`paper` or `measured (<profile>)`), "
             "`method`, `setting`, then one column per `<dataset> <metric>` (± std in `<dataset> <metric> std`), "
             "and `note`. Tables with FPS or memory columns have a `hardware` column (4th). Scores are in "
             "**percent** (0-100) like the paper, rounded to 0.1; the evaluator's `runs/**/scores/"
             "global_results.csv` hold **fractions** (0-1) like davis2017-evaluation. Empty `setting`/`note` "
             "cells read as NaN in pandas: `pd.read_csv(path, keep_default_na=False)` keeps them as ''.", "",
             f"`{csv_name}` — every number of the wide tables (paper and measured, unrounded) one per line. "
             "Text columns are never empty, so `pd.read_csv` reads `setting` and `note` as strings; for the "
             "typed columns read it with `dtype` below (e.g. `xmem.reporting.long_table.read_long_table`).", "",
             "| column | dtype | meaning |", "|---|---|---|"]
    lines += [f"| `{name}` | {dtype} | {meaning} |" for name, dtype, meaning in COLUMN_DOCS]
    lines += ["", "## Abbreviations", ""] + [f"- **{code}**: {meaning}" for code, meaning in ABBREVIATIONS]
    return "\n".join(lines) + "\n"


def write_long_table(table: pd.DataFrame, csv_path, readme_path) -> None:
    """Write the long table and its README (each atomically)."""
    with atomic_path(csv_path) as tmp:
        table.to_csv(tmp, index=False, float_format="%.6g")
    write_text_atomic(readme_path, readme_text(getattr(csv_path, "name", str(csv_path).rsplit("/", 1)[-1])))


def read_long_table(path) -> pd.DataFrame:
    """Read a long table with its documented dtypes."""
    return pd.read_csv(path, dtype=DTYPES)
