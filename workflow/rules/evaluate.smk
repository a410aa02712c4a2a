# Evaluation: J, F, J&F (DAVIS protocol; Long-time Video; YouTube-VOS seen/unseen, G).


rule evaluate:
    input:
        masks=f"{RESULTS}/runs/{{model}}/{{dataset}}/{{setting}}/o{{offset}}/masks",
        data=lambda wc: data_ready(wc.dataset),
    output:
        f"{RESULTS}/runs/{{model}}/{{dataset}}/{{setting}}/o{{offset}}/scores/global_results.csv",
    params:
        gt=lambda wc: layout(wc.dataset).gt,
        options=lambda wc: " ".join(layout(wc.dataset).eval_args),
        out=lambda wc, output: os.path.dirname(output[0]),
        processes=config.get("evaluation", {}).get("processes", 1),
    log:
        f"{RESULTS}/logs/evaluate/{{model}}_{{dataset}}_{{setting}}_o{{offset}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/evaluate/{{model}}_{{dataset}}_{{setting}}_o{{offset}}.tsv"
    threads: config.get("evaluation", {}).get("processes", 1)
    shell:
        "xmem evaluate --gt {params.gt} --pred {input.masks} --out {params.out} {params.options} "
        "--processes {params.processes} > {log} 2>&1"
