"""Job-seconds of Long-time Video inference that a workflow profile's plan runs, per table/figure.

Usage::

    PYTHONPATH=$PWD python benchmarks/lv_budget.py --config config/config.yaml --lengths 1500 \\
        --xmem-ms 49 --stcn-ms 50 --stcn-us-per-element 2.0 [--scenario all]

Counts the runs with the workflow's plan (``xmem.reporting.plan``: ``all_runs`` and
``group_runs``, read only): a Long-time Video job infers each offset once, on the longest n×
variant it needs (shorter ones are scored on the same masks); sparse insertion (STCN's Fig. 7
points) is a run per length. Frames of a job = sum over its offsets of n_max × (total frames of
the 1× videos). Seconds = frames × the measured per-frame time of the model (``--xmem-ms`` for
every XMem setting, ``--stcn-ms`` for STCN, ``--copy-ms`` for the first-frame copy), and for
STCN without a memory cap (``unbounded``: Fig. 1, Fig. S7) + ``--stcn-us-per-element`` × the
memory elements it reads on each frame (they grow by E per memory frame). Per-frame times come
from ``benchmarks/bench_lv_frame_time.py`` (CPU time per frame: what a job costs with a core of
its own).

``--scenario`` also prices knobs the plan does not have yet (see the printed descriptions):
they filter or rewrite the run list before grouping, exactly as the plan would have to.
"""

from __future__ import annotations

import argparse
import copy
from typing import Callable

import pandas as pd
import yaml

from xmem.memory.regime import elements_per_frame
from xmem.reporting.plan import (
    COPY_MODEL,
    Run,
    all_runs,
    build_figures,
    build_tables,
    expand_runs,
    group_runs,
    is_long,
    long_times,
)

Knob = Callable[[dict, list[Run]], tuple[dict, list[Run]]]


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
        needed = {run for run in _default_aliases(config, needed) if run in wanted}
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


# --------------------------------------------------------------------------- knobs
def _default_aliases(config: dict, runs: list[Run]) -> list[Run]:
    """Runs whose setting is the profile's default P / LT_max are the default run (today the plan
    recognises only the paper's 128 / 10,000; with scaled values it must compare with the profile's)."""
    memory = (config["inference"].get("memory") or {}).get("long_video") or {}
    aliases = {f"usage_p{memory.get('num_prototypes', 128)}", f"ltmax{memory.get('max_long_term_elements', 10000)}"}
    out = {Run(r.model, r.dataset, "default", r.offset) if r.setting in aliases else r: None for r in runs}
    return list(out)


def _only_table1_offsets(config: dict, runs: list[Run]) -> tuple[dict, list[Run]]:
    """All memory-insertion offsets only where Table 1 (and Fig. 1 right) read them; every other
    table (6, 7, S1, 4) uses offset 0 (the plan would need a per-table offsets setting)."""
    keep = set(_tables_and_figures(config)["table1_long_time_video"]) | set(
        _tables_and_figures(config)["fig1_short_vs_long"])
    return config, [run for run in runs if run.offset == 0 or run in keep]


def _fig7_to(n: int) -> Knob:
    def knob(config: dict, runs: list[Run]) -> tuple[dict, list[Run]]:
        config = copy.deepcopy(config)
        config["inference"]["long_times"] = list(range(1, n + 1))
        config["inference"]["stcn_long_times"] = [1, 3, n] if n > 3 else [1, n]
        return config, all_runs(config)
    knob.__doc__ = f"Fig. 7 up to {n}x (XMem 1..{n} from one run, STCN at 1, 3, {n})"
    return knob


def _table6_reduced(config: dict, runs: list[Run]) -> tuple[dict, list[Run]]:
    """Table 6: the P grid only for usage-based selection; random and k-means at the default P
    (the plan would need a selection x P subset)."""
    return config, [run for run in runs if not (run.setting.startswith(("random_p", "kmeans_p"))
                                                and not run.setting.endswith("_p128"))]


def _stcn_unbounded_lv1(config: dict, runs: list[Run]) -> tuple[dict, list[Run]]:
    """STCN without a memory cap on LV1 only (Fig. S7's STCN curve from the 1x video, fitted
    linearly as the paper does for its own STCN curve)."""
    return config, [Run(r.model, "LV1", r.setting, r.offset) if (r.model == "stcn" and r.setting == "unbounded")
                    else r for r in runs]


CONFIG_KNOBS = ("fig7_to_5",)  # change the config and rebuild the run list
KNOBS: dict[str, Knob] = {
    "table1_offsets_only": _only_table1_offsets,
    "fig7_to_5": _fig7_to(5),
    "table6_reduced": _table6_reduced,
    "stcn_unbounded_lv1": _stcn_unbounded_lv1,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", default="config/config.yaml")
    parser.add_argument("--lengths", nargs="+", type=int, required=True, help="frames of each 1x long video")
    parser.add_argument("--size", nargs=2, type=int, default=(128, 224), metavar=("H", "W"))
    parser.add_argument("--xmem-ms", type=float, required=True)
    parser.add_argument("--stcn-ms", type=float, required=True)
    parser.add_argument("--copy-ms", type=float, default=3.0)
    parser.add_argument("--stcn-us-per-element", type=float, default=0.0)
    parser.add_argument("--knobs", nargs="*", default=[], choices=sorted(KNOBS),
                        help="apply these knobs before counting")
    args = parser.parse_args()
    with open(args.config) as f:
        config = yaml.safe_load(f)
    runs = all_runs(config)
    for name in sorted(args.knobs, key=lambda k: k not in CONFIG_KNOBS):  # knobs that rebuild the plan first
        config, runs = KNOBS[name](config, runs)
        print(f"knob {name}: {KNOBS[name].__doc__.strip()}")
    runs = _default_aliases(config, runs)
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
