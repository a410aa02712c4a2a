"""Snakemake script: write results/report.md and the self-contained results/report.html."""

import logging
from pathlib import Path

from xmem.reporting.report import write_report

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO)  # noqa: F821
write_report(snakemake.config, [Path(p) for p in snakemake.input.tables],  # noqa: F821
             [Path(p) for p in snakemake.input.figures],  # noqa: F821
             Path(snakemake.output.md), Path(snakemake.output.html),  # noqa: F821
             long_csv=Path(snakemake.input.long_table))  # noqa: F821
