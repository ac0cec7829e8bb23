"""Pilot tests of the agent in the chat: tool call blocks, the approval modal, modes, slash commands."""

from __future__ import annotations

import json

from workbench.core.events import EventKind
from workbench.scripted.server import Reply, ToolCallSpec
from workbench.ui.chat.messages import Note
from workbench.ui.chat.tools import ToolCallView
from workbench.ui.screens.approval import ApprovalScreen

from .conftest import make_app, wait_ready, wait_until
from .test_app import idle, send


def write_call(path: str, content: str, cid: str) -> Reply:
    return Reply(tool_calls=[ToolCallSpec("write_file", json.dumps({"path": path, "content": content}), id=cid)])


def tool_reply(server, index: int, call_id: str) -> str:
    return {m["tool_call_id"]: m["content"] for m in server.requests[index]["body"]["messages"] if m["role"] == "tool"}[call_id]


async def _approval(pilot, app) -> ApprovalScreen:
    await wait_until(pilot, lambda: isinstance(app.screen, ApprovalScreen))
    return app.screen


async def test_approve_runs_the_call_and_shows_the_block(workspace, server):
    server.enqueue(write_call("hello.txt", "hi there\n", "c1"), Reply(text="Done."))
    app = make_app(workspace, server)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(app)
        await send(pilot, "make hello")
        screen = await _approval(pilot, app)
        assert screen.request.tool == "write_file" and "+hi there" in screen.request.diff
        await pilot.press("y")
        await wait_until(pilot, lambda: idle(app))
        assert (workspace / "hello.txt").read_text() == "hi there\n"
        block = app.query_one(ToolCallView)
        assert block.state == "ok" and "hello.txt" in block.detail


async def test_deny_with_reason_goes_back_to_the_model(workspace, server):
    server.enqueue(write_call("nope.txt", "x", "c2"), Reply(text="OK, I won't."))
    app = make_app(workspace, server)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(app)
        await send(pilot, "write nope")
        await _approval(pilot, app)
        await pilot.press("n")
        for ch in "not here":
            await pilot.press("space" if ch == " " else ch)
        await pilot.press("enter")
        await wait_until(pilot, lambda: idle(app))
        assert not (workspace / "nope.txt").exists()
        assert tool_reply(server, 1, "c2") == "Denied by the user: not here"
        assert app.query_one(ToolCallView).state == "denied"


async def test_always_allow_skips_the_second_modal(workspace, server):
    server.enqueue(write_call("a.txt", "1", "c3"), write_call("a.txt", "2", "c4"), Reply(text="twice"))
    app = make_app(workspace, server)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(app)
        await send(pilot, "write twice")
        await _approval(pilot, app)
        await pilot.press("a")
        await wait_until(pilot, lambda: idle(app))
        assert (workspace / "a.txt").read_text() == "2"
        assert app.services.chat.permissions.session_allow == ["write_file:a.txt"]
        kinds = [e.kind for e in await app.services.store.events(app.services.chat.session.id)]
        assert kinds.count(EventKind.APPROVAL_REQUESTED) == 1


async def test_edit_the_proposed_content_before_applying(workspace, server):
    server.enqueue(write_call("e.txt", "model\n", "c5"), Reply(text="ok"))
    app = make_app(workspace, server)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(app)
        await send(pilot, "write e")
        screen = await _approval(pilot, app)
        await pilot.press("e")
        editor = screen.query_one("#editor")
        editor.load_text("edited by me\n")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: idle(app))
        assert (workspace / "e.txt").read_text() == "edited by me\n"


async def test_shift_tab_cycles_the_mode_and_status_shows_it(workspace, server):
    app = make_app(workspace, server)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(app)
        seen = []
        for _ in range(4):
            await pilot.press("shift+tab")
            await pilot.pause()
            seen.append(app.services.chat.permissions.mode.value)
            assert f"mode {seen[-1]}" in str(app.query_one("#chat-status").render())
        assert seen == ["auto-edit", "full-auto", "read-only", "ask"]
        assert app.focused is app.query_one("#prompt")


async def test_auto_edit_mode_runs_without_a_modal(workspace, server):
    server.enqueue(write_call("auto.txt", "x", "c6"), Reply(text="ok"))
    app = make_app(workspace, server)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(app)
        await pilot.press("shift+tab")
        await send(pilot, "write auto")
        await wait_until(pilot, lambda: idle(app) and app.query(ToolCallView))
        assert not isinstance(app.screen, ApprovalScreen)
        assert (workspace / "auto.txt").exists()


async def test_slash_commands_complete_and_run(workspace, server):
    app = make_app(workspace, server)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(app)
        await pilot.press("/", "m", "o")
        hint = app.query_one("#slash-hint")
        assert hint.has_class("-shown") and "/mode" in str(hint.render()) and "/model" in str(hint.render())
        await pilot.press("d", "e", "tab")
        assert app.query_one("#prompt").text == "/mode "
        for ch in "full":
            await pilot.press(ch)
        await pilot.press("tab")
        assert app.query_one("#prompt").text == "/mode full-auto"
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.services.chat.permissions.mode.value == "full-auto")
        await send(pilot, "/cost")
        await wait_until(pilot, lambda: any("Session tokens" in str(n.render()) for n in app.query(Note)))
        await send(pilot, "/model other-model")
        await wait_until(pilot, lambda: app.services.chat.llm.model == "other-model")
        await send(pilot, "/bogus")
        await wait_until(pilot, lambda: any("Unknown command /bogus" in str(n.render()) for n in app.query(Note)))
        assert not server.requests, "slash commands never reach the model"


async def test_resume_shows_tool_calls_and_outcome_unknown(workspace, server):
    from workbench.core.events import Event

    app = make_app(workspace, server)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(app)
        chat = app.services.chat
        sid = (await chat.ensure_session()).id
        await chat.emit(
            Event(EventKind.USER_MESSAGE, sid, {"turn_id": "t", "text": "do it"}),
            Event(
                EventKind.TOOL_CALL_REQUESTED,
                sid,
                {"turn_id": "t", "step": 1, "call_id": "k1", "name": "write_file", "arguments": '{"path": "z"}'},
            ),
            Event(EventKind.TOOL_CALL_STARTED, sid, {"call_id": "k1", "name": "write_file"}),
        )
        await pilot.press("ctrl+q")
    app2 = make_app(workspace, server, continue_=True)
    async with app2.run_test(size=(120, 40)) as pilot:
        await wait_ready(app2)
        block = app2.query_one(ToolCallView)
        assert block.state == "unknown" and "outcome unknown" in block.detail
