"""Published numbers of the XMem paper (Cheng & Schwing, ECCV 2022) as data.

The numbers live in one long ("tidy") CSV, ``report/paper_results.csv``, with one published
cell per line; its format and vocabulary are documented in ``report/README.md``. This module
loads and validates that file and rebuilds the paper's tables in wide form.
"""

from __future__ import annotations

import functools
import importlib.resources
import math
from pathlib import Path

import pandas as pd

from xmem.errors import XMemError
from xmem.experiments.plan import TABLE_NAMES

CSV_NAME = "paper_results.csv"

COLUMNS = ("table", "row", "method", "setting", "dataset", "metric", "value", "std", "note")


DATASETS = ("Y18", "Y19", "D16", "D17", "D17td", "LV1", "LV3", "LV1->LV3")

METRICS = (
    "G", "J_s", "F_s", "J_u", "F_u",  # YouTubeVOS
    "J&F", "J", "F",  # DAVIS / Long-time Video
    "J&F_delta",  # Long-time Video 1x -> 3x change of J&F
    "FPS", "max_gpu_memory_MB", "compression_ratio_pct",
)

# An empty value must say why in its note (the paper printed "-" or "n/a").
EMPTY_VALUE_NOTES = ("not reported", "n/a")


def default_results_path() -> Path:
    """Location of ``paper_results.csv``: the repository's ``report/`` folder, else package data."""
    repo_copy = Path(__file__).resolve().parents[2] / "report" / CSV_NAME
    if repo_copy.is_file():
        return repo_copy
    packaged = importlib.resources.files("xmem.reporting").joinpath(CSV_NAME)
    if packaged.is_file():
        return Path(str(packaged))
    return repo_copy


def _parse_float(text: str, where: str, column: str) -> float:
    """Parse a CSV cell as a finite float; empty text means NaN."""
    if text == "":
        return math.nan
    try:
        number = float(text)
    except ValueError:
        raise XMemError(f"{where}: {column} {text!r} is not a number; write the number as printed "
                        f"(no '%', 'MB', '±') or leave it empty") from None
    if not math.isfinite(number):
        raise XMemError(f"{where}: {column} {text!r} is not finite; write the number as printed")
    return number


def _validate_line(rec: dict, where: str) -> None:
    """Check one raw (all-string) record against the vocabulary; raise XMemError on a bad cell."""
    if rec["table"] not in TABLE_NAMES:
        raise XMemError(f"{where}: unknown table {rec['table']!r}; use one of {', '.join(TABLE_NAMES)}")
    if not rec["row"].isdigit():
        raise XMemError(f"{where}: row {rec['row']!r} must be a 0-based integer row index")
    if rec["dataset"] not in DATASETS:
        raise XMemError(f"{where}: unknown dataset {rec['dataset']!r}; use one of {', '.join(DATASETS)}")
    if rec["metric"] not in METRICS:
        raise XMemError(f"{where}: unknown metric {rec['metric']!r}; use one of {', '.join(METRICS)}")
    if not rec["method"]:
        raise XMemError(f"{where}: empty method; write the method name as printed in the paper")
    value = _parse_float(rec["value"], where, "value")
    std = _parse_float(rec["std"], where, "std")
    if math.isnan(value):
        if not any(reason in rec["note"] for reason in EMPTY_VALUE_NOTES):
            raise XMemError(f"{where}: empty value needs a note saying 'not reported' or 'n/a'")
        if not math.isnan(std):
            raise XMemError(f"{where}: std given for an empty value; remove the std or fill in the value")
    if not math.isnan(std) and std < 0:
        raise XMemError(f"{where}: negative std {rec['std']!r}; write the ± part without sign")


@functools.lru_cache(maxsize=4)
def _load_cached(path_text: str, mtime_ns: int) -> pd.DataFrame:
    path = Path(path_text)
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise XMemError(f"{path}: cannot parse as UTF-8 CSV ({type(exc).__name__}); "
                        f"restore the file from git") from None
    if tuple(raw.columns) != COLUMNS:
        raise XMemError(f"{path}: header is {','.join(raw.columns)}; expected {','.join(COLUMNS)}")
    if raw.empty:
        raise XMemError(f"{path}: no data lines; restore the file from git")
    for index, rec in enumerate(raw.to_dict("records")):
        _validate_line(rec, f"{path} line {index + 2}")
    keys = ["table", "row", "dataset", "metric"]
    duplicated = raw.duplicated(subset=keys, keep=False)
    if duplicated.any():
        first = raw[duplicated].iloc[0]
        raise XMemError(f"{path}: duplicate cell {'/'.join(first[k] for k in keys)}; "
                        f"each (table,row,dataset,metric) may appear once")
    frame = raw.copy()
    frame["row"] = frame["row"].astype(int)
    # Every non-empty cell already parsed in _validate_line, so coercion only maps "" to NaN.
    frame["value"] = pd.to_numeric(frame["value"], errors="coerce").astype(float)
    frame["std"] = pd.to_numeric(frame["std"], errors="coerce").astype(float)
    inconsistent = frame.groupby(["table", "row"])[["method", "setting"]].nunique().max(axis=1) > 1
    if inconsistent.any():
        table, row = inconsistent[inconsistent].index[0]
        raise XMemError(f"{path}: table {table} row {row} has several method/setting texts; "
                        f"use one method and setting per row")
    return frame


def load_paper_results(path: str | Path | None = None) -> pd.DataFrame:
    """Load and validate the long-format paper results.

    Returns one line per published cell with columns ``COLUMNS``: ``row`` as int, ``value`` and
    ``std`` as float (NaN when the paper printed "-"/"n/a" or no ±std), the rest as str (empty
    string when absent). Line order is the file's order (paper order). Raises XMemError when
    the file is missing or any cell is outside the documented vocabulary.
    """
    resolved = Path(path) if path is not None else default_results_path()
    if not resolved.is_file():
        raise XMemError(f"{resolved}: paper results file not found; pass an existing CSV path "
                        f"or restore report/{CSV_NAME} from git")
    return _load_cached(str(resolved.resolve()), resolved.stat().st_mtime_ns).copy()


def column_label(dataset: str, metric: str) -> str:
    """Wide-table column name for one (dataset, metric) pair, e.g. ``"D17 J&F"``."""
    return f"{dataset} {metric}"


def paper_table(name: str, path: str | Path | None = None) -> pd.DataFrame:
    """Rebuild one paper table in wide form.

    Index ``row`` (0-based, paper order); columns ``method``, ``setting``, then one float
    column per (dataset, metric) in first-appearance order, named ``"<dataset> <metric>"``
    (see :func:`column_label`), each followed by ``"<dataset> <metric> std"`` when that column
    has any printed ±std; finally ``note``: the distinct cell notes of the row joined by "; ".
    Cells absent from a (merged) paper table are NaN.
    """
    if name not in TABLE_NAMES:
        raise XMemError(f"unknown paper table {name!r}; use one of {', '.join(TABLE_NAMES)}")
    cells = load_paper_results(path)
    cells = cells[cells["table"] == name]
    labels = [column_label(d, m) for d, m in zip(cells["dataset"], cells["metric"])]
    cells = cells.assign(column=labels)
    order = list(dict.fromkeys(labels))
    values = cells.pivot(index="row", columns="column", values="value")
    stds = cells.pivot(index="row", columns="column", values="std")
    wide = cells.groupby("row", sort=True)[["method", "setting"]].first()
    for label in order:
        wide[label] = values[label]
        if stds[label].notna().any():
            wide[f"{label} std"] = stds[label]
    wide["note"] = cells.groupby("row")["note"].agg(_join_notes)
    return wide


def _join_notes(notes: pd.Series) -> str:
    """Distinct non-empty '; '-separated note parts of several cells, in order of appearance."""
    parts = [part for note in notes for part in note.split("; ") if part]
    return "; ".join(dict.fromkeys(parts))


def paper_value(table: str, row: int, dataset: str, metric: str,
                path: str | Path | None = None) -> tuple[float, float]:
    """The printed ``(value, std)`` of one cell (NaN where not printed); XMemError if absent."""
    cells = load_paper_results(path)
    hit = cells[(cells["table"] == table) & (cells["row"] == row)
                & (cells["dataset"] == dataset) & (cells["metric"] == metric)]
    if hit.empty:
        raise XMemError(f"no paper cell {table}/row {row}/{dataset}/{metric}; "
                        f"see report/README.md for the tables' rows and columns")
    return float(hit["value"].iloc[0]), float(hit["std"].iloc[0])
