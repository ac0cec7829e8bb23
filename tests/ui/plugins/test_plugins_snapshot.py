"""SVG snapshot of the maximized Plugins pane in a state without live numbers (untrusted servers).

Update after an intended visual change with
``.venv/bin/python -m pytest tests/ui/plugins/test_plugins_snapshot.py --snapshot-update``.
"""

from __future__ import annotations

import json

from helpers.trust import trust_workspace

from workbench.ui.plugins.pane import PluginsPane

from ..conftest import make_app, wait_ready, wait_until


def test_plugins_pane_untrusted_snapshot(snap_compare, workspace, server):
    # Never started (untrusted), so no pid, uptime or latency; the command is not shown in the pane.
    servers = {
        "files": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "."]},
        "github": {
            "command": "docker",
            "args": ["run", "-i", "--rm", "ghcr.io/github/github-mcp-server"],
            "env": {"GITHUB_TOKEN": "${GITHUB_TOKEN:-}"},
        },
    }
    (workspace / ".mcp.json").write_text(json.dumps({"mcpServers": servers}))
    trust_workspace(workspace)
    app = make_app(workspace, server)

    async def ready(pilot):
        await wait_ready(app)
        app.query_one("#prompt").cursor_blink = False
        pane = app.query_one(PluginsPane)
        await wait_until(pilot, lambda: pane.supervisor is not None and pane.table.row_count == 2)
        await pilot.press("alt+5", "down", "f2")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(100, 24), run_before=ready)
