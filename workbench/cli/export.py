"""``workbench export SESSION --format md|json|html [-o FILE]`` (logic in ``workbench.cli.commands.export``)."""

from __future__ import annotations

import argparse

from workbench.cli.common import add_path

HELP = "write a whole session as Markdown, JSON or HTML"


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add ``export`` (``args.session``, ``args.format``, ``args.output``, ``--path``)."""
    p = sub.add_parser("export", help=HELP, description=HELP)
    p.add_argument("session", help="session id or unique prefix (see `workbench sessions`)")
    p.add_argument("--format", "-f", choices=["md", "json", "html"], default="md", help="output format (default md)")
    p.add_argument("--output", "-o", help="file to write (default: stdout)")
    add_path(p)
    p.set_defaults(handler=handle)
    return p


def handle(args: argparse.Namespace) -> int:
    """Write the export (exit codes in ``workbench.cli.commands.export``)."""
    from workbench.cli.commands.export import run_export_command

    return run_export_command(args)
