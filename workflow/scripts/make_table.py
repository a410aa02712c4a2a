"""Snakemake script: build one table CSV (paper rows + measured rows) from run results."""

import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parents[1]))  # noqa: F821 (the repository)

from xmem.reporting.plan import build_tables, is_long  # noqa: E402
from xmem.reporting.profile import dataset_layout  # noqa: E402
from xmem.reporting.tables import RunResults, build_table, write_table  # noqa: E402
from xmem.reporting.workflow_support import availability_checker, frame_hw_of  # noqa: E402

config = snakemake.config  # noqa: F821
logging.basicConfig(filename=snakemake.log[0], level=logging.INFO)  # noqa: F821
name = snakemake.wildcards.name  # noqa: F821
spec = build_tables(config)[name]
results = RunResults(Path(config["results"]), availability_checker(config), frame_hw_of(config))
table = build_table(spec, results, config)
write_table(table, snakemake.output[0])  # noqa: F821
logging.info("wrote %s (%d rows)", snakemake.output[0], len(table))  # noqa: F821
