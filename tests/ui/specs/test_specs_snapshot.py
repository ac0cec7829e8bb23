"""SVG snapshot of the spec review screen (fixed size, fixed content, no blinking cursor).

Update after an intended visual change with
``.venv/bin/python -m pytest tests/ui/specs/test_specs_snapshot.py --snapshot-update``.
"""

from __future__ import annotations

from ..conftest import wait_ready
from .conftest import make_app, open_review


def test_review_screen_snapshot(snap_compare, spec_workspace, server):
    app = make_app(spec_workspace, server)

    async def ready(pilot):
        await wait_ready(app)  # the chat pane (and its prompt) mounts right after the first frame
        app.query_one("#prompt").cursor_blink = False
        await open_review(app, pilot, "user-login")
        await pilot.press("j")  # requirement 2: outline and document follow
        await pilot.pause()

    assert snap_compare(app, terminal_size=(120, 36), run_before=ready)
