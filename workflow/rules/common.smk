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

RESULTS = config["results"]
DATA = config["data"]
TABLES = P.build_tables(config)
FIGURE_NEEDS = P.build_figures(config)
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


def run_dir(run):
    return f"{RESULTS}/{run.path}"


def scores_file(run):
    return f"{run_dir(run)}/scores/global_results.csv"


def stats_file(run):
    return f"{run_dir(run)}/stats/summary.csv"


def table_inputs(name):
    """Score and timing files of every run the table needs that this profile can provide."""
    files = []
    for run in TABLES[name].runs():
        if run_scorable(run):
            files.append(scores_file(run))
        if run_available(run) and run.model != P.COPY_MODEL:
            files.append(stats_file(run))
    return sorted(set(files))


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


def run_from_wildcards(wildcards):
    return P.Run(wildcards.model, wildcards.dataset, wildcards.setting, int(wildcards.offset))


def need_files(need):
    run = need.run
    if need.kind == "scores":
        return [scores_file(run)] if run_scorable(run) else []
    if not run_available(run):
        return []
    if need.kind == "stats":
        return [stats_file(run)]
    return [f"{run_dir(run)}/masks"]


def figure_inputs(name):
    return sorted({f for n in FIGURE_NEEDS[name] for f in need_files(n)})
