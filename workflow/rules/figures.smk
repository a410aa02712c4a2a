# Figures: PNGs in results/figures/, drawn from the runs' scores, timings and masks.
# Figure names and target rules come from the plan (xmem.experiments.plan.FIGURE_TARGETS).


def figure_data(name):
    """Dataset files a figure reads itself: Fig. S1 runs XMem on LV1 (else LV3), Fig. S3 shows LV3
    frames, the timeline reads LV1's absences (the synthetic manifest)."""
    codes = {"figS1_consolidation": ("LV1", "LV3"), "figS3_qualitative": ("LV3",), "timeline_lv1": ("LV1",)}.get(name, ())
    return sorted({f for code in codes for f in data_ready(code)})


rule make_figure:
    input:
        runs=lambda wc: figure_inputs(wc.name),
        weights=lambda wc: [weights_path("xmem")] if wc.name == "figS1_consolidation" else [],
        data=lambda wc: figure_data(wc.name),
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
