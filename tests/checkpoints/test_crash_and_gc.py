"""A restore SIGKILLed midway is completed by recovery; gc prunes refs and objects."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from workbench.core.checkpoints import ShadowRepo
from workbench.core.checkpoints.restore import JOURNAL_NAME, OP_DELAY_ENV, TEMP_SUFFIX

from .helpers import manifest, write

CHILD = """
import sys
from pathlib import Path
from workbench.core.checkpoints import ShadowRepo
ShadowRepo(Path(sys.argv[1]), Path(sys.argv[2])).restore(sys.argv[3])
"""


def _state(ws: Path, racing: bool = False) -> dict[str, tuple[str, str]]:
    return {k: v for k, v in manifest(ws, racing=racing).items() if not k.endswith(TEMP_SUFFIX)}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_restore_killed_midway_is_completed_by_recovery(tmp_path: Path, home: Path, seed: int) -> None:
    rng = random.Random(seed)
    ws = tmp_path / "ws"
    for i in range(40):
        write(ws, f"d{i % 5}/f{i}.txt", f"old {i}\n" * (i + 1))
    for i in range(10):
        write(ws, f"bin/b{i}.bin", rng.randbytes(3000))
    repo = ShadowRepo(ws, tmp_path / "shadow.git")
    cp = repo.snapshot("old")
    old = _state(ws)
    for i in range(0, 40, 2):
        write(ws, f"d{i % 5}/f{i}.txt", f"new {i}\n")
    for i in range(1, 40, 7):
        (ws / f"d{i % 5}/f{i}.txt").unlink()
    for i in range(10):
        write(ws, f"bin/b{i}.bin", rng.randbytes(2000), executable=True)
        write(ws, f"added/n{i}.txt", f"added {i}\n")
    new = _state(ws)

    env = {**os.environ, OP_DELAY_ENV: "0.03"}
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(ws), str(repo.git_dir), cp.id], env=env)
    journal = repo.git_dir / JOURNAL_NAME
    deadline = time.monotonic() + 30
    while True:  # wait until the restore is visibly midway: some files old, some still new
        assert time.monotonic() < deadline and child.poll() is None, "restore finished before the kill"
        now = _state(ws, racing=True)
        restored = [p for p in set(old) | set(new) if old.get(p) != new.get(p) and now.get(p) == old.get(p)]
        if journal.exists() and len(restored) >= rng.randint(3, 20):
            break
        time.sleep(0.005)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert child.returncode == -signal.SIGKILL

    torn = _state(ws)
    for path in set(old) | set(new) | set(torn):
        assert torn.get(path) in (old.get(path), new.get(path)), f"{path} is neither wholly old nor wholly new"
    assert torn != old and torn != new
    assert repo.restore_pending()

    assert repo.recover_incomplete_restore() == cp.id
    assert manifest(ws) == old  # rolled forward: exactly the checkpoint, no temp files left
    assert not journal.exists() and repo.recover_incomplete_restore() is None

    before = [c for c in repo.list_checkpoints() if c.label == f"before restore to {cp.id[:8]}"]
    assert len(before) == 1
    repo.restore(before[0].id)  # the interrupted restore can still be undone
    assert manifest(ws) == new


def test_gc_prunes_deleted_sessions_and_old_checkpoints(repo: ShadowRepo, workspace: Path) -> None:
    write(workspace, "one.txt", "only in session one\n")
    a = repo.snapshot("a", session_id="one")
    (workspace / "one.txt").unlink()
    write(workspace, "two.txt", "only in session two\n")
    b = repo.snapshot("b", session_id="two")
    write(workspace, "two.txt", "two, latest\n")
    c = repo.snapshot("c", session_id="two")
    blob_two = repo._git.run("rev-parse", f"{b.id}:two.txt").decode().strip()
    blob_one = repo._git.run("rev-parse", f"{a.id}:one.txt").decode().strip()

    result = repo.gc(keep_days=365, live_session_ids=["one"])
    assert sorted(result.pruned) == sorted([b.id, c.id]) and result.kept == 1
    assert [x.id for x in repo.list_checkpoints()] == [a.id]
    exists = repo._git.run("cat-file", "-e", blob_two, ok_codes=(0, 1, 128))
    assert exists == b""
    assert (
        subprocess.run(
            ["git", "--git-dir", str(repo.git_dir), "cat-file", "-e", blob_two],
            capture_output=True,
            env={k: v for k, v in os.environ.items() if not k.startswith("GIT_")},
        ).returncode
        != 0
    )
    assert repo._git.run("cat-file", "-t", blob_one) == b"blob\n"

    assert repo.gc(keep_days=365).pruned == []  # young and live: kept
    assert repo.gc(keep_days=0).pruned == [a.id]
    assert repo.list_checkpoints() == []
    # the workspace's latest commit stays as the base of the next snapshot's files_changed
    write(workspace, "three.txt", "3\n")
    d = repo.snapshot("d", session_id="one")
    assert d.parent == c.id and d.files_changed == [("A", "three.txt")]
