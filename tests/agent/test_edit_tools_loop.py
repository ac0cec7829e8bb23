"""multi_edit / replace_all / grep context through the agent loop: scripted model, approvals, real files."""

from __future__ import annotations

import json

from workbench.core.agent.approvals import ApprovalDecision
from workbench.core.events import EventKind
from workbench.scripted.server import Reply, ToolCallSpec

from .conftest import args, tool_messages


async def test_multi_edit_is_approved_once_and_atomic(make_rig, server, workspace):
    (workspace / "src" / "dos.py").write_bytes(b"a = 1\r\nb = 2\r\n")
    edits = [{"old_text": "a = 1\nb = 2", "new_text": "a = 10\nb = 20"}, {"old_text": "20", "new_text": "21"}]
    bad = [{"old_text": "a = 10", "new_text": "a = 0"}, {"old_text": "missing", "new_text": "x"}]
    server.enqueue(
        Reply(tool_calls=[ToolCallSpec("multi_edit", json.dumps({"path": "src/dos.py", "edits": edits}), id="m1")]),
        Reply(tool_calls=[ToolCallSpec("multi_edit", json.dumps({"path": "src/dos.py", "edits": bad}), id="m2")]),
        Reply(
            tool_calls=[ToolCallSpec("edit_file", args(path="src/app.py", old_text="4", new_text="5", replace_all=True), id="e1")]
        ),
        Reply(tool_calls=[ToolCallSpec("grep", args(pattern="return", context=1, path="src"), id="g1")]),
        Reply(text="done"),
    )
    rig = await make_rig("ask", [ApprovalDecision("approve"), ApprovalDecision("approve"), ApprovalDecision("approve")])
    out = await rig.chat.send("edit")
    assert out.status == "done"
    assert (workspace / "src" / "dos.py").read_bytes() == b"a = 10\r\nb = 21\r\n"
    assert rig.asked[0].tool == "multi_edit" and "+a = 10" in rig.asked[0].diff
    msgs = tool_messages(server.requests[-1]["body"])
    assert msgs["m2"].startswith("Error: edit 2 of 2 failed, so none were applied")
    assert (workspace / "src" / "dos.py").read_bytes() == b"a = 10\r\nb = 21\r\n"
    assert (workspace / "src" / "app.py").read_text() == "def answer():\n    return 51\n"
    assert msgs["g1"].splitlines()[1:] == ["src/app.py-1- def answer():", "src/app.py:2:     return 51"]
    finished = {e.payload["call_id"]: e.payload for e in await rig.events() if e.kind == EventKind.TOOL_CALL_FINISHED}
    assert finished["m1"]["changed_paths"] == ["src/dos.py"] and finished["m2"]["is_error"] is True
    await rig.services.aclose()
