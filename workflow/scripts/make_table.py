"""Snakemake script: build one table CSV (paper rows + measured rows) from run results."""

import logging

from xmem.experiments.plan import build_tables
from xmem.reporting.tables import build_table, profile_table_inputs, write_table

config = snakemake.config  # noqa: F821
logging.basicConfig(filename=snakemake.log[0], level=logging.INFO)  # noqa: F821
spec = build_tables(config)[snakemake.wildcards.name]  # noqa: F821
table = build_table(spec, profile_table_inputs(config), config)
write_table(table, snakemake.output[0])  # noqa: F821
logging.info("wrote %s (%d rows)", snakemake.output[0], len(table))  # noqa: F821
