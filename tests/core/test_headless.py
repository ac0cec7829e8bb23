"""``workbench run -p`` and ``workbench sessions`` as real subprocesses against the scripted
server: exit codes, streamed plain output, JSON Lines, continuing a session, listing and showing
sessions, and the promise that whatever ``--json`` printed is in the log even after a SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from workbench.core.events import Event, EventKind
from workbench.core.store import EventStore
from workbench.scripted.server import Fault, Reply, ScriptedServer

from .conftest import CANARY, REPO, cli_env, run_cli, run_cli_many

pytestmark = pytest.mark.timeout(60)

TEXT = "".join(f"Line {i} of a reply that streams slowly.\n" for i in range(60))


def env_for(server: ScriptedServer, **extra: str) -> dict[str, str]:
    return cli_env(
        OPENAI_API_KEY=CANARY,
        WORKBENCH_LLM__BASE_URL=server.base_url,
        WORKBENCH_LLM__MODEL="m",
        WORKBENCH_LLM__MAX_RETRIES="0",
        **extra,
    )


def run(server: ScriptedServer, workspace: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli("run", "--yes", str(workspace), *args, env=env_for(server))


def sessions(server: ScriptedServer, workspace: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli("sessions", *args, "--path", str(workspace), env=env_for(server))


def test_plain_output_streams_the_reply(server: ScriptedServer, workspace: Path) -> None:
    server.enqueue(Reply(text=TEXT, chunk_chars=8, tokens_per_second=800))  # ~0.75 s of streaming
    proc = subprocess.Popen(
        [sys.executable, "-m", "workbench", "run", "--yes", "-p", "stream please", str(workspace)],
        cwd=REPO,
        env=env_for(server),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    first = proc.stdout.read1(65536)  # returns as soon as the first bytes arrive
    still_running = proc.poll() is None
    rest, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err.decode()
    assert first and still_running, "the reply must reach stdout while it is still streaming"
    out = (first + rest).decode()
    assert out == TEXT + "\n"
    assert err == b""


def test_json_lines_and_they_match_the_log(server: ScriptedServer, workspace: Path, log_path: Path) -> None:
    server.enqueue(Reply(text="Hello **there**.", reasoning="hmm", chunk_chars=3))
    proc = run(server, workspace, "-p", "hi", "--json")
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert all(set(obj) == {"seq", "ts", "session_id", "kind", "payload"} for obj in lines)
    result = lines.pop()  # the last line sums the run up (not a logged event)
    assert result["kind"] == "result" and result["seq"] is None
    assert result["payload"]["status"] == "done" and result["payload"]["steps"] == 1
    assert result["payload"]["tokens_in"] > 0 and result["payload"]["tokens_out"] > 0
    assert result["payload"]["denied"] == [] and result["session_id"] == lines[0]["session_id"]
    kinds = [obj["kind"] for obj in lines]
    assert kinds[0] == EventKind.SESSION_OPENED
    assert kinds[1:3] == [EventKind.MODE_CHANGED, EventKind.USER_MESSAGE]  # --yes runs as auto-edit
    assert lines[1]["payload"] == {"mode": "auto-edit"}
    assert kinds[-3:] == [EventKind.ASSISTANT_MESSAGE, EventKind.TURN_FINISHED, EventKind.SESSION_CLOSED]
    assert EventKind.ASSISTANT_DELTA in kinds
    seqs = [obj["seq"] for obj in lines]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    reply = lines[-3]["payload"]
    assert reply["text"] == "Hello **there**." and reply["reasoning"] == "hmm" and reply["interrupted"] is False
    assert reply["usage"]["total_tokens"] > 0
    store = EventStore(log_path)
    try:
        stored = {e.seq: json.loads(e.to_json()) for e in store.events(lines[0]["session_id"])}
    finally:
        store.close()
    for obj in lines:
        assert stored[obj["seq"]] == obj
    assert CANARY not in proc.stdout + proc.stderr


def test_api_error_exits_1_with_the_message_on_stderr(server: ScriptedServer, workspace: Path) -> None:
    server.enqueue(Fault(status=401, message=f"Incorrect API key provided: {CANARY}"))
    with ScriptedServer([Fault(status=500)]) as other:
        plain, as_json = run_cli_many(
            (("run", "--yes", "-p", "hi", str(workspace)), env_for(server)),
            (("run", "--yes", "-p", "again", "--json", str(workspace)), env_for(other)),
        )
    assert plain.returncode == 1
    assert plain.stdout == ""
    [line] = plain.stderr.splitlines()
    assert line.startswith("workbench: 401 Unauthorized") and "(request id req_1)" in line
    assert as_json.returncode == 1
    assert "500 Server error" in as_json.stderr and "Traceback" not in as_json.stderr
    objs = [json.loads(line) for line in as_json.stdout.splitlines()]
    kinds = [obj["kind"] for obj in objs]
    assert EventKind.TURN_ERROR in kinds and kinds[-2:] == [EventKind.SESSION_CLOSED, "result"]
    assert objs[-1]["payload"]["status"] == "error" and "500" in objs[-1]["payload"]["error"]
    for proc in (plain, as_json):
        assert CANARY not in proc.stdout + proc.stderr


def test_unknown_session_or_folder_exits_2(server: ScriptedServer, workspace: Path) -> None:
    unknown, missing = run_cli_many(
        (("run", "--yes", "-p", "hi", "--session", "deadbeef", str(workspace)), env_for(server)),
        (("run", "--yes", "-p", "hi", str(workspace / "nope")), env_for(server)),
    )
    assert unknown.returncode == 2
    assert "no session with id 'deadbeef'" in unknown.stderr and "workbench sessions" in unknown.stderr
    assert server.requests == []
    assert missing.returncode == 2 and "not a folder" in missing.stderr


def test_continue_a_session_and_list_and_show_it(server: ScriptedServer, workspace: Path, log_path: Path) -> None:
    assert "No sessions yet" in sessions(server, workspace).stdout
    first = run(server, workspace, "-p", "My favourite colour is teal")
    assert first.returncode == 0, first.stderr
    store = EventStore(log_path)
    try:
        [info] = store.sessions(workspace)
    finally:
        store.close()
    sid = info.id
    assert info.title == "My favourite colour is teal" and info.message_count == 2 and info.status == "closed"

    second = run(server, workspace, "-p", "What is my favourite colour?", "--session", sid[:5])
    assert second.returncode == 0, second.stderr
    assert second.stdout == "You said: What is my favourite colour?\n"
    sent = [(m["role"], m["content"]) for m in server.requests[-1]["body"]["messages"]]
    assert sent[1:] == [
        ("user", "My favourite colour is teal"),
        ("assistant", "You said: My favourite colour is teal"),
        ("user", "What is my favourite colour?"),
    ]

    store = EventStore(log_path)  # a second, newer session
    try:
        other = store.create_session(workspace)
        store.append(Event(EventKind.USER_MESSAGE, other.id, {"turn_id": "t", "text": "another session"}))
    finally:
        store.close()
    ses = ("--path", str(workspace))
    as_json, listing, shown, shown_json, bad, no_id = run_cli_many(
        (("sessions", "--json", *ses), None),
        (("sessions", *ses), None),
        (("sessions", "show", sid[:6], *ses), None),
        (("sessions", "show", sid, "--json", *ses), None),
        (("sessions", "show", "zzzz", *ses), None),
        (("sessions", "show", *ses), None),
    )
    rows = json.loads(as_json.stdout)
    assert [r["id"] for r in rows] == [other.id, sid]
    assert rows[1]["message_count"] == 4 and rows[1]["status"] == "closed"
    assert [r["title"] for r in rows] == ["another session", "My favourite colour is teal"]
    assert {"id", "title", "created", "updated", "message_count", "status"} <= set(rows[0])

    assert listing.returncode == 0
    assert sid in listing.stdout and "My favourite colour is teal" in listing.stdout
    assert listing.stdout.splitlines()[0].split() == ["ID", "CREATED", "UPDATED", "MSGS", "STATUS", "TITLE"]

    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.index("## You\n\nMy favourite colour is teal") < shown.stdout.index(
        "## Assistant\n\nYou said: What is my favourite colour?"
    )
    data = json.loads(shown_json.stdout)
    assert data["session"]["id"] == sid
    assert [m["kind"] for m in data["messages"]] == [EventKind.USER_MESSAGE, EventKind.ASSISTANT_MESSAGE] * 2

    assert bad.returncode == 2 and "no session with id 'zzzz'" in bad.stderr
    assert no_id.returncode == 2 and "needs a session id" in no_id.stderr


def test_json_output_survives_sigkill(server: ScriptedServer, workspace: Path, log_path: Path) -> None:
    server.enqueue(Reply(text=TEXT, chunk_chars=4, tokens_per_second=150))  # ~4 s of streaming
    proc = subprocess.Popen(
        [sys.executable, "-m", "workbench", "run", "--yes", "-p", "go slowly", "--json", str(workspace)],
        cwd=REPO,
        env=env_for(server, WORKBENCH_CHAT__DELTA_BATCH_MS="50"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    deltas = threading.Event()

    def read() -> None:
        for line in proc.stdout:
            lines.append(line)
            if sum('"assistant.delta"' in x for x in lines) >= 4:
                deltas.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert deltas.wait(20), f"no deltas printed: {lines} {proc.stderr.read() if proc.poll() is not None else ''}"
        time.sleep(0.13)  # kill somewhere between batches
        assert proc.poll() is None, "the reply should still be streaming"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        reader.join(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    printed = [json.loads(line) for line in lines if line.endswith("\n")]
    assert sum(obj["kind"] == EventKind.ASSISTANT_DELTA for obj in printed) >= 4
    assert EventKind.ASSISTANT_MESSAGE not in {obj["kind"] for obj in printed}
    sid = printed[0]["session_id"]

    store = EventStore(log_path)
    try:
        assert store.recovery_message is None
        assert store.integrity_check() == "ok"
        stored = {e.seq: json.loads(e.to_json()) for e in store.events(sid)}
        assert store.interrupted_tail(sid) is None, "the open wrote the partial reply down"
        sealed = store.events(sid, kinds=[EventKind.ASSISTANT_MESSAGE])
        tail = sealed[-1] if len(sealed) == 1 and sealed[0].payload.get("interrupted") else None
        info = store.session(sid)
    finally:
        store.close()
    for obj in printed:
        assert stored.get(obj["seq"]) == obj, f"printed event {obj['seq']} ({obj['kind']}) is not in the log"
    printed_text = "".join(o["payload"]["text"] for o in printed if o["kind"] == EventKind.ASSISTANT_DELTA)
    assert tail is not None and tail.payload["text"].startswith(printed_text) and TEXT.startswith(tail.payload["text"])
    assert info.status == "crashed"

    shown = sessions(server, workspace, "show", sid)
    assert "## Assistant (interrupted)" in shown.stdout
    assert "crashed" in sessions(server, workspace).stdout


def test_ask_mode_runs_headless_and_denies_what_would_ask(workspace, server):
    import json as _json

    from workbench.scripted.server import Reply, ToolCallSpec

    server.enqueue(
        Reply(tool_calls=[ToolCallSpec("write_file", _json.dumps({"path": "out.txt", "content": "x"}), id="w1")]),
        Reply(text="could not write"),
    )
    proc = run_cli("run", "-p", "hi", str(workspace), env=env_for(server))
    assert proc.returncode == 0, proc.stderr
    assert "could not write" in proc.stdout
    assert not (workspace / "out.txt").exists()
    told = [m for m in server.requests[1]["body"]["messages"] if m.get("role") == "tool"][0]["content"]
    assert "Denied by the user" not in told and "nobody can approve" in told and "--yes" in told
    assert "1 tool call(s) needed an approval and were denied" in proc.stderr
    assert "write_file" in proc.stderr and "--mode auto-edit" in proc.stderr


def test_yes_runs_file_changes_and_json_prints_tool_events(workspace, server):
    import json as _json

    from workbench.scripted.server import Reply, ToolCallSpec

    server.enqueue(
        Reply(tool_calls=[ToolCallSpec("write_file", _json.dumps({"path": "out.txt", "content": "made"}), id="w1")]),
        Reply(text="wrote it"),
    )
    proc = run_cli("run", "--yes", "--json", "-p", "make a file", str(workspace), env=env_for(server))
    assert proc.returncode == 0, proc.stderr
    kinds = [_json.loads(line)["kind"] for line in proc.stdout.splitlines()]
    for kind in ("tool.requested", "tool.approved", "tool.started", "tool.finished"):
        assert kind in kinds
    assert (workspace / "out.txt").read_text() == "made"


def test_protected_path_is_denied_headless_even_in_full_auto(workspace, server):
    import json as _json

    from workbench.scripted.server import Reply, ToolCallSpec

    server.enqueue(
        Reply(tool_calls=[ToolCallSpec("write_file", _json.dumps({"path": ".mcp.json", "content": "{}"}), id="m1")]),
        Reply(text="ok"),
    )
    proc = run_cli("run", "--mode", "full-auto", "-p", "configure", str(workspace), env=env_for(server))
    assert proc.returncode == 0, proc.stderr
    assert not (workspace / ".mcp.json").exists()
    assert "denied" in proc.stderr
    tool_msgs = [m for m in server.requests[1]["body"]["messages"] if m["role"] == "tool"]
    assert "nobody can approve" in tool_msgs[0]["content"] and "protected path" in tool_msgs[0]["content"]


def test_read_only_mode_headless(workspace, server):
    import json as _json

    from workbench.scripted.server import Reply, ToolCallSpec

    server.enqueue(
        Reply(tool_calls=[ToolCallSpec("write_file", _json.dumps({"path": "x.txt", "content": "x"}), id="r1")]),
        Reply(text="ok"),
    )
    proc = run_cli("run", "--mode", "read-only", "-p", "plan", str(workspace), env=env_for(server))
    assert proc.returncode == 0
    assert not (workspace / "x.txt").exists()
