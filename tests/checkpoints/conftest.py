"""Fixtures: an isolated data dir and a real workspace that is itself a git repository."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from workbench.core.checkpoints import CheckpointSettings, ShadowRepo

from .helpers import git, write


@pytest.fixture()
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``WORKBENCH_HOME`` in a tmp dir."""
    path = tmp_path / "home"
    monkeypatch.setenv("WORKBENCH_HOME", str(path))
    return path


@pytest.fixture()
def workspace(tmp_path: Path, home: Path) -> Path:
    """A workspace with a committed user repository, text, binary, executable and ignored files."""
    ws = tmp_path / "ws"
    ws.mkdir()
    write(ws, ".gitignore", "*.log\nbuild/\n")
    write(ws, "README.md", "# project\n")
    write(ws, "src/app.py", "print('hello')\n" * 20)
    write(ws, "src/util/helpers.py", "def f():\n    return 1\n")
    write(ws, "assets/blob.bin", os.urandom(4096))
    write(ws, "run.sh", "#!/bin/sh\necho run\n", executable=True)
    write(ws, "debug.log", "ignored log line\n")
    write(ws, "build/out.o", os.urandom(256))
    git(ws, "init", "-q")
    git(ws, "add", "-A")
    git(ws, "commit", "-q", "-m", "initial")
    return ws


@pytest.fixture()
def repo(workspace: Path) -> ShadowRepo:
    """A shadow repository for ``workspace`` with a 64 KiB size cap."""
    return ShadowRepo(workspace, settings=CheckpointSettings(max_file_bytes=64 * 1024))
