# The report: results/report.md and a self-contained results/report.html.


rule report:
    default_target: True
    input:
        tables=[f"{RESULTS}/tables/{name}.csv" for name in TABLE_RULES.values()],
        figures=[f"{RESULTS}/figures/{n}.png" for names in FIGURES.values() for n in names],
    output:
        md=f"{RESULTS}/report.md",
        html=f"{RESULTS}/report.html",
    log:
        f"{RESULTS}/logs/report.log",
    script:
        "../scripts/make_report.py"
