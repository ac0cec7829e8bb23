"""A streamable-HTTP plugin (url in the spec) served by the SDK's own HTTP server."""

from __future__ import annotations

import asyncio
import socket
import sys
from pathlib import Path

from workbench.core.mcp.plugins import PluginSettings, PluginSpec, PluginState, PluginSupervisor

from .conftest import SERVERS


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def wait_port(port: int, timeout: float = 60.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            if loop.time() > deadline:
                raise
            await asyncio.sleep(0.1)


async def test_http_plugin_lifecycle_and_call(tmp_path: Path) -> None:
    port = free_port()
    server = await asyncio.create_subprocess_exec(
        sys.executable,
        str(SERVERS / "healthy.py"),
        "--http",
        str(port),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        await wait_port(port)
        spec = PluginSpec(
            "web",
            None,
            url=f"http://127.0.0.1:{port}/mcp",
            source="user",
            settings=PluginSettings(init_timeout=30, auto_restart=False),
        )
        async with PluginSupervisor([spec], log_dir=tmp_path) as sup:
            handle = await sup.start("web")
            assert handle.state == PluginState.ACTIVE, handle.last_error
            assert handle.pid is None
            result = await sup.call_tool("mcp__web__add", {"a": 20, "b": 22})
            assert result.text == "42" and not result.is_error
        assert handle.state == PluginState.STOPPED
    finally:
        server.kill()
        await server.wait()
