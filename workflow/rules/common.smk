# Shared helpers: profile, paths, the table plan, and which runs exist in this profile.
import os
import sys

sys.path.insert(0, workflow.basedir)  # the xmem package when not installed

from xmem.errors import XMemError
from xmem.reporting import plan as P
from xmem.reporting.profile import check_real_datasets, dataset_layout, model_weights_source
from xmem.reporting.workflow_support import run_availability, setting_enabled

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


RESULTS = config["results"]
DATA = config["data"]
TABLES = P.build_tables(config)
FIGURE_NEEDS = P.build_figures(config)
GROUP_RUNS = P.group_runs(P.all_runs(config))  # (model, dataset or LV, setting) -> the runs of one job
TABLE_RULES = {  # target rule name -> table file name
    "table1": "table1_long_time_video", "table2": "table2_short_video", "table3": "table3_davis17_testdev",
    "table4": "table4_memory_stores", "table5": "table5_scaling_terms", "table6": "table6_consolidation",
    "table7": "table7_long_video_strategies", "table8": "table8_deep_update", "tableS1": "tableS1_ltmax",
    "tableS2": "tableS2_stcn_retrained", "tableS3": "tableS3_youtubevos19", "tableS4": "tableS4_no_pretraining",
    "tableS5_S9": "tableS5_S9_training_data", "tableS10_S11": "tableS10_S11_multiscale",
}
FIGURES = {
    "fig1": ["fig1_memory_vs_quality", "fig1_short_vs_long"], "fig4": ["fig4_similarity"],
    "fig7": ["fig7_length_scaling"], "figS1": ["figS1_consolidation"], "figS3": ["figS3_qualitative"],
    "figS7": ["figS7_fps_scaling"],
}
INFER_THREADS = config["inference"].get("threads", 1)
TRAIN_THREADS = config["training"].get("threads", 2)
MAIN_MODELS = ("xmem", "stcn")


def layout(code):
    return dataset_layout(code, config)


def run_available(run):
    """Can this run be executed in this profile? (setting enabled, dataset present, weights available)"""
    if not setting_enabled(run.setting, config) or not layout(run.dataset).data_root:
        return False
    if run.model == P.COPY_MODEL or config["weights"] == "train":
        return True
    return model_weights_source(run.model, config)[0] is not None


def run_scorable(run):
    return run_availability(run, config)[0]


def group_file(run):
    """The completion marker of the job that runs every offset of ``run``'s (model, dataset, setting)."""
    model, dataset, setting = P.group_key(run)
    return f"{RESULTS}/runs/{model}/{dataset}/{setting}/runs.csv"


def table_inputs(name):
    """Run-group markers of every run the table needs that this profile can provide."""
    return sorted({group_file(run) for run in TABLES[name].runs() if run_available(run)})


def weights_path(model):
    if config["weights"] == "official":
        path, reason = model_weights_source(model, config)
        if path is None:
            raise WorkflowError(reason)
        return path
    return f"{RESULTS}/models/{model}/network.pth"


def data_ready(code):
    """Files whose existence means the dataset is complete on disk."""
    lay = layout(code)
    if config["synthetic"]["enabled"]:
        ready = [f"{DATA}/synthetic/manifest.json"]
    else:
        ready = []
    if lay.source:
        ready.append(f"{lay.data_root}/.complete")
    return ready


def group_job(wildcards):
    """Parameters of the job of group (model, dataset or LV, setting): its runs, data and scoring."""
    key = (wildcards.model, wildcards.dataset, wildcards.setting)
    if key not in GROUP_RUNS:
        raise WorkflowError(f"no table or figure needs runs of {'/'.join(key)}; see xmem/reporting/plan.py")
    runs = GROUP_RUNS[key]
    datasets = {}
    for code in sorted({r.dataset for r in runs}):
        lay = layout(code)
        scorable = run_scorable(P.Run(wildcards.model, code, wildcards.setting))
        datasets[code] = {"dataset_args": lay.infer_args, "gt": lay.gt if scorable else None,
                          "eval_args": lay.eval_args}
    kind = None if wildcards.model == P.COPY_MODEL else ("stcn" if wildcards.model == "stcn" else "xmem")
    return {
        "model_kind": kind,
        "datasets": datasets,
        "runs": [(r.dataset, r.offset, P.infer_options(r, config), f"{RESULTS}/{r.path}") for r in runs],
        "save_probs": wildcards.setting.startswith("ms_"),
    }


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
