"""SVG snapshot of the maximized Containers pane with no engine reachable (deterministic text).

Update after an intended visual change with
``.venv/bin/python -m pytest tests/ui/containers/test_containers_snapshot.py --snapshot-update``.
"""

from __future__ import annotations

from workbench.ui.containers.pane import ContainersPane

from ..conftest import make_app, wait_ready, wait_until
from .test_no_engine import MISSING


def test_containers_pane_no_engine_snapshot(snap_compare, workspace, server, monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", MISSING)
    app = make_app(workspace, server)

    async def ready(pilot):
        await wait_ready(app)
        app.query_one("#prompt").cursor_blink = False
        pane = app.query_one(ContainersPane)
        await wait_until(pilot, lambda: pane.engine_ok is False)
        await pilot.press("alt+4", "f2")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(100, 24), run_before=ready)
