"""``workbench demo``: the TUI on a bundled sample project against a scripted model (offline)."""

from __future__ import annotations

import argparse

HELP = "open the workbench on a sample project against a scripted model"


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``demo`` to the top-level sub-parsers (it has no workspace: it copies the sample)."""
    p = sub.add_parser("demo", help=HELP, description=HELP)
    p.add_argument("--keep", action="store_true", help="print the sample project's folder and keep it")
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Run the demo TUI; returns its exit code."""
    from workbench.cli.commands.demo import run_demo

    return run_demo(keep=args.keep)
