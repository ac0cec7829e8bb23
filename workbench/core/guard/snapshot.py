"""State of the protected paths before a tool call, what changed after it, and putting it back.

A :class:`Snapshot` maps each protected entry that exists (workspace-relative, real names) to an
:class:`Entry`: kind, mode, size, mtime, inode, and for files up to :data:`MAX_CAPTURE` bytes the
content itself (what a revert writes back; SHA-256 is not needed as the bytes are kept). Folders
are walked with ``os.scandir`` without following links (a link is recorded as a link, never
entered). Only the small protected set is visited, never the whole workspace, so the cost does not
grow with the workspace (``tests/bench/bench_guard.py``).

All functions block; async callers use ``asyncio.to_thread``.
"""

from __future__ import annotations

import difflib
import os
import shutil
import stat
from dataclasses import dataclass, field
from pathlib import Path

from workbench.core.guard.protected import (
    GIT_FILES,
    GIT_TREES,
    ROOT_FILES,
    WORKBENCH_FILES,
    WORKBENCH_TREES,
    find_name,
)

MAX_CAPTURE = 1024 * 1024
"""Files up to this size (bytes) are captured before each call so they can be restored. Larger
ones (in practice only the ``.git/index`` of a big repository) are compared by size, mtime and
inode; a change to them is reported and, if not approved, listed as not restorable."""
MAX_TREE_ENTRIES = 5000
"""At most this many entries are tracked under one protected folder (the rest only by count)."""


@dataclass(frozen=True)
class Entry:
    """One protected entry as found on disk.

    Attributes:
        kind: ``"file"``, ``"dir"``, ``"link"`` or ``"other"``.
        mode: permission bits.
        size: bytes.
        mtime_ns: modification time (ns).
        ino: inode number.
        data: file content (files up to :data:`MAX_CAPTURE` bytes), else None.
        target: a link's target text.
    """

    kind: str
    mode: int
    size: int
    mtime_ns: int
    ino: int
    data: bytes | None = None
    target: str | None = None

    def same(self, other: Entry) -> bool:
        """Tell whether ``other`` is the same state (stat, content or link target)."""
        if (self.kind, self.mode, self.target) != (other.kind, other.mode, other.target):
            return False
        if self.kind == "dir":
            return True  # a folder's own mtime changes with any entry; entries are compared one by one
        if self.data is not None and other.data is not None:
            return self.data == other.data
        return (self.size, self.mtime_ns, self.ino) == (other.size, other.mtime_ns, other.ino)


@dataclass
class Snapshot:
    """Protected entries by workspace-relative path (``/`` separators).

    Attributes:
        entries: what exists.
        scripts: the MCP script paths that were looked at (the next snapshot to compare with
            looks at the same ones, so a rewritten ``.mcp.json`` cannot make files look created).
    """

    entries: dict[str, Entry] = field(default_factory=dict)
    scripts: tuple[str, ...] = ()


@dataclass(frozen=True)
class Change:
    """A difference between two snapshots.

    Attributes:
        path: workspace-relative path.
        what: ``"created"``, ``"deleted"`` or ``"modified"``.
    """

    path: str
    what: str


def _entry(full: str, capture: bool = True) -> Entry | None:
    try:
        st = os.lstat(full)
    except OSError:
        return None
    mode = st.st_mode
    if stat.S_ISLNK(mode):
        try:
            target = os.readlink(full)
        except OSError:
            target = "?"
        return Entry("link", 0, st.st_size, st.st_mtime_ns, st.st_ino, target=target)
    if stat.S_ISDIR(mode):
        return Entry("dir", stat.S_IMODE(mode), 0, st.st_mtime_ns, st.st_ino)
    if not stat.S_ISREG(mode):
        return Entry("other", stat.S_IMODE(mode), st.st_size, st.st_mtime_ns, st.st_ino)
    data = None
    if capture and st.st_size <= MAX_CAPTURE:
        try:
            fd = os.open(full, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
            try:
                chunks = []
                while chunk := os.read(fd, 1 << 20):
                    chunks.append(chunk)
                data = b"".join(chunks)
            finally:
                os.close(fd)
        except OSError:
            data = None
    return Entry("file", stat.S_IMODE(mode), st.st_size, st.st_mtime_ns, st.st_ino, data)


def _tree(root: str, rel: str, out: dict[str, Entry]) -> None:
    """Record ``rel`` and, when it is a real folder, everything below it (links not entered)."""
    entry = _entry(os.path.join(root, rel))
    if entry is None:
        return
    out[rel] = entry
    if entry.kind != "dir":
        return
    stack = [rel]
    count = 0
    while stack:
        cur = stack.pop()
        try:
            it = os.scandir(os.path.join(root, cur))
        except OSError:
            continue
        with it:
            for e in it:
                count += 1
                if count > MAX_TREE_ENTRIES:
                    return
                sub = f"{cur}/{e.name}"
                got = _entry(e.path)
                if got is None:
                    continue
                out[sub] = got
                if got.kind == "dir":
                    stack.append(sub)


def take(workspace: Path, scripts: tuple[str, ...] = ()) -> Snapshot:
    """Record the protected entries of ``workspace`` (see :mod:`workbench.core.guard.protected`).

    Args:
        workspace: The workspace root.
        scripts: Workspace-relative paths of MCP server scripts (also protected).
    """
    root = str(workspace)
    out: dict[str, Entry] = {}
    for name in find_name(root, ROOT_FILES):
        _tree(root, name, out)
    for git in find_name(root, frozenset({".git"})):
        entry = _entry(os.path.join(root, git))
        if entry is None:
            continue
        out[git] = entry
        if entry.kind != "dir":
            continue
        gdir = os.path.join(root, git)
        for name in find_name(gdir, GIT_FILES):
            _tree(root, f"{git}/{name}", out)
        for name in find_name(gdir, GIT_TREES):
            _tree(root, f"{git}/{name}", out)
    for wb in find_name(root, frozenset({".workbench"})):
        for name in find_name(os.path.join(root, wb), WORKBENCH_FILES | WORKBENCH_TREES):
            _tree(root, f"{wb}/{name}", out)
    for rel in scripts:
        if rel not in out:
            _tree(root, rel, out)
    return Snapshot(out, tuple(scripts))


def compare(before: Snapshot, after: Snapshot) -> list[Change]:
    """Return what changed from ``before`` to ``after``, sorted by path."""
    changes: list[Change] = []
    for path, old in before.entries.items():
        new = after.entries.get(path)
        if new is None:
            changes.append(Change(path, "deleted"))
        elif not old.same(new):
            changes.append(Change(path, "modified"))
    for path in after.entries.keys() - before.entries.keys():
        changes.append(Change(path, "created"))
    changes.sort(key=lambda c: c.path)
    return changes


def diff_text(before: Snapshot, after: Snapshot, changes: list[Change], limit: int = 20_000) -> str:
    """Return a unified diff of the changes (text files), with one line for each other change."""
    parts: list[str] = []
    for ch in changes:
        old, new = before.entries.get(ch.path), after.entries.get(ch.path)
        a = _text(old)
        b = _text(new)
        if a is not None and b is not None:
            parts.extend(difflib.unified_diff(a.splitlines(True), b.splitlines(True), f"a/{ch.path}", f"b/{ch.path}"))
            if parts and not parts[-1].endswith("\n"):
                parts[-1] += "\n"
        else:
            either = new or old
            kind = either.kind if either is not None else "entry"
            extra = f" -> {new.target}" if new is not None and new.kind == "link" else ""
            parts.append(f"{ch.what}: {ch.path} ({kind}{extra})\n")
    text = "".join(parts)
    return text if len(text) <= limit else text[:limit] + f"\n… ({len(text) - limit} more characters)\n"


def _text(entry: Entry | None) -> str | None:
    if entry is None:
        return ""
    if entry.kind != "file" or entry.data is None or b"\x00" in entry.data[:8192]:
        return None
    try:
        return entry.data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def revert(workspace: Path, before: Snapshot, after: Snapshot, changes: list[Change]) -> list[str]:
    """Put the changed entries back as they were in ``before``; delete what was created.

    Order: deletions of created entries deepest first (a created folder with all its content;
    a link is removed itself, never followed), then restorations shallowest first (a folder before
    its files; a file is rewritten atomically next to itself by the path guard, which refuses to
    go through a symlink).

    Returns:
        Paths that could not be restored (e.g. a file larger than :data:`MAX_CAPTURE`), with why.
    """
    from workbench.core.tools.pathguard import atomic_write, resolve_workspace_path

    root = str(workspace)
    failed: list[str] = []
    removed: set[str] = set()
    for ch in sorted(changes, key=lambda c: c.path.count("/"), reverse=True):
        old, new = before.entries.get(ch.path), after.entries.get(ch.path)
        if new is None or any(ch.path.startswith(r + "/") for r in removed):
            continue
        if old is not None and old.kind == new.kind and new.kind in ("dir",):
            continue  # a folder's mode changed: fixed below
        if old is not None and old.kind == "file" == new.kind:
            continue  # rewritten below
        full = os.path.join(root, ch.path)
        try:
            if new.kind == "dir":
                shutil.rmtree(full)
            else:
                os.unlink(full)
            removed.add(ch.path)
        except FileNotFoundError:
            removed.add(ch.path)
        except OSError as exc:
            failed.append(f"{ch.path} ({exc.strerror})")
    for ch in sorted(changes, key=lambda c: (c.path.count("/"), c.path)):
        old = before.entries.get(ch.path)
        if old is None:
            continue
        full = os.path.join(root, ch.path)
        try:
            if old.kind == "dir":
                try:
                    os.mkdir(full, old.mode)
                except FileExistsError:
                    pass
                os.chmod(full, old.mode, follow_symlinks=False)
            elif old.kind == "link":
                os.symlink(old.target or "", full)
            elif old.kind == "file" and old.data is not None:
                with resolve_workspace_path(workspace, ch.path, create_parents=True) as gp:
                    cur = gp.lstat()
                    if cur is not None and (not stat.S_ISREG(cur.st_mode) or cur.st_nlink > 1):
                        os.unlink(gp.name, dir_fd=gp.parent_fd)  # a hard link is split off, not written through
                    atomic_write(gp, old.data)
                    os.chmod(gp.name, old.mode, dir_fd=gp.parent_fd)
            else:
                failed.append(f"{ch.path} (its previous content was not captured)")
        except Exception as exc:  # noqa: BLE001 - report and go on with the others
            failed.append(f"{ch.path} ({exc})")
    return failed
