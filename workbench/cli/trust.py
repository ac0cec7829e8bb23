"""``workbench trust [PATH] [--show] [--revoke]``: review and trust a workspace's own files
(logic in :mod:`workbench.cli.commands.trust`)."""

from __future__ import annotations

import argparse

HELP = "review what this workspace's own files would change, and trust them"


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``trust`` to the top-level sub-parsers."""
    from workbench.cli.common import add_path

    p = sub.add_parser(
        "trust",
        help=HELP,
        description="Workspace files (.workbench/config.toml, .mcp.json, AGENTS.md, CLAUDE.md, "
        ".workbench/sandbox/Dockerfile) have no effect until you trust their content. Without a flag "
        "this prints what they would change and trusts exactly that content.",
    )
    add_path(p, positional=True)
    group = p.add_mutually_exclusive_group()
    group.add_argument("--show", action="store_true", help="only print the trust state and what trusting would change")
    group.add_argument("--revoke", action="store_true", help="forget the trust decision (the files stop applying)")
    p.add_argument("--reveal", action="store_true", help="print values that look secret instead of hiding them")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Run ``workbench trust`` (see :func:`workbench.cli.commands.trust.run_trust_command`)."""
    from workbench.cli.commands.trust import run_trust_command
    from workbench.cli.common import workspace

    args.path = str(workspace(args))
    return run_trust_command(args)
