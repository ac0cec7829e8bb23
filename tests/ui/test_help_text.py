"""``/help`` and F1 show what users type: ``[ID]`` kept, keys as characters, slash commands listed."""

from __future__ import annotations

from workbench.ui.chat.messages import Note
from workbench.ui.screens.help import HelpScreen

from .conftest import make_app, wait_ready, wait_until
from .test_app import send
from .test_small_terminal import screen_lines


async def test_slash_help_keeps_bracketed_arguments(workspace, server):
    app = make_app(workspace, server)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(app)
        await send(pilot, "/help")
        await wait_until(pilot, lambda: any("Slash commands" in str(n.render()) for n in app.query(Note)))
        text = next(str(n.render()) for n in app.query(Note) if "Slash commands" in str(n.render()))
        assert "/resume [ID]" in text and "/checkpoint [LABEL]" in text, text
        # a model name with brackets is shown as typed, not read as markup
        await send(pilot, "/model [bold]x")
        await wait_until(pilot, lambda: any("Model set to [bold]x" in str(n.render()) for n in app.query(Note)))


async def test_f1_shows_typed_keys_and_the_slash_commands(workspace, server):
    app = make_app(workspace, server)
    async with app.run_test(size=(120, 80)) as pilot:
        await wait_ready(app)
        await pilot.press("f1")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        await pilot.pause()
        from rich.console import Console

        console = Console(width=200, record=True, file=open("/dev/null", "w"))
        for static in app.screen.query("Static"):
            console.print(static.content)
        shown = console.export_text()
        for raw in ("exclamation_mark", "right_square_bracket", "left_square_bracket", "question_mark"):
            assert raw not in shown, raw
        rows = {line.split()[0]: line for line in shown.splitlines() if line.split()}
        assert "Run" in rows.get("!", ""), "containers: ! runs a command"
        assert "Search" in rows.get("/", "")
        assert "Next tab" in rows.get("]", "")
        assert "Prev" in rows.get("[", "") or "Previous" in rows.get("[", "")
        assert "/resume [ID]" in shown and "/checkpoint [LABEL]" in shown and "/rewind" in shown
        assert "ctrl+g" in shown
        lines = screen_lines(app)
        assert any("Workbench keys" in line for line in lines)
