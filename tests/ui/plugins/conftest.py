"""Fixtures for the Plugins pane tests: a workspace whose .mcp.json runs the test MCP servers."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from helpers.trust import trust_workspace

from workbench.core.mcp.plugins import TrustStore, load_specs

SERVERS = Path(__file__).resolve().parents[2] / "plugins" / "servers"


def write_mcp_json(ws: Path, servers: dict[str, str], *, trusted: tuple[str, ...] = ()) -> None:
    """Write ``.mcp.json`` with ``name -> script`` (run by this Python) and trust ``trusted``."""
    entries = {name: {"command": sys.executable, "args": [str(SERVERS / script)]} for name, script in servers.items()}
    (ws / ".mcp.json").write_text(json.dumps({"mcpServers": entries}, indent=2))
    trust_workspace(ws)
    store = TrustStore.for_workspace(ws)
    for spec in load_specs(ws):
        if spec.name in trusted:
            store.trust(spec)
