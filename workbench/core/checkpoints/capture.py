"""Bring the shadow index up to date with the workspace (the "add" half of a snapshot).

One ``git ls-files -m -o --exclude-standard`` walk finds modified, deleted and new files (it reuses
the index's stat data, so unchanged files are not read); the Python side applies the size cap and
the extra excludes; ``git update-index --add --remove`` hashes only the changed files.

Nested repositories (a folder with its own ``.git``) are captured as **plain files**, never as
gitlinks, and never renamed: when ``ls-files`` reports a new one (``sub/``), its files are listed
with ``GIT_WORK_TREE`` set to the nested folder (so its own ``.gitignore`` applies and its ``.git``
is skipped, as every ``.git`` is), filtered by the workspace's ignore rules (``check-ignore``) and
added one by one. Once the index holds files under ``sub/``, git walks it as an ordinary folder.
A nested repository whose files are all ignored is simply empty in the checkpoint.
"""

from __future__ import annotations

import fnmatch
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from .gitcmd import Git, encode_path, split_z
from .settings import CheckpointSettings


@dataclass
class StageResult:
    """Outcome of :func:`stage_worktree`."""

    skipped: list[tuple[str, str]] = field(default_factory=list)
    """``(path, reason)`` of files not captured."""
    updated: int = 0
    """How many paths were passed to ``update-index``."""


def has_git_component(path: str) -> bool:
    """Return True when any component of a relative POSIX path is ``.git`` (any case) or ``..``."""
    return any(part.lower() == ".git" or part == ".." for part in path.split("/"))


def excluded_by(path: str, patterns: list[str]) -> str | None:
    """Return the first pattern of ``patterns`` that matches ``path`` (see ``CheckpointSettings.excludes``)."""
    name = path.rsplit("/", 1)[-1]
    for pattern in patterns:
        if fnmatch.fnmatchcase(path, pattern) or ("/" not in pattern and fnmatch.fnmatchcase(name, pattern)):
            return pattern
    return None


def _skip_reason(root: Path, path: str, settings: CheckpointSettings) -> tuple[str | None, bool]:
    """Decide whether ``path`` is captured.

    Returns:
        ``(reason, exists)``: ``reason`` is None when the file is to be captured, ``""`` for a
        folder (a tracked file that became a folder is dropped silently); ``exists`` is
        False when the path is gone (a deletion for ``update-index --remove``).
    """
    pattern = excluded_by(path, settings.excludes)
    if pattern is not None:
        return f"excluded by pattern {pattern!r}", True
    try:
        st = os.lstat(root / path)
    except FileNotFoundError:
        return None, False
    except OSError as exc:
        return f"cannot stat: {exc.strerror}", True
    if stat.S_ISLNK(st.st_mode):
        return None, True
    if stat.S_ISDIR(st.st_mode):
        return "", True
    if not stat.S_ISREG(st.st_mode):
        return "not a regular file", True
    if st.st_size > settings.max_file_bytes:
        return f"larger than max_file_bytes ({st.st_size} > {settings.max_file_bytes} bytes)", True
    if not os.access(root / path, os.R_OK):
        return "not readable", True
    return None, True


def _list_nested(git: Git, root: Path, rel: str, empty_index: Path) -> list[str]:
    """List the non-ignored files of the nested repository at ``rel`` (recursing into deeper ones)."""
    out = git.run("ls-files", "-z", "-o", "--exclude-standard", work_tree=root / rel, index_file=empty_index)
    files: list[str] = []
    for sub in split_z(out):
        if sub.endswith("/"):
            files += _list_nested(git, root, f"{rel}/{sub[:-1]}", empty_index)
        else:
            files.append(f"{rel}/{sub}")
    return files


def stage_worktree(git: Git, root: Path, settings: CheckpointSettings) -> StageResult:
    """Update the shadow index so that ``git write-tree`` captures the workspace.

    Args:
        git: the shadow repository's git runner.
        root: the workspace root.
        settings: size cap and excludes.

    Returns:
        The skipped files and the number of updated paths.

    Raises:
        GitCommandError: a git step failed (e.g. a file became unreadable between the walk and
            the hash).
    """
    result = StageResult()
    out = git.run("ls-files", "-z", "-t", "-m", "-o", "--exclude-standard")
    update: list[str] = []
    force_remove: list[str] = []
    nested: list[str] = []
    seen: set[str] = set()
    for record in split_z(out):
        tag, path = record[:1], record[2:]
        if path in seen:
            continue
        seen.add(path)
        if path.endswith("/"):
            nested.append(path[:-1])
            continue
        if has_git_component(path):
            continue
        reason, exists = _skip_reason(root, path, settings)
        if reason is None:
            update.append(path)
        else:
            if reason:  # "" = a tracked file replaced by a folder: drop it, list nothing
                result.skipped.append((path, reason))
            if tag != "?" and exists:
                force_remove.append(path)
    if nested:
        empty_index = git.git_dir / "workbench-empty.index"
        candidates: list[str] = []
        for rel in nested:
            candidates += _list_nested(git, root, rel, empty_index)
        if candidates:
            ignored_out = git.run(
                "check-ignore",
                "-z",
                "--stdin",
                input=b"\0".join(encode_path(p) for p in candidates) + b"\0",
                ok_codes=(0, 1),
            )
            ignored = set(split_z(ignored_out))
            for path in candidates:
                if path in ignored or has_git_component(path):
                    continue
                reason, exists = _skip_reason(root, path, settings)
                if reason is None and exists:
                    update.append(path)
                elif reason:
                    result.skipped.append((path, reason))
    if force_remove:
        git.run(
            "update-index",
            "--force-remove",
            "-z",
            "--stdin",
            input=b"\0".join(encode_path(p) for p in force_remove) + b"\0",
        )
    if update:  # --replace: a file that became a folder (or back) replaces the old entries
        git.run(
            "update-index",
            "--add",
            "--remove",
            "--replace",
            "-z",
            "--stdin",
            input=b"\0".join(encode_path(p) for p in update) + b"\0",
        )
    result.updated = len(update) + len(force_remove)
    result.skipped.sort()
    return result
