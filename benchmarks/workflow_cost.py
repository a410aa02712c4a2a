"""Where a workflow run's time went: job-seconds and CPU-seconds per kind of job.

Reads the ``benchmark:`` files every rule writes (``<results>/benchmarks/**/*.tsv``, Snakemake's
columns ``s`` = wall seconds of the job and ``cpu_time``) and prints one table per grouping: by
kind of job (data, training of the main models, training of the other models, Long-time Video
inference, short-video inference, tables / figures / report) and, for inference, by model. With
``--wall`` (the run's wall seconds, e.g. from ``/usr/bin/time``) it also prints the mean number of
jobs at once (job-seconds / wall). Disk use of the results and data directories is printed too.

    python benchmarks/workflow_cost.py --results results --data data --wall 7200
"""

from __future__ import annotations

import argparse
import re
import subprocess
from pathlib import Path

import pandas as pd

from xmem.experiments.plan import MAIN_MODELS, SHORT_DATASETS
from xmem.experiments.settings import is_long

_CODES = "|".join(sorted(SHORT_DATASETS, key=len, reverse=True))  # D17td before D17
#: runs/<model>_<dataset>_<setting>.tsv (workflow/rules/infer.smk; model names may contain
#: underscores, dataset codes do not; "LV" is a group of Long-time Video variants)
RUN_FILE = re.compile(rf"(?P<model>.+?)_(?P<dataset>{_CODES}|LV[0-9]*)_(?P<setting>.+)")


def job_kind(path: Path, root: Path) -> tuple[str, str]:
    """(kind, model) of one benchmark file."""
    rel = path.relative_to(root)
    if rel.parts[0] == "runs":
        match = RUN_FILE.fullmatch(path.stem)
        if match is None:
            return "inference (unparsed)", ""
        kind = "inference: Long-time Video" if is_long(match["dataset"]) else "inference: short videos"
        return kind, match["model"]
    if path.stem.startswith("train_"):
        model = path.stem[len("train_"):]
        return ("training: " + ("main models" if model in MAIN_MODELS else "other models")), model
    if path.stem == "synth" or path.stem.startswith("extend_"):
        return "data", ""
    return "tables, figures, report", ""


def read_costs(root: Path) -> pd.DataFrame:
    rows = []
    for path in sorted(root.rglob("*.tsv")):
        frame = pd.read_csv(path, sep="\t")
        kind, model = job_kind(path, root)
        rows.append({"file": str(path.relative_to(root)), "kind": kind, "model": model,
                     "job_s": float(frame["s"].sum()), "cpu_s": float(frame["cpu_time"].sum())})
    if not rows:
        raise SystemExit(f"{root}: no benchmark files; give the results directory of a workflow run (--results)")
    return pd.DataFrame(rows)


def summary(costs: pd.DataFrame, by: str) -> pd.DataFrame:
    table = costs.groupby(by).agg(jobs=("file", "count"), job_s=("job_s", "sum"), cpu_s=("cpu_s", "sum"))
    table["job_share_%"] = 100 * table["job_s"] / table["job_s"].sum()
    return table.sort_values("job_s", ascending=False).round(1)


def disk_use(path: Path) -> str:
    if not path.exists():
        return "absent"
    return subprocess.run(["du", "-sh", str(path)], capture_output=True, text=True).stdout.split()[0]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=Path("results"))
    parser.add_argument("--data", type=Path, default=Path("data"))
    parser.add_argument("--wall", type=float, default=None, help="wall seconds of the run")
    args = parser.parse_args(argv)
    costs = read_costs(args.results / "benchmarks")
    pd.set_option("display.width", 160)
    print(summary(costs, "kind").to_string())
    print()
    inference = costs[costs["kind"].str.startswith("inference")]
    print(summary(inference, "model").to_string())
    total_job, total_cpu = costs["job_s"].sum(), costs["cpu_s"].sum()
    print(f"\n{len(costs)} jobs: {total_job:,.0f} job-seconds, {total_cpu:,.0f} CPU-seconds")
    if args.wall:
        print(f"wall {args.wall:,.0f} s: {total_job / args.wall:.2f} jobs at once, "
              f"{total_cpu / args.wall:.2f} CPUs busy on average")
    print(f"disk: {args.results} {disk_use(args.results)}, {args.data} {disk_use(args.data)}")


if __name__ == "__main__":
    main()
