"""Typed experiment specs: what the workflow runs, where it writes, and running it.

    paths     Run (model, dataset code, setting, offset) and RunPaths (a run folder's files)
    settings  named inference settings and the InferenceConfig of a run
    datasets  dataset codes of a profile: DatasetRef (reading), EvalSpec (scoring), availability
    profile   what a workflow profile provides (settings, weights, runs it can execute/score)
    plan      the tables' and figures' runs and cells; the workflow's target rules
    groups    run groups and their typed jobs (GroupJob, MultiscaleJob)
    execute   running a job: weights loaded once, runs inferred / derived and scored
"""
