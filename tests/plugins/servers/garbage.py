"""MCP test server that prints a line that is not JSON-RPC to stdout, then serves normally."""

from __future__ import annotations

import sys

from mcp.server.mcpserver import MCPServer

server = MCPServer("garbage", log_level="WARNING")


@server.tool()
def ping() -> str:
    """Return "pong"."""
    return "pong"


if __name__ == "__main__":
    print("Hello! this banner is not JSON-RPC", flush=True)
    print("garbage: printed a banner to stdout", file=sys.stderr, flush=True)
    server.run()
