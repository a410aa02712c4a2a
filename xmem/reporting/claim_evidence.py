"""What the claims check reads from the runs besides the tables (:mod:`xmem.reporting.claims`).

* mechanism counts from the per-frame memory statistics (``stats/<video>.csv``, columns
  ``is_memory_frame``, ``consolidations``, ``evicted_elements``) of XMem's offset-0 runs:
  consolidations and memory frames per Long-time Video (largest over the videos),
  consolidations inside Fig. 1's growth window, elements evicted at the smallest LT_max;
* per-video scores of a table row (``scores/per-sequence_results.csv``: the mean of J and F
  over a video's objects, then over the row's runs), for the "why" sentence;
* on Long-time Video, a row's per-frame J (``scores/per-frame_results.csv``) split by whether
  the object is in the ground-truth frame (:mod:`xmem.reporting.visibility`), for the same sentence;
* the noise of a speed comparison: the std of XMem's LV3 FPS over the offsets of its Table 1
  cell (each run's ``stats/summary.csv``), for Table S1's speed claim;
* the noise model: ``claims.recipe_seed_sd`` of the profile.

Every count is None when its run has no statistics (not run in the profile, or written before
the counters existed); the claims then keep the comparison.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from xmem.evaluation.results import PER_SEQUENCE_CSV
from xmem.experiments.element_counts import model_counts
from xmem.experiments.paths import Run
from xmem.experiments.plan import TABLE_TARGETS, build_tables
from xmem.experiments.settings import SETTINGS, ltmax_setting
from xmem.errors import XMemError
from xmem.evaluation.results import PER_FRAME_CSV
from xmem.experiments.datasets import dataset_layout
from xmem.reporting.claim_model import (
    WINDOW_CONSOLIDATIONS_KEY, Evidence, FpsSpread, Noise, RowRef, consolidations_key, eviction_key, memory_frames_key,
)
from xmem.reporting.fig_common import growth_window
from xmem.reporting.run_results import RunResults
from xmem.reporting.visibility import VisibilitySplit, mean_split, object_visible, split_by_visibility

log = logging.getLogger(__name__)

LONG_DATASETS = ("LV1", "LV3")


def _per_video_max(stats: pd.DataFrame | None, column: str) -> int | None:
    if stats is None or column not in stats.columns or stats[column].isna().all():
        return None
    return int(stats.groupby("video")[column].max().max())


def _memory_frames(stats: pd.DataFrame | None) -> int | None:
    if stats is None:
        return None
    return int(stats.groupby("video")["is_memory_frame"].sum().max())


def window_consolidations(stats: pd.DataFrame | None) -> int | None:
    """Consolidations inside each video's memory-growth window (Fig. 1: frames 100 -> 200, or
    the shorter window :func:`growth_window` uses), largest over the videos."""
    if stats is None or "consolidations" not in stats.columns or stats["consolidations"].isna().all():
        return None
    counts = []
    for _, group in stats.groupby("video"):
        start, end = growth_window(int(group["frame_index"].max()) + 1)
        at = group.set_index("frame_index")["consolidations"]
        counts.append(int(at.get(end, at.iloc[-1]) - at.get(start, at.iloc[0])))
    return max(counts)


def mechanism_counts(results: RunResults, config: dict) -> dict[str, int | None]:
    """The counts named by the ``*_key`` functions, from XMem's offset-0 runs of ``config``."""
    def stats(run: Run) -> pd.DataFrame | None:
        try:
            return results.frame_stats(run)
        except XMemError as exc:  # an unreadable log: the count is unknown, the report says n/a
            log.warning("statistics of %s unreadable (%s): counts unknown", run.path, exc)
            return None

    counts: dict[str, int | None] = {}
    for dataset in LONG_DATASETS:
        frames = stats(Run("xmem", dataset))
        counts[consolidations_key(dataset)] = _per_video_max(frames, "consolidations")
        counts[memory_frames_key(dataset)] = _memory_frames(frames)
        if dataset == "LV1":
            counts[WINDOW_CONSOLIDATIONS_KEY] = window_consolidations(frames)
    smallest = min(model_counts("xmem", config).ltmax_values)
    counts[eviction_key(smallest)] = _per_video_max(stats(Run("xmem", "LV3", ltmax_setting(smallest, config))),
                                                    "evicted_elements")
    return counts


def video_scores(results: RunResults, run: Run) -> dict[str, float] | None:
    """{video: mean over its objects of (J + F) / 2, in percent} of one run, None without scores."""
    path = results.paths(run).scores / PER_SEQUENCE_CSV
    if not path.is_file():
        return None
    table = pd.read_csv(path, dtype={"Sequence": str})
    if table.empty:
        return None
    video = table["Sequence"].str.rsplit("_", n=1).str[0]
    score = 100.0 * (table["J-Mean"] + table["F-Mean"]) / 2
    return {str(v): float(s) for v, s in score.groupby(video).mean().items()}


def _row_runs(tables: dict, ref: RowRef) -> list[Run]:
    """The runs behind the score cell of ``ref`` in the plan's tables (none when it has no such cell)."""
    spec = tables.get(ref.table)
    rows = [r for r in (spec.rows if spec else ()) if (r.method, r.setting) == (ref.method, ref.setting)]
    cells = [c for r in rows for c in r.cells if c.dataset == ref.dataset and c.kind == "score"]
    return list(cells[0].runs) if cells else []


def run_visibility(results: RunResults, run: Run, gt_root: Path) -> VisibilitySplit | None:
    """One run's per-frame J split by the object's visibility in ``gt_root``, None without scores."""
    path = results.paths(run).scores / PER_FRAME_CSV
    if not path.is_file():
        return None
    frames = pd.read_csv(path, dtype={"sequence": str, "frame": str})
    if frames.empty:
        return None
    return split_by_visibility(frames, object_visible(frames, gt_root))


def visibility_reader(results: RunResults, tables: dict, config: dict):
    """A :data:`xmem.reporting.claim_model.Visibility` over the Long-time Video rows of the plan's
    ``tables`` (:func:`xmem.experiments.plan.build_tables` of profile ``config``)."""

    def read(ref: RowRef) -> VisibilitySplit | None:
        runs = _row_runs(tables, ref)
        layout = dataset_layout(ref.dataset, config) if runs else None
        if layout is None or layout.evaluation is None or layout.evaluation.mode != "lv":
            return None
        gt = Path(layout.evaluation.gt)
        return mean_split([s for s in (run_visibility(results, run, gt) for run in runs) if s is not None])

    return read


def per_video_reader(results: RunResults, tables: dict):
    """A :data:`xmem.reporting.claim_model.PerVideo` over the rows of the plan's ``tables``."""

    def read(ref: RowRef) -> dict[str, float] | None:
        runs = _row_runs(tables, ref)
        per_run = [s for s in (video_scores(results, run) for run in runs) if s]
        if not per_run:
            return None
        videos = sorted(set.intersection(*(set(s) for s in per_run)))
        return {v: float(np.mean([s[v] for s in per_run])) for v in videos}

    return read


#: the cell whose runs, alike but for the memory-insertion offset, give the FPS noise
FPS_NOISE_CELL = RowRef(TABLE_TARGETS["table1"], "XMem", "", "LV3")


def fps_spread(results: RunResults, tables: dict) -> FpsSpread | None:
    """The sample std of the FPS of the runs behind :data:`FPS_NOISE_CELL` (None with fewer than
    two timed runs)."""
    cell = FPS_NOISE_CELL
    fps = []
    for run in _row_runs(tables, cell):
        try:
            fps.append(results.fps(run))
        except (OSError, KeyError, ValueError, pd.errors.ParserError):  # not run, or an unreadable summary
            continue
    if len(fps) < 2:
        return None
    return FpsSpread(float(np.std(fps, ddof=1)), len(fps), f"{cell.method}'s {cell.dataset} FPS in Table 1")


def claim_evidence(config: dict) -> Evidence:
    results = RunResults(Path(config["results"]))
    window = dict(SETTINGS["local_window"].memory)["max_memory_frames"]
    tables = build_tables(config)
    return Evidence(mechanism_counts(results, config), window, per_video_reader(results, tables),
                    visibility_reader(results, tables, config), fps_spread(results, tables))


def claim_noise(config: dict) -> Noise:
    sd = (config.get("claims") or {}).get("recipe_seed_sd")
    return Noise(sd, f"seed spread of the {config.get('profile', '')} recipe, claims.recipe_seed_sd" if sd else "")
