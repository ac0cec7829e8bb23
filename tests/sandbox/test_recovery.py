"""Recovery: a workbench process is SIGKILLed while ``run_command`` runs; resuming re-attaches to the
still-running sandbox and marks the tool call "outcome unknown"; later resumes start a stopped
container and recreate a removed one. Real engine, real event log, real scripted model server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers.trust import trust_workspace

from workbench.core.agent.context import unfinished_calls
from workbench.core.config import load_settings
from workbench.core.events import EventKind
from workbench.core.runtime import event_log_path, start_services
from workbench.core.sandbox.policy import LABEL_SESSION, LABEL_WORKSPACE
from workbench.core.sandbox.reattach import reattach_on_resume
from workbench.core.store import EventStore
from workbench.scripted.server import Reply, ScriptedServer, ToolCallSpec

from .conftest import BUSYBOX

pytestmark = pytest.mark.docker
ROOT = Path(__file__).resolve().parents[2]
CHILD = Path(__file__).parent / "helpers" / "crash_child.py"


@pytest.fixture
def sandbox_ws(workspace: Path, docker_client):
    (workspace / ".workbench").mkdir()
    (workspace / ".workbench" / "config.toml").write_text(
        f'[sandbox]\nimage = "{BUSYBOX}"\nmem_limit = "64m"\npids_limit = 64\ncommand_timeout = 120\n'
    )
    trust_workspace(workspace)
    yield workspace
    for c in docker_client.containers.list(all=True, filters={"label": f"{LABEL_WORKSPACE}={workspace.resolve()}"}):
        c.remove(force=True)


def _wait_for(predicate, timeout: float, what: str) -> None:
    end = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def _kinds(ws: Path, sid: str) -> list[str]:
    store = EventStore(event_log_path(ws))
    try:
        return [e.kind for e in store.events(sid)]
    finally:
        store.close()


async def _resume(ws: Path, server: ScriptedServer, sid: str):
    overrides = {
        "llm": {
            "base_url": server.base_url,
            "model": "scripted-agent",
            "api_key": "sk-canary-resume-1234",
            "max_retries": 0,
            "timeout": 10,
        },
        "agent": {"mode": "full-auto"},
    }
    services = await start_services(ws, load_settings(ws, overrides))
    await services.chat.open(sid)
    return services, await reattach_on_resume(services)


async def test_sigkill_during_command_then_resume_reattaches_and_marks_outcome_unknown(sandbox_ws, docker_client):
    ws = sandbox_ws
    call = ToolCallSpec("run_command", json.dumps({"command": "echo started; sleep 30"}), id="k1")
    with ScriptedServer(model="scripted-agent") as server:
        server.enqueue(Reply(tool_calls=[call]))
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        child = subprocess.Popen(
            [sys.executable, str(CHILD), str(ws), server.base_url],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            sid = child.stdout.readline().strip()
            assert sid, child.stderr.read()
            _wait_for(lambda: EventKind.TOOL_CALL_STARTED in _kinds(ws, sid), 60, "tool.started in the log")
            label = {"label": [f"{LABEL_SESSION}={sid}", f"{LABEL_WORKSPACE}={ws.resolve()}"]}

            def sleeping() -> bool:
                found = docker_client.containers.list(filters=label)
                return bool(found) and "sleep 30" in found[0].exec_run(["ps"]).output.decode()

            _wait_for(sleeping, 30, "the command running in the session container")
            child.send_signal(signal.SIGKILL)
            child.wait(10)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
        assert child.returncode == -signal.SIGKILL
        kinds = _kinds(ws, sid)
        assert EventKind.SANDBOX_CONTAINER in kinds
        # opening the log after the crash records the cut call as "outcome unknown" (never as done)
        store = EventStore(event_log_path(ws))
        finished = [e.payload for e in store.events(sid) if e.kind == EventKind.TOOL_CALL_FINISHED]
        store.close()
        assert all(p["outcome"] == "unknown" and p.get("recovered") for p in finished)
        container = docker_client.containers.list(filters=label)[0]
        assert container.status == "running"
        store = EventStore(event_log_path(ws))
        assert store.session(sid).status == "crashed"
        store.close()

        # resume in this process: the running container is re-attached
        services, result = await _resume(ws, server, sid)
        try:
            assert result.outcome == "attached" and container.name in result.message
            # the command orphaned by the crash was killed on re-attach, and the message says so
            assert result.info.orphans_killed >= 1 and "left running by the crashed session were killed" in result.message
            assert "sleep 30" not in container.exec_run(["ps"]).output.decode()
            assert result.info is not None and result.info.container.id == container.id
            events = await services.store.events(sid)
            sandbox = [e.payload for e in events if e.kind == EventKind.SANDBOX_CONTAINER]
            assert sandbox[-1]["outcome"] == "attached" and sandbox[-1]["reason"] == "resume"
            assert sandbox[-1]["container"] == container.id
            cut = unfinished_calls(events)
            assert cut in ([], [{"call_id": "k1", "name": "run_command", "state": "started", "seq": cut[0]["seq"] if cut else 0}])
            # the next prompt tells the model the outcome is unknown; the command is not re-run
            server.enqueue(Reply(text="The earlier command's outcome is unknown."))
            await services.chat.send("what happened?")
            messages = server.requests[-1]["body"]["messages"]
            tool = [m for m in messages if m["role"] == "tool" and m["tool_call_id"] == "k1"]
            assert len(tool) == 1 and tool[0]["content"].startswith("outcome unknown")
            assert len(server.requests) == 2
            # the next command does not record the container again (already re-attached)
            assert [e.kind for e in await services.store.events(sid)].count(EventKind.SANDBOX_CONTAINER) == 2
        finally:
            await services.aclose()

        # closing the services stopped the container (it ends with its session); resume starts it
        container.reload()
        assert container.status == "exited"
        services, result = await _resume(ws, server, sid)
        assert result.outcome == "started"
        container.reload()
        assert container.status == "running"
        await services.aclose()

        # removed: resume recreates it (same labels, new id)
        container.remove(force=True)
        services, result = await _resume(ws, server, sid)
        try:
            assert result.outcome == "recreated" and result.info.container.id != container.id
            outcomes = [e.payload["outcome"] for e in await services.store.events(sid) if e.kind == EventKind.SANDBOX_CONTAINER]
            assert outcomes == ["created", "attached", "started", "recreated"]
        finally:
            await services.aclose()


async def test_session_without_container_gets_none_and_no_engine_fails_softly(sandbox_ws, monkeypatch):
    with ScriptedServer(model="scripted-agent") as server:
        overrides = {"llm": {"base_url": server.base_url, "model": "scripted-agent", "api_key": "sk-canary-x-123456"}}
        services = await start_services(sandbox_ws, load_settings(sandbox_ws, overrides))
        sid = (await services.chat.ensure_session()).id
        await services.aclose()
        services, result = await _resume(sandbox_ws, server, sid)
        await services.aclose()
        assert result.outcome == "none"
        assert EventKind.SANDBOX_CONTAINER not in _kinds(sandbox_ws, sid)

        from workbench.core.events import Event

        store = EventStore(event_log_path(sandbox_ws))
        store.append(
            Event(
                EventKind.SANDBOX_CONTAINER,
                sid,
                {"outcome": "created", "container": "x", "name": "x", "image": BUSYBOX, "setup": []},
            )
        )
        store.close()
        monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/workbench-test/docker.sock")
        services, result = await _resume(sandbox_ws, server, sid)
        await services.aclose()
        assert result.outcome == "failed" and "Docker engine unavailable" in result.message
        assert "start the Docker engine" in result.message
