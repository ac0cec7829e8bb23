"""``workbench mcp add|list|remove|trust`` and MCP plugins in headless ``workbench run``, through
the real ``workbench`` executable of this checkout's venv, with real MCP servers over stdio and
the scripted OpenAI-compatible server.

(Moves to tests/e2e/ with the ``workbench_bin`` fixture once that is on main.)
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from helpers.trust import trust_workspace

from workbench.scripted.server import Reply, ScriptedServer, ToolCallSpec

from .conftest import SERVERS

pytestmark = pytest.mark.timeout(120)

WORKBENCH = Path(sys.executable).with_name("workbench")
KEY = "sk-canary-mcp0123456789abcdefSECRET"


def wb(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full = dict(os.environ) | (env or {})
    return subprocess.run([str(WORKBENCH), *args], cwd=cwd, env=full, capture_output=True, text=True, timeout=100)


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    path = tmp_path / "project"
    path.mkdir()
    shutil.copy(SERVERS / "healthy.py", path / "srv.py")
    return path.resolve()


def test_add_list_trust_remove_project_scope(ws: Path, _workbench_home: Path) -> None:
    out = wb(
        "mcp",
        "add",
        "tools",
        "-e",
        "UPLOAD_URL=https://uploads.example.com",
        "-e",
        "API_TOKEN=ghp_abcdefghijklmnopqrstuvwxyz0123",
        "--",
        sys.executable,
        "srv.py",
        "--quiet",
        cwd=ws,
    )
    assert out.returncode == 0, out.stderr
    assert f"to {ws / '.mcp.json'}" in out.stdout and "workbench mcp trust tools" in out.stdout
    entry = json.loads((ws / ".mcp.json").read_text())["mcpServers"]["tools"]
    assert entry == {
        "command": sys.executable,
        "args": ["srv.py", "--quiet"],
        "env": {"UPLOAD_URL": "https://uploads.example.com", "API_TOKEN": "ghp_abcdefghijklmnopqrstuvwxyz0123"},
    }

    out = wb("mcp", "add", "--transport", "sse", "legacy", "http://127.0.0.1:9/sse", "-H", "X-Tag: a b", cwd=ws)
    assert out.returncode == 0, out.stderr
    assert json.loads((ws / ".mcp.json").read_text())["mcpServers"]["legacy"] == {
        "type": "sse",
        "url": "http://127.0.0.1:9/sse",
        "headers": {"X-Tag": "a b"},
    }

    bad = wb("mcp", "add", "tools", "--", "x", cwd=ws)
    assert bad.returncode == 2 and "already has a server named 'tools'" in bad.stderr
    bad = wb("mcp", "add", "x", "-e", "A=1", "npx", "-y", "srv", cwd=ws)
    assert bad.returncode == 2 and "write -- before the command" in bad.stderr
    bad = wb("mcp", "add", "--env", "A", "x", "--", "npx", cwd=ws)
    assert bad.returncode == 2 and "--env 'A' must look like KEY=VALUE" in bad.stderr

    out = wb("mcp", "list", cwd=ws)
    assert out.returncode == 0, out.stderr
    assert f"tools: not trusted [workspace, stdio]  {sys.executable} srv.py --quiet" in out.stdout
    assert "legacy: not trusted [workspace, sse]  http://127.0.0.1:9/sse" in out.stdout

    out = wb("mcp", "trust", "tools", cwd=ws)
    assert out.returncode == 0, out.stderr
    assert f"{sys.executable} srv.py --quiet" in out.stdout
    assert "UPLOAD_URL=https://uploads.example.com" in out.stdout
    assert "API_TOKEN=<hidden: 34 characters>" in out.stdout and "ghp_" not in out.stdout
    assert "srv.py  sha256:" in out.stdout and "Trusted MCP server 'tools'" in out.stdout
    assert "ghp_abcdef" in wb("mcp", "trust", "tools", "--show-secrets", cwd=ws).stdout

    rows = {r["name"]: r for r in json.loads(wb("mcp", "list", "--json", cwd=ws).stdout)}
    assert rows["tools"]["trust"] == "trusted" and rows["legacy"]["trust"] == "untrusted"

    (ws / "srv.py").write_text((ws / "srv.py").read_text() + "\n# edited by someone\n")
    out = wb("mcp", "list", cwd=ws)
    assert "tools: changed since trusted" in out.stdout
    assert "changed: file srv.py: content changed since it was trusted" in out.stdout

    out = wb("mcp", "remove", "tools", cwd=ws)
    assert out.returncode == 0 and "Removed MCP server 'tools'" in out.stdout
    assert list(json.loads((ws / ".mcp.json").read_text())["mcpServers"]) == ["legacy"]
    out = wb("mcp", "remove", "tools", cwd=ws)
    assert out.returncode == 1 and "no MCP server named 'tools'" in out.stderr
    out = wb("mcp", "trust", "nope", cwd=ws)
    assert out.returncode == 1 and "no MCP server named 'nope' (configured: legacy)" in out.stderr


def test_add_and_remove_user_scope_keeps_the_rest_of_the_config(ws: Path, _workbench_home: Path) -> None:
    config = _workbench_home / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text("# my settings\n[chat]\ndelta_batch_ms = 20\n")
    out = wb("mcp", "add", "--scope", "user", "mine", "--", "npx", "-y", "some-server", cwd=ws)
    assert out.returncode == 0, out.stderr
    data = tomllib.loads(config.read_text())
    assert data["plugins"]["servers"]["mine"] == {"command": "npx", "args": ["-y", "some-server"]}
    assert data["chat"] == {"delta_batch_ms": 20} and config.read_text().startswith("# my settings")
    out = wb("mcp", "list", cwd=ws)
    assert "mine: trusted (user config) [user, stdio]  npx -y some-server" in out.stdout
    out = wb("mcp", "trust", "mine", cwd=ws)
    assert out.returncode == 0 and "trusted by being there" in out.stdout
    out = wb("mcp", "remove", "mine", "--scope", "user", cwd=ws)
    assert out.returncode == 0, out.stderr
    assert "plugins" not in tomllib.loads(config.read_text()) or not tomllib.loads(config.read_text())["plugins"]["servers"]


def test_invalid_files_are_not_overwritten(ws: Path) -> None:
    (ws / ".mcp.json").write_text("{broken")
    out = wb("mcp", "add", "x", "--", "cmd", cwd=ws)
    assert out.returncode == 2 and ".mcp.json: cannot be read as JSON" in out.stderr
    assert (ws / ".mcp.json").read_text() == "{broken"


def test_unknown_type_skipped_and_var_errors_in_list(ws: Path) -> None:
    (ws / ".mcp.json").write_text(
        json.dumps(
            {
                "mcpServers": {
                    "ok": {"command": "${WB_T_PY:-python3}", "args": ["srv.py"]},
                    "odd": {"type": "websocket", "url": "ws://x"},
                    "needs": {"command": "srv", "env": {"T": "${WB_T_SURELY_UNSET}"}},
                }
            }
        )
    )
    trust_workspace(ws)
    out = wb("mcp", "list", cwd=ws)
    assert out.returncode == 0, out.stderr
    assert "ok: not trusted [workspace, stdio]  python3 srv.py" in out.stdout
    assert "mcpServers.odd: unknown type 'websocket'" in out.stderr and str(ws / ".mcp.json") in out.stderr
    assert "needs: invalid" in out.stdout and "WB_T_SURELY_UNSET is not set and has no default" in out.stdout


def _run_env(server: ScriptedServer) -> dict[str, str]:
    return {
        "OPENAI_API_KEY": KEY,
        "WORKBENCH_LLM__BASE_URL": server.base_url,
        "WORKBENCH_LLM__MODEL": "m",
        "WORKBENCH_LLM__MAX_RETRIES": "0",
    }


def test_headless_run_calls_a_trusted_mcp_tool_and_skips_untrusted_ones(ws: Path, _workbench_home: Path) -> None:
    entry = {"command": sys.executable, "args": ["srv.py"]}
    (ws / ".mcp.json").write_text(json.dumps({"mcpServers": {"calc": entry, "other": dict(entry, args=["srv.py", "x"])}}))
    trust_workspace(ws)
    assert wb("mcp", "trust", "calc", cwd=ws).returncode == 0
    user_config = _workbench_home / "config" / "config.toml"  # the user's own rule, not the workspace's
    user_config.parent.mkdir(parents=True)
    user_config.write_text('[permissions]\nallow = ["mcp__calc__add"]\n')
    with ScriptedServer() as server:
        server.enqueue(
            Reply(tool_calls=[ToolCallSpec("mcp__calc__add", json.dumps({"a": 20, "b": 22}), id="c1")]),
            Reply(text="The sum is 42."),
        )
        out = wb("run", "--yes", "-p", "add 20 and 22 with the plugin", str(ws), cwd=ws, env=_run_env(server))
        assert out.returncode == 0, out.stderr
        tools = [t["function"]["name"] for t in server.requests[0]["body"]["tools"]]
        assert "mcp__calc__add" in tools and not any(t.startswith("mcp__other__") for t in tools)
        tool_msgs = [m for m in server.requests[1]["body"]["messages"] if m["role"] == "tool"]
    assert tool_msgs and tool_msgs[0]["content"] == "42"
    assert "The sum is 42." in out.stdout
    assert "✔ mcp__calc__add" in out.stderr
    skipped = [line for line in out.stderr.splitlines() if "not started" in line]
    assert skipped == [
        "workbench: MCP plugins not started (not trusted): other; review and trust each with `workbench mcp trust NAME`"
    ]
    assert KEY not in out.stdout + out.stderr
    # the plugin stopped with the run: no server process of this workspace is left
    leftovers = subprocess.run(["pgrep", "-f", f"{ws}"], capture_output=True, text=True).stdout.split()
    assert leftovers == []


def test_add_does_not_bless_an_untrusted_mcp_json(ws: Path) -> None:
    """``mcp add`` carries workspace trust over to the user's own edit only when the file was
    trusted before: a repository's untrusted entries are never trusted along with it."""
    (ws / ".mcp.json").write_text(json.dumps({"mcpServers": {"evil": {"command": "sh", "args": ["-c", "id"]}}}))
    out = wb("mcp", "add", "mine", "--", sys.executable, "srv.py", cwd=ws)
    assert out.returncode == 0, out.stderr
    assert "held changes you have not trusted" in out.stderr and "workbench trust" in out.stderr
    listed = wb("mcp", "list", "--json", cwd=ws)
    assert json.loads(listed.stdout) == [] and "ignored untrusted .mcp.json" in listed.stderr
    trusted = wb("mcp", "trust", "evil", cwd=ws)
    assert trusted.returncode == 1 and "review the workspace first" in trusted.stderr
