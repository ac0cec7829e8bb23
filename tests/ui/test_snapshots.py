"""SVG snapshots at a fixed size and theme (pytest-textual-snapshot).

Update them after an intended visual change with ``./scripts/test tests/ui/test_snapshots.py --snapshot-update``.
"""

from __future__ import annotations

import pytest

from .conftest import make_app, wait_ready, wait_until


@pytest.fixture(autouse=True)
def _no_engine(monkeypatch):
    """The Containers pane shows what the engine says: pin it to "unreachable" for stable frames."""
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/workbench-test/docker.sock")


def _app(workspace, server):
    app = make_app(workspace, server)
    return app


async def _settled(app, pilot) -> None:
    """Services up, the Specs pane listed (its empty text, not "Loading…"), no blinking cursor."""
    await wait_ready(app)
    prompt = app.query_one("#prompt")
    prompt.cursor_blink = False  # a blinking cursor makes frames differ
    # Textual keys its cached lines on the cursor only while blinking: a line cached in the blink's
    # "off" phase would be reused without the cursor; draw them again
    prompt._line_cache.clear()
    prompt.refresh()
    await wait_until(pilot, lambda: app.pane("specs").loaded.is_set())
    await pilot.pause()


def test_main_screen_snapshot(snap_compare, workspace, server):
    app = _app(workspace, server)

    async def ready(pilot):
        await _settled(app, pilot)
        await pilot.pause()

    assert snap_compare(app, terminal_size=(120, 36), run_before=ready)


def test_help_screen_snapshot(snap_compare, workspace, server):
    app = _app(workspace, server)

    async def ready(pilot):
        await _settled(app, pilot)
        await pilot.press("f1")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "HelpScreen")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(120, 36), run_before=ready)


def test_maximized_pane_snapshot(snap_compare, workspace, server):
    app = _app(workspace, server)

    async def ready(pilot):
        await _settled(app, pilot)
        await pilot.press("alt+3", "f2")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(120, 36), run_before=ready)
