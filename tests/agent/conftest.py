"""An agent rig: real event log, real scripted server over HTTP, real files, real tools."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from workbench.core.agent.approvals import ApprovalDecision, ApprovalRequest
from workbench.core.config import load_settings
from workbench.core.events import EventKind
from workbench.core.runtime import Services, start_services
from workbench.scripted.server import ScriptedServer


@pytest.fixture
def server():
    with ScriptedServer(model="scripted-agent") as srv:
        yield srv


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "project"
    (ws / "src").mkdir(parents=True)
    (ws / "src" / "app.py").write_text("def answer():\n    return 41\n")
    (ws / "README.md").write_text("# demo\n")
    return ws


class Rig:
    """Services plus a scripted approver that records what it was asked."""

    def __init__(self, services: Services, answers: list[ApprovalDecision]) -> None:
        self.services = services
        self.answers = answers
        self.asked: list[ApprovalRequest] = []

    async def approver(self, request: ApprovalRequest) -> ApprovalDecision:
        self.asked.append(request)
        return self.answers.pop(0) if self.answers else ApprovalDecision("deny", "no scripted answer")

    @property
    def chat(self):
        return self.services.chat

    async def events(self) -> list:
        return await self.services.store.events(self.chat.session.id)

    async def kinds(self) -> list[str]:
        return [e.kind for e in await self.events()]

    async def tool_events(self, call_id: str) -> list[str]:
        return [e.kind for e in await self.events() if e.payload.get("call_id") == call_id]


@pytest.fixture
def make_rig(workspace, server):
    rigs: list[Rig] = []

    async def make(mode: str = "ask", answers: list[ApprovalDecision] | None = None, **agent: Any) -> Rig:
        overrides = {
            "llm": {
                "base_url": server.base_url,
                "model": "scripted-agent",
                "api_key": "sk-canary-agent-123456",
                "max_retries": 0,
                "timeout": 10,
            },
            "agent": {"mode": mode, **agent},
        }
        settings = load_settings(workspace, overrides)
        holder: dict[str, Rig] = {}

        async def approver(req):
            return await holder["rig"].approver(req)

        services = await start_services(workspace, settings, approver=approver)
        rig = Rig(services, list(answers or []))
        holder["rig"] = rig
        rigs.append(rig)
        return rig

    yield make


@pytest.fixture(autouse=True)
async def _close_rigs():
    yield


def tool_messages(request_body: dict) -> dict[str, str]:
    """``{tool_call_id: content}`` of the tool messages the model received."""
    return {m["tool_call_id"]: m["content"] for m in request_body["messages"] if m["role"] == "tool"}


def args(**kw: Any) -> str:
    return json.dumps(kw)


__all__ = ["EventKind", "Rig", "args", "tool_messages"]
