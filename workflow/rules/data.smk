# Data: the synthetic benchmark and the n-times Long-time Video variants.


rule synth:
    output:
        f"{DATA}/synthetic/manifest.json",
    params:
        root=f"{DATA}/synthetic",
        config=config["synthetic"]["config"],
        seed=config["synthetic"]["seed"],
    log:
        f"{RESULTS}/logs/synth.log",
    benchmark:
        f"{RESULTS}/benchmarks/synth.tsv"
    threads: 2
    resources:
        cpu_slots=cpu_slots(2),
    shell:
        f"{XMEM} synth --out {{params.root}} --config {{params.config}} --seed {{params.seed}} "
        "--processes {threads} > {log} 2>&1"


rule extend_long_video:
    input:
        lambda wc: [f"{DATA}/synthetic/manifest.json"] if config["synthetic"]["enabled"] else [],
    output:
        f"{DATA}/lv{{times}}x/.complete",
    params:
        src=lambda wc: layout("LV1").data_root,
        dst=lambda wc: f"{DATA}/lv{wc.times}x",
    wildcard_constraints:
        times=r"\d+",
    log:
        f"{RESULTS}/logs/extend_{{times}}x.log",
    benchmark:
        f"{RESULTS}/benchmarks/extend_{{times}}x.tsv"
    shell:
        f"{XMEM} extend --src {{params.src}} --dst {{params.dst}} --times {{wildcards.times}} > {{log}} 2>&1 "
        "&& touch {output}"
