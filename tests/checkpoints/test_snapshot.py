"""Snapshots: what is captured, what is skipped, listing, diff."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.core.checkpoints import (
    CheckpointNotFoundError,
    CheckpointSettings,
    InvalidSessionIdError,
    ShadowRepo,
)
from workbench.core.paths import workspace_data_dir

from .helpers import write


def test_first_snapshot_captures_tracked_and_untracked_but_not_ignored(repo: ShadowRepo, workspace: Path) -> None:
    cp = repo.snapshot("start", {"event_seq": 1}, session_id="s1")
    paths = {p for _s, p in cp.files_changed}
    assert paths == {".gitignore", "README.md", "src/app.py", "src/util/helpers.py", "assets/blob.bin", "run.sh"}
    assert all(status == "A" for status, _p in cp.files_changed)
    assert cp.parent is None and cp.session_id == "s1" and cp.meta == {"event_seq": 1}
    assert cp.diffstat[0] == 6 and cp.diffstat[1] == 2 + 1 + 20 + 2 + 2  # blob.bin counts 0 lines
    assert repo.git_dir == workspace_data_dir(workspace) / "checkpoints.git"
    assert not (workspace / ".git" / "workbench.index").exists()


def test_edits_deletions_new_files_and_diffstat(repo: ShadowRepo, workspace: Path) -> None:
    first = repo.snapshot("start")
    write(workspace, "README.md", "# project\nmore\n")
    (workspace / "src/util/helpers.py").unlink()
    write(workspace, "docs/new.md", "new\nfile\n")
    (workspace / "run.sh").chmod(0o644)
    second = repo.snapshot("after edits")
    assert second.parent == first.id
    assert sorted(second.files_changed) == [
        ("A", "docs/new.md"),
        ("D", "src/util/helpers.py"),
        ("M", "README.md"),
        ("M", "run.sh"),
    ]
    assert second.diffstat == (4, 1 + 2, 2)


def test_unchanged_snapshot_returns_previous_checkpoint(repo: ShadowRepo, workspace: Path) -> None:
    first = repo.snapshot("a", session_id="s1")
    again = repo.snapshot("b", session_id="s1")
    assert again.id == first.id and again.files_changed == [] and again.diffstat == (0, 0, 0)
    assert len(repo.list_checkpoints()) == 1
    # another session gets its own checkpoint of the same tree
    other = repo.snapshot("c", session_id="s2")
    assert other.id != first.id and other.tree == first.tree and other.files_changed == []


def test_oversize_and_excluded_files_are_skipped_and_listed(workspace: Path, home: Path) -> None:
    repo = ShadowRepo(workspace, settings=CheckpointSettings(max_file_bytes=1000, excludes=["*.secret", "data/*"]))
    write(workspace, "huge.bin", b"x" * 5000)
    write(workspace, "keys/api.secret", "s3cr3t")
    write(workspace, "data/a.csv", "1,2\n")
    cp = repo.snapshot("start")
    skipped = dict(cp.skipped)
    assert skipped["huge.bin"].startswith("larger than max_file_bytes (5000 > 1000")
    assert "assets/blob.bin" in skipped  # 4096 bytes > 1000
    assert skipped["keys/api.secret"] == "excluded by pattern '*.secret'"
    assert skipped["data/a.csv"] == "excluded by pattern 'data/*'"
    captured = {p for _s, p in cp.files_changed}
    assert not captured & set(skipped)
    # a captured file that grows over the cap is dropped from the checkpoint and listed
    write(workspace, "README.md", "y" * 2000)
    cp2 = repo.snapshot("grown")
    assert ("D", "README.md") in cp2.files_changed and "README.md" in dict(cp2.skipped)


def test_list_get_and_session_filter(repo: ShadowRepo, workspace: Path) -> None:
    a = repo.snapshot("one", session_id="s1")
    write(workspace, "x.txt", "x")
    b = repo.snapshot("two\nlines", session_id="s2")
    assert [c.id for c in repo.list_checkpoints()] == [a.id, b.id]
    assert [c.id for c in repo.list_checkpoints("s2")] == [b.id]
    got = repo.get(b.id[:10])
    assert got.label == "two lines" and got.files_changed == [("A", "x.txt")] and got.parent == a.id
    with pytest.raises(CheckpointNotFoundError, match="no checkpoint 'deadbeef'"):
        repo.get("deadbeef")
    with pytest.raises(InvalidSessionIdError):
        repo.snapshot("bad", session_id="../etc")


def test_diff_against_worktree_and_checkpoint(repo: ShadowRepo, workspace: Path) -> None:
    a = repo.snapshot("a")
    write(workspace, "src/app.py", "print('changed')\n")
    write(workspace, "assets/blob.bin", b"\x00\x01binary")
    patch = repo.diff(a.id)
    assert "-print('hello')" in patch and "+print('changed')" in patch
    assert "Binary files a/assets/blob.bin and b/assets/blob.bin differ" in patch
    assert "2 files changed" in repo.diff(a.id, stat=True)
    b = repo.snapshot("b")
    assert repo.diff(a.id, b.id) == patch
    assert repo.diff(b.id) == ""


async def test_async_wrappers(repo: ShadowRepo, workspace: Path) -> None:
    cp = await repo.snapshot_async("async", {"turn": 1})
    write(workspace, "README.md", "changed\n")
    assert "+changed" in await repo.diff_async(cp.id)
    result = await repo.restore_async(cp.id)
    assert result.written == ["README.md"]
    assert (workspace / "README.md").read_text() == "# project\n"
    assert [c.label for c in await repo.list_checkpoints_async()][-1].startswith("before restore")
    assert await repo.recover_incomplete_restore_async() is None
    assert (await repo.gc_async(keep_days=None, live_session_ids=["default"])).pruned == []
