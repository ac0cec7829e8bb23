"""An MCP test server (stdio) that writes files on the host, in its working directory.

Plays a filesystem-style MCP server: the agent's sandbox does not contain it, so only the check
after each tool call stands between it and the protected paths. Tool: ``write(path, text)``.
"""

from __future__ import annotations

from pathlib import Path

from mcp.server.mcpserver import MCPServer

server = MCPServer("host_writer", log_level="WARNING")


@server.tool()
def write(path: str, text: str) -> str:
    """Write ``text`` to ``path`` (relative to the server's working directory); create folders."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    return f"wrote {len(text)} characters to {path}"


if __name__ == "__main__":
    server.run()
