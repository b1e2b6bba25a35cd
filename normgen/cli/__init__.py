"""Command line: `python -m normgen {train,sample,judge,zoo,bench,sweep,space} ...`. The only package that
imports argparse: it imports the domain, never the other way round. Each sub-command lives in a module
here with a `register(subparsers)` that sets its `handler`; `COMMANDS` lists them in `--help` order.
Bad input -> one line on stderr, exit 2."""

from __future__ import annotations

import argparse
import sys

from normgen.checkpoints import CheckpointError
from normgen.cli import bench, judge, space, sweep, train, zoo
from normgen.cli.usage import EXIT_USAGE, Parser, UsageError
from normgen.data import DatasetUnavailable

COMMANDS = (train, judge, zoo, bench, sweep, space)  # train registers `train` and `sample`


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="normgen",
        description="See what L1, L2, elastic-net and group-lasso regularization do to image "
                    "generators. Train a small GAN, VAE or conditional GAN with a penalty, then "
                    "compare sample grids drawn from the same noise.",
        epilog="examples:\n"
               "  python -m normgen train --model gan --dataset shapes --l1 1e-4 --steps 500\n"
               "  python -m normgen sample runs/latest/model.safetensors --seed 1 --out grid.png",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    for command in COMMANDS:
        command.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; a user mistake prints one line on stderr and returns 2 (never a traceback)."""
    parser = build_parser()
    try:
        a = parser.parse_args(argv)
        return a.handler(a)
    except (UsageError, ValueError, CheckpointError, DatasetUnavailable, OSError) as exc:
        print(f"normgen: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("normgen: interrupted", file=sys.stderr)
        return 130
