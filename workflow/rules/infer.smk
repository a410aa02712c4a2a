# Runs: one job per group infers every run the tables and figures need and scores it (J, F, J&F;
# Long-time Video; YouTube-VOS seen/unseen, G). A group is (model, dataset, setting) with all its
# memory-insertion offsets; every Long-time Video length of a (model, setting) is one group, "LV".
# Layout: runs/<model>/<dataset>/<setting>/o<offset>/{masks,stats,scores}; the group's runs.csv last.


rule run_group:
    input:
        weights=lambda wc: [] if wc.model == P.COPY_MODEL else weights_path(wc.model),
        data=group_data,
    output:
        index=f"{RESULTS}/runs/{{model}}/{{dataset}}/{{setting}}/runs.csv",
    params:
        job=group_job,
        device=config["device"],
    wildcard_constraints:
        model="|".join(P.MODELS + (P.COPY_MODEL,)),
        setting=r"(?!ms$)[A-Za-z0-9_\-]+",
        dataset=r"D16|D17|D17td|Y18|Y19|LV\d*",
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
        members=lambda wc: [
            f"{RESULTS}/runs/{wc.model}/{wc.dataset}/{m}/runs.csv" for m in P.multiscale_members(wc.dataset, config)
        ],
        data=lambda wc: data_ready(wc.dataset),
    output:
        index=f"{RESULTS}/runs/{{model}}/{{dataset}}/ms/runs.csv",
    params:
        palette_root=lambda wc: layout(wc.dataset).infer_args,
        gt=lambda wc: layout(wc.dataset).gt if run_scorable(P.Run(wc.model, wc.dataset, "ms")) else None,
        eval_args=lambda wc: layout(wc.dataset).eval_args,
    wildcard_constraints:
        dataset=r"D16|D17|D17td|Y18|Y19",
    log:
        f"{RESULTS}/logs/runs/{{model}}_{{dataset}}_ms.log",
    benchmark:
        f"{RESULTS}/benchmarks/runs/{{model}}_{{dataset}}_ms.tsv"
    resources:
        cpu_slots=1,
    script:
        "../scripts/merge_multiscale.py"


ruleorder: merge_multiscale > run_group
