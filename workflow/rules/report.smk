# The report: results/report.md and a self-contained results/report.html, and every number of
# the tables in one long-format CSV (results/tables/results_long.csv, with its README).


rule long_table:
    input:
        tables=[f"{RESULTS}/tables/{name}.csv" for name in P.TABLE_NAMES],
    output:
        csv=f"{RESULTS}/tables/results_long.csv",
        readme=f"{RESULTS}/tables/README.md",
    log:
        f"{RESULTS}/logs/long_table.log",
    benchmark:
        f"{RESULTS}/benchmarks/long_table.tsv"
    resources:
        cpu_slots=1,
    script:
        "../scripts/make_long_table.py"


rule report:
    default_target: True
    input:
        tables=[f"{RESULTS}/tables/{name}.csv" for name in P.TABLE_NAMES],
        figures=[f"{RESULTS}/figures/{n}.png" for n in P.FIGURE_NAMES],
        long_table=rules.long_table.output.csv,
    output:
        md=f"{RESULTS}/report.md",
        html=f"{RESULTS}/report.html",
    log:
        f"{RESULTS}/logs/report.log",
    benchmark:
        f"{RESULTS}/benchmarks/report.tsv"
    script:
        "../scripts/make_report.py"
