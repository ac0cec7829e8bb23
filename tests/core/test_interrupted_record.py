"""Interrupted work is part of the record (issue 13 item 3), through the real CLI and real
processes: ``workbench run --json`` is SIGKILLed mid-stream (after a delta reached stdout) or while
a tool runs; the next open writes the partial reply as an ``assistant.message`` with
``interrupted: true`` and the unfinished tool call as ``tool.finished`` with ``outcome: unknown``;
both survive another turn, appear in ``sessions show``, exports and ``agentJournal.md``, and the
next model request carries the partial reply marked as cut off."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from workbench.core.agent.context import CUT_OFF_NOTE
from workbench.core.events import EventKind
from workbench.core.store import EventStore
from workbench.scripted.server import Reply, ScriptedServer, ToolCallSpec

from .conftest import CANARY, REPO, cli_env, run_cli

pytestmark = pytest.mark.timeout(90)

PARTIAL = "".join(f"Part {i} of a long answer that is cut. " for i in range(400))


def env_for(server: ScriptedServer) -> dict[str, str]:
    return cli_env(
        OPENAI_API_KEY=CANARY,
        WORKBENCH_LLM__BASE_URL=server.base_url,
        WORKBENCH_LLM__MODEL="m",
        WORKBENCH_LLM__MAX_RETRIES="0",
        WORKBENCH_CHAT__DELTA_BATCH_MS="20",
    )


def kill_when(proc: subprocess.Popen, predicate) -> list[dict]:
    """Read ``--json`` lines until ``predicate(event)`` holds, then SIGKILL; return the lines read."""
    seen: list[dict] = []
    assert proc.stdout is not None
    for line in proc.stdout:
        event = json.loads(line)
        seen.append(event)
        if predicate(event):
            os.kill(proc.pid, signal.SIGKILL)
            break
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL, "the process must be killed mid-turn"
    return seen


def start_run(server: ScriptedServer, workspace: Path, prompt: str, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "workbench", "run", "--yes", "--json", "-p", prompt, *extra, str(workspace)],
        cwd=REPO,
        env=env_for(server),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_kill_mid_stream_then_another_turn_keeps_the_partial_reply(
    server: ScriptedServer, workspace: Path, log_path: Path
) -> None:
    server.enqueue(Reply(text=PARTIAL, chunk_chars=8, tokens_per_second=400))
    proc = start_run(server, workspace, "tell me a long story")
    seen = kill_when(proc, lambda e: e["kind"] == EventKind.ASSISTANT_DELTA)
    sid = seen[0]["session_id"]
    printed = "".join(e["payload"]["text"] for e in seen if e["kind"] == EventKind.ASSISTANT_DELTA)
    assert printed and PARTIAL.startswith(printed)

    server.enqueue(Reply(text="Continuing from where I stopped."))
    nxt = run_cli("run", "--yes", "--session", sid, "-p", "please go on", str(workspace), env=env_for(server))
    assert nxt.returncode == 0, nxt.stderr
    assert "Traceback" not in nxt.stderr

    # the next request carried the partial reply, marked as cut off
    request = server.requests[-1]["body"]["messages"]
    roles = [m["role"] for m in request]
    assert roles == ["system", "user", "assistant", "user"], roles
    cut = request[2]["content"]
    assert cut.startswith(printed.rstrip()) and cut.endswith(CUT_OFF_NOTE)

    store = EventStore(log_path)
    try:
        msgs = store.events(sid, kinds=[EventKind.ASSISTANT_MESSAGE])
        interrupted = [m for m in msgs if m.payload.get("interrupted")]
        assert len(interrupted) == 1 and interrupted[0].payload["text"].startswith(printed)
        finished = store.events(sid, kinds=[EventKind.TURN_FINISHED])
        assert [f.payload["status"] for f in finished] == ["interrupted", "done"]
    finally:
        store.close()

    show = run_cli("sessions", "show", sid, "--path", str(workspace), env=env_for(server))
    assert show.returncode == 0, show.stderr
    assert "## Assistant (interrupted)" in show.stdout and printed.strip()[:200] in show.stdout
    assert show.stdout.index("(interrupted)") < show.stdout.index("Continuing from where I stopped.")
    js = json.loads(run_cli("sessions", "show", sid, "--json", "--path", str(workspace), env=env_for(server)).stdout)
    assert sum(1 for m in js["messages"] if m["payload"].get("interrupted")) == 1

    out = workspace / "export.md"
    exp = run_cli("export", sid, "--format", "md", "-o", str(out), "--path", str(workspace), env=env_for(server))
    assert exp.returncode == 0, exp.stderr
    text = out.read_text()
    assert "**Answer (interrupted)**" in text and printed.strip()[:100] in text

    journal = (workspace / ".workbench" / "journal" / "agentJournal.md").read_text()
    assert "**Answer (interrupted)**" in journal and journal.count("**Answer (interrupted)**") == 1


def test_kill_while_a_tool_runs_records_outcome_unknown(server: ScriptedServer, workspace: Path, log_path: Path) -> None:
    from helpers.docker import require_docker, sandbox_workspace

    client = require_docker("workbench-test/busybox:latest")
    with sandbox_workspace(workspace, client, "workbench-test/busybox:latest"):
        _kill_while_a_tool_runs(server, workspace, log_path)


def _kill_while_a_tool_runs(server: ScriptedServer, workspace: Path, log_path: Path) -> None:
    call = ToolCallSpec("run_command", json.dumps({"command": "sleep 30"}), id="call_sleep")
    server.enqueue(Reply(text="Let me run it.", tool_calls=[call]))
    env = dict(env_for(server), WORKBENCH_AGENT__MODE="full-auto")
    proc = subprocess.Popen(
        [sys.executable, "-m", "workbench", "run", "--json", "-p", "run the slow command", str(workspace)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen = kill_when(proc, lambda e: e["kind"] in (EventKind.TOOL_CALL_STARTED, EventKind.TOOL_CALL_FINISHED))
    sid = seen[0]["session_id"]
    assert seen[-1]["kind"] == EventKind.TOOL_CALL_STARTED, "sleep 30 must still run when killed"

    show = run_cli("sessions", "show", sid, "--path", str(workspace), env=env)
    assert show.returncode == 0, show.stderr
    assert "- tool run_command" in show.stdout
    assert "⚠ run_command: outcome unknown" in show.stdout

    server.enqueue(Reply(text="ok"))
    nxt = run_cli("run", "--yes", "--session", sid, "-p", "what happened?", str(workspace), env=env)
    assert nxt.returncode == 0, nxt.stderr
    tool_msgs = [m for m in server.requests[-1]["body"]["messages"] if m["role"] == "tool"]
    assert len(tool_msgs) == 1 and tool_msgs[0]["content"].startswith("outcome unknown")

    store = EventStore(log_path)
    try:
        fin = store.events(sid, kinds=[EventKind.TOOL_CALL_FINISHED])
        assert [(f.payload["call_id"], f.payload["outcome"]) for f in fin] == [("call_sleep", "unknown")]
    finally:
        store.close()
    journal = (workspace / ".workbench" / "journal" / "agentJournal.md").read_text()
    assert "**interrupted**: outcome unknown" in journal


def test_concurrent_opens_seal_a_crashed_session_once(server: ScriptedServer, workspace: Path, log_path: Path) -> None:
    server.enqueue(Reply(text=PARTIAL, chunk_chars=8, tokens_per_second=400))
    seen = kill_when(start_run(server, workspace, "long one"), lambda e: e["kind"] == EventKind.ASSISTANT_DELTA)
    sid = seen[0]["session_id"]
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "workbench", "sessions", "show", sid, "--path", str(workspace)],
            cwd=REPO,
            env=env_for(server),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    for p in procs:
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
        assert out.count("## Assistant (interrupted)") == 1
    store = EventStore(log_path)
    try:
        assert len(store.events(sid, kinds=[EventKind.ASSISTANT_MESSAGE])) == 1
        assert len(store.events(sid, kinds=[EventKind.TURN_FINISHED])) == 1
    finally:
        store.close()
