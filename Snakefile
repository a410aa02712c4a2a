# XMem reproduction workflow: `snakemake --cores 8 report` regenerates every table and figure.
# Profiles: config/config.yaml (default, synthetic, CPU), config/smoke.yaml (CI, minutes),
# config/paper.yaml (real datasets, paper hyperparameters, GPUs).
import os

from snakemake.utils import min_version, validate

min_version("9.0")


configfile: os.path.join(workflow.basedir, "config", "config.yaml")


validate(config, os.path.join(workflow.basedir, "workflow", "schemas", "config.schema.yaml"))


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/infer.smk"
include: "workflow/rules/tables.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/report.smk"
