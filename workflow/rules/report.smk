# The report: results/report.md and a self-contained results/report.html.


rule report:
    default_target: True
    input:
        tables=[f"{RESULTS}/tables/{name}.csv" for name in P.TABLE_NAMES],
        figures=[f"{RESULTS}/figures/{n}.png" for n in P.FIGURE_NAMES],
    output:
        md=f"{RESULTS}/report.md",
        html=f"{RESULTS}/report.html",
    log:
        f"{RESULTS}/logs/report.log",
    benchmark:
        f"{RESULTS}/benchmarks/report.tsv"
    script:
        "../scripts/make_report.py"
