"""Helpers for checkpoint tests: build workspaces with real git, hash trees."""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
from pathlib import Path

GIT_ENV = {
    "GIT_AUTHOR_NAME": "T",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "T",
    "GIT_COMMITTER_EMAIL": "t@example.com",
}


def git(cwd: Path, *args: str) -> str:
    """Run the user's git (a real repository in the workspace) and return stdout."""
    env = {**os.environ, **GIT_ENV}
    env.pop("GIT_DIR", None)
    env.pop("GIT_WORK_TREE", None)
    env.pop("GIT_INDEX_FILE", None)
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


def manifest(root: Path, include_git: bool = False, racing: bool = False) -> dict[str, tuple[str, str]]:
    """Map every file under ``root`` (``.git`` folders skipped unless asked) to (kind+mode, sha256).

    ``racing``: another process is changing the tree; files that vanish mid-walk are left out.
    """
    result: dict[str, tuple[str, str]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        if not include_git:
            dirnames[:] = [d for d in dirnames if d != ".git"]
        for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
            full = Path(dirpath) / name
            rel = full.relative_to(root).as_posix()
            if not include_git and name == ".git":
                continue
            try:
                st = os.lstat(full)
                if stat.S_ISLNK(st.st_mode):
                    result[rel] = ("link", os.readlink(full))
                else:
                    kind = "exec" if st.st_mode & 0o100 else "file"
                    result[rel] = (kind, hashlib.sha256(full.read_bytes()).hexdigest())
            except FileNotFoundError:
                if not racing:
                    raise
    return result


def hash_git_dir(git_dir: Path) -> dict[str, str]:
    """sha256 of every file inside a ``.git`` folder (content only, mtime-insensitive)."""
    out: dict[str, str] = {}
    for dirpath, _dirs, files in os.walk(git_dir):
        for name in files:
            full = Path(dirpath) / name
            out[full.relative_to(git_dir).as_posix()] = hashlib.sha256(full.read_bytes()).hexdigest()
    return out


def write(root: Path, rel: str, data: bytes | str, executable: bool = False) -> Path:
    """Write a file (creating folders) and set or clear its executable bit."""
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    path.chmod(0o755 if executable else 0o644)
    return path
