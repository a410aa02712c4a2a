"""``xmem extend``: build an n-times back-and-forth Long-time Video variant.

Example::

    xmem extend --src ROOT/long_video --dst ROOT/long_video_x3 --times 3
"""

from __future__ import annotations

import argparse

from xmem.data.long_video_variants import extend_dataset


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--src", required=True, help="dataset folder with JPEGImages/ and Annotations/")
    parser.add_argument("--dst", required=True, help="output folder (created atomically; replaced if it "
                                                     "only holds an earlier JPEGImages/Annotations)")
    parser.add_argument("--times", required=True, type=int, help="n: output videos have n times the frames")


def run(args: argparse.Namespace) -> int:
    summary = extend_dataset(args.src, args.dst, args.times)
    print(f"{args.dst}: {summary['videos']} videos x{args.times}, {summary['frames']} frames, "
          f"{summary['masks']} masks ({summary['link_mode']})")
    return 0
