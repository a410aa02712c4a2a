# Shared helpers: profile, paths, the plan (xmem.experiments) and which runs exist in this profile.
import os
import sys

from xmem.errors import XMemError
from xmem.experiments import groups as G
from xmem.experiments import plan as P
from xmem.experiments.datasets import check_real_datasets, dataset_layout
from xmem.experiments.paths import GROUP_MARKER_PATTERN, group_marker
from xmem.experiments.profile import COPY_MODEL, RELEASED_STCN, run_availability, run_unavailable, weights_path as profile_weights
from xmem.experiments.settings import MULTISCALE
from xmem.experiments.plan import multiscale_members


def _repo_path(path):
    """Configuration files are named relative to the repository, whatever the working directory."""
    return path if os.path.isabs(path) else os.path.join(workflow.basedir, path)


config["synthetic"]["config"] = _repo_path(config["synthetic"]["config"])
config["training"]["config_dir"] = _repo_path(config["training"]["config_dir"])

try:
    check_real_datasets(config)
except XMemError as exc:
    raise WorkflowError(str(exc))

_local_cpus = config.get("local_cpus", "auto")
if _local_cpus is not None:  # --resources cpu_slots=N on the command line wins
    workflow.global_resources.setdefault(
        "cpu_slots", len(os.sched_getaffinity(0)) if _local_cpus == "auto" else int(_local_cpus))

CPU_SLOTS = workflow.global_resources.get("cpu_slots")
CPU_SLOTS = getattr(CPU_SLOTS, "value", CPU_SLOTS)  # snakemake wraps resource values
CPU_SLOTS = None if CPU_SLOTS is None else int(CPU_SLOTS)


def cpu_slots(threads):
    """A heavy job's share of the local CPU budget (never more than the budget itself)."""
    return threads if CPU_SLOTS is None else min(threads, CPU_SLOTS)


XMEM = f"{sys.executable} -m xmem"  # the package of the interpreter that runs Snakemake
RESULTS = config["results"]
DATA = config["data"]
TABLES = P.build_tables(config)
FIGURE_NEEDS = P.build_figures(config)
GROUP_RUNS = G.group_runs(P.all_runs(config))  # (model, dataset or LV, setting) -> the runs of one job
GROUP_DATASETS = sorted({key[1] for key in GROUP_RUNS})  # dataset codes (and "LV") of the run groups
INFER_THREADS = config["inference"].get("threads", 1)
TRAIN_THREADS = config["training"].get("threads", 2)


def one_of(names):
    """A wildcard constraint matching exactly ``names``."""
    return "|".join(sorted(set(names), key=len, reverse=True)) or "(?!)"


def layout(code):
    return dataset_layout(code, config)


def run_available(run):
    """Can this run be executed in this profile? (setting enabled, dataset present, weights available)"""
    return not run_unavailable(run, config)


def run_scorable(run):
    return run_availability(run, config)[0]


def group_file(run):
    """The completion marker of the job that runs every offset of ``run``'s (model, dataset, setting)."""
    return group_marker(RESULTS, G.group_key(run))


def table_inputs(name):
    """Run-group markers of every run the table needs that this profile can provide."""
    return sorted({group_file(run) for run in TABLES[name].runs() if run_available(run)})


def weights_path(model):
    try:
        return profile_weights(model, config)
    except XMemError as exc:
        raise WorkflowError(str(exc))


def data_ready(code):
    """Files whose existence means the dataset is complete on disk."""
    lay = layout(code)
    ready = [f"{DATA}/synthetic/manifest.json"] if config["synthetic"]["enabled"] else []
    if lay.source:
        ready.append(f"{lay.data_root}/.complete")
    return ready


def group_runs_of(wildcards):
    key = (wildcards.model, wildcards.dataset, wildcards.setting)
    if key not in GROUP_RUNS:
        raise WorkflowError(f"no table or figure needs runs of {'/'.join(key)}; see xmem/experiments/plan.py")
    return GROUP_RUNS[key]


def group_job(wildcards):
    """The typed job of group (model, dataset or LV, setting): its runs, data and scoring."""
    weights = None if wildcards.model == COPY_MODEL else weights_path(wildcards.model)
    try:
        return G.group_job(config, group_runs_of(wildcards), weights)
    except XMemError as exc:
        raise WorkflowError(str(exc))


def group_data(wildcards):
    return sorted({f for r in GROUP_RUNS.get((wildcards.model, wildcards.dataset, wildcards.setting), ())
                   for f in data_ready(r.dataset)})


def need_files(need):
    run = need.run
    if need.kind == "scores" and not run_scorable(run):
        return []
    return [group_file(run)] if run_available(run) else []


def figure_inputs(name):
    return sorted({f for n in FIGURE_NEEDS[name] for f in need_files(n)})
