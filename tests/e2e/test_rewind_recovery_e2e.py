"""``workbench gc`` / ``checkpoints`` / ``rewind`` recovery lines on the installed wheel: a rewind
SIGKILLed mid-restore (slowed by the product's test hook ``WORKBENCH_CHECKPOINT_TEST_OP_DELAY``;
the kill waits for the restore's intent journal file) is completed by the next ``gc``, which says
so on stderr; the pre-rewind checkpoint is listed and undoes the rewind. Files a checkpoint could
not store are named in the rewind's result."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

from workbench.scripted.server import Reply, ToolCallSpec

from .conftest import llm_env

JOURNAL = "workbench-restore.json"  # workbench.core.checkpoints.restore.JOURNAL_NAME


def _rewrite(wb, ws, scripted, names: list[str], env: dict[str, str]) -> None:
    calls = [
        ToolCallSpec("write_file", json.dumps({"path": n, "content": f"new {n}\n"}), id=f"c{i}") for i, n in enumerate(names)
    ]
    scripted.enqueue(Reply(tool_calls=calls), Reply(text="rewrote them"))
    proc = wb("run", "--yes", "-p", "rewrite all", "--path", ws, env=env)
    assert proc.returncode == 0, proc.stderr


def _checkpoints(wb, ws, env) -> tuple[list[dict], str]:
    proc = wb("checkpoints", "--json", "--path", ws, env=env)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    return json.loads(proc.stdout), proc.stderr


def test_gc_completes_a_killed_rewind_and_the_pre_rewind_checkpoint_undoes_it(wb, e2e_ws, scripted) -> None:
    env = {**llm_env(scripted), "WORKBENCH_LLM__MAX_RETRIES": "0"}
    old = {f"f{i:02d}.txt": f"old {i}\n" for i in range(30)}
    for name, text in old.items():
        (e2e_ws / name).write_text(text)
    _rewrite(wb, e2e_ws, scripted, list(old), env)
    rows, _ = _checkpoints(wb, e2e_ws, env)
    after_turn = {n: (e2e_ws / n).read_text() for n in old}

    home = Path(wb.env["WORKBENCH_HOME"])
    proc = wb.popen(
        "rewind", rows[0]["checkpoint"], "--files", "--path", e2e_ws, env={**env, "WORKBENCH_CHECKPOINT_TEST_OP_DELAY": "0.05"}
    )
    try:
        deadline = time.monotonic() + 60
        while not list(home.rglob(JOURNAL)):  # the restore has begun touching the workspace
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the restore never started"
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == -signal.SIGKILL and list(home.rglob(JOURNAL)), "killed while the restore was pending"

    gc = wb("gc", "--path", e2e_ws, env=env)
    assert gc.returncode == 0, gc.stderr
    assert "Traceback" not in gc.stderr and "interrupted" in gc.stderr and "completed" in gc.stderr
    assert gc.stdout.startswith("Pruned ")
    assert {n: (e2e_ws / n).read_text() for n in old} == old  # rolled forward to the target

    rows, err = _checkpoints(wb, e2e_ws, env)
    assert err == "", "recovery is reported once"
    [pre] = [r for r in rows if "(interrupted)" in (r["label"] or "")]
    undo = wb("rewind", pre["checkpoint"][:12], "--files", "--path", e2e_ws, env=env)
    assert undo.returncode == 0, undo.stderr
    assert {n: (e2e_ws / n).read_text() for n in old} == after_turn  # the rewind was undone


def test_rewind_names_files_it_could_not_restore(wb, e2e_ws, scripted) -> None:
    env = {**llm_env(scripted), "WORKBENCH_LLM__MAX_RETRIES": "0", "WORKBENCH_CHECKPOINTS__MAX_FILE_BYTES": "1000"}
    (e2e_ws / "a.txt").write_text("a\n")
    (e2e_ws / "big.bin").write_bytes(b"x" * 3000)
    _rewrite(wb, e2e_ws, scripted, ["a.txt"], env)
    listing = wb("checkpoints", "--path", e2e_ws, env=env)
    assert listing.returncode == 0, listing.stderr
    assert "not stored: big.bin (3 KB, over max_file_bytes)" in listing.stdout
    rows, _ = _checkpoints(wb, e2e_ws, env)
    (e2e_ws / "big.bin").unlink()
    (e2e_ws / "huge.log").write_bytes(b"y" * 5000)
    rw = wb("rewind", rows[0]["checkpoint"][:12], "--files", "--path", e2e_ws, env=env)
    assert rw.returncode == 0, rw.stderr
    assert "not restored: big.bin (3 KB, over max_file_bytes)" in rw.stdout
    assert "kept (created after the checkpoint, never captured): huge.log (5 KB, over max_file_bytes)" in rw.stdout
    assert (e2e_ws / "a.txt").read_text() == "a\n" and (e2e_ws / "huge.log").exists()
