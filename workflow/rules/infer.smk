# Runs: one job per group infers every run the tables and figures need and scores it (J, F, J&F;
# Long-time Video; YouTube-VOS seen/unseen, G). A group is (model, dataset, setting) with all its
# memory-insertion offsets; every Long-time Video length of a (model, setting) is one group, "LV".
# Layout: runs/<model>/<dataset>/<setting>/o<offset>/{masks,stats,scores} (xmem.experiments.paths);
# the group's .complete marker last.
MULTISCALE_DATASETS = sorted({key[1] for key in GROUP_RUNS if key[2] == MULTISCALE})


rule run_group:
    input:
        weights=lambda wc: [] if wc.model == COPY_MODEL else weights_path(wc.model),
        data=group_data,
    output:
        marker=f"{RESULTS}/{GROUP_MARKER_PATTERN}",
    params:
        job=group_job,
    wildcard_constraints:
        model=one_of(P.MODELS + (COPY_MODEL, RELEASED_STCN)),
        setting=one_of(key[2] for key in GROUP_RUNS if key[2] != MULTISCALE),
        dataset=one_of(GROUP_DATASETS),
    log:
        f"{RESULTS}/logs/runs/{{model}}_{{dataset}}_{{setting}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/runs/{{model}}_{{dataset}}_{{setting}}.tsv"
    threads: INFER_THREADS
    resources:
        cpu_slots=cpu_slots(INFER_THREADS),
        **config["inference"].get("resources", {}),
    script:
        "../scripts/run_group.py"


rule merge_multiscale:
    input:
        members=lambda wc: [group_marker(RESULTS, (wc.model, wc.dataset, m)) for m in multiscale_members(wc.dataset, config)],
        data=lambda wc: data_ready(wc.dataset),
    output:
        marker=f"{RESULTS}/" + GROUP_MARKER_PATTERN.replace("{setting}", MULTISCALE),
    params:
        job=lambda wc: G.multiscale_job(config, wc.model, wc.dataset),
    wildcard_constraints:
        dataset=one_of(MULTISCALE_DATASETS),
    log:
        f"{RESULTS}/logs/runs/{{model}}_{{dataset}}_ms.log",
    benchmark:
        f"{RESULTS}/benchmarks/runs/{{model}}_{{dataset}}_ms.tsv"
    resources:
        cpu_slots=1,
    script:
        "../scripts/merge_multiscale.py"


ruleorder: merge_multiscale > run_group
