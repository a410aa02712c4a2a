# Tables: one CSV per paper table in results/tables/, paper rows next to measured rows.


rule make_table:
    input:
        lambda wc: table_inputs(wc.name),
    output:
        f"{RESULTS}/tables/{{name}}.csv",
    wildcard_constraints:
        name="|".join(TABLE_RULES.values()),
    log:
        f"{RESULTS}/logs/tables/{{name}}.log",
    script:
        "../scripts/make_table.py"


for _target, _name in TABLE_RULES.items():

    rule:
        name:
            _target
        input:
            f"{RESULTS}/tables/{_name}.csv",


rule tables:
    input:
        [f"{RESULTS}/tables/{name}.csv" for name in TABLE_RULES.values()],
