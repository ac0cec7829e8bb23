"""``.mcp.json`` like other clients: ``"type": "sse"`` through the SDK's SSE client (a real server
on 127.0.0.1), entries of unknown types skipped with a warning, ``${VAR}``/``${VAR:-default}``
expansion in command/args/env/url/headers, and a missing variable failing only its own entry."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import pytest
from helpers.trust import trust_workspace

from workbench.core.mcp.plugins import PluginState, PluginSupervisor, TrustStore, load_specs, parse_mcp_json

from .conftest import SERVERS
from .test_plugin_http import free_port, wait_port


def write(ws: Path, servers: dict) -> Path:
    path = ws / ".mcp.json"
    path.write_text(json.dumps({"mcpServers": servers}, indent=2))
    trust_workspace(ws)  # the workspace's files apply once the workspace is trusted (issue 21.1)
    return path


async def test_sse_server_from_mcp_json_with_expanded_url_and_headers(tmp_path: Path) -> None:
    port = free_port()
    server = await asyncio.create_subprocess_exec(
        sys.executable,
        str(SERVERS / "sse_server.py"),
        str(port),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        await wait_port(port)
        ws = tmp_path / "ws"
        ws.mkdir()
        write(
            ws,
            {
                "legacy": {
                    "type": "sse",
                    "url": "http://127.0.0.1:${WB_SSE_PORT}/sse",
                    "headers": {"X-Client-Tag": "${WB_TAG:-tag-default}"},
                },
                "future": {"type": "websocket", "url": "ws://127.0.0.1:1/"},
            },
        )
        warnings: list[str] = []
        specs = load_specs(ws, environ={"WB_SSE_PORT": str(port)}, warnings=warnings)
        assert [s.name for s in specs] == ["legacy"]
        spec = specs[0]
        assert spec.transport == "sse" and spec.url == f"http://127.0.0.1:{port}/sse"
        assert spec.headers == {"X-Client-Tag": "tag-default"}
        assert len(warnings) == 1 and "mcpServers.future" in warnings[0] and str(ws / ".mcp.json") in warnings[0]
        assert "unknown type 'websocket'" in warnings[0]
        trust = TrustStore.for_workspace(ws)
        trust.trust(spec)
        async with PluginSupervisor(specs, trust=trust, log_dir=tmp_path / "logs") as sup:
            handle = await sup.start("legacy")
            assert handle.state == PluginState.ACTIVE, handle.last_error
            result = await sup.call_tool("mcp__legacy__echo", {"text": "over sse"})
            assert result.text == "over sse" and not result.is_error
            assert (await sup.call_tool("mcp__legacy__whoami", {})).text == "tag-default"
        assert handle.state == PluginState.STOPPED
    finally:
        server.kill()
        await server.wait()


def test_unknown_type_is_skipped_and_the_others_load(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        {
            "a": {"command": "python3", "args": ["a.py"]},
            "odd": {"type": "carrier-pigeon", "command": "coo"},
            "b": {"type": "http", "url": "https://example.com/mcp"},
        },
    )
    warnings: list[str] = []
    assert set(parse_mcp_json(path, warnings)) == {"a", "b"}
    assert len(warnings) == 1 and "mcpServers.odd" in warnings[0] and str(path) in warnings[0]
    assert [s.name for s in load_specs(tmp_path)] == ["a", "b"]  # warnings logged when not collected


def test_expansion_in_every_field_as_claude_code_does(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "srv": {
                "command": "${WB_PY:-python3}",
                "args": ["${WB_DIR}/srv.py", "--mode=${WB_MODE:-fast}", "$WB_DIR", "${WB_EMPTY:-unused}"],
                "env": {"TOKEN": "${WB_TOKEN}", "LEVEL": "${WB_LEVEL:-info}", "NESTED": "${WB_NEST}"},
            }
        },
    )
    environ = {"WB_DIR": "/opt/tools", "WB_TOKEN": "t0k", "WB_EMPTY": "", "WB_NEST": "${WB_TOKEN}"}
    spec = load_specs(tmp_path, environ=environ)[0]
    assert spec.error is None
    assert spec.command == "python3"
    # a bare $VAR stays literal; an empty value counts as set; values are not expanded twice
    assert spec.args == ("/opt/tools/srv.py", "--mode=fast", "$WB_DIR", "")
    assert spec.env == {"TOKEN": "t0k", "LEVEL": "info", "NESTED": "${WB_TOKEN}"}
    assert spec.template["args"][0] == "${WB_DIR}/srv.py"  # the written form is kept for trust


def test_missing_variable_fails_only_its_entry(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        {
            "needs": {"command": "srv", "args": ["--token", "${WB_SURELY_UNSET_TOKEN}"]},
            "fine": {"command": "srv"},
            "broken": {"command": "srv", "args": "not-a-list"},
        },
    )
    by = {s.name: s for s in load_specs(tmp_path, environ={})}
    assert by["fine"].error is None
    assert "WB_SURELY_UNSET_TOKEN is not set and has no default" in by["needs"].error
    assert str(path) in by["needs"].error and "mcpServers.needs" in by["needs"].error
    assert "mcpServers.broken.args" in by["broken"].error


async def test_an_invalid_entry_is_an_error_state_and_starts_nothing(tmp_path: Path) -> None:
    write(tmp_path, {"needs": {"command": "srv", "args": ["${WB_SURELY_UNSET_TOKEN}"]}})
    specs = load_specs(tmp_path, environ={})
    async with PluginSupervisor(specs, trust=TrustStore.for_workspace(tmp_path), log_dir=tmp_path / "l") as sup:
        await sup.start_all()
        handle = sup.handles["needs"]
        assert handle.state == PluginState.ERROR and handle.pid is None
        assert "WB_SURELY_UNSET_TOKEN" in handle.last_error.reason


@pytest.mark.parametrize("entry", [{"type": "sse", "command": "x"}, {"type": "stdio", "url": "https://x/mcp"}])
def test_type_and_transport_must_agree(tmp_path: Path, entry: dict) -> None:
    from workbench.core.mcp.plugins import PluginConfigError

    with pytest.raises(PluginConfigError, match="needs"):
        parse_mcp_json(write(tmp_path, {"srv": entry}))
