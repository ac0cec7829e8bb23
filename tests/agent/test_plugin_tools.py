"""The agent calling an MCP plugin tool end to end: scripted model -> agent loop -> real MCP server
over stdio (the SDK) -> result back to the model."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from helpers.trust import trust_workspace

from workbench.core.agent.approvals import ApprovalDecision
from workbench.core.events import EventKind
from workbench.core.mcp.plugins.service import plugin_runtime
from workbench.core.mcp.plugins.supervisor import PluginState
from workbench.scripted.server import Reply, ToolCallSpec

from .conftest import tool_messages

SERVERS = Path(__file__).resolve().parents[1] / "plugins" / "servers"


def _mcp_json(workspace: Path) -> None:
    (workspace / ".mcp.json").write_text(
        json.dumps({"mcpServers": {"calc": {"command": sys.executable, "args": [str(SERVERS / "healthy.py")]}}})
    )
    trust_workspace(workspace)


async def test_agent_calls_a_plugin_tool_with_approval(make_rig, server, workspace):
    _mcp_json(workspace)
    rig = await make_rig("ask", [ApprovalDecision("approve")])
    from workbench.core.mcp.plugins.plugin_config import load_specs
    from workbench.core.mcp.plugins.plugin_trust import TrustStore

    for spec in load_specs(workspace, rig.services.settings.plugins):
        TrustStore.for_workspace(workspace).trust(spec)
    sup = await plugin_runtime(rig.services, start=False)
    await sup.start_all(wait=True)
    assert sup.handles["calc"].state == PluginState.ACTIVE
    server.enqueue(
        Reply(tool_calls=[ToolCallSpec("mcp__calc__add", json.dumps({"a": 2, "b": 40}), id="p1")]),
        Reply(tool_calls=[ToolCallSpec("mcp__calc__fail", json.dumps({"message": "boom"}), id="p2")]),
        Reply(text="The sum is 42."),
    )
    rig.answers.append(ApprovalDecision("approve"))
    out = await rig.chat.send("add 2 and 40")
    assert out.status == "done"
    offered = {t["function"]["name"] for t in server.requests[0]["body"]["tools"]}
    assert {"mcp__calc__add", "mcp__calc__echo"} <= offered
    assert tool_messages(server.requests[1]["body"])["p1"] == "42"
    assert "boom" in tool_messages(server.requests[2]["body"])["p2"]
    assert len(rig.asked) == 2 and rig.asked[0].tool == "mcp__calc__add"
    finished = [e for e in await rig.events() if e.kind == EventKind.TOOL_CALL_FINISHED]
    assert finished[0].payload["is_error"] is False and finished[0].payload["duration_ms"] > 0
    assert finished[1].payload["is_error"] is True
    assert sup.handles["calc"].counters.calls >= 2
    await rig.services.aclose()
