"""Training log: averaged metrics every K iterations to ``DIR/log.csv`` (and TensorBoard).

Rows: stage_index, stage, iteration (completed iterations of the stage), lr, total, ce, dice,
iou, keep_fraction, max_skip, sec_per_iter, data_wait_sec, elapsed_s. Values are means over the
K iterations (and over processes in distributed training). ``data_wait_sec`` is the part of
``sec_per_iter`` spent waiting for the batch (from the end of the previous step until the batch
is on the device). The timing columns (``TIMING_COLUMNS``) vary from run to run; all others are
bit-reproducible. On resume, rows past the resumed iteration are
dropped so that the log never holds iterations that were redone.
"""

from __future__ import annotations

import csv
import logging
import time
from pathlib import Path
from typing import Mapping

import pandas as pd

from xmem.utils.atomic import atomic_path

log = logging.getLogger(__name__)

COLUMNS = ["stage_index", "stage", "iteration", "lr", "total", "ce", "dice", "iou", "keep_fraction", "max_skip",
           "sec_per_iter", "data_wait_sec", "elapsed_s"]
AVERAGED = ["lr", "total", "ce", "dice", "iou", "keep_fraction", "max_skip", "sec_per_iter", "data_wait_sec"]
TIMING_COLUMNS = ["sec_per_iter", "data_wait_sec", "elapsed_s"]  # wall-clock measurements
LOG_FILE = "log.csv"


def truncate_log(path: Path, stage_index: int, iteration: int) -> None:
    """Drop rows after (stage_index, iteration) — iterations a resumed run will redo."""
    if not path.is_file():
        return
    frame = pd.read_csv(path)
    keep = (frame["stage_index"] < stage_index) | ((frame["stage_index"] == stage_index) & (frame["iteration"] <= iteration))
    if bool(keep.all()):
        return
    with atomic_path(path) as tmp:
        frame[keep].to_csv(tmp, index=False)


class MetricsLog:
    """Accumulates per-iteration metrics and writes one averaged row every ``every`` iterations.

    Only the writing process (rank 0) passes ``enabled=True``; ``reduce`` (e.g. a distributed
    mean) is applied to the averages on every process before writing.
    """

    def __init__(self, out_dir: Path, every: int, enabled: bool, tensorboard: bool, reduce=None):
        self.path = Path(out_dir) / LOG_FILE
        self.every = every
        self.enabled = enabled
        self.reduce = reduce or (lambda values: values)
        self.start = time.time()
        self._sums: dict[str, float] = {}
        self._count = 0
        self._writer = None
        if enabled and tensorboard:
            try:
                from torch.utils.tensorboard import SummaryWriter

                self._writer = SummaryWriter(str(Path(out_dir) / "tensorboard"))
            except ImportError:
                log.info("tensorboard is not installed; logging to %s only", self.path)

    def add(self, stage_index: int, stage: str, iteration: int, metrics: Mapping[str, float]) -> dict[str, float] | None:
        """Record the metrics of completed iteration ``iteration``; return the averaged row
        when one is due (every ``every`` iterations), else None."""
        for key in AVERAGED:
            self._sums[key] = self._sums.get(key, 0.0) + float(metrics.get(key, 0.0))
        self._count += 1
        if iteration % self.every:
            return None
        return self.flush(stage_index, stage, iteration)

    def flush(self, stage_index: int, stage: str, iteration: int) -> dict[str, float] | None:
        """Write the row of the iterations recorded since the last row (e.g. at the end of a
        stage whose length is not a multiple of ``every``); None if there are none."""
        if self._count == 0:
            return None
        averages = self.reduce([self._sums[k] / self._count for k in AVERAGED])
        self._sums, self._count = {}, 0
        row = {"stage_index": stage_index, "stage": stage, "iteration": iteration,
               **dict(zip(AVERAGED, averages)), "elapsed_s": round(time.time() - self.start, 3)}
        if self.enabled:
            self._write(row)
        return row

    def _write(self, row: dict) -> None:
        new = not self.path.is_file()
        with self.path.open("a", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=COLUMNS)
            if new:
                writer.writeheader()
            writer.writerow(row)
        if self._writer is not None:
            step = row["iteration"]
            for key in ("total", "ce", "dice", "iou", "lr", "keep_fraction", "max_skip"):
                self._writer.add_scalar(f"{row['stage']}/{key}", row[key], step)
            self._writer.flush()

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
