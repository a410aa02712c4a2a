# Training: XMem, STCN and the retrained ablation variants (weights: train).


rule train:
    input:
        data=lambda wc: [f"{DATA}/synthetic/manifest.json"] if config["synthetic"]["enabled"] else [],
        config=lambda wc: os.path.join(config["training"]["config_dir"], config["training"]["models"][wc.model]),
    output:
        f"{RESULTS}/models/{{model}}/network.pth",
    params:
        out=lambda wc: f"{RESULTS}/models/{wc.model}",
        data_root=lambda wc: f"--set data.root={DATA}/synthetic" if config["synthetic"]["enabled"] else "",
        # real training sets given in the profile (datasets.static / datasets.bl30k) win over data.root
        data_sets=" ".join(f"--set data.{key}.root={os.path.abspath(config['datasets'][key])}"
                           for key in ("static", "bl30k")
                           if not config["synthetic"]["enabled"] and config["datasets"].get(key)),
        device=config["device"],
        overrides=" ".join(f"--set '{o}'" for o in config["training"].get("overrides", [])),
    wildcard_constraints:
        model=one_of(m for m in P.MODELS if m not in P.MAIN_MODELS),
    log:
        f"{RESULTS}/logs/train_{{model}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/train_{{model}}.tsv"
    threads: TRAIN_THREADS
    resources:
        cpu_slots=cpu_slots(TRAIN_THREADS),
        **config["training"].get("resources", {}),
    shell:
        f"{XMEM} train --config {{input.config}} --out {{params.out}} --set runtime.device={{params.device}} "
        "{params.data_root} {params.overrides} {params.data_sets} --resume --no-progress > {log} 2>&1"


# XMem and STCN first: most inference runs wait for them (the critical path of the workflow).
use rule train as train_main with:
    wildcard_constraints:
        model=one_of(P.MAIN_MODELS),
    priority: 10
