"""A session left open by a killed process whose ``-wal`` file then went missing is reported by
name on the next start (once), instead of silently disappearing. Real processes, SIGKILL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from workbench.core.events import Event, EventKind
from workbench.core.store import EventStore
from workbench.core.store.openmarks import MARK_DIR, OpenMarks
from workbench.scripted.server import Reply, ScriptedServer

from .conftest import CANARY, REPO, cli_env, run_cli

pytestmark = pytest.mark.timeout(90)

SLOW = "".join(f"Line {i} of a reply that is still streaming when the process dies.\n" for i in range(400))


def _env(server: ScriptedServer) -> dict[str, str]:
    return cli_env(
        OPENAI_API_KEY=CANARY, WORKBENCH_LLM__BASE_URL=server.base_url, WORKBENCH_LLM__MODEL="m", WORKBENCH_LLM__MAX_RETRIES="0"
    )


def _kill_mid_stream(server: ScriptedServer, workspace: Path) -> tuple[str, list[dict]]:
    """Start ``workbench run --json``, SIGKILL it after its first delta; return (session id, printed events)."""
    server.enqueue(Reply(text=SLOW, chunk_chars=8, tokens_per_second=200))  # ~30 s: killed long before
    proc = subprocess.Popen(
        [sys.executable, "-m", "workbench", "run", "--yes", "--json", "-p", "doomed", str(workspace)],
        cwd=REPO,
        env=_env(server),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    printed: list[dict] = []
    try:
        for line in proc.stdout:
            printed.append(json.loads(line))
            if printed[-1]["kind"] == EventKind.ASSISTANT_DELTA:
                break
    finally:
        proc.kill()
        proc.wait(30)
        proc.stdout.close()
        proc.stderr.close()
    assert printed and printed[-1]["kind"] == EventKind.ASSISTANT_DELTA, "no delta before the kill"
    return printed[0]["session_id"], printed


def test_deleted_wal_after_sigkill_is_reported_naming_the_session(
    server: ScriptedServer, workspace: Path, log_path: Path
) -> None:
    sid, printed = _kill_mid_stream(server, workspace)
    wal = Path(str(log_path) + "-wal")
    assert wal.exists()
    wal.unlink()

    proc = run_cli("sessions", "--path", str(workspace), env=_env(server))
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    warning = proc.stderr.strip()
    assert warning.startswith(f"workbench: Session {sid} was open in process"), warning
    assert "lost" in warning and "events.db-wal" in warning
    again = run_cli("sessions", "--path", str(workspace), env=_env(server))
    assert again.returncode == 0 and again.stderr == ""  # said once


def test_sigkill_with_the_wal_in_place_warns_nothing(server: ScriptedServer, workspace: Path, log_path: Path) -> None:
    """The usual crash: the -wal is there, every printed event is in the log, no warning."""
    sid, printed = _kill_mid_stream(server, workspace)
    proc = run_cli("sessions", "--json", "--path", str(workspace), env=_env(server))
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    [row] = json.loads(proc.stdout)
    assert row["id"] == sid and row["status"] == "crashed"
    store = EventStore(log_path)
    try:
        seqs = {e.seq for e in store.events(sid)}
    finally:
        store.close()
    assert {e["seq"] for e in printed} <= seqs
    assert list((log_path.parent / MARK_DIR).iterdir()) == []


def test_a_clean_run_leaves_no_marker(server: ScriptedServer, workspace: Path, log_path: Path) -> None:
    server.enqueue(Reply(text="done"))
    proc = run_cli("run", "--yes", "-p", "hi", str(workspace), env=_env(server))
    assert proc.returncode == 0, proc.stderr
    assert list((log_path.parent / MARK_DIR).iterdir()) == []
    assert not Path(str(log_path) + "-wal").exists()
    again = run_cli("sessions", "--path", str(workspace), env=_env(server))
    assert again.stderr == ""


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_session_checkpointed_before_the_wal_vanished_may_have_lost_its_tail(workspace: Path, log_path: Path) -> None:
    """The log still holds the session up to the marker's seq, but the -wal is gone: its *last*
    events may be lost (the warning says "may")."""
    store = EventStore(log_path)
    s = store.create_session(workspace)
    opened = store.append(Event(EventKind.SESSION_OPENED, s.id, {"pid": os.getpid(), "model": "m"}))
    marker = log_path.parent / MARK_DIR / f"{s.id}.json"
    assert json.loads(marker.read_text())["seq"] == opened.seq
    marker.write_text(json.dumps({"pid": _dead_pid(), "seq": opened.seq, "ts": 0}))
    store._mine.clear()  # as if this process had been killed: it does not clean up
    store.close()
    assert not Path(str(log_path) + "-wal").exists()  # checkpointed and removed by the close

    again = EventStore(log_path)
    try:
        msg = again.recovery_message or ""
    finally:
        again.close()
    assert msg.startswith(f"Session {s.id} was open in process") and "may be lost" in msg
    assert not marker.exists()


def test_markers_follow_open_turns_and_close(workspace: Path, log_path: Path) -> None:
    store = EventStore(log_path)
    try:
        s = store.create_session(workspace)
        store.append(Event(EventKind.SESSION_OPENED, s.id, {"pid": os.getpid(), "model": "m"}))
        done = store.append(Event(EventKind.TURN_FINISHED, s.id, {"turn_id": "t", "status": "done", "steps": 1}))
        marker = log_path.parent / MARK_DIR / f"{s.id}.json"
        assert json.loads(marker.read_text()) == {"pid": os.getpid(), "seq": done.seq, "ts": pytest.approx(done.ts, abs=5)}
        # another process's open session (alive: this test's parent) is left alone
        other = OpenMarks(log_path)
        assert other.check(store._conn, wal_existed=False) == []
        store.append(Event(EventKind.SESSION_CLOSED, s.id, {}))
        assert not marker.exists()
    finally:
        store.close()
