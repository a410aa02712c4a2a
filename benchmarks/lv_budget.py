"""Job-seconds of Long-time Video inference that a workflow profile's plan runs, per table/figure.

Usage::

    PYTHONPATH=$PWD python benchmarks/lv_budget.py --config config/config.yaml --lengths 1300 --size 80 144 \\
        --xmem-ms 31.9 --stcn-ms 30.3 --stcn-us-per-element 1.7 [--set inference.offsets_for=null ...]

Counts the runs with the workflow's plan (``xmem.experiments.plan``: ``all_runs`` and
``group_runs``, read only): a Long-time Video job infers each offset once, on the longest n×
variant it needs (shorter ones are scored on the same masks); sparse insertion (STCN's Fig. 7
points) is a run per length. Frames of a job = sum over its offsets of n_max × (total frames of
the 1× videos). Seconds = frames × the measured per-frame time of the model (``--xmem-ms`` for
every XMem setting, ``--stcn-ms`` for STCN, ``--copy-ms`` for the first-frame copy), and for
STCN without a memory cap (``unbounded``: Fig. 1, Fig. S7) + ``--stcn-us-per-element`` × the
memory elements it reads on each frame (they grow by E per memory frame). Per-frame times come
from ``benchmarks/bench_lv_frame_time.py`` (CPU time per frame: what a job costs with a core of
its own).

``--set KEY=VALUE`` prices a variant of the profile (e.g. without its budget settings
``inference.offsets_for``, ``prototype_grid_selections``, ``stcn_unbounded_dataset``, or with
other ``long_times``), through the same plan.
"""

from __future__ import annotations

import argparse
import copy
import pandas as pd
import yaml

from xmem.memory.regime import elements_per_frame
from xmem.experiments.groups import group_runs
from xmem.experiments.paths import Run
from xmem.experiments.plan import all_runs, build_figures, build_tables, expand_runs
from xmem.experiments.profile import COPY_MODEL
from xmem.experiments.settings import is_long, long_times


def _tables_and_figures(config: dict) -> dict[str, list[Run]]:
    needs = {name: spec.runs() for name, spec in build_tables(config).items()}
    needs.update({name: [n.run for n in ns] for name, ns in build_figures(config).items()})
    return {name: [r for r in expand_runs(runs, config) if is_long(r.dataset)] for name, runs in needs.items()}


def _job_seconds(key: tuple[str, str, str], runs: tuple[Run, ...], frames_1x: int, elements: int, r: int,
                 args: argparse.Namespace) -> tuple[int, float]:
    model, _, setting = key
    per_frame = {COPY_MODEL: args.copy_ms, "stcn": args.stcn_ms}.get(model, args.xmem_ms) / 1000
    frames, seconds = 0, 0.0
    for offset in sorted({run.offset for run in runs}):
        n = max(long_times(run.dataset) for run in runs if run.offset == offset)
        length = n * frames_1x
        frames += length
        seconds += length * per_frame
        if model == "stcn" and setting == "unbounded":  # memory grows by E every r frames
            for video in args.lengths:
                total = n * video
                seconds += args.stcn_us_per_element * 1e-6 * elements * total * total / (2 * r)
    return frames, seconds


def budget(config: dict, runs: list[Run], args: argparse.Namespace) -> tuple[pd.DataFrame, pd.DataFrame]:
    frames_1x = sum(args.lengths)
    elements = elements_per_frame(*args.size)
    r = config["inference"]["mem_every_long"]
    groups = group_runs([run for run in runs if is_long(run.dataset)])
    jobs = []
    for key, members in groups.items():
        frames, seconds = _job_seconds(key, members, frames_1x, elements, r, args)
        jobs.append({"model": key[0], "setting": key[2], "group": key[1],
                     "offsets": len({m.offset for m in members}),
                     "n_max": max(long_times(m.dataset) for m in members), "frames": frames, "job_s": seconds})
    jobs = pd.DataFrame(jobs).sort_values("job_s", ascending=False)
    wanted = set(runs)
    users: dict[tuple[str, str, str], set[str]] = {}
    for name, needed in _tables_and_figures(config).items():
        needed = {run for run in needed if run in wanted}
        for key, members in groups.items():
            if needed.intersection(members):
                users.setdefault(key, set()).add(name)
    jobs["used_by"] = [len(users.get((m, g, s), ())) for m, g, s in zip(jobs["model"], jobs["group"], jobs["setting"])]
    rows = []
    for name in dict.fromkeys(n for names in users.values() for n in sorted(names)):
        mine = [name in users.get((m, g, s), ()) for m, g, s in zip(jobs["model"], jobs["group"], jobs["setting"])]
        sel = jobs[mine]
        alone = sel[sel["used_by"] == 1]
        rows.append({"table/figure": name, "jobs": len(sel), "job_s (all its jobs)": round(float(sel["job_s"].sum())),
                     "job_s (jobs only it needs)": round(float(alone["job_s"].sum()))})
    per_table = pd.DataFrame(rows).sort_values("table/figure")
    return jobs, per_table


# --------------------------------------------------------------------------- overrides
def apply_override(config: dict, assignment: str) -> dict:
    """``config`` with ``KEY=VALUE`` applied (dotted KEY, VALUE in YAML; ``null`` removes the key)."""
    key, sep, text = assignment.partition("=")
    if not sep:
        raise SystemExit(f"--set {assignment}: expected KEY=VALUE, e.g. inference.offsets_for=null")
    config = copy.deepcopy(config)
    *parents, leaf = key.split(".")
    node = config
    for name in parents:
        node = node.setdefault(name, {})
    value = yaml.safe_load(text)
    if value is None:
        node.pop(leaf, None)
    else:
        node[leaf] = value
    return config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", default="config/config.yaml")
    parser.add_argument("--lengths", nargs="+", type=int, required=True, help="frames of each 1x long video")
    parser.add_argument("--size", nargs=2, type=int, default=(128, 224), metavar=("H", "W"))
    parser.add_argument("--xmem-ms", type=float, required=True)
    parser.add_argument("--stcn-ms", type=float, required=True)
    parser.add_argument("--copy-ms", type=float, default=3.0)
    parser.add_argument("--stcn-us-per-element", type=float, default=0.0)
    parser.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE",
                        help="override profile keys before counting (YAML values; null removes a key), e.g. "
                             "inference.offsets_for=null to price the paper's protocol")
    args = parser.parse_args()
    with open(args.config) as f:
        config = yaml.safe_load(f)
    for assignment in args.set:
        config = apply_override(config, assignment)
        print(f"--set {assignment}")
    runs = all_runs(config)
    jobs, per_table = budget(config, runs, args)
    pd.set_option("display.width", 200)
    print(f"\nLong-time Video jobs ({sum(args.lengths)} frames at 1x in {len(args.lengths)} video(s), "
          f"{args.size[0]}x{args.size[1]}; XMem {args.xmem_ms} ms, STCN {args.stcn_ms} ms per frame):")
    print(jobs.to_string(index=False, float_format=lambda v: f"{v:.0f}"))
    print(f"\ntotal: {len(jobs)} jobs, {int(jobs['frames'].sum())} frames, {jobs['job_s'].sum():.0f} job-seconds")
    print("\nper table / figure (a job several of them read is counted in each; "
          "'only it needs': saved by dropping it):")
    print(per_table.to_string(index=False))


if __name__ == "__main__":
    main()
