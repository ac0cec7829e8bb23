"""``workbench sessions [list]`` and ``workbench sessions show ID``."""

from __future__ import annotations

import argparse

from workbench.cli.common import add_path, fail, workspace

HELP = "list this workspace's sessions, or show one"


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``sessions`` to the top-level sub-parsers."""
    p = sub.add_parser("sessions", help=HELP, description=HELP)
    p.add_argument("action", nargs="?", choices=["list", "show"], default="list")
    p.add_argument("id", nargs="?", help="session id (for show)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    add_path(p)
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """List or show; exit 2 when ``show`` has no id or the id matches no session."""
    from workbench.cli.commands.sessions import list_sessions, show_session

    ws = workspace(args)
    if args.action == "show":
        if not args.id:
            return fail("`sessions show` needs a session id (see `workbench sessions`).")
        return show_session(ws, args.id, as_json=args.json)
    return list_sessions(ws, as_json=args.json)
