"""Snakemake script: write results/report.md and the self-contained results/report.html."""

import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parents[1]))  # noqa: F821 (the repository)

from xmem.reporting.report import write_report  # noqa: E402

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO)  # noqa: F821
write_report(snakemake.config, [Path(p) for p in snakemake.input.tables],  # noqa: F821
             [Path(p) for p in snakemake.input.figures],  # noqa: F821
             Path(snakemake.output.md), Path(snakemake.output.html))  # noqa: F821
