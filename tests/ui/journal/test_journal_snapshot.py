"""SVG snapshot of the maximized Journal pane after a turn with tool calls (times hidden with ``t``).

Update after an intended visual change with
``.venv/bin/python -m pytest tests/ui/journal/test_journal_snapshot.py --snapshot-update``.
"""

from __future__ import annotations

import json

from workbench.scripted.server import Reply, ToolCallSpec
from workbench.ui.journal.pane import JournalPane

from ..conftest import wait_ready, wait_until
from .conftest import full_auto_app


def test_journal_pane_snapshot(snap_compare, workspace, server):
    # read-only tools: no file changes, so no checkpoint (whose commit id would differ per run)
    server.enqueue(
        Reply(text="Let me look.", tool_calls=[ToolCallSpec("read_file", json.dumps({"path": "README.md"}), id="r1")]),
        Reply(tool_calls=[ToolCallSpec("read_file", json.dumps({"path": "<missing>.txt"}), id="r2")]),
        Reply(text="The README has a title only."),
    )
    app = full_auto_app(workspace, server)

    async def ready(pilot):
        await wait_ready(app)
        app.query_one("#prompt").cursor_blink = False
        pane = app.query_one(JournalPane)
        await pilot.press(*"what is in the readme?")
        await pilot.press("enter")
        await wait_until(pilot, lambda: any(e.kind == "turn.finished" for e in pane.entries))
        await pilot.press("alt+3", "f2", "t")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(100, 24), run_before=ready)
