"""``workbench mcp add|list|remove|trust`` (project and user scope) and a headless ``workbench run``
whose scripted model calls a trusted ``mcp__`` tool, on the installed wheel; the MCP server is the
real stdio server of ``tests/plugins/servers/healthy.py`` run by the wheel venv's Python."""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path

from workbench.scripted.server import Reply, ToolCallSpec

from .conftest import REPO, llm_env

SERVERS = REPO / "tests" / "plugins" / "servers"


def test_mcp_add_list_trust_remove_project_scope(wb, e2e_ws, venv_python) -> None:
    ws = e2e_ws.resolve()
    shutil.copy(SERVERS / "healthy.py", ws / "srv.py")
    py = str(venv_python)
    add = wb("mcp", "add", "tools", "-e", "UPLOAD_URL=https://uploads.example.com", "--path", ws, "--", py, "srv.py")
    assert add.returncode == 0, add.stderr
    assert f"to {ws / '.mcp.json'}" in add.stdout and "workbench mcp trust tools" in add.stdout
    assert json.loads((ws / ".mcp.json").read_text())["mcpServers"]["tools"] == {
        "command": py,
        "args": ["srv.py"],
        "env": {"UPLOAD_URL": "https://uploads.example.com"},
    }
    dup = wb("mcp", "add", "tools", "--path", ws, "--", "x")
    assert dup.returncode == 2 and "already has a server named 'tools'" in dup.stderr

    listed = wb("mcp", "list", "--path", ws)
    assert listed.returncode == 0, listed.stderr
    assert f"tools: not trusted [workspace, stdio]  {py} srv.py" in listed.stdout

    trusted = wb("mcp", "trust", "tools", "--path", ws)
    assert trusted.returncode == 0, trusted.stderr
    assert f"{py} srv.py" in trusted.stdout and "UPLOAD_URL=https://uploads.example.com" in trusted.stdout
    assert "srv.py  sha256:" in trusted.stdout and "Trusted MCP server 'tools'" in trusted.stdout
    [row] = json.loads(wb("mcp", "list", "--json", "--path", ws).stdout)
    assert row["name"] == "tools" and row["trust"] == "trusted"

    (ws / "srv.py").write_text((ws / "srv.py").read_text() + "\n# edited\n")  # what runs changed
    assert "tools: changed since trusted" in wb("mcp", "list", "--path", ws).stdout

    revoked = wb("mcp", "trust", "tools", "--revoke", "--path", ws)
    assert revoked.returncode == 0, revoked.stderr
    assert json.loads(wb("mcp", "list", "--json", "--path", ws).stdout)[0]["trust"] == "untrusted"

    removed = wb("mcp", "remove", "tools", "--path", ws)
    assert removed.returncode == 0 and "Removed MCP server 'tools'" in removed.stdout
    assert json.loads((ws / ".mcp.json").read_text())["mcpServers"] == {}
    again = wb("mcp", "remove", "tools", "--path", ws)
    assert again.returncode == 1 and "no MCP server named 'tools'" in again.stderr
    assert "Traceback" not in again.stderr


def test_mcp_add_and_remove_user_scope(wb, e2e_ws) -> None:
    config = Path(wb.env["WORKBENCH_HOME"]) / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text("# my settings\n[chat]\ndelta_batch_ms = 20\n")
    add = wb("mcp", "add", "--scope", "user", "mine", "--path", e2e_ws, "--", "npx", "-y", "some-server")
    assert add.returncode == 0, add.stderr
    data = tomllib.loads(config.read_text())
    assert data["plugins"]["servers"]["mine"] == {"command": "npx", "args": ["-y", "some-server"]}
    assert data["chat"] == {"delta_batch_ms": 20} and config.read_text().startswith("# my settings")
    assert not (e2e_ws / ".mcp.json").exists()
    listed = wb("mcp", "list", "--path", e2e_ws)
    assert "mine: trusted (user config) [user, stdio]  npx -y some-server" in listed.stdout
    removed = wb("mcp", "remove", "mine", "-s", "user", "--path", e2e_ws)
    assert removed.returncode == 0, removed.stderr
    assert not tomllib.loads(config.read_text()).get("plugins", {}).get("servers")
    assert "mine" not in wb("mcp", "list", "--path", e2e_ws).stdout


def test_headless_run_calls_a_trusted_mcp_tool(wb, e2e_ws, venv_python, scripted) -> None:
    ws = e2e_ws.resolve()
    shutil.copy(SERVERS / "healthy.py", ws / "srv.py")
    assert wb("mcp", "add", "calc", "--path", ws, "--", str(venv_python), "srv.py").returncode == 0
    wb.trust(ws)  # the workspace's .mcp.json (written by the user through `mcp add`)
    assert wb("mcp", "trust", "calc", "--path", ws).returncode == 0
    user_config = Path(wb.env["WORKBENCH_HOME"]) / "config" / "config.toml"
    user_config.parent.mkdir(parents=True, exist_ok=True)
    user_config.write_text('[permissions]\nallow = ["mcp__calc__add"]\n')
    scripted.enqueue(
        Reply(tool_calls=[ToolCallSpec("mcp__calc__add", json.dumps({"a": 20, "b": 22}), id="c1")]), Reply(text="The sum is 42.")
    )
    run = wb("run", "-p", "add 20 and 22", "--path", ws, env=llm_env(scripted))
    assert run.returncode == 0, run.stderr
    assert "The sum is 42." in run.stdout and "✔ mcp__calc__add" in run.stderr
    assert "mcp__calc__add" in [t["function"]["name"] for t in scripted.requests[0]["body"]["tools"]]
    [told] = [m for m in scripted.requests[1]["body"]["messages"] if m["role"] == "tool"]
    assert told["content"] == "42"
    [row] = json.loads(wb("sessions", "--json", "--path", ws).stdout)
    assert row["status"] == "closed"
