"""``workbench sandbox build|status|prune`` (logic in ``workbench.cli.commands.sandbox``)."""

from __future__ import annotations

import argparse

from workbench.cli.common import add_path

HELP = "sandbox images and containers: build, status, prune"


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add ``sandbox`` and its sub-commands (``args.sandbox_command``); ``--path`` at both levels."""
    p = sub.add_parser("sandbox", help=HELP, description=HELP)
    add_path(p)
    cmds = p.add_subparsers(dest="sandbox_command", metavar="COMMAND", required=True)
    build = cmds.add_parser(
        "build", help="build [sandbox] image from .workbench/sandbox/Dockerfile, or import a root filesystem with --rootfs"
    )
    build.add_argument("--rootfs", help="a root filesystem directory or tar file to import (docker import)")
    build.add_argument("--tag", help="image name to create (default: [sandbox] image)")
    add_path(build)
    status = cmds.add_parser("status", help="engine state and this workspace's containers")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    add_path(status)
    prune = cmds.add_parser("prune", help="remove this workspace's containers of ended or crashed sessions")
    prune.add_argument("--yes", action="store_true", help="remove without asking")
    add_path(prune)
    p.set_defaults(handler=handle)
    return p


def handle(args: argparse.Namespace) -> int:
    """Run the sandbox sub-command (exit codes in ``workbench.cli.commands.sandbox``)."""
    from workbench.cli.commands.sandbox import run_sandbox_command

    return run_sandbox_command(args)
