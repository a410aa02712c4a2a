"""Snakemake script: merge the probabilities of multi-scale member runs into one prediction, then score it."""

import logging
import sys

from xmem.errors import XMemError
from xmem.experiments.execute import merge_multiscale

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO)  # noqa: F821
try:
    merge_multiscale(snakemake.params.job)  # noqa: F821
except XMemError as exc:
    logging.error("%s", exc)
    sys.exit(f"merge_multiscale: error: {exc}")
