"""MCP test server that crashes (exit code 3) when its ``crash`` tool is called."""

from __future__ import annotations

import os
import sys

from mcp.server.mcpserver import MCPServer

server = MCPServer("crashy", log_level="WARNING")


@server.tool()
def ping() -> str:
    """Return "pong"."""
    return "pong"


@server.tool()
def crash() -> str:
    """Write a last word to stderr and exit the process with status 3."""
    print("crashy: fatal error CRASH-MARKER-42", file=sys.stderr, flush=True)
    os._exit(3)


if __name__ == "__main__":
    server.run()
