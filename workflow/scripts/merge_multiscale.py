"""Snakemake script: merge the probabilities of multi-scale member runs into one prediction, then score it."""

import logging
import shutil
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(snakemake.scriptdir).parents[1]))  # noqa: F821 (the repository)

from xmem.inference.datasets import list_videos_from_args  # noqa: E402
from xmem.inference.merge import merge_video  # noqa: E402
from xmem.reporting.run_group import score_run, write_group_index  # noqa: E402
from xmem.utils.atomic import atomic_path  # noqa: E402

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO)  # noqa: F821
group_dir = Path(snakemake.output.index).parent  # noqa: F821
run_dir = group_dir / "o0"
shutil.rmtree(run_dir, ignore_errors=True)
member_runs = [Path(p).parent / "o0" for p in snakemake.input.members]  # noqa: F821
videos = list_videos_from_args(snakemake.params.palette_root)  # noqa: F821
for video in videos:
    n = merge_video(video, [m / "probs" for m in member_runs], run_dir / "masks")
    logging.info("%s: merged %d frames from %d runs", video.name, n, len(member_runs))
# timing of the merged prediction = the sum of its members' processing times
members = pd.concat([pd.read_csv(m / "stats" / "summary.csv") for m in member_runs])
summary = members.groupby("video").agg(frames=("frames", "max"), process_seconds=("process_seconds", "sum"),
                                       max_memory_bytes=("max_memory_bytes", "max")).reset_index()
summary["fps"] = summary["frames"] / summary["process_seconds"]
with atomic_path(run_dir / "stats" / "summary.csv") as tmp:
    summary.to_csv(tmp, index=False)
gt = snakemake.params.gt  # noqa: F821
if gt is not None:
    score_run(run_dir, gt, tuple(snakemake.params.eval_args))  # noqa: F821
write_group_index(Path(snakemake.output.index), [{"dataset": snakemake.wildcards.dataset, "offset": 0, "run": str(run_dir),  # noqa: F821
                                                   "scored": gt is not None}])
