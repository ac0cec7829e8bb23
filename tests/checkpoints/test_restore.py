"""Restore: byte-identical, deletions, new files, binary, modes, ignored files, undo, the user's .git."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from workbench.core.checkpoints import (
    CheckpointSettings,
    RestoreConflictError,
    RestoreIncompleteError,
    ShadowRepo,
)
from workbench.core.checkpoints.restore import JOURNAL_NAME

from .helpers import git, hash_git_dir, manifest, write


def _mutate(ws: Path) -> None:
    write(ws, "README.md", "# rewritten\n")
    (ws / "src/util/helpers.py").unlink()
    (ws / "src/util").rmdir()
    write(ws, "assets/blob.bin", os.urandom(5000))
    write(ws, "assets/new.bin", os.urandom(100))
    write(ws, "new/deep/dir/file.txt", "created later\n")
    (ws / "run.sh").chmod(0o644)
    write(ws, "src/app.py", "print('x')\n", executable=True)
    os.symlink("README.md", ws / "link-to-readme")
    write(ws, "debug.log", "ignored, changed after the checkpoint\n")
    write(ws, "later.log", "ignored, created after the checkpoint\n")


def test_restore_is_byte_identical_and_undoable(repo: ShadowRepo, workspace: Path) -> None:
    os.symlink("src/app.py", workspace / "app-link")
    at_checkpoint = manifest(workspace)
    cp = repo.snapshot("start")
    _mutate(workspace)
    mutated = manifest(workspace)

    result = repo.restore(cp.id)

    after = manifest(workspace)
    ignored = {"debug.log", "later.log", "build/out.o"}
    assert {k: v for k, v in after.items() if k not in ignored} == {k: v for k, v in at_checkpoint.items() if k not in ignored}
    # ignored files are never touched, whether they existed at the checkpoint or not
    assert after["debug.log"] == mutated["debug.log"] and after["later.log"] == mutated["later.log"]
    assert after["build/out.o"] == at_checkpoint["build/out.o"]
    assert os.access(workspace / "run.sh", os.X_OK) and not os.access(workspace / "src/app.py", os.X_OK)
    assert os.readlink(workspace / "app-link") == "src/app.py"
    assert not (workspace / "new").exists() and not (workspace / "link-to-readme").is_symlink()
    assert sorted(result.deleted) == ["assets/new.bin", "link-to-readme", "new/deep/dir/file.txt"]
    assert "src/util/helpers.py" in result.written and result.target == cp.id
    assert not (repo.git_dir / JOURNAL_NAME).exists()
    assert result.before_restore.label == f"before restore to {cp.id[:8]}"
    assert result.before_restore.meta == {"kind": "before_restore", "restore_target": cp.id}

    # undo: restoring the "before restore" checkpoint brings the mutated state back
    repo.restore(result.before_restore.id)
    assert manifest(workspace) == mutated


def test_users_git_dir_is_never_modified(repo: ShadowRepo, workspace: Path) -> None:
    write(workspace, "uncommitted.txt", "not in the user's repo\n")
    git(workspace, "add", "uncommitted.txt")  # the user's index has a staged change
    before = hash_git_dir(workspace / ".git")
    status_before = git(workspace, "status", "--porcelain")
    cp = repo.snapshot("start")
    _mutate(workspace)
    repo.snapshot("mutated")
    repo.diff(cp.id)
    result = repo.restore(cp.id)
    repo.restore(result.before_restore.id)
    repo.restore(cp.id)
    repo.gc(keep_days=0, live_session_ids=[])
    assert hash_git_dir(workspace / ".git") == before
    assert git(workspace, "status", "--porcelain") == status_before


def test_ignored_oversize_never_tracked_files_survive_restore(workspace: Path, home: Path) -> None:
    repo = ShadowRepo(workspace, settings=CheckpointSettings(max_file_bytes=10_000, excludes=["*.tmp"]))
    cp = repo.snapshot("start")
    write(workspace, "huge.dat", b"z" * 20_000)
    write(workspace, "scratch.tmp", "excluded")
    write(workspace, "added.txt", "tracked new file")
    repo.restore(cp.id)
    assert (workspace / "huge.dat").read_bytes() == b"z" * 20_000
    assert (workspace / "scratch.tmp").read_text() == "excluded"
    assert not (workspace / "added.txt").exists()


def test_restore_file_that_became_a_folder_and_back(repo: ShadowRepo, workspace: Path) -> None:
    cp = repo.snapshot("start")
    (workspace / "README.md").unlink()
    write(workspace, "README.md/inner.txt", "now a folder")
    mid = repo.snapshot("folder")
    assert ("A", "README.md/inner.txt") in mid.files_changed and ("D", "README.md") in mid.files_changed
    repo.restore(cp.id)
    assert (workspace / "README.md").read_text() == "# project\n"
    repo.restore(mid.id)
    assert (workspace / "README.md/inner.txt").read_text() == "now a folder"


def test_untracked_file_in_the_way_is_a_clear_conflict(workspace: Path, home: Path) -> None:
    repo = ShadowRepo(workspace, settings=CheckpointSettings(max_file_bytes=100_000))
    cp = repo.snapshot("start")
    (workspace / "src/util/helpers.py").unlink()
    (workspace / "src/util").rmdir()
    write(workspace, "src/util", "an ignored file where a folder must go\n")
    write(workspace, ".gitignore", "*.log\nbuild/\nsrc/util\n")
    with pytest.raises(RestoreConflictError, match="src/util/helpers.py"):
        repo.restore(cp.id)
    assert repo.restore_pending()
    with pytest.raises(RestoreIncompleteError, match="recover_incomplete_restore"):
        repo.snapshot("blocked")
    (workspace / "src/util").unlink()
    assert repo.recover_incomplete_restore() == cp.id
    assert (workspace / "src/util/helpers.py").read_text() == "def f():\n    return 1\n"
    assert not repo.restore_pending()
