"""Snakemake script: draw one figure (see xmem.reporting.figures)."""

import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parents[1]))  # noqa: F821 (the repository)

from xmem.reporting.figures import draw_figure  # noqa: E402

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO)  # noqa: F821
draw_figure(snakemake.wildcards.name, snakemake.config, Path(snakemake.output[0]),  # noqa: F821
            threads=snakemake.threads)  # noqa: F821
