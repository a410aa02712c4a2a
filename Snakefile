# XMem reproduction workflow: `snakemake --cores 8 report` regenerates every table and figure.
# Profiles: config/config.yaml (default, synthetic, CPU), config/smoke.yaml (CI, minutes),
# config/paper.yaml (real datasets, paper hyperparameters, GPUs).
import os

from snakemake.utils import min_version, validate

min_version("9.0")


configfile: os.path.join(workflow.basedir, "config", "config.yaml")


validate(config, os.path.join(workflow.basedir, "workflow", "schemas", "config.schema.yaml"))


include: "workflow/rules/common.smk"


# After a kill -9, Snakemake's lock files would block the rerun until --unlock: they are removed
# when no run of this workflow is alive on the directory (docs/workflow.md, "After a kill").
if workflow.is_main_process:
    from snakemake.logging import logger
    from xmem.utils.locks import hold_snakemake_directory

    RUN_LOCK, STALE_LOCKS = hold_snakemake_directory(".snakemake")
    if STALE_LOCKS:
        logger.warning(f"removed {len(STALE_LOCKS)} stale Snakemake lock file(s) left by a killed run")


include: "workflow/rules/data.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/infer.smk"
include: "workflow/rules/tables.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/report.smk"


# The report's wall time starts here (not on dry runs, not when nothing is to be done):
# xmem.reporting.wall_time, docs/workflow.md "The report".
onstart:
    from xmem.reporting.wall_time import write_start_marker

    write_start_marker(RESULTS)
