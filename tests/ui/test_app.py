"""Pilot tests of the main screen: panes, maximize, chat streaming, cancel, resume, errors."""

from __future__ import annotations

import pytest
from helpers.trust import trust_workspace

from workbench.core.events import EventKind
from workbench.scripted.server import Fault, Reply
from workbench.ui.chat.messages import AssistantMessage, ErrorMessage, LiveReply, Thinking, UserMessage
from workbench.ui.screens.help import HelpScreen
from workbench.ui.screens.sessions import SessionPicker

from .conftest import make_app, wait_ready, wait_until

PANES = ["chat", "specs", "journal", "containers", "plugins"]


async def send(pilot, text: str) -> None:
    for ch in text:
        await pilot.press("space" if ch == " " else ch)
    await pilot.press("enter")


def idle(app) -> bool:
    return app.services is not None and not app.services.chat.running


async def test_every_pane_by_key_and_maximize(workspace, server):
    app = make_app(workspace, server)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(app)
        for n, pane_id in enumerate(PANES, start=1):
            await pilot.press(f"alt+{n}")
            assert app.focused_pane() is app.pane(pane_id), pane_id
            await pilot.press("f2")
            assert app.screen.maximized is app.pane(pane_id)
            assert app.pane(pane_id).region.width == 120
            await pilot.press("f2")
            assert app.screen.maximized is None
        # ctrl+digit works too where the terminal sends it
        await pilot.press("ctrl+4")
        assert app.focused_pane() is app.pane("containers")


async def test_prompt_streams_reply_as_markdown(workspace, server):
    server.enqueue(
        Reply(
            text="# Title\n\nA paragraph with `code`.\n\n```python\nprint('hi')\n```\n\n- one\n- two\n",
            reasoning="Let me think.",
            tokens_per_second=400,
        )
    )
    app = make_app(workspace, server)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(app)
        await send(pilot, "hello model")
        await wait_until(pilot, lambda: app.query(LiveReply) and app.query_one(LiveReply).finished)
        live = app.query_one(LiveReply)
        assert "print('hi')" in live.rendered_text
        assert live.rendered_text.startswith("# Title")
        assert app.query_one(Thinking).text == "Let me think."
        assert [m.source for m in app.query(UserMessage)] == ["hello model"]
        status = str(app.query_one("#chat-status").render())
        assert "scripted-test" in status and "tokens" in status
        # the request went through the real SDK with the conversation
        body = server.requests[-1]["body"]
        assert body["stream"] is True and body["messages"][-1] == {"role": "user", "content": "hello model"}


async def test_newline_keys_do_not_send(workspace, server):
    app = make_app(workspace, server)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(app)
        await pilot.press("a", "ctrl+j", "b")
        prompt = app.query_one("#prompt")
        assert prompt.text == "a\nb"
        assert not server.requests


async def test_escape_cancels_mid_stream_and_keeps_text(workspace, server):
    server.enqueue(Reply(text="word " * 2000, tokens_per_second=100))
    app = make_app(workspace, server)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(app)
        await send(pilot, "long please")
        await wait_until(pilot, lambda: app.query(LiveReply) and len(app.query_one(LiveReply).text) > 20)
        await pilot.press("escape")
        await wait_until(pilot, lambda: idle(app) and app.query_one(LiveReply).finished)
        live = app.query_one(LiveReply)
        assert "interrupted" in " ".join(str(n.render()) for n in live.notes)
        events = await app.services.store.events(app.services.chat.session.id)
        end = [e for e in events if e.kind == EventKind.ASSISTANT_MESSAGE][-1]
        assert end.payload["interrupted"] is True
        assert end.payload["text"] and live.text.startswith(end.payload["text"][:20])
        assert any(e.kind == EventKind.TURN_CANCELLED for e in events)


async def test_resume_shows_old_history(workspace, server):
    server.enqueue(Reply(text="first answer"), Reply(text="second answer"))
    app = make_app(workspace, server)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(app)
        await send(pilot, "first")
        await wait_until(pilot, lambda: idle(app) and app.query(LiveReply) and app.query_one(LiveReply).finished)
        await send(pilot, "second")
        await wait_until(pilot, lambda: idle(app) and len([w for w in app.query(LiveReply) if w.finished]) >= 2)
        session_id = app.services.chat.session.id
        await pilot.press("ctrl+q")
    app2 = make_app(workspace, server, continue_=True)
    async with app2.run_test(size=(120, 40)) as pilot:
        await wait_ready(app2)
        assert app2.services.chat.session.id == session_id
        assert [m.source for m in app2.query(UserMessage)] == ["first", "second"]
        assert [m.source for m in app2.query(AssistantMessage)] == ["first answer", "second answer"]
        # the next prompt continues the same conversation
        server.enqueue(Reply(text="third answer"))
        await send(pilot, "third")
        await wait_until(pilot, lambda: idle(app2) and app2.query(LiveReply) and app2.query_one(LiveReply).finished)
        roles = [m["role"] for m in server.requests[-1]["body"]["messages"]]
        assert roles[-5:] == ["user", "assistant", "user", "assistant", "user"]


async def test_session_picker_resumes(workspace, server):
    server.enqueue(Reply(text="answer A"))
    app = make_app(workspace, server)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(app)
        await send(pilot, "topic A")
        await wait_until(pilot, lambda: idle(app) and app.query(LiveReply) and app.query_one(LiveReply).finished)
        first = app.services.chat.session.id
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: not app.query(UserMessage))
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: isinstance(app.screen, SessionPicker))
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.services.chat.session is not None and app.query(UserMessage))
        assert app.services.chat.session.id == first
        assert [m.source for m in app.query(UserMessage)] == ["topic A"]


async def test_help_lists_every_binding(workspace, server):
    app = make_app(workspace, server)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(app)
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        from workbench.ui.screens.help import binding_groups

        keys = [k for _, rows in binding_groups() for k, _, _ in rows]
        for needed in ("F1", "F2", "ctrl+r", "Esc", "Enter", "shift+Enter, ctrl+j", "ctrl+1, alt+1", "ctrl+5, alt+5", "ctrl+g"):
            assert needed in keys
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


FAULTS = [
    (Fault(status=401, message="bad key"), "401 Unauthorized"),
    (Fault(status=403), "403 Forbidden"),
    (Fault(status=404), "404 Not Found"),
    (Fault(status=429, retry_after=7), "Retry after 7 s"),
    (Fault(status=500), "500 Server error"),
    (Fault(stall_seconds=3), "Timed out"),
    (Fault(cut_after_chunks=4, reply=Reply(text="partial text that is cut")), "broke mid-reply"),
    (Fault(malformed_after_chunks=3, reply=Reply(text="some text before garbage")), "Malformed"),
]


@pytest.mark.parametrize(
    "fault,expected",
    FAULTS,
    ids=[
        f"{f.status or ''}{'stall' if f.stall_seconds else ''}{'cut' if f.cut_after_chunks else ''}{'malformed' if f.malformed_after_chunks else ''}"
        for f, _ in FAULTS
    ],
)
async def test_api_faults_show_one_line_message(workspace, server, fault, expected):
    server.enqueue(fault, Reply(text="recovered fine"))
    app = make_app(workspace, server)
    app.overrides["llm"]["timeout"] = 1
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(app)
        await send(pilot, "trigger")
        await wait_until(pilot, lambda: idle(app) and app.query(ErrorMessage))
        message = str(app.query_one(ErrorMessage).render())
        assert expected in message
        assert "\n" not in message.strip()
        assert "sk-canary" not in message
        if fault.status:
            assert "request id req_" in message
        # the session is intact: the next prompt works
        await send(pilot, "again")
        await wait_until(pilot, lambda: idle(app) and any("recovered fine" in w.rendered_text for w in app.query(LiveReply)))


async def test_refused_connection_is_explained(workspace):
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    app = make_app(workspace, None)
    app.overrides["llm"]["base_url"] = f"http://127.0.0.1:{port}/v1"
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(app)
        await send(pilot, "anyone there")
        await wait_until(pilot, lambda: idle(app) and app.query(ErrorMessage))
        assert "Cannot connect" in str(app.query_one(ErrorMessage).render())


async def test_theme_switch_is_remembered(workspace, server):
    app = make_app(workspace, server)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(app)
        assert app.theme == "workbench-dark"
        assert "workbench-light" in app.available_themes
        app.theme = "workbench-light"
        await pilot.pause()
    app2 = make_app(workspace, server)
    async with app2.run_test(size=(120, 40)) as pilot:
        await wait_ready(app2)
        assert app2.theme == "workbench-light"
        assert app2.code_theme == "default"


async def test_config_error_exits_with_code_2(workspace, server):
    (workspace / ".workbench").mkdir()
    (workspace / ".workbench" / "config.toml").write_text("[llm]\ntimeout = 'soon'\n")
    trust_workspace(workspace)
    app = make_app(workspace, server)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.return_code is not None, timeout=15)
    assert app.return_code == 2


async def test_unexpected_startup_failure_exits_with_one_line_instead_of_loading_forever(
    workspace, server, tmp_path, monkeypatch
):
    """The data dir cannot be created (a file is in the way): the app used to stay at
    "Loading…" in every pane with no word of why; now it exits 1 naming the error."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("WORKBENCH_HOME", str(blocker / "home"))
    app = make_app(workspace, server)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.return_code is not None, timeout=30)
    assert app.return_code == 1
    assert not app.ready.is_set()  # the message itself is printed on exit (seen in tmux)
