"""Rewinds are always undoable and never silent (issue 13 item 4), through the real CLI:

* ``workbench rewind`` SIGKILLed mid-restore (the restore is slowed by the test hook
  ``WORKBENCH_CHECKPOINT_TEST_OP_DELAY``; the kill waits for the restore's intent journal file):
  ``workbench checkpoints`` completes it, says so on stderr, lists the pre-rewind checkpoint, and
  ``workbench rewind`` to it brings back the state from before the rewind;
* ``workbench gc`` with a restore pending recovers first (no traceback);
* files a checkpoint could not store (over ``max_file_bytes``) are named when listed, in the
  journal, and in the rewind's result; large files created after the checkpoint are named as kept.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from workbench.core.checkpoints.repo import default_git_dir
from workbench.core.checkpoints.restore import JOURNAL_NAME
from workbench.core.events import EventKind
from workbench.core.store import EventStore
from workbench.scripted.server import Reply, ScriptedServer, ToolCallSpec

from .conftest import CANARY, REPO, cli_env, run_cli

pytestmark = pytest.mark.timeout(120)


def env_for(server: ScriptedServer, **extra: str) -> dict[str, str]:
    return cli_env(
        OPENAI_API_KEY=CANARY,
        WORKBENCH_LLM__BASE_URL=server.base_url,
        WORKBENCH_LLM__MODEL="m",
        WORKBENCH_LLM__MAX_RETRIES="0",
        **extra,
    )


def rewrite_all(server: ScriptedServer, workspace: Path, names: list[str], env: dict[str, str]) -> str:
    """One real turn that rewrites ``names``; returns the session id."""
    calls = [
        ToolCallSpec("write_file", json.dumps({"path": n, "content": f"new {n}\n"}), id=f"c{i}") for i, n in enumerate(names)
    ]
    server.enqueue(Reply(tool_calls=calls), Reply(text="rewrote them"))
    proc = run_cli("run", "--yes", "--json", "-p", "rewrite all", str(workspace), env=env)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.splitlines()[0])["session_id"]


def checkpoints(workspace: Path, env: dict[str, str]) -> tuple[list[dict], str]:
    proc = run_cli("checkpoints", "--json", "--path", str(workspace), env=env)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    return json.loads(proc.stdout), proc.stderr


def kill_rewind_midway(workspace: Path, checkpoint: str, env: dict[str, str]) -> None:
    journal = default_git_dir(workspace) / JOURNAL_NAME
    proc = subprocess.Popen(
        [sys.executable, "-m", "workbench", "rewind", checkpoint, "--files", "--path", str(workspace)],
        cwd=REPO,
        env=dict(env, WORKBENCH_CHECKPOINT_TEST_OP_DELAY="0.05"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while not journal.exists():  # the restore has begun touching the workspace
        assert proc.poll() is None, proc.stderr.read().decode()
        assert time.monotonic() < deadline, "the restore never started"
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert journal.exists(), "killed while the restore was pending"


def test_kill_during_rewind_then_the_pre_rewind_checkpoint_is_listed_and_restores(
    server: ScriptedServer, workspace: Path, log_path: Path
) -> None:
    env = env_for(server)
    old = {f"f{i:02d}.txt": f"old {i}\n" for i in range(30)}
    for name, text in old.items():
        (workspace / name).write_text(text)
    sid = rewrite_all(server, workspace, list(old), env)
    rows, _ = checkpoints(workspace, env)
    before_turn = rows[0]["checkpoint"]
    after_turn = {n: (workspace / n).read_text() for n in old}
    assert all(v.startswith("new") for v in after_turn.values())

    kill_rewind_midway(workspace, before_turn, env)

    rows, err = checkpoints(workspace, env)
    assert "rewind" in err and "interrupted" in err and "completed" in err, err
    pre = [r for r in rows if "(interrupted)" in (r["label"] or "")]
    assert len(pre) == 1, rows
    assert pre[0]["checkpoint"][:12] in err
    assert {n: (workspace / n).read_text() for n in old} == old  # rolled forward to the target

    again, err2 = checkpoints(workspace, env)
    assert again == rows and err2 == "", "recovery is recorded once"

    undo = run_cli("rewind", pre[0]["checkpoint"][:12], "--files", "--path", str(workspace), env=env)
    assert undo.returncode == 0, undo.stderr
    assert {n: (workspace / n).read_text() for n in old} == after_turn  # the rewind was undone
    store = EventStore(log_path)
    try:
        restored = store.events(sid, kinds=[EventKind.CHECKPOINT_RESTORED])
        assert [r.payload.get("recovered", False) for r in restored] == [True, False]
    finally:
        store.close()


def test_gc_during_a_pending_restore_recovers_first(server: ScriptedServer, workspace: Path) -> None:
    env = env_for(server)
    names = [f"g{i:02d}.txt" for i in range(30)]
    for n in names:
        (workspace / n).write_text("old\n")
    rewrite_all(server, workspace, names, env)
    rows, _ = checkpoints(workspace, env)
    kill_rewind_midway(workspace, rows[0]["checkpoint"], env)
    gc = run_cli("gc", "--path", str(workspace), env=env)
    assert gc.returncode == 0, gc.stderr
    assert "Traceback" not in gc.stderr and "interrupted" in gc.stderr and "completed" in gc.stderr
    assert gc.stdout.startswith("Pruned ")
    assert all((workspace / n).read_text() == "old\n" for n in names)


def test_files_a_checkpoint_could_not_store_are_named(server: ScriptedServer, workspace: Path) -> None:
    env = env_for(server, WORKBENCH_CHECKPOINTS__MAX_FILE_BYTES="1000")
    (workspace / "a.txt").write_text("a\n")
    (workspace / "big.bin").write_bytes(b"x" * 3000)
    rewrite_all(server, workspace, ["a.txt"], env)
    listing = run_cli("checkpoints", "--path", str(workspace), env=env)
    assert listing.returncode == 0, listing.stderr
    assert "not stored: big.bin (3 KB, over max_file_bytes)" in listing.stdout
    journal = (workspace / ".workbench" / "journal" / "agentJournal.md").read_text()
    assert "skipped:" in journal and "`big.bin`" in journal

    rows, _ = checkpoints(workspace, env)
    (workspace / "big.bin").unlink()  # the agent deleted it: its content was never stored
    (workspace / "huge.log").write_bytes(b"y" * 5000)  # created after the checkpoint, too big to capture
    rw = run_cli("rewind", rows[0]["checkpoint"][:12], "--files", "--path", str(workspace), env=env)
    assert rw.returncode == 0, rw.stderr
    assert "not restored: big.bin (3 KB, over max_file_bytes)" in rw.stdout
    assert "kept (created after the checkpoint, never captured): huge.log (5 KB, over max_file_bytes)" in rw.stdout
    assert (workspace / "a.txt").read_text() == "a\n"
    assert (workspace / "huge.log").exists()
