"""Snakemake script: merge the probabilities of multi-scale member runs into one prediction."""

import logging
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(snakemake.scriptdir).parents[1]))  # noqa: F821 (the repository)

from xmem.inference.datasets import list_videos_from_args  # noqa: E402
from xmem.inference.merge import merge_video  # noqa: E402
from xmem.utils.atomic import atomic_path  # noqa: E402

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO)  # noqa: F821
videos = list_videos_from_args(snakemake.params.palette_root)  # noqa: F821
prob_roots = [Path(p) for p in snakemake.params.probs]  # noqa: F821
out = Path(snakemake.output.masks)  # noqa: F821
out.mkdir(parents=True, exist_ok=True)
for video in videos:
    n = merge_video(video, prob_roots, out)
    logging.info("%s: merged %d frames from %d runs", video.name, n, len(prob_roots))
# timing of the merged prediction = the sum of its members' processing times
members = pd.concat([pd.read_csv(p) for p in snakemake.params.stats])  # noqa: F821
summary = members.groupby("video").agg(frames=("frames", "max"), process_seconds=("process_seconds", "sum"),
                                       max_memory_bytes=("max_memory_bytes", "max")).reset_index()
summary["fps"] = summary["frames"] / summary["process_seconds"]
with atomic_path(snakemake.output.stats) as tmp:  # noqa: F821
    summary.to_csv(tmp, index=False)
