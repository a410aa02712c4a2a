# Training: XMem, STCN and the retrained ablation variants (weights: train).
# training.shared_static {variant: source}: the variant trains its stages after the static one alone,
# from the static-stage weights of source (saved as network_static.pth next to source's network.pth).

from xmem.training.config import load_config as load_training_config


def static_source_weights(model):
    """The network.pth of the model whose static stage ``model`` starts from (none: [])."""
    source = P.shared_static(config).get(model)
    return [f"{RESULTS}/models/{source}/network.pth"] if source else []


def static_sharing_overrides(model):
    """--set options of a model that shares a static stage (as the variant or as the source)."""
    sharing = P.shared_static(config)
    options = []
    if model in sharing:
        path = os.path.join(config["training"]["config_dir"], config["training"]["models"][model])
        later = [stage for stage in load_training_config(path, check_paths=False).stages if stage != "static"]
        options += [f"stages=[{','.join(later)}]", f"init_weights={RESULTS}/models/{sharing[model]}/network_static.pth"]
    if model in sharing.values():
        options.append("runtime.save_stage_networks=true")
    return " ".join(f"--set '{o}'" for o in options)



rule train:
    input:
        data=lambda wc: [f"{DATA}/synthetic/manifest.json"] if config["synthetic"]["enabled"] else [],
        config=lambda wc: os.path.join(config["training"]["config_dir"], config["training"]["models"][wc.model]),
        static_from=lambda wc: static_source_weights(wc.model),
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
        sharing=lambda wc: static_sharing_overrides(wc.model),
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
        "{params.data_root} {params.overrides} {params.data_sets} {params.sharing} --resume --no-progress > {log} 2>&1"


# XMem and STCN first: most inference runs wait for them (the critical path of the workflow).
use rule train as train_main with:
    wildcard_constraints:
        model=one_of(P.MAIN_MODELS),
    priority: 10
