"""The app in full-auto mode against the scripted server (tools run without approvals)."""

from __future__ import annotations

from pathlib import Path

from workbench.scripted.server import ScriptedServer
from workbench.ui.app import WorkbenchApp


def full_auto_app(workspace: Path, server: ScriptedServer) -> WorkbenchApp:
    llm = {
        "model": "scripted-test",
        "api_key": "sk-canary-ui-0123456789",
        "max_retries": 0,
        "timeout": 5,
        "base_url": server.base_url,
    }
    return WorkbenchApp(workspace, {"llm": llm, "agent": {"mode": "full-auto"}})
