"""The ``xmem`` command: one entry point, one module per subcommand.

Each subcommand lives in its own module exposing ``add_arguments(parser)`` and
``run(args) -> int``; modules are imported only when their subcommand runs so that
``xmem --help`` stays fast. User errors (:class:`xmem.errors.XMemError`) are printed on
one line with exit status 2; no traceback.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from typing import Sequence

from xmem.errors import XMemError

# subcommand -> (module, one-line help)
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "infer": ("xmem.inference.cli", "segment videos with XMem or STCN"),
    "evaluate": ("xmem.evaluation.cli", "score predicted masks (J, F, J&F; DAVIS / LV / YouTube-VOS)"),
    "synth": ("xmem.data.synth.cli", "generate the embedded synthetic benchmark"),
    "extend": ("xmem.data.extend", "build the n-times back-and-forth Long-time Video variants"),
    "train": ("xmem.training.cli", "train XMem, its ablation variants or STCN"),
}


def configure_threads() -> None:
    """Respect OMP_NUM_THREADS (Snakemake sets it from ``threads:``) for torch's CPU pools."""
    value = os.environ.get("OMP_NUM_THREADS")
    if value and value.isdigit() and int(value) > 0 and "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(int(value))  # only subcommands that use torch import it


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """``--help`` shows each option's default, except unset ones (None) and off switches."""

    def _get_help_string(self, action: argparse.Action) -> str:
        if action.default is None or action.default is False or "default" in (action.help or ""):
            return action.help or ""
        return super()._get_help_string(action)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="xmem", description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        sub.add_parser(name, help=help_text, add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    top = build_parser()
    # Parse only the global options and the subcommand name here.
    global_args, rest = top.parse_known_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if global_args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
    )
    module_name, help_text = SUBCOMMANDS[global_args.command]
    module = importlib.import_module(module_name)
    parser = argparse.ArgumentParser(prog=f"xmem {global_args.command}", description=help_text,
                                     formatter_class=HelpFormatter)
    module.add_arguments(parser)
    args = parser.parse_args(rest)
    try:
        configure_threads()
        return int(module.run(args) or 0)
    except XMemError as exc:
        print(f"xmem {global_args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
