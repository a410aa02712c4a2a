"""Snakemake script: the runs of one (model, dataset, setting) group, inferred and scored in one process."""

import logging
import sys

import torch

from xmem.errors import XMemError
from xmem.experiments.execute import run_group

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO,  # noqa: F821
                    format="%(asctime)s %(levelname)s %(name)s: %(message)s", datefmt="%H:%M:%S")
torch.set_num_threads(max(1, snakemake.threads))  # noqa: F821
try:
    run_group(snakemake.params.job)  # noqa: F821
except XMemError as exc:
    logging.error("%s", exc)
    sys.exit(f"run_group: error: {exc}")
