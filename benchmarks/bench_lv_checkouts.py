"""Long-time Video inference of two checkouts of this repository, interleaved: CPU time per frame and
whether their masks are identical.

Usage::

    git worktree add /tmp/before <commit>
    python benchmarks/bench_lv_checkouts.py /tmp/before . [--frames 700] [--rounds 2] \
        [--settings xmem stcn_sparse stcn_unbounded] [--profile small-s8] [--size 80x144]

Each (round, setting, checkout) runs in a process of its own with that checkout's ``xmem`` first on
``sys.path``, and the checkouts alternate (the order flips every round), so both see the same load
on a shared machine: compare the printed ratio, not the absolute times. The settings, networks
(random weights from seed 0: speed does not depend on the weights) and the generated video are those
of ``benchmarks/bench_lv_frame_time.py`` in each checkout, in bfloat16 autocast as the workflow's
``inference.amp: auto`` on a CPU with native bf16, one torch thread. The video is generated once,
by the second checkout.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd


def _worker(checkout: Path, setting: str, profile: str, video: Path, out: Path) -> None:
    """One run in this process: the checkout's inference path on ``video``; prints a JSON line."""
    sys.path[:0] = [str(checkout), str(checkout / "benchmarks")]
    import dataclasses
    import time

    import torch

    import bench_lv_frame_time as bench
    import xmem
    from xmem.inference.datasets import list_videos
    from xmem.inference.runner import run_videos
    from xmem.memory.regime import elements_per_frame

    if not Path(xmem.__file__).resolve().is_relative_to(checkout.resolve()):
        raise SystemExit(f"{checkout}: imported xmem from {xmem.__file__}; is the checkout a copy of this repository?")
    torch.set_num_threads(1)
    torch.manual_seed(0)
    device = torch.device("cpu")
    networks = bench._networks(profile, device)
    videos = list_videos("lv", video, save="all")
    height, width = (int(v) for v in json.loads((video.parent / "size.json").read_text()))
    model, config = bench._settings(elements_per_frame(height, width, stride=networks["xmem"].config.key_stride))[setting]
    config = dataclasses.replace(config, amp=True)
    start = time.process_time()
    frames = run_videos(networks[model], videos, config, out / "masks", out / "stats", device, progress=False)
    print(json.dumps({"cpu_ms_per_frame": 1000 * (time.process_time() - start) / len(frames)}))


def _generate(checkout: Path, root: Path, height: int, width: int, frames: int) -> Path:
    code = ("import sys; sys.path[:0] = [sys.argv[1], sys.argv[1] + '/benchmarks']; import bench_lv_frame_time as b; "
            "from pathlib import Path; b._video(Path(sys.argv[2]), *map(int, sys.argv[3:6]))")
    subprocess.run([sys.executable, "-c", code, str(checkout), str(root), str(height), str(width), str(frames)], check=True)
    (root / "size.json").write_text(json.dumps([height, width]))
    return root / "long_video"


def _same_masks(a: Path, b: Path) -> bool:
    files = sorted(p.relative_to(a) for p in a.rglob("*.png"))
    return files == sorted(p.relative_to(b) for p in b.rglob("*.png")) and all(
        filecmp.cmp(a / f, b / f, shallow=False) for f in files)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("old", type=Path, nargs="?", help="checkout to compare against (e.g. a git worktree)")
    parser.add_argument("new", type=Path, nargs="?", help="checkout under test")
    parser.add_argument("--frames", type=int, default=700, help="frames of the generated long video")
    parser.add_argument("--size", default="80x144", help="HxW (the default profile's long videos: 80x144)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--settings", nargs="+", default=["xmem", "stcn_sparse", "stcn_unbounded"])
    parser.add_argument("--profile", default="small-s8", help="network profile (the default main models': small-s8)")
    parser.add_argument("--worker", nargs=4, metavar=("CHECKOUT", "SETTING", "VIDEO", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        checkout, setting, video, out = args.worker
        _worker(Path(checkout), setting, args.profile, Path(video), Path(out))
        return
    if args.old is None or args.new is None:
        parser.error("give two checkouts: OLD NEW")
    height, width = (int(v) for v in args.size.split("x"))
    checkouts = {"old": args.old, "new": args.new}
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        video = _generate(args.new, tmp / "data", height, width, args.frames)
        for rnd in range(args.rounds):
            order = [(s, c) for s in args.settings for c in (("old", "new") if rnd % 2 == 0 else ("new", "old"))]
            for setting, name in order:
                out = tmp / f"r{rnd}_{setting}_{name}"
                done = subprocess.run([sys.executable, __file__, "--profile", args.profile, "--worker",
                                       str(checkouts[name]), setting, str(video), str(out)], capture_output=True, text=True)
                if done.returncode:
                    raise SystemExit(f"{checkouts[name]}: {setting} failed:\n{done.stderr[-2000:]}")
                ms = json.loads(done.stdout.strip().splitlines()[-1])["cpu_ms_per_frame"]
                rows.append({"round": rnd, "setting": setting, "checkout": name, "cpu_ms": ms})
                print(f"round {rnd} {setting:15s} {name}: {ms:.1f} ms CPU per frame", flush=True)
            for setting in args.settings:
                same = _same_masks(tmp / f"r{rnd}_{setting}_old" / "masks", tmp / f"r{rnd}_{setting}_new" / "masks")
                print(f"round {rnd} {setting:15s} masks identical: {same}", flush=True)
    table = pd.DataFrame(rows).pivot_table(index="setting", columns="checkout", values="cpu_ms", aggfunc="mean")
    table["new/old"] = table["new"] / table["old"]
    print(f"\nCPU ms per frame, mean of {args.rounds} round(s), {args.frames} frames at {args.size}, {args.profile}:")
    print(table[["old", "new", "new/old"]].round(3).to_string())


if __name__ == "__main__":
    main()
