"""``workbench resume [ID]``: reopen a session in the TUI (the latest by default)."""

from __future__ import annotations

import argparse

from workbench.cli.common import add_llm_flags, add_mode_flag, add_path, overrides, workspace

HELP = "reopen a session in the TUI (latest by default)"


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``resume`` to the top-level sub-parsers."""
    p = sub.add_parser("resume", help=HELP, description=HELP)
    p.add_argument("id", nargs="?", help="session id or unique prefix")
    add_path(p)
    add_llm_flags(p)
    add_mode_flag(p)
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Open the TUI on the session; returns the app's exit code."""
    from workbench.cli.tui import run_tui

    ws = workspace(args)
    if args.id is None:
        return run_tui(ws, overrides(args), continue_=True)
    return run_tui(ws, overrides(args), session_id=args.id)
