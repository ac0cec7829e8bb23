"""``workbench mcp serve [PATH]``: Workbench itself as a stdio MCP server (logic in ``workbench.mcp_server``).

Each ``mcp`` sub-command sets its own ``handler`` on its own parser.
"""

from __future__ import annotations

import argparse

from workbench.cli.common import add_path

HELP = "Workbench as an MCP server (serve specs, journal, sessions, sandbox)"


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add ``mcp`` and its sub-commands (``args.mcp_command``)."""
    mcp = sub.add_parser("mcp", help=HELP, description=HELP)
    cmds = mcp.add_subparsers(dest="mcp_command", metavar="COMMAND", required=True)
    serve = cmds.add_parser("serve", help="serve a workspace over stdio (for another MCP client)")
    add_path(serve, positional=True)
    serve.set_defaults(handler=handle_serve)
    return mcp


def handle_serve(args: argparse.Namespace) -> int:
    """Serve until the client disconnects (exit 0); 2 on bad input."""
    from workbench.cli.common import workspace
    from workbench.mcp_server import run_mcp_command

    args.path = str(workspace(args))
    return run_mcp_command(args)
