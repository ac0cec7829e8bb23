"""Pilot tests of the rewind screen (esc esc on an empty prompt, /rewind) and /checkpoint."""

from __future__ import annotations

import json

from workbench.scripted.server import Reply, ToolCallSpec
from workbench.ui.screens.rewind import RewindScreen

from .conftest import make_app, wait_ready, wait_until
from .test_app import idle, send


async def _turn_with_change(pilot, app, server, workspace):
    server.enqueue(
        Reply(tool_calls=[ToolCallSpec("write_file", json.dumps({"path": "made.txt", "content": "x"}), id="w")]),
        Reply(text="made"),
    )
    await pilot.press("shift+tab")  # auto-edit
    await send(pilot, "make a file")
    await wait_until(pilot, lambda: idle(app) and (workspace / "made.txt").exists())


async def test_esc_esc_opens_rewind_and_restores_files(workspace, server):
    app = make_app(workspace, server)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(app)
        await _turn_with_change(pilot, app, server, workspace)
        await pilot.press("escape", "escape")
        await wait_until(pilot, lambda: isinstance(app.screen, RewindScreen))
        screen = app.screen
        assert len(screen.checkpoints) == 2 and screen.checkpoints[0].payload["label"] == "after turn"
        await pilot.press("down")  # the "before" checkpoint
        await wait_until(pilot, lambda: "made.txt" in screen.preview_text)
        await pilot.press("f")
        await wait_until(pilot, lambda: not isinstance(app.screen, RewindScreen))
        assert not (workspace / "made.txt").exists()


async def test_conversation_rewind_puts_the_prompt_back(workspace, server):
    app = make_app(workspace, server)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(app)
        await _turn_with_change(pilot, app, server, workspace)
        old = app.services.chat.session.id
        await send(pilot, "/rewind")
        await wait_until(pilot, lambda: isinstance(app.screen, RewindScreen))
        await pilot.press("down", "c")
        await wait_until(pilot, lambda: not isinstance(app.screen, RewindScreen))
        await wait_until(pilot, lambda: app.query_one("#prompt").text == "make a file")
        assert app.services.chat.session.id != old
        assert (workspace / "made.txt").exists()


async def test_slash_checkpoint(workspace, server):
    app = make_app(workspace, server)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(app)
        (workspace / "note.txt").write_text("n")
        await send(pilot, "/checkpoint my label")
        from workbench.ui.chat.messages import Note

        await wait_until(pilot, lambda: any("Checkpoint" in str(n.render()) for n in app.query(Note)))
        cps = await app.services.checkpoints.list()
        assert cps[-1].payload["label"] == "my label"


async def test_two_checkpoints_on_one_commit_each_get_a_row(workspace, server):
    """`/checkpoint a`, `/checkpoint b` with no change between them share one commit: the rewind
    screen lists both (it crashed with DuplicateID) and restores the one chosen."""
    app = make_app(workspace, server)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(app)
        service = app.services.checkpoints
        await send(pilot, "/checkpoint a")
        await wait_until(pilot, lambda: len(app.query("Note")) >= 1)
        await send(pilot, "/checkpoint b")
        await wait_until(pilot, lambda: len(app.query("Note")) >= 2)
        cps = await service.list()
        assert [c.payload["label"] for c in cps] == ["a", "b"]
        assert cps[0].payload["checkpoint"] == cps[1].payload["checkpoint"]
        (workspace / "later.txt").write_text("later")
        await send(pilot, "/rewind")
        await wait_until(pilot, lambda: isinstance(app.screen, RewindScreen))
        screen = app.screen
        from textual.widgets import OptionList

        options = screen.query_one(OptionList)
        assert options.option_count == 2
        labels = [str(options.get_option_at_index(i).prompt) for i in range(2)]
        assert "b" in labels[0] and "a" in labels[1]
        await pilot.press("down")
        await wait_until(pilot, lambda: "later.txt" in screen.preview_text)
        await pilot.press("f")
        await wait_until(pilot, lambda: not isinstance(app.screen, RewindScreen))
        assert not (workspace / "later.txt").exists()
        assert app.return_code is None, "the app is still running"
