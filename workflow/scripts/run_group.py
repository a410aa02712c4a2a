"""Snakemake script: the runs of one (model, dataset, setting) group, inferred and scored in one process."""

import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parents[1]))  # noqa: F821 (the repository)

import torch  # noqa: E402

from xmem.errors import XMemError  # noqa: E402
from xmem.reporting.run_group import DatasetSpec, GroupJob, RunSpec, run_group  # noqa: E402

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO,  # noqa: F821
                    format="%(asctime)s %(levelname)s %(name)s: %(message)s", datefmt="%H:%M:%S")
torch.set_num_threads(max(1, snakemake.threads))  # noqa: F821
spec = snakemake.params.job  # noqa: F821
job = GroupJob(
    index=Path(snakemake.output.index),  # noqa: F821
    model_kind=spec["model_kind"],
    weights=str(snakemake.input.weights) if spec["model_kind"] else None,  # noqa: F821
    datasets={code: DatasetSpec(tuple(d["dataset_args"]), d["gt"], tuple(d["eval_args"]))
              for code, d in spec["datasets"].items()},
    runs=tuple(RunSpec(code, int(offset), tuple(options), Path(run_dir))
               for code, offset, options, run_dir in spec["runs"]),
    device=snakemake.params.device,  # noqa: F821
    save_probs=spec["save_probs"],
)
try:
    run_group(job)
except XMemError as exc:
    logging.error("%s", exc)
    sys.exit(f"run_group: error: {exc}")
