# Inference: one run = one model on one dataset with one setting and memory-insertion offset.


rule infer:
    input:
        weights=lambda wc: weights_path(wc.model),
        data=lambda wc: data_ready(wc.dataset),
    output:
        masks=directory(f"{RESULTS}/runs/{{model}}/{{dataset}}/{{setting}}/o{{offset}}/masks"),
        stats=f"{RESULTS}/runs/{{model}}/{{dataset}}/{{setting}}/o{{offset}}/stats/summary.csv",
    params:
        model_kind=lambda wc: "stcn" if wc.model == "stcn" else "xmem",
        dataset=lambda wc: " ".join(layout(wc.dataset).infer_args),
        options=lambda wc: " ".join(P.infer_options(run_from_wildcards(wc), config)),
        probs=lambda wc: f"--save-probs {RESULTS}/runs/{wc.model}/{wc.dataset}/{wc.setting}/o{wc.offset}/probs"
        if wc.setting.startswith("ms_") else "",
        stats_dir=lambda wc, output: os.path.dirname(output.stats),
        device=config["device"],
    wildcard_constraints:
        model="|".join(P.MODELS),
        setting=r"(?!ms$)[A-Za-z0-9_\-]+",
        dataset=r"D16|D17|D17td|Y18|Y19|LV\d+",
        offset=r"\d+",
    log:
        f"{RESULTS}/logs/infer/{{model}}_{{dataset}}_{{setting}}_o{{offset}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/infer/{{model}}_{{dataset}}_{{setting}}_o{{offset}}.tsv"
    threads: INFER_THREADS
    resources:
        **config["inference"].get("resources", {}),
    shell:
        "xmem infer --model {params.model_kind} --weights {input.weights} {params.dataset} "
        "--out {output.masks} --stats-dir {params.stats_dir} {params.options} {params.probs} "
        "--device {params.device} --no-progress > {log} 2>&1"


rule first_frame_copy:
    input:
        data=lambda wc: data_ready(wc.dataset),
    output:
        masks=directory(f"{RESULTS}/runs/{P.COPY_MODEL}/{{dataset}}/default/o0/masks"),
    params:
        dataset=lambda wc: layout(wc.dataset).infer_args,
    log:
        f"{RESULTS}/logs/infer/copy_{{dataset}}.log",
    script:
        "../scripts/first_frame_copy.py"


rule merge_multiscale:
    input:
        members=lambda wc: [
            f"{RESULTS}/runs/{wc.model}/{wc.dataset}/{m}/o0/masks" for m in P.multiscale_members(wc.dataset, config)
        ],
        data=lambda wc: data_ready(wc.dataset),
    output:
        masks=directory(f"{RESULTS}/runs/{{model}}/{{dataset}}/ms/o0/masks"),
        stats=f"{RESULTS}/runs/{{model}}/{{dataset}}/ms/o0/stats/summary.csv",
    params:
        probs=lambda wc: [
            f"{RESULTS}/runs/{wc.model}/{wc.dataset}/{m}/o0/probs" for m in P.multiscale_members(wc.dataset, config)
        ],
        stats=lambda wc: [
            f"{RESULTS}/runs/{wc.model}/{wc.dataset}/{m}/o0/stats/summary.csv"
            for m in P.multiscale_members(wc.dataset, config)
        ],
        palette_root=lambda wc: layout(wc.dataset).infer_args,
    log:
        f"{RESULTS}/logs/infer/{{model}}_{{dataset}}_ms.log",
    script:
        "../scripts/merge_multiscale.py"


ruleorder: merge_multiscale > infer
