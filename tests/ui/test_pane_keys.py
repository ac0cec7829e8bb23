"""Pane focus by key as real terminals send it.

Pilot's ``press("alt+1")`` builds the key event directly; a terminal sends bytes (``ESC 1`` from
tmux, xterm, GNOME Terminal, Windows Terminal). These tests run those bytes through Textual's own
terminal parser (the one the Linux driver uses) and deliver what it produces to the app.
"""

from __future__ import annotations

import asyncio

from textual._xterm_parser import XTermParser

from workbench.ui.screens.goto import GotoPane

from .conftest import make_app, wait_ready, wait_until

PANES = ["chat", "specs", "journal", "containers", "plugins"]


async def type_bytes(pilot, data: str) -> list:
    """Feed ``data`` to a terminal parser like the driver does; send the app what it yields."""
    app = pilot.app
    parser = XTermParser()
    produced = list(parser.feed(data))
    loop = asyncio.get_running_loop()
    end = loop.time() + 2
    while not produced and loop.time() < end:  # a lone ESC waits for the escape delay
        await pilot.pause(0.02)
        produced = list(parser.tick())
    for event in produced:
        event.set_sender(app)
        app._driver.send_message(event)
    await pilot.pause()
    return produced


async def test_esc_digit_from_tmux_focuses_panes_and_types_nothing(workspace, server):
    app = make_app(workspace, server)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(app)
        prompt = app.query_one("#prompt")
        for n, pane_id in reversed(list(enumerate(PANES, start=1))):
            keys = await type_bytes(pilot, f"\x1b{n}")
            assert [k.key for k in keys] == [f"alt+{n}"]
            await wait_until(pilot, lambda p=pane_id: app.focused_pane() is app.pane(p))
        assert app.focused is prompt
        assert prompt.text == "", "alt+digit must not type ¡™£¢∞ into the prompt"
        # a real £ (a UK keyboard's shift+3) is still typed
        await type_bytes(pilot, "£")
        assert prompt.text == "£"


async def test_ctrl_g_then_digit_works_in_every_terminal(workspace, server):
    app = make_app(workspace, server)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(app)
        await type_bytes(pilot, "\x07")  # ctrl+g
        await wait_until(pilot, lambda: isinstance(app.screen, GotoPane))
        assert "1 Chat" in str(app.screen.query_one("Static").render())
        await type_bytes(pilot, "3")
        await wait_until(pilot, lambda: app.focused_pane() is app.pane("journal"))
        await type_bytes(pilot, "\x07")
        await wait_until(pilot, lambda: isinstance(app.screen, GotoPane))
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, GotoPane))
        assert app.focused_pane() is app.pane("journal")
        await type_bytes(pilot, "\x071")
        await wait_until(pilot, lambda: app.focused is app.query_one("#prompt"))
        assert app.query_one("#prompt").text == ""
