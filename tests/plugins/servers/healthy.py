"""A healthy MCP test server (stdio): echo, add, env_keys, image, fail, spawn_child, sleep.

Run as ``python healthy.py``; used by the plugin supervisor tests and the benchmark.
"""

from __future__ import annotations

import asyncio
import os
import sys

from mcp.server.mcpserver import Image, MCPServer
from mcp.server.mcpserver.exceptions import ToolError

server = MCPServer("healthy", log_level="WARNING")


@server.tool()
def echo(text: str) -> str:
    """Return ``text`` unchanged."""
    return text


@server.tool()
def add(a: int, b: int) -> int:
    """Return ``a + b``."""
    return a + b


@server.tool()
def env_keys() -> str:
    """Return the sorted names of this process's environment variables, one per line."""
    return "\n".join(sorted(os.environ))


@server.tool()
def image() -> Image:
    """Return a small PNG-typed blob (1234 bytes) to test non-text content."""
    return Image(data=b"\x89PNG" + b"\0" * 1230, format="png")


@server.tool()
def fail(message: str) -> str:
    """Raise an error with ``message`` (an error result)."""
    raise ToolError(message)


@server.tool()
def spawn_child() -> int:
    """Start ``sleep 300`` in this process group (not waited for) and return its pid."""
    import subprocess

    return subprocess.Popen(["sleep", "300"], stdin=subprocess.DEVNULL).pid


@server.tool()
async def sleep(seconds: float) -> str:
    """Sleep ``seconds`` then return "slept"."""
    await asyncio.sleep(seconds)
    return "slept"


if __name__ == "__main__":
    print(f"healthy server starting pid={os.getpid()}", file=sys.stderr, flush=True)
    if "--http" in sys.argv:  # streamable HTTP on 127.0.0.1:PORT/mcp
        server.run("streamable-http", port=int(sys.argv[sys.argv.index("--http") + 1]))
    else:
        server.run()
