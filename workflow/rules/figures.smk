# Figures: PNGs in results/figures/, drawn from the runs' scores, timings and masks.
# Figure names and target rules come from the plan (xmem.experiments.plan.FIGURE_TARGETS).


rule make_figure:
    input:
        runs=lambda wc: figure_inputs(wc.name),
        weights=lambda wc: [weights_path("xmem")] if wc.name == "figS1_consolidation" else [],
        data=lambda wc: data_ready("LV1") if wc.name in ("figS1_consolidation", "figS3_qualitative", "timeline_lv1") else [],
    output:
        f"{RESULTS}/figures/{{name}}.png",
    wildcard_constraints:
        name=one_of(P.FIGURE_NAMES),
    log:
        f"{RESULTS}/logs/figures/{{name}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/figures/{{name}}.tsv"
    resources:
        cpu_slots=1,
    script:
        "../scripts/make_figure.py"


for _target, _names in P.FIGURE_TARGETS.items():

    rule:
        name:
            _target
        input:
            [f"{RESULTS}/figures/{n}.png" for n in _names],


rule figures:
    input:
        [f"{RESULTS}/figures/{n}.png" for n in P.FIGURE_NAMES],
