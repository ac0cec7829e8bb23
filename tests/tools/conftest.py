"""Fixtures for the file tool tests: a workspace and an outside folder that must never change."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from workbench.core.tools import builtin_tools
from workbench.core.tools.base import Tool, ToolContext, ToolLimits


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    """An empty workspace directory."""
    path = tmp_path / "ws"
    path.mkdir()
    return path


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder next to the workspace holding a secret file and a ``deep`` subfolder."""
    path = tmp_path / "outside"
    (path / "deep").mkdir(parents=True)
    (path / "secret.txt").write_text("SECRET\n")
    for i in range(10):
        (path / "deep" / f"f{i}.txt").write_text(f"SECRET {i}\n")
    return path


def snapshot(root: Path) -> dict[str, tuple[int, str, int]]:
    """Map every entry under ``root`` to ``(mode, sha256 of content or '', mtime_ns)``."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            full = Path(dirpath, name)
            st = full.lstat()
            digest = hashlib.sha256(full.read_bytes()).hexdigest() if full.is_file() and not full.is_symlink() else ""
            out[str(full.relative_to(root))] = (st.st_mode, digest, st.st_mtime_ns)
    return out


@pytest.fixture
def snap():
    """The :func:`snapshot` function (fixtures avoid importing conftest as a module)."""
    return snapshot


@pytest.fixture
def ctx(ws: Path) -> ToolContext:
    """A tool context on ``ws`` with small caps so truncation is easy to reach."""
    return ToolContext(ws, ToolLimits(read_max_bytes=4096, list_max_entries=5, glob_max_results=5, grep_max_results=5))


@pytest.fixture
def tools() -> dict[str, Tool]:
    """The built-in tools by name."""
    return {tool.spec.name: tool for tool in builtin_tools()}
