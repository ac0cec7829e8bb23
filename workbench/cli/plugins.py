"""``workbench plugins [--json]``: start the trusted MCP plugins, report them, stop them."""

from __future__ import annotations

import argparse

from workbench.cli.common import add_path

HELP = "start the configured, trusted MCP plugins, print their state and tools, stop them"


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add ``plugins`` to the top-level sub-parsers."""
    p = sub.add_parser("plugins", help=HELP, description=HELP)
    p.add_argument("--json", action="store_true", help="print a JSON list (one object per plugin)")
    add_path(p)
    p.set_defaults(handler=handle)
    return p


def handle(args: argparse.Namespace) -> int:
    """Run the report (exit codes in ``workbench.cli.commands.plugins``)."""
    from workbench.cli.commands.plugins import run_plugins_command
    from workbench.cli.common import workspace

    args.path = str(workspace(args))
    return run_plugins_command(args)
