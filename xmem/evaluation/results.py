"""The result of an evaluation: three tables and their CSV files."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from xmem.utils.atomic import atomic_path

GLOBAL_CSV = "global_results.csv"
PER_SEQUENCE_CSV = "per-sequence_results.csv"
PER_FRAME_CSV = "per-frame_results.csv"
FLOAT_FORMAT = "%.6f"  # the formatting of the reference davis2017-evaluation CSVs used here

DAVIS_GLOBAL_COLUMNS = ["J&F-Mean", "J-Mean", "J-Recall", "J-Decay", "F-Mean", "F-Recall", "F-Decay"]
DAVIS_SEQUENCE_COLUMNS = ["Sequence", "J-Mean", "F-Mean"]
YOUTUBE_GLOBAL_COLUMNS = ["G", "J-Seen", "F-Seen", "J-Unseen", "F-Unseen"]
YOUTUBE_SEQUENCE_COLUMNS = ["Sequence", "Category", "Seen", "J-Mean", "F-Mean"]


@dataclass(frozen=True)
class EvaluationResult:
    """Scores as fractions in [0, 1] (decay in [-1, 1]).

    Attributes:
        global_table: one row; DAVIS/LV columns ``J&F-Mean, J-Mean, J-Recall, J-Decay,
            F-Mean, F-Recall, F-Decay``; YouTube-VOS columns ``G, J-Seen, F-Seen,
            J-Unseen, F-Unseen``.
        per_sequence: one row per object, ``Sequence`` = ``<video>_<object>``, with
            ``J-Mean, F-Mean`` (YouTube-VOS adds ``Category, Seen``).
        per_frame: one row per evaluated (frame, object): ``sequence, object, frame, J, F``.
        mode: ``davis``, ``lv`` or ``youtube``.
    """

    global_table: pd.DataFrame
    per_sequence: pd.DataFrame
    per_frame: pd.DataFrame
    mode: str = "davis"

    def write(self, out_dir: str | os.PathLike) -> dict[str, Path]:
        """Write the three CSV files into ``out_dir``, each atomically.

        The global table is written last, so its presence means the others are complete.
        Returns the written paths by file name.
        """
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        written: dict[str, Path] = {}
        for name, table in (
            (PER_FRAME_CSV, self.per_frame),
            (PER_SEQUENCE_CSV, self.per_sequence),
            (GLOBAL_CSV, self.global_table),
        ):
            target = out_dir / name
            with atomic_path(target) as tmp:
                table.to_csv(tmp, index=False, float_format=FLOAT_FORMAT)
            written[name] = target
        return written
