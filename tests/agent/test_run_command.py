"""run_command through the agent, in a REAL hardened Docker container (busybox test image)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers.docker import require_docker, sandbox_workspace

from workbench.core.agent.approvals import ApprovalDecision
from workbench.core.events import EventKind
from workbench.core.sandbox.policy import LABEL_SESSION
from workbench.scripted.server import Reply, ToolCallSpec

from .conftest import tool_messages

pytestmark = pytest.mark.docker
BUSYBOX = "workbench-test/busybox:latest"


@pytest.fixture
def docker_ws(workspace: Path):
    client = require_docker(BUSYBOX)
    with sandbox_workspace(workspace, client, BUSYBOX) as ws:
        yield ws


def cmd(command: str, cid: str, **extra) -> Reply:
    return Reply(tool_calls=[ToolCallSpec("run_command", json.dumps({"command": command, **extra}), id=cid)])


async def test_command_runs_in_the_session_sandbox(make_rig, server, docker_ws):
    server.enqueue(cmd("echo hello > /workspace/out.txt && cat /workspace/out.txt && id -u", "r1"), Reply(text="ran"))
    rig = await make_rig("full-auto")
    out = await rig.chat.send("run it")
    assert out.status == "done"
    got = tool_messages(server.requests[1]["body"])["r1"]
    assert "[exit 0," in got and "hello" in got and "\n1000\n" in got + "\n"
    assert (docker_ws / "out.txt").read_text() == "hello\n"
    assert (docker_ws / "out.txt").stat().st_uid == 1000
    events = await rig.events()
    sandbox = [e for e in events if e.kind == EventKind.SANDBOX_CONTAINER]
    assert sandbox and sandbox[0].payload["outcome"] == "created"
    import docker

    containers = docker.from_env().containers.list(filters={"label": f"{LABEL_SESSION}={rig.chat.session.id}"})
    assert len(containers) == 1
    host = containers[0].attrs["HostConfig"]
    assert host["NetworkMode"] == "none" and host["ReadonlyRootfs"] is True and host["CapDrop"] == ["ALL"]
    await rig.services.aclose()


async def test_commands_ask_in_auto_edit_and_run_after_approval(make_rig, server, docker_ws):
    server.enqueue(cmd("echo approved", "r2"), Reply(text="ok"))
    rig = await make_rig("auto-edit", [ApprovalDecision("approve")])
    await rig.chat.send("run")
    assert len(rig.asked) == 1 and rig.asked[0].tool == "run_command"
    assert "approved" in tool_messages(server.requests[1]["body"])["r2"]
    await rig.services.aclose()


async def test_timeout_and_failure_are_reported(make_rig, server, docker_ws):
    server.enqueue(cmd("sleep 30", "t1", timeout=1), cmd("exit 3", "t2"), Reply(text="ok"))
    rig = await make_rig("full-auto")
    await rig.chat.send("slow")
    assert "timed out" in tool_messages(server.requests[1]["body"])["t1"]
    assert "[exit 3," in tool_messages(server.requests[2]["body"])["t2"]
    finished = [e for e in await rig.events() if e.kind == EventKind.TOOL_CALL_FINISHED]
    assert [f.payload["is_error"] for f in finished] == [True, True]
    await rig.services.aclose()


async def test_network_request_always_asks_even_in_full_auto(make_rig, server, docker_ws):
    server.enqueue(cmd("echo net", "n1", network=True), Reply(text="ok"))
    rig = await make_rig("full-auto", [ApprovalDecision("deny", "no network today")])
    await rig.chat.send("download")
    assert len(rig.asked) == 1 and "network" in rig.asked[0].reason
    assert "no network today" in tool_messages(server.requests[1]["body"])["n1"]
    await rig.services.aclose()


async def test_no_engine_gives_the_model_a_clear_error(make_rig, server, workspace, monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    server.enqueue(cmd("echo x", "e1"), Reply(text="ok"))
    rig = await make_rig("full-auto")
    out = await rig.chat.send("run")
    assert out.status == "done"
    msg = tool_messages(server.requests[1]["body"])["e1"]
    assert "no Docker engine" in msg and "do not retry" in msg
    await rig.services.aclose()
