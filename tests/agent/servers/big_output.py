"""An MCP test server (stdio) with one tool whose result is huge: ``big(n)`` returns ``n`` characters.

Run as ``python big_output.py``; used by the tool-result budget test.
"""

from __future__ import annotations

from mcp.server.mcpserver import MCPServer

server = MCPServer("big", log_level="WARNING")


@server.tool()
def big(n: int) -> str:
    """Return ``n`` characters: a start marker, filler, an end marker."""
    return "START" + "y" * max(0, n - 8) + "END"


if __name__ == "__main__":
    server.run()
