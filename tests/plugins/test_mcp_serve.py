"""``workbench mcp serve`` driven by the official SDK client over stdio (a real subprocess)."""

from __future__ import annotations

import os
import sys
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from helpers.docker import require_docker
from helpers.trust import trust_workspace

from workbench.core.events import Event, EventKind
from workbench.core.runtime import event_log_path
from workbench.core.store import EventStore

BUSYBOX = "workbench-test/busybox:latest"
REPO = Path(__file__).resolve().parents[2]

REQUIREMENTS = """\
# Requirements Document

## Introduction

Export reports.

## Requirements

### Requirement 1: Export

**User Story:** As a user, I want to export, so that I can share.

#### Acceptance Criteria

1. WHEN the user presses export, THE Exporter SHALL write a CSV file
2. The exporter should be fast
"""

TASKS = """\
# Implementation Plan

- [ ] 1. Write the exporter
  - _Requirements: 1.1_
"""


def make_workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    spec = ws / ".workbench" / "specs" / "x"
    spec.mkdir(parents=True)
    (spec / "requirements.md").write_text(REQUIREMENTS)
    (spec / "tasks.md").write_text(TASKS)
    return ws


@asynccontextmanager
async def client(ws: Path):
    """An initialized SDK ``ClientSession`` talking to ``python -m workbench.cli.commands.mcp_serve serve WS``."""
    from mcp import ClientSession, StdioServerParameters, stdio_client

    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "workbench.cli.commands.mcp_serve", "serve", str(ws)],
        env=dict(os.environ),
        cwd=str(REPO),
    )
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        init = await session.initialize()
        assert init.server_info.name == "workbench"
        yield session


async def call(session: Any, tool: str, **arguments: Any) -> Any:
    """Call ``tool``; return its JSON (structured result or parsed text); fail on an error result."""
    result = await session.call_tool(tool, arguments)
    text = "\n".join(c.text for c in result.content if c.type == "text")
    assert not result.is_error, text
    if result.structured_content is not None:
        data = result.structured_content
        return data["result"] if set(data) == {"result"} else data
    return text


async def test_list_tools_and_specs(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    async with client(ws) as session:
        tools = {t.name: t for t in (await session.list_tools()).tools}
        assert {
            "spec_list",
            "spec_read",
            "spec_lint",
            "spec_trace",
            "spec_set_task_state",
            "journal_recent",
            "journal_state_recovery",
            "sessions_list",
            "session_read",
            "sandbox_run",
        } <= set(tools)
        assert tools["sandbox_run"].input_schema["required"] == ["command"]

        lint = await call(session, "spec_lint", name="x")
        assert lint["errors"] == 1
        assert (lint["specs"][0]["errors"], lint["specs"][0]["warnings"]) == (1, lint["warnings"])
        severities = [p["severity"] for p in lint["specs"][0]["problems"]]
        assert severities == sorted(severities)  # errors first
        codes = {p["code"] for p in lint["specs"][0]["problems"]}
        assert {"EARS001", "EARS002", "TRC001"} <= codes
        ears = next(p for p in lint["specs"][0]["problems"] if p["code"] == "EARS001")
        assert ears["line"] == 16 and ears["file"].endswith("x/requirements.md")

        listed = await call(session, "spec_list")
        assert listed[0]["name"] == "x" and listed[0]["tasks"] == {"done": 0, "total": 1}
        assert "THE Exporter SHALL" in await call(session, "spec_read", name="x", doc="requirements")
        trace = await call(session, "spec_trace", name="x")
        assert trace[0]["uncovered"] == ["1.2"]

        done = await call(session, "spec_set_task_state", name="x", task_id="1", state="done")
        assert done["progress"] == {"done": 1, "total": 1}
        assert (ws / ".workbench/specs/x/tasks.md").read_text() == TASKS.replace("[ ]", "[x]")

        missing = await session.call_tool("spec_read", {"name": "nope"})
        assert missing.is_error and "no spec named 'nope'" in missing.content[0].text
        bad = await session.call_tool("spec_set_task_state", {"name": "x", "task_id": "9", "state": "done"})
        assert bad.is_error and "task 9 not found" in bad.content[0].text


async def test_sessions_journal_and_state_recovery(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    store = EventStore(event_log_path(ws))
    try:
        info = store.create_session(ws)
        store.append(Event(EventKind.SESSION_OPENED, info.id, {"pid": 999_999_99, "model": "m1"}))
        store.append(Event(EventKind.USER_MESSAGE, info.id, {"turn_id": "t1", "text": "Add a CSV export"}))
        store.append(
            Event(
                EventKind.ASSISTANT_MESSAGE,
                info.id,
                {
                    "turn_id": "t1",
                    "text": "Done: see export.py",
                    "reasoning": "",
                    "finish_reason": "stop",
                    "interrupted": False,
                    "usage": None,
                    "model": "m1",
                    "request_id": None,
                },
            )
        )
    finally:
        store.close()
    async with client(ws) as session:
        sessions = await call(session, "sessions_list")
        assert [s["id"] for s in sessions] == [info.id] and sessions[0]["title"] == "Add a CSV export"
        convo = await call(session, "session_read", session_id=info.id[:6])
        assert [(m["role"], m["text"]) for m in convo["messages"]] == [
            ("user", "Add a CSV export"),
            ("assistant", "Done: see export.py"),
        ]
        # The first open after the crash sealed the unfinished turn (turn.finished, recovered).
        recent = await call(session, "journal_recent", limit=4)
        assert [e["kind"] for e in recent] == ["session.opened", "user.message", "assistant.message", "turn.finished"]
        assert recent[-2]["summary"] == "Done: see export.py"
        recovery = await call(session, "journal_state_recovery")
        assert info.id in recovery and "crashed" in recovery  # its pid is gone and it was not closed
        assert f"workbench resume {info.id}" in recovery
        unknown = await session.call_tool("session_read", {"session_id": "zzzz"})
        assert unknown.is_error and "no session with id 'zzzz'" in unknown.content[0].text


def _docker_or_skip() -> Any:
    return require_docker(BUSYBOX)


@pytest.mark.docker
async def test_sandbox_run_in_the_workspace_container(tmp_path: Path) -> None:
    engine = _docker_or_skip()
    from workbench.core.sandbox.policy import LABEL_WORKSPACE

    ws = make_workspace(tmp_path)
    (ws / ".workbench" / "config.toml").write_text(f'[sandbox]\nimage = "{BUSYBOX}"\n')
    trust_workspace(ws)
    if os.geteuid() == 0:
        for path in (ws, *ws.rglob("*")):
            os.chown(path, 1000, 1000)
    label = {"label": f"{LABEL_WORKSPACE}={ws.resolve()}"}
    try:
        async with client(ws) as session:
            ran = await call(session, "sandbox_run", command="echo hello > out.txt && cat out.txt && id -u && pwd")
            assert ran["exit_code"] == 0, ran
            assert ran["output"].split() == ["hello", "1000", "/workspace"]
            assert (ws / "out.txt").read_text() == "hello\n"  # the workspace is mounted
            net = await call(session, "sandbox_run", command="wget -T 2 -q -O- http://1.1.1.1 || echo offline")
            assert "offline" in net["output"]  # no network by default
            failed = await call(session, "sandbox_run", command="exit 7")
            assert failed["exit_code"] == 7
            assert len(engine.containers.list(filters=label)) == 1
        # the server removed its container when the client disconnected
        assert engine.containers.list(all=True, filters=label) == []
    finally:
        for container in engine.containers.list(all=True, filters=label):
            container.remove(force=True)


async def test_sandbox_run_without_engine_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = make_workspace(tmp_path)
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-docker.sock")
    async with client(ws) as session:
        result = await session.call_tool("sandbox_run", {"command": "true"})
    text = result.content[0].text
    assert result.is_error and "Docker engine unavailable" in text and "Fix:" in text


DESIGN = """\
# Design Document

## Overview

Exports.

## Correctness Properties

### Property 1: Export writes CSV

*For any* report, export writes a CSV file.

**Validates: Requirements 1.1**

### Property 2: Import

**Validates: Requirements 4.2**
"""


async def test_spec_trace_both_ways_with_design(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    (ws / ".workbench/specs/x/design.md").write_text(DESIGN)
    async with client(ws) as session:
        [trace] = await call(session, "spec_trace", name="x")
    assert trace["name"] == "x"
    assert trace["matrix"] == {"1.1": ["1"], "1.2": []}
    assert trace["design_matrix"] == {"1.1": ["Property 1: Export writes CSV"], "1.2": []}
    assert trace["by_task"] == {"1": ["1.1"]}
    assert trace["by_design"] == {"Property 1: Export writes CSV": ["1.1"], "Property 2: Import": []}
    assert trace["design_tasks"] == {"Property 1: Export writes CSV": ["1"], "Property 2: Import": []}
    assert trace["design_uncovered"] == ["1.2"]
    assert trace["design_unknown_refs"] == [{"item": "Property 2: Import", "ref": "4.2", "line": 17}]
    assert {p["code"] for p in trace["problems"]} == {"TRC001", "TRC003", "TRC004"}
