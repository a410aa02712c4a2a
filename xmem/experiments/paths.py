"""Where a run's outputs live: one :class:`RunPaths` per run folder.

Layout under a profile's ``results`` folder::

    runs/<model>/<dataset>/<setting>/o<offset>/masks/<video>/<frame>.png
                                              /stats/<video>.csv, summary.csv
                                              /scores/global_results.csv, ...
                                              /probs/<video>/<frame>.npz   (multi-scale members)
                                              /submission.zip   (server-scored splits: D17td, Y18, Y19 of real data)
    runs/<model>/<dataset or LV>/<setting>/.complete    the group job's marker, written last
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from xmem.evaluation.results import GLOBAL_CSV

REPO = Path(__file__).resolve().parents[2]  # the repository: relative config paths are named from it
RUNS_DIR = "runs"
GROUP_MARKER = ".complete"
SUMMARY_CSV = "summary.csv"
HARDWARE_FILE = "hardware.txt"  # the device FPS and memory of a run were measured on


@dataclass(frozen=True)
class Run:
    """One inference run of the plan: ``model`` on dataset ``dataset`` (a paper code: D16, D17,
    D17td, Y18, Y19, LV<n>) with the named ``setting`` and memory-insertion ``offset``."""

    model: str
    dataset: str
    setting: str = "default"
    offset: int = 0

    @property
    def path(self) -> str:
        """The run folder relative to the results folder."""
        return f"{RUNS_DIR}/{self.model}/{self.dataset}/{self.setting}/o{self.offset}"


@dataclass(frozen=True)
class RunPaths:
    """The output folders and files of one run folder ``root``."""

    root: Path

    @classmethod
    def of(cls, results: str | os.PathLike, run: Run) -> "RunPaths":
        return cls(Path(results) / run.path)

    @property
    def masks(self) -> Path:
        return self.root / "masks"

    @property
    def stats(self) -> Path:
        return self.root / "stats"

    @property
    def summary(self) -> Path:
        return self.stats / SUMMARY_CSV

    @property
    def probs(self) -> Path:
        return self.root / "probs"

    @property
    def scores(self) -> Path:
        return self.root / "scores"

    @property
    def submission(self) -> Path:
        """The evaluation server's archive of a run whose ground truth is not local."""
        return self.root / "submission.zip"

    @property
    def global_scores(self) -> Path:
        return self.scores / GLOBAL_CSV

    def video_stats(self) -> list[Path]:
        """The per-video frame logs ``stats/<video>.csv`` (the summary excluded), sorted."""
        return sorted(p for p in self.stats.glob("*.csv") if p.name != SUMMARY_CSV)


#: the group marker relative to the results folder, with Snakemake-style wildcards
GROUP_MARKER_PATTERN = f"{RUNS_DIR}/{{model}}/{{dataset}}/{{setting}}/{GROUP_MARKER}"


def group_marker(results: str | os.PathLike, key: tuple[str, str, str]) -> str:
    """The completion marker of the job of group ``(model, dataset or LV, setting)``."""
    model, dataset, setting = key
    return f"{results}/" + GROUP_MARKER_PATTERN.format(model=model, dataset=dataset, setting=setting)
