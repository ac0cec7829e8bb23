"""``workbench checkpoints``, ``workbench rewind`` and ``workbench gc`` (logic in ``workbench.cli.commands.checkpoints``)."""

from __future__ import annotations

import argparse

from workbench.cli.common import add_path

HELP = {
    "checkpoints": "list a session's checkpoints (latest session by default)",
    "rewind": "restore files and/or the conversation to a checkpoint",
    "gc": "prune checkpoints of deleted sessions and older than checkpoints.keep_days",
}


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``checkpoints``, ``rewind`` and ``gc`` to the top-level sub-parsers."""
    cps = sub.add_parser("checkpoints", help=HELP["checkpoints"], description=HELP["checkpoints"])
    cps.add_argument("session", nargs="?", help="session id or unique prefix")
    cps.add_argument("--json", action="store_true", help="machine-readable output")
    add_path(cps)
    cps.set_defaults(handler=handle)

    rw = sub.add_parser("rewind", help=HELP["rewind"], description=HELP["rewind"])
    rw.add_argument("checkpoint", help="checkpoint id (or unique prefix), from `workbench checkpoints`")
    scope = rw.add_mutually_exclusive_group()
    scope.add_argument("--files", dest="scope", action="store_const", const="files", help="restore the workspace files (default)")
    scope.add_argument(
        "--conversation", dest="scope", action="store_const", const="conversation", help="fork the conversation at the checkpoint"
    )
    scope.add_argument("--both", dest="scope", action="store_const", const="both", help="files and conversation")
    rw.add_argument("--session", help="the session the checkpoint belongs to (default: the one that has it)")
    add_path(rw)
    rw.set_defaults(handler=handle)

    gc = sub.add_parser("gc", help=HELP["gc"], description=HELP["gc"])
    gc.add_argument("--keep-days", type=float, help="override checkpoints.keep_days")
    add_path(gc)
    gc.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Run ``checkpoints`` / ``rewind`` / ``gc`` (``args.command`` says which)."""
    from workbench.cli.commands.checkpoints import run_checkpoint_command
    from workbench.cli.common import workspace

    return run_checkpoint_command(args, workspace(args))
