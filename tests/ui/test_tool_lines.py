"""Tool calls in the chat: a short summary line, the full arguments and result one key away
(MCP results included), and an edit made in the approval modal reflected to the model and the chat."""

from __future__ import annotations

import json

from workbench.core.events import EventKind
from workbench.scripted.server import Reply, ToolCallSpec
from workbench.ui.chat.tools import ToolCallView, details_text
from workbench.ui.screens.approval import ApprovalScreen

from .conftest import make_app, wait_ready, wait_until
from .plugins.conftest import write_mcp_json
from .test_app import idle, send


def tool_messages(server, call_id: str) -> list[str]:
    """Every tool message sent to the model for ``call_id`` (one per later request)."""
    return [
        m["content"]
        for r in server.requests
        for m in r["body"]["messages"]
        if m["role"] == "tool" and m.get("tool_call_id") == call_id
    ]


def line(view: ToolCallView) -> str:
    return view.line_text().plain


async def test_edit_file_line_shows_the_path_and_enter_expands_arguments_and_result(workspace, server):
    (workspace / "calc.py").write_text("def div(a, b):\n    return a / b\n")
    args = {
        "path": "calc.py",
        "old_text": "    return a / b\n",
        "new_text": "    if b == 0:\n        raise ValueError('b is 0')\n    return a / b\n",
    }
    server.enqueue(Reply(tool_calls=[ToolCallSpec("edit_file", json.dumps(args), id="e1")]), Reply(text="done"))
    app = make_app(workspace, server)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(app)
        await pilot.press("shift+tab")  # auto-edit: no modal
        await send(pilot, "guard the division")
        await wait_until(pilot, lambda: idle(app) and app.query(ToolCallView) and app.query_one(ToolCallView).state == "ok")
        view = app.query_one(ToolCallView)
        shown = line(view)
        assert shown.startswith("✔ edit_file calc.py  → wrote calc.py"), shown
        assert "old_text" not in shown and "⏎" not in shown and "return a / b" not in shown
        assert not view.expanded
        await pilot.click(view.query_one(".tool-line"))
        await wait_until(pilot, lambda: view.expanded)
        details = str(view.query_one(".tool-details").render())
        assert "raise ValueError('b is 0')" in details and "old_text:" in details
        assert "result" in details and "wrote calc.py" in details
        await pilot.click(view.query_one(".tool-line"))
        await wait_until(pilot, lambda: not view.expanded)
        view.focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: view.expanded)
        # ctrl+o in the chat: every call at once
        app.query_one("#prompt").focus()
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: not view.expanded)
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: view.expanded)


async def test_run_command_line_shows_the_command():
    from workbench.ui.chat.tools import call_summary, display_name

    assert call_summary("run_command", json.dumps({"command": "pytest -q tests/test_calc.py"})) == "pytest -q tests/test_calc.py"
    assert call_summary("move_file", json.dumps({"src": "a.py", "dst": "b.py"})) == "a.py → b.py"
    assert call_summary("grep", json.dumps({"pattern": "def div", "path": "src"})) == "def div in src"
    assert display_name("mcp__files__read_text") == "files/read_text"
    assert "is_error" not in details_text('{"a": 1}', "42", False).plain


async def test_mcp_result_is_visible_in_the_chat(workspace, server):
    write_mcp_json(workspace, {"healthy": "healthy.py"}, trusted=("healthy",))
    server.enqueue(
        Reply(tool_calls=[ToolCallSpec("mcp__healthy__echo", json.dumps({"text": "the plugin says 4217"}), id="m1")]),
        Reply(text="echoed"),
    )
    app = make_app(workspace, server)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(app)
        pane = app.pane("plugins")
        await wait_until(
            pilot,
            lambda: (
                pane.supervisor is not None and any(t.qualified_name == "mcp__healthy__echo" for t in pane.supervisor.tools())
            ),
            timeout=30,
        )
        await send(pilot, "echo through the plugin")
        await wait_until(pilot, lambda: isinstance(app.screen, ApprovalScreen), timeout=20)
        await pilot.press("y")
        await wait_until(pilot, lambda: idle(app) and app.query(ToolCallView) and app.query_one(ToolCallView).state == "ok")
        view = app.query_one(ToolCallView)
        assert line(view).startswith("✔ healthy/echo"), line(view)
        assert view.result is not None and "the plugin says 4217" in view.result
        await pilot.click(view.query_one(".tool-line"))
        await wait_until(pilot, lambda: view.expanded)
        assert "the plugin says 4217" in str(view.query_one(".tool-details").render()).split("result", 1)[1]
        assert tool_messages(server, "m1") == ["the plugin says 4217"]


async def test_edited_change_is_what_the_model_and_the_chat_see(workspace, server):
    server.enqueue(
        Reply(tool_calls=[ToolCallSpec("write_file", json.dumps({"path": "e.txt", "content": "model line\n"}), id="c5")]),
        Reply(text="ok"),
    )
    app = make_app(workspace, server)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(app)
        await send(pilot, "write e")
        await wait_until(pilot, lambda: isinstance(app.screen, ApprovalScreen))
        screen = app.screen
        await pilot.press("e")
        screen.query_one("#editor").load_text("user line\n")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: idle(app) and app.query(ToolCallView) and app.query_one(ToolCallView).state == "ok")
        assert (workspace / "e.txt").read_text() == "user line\n"
        # the model is told its content was not what was written
        told = tool_messages(server, "c5")[0]
        assert "edited" in told and "+user line" in told and "-model line" in told, told
        # the chat says so, and its diff is of what was written
        view = app.query_one(ToolCallView)
        assert "edited by the user" in view.detail
        diff = next(s.content.code for s in view.query("Static") if hasattr(s.content, "code"))
        assert "+user line" in diff and "model line" not in diff
        await pilot.click(view.query_one(".tool-line"))
        await wait_until(pilot, lambda: view.expanded)
        assert "the user edited the content" in str(view.query_one(".tool-details").render())
        events = await app.services.store.events(app.services.chat.session.id)
        finished = [e for e in events if e.kind == EventKind.TOOL_CALL_FINISHED][0]
        assert finished.payload["edited"] is True
