"""``workbench mcp serve [PATH]``: run Workbench as a stdio MCP server for other agents.

stdout carries the MCP protocol only; messages go to stderr. ``workbench.cli.mcp`` registers the
parser with :func:`add_mcp_parser` and dispatches with :func:`run_mcp_command`. Example client
configuration (``.mcp.json`` of another tool)::

    {"mcpServers": {"workbench": {"command": "workbench", "args": ["mcp", "serve", "/path/to/project"]}}}

Exit codes: 0 the client closed the connection; 2 bad usage or an invalid configuration.
"""

from __future__ import annotations

import argparse
import sys

from workbench.cli.common import check_workspace, command_errors, config_error


def add_mcp_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``mcp`` on ``subparsers`` (the parser is defined in :mod:`workbench.cli.mcp`)."""
    from workbench.cli.mcp import register

    return register(subparsers)


@command_errors
def run_mcp_command(args: argparse.Namespace) -> int:
    """Run ``workbench mcp serve``; returns the exit code (0 when the client disconnects, 2 on bad input)."""
    import anyio

    from workbench.core.config import ConfigError, load_settings
    from workbench.core.mcp.server.adapter import serve_stdio

    workspace = check_workspace(getattr(args, "path", None) or getattr(args, "path_arg", None))
    from workbench.cli.commands.trust import warn_untrusted

    warn_untrusted(workspace)
    try:
        settings = load_settings(workspace)
    except ConfigError as exc:
        raise config_error(exc) from None
    try:
        anyio.run(serve_stdio, workspace, settings)
    except KeyboardInterrupt:
        pass
    return 0


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry: ``python -m workbench.cli.commands.mcp_serve serve [PATH]``."""
    parser = argparse.ArgumentParser(prog="workbench")
    add_mcp_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["mcp", *(sys.argv[1:] if argv is None else argv)])
    return run_mcp_command(args)


if __name__ == "__main__":
    raise SystemExit(main())
