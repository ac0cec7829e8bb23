"""Fixtures for driving the real app with Textual's Pilot against the scripted server."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from workbench.scripted.server import ScriptedServer
from workbench.ui.app import WorkbenchApp


@pytest.fixture
def server():
    with ScriptedServer(model="scripted-test") as srv:
        yield srv


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "project"
    ws.mkdir()
    (ws / "README.md").write_text("# sample\n")
    return ws


def make_app(workspace: Path, server: ScriptedServer | None, **kw) -> WorkbenchApp:
    llm = {"model": "scripted-test", "api_key": "sk-canary-ui-0123456789", "max_retries": 0, "timeout": 5}
    if server is not None:
        llm["base_url"] = server.base_url
    return WorkbenchApp(workspace, {"llm": llm}, **kw)


async def wait_ready(app: WorkbenchApp, timeout: float = 15) -> None:
    await asyncio.wait_for(app.ready.wait(), timeout)


async def wait_until(pilot, predicate, timeout: float = 15, step: float = 0.05) -> None:
    """Pause the pilot until ``predicate()`` is true (fails the test on timeout)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not predicate():
        if loop.time() > end:
            raise AssertionError(f"timed out waiting for {predicate}")
        await pilot.pause(step)
