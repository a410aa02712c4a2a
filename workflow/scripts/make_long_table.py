"""Snakemake script: every paper and measured number of the tables in one long-format CSV."""

import logging
from pathlib import Path

from xmem.reporting.long_table import long_table, write_long_table
from xmem.reporting.tables import profile_table_inputs

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO)  # noqa: F821
table = long_table(snakemake.config, profile_table_inputs(snakemake.config))  # noqa: F821
write_long_table(table, Path(snakemake.output.csv), Path(snakemake.output.readme))  # noqa: F821
logging.info("wrote %s (%d lines)", snakemake.output.csv, len(table))  # noqa: F821
