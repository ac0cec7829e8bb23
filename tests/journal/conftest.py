"""A journal rig: real event log, scripted model over HTTP, real tools on real files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from workbench.core.agent.approvals import ApprovalDecision, ApprovalRequest
from workbench.core.config import load_settings
from workbench.core.runtime import Services, start_services
from workbench.scripted.server import ScriptedServer


@pytest.fixture
def server():
    with ScriptedServer(model="scripted-journal") as srv:
        yield srv


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "project"
    (ws / "src" / "pkg").mkdir(parents=True)
    (ws / "src" / "app.py").write_text('"""The demo application entry point."""\n\ndef answer():\n    return 41\n')
    (ws / "README.md").write_text("# Demo project\n\nA small demo.\n")
    (ws / "pyproject.toml").write_text(
        '[project]\nname = "demo"\ndescription = "A demo for the journal"\n[project.scripts]\ndemo = "app:main"\n'
        "[tool.pytest.ini_options]\ntestpaths = ['tests']\n"
    )
    (ws / "tests").mkdir()
    (ws / "tests" / "test_app.py").write_text("def test_ok():\n    assert True\n")
    spec = ws / ".workbench" / "specs" / "login"
    spec.mkdir(parents=True)
    (spec / "requirements.md").write_text(
        "# Requirements\n\n## Requirement 1: Login\n\n1. WHEN a user logs in THE system SHALL greet them.\n"
    )
    return ws


def args(**kw: Any) -> str:
    return json.dumps(kw)


@pytest.fixture
def make_services(workspace, server):
    made: list[Services] = []

    async def make(mode: str = "full-auto", approver=None) -> Services:
        overrides = {
            "llm": {
                "base_url": server.base_url,
                "model": "scripted-journal",
                "api_key": "sk-canary-journal-0123456789",
                "max_retries": 0,
                "timeout": 10,
            },
            "agent": {"mode": mode},
        }
        settings = load_settings(workspace, overrides)

        async def deny(req: ApprovalRequest) -> ApprovalDecision:
            return ApprovalDecision("deny", "not in tests")

        services = await start_services(workspace, settings, approver=approver or deny)
        made.append(services)
        return services

    yield make
