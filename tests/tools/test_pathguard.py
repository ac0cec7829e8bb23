"""Path guard: refused shapes, symlinks, hard links, atomic writes, protected paths."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from workbench.core.tools import pathguard
from workbench.core.tools.base import ToolError
from workbench.core.tools.pathguard import PathRefused, is_protected, resolve_workspace_path, split_relative

REFUSED = {
    "": "empty path",
    "   ": "empty path",
    "/etc/passwd": "absolute path",
    "/": "absolute path",
    "C:/Windows/win.ini": "absolute path",
    "~/.ssh/id_rsa": "home-relative",
    "..": "'..' component",
    "../outside/secret.txt": "'..' component",
    "src/../../x": "'..' component",
    "src/..": "'..' component",
    "a\x00b": "NUL byte",
    "src\\..\\x": "backslash",
}


@pytest.mark.parametrize("rel", list(REFUSED))
def test_refused_shapes_before_any_filesystem_access(rel: str) -> None:
    # The workspace does not exist: reaching the filesystem would raise "cannot open the workspace".
    with pytest.raises(PathRefused) as info:
        resolve_workspace_path(Path("/nonexistent/workspace"), rel)
    assert REFUSED[rel] in str(info.value)
    assert "relative to the workspace root" in str(info.value) or "'.'" in str(info.value)


def test_non_string_path_refused() -> None:
    with pytest.raises(PathRefused, match="must be a string"):
        split_relative(3)  # type: ignore[arg-type]


def test_normalization() -> None:
    assert split_relative("./src//a.py/") == ("src", "a.py")
    assert split_relative(".") == ()
    assert pathguard.normalize_relative("./") == "."
    assert pathguard.normalize_relative("a/./b") == "a/b"


def test_root_is_not_a_file_path(ws: Path) -> None:
    with pytest.raises(PathRefused, match="workspace root itself"):
        resolve_workspace_path(ws, ".")


def test_symlinked_dir_pointing_outside_is_refused(ws: Path, outside: Path, snap) -> None:
    (ws / "link").symlink_to(outside)
    before = snap(outside)
    for rel in ("link/secret.txt", "link/deep/f1.txt", "link/new.txt"):
        with pytest.raises(PathRefused, match="'link' is a symbolic link"):
            resolve_workspace_path(ws, rel)
        with pytest.raises(PathRefused, match="symbolic link"):
            resolve_workspace_path(ws, rel, create_parents=True)
    with pytest.raises(PathRefused, match="symbolic link"):
        os.close(pathguard.open_directory(ws, "link"))
    assert snap(outside) == before


def test_symlink_pointing_inside_is_refused_too(ws: Path) -> None:
    (ws / "real").mkdir()
    (ws / "real" / "a.txt").write_text("a")
    (ws / "alias").symlink_to(ws / "real")
    with pytest.raises(PathRefused, match="symbolic link"):
        resolve_workspace_path(ws, "alias/a.txt")


def test_symlinked_file_is_refused(ws: Path, outside: Path, snap) -> None:
    (ws / "f.txt").symlink_to(outside / "secret.txt")
    before = snap(outside)
    with resolve_workspace_path(ws, "f.txt") as path:
        with pytest.raises(PathRefused, match="symbolic link"):
            pathguard.read_bytes(path)
        with pytest.raises(PathRefused, match="symbolic link"):
            pathguard.atomic_write(path, b"pwned")
    assert snap(outside) == before
    assert (ws / "f.txt").is_symlink()


def test_hard_linked_file_write_refused(ws: Path, outside: Path, snap) -> None:
    os.link(outside / "secret.txt", ws / "hl.txt")
    before = snap(outside)
    with resolve_workspace_path(ws, "hl.txt") as path:
        with pytest.raises(PathRefused, match="2 hard links"):
            pathguard.atomic_write(path, b"pwned")
        assert pathguard.read_bytes(path) == b"SECRET\n"  # reading is allowed
    assert snap(outside) == before


def test_missing_parent_and_file_parent(ws: Path) -> None:
    (ws / "file").write_text("x")
    with pytest.raises(ToolError, match="'nope' does not exist"):
        resolve_workspace_path(ws, "nope/a.txt")
    with pytest.raises(ToolError, match="'file' is not a directory"):
        resolve_workspace_path(ws, "file/a.txt", create_parents=True)


def test_atomic_write_creates_parents_keeps_mode_and_leaves_no_temp(ws: Path) -> None:
    with resolve_workspace_path(ws, "a/b/c.txt", create_parents=True) as path:
        assert pathguard.atomic_write(path, b"one") is True
    target = ws / "a" / "b" / "c.txt"
    target.chmod(0o640)
    with resolve_workspace_path(ws, "a/b/c.txt") as path:
        assert pathguard.atomic_write(path, b"two") is False
    assert target.read_bytes() == b"two"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert sorted(p.name for p in (ws / "a" / "b").iterdir()) == ["c.txt"]


def test_atomic_write_onto_directory_refused(ws: Path) -> None:
    (ws / "d").mkdir()
    with resolve_workspace_path(ws, "d") as path, pytest.raises(ToolError, match="is a directory"):
        pathguard.atomic_write(path, b"x")


def test_fifo_is_not_read(ws: Path) -> None:
    os.mkfifo(ws / "pipe")
    with resolve_workspace_path(ws, "pipe") as path, pytest.raises(ToolError, match="not a regular file"):
        pathguard.read_bytes(path)


@pytest.mark.parametrize(
    ("rel", "protected"),
    [
        (".git/config", True),
        (".GIT/HEAD", True),
        ("sub/.git/hooks/pre-commit", True),
        (".git", True),
        (".workbench/config.toml", True),
        (".Workbench/CONFIG.toml", True),
        (".mcp.json", True),
        ("AGENTS.md", True),
        ("agents.MD", True),
        ("./AGENTS.md", True),
        ("../x", True),
        (".workbench/specs/a.md", False),
        ("docs/AGENTS.md", False),
        (".gitignore", False),
        ("src/git/x.py", False),
        ("README.md", False),
    ],
)
def test_is_protected(rel: str, protected: bool) -> None:
    assert is_protected(rel) is protected
