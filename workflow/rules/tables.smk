# Tables: one CSV per paper table in results/tables/, paper rows next to measured rows.
# Table names and target rules come from the plan (xmem.experiments.plan.TABLE_TARGETS).


rule make_table:
    input:
        lambda wc: table_inputs(wc.name),
    output:
        f"{RESULTS}/tables/{{name}}.csv",
    wildcard_constraints:
        name=one_of(P.TABLE_NAMES),
    log:
        f"{RESULTS}/logs/tables/{{name}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/tables/{{name}}.tsv"
    resources:
        cpu_slots=1,
    script:
        "../scripts/make_table.py"


for _target, _name in P.TABLE_TARGETS.items():

    rule:
        name:
            _target
        input:
            f"{RESULTS}/tables/{_name}.csv",


rule tables:
    input:
        [f"{RESULTS}/tables/{name}.csv" for name in P.TABLE_NAMES],
