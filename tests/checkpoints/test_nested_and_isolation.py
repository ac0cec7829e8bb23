"""Nested repositories are plain files (never gitlinks, never renamed); the user's git setup is inert."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from workbench.core.checkpoints import ShadowRepo

from .helpers import git, hash_git_dir, manifest, write


def _shadow_ls_tree(repo: ShadowRepo, commit: str) -> list[tuple[str, str]]:
    out = repo._git.run("ls-tree", "-r", "-z", commit).decode()
    rows = []
    for record in filter(None, out.split("\0")):
        meta, path = record.split("\t", 1)
        rows.append((meta.split(" ")[0], path))
    return rows


def test_nested_repositories_are_captured_as_plain_files(repo: ShadowRepo, workspace: Path) -> None:
    vendored = workspace / "vendor/lib"
    write(vendored, "lib.py", "VERSION = 1\n")
    write(vendored, ".gitignore", "*.cache\n")
    write(vendored, "x.cache", "ignored by the nested repo's own .gitignore\n")
    git(vendored, "init", "-q")
    git(vendored, "add", "-A")
    git(vendored, "commit", "-q", "-m", "lib")
    fresh = workspace / "scratch"  # a nested repository with no commit at all
    write(fresh, "notes.txt", "draft\n")
    git(fresh, "init", "-q")
    write(workspace, "vendor/lib/inner/deeper/.keep", "")
    git(workspace / "vendor/lib/inner/deeper", "init", "-q")  # nested inside nested
    vendored_status = git(vendored, "status", "--porcelain")
    nested_git = {p: hash_git_dir(p / ".git") for p in (vendored, fresh, workspace / "vendor/lib/inner/deeper")}

    cp = repo.snapshot("start")
    tree = dict((path, mode) for mode, path in _shadow_ls_tree(repo, cp.id))
    assert tree["vendor/lib/lib.py"] == "100644" and tree["scratch/notes.txt"] == "100644"
    assert tree["vendor/lib/inner/deeper/.keep"] == "100644"
    assert "vendor/lib/x.cache" not in tree
    assert "160000" not in tree.values()
    assert not any(".git/" in p or p.endswith("/.git") for p in tree)

    # later edits inside the nested repo are seen by the ordinary walk
    write(vendored, "lib.py", "VERSION = 2\n")
    write(vendored, "new_module.py", "pass\n")
    cp2 = repo.snapshot("edited vendored")
    assert sorted(cp2.files_changed) == [("A", "vendor/lib/new_module.py"), ("M", "vendor/lib/lib.py")]

    repo.restore(cp.id)
    assert (vendored / "lib.py").read_text() == "VERSION = 1\n"
    assert not (vendored / "new_module.py").exists()
    assert (vendored / "x.cache").exists()
    for path, hashes in nested_git.items():
        assert (path / ".git").is_dir(), f"{path}/.git was moved"
        assert hash_git_dir(path / ".git") == hashes
    assert git(vendored, "status", "--porcelain") == vendored_status


def test_users_git_config_hooks_and_attributes_cannot_interfere(
    repo: ShadowRepo, workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_home = tmp_path / "userhome"
    hooks = fake_home / "hooks"
    marker = tmp_path / "hook-ran"
    write(hooks, "pre-commit", f"#!/bin/sh\ntouch {marker}\nexit 1\n", executable=True)
    write(hooks, "post-commit", f"#!/bin/sh\ntouch {marker}\n", executable=True)
    write(
        fake_home,
        ".gitconfig",
        (
            "[core]\n\tautocrlf = true\n\thooksPath = " + str(hooks) + "\n\tfsmonitor = /bin/false\n"
            "[filter \"evil\"]\n\tclean = sh -c 'echo CLEANED'\n\tsmudge = sh -c 'echo SMUDGED'\n"
        ),
    )
    monkeypatch.setenv("HOME", str(fake_home))
    monkeypatch.setenv("GIT_DIR", str(workspace / ".git"))  # must not leak into the shadow repo
    write(workspace, ".gitattributes", "*.txt text eol=crlf\n*.dat filter=evil\n")
    crlf_free = b"line one\nline two\n"
    raw = b"\x00\xffraw\r\nbytes\n"
    write(workspace, "notes.txt", crlf_free)
    write(workspace, "payload.dat", raw)
    user_git = hash_git_dir(workspace / ".git")

    cp = repo.snapshot("start")
    assert repo._git.run("cat-file", "blob", f"{cp.id}:notes.txt") == crlf_free
    assert repo._git.run("cat-file", "blob", f"{cp.id}:payload.dat") == raw
    write(workspace, "notes.txt", "other\n")
    write(workspace, "payload.dat", "other\n")
    repo.restore(cp.id)
    assert (workspace / "notes.txt").read_bytes() == crlf_free
    assert (workspace / "payload.dat").read_bytes() == raw
    assert not marker.exists()
    assert hash_git_dir(workspace / ".git") == user_git


def test_shadow_repository_is_outside_the_workspace_and_has_no_hooks(repo: ShadowRepo, workspace: Path) -> None:
    before = manifest(workspace, include_git=True)
    repo.snapshot("start")
    assert manifest(workspace, include_git=True) == before  # a snapshot writes nothing in the workspace
    assert not (repo.git_dir / "hooks").exists()
    assert not repo.git_dir.is_relative_to(workspace)
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    fsck = subprocess.run(
        ["git", "--git-dir", str(repo.git_dir), "fsck", "--no-dangling"], capture_output=True, text=True, env=env
    )
    assert fsck.returncode == 0, fsck.stderr
