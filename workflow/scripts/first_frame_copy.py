"""Snakemake script: the "copy the first-frame mask to every frame" lower bound."""

import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parents[1]))  # noqa: F821 (the repository)

from xmem.inference.baselines import copy_first_frame  # noqa: E402
from xmem.inference.datasets import list_videos_from_args  # noqa: E402

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO)  # noqa: F821
out = Path(snakemake.output.masks)  # noqa: F821
out.mkdir(parents=True, exist_ok=True)
for video in list_videos_from_args(snakemake.params.dataset):  # noqa: F821
    copy_first_frame(video, out)
    logging.info("%s: copied", video.name)
