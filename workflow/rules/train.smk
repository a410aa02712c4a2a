# Training: XMem, STCN and the retrained ablation variants (weights: train).


rule train:
    input:
        data=lambda wc: [f"{DATA}/synthetic/manifest.json"] if config["synthetic"]["enabled"] else [],
        config=lambda wc: os.path.join(config["training"]["config_dir"], config["training"]["models"][wc.model]),
    output:
        f"{RESULTS}/models/{{model}}/network.pth",
    params:
        out=lambda wc: f"{RESULTS}/models/{wc.model}",
        data_root=lambda wc: f"{DATA}/synthetic" if config["synthetic"]["enabled"] else "",
        device=config["device"],
    wildcard_constraints:
        model="|".join(P.MODELS),
    log:
        f"{RESULTS}/logs/train_{{model}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/train_{{model}}.tsv"
    threads: TRAIN_THREADS
    resources:
        **config["training"].get("resources", {}),
    shell:
        "xmem train --config {input.config} --out {params.out} --device {params.device} "
        "$( [ -n '{params.data_root}' ] && echo --data-root {params.data_root} ) --resume --no-progress "
        "> {log} 2>&1"
