"""``workbench mcp``: manage MCP servers (``add``, ``list``, ``remove``, ``trust``, in the shape of
``claude mcp``; logic in ``workbench.cli.commands.mcp_manage``) and ``serve`` Workbench itself as a stdio MCP
server (logic in ``workbench.cli.commands.mcp_serve``).

Each ``mcp`` sub-command sets its own ``handler`` on its own parser.
"""

from __future__ import annotations

import argparse

from workbench.cli.common import add_path

HELP = "MCP servers: add, list, remove, trust; serve Workbench itself over MCP"


def add_server_options(p: argparse.ArgumentParser) -> None:
    """The options of ``mcp add`` (also read when written between NAME and ``--``)."""
    p.add_argument("-t", "--transport", choices=("stdio", "sse", "http"), help="transport (default: stdio, or http for a URL)")
    p.add_argument(
        "-e", "--env", action="append", default=[], metavar="KEY=VALUE", help="environment variable for the server (repeatable)"
    )
    p.add_argument(
        "-H",
        "--header",
        action="append",
        default=[],
        metavar="'KEY: VALUE'",
        help="HTTP header for sse/http servers (repeatable)",
    )
    p.add_argument(
        "-s",
        "--scope",
        choices=("project", "user"),
        default=None,
        help="project: the workspace's .mcp.json (default); user: your config",
    )
    add_path(p)


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add ``mcp`` and its sub-commands (``args.mcp_command``)."""
    mcp = sub.add_parser("mcp", help=HELP, description=HELP)
    cmds = mcp.add_subparsers(dest="mcp_command", metavar="COMMAND", required=True)

    add = cmds.add_parser(
        "add",
        help="add an MCP server: add NAME [-e K=V] -- COMMAND ARGS... | add -t sse|http NAME URL",
        description="Add an MCP server to the workspace's .mcp.json (or your user config with -s user), "
        "like `claude mcp add`. It starts once trusted (workbench mcp trust NAME).",
    )
    add_server_options(add)
    add.add_argument("name", help="server name (letters, digits, _ and -)")
    add.add_argument("target", nargs=argparse.REMAINDER, help="-- COMMAND ARGS... (stdio) or URL (sse/http)")
    add.set_defaults(handler=_handler("add"))

    lst = cmds.add_parser("list", help="list MCP servers with their trust state and command line")
    lst.add_argument("--json", action="store_true", help="print a JSON list")
    add_path(lst)
    lst.set_defaults(handler=_handler("list"))

    rm = cmds.add_parser("remove", help="remove an MCP server (and its trust record)")
    rm.add_argument("name")
    rm.add_argument("-s", "--scope", choices=("project", "user"), default=None)
    add_path(rm)
    rm.set_defaults(handler=_handler("remove"))

    tr = cmds.add_parser("trust", help="print exactly what a workspace MCP server runs and trust it (no prompt)")
    tr.add_argument("name")
    tr.add_argument("--show-secrets", action="store_true", help="print secret-looking env/header values in clear")
    tr.add_argument("--revoke", action="store_true", help="forget the trust instead")
    add_path(tr)
    tr.set_defaults(handler=_handler("trust"))

    serve = cmds.add_parser("serve", help="serve a workspace over stdio (for another MCP client)")
    add_path(serve, positional=True)
    serve.set_defaults(handler=handle_serve)
    return mcp


def _handler(command: str):  # noqa: ANN202 - a handler (args) -> int
    def handle(args: argparse.Namespace) -> int:
        from workbench.cli.commands.mcp_manage import run_mcp_manage_command

        args.mcp_command = command
        return run_mcp_manage_command(args)

    handle.__doc__ = f"Run ``workbench mcp {command}`` (see ``workbench.cli.commands.mcp_manage``)."
    return handle


def handle_serve(args: argparse.Namespace) -> int:
    """Serve until the client disconnects (exit 0); 2 on bad input."""
    from workbench.cli.commands.mcp_serve import run_mcp_command
    from workbench.cli.common import workspace

    args.path = str(workspace(args))
    return run_mcp_command(args)
