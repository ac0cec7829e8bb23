"""``workbench plugins`` with a real MCP server, and ``workbench mcp serve`` through the SDK's stdio client."""

from __future__ import annotations

import json
from pathlib import Path

from .conftest import REPO, Workbench

SERVERS = REPO / "tests" / "plugins" / "servers"


def _user_server(wb: Workbench, venv_python: Path, name: str, script: str) -> None:
    config = Path(wb.env["WORKBENCH_HOME"]) / "config" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(
        f"[plugins.servers.{name}]\ncommand = {json.dumps(str(venv_python))}\nargs = [{json.dumps(str(SERVERS / script))}]\n"
    )


def test_plugins_reports_a_trusted_server_and_its_tools(wb, e2e_ws, venv_python) -> None:
    none = wb("plugins", "--path", e2e_ws)
    assert none.returncode == 0, none.stderr
    _user_server(wb, venv_python, "healthy", "healthy.py")
    proc = wb("plugins", "--json", "--path", e2e_ws)
    assert proc.returncode == 0, proc.stderr
    [report] = json.loads(proc.stdout)
    assert report["name"] == "healthy" and report["state"] == "active" and report["source"] == "user"
    assert {"mcp__healthy__echo", "mcp__healthy__add"} <= {t["qualified_name"] for t in report["tools"]}
    text = wb("plugins", "--path", e2e_ws)
    assert "healthy: active" in text.stdout and "mcp__healthy__echo" in text.stdout


def test_plugins_exit_1_when_a_server_fails(wb, e2e_ws, venv_python) -> None:
    _user_server(wb, venv_python, "broken", "exit_at_start.py")
    proc = wb("plugins", "--json", "--path", e2e_ws)
    assert proc.returncode == 1
    [report] = json.loads(proc.stdout)
    assert report["state"] == "error" and report["error"]
    assert proc.stderr.strip() and "Traceback" not in proc.stderr


async def test_mcp_serve_initialize_and_list_tools(workbench_bin, wb_env, e2e_ws) -> None:
    from mcp import ClientSession, StdioServerParameters, stdio_client

    spec = e2e_ws / ".workbench" / "specs" / "demo"
    spec.mkdir(parents=True)
    (spec / "requirements.md").write_text("# Requirements Document\n\n## Requirements\n")
    for args in (["mcp", "serve", str(e2e_ws)], ["mcp", "serve", "--path", str(e2e_ws)]):
        params = StdioServerParameters(command=str(workbench_bin), args=args, env=wb_env, cwd=str(e2e_ws.parent))
        async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
            init = await session.initialize()
            assert init.server_info.name == "workbench"
            tools = {t.name for t in (await session.list_tools()).tools}
            assert {"spec_list", "spec_read", "journal_recent"} <= tools
            result = await session.call_tool("spec_list", {})
            assert not result.is_error
            assert "demo" in json.dumps(result.structured_content or [c.text for c in result.content])


def test_mcp_serve_bad_workspace_exits_2(wb, e2e_ws) -> None:
    proc = wb("mcp", "serve", e2e_ws / "missing")
    assert proc.returncode == 2 and "is not a folder" in proc.stderr
