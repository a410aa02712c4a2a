"""Snakemake script: draw one figure (see xmem.reporting.figures)."""

import logging
from pathlib import Path

from xmem.reporting.figures import draw_figure

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO)  # noqa: F821
draw_figure(snakemake.wildcards.name, snakemake.config, Path(snakemake.output[0]),  # noqa: F821
            threads=snakemake.threads)  # noqa: F821
