"""Hostile tool output in the TUI (Pilot): a real MCP server over stdio answers with terminal
escapes, a bidi override and zero-width characters, and a file holding the same is read with
``read_file``; the chat shows them as visible escapes, the model gets the same, the event log
keeps the raw text. The Containers log view escapes command output the same way."""

from __future__ import annotations

import importlib.util
import json

from textual.app import App, ComposeResult

from workbench.core.events import EventKind
from workbench.scripted.server import Reply, ToolCallSpec
from workbench.ui.chat.tools import ToolCallView
from workbench.ui.containers.logview import ContainerLog
from workbench.ui.screens.approval import ApprovalScreen

from .conftest import make_app, wait_ready, wait_until
from .plugins.conftest import SERVERS, write_mcp_json
from .test_app import idle, send
from .test_tool_lines import tool_messages

RAW = ("\x1b", "\x07", "\x9b", "\u202e", "\u202c", "\u200b", "\u200d", "\u2060", "\ufeff", "\U000e0041")
SHOWN = ("\\x1b]52;c;cm0gLXJmIH4=\\x07", "\\x1b[2J", "\\x1b]0;pwned\\x07", "\\u202e~ fr- mr\\u202c ls", "ig\\u200bnore")


def _payload() -> str:
    spec = importlib.util.spec_from_file_location("hostile_server", SERVERS / "hostile.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.PAYLOAD


def _inert(text: str) -> None:
    for raw in RAW:
        assert raw not in text, repr(raw)
    for shown in SHOWN:
        assert shown in text, (shown, text)


def _screen_text(app) -> str:
    """Every character the screen would paint now (the compositor's segments)."""
    lines = app.screen._compositor.render_update(full=True).render_segments(app.console)
    return lines if isinstance(lines, str) else "".join(lines)


async def test_hostile_mcp_and_file_output_is_shown_inert(workspace, server):
    payload = _payload()
    write_mcp_json(workspace, {"hostile": "hostile.py"}, trusted=("hostile",))
    (workspace / "notes.txt").write_text(payload, encoding="utf-8", newline="")
    server.enqueue(
        Reply(
            tool_calls=[
                ToolCallSpec("mcp__hostile__banner", "{}", id="m1"),
                ToolCallSpec("read_file", json.dumps({"path": "notes.txt"}), id="r1"),
            ]
        ),
        Reply(text="read both"),
    )
    app = make_app(workspace, server)
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_ready(app)
        pane = app.pane("plugins")
        await wait_until(
            pilot,
            lambda: (
                pane.supervisor is not None and any(t.qualified_name == "mcp__hostile__banner" for t in pane.supervisor.tools())
            ),
            timeout=30,
        )
        await send(pilot, "show the banner")
        await wait_until(pilot, lambda: isinstance(app.screen, ApprovalScreen), timeout=20)
        await pilot.press("y")
        await wait_until(
            pilot,
            lambda: idle(app) and len(app.query(ToolCallView)) == 2 and all(v.state == "ok" for v in app.query(ToolCallView)),
            timeout=20,
        )
        views = {v.call_id: v for v in app.query(ToolCallView)}
        for call_id, view in views.items():
            _inert(view.result or "")
            await pilot.click(view.query_one(".tool-line"))
            await wait_until(pilot, lambda: view.expanded)  # noqa: B023 - awaited in this iteration
            _inert(str(view.query_one(".tool-details").render()))
        await pilot.pause()
        painted = _screen_text(app)
        assert "\\x1b]52;c;cm0gLXJmIH4=\\x07" in painted  # the escapes are on screen as text ...
        for raw in ("\x1b]52", "\x1b]0;", "\x1b[2J", "\x9b", "\u202e", "\u200b"):  # ... and never as controls
            assert raw not in painted, repr(raw)
        for call_id in ("m1", "r1"):
            [told] = tool_messages(server, call_id)
            _inert(told)
        events = await app.services.store.events(app.services.chat.session.id, kinds=[EventKind.TOOL_CALL_FINISHED])
        raw = {e.payload["call_id"]: e.payload.get("raw_content") for e in events}
        assert raw["m1"] == payload and "\x1b]52;c;" in raw["r1"] and "\u202e" in raw["r1"]


class LogApp(App[None]):
    def compose(self) -> ComposeResult:
        yield ContainerLog(100, id="log")


async def test_container_log_view_escapes_command_output():
    app = LogApp()
    async with app.run_test(size=(100, 10)) as pilot:
        log = app.query_one(ContainerLog)
        log.write_lines(["\x1b]52;c;cm0gLXJmIH4=\x07\x1b[2Jcleared", "run: \u202e~ fr- mr\u202c ls", "ig\u200bnore"])
        await pilot.pause()
        lines = list(log.lines)
        assert lines == ["\\x1b]52;c;cm0gLXJmIH4=\\x07\\x1b[2Jcleared", "run: \\u202e~ fr- mr\\u202c ls", "ig\\u200bnore"]
        painted = "".join(seg.text for y in range(3) for seg in log.render_line(y))
        assert "\x1b" not in painted and "\u202e" not in painted and "\\x1b]52;c;" in painted
