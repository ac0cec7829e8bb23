"""An MCP test server over the SDK's HTTP+SSE transport: ``python sse_server.py PORT``.

Serves ``/sse`` and ``/messages/`` on 127.0.0.1:PORT with the tools ``echo`` and ``whoami``
(which returns the ``X-Client-Tag`` header the client sent, to test ``headers``).
"""

from __future__ import annotations

import sys

from mcp.server.mcpserver import Context, MCPServer

server = MCPServer("sse-test", log_level="WARNING")


@server.tool()
def echo(text: str) -> str:
    """Return ``text`` unchanged."""
    return text


@server.tool()
def whoami(ctx: Context) -> str:
    """Return the X-Client-Tag header of the SSE connection ("" when absent)."""
    request = getattr(ctx.request_context, "request", None)
    headers = getattr(request, "headers", None) or {}
    return headers.get("x-client-tag", "")


if __name__ == "__main__":
    server.run("sse", host="127.0.0.1", port=int(sys.argv[1]))
