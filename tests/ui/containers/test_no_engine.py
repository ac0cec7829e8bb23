"""No Docker engine reachable (DOCKER_HOST points to a missing socket): the pane says why and how to
fix it, the app and chat keep working, and the pane keeps checking."""

from __future__ import annotations

from workbench.ui.containers.pane import ContainersPane

from ..conftest import make_app, wait_ready, wait_until

MISSING = "unix:///nonexistent/workbench-test/docker.sock"


async def send(pilot, text: str) -> None:
    for ch in text:
        await pilot.press("space" if ch == " " else ch)
    await pilot.press("enter")


async def test_no_engine_shows_reason_and_fix_and_chat_works(workspace, server, monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", MISSING)
    app = make_app(workspace, server)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(app)
        pane = app.query_one(ContainersPane)
        await wait_until(pilot, lambda: pane.engine_ok is False)
        text = str(pane.query_one("#containers-message").render())
        assert "No Docker engine is reachable" in text
        assert f"Reason: cannot connect to {MISSING} (DOCKER_HOST)" in text and "No such file or directory" in text
        assert "Fix: start the Docker engine" in text and "DOCKER_HOST" in text
        assert pane.table.has_class("hidden") and pane.log_view.has_class("hidden")
        # keys that need an engine explain themselves instead of failing
        await pilot.press("alt+4", "p")
        await pilot.pause(0.2)
        # chat keeps working
        await pilot.press("alt+1")
        await send(pilot, "hi")
        await wait_until(pilot, lambda: len(server.requests) == 1 and not app.services.chat.running)
        assert server.requests[0]["body"]["messages"][-1] == {"role": "user", "content": "hi"}
