"""``workbench plugins [--json]`` as a subprocess with real MCP servers."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from helpers.trust import trust_workspace

from workbench.core.mcp.plugins import TrustStore, load_specs

from .conftest import SERVERS

CLI = [sys.executable, "-m", "workbench.cli.commands.plugins"]


def _workspace(tmp_path: Path, servers: dict[str, str], trusted: tuple[str, ...]) -> Path:
    ws = tmp_path / "ws"
    ws.mkdir()
    entries = {n: {"command": sys.executable, "args": [str(SERVERS / s)]} for n, s in servers.items()}
    (ws / ".mcp.json").write_text(json.dumps({"mcpServers": entries}))
    trust_workspace(ws)
    store = TrustStore.for_workspace(ws)
    for spec in load_specs(ws):
        if spec.name in trusted:
            store.trust(spec)
    return ws


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=120)


def test_json_lists_states_and_tools(tmp_path: Path) -> None:
    ws = _workspace(tmp_path, {"healthy": "healthy.py", "later": "changing.py"}, trusted=("healthy",))
    out = _run("--json", "--path", str(ws))
    assert out.returncode == 0, out.stderr
    reports = {r["name"]: r for r in json.loads(out.stdout)}
    assert reports["healthy"]["state"] == "active" and reports["healthy"]["error"] is None
    tools = {t["qualified_name"]: t for t in reports["healthy"]["tools"]}
    assert {"mcp__healthy__echo", "mcp__healthy__add"} <= set(tools)
    assert tools["mcp__healthy__add"]["input_schema"]["required"] == ["a", "b"]
    assert reports["later"]["state"] == "untrusted" and reports["later"]["tools"] == []
    text = _run("--path", str(ws))
    assert text.returncode == 0
    assert "healthy: active (workspace, stdio)" in text.stdout and "mcp__healthy__echo" in text.stdout
    assert "later: untrusted" in text.stdout


def test_exit_1_when_a_plugin_ends_in_error(tmp_path: Path) -> None:
    ws = _workspace(tmp_path, {"healthy": "healthy.py", "broken": "exit_at_start.py"}, trusted=("healthy", "broken"))
    out = _run("--json", "--path", str(ws))
    assert out.returncode == 1, out.stderr
    reports = {r["name"]: r for r in json.loads(out.stdout)}
    assert reports["healthy"]["state"] == "active"
    assert reports["broken"]["state"] == "error" and reports["broken"]["error"]


def test_invalid_mcp_json_is_exit_2_naming_the_file(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / ".mcp.json").write_text('{"mcpServers": {"x": {"args": []},}}')
    trust_workspace(ws)
    out = _run("--path", str(ws))
    assert out.returncode == 2
    assert ".mcp.json:1:" in out.stderr and "invalid JSON" in out.stderr


def test_one_bad_entry_is_an_error_for_that_entry_only(tmp_path: Path) -> None:
    ws = _workspace(tmp_path, {"healthy": "healthy.py"}, trusted=("healthy",))
    data = json.loads((ws / ".mcp.json").read_text())
    data["mcpServers"]["x"] = {"args": []}
    data["mcpServers"]["odd"] = {"type": "websocket", "url": "ws://h"}
    (ws / ".mcp.json").write_text(json.dumps(data))
    trust_workspace(ws)
    out = _run("--json", "--path", str(ws))
    assert out.returncode == 1, out.stderr
    reports = {r["name"]: r for r in json.loads(out.stdout)}
    assert reports["healthy"]["state"] == "active"
    assert reports["x"]["state"] == "error" and "mcpServers.x" in reports["x"]["error"]
    assert "odd" not in reports
    assert "mcpServers.odd: unknown type 'websocket'" in out.stderr and str(ws / ".mcp.json") in out.stderr
