"""``xmem synth``: generate the embedded synthetic benchmark, or describe its memory regime.

Examples::

    xmem synth --out data/synth --config config/synth/default.yaml --seed 0 --processes 2
    xmem synth --describe config/config.yaml [--out data/synthetic]

``--describe PROFILE`` prints the memory regime of a workflow profile (its ``inference``
settings and the synthetic profile named by ``synthetic.config``, or ``--config``) next to the
paper's, without generating anything: from the generated data when ``--out`` holds a benchmark
(its ``manifest.json``), else from the configuration (docs/datasets.md, "The memory regime").
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import yaml

from xmem.data.synth.benchmark import DATASET_NAMES, MANIFEST_NAME, generate_benchmark
from xmem.data.synth.config import load_synth_config
from xmem.errors import XMemError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", help="output root (created atomically; an earlier benchmark there is replaced); "
                                      "with --describe: a generated benchmark to read the facts from")
    parser.add_argument("--config", default=None, help="YAML profile (default: the built-in default profile, "
                                                       "= config/synth/default.yaml)")
    parser.add_argument("--seed", type=int, default=None, help="random seed (same seed, same bytes; default 0, "
                                                               "with --describe the profile's synthetic.seed)")
    parser.add_argument("--only", nargs="+", choices=DATASET_NAMES, metavar="NAME",
                        help=f"generate only these datasets: {', '.join(DATASET_NAMES)}")
    parser.add_argument("--processes", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument("--describe", metavar="PROFILE", type=Path,
                        help="print the memory regime of a workflow profile (e.g. config/config.yaml) next to "
                             "the paper's, and exit")


def _read_yaml(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise XMemError(f"{path}: workflow profile not found; pass e.g. --describe config/config.yaml") from None
    except yaml.YAMLError as exc:
        raise XMemError(f"{path}: invalid YAML ({' '.join(str(exc).split())}); fix the syntax") from None
    if not isinstance(data, dict) or not isinstance(data.get("inference"), dict):
        raise XMemError(f"{path}: not a workflow profile (no 'inference' section); pass e.g. config/config.yaml")
    return data


def describe(args: argparse.Namespace) -> str:
    """The regime report of ``args.describe`` (markdown)."""
    from xmem.data.synth.regime_facts import profile_regime
    from xmem.memory.regime import regime_rows, render_markdown

    profile = _read_yaml(args.describe)
    synthetic = profile.get("synthetic") or {}
    config_path = args.config or synthetic.get("config")
    config = load_synth_config(config_path)
    seed = args.seed if args.seed is not None else int(synthetic.get("seed", 0))
    manifest = None
    if args.out:
        path = Path(args.out) / MANIFEST_NAME
        if not path.is_file():
            raise XMemError(f"{args.out}: no {MANIFEST_NAME} (not a generated benchmark); generate it with "
                            f"`xmem synth --out {args.out}` or drop --out to describe the configuration")
        manifest = json.loads(path.read_text())
    name = str(profile.get("profile", "profile"))
    from xmem.experiments.element_counts import key_stride  # the workflow's side: only --describe needs it

    inputs = profile_regime(profile["inference"], config, seed, manifest, name=name,
                            key_stride=key_stride("xmem", profile))
    source = f"generated data in {args.out}" if manifest is not None else "the configuration (not generated)"
    lines = [f"Memory regime of {args.describe} (synthetic profile {config_path or 'built-in default'}, seed {seed}); "
             f"facts from {source}:", "", render_markdown(regime_rows(inputs), name)]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    if args.describe is not None:
        print(describe(args), end="")
        return 0
    if not args.out:
        raise XMemError("--out is required (the output root), unless --describe is given")
    config = load_synth_config(args.config)
    seed = 0 if args.seed is None else args.seed
    start = time.perf_counter()
    manifest = generate_benchmark(args.out, config, seed, only=args.only, processes=args.processes)
    for name, counts in manifest["datasets"].items():
        print(f"{name}: {counts}")
    print(f"wrote {args.out} (seed {seed}) in {time.perf_counter() - start:.1f} s")
    return 0
