"""Apply a restore to the workspace, crash-safely.

Protocol (the "intent journal"):

1. the plan (every file to write with its blob id and mode, every file to delete) is written to
   ``$GIT_DIR/workbench-restore.json`` (temp file, fsync, rename, fsync of the folder) **before**
   the workspace is touched;
2. files are deleted, then written; each write goes to a temp file beside the target
   (``.<name>.wbrestore~``) and is renamed over it, so every file is at all times wholly old or
   wholly new;
3. the journal is removed.

After a crash between 1 and 3, :func:`replay_journal` **completes** (rolls forward) the restore:
every operation is idempotent, so it is applied again from the start. Roll-forward was chosen over
roll-back because the user asked for the target state and the journal alone is enough to reach it;
the pre-restore checkpoint recorded in the journal can still be restored to undo it.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.core.fsutil import atomic_write, fsync_dir

from .capture import has_git_component
from .errors import CheckpointError, RestoreConflictError
from .gitcmd import Git, split_z

#: File name of the intent journal inside the shadow repository.
JOURNAL_NAME = "workbench-restore.json"
#: Test hook: seconds to sleep after each file operation (lets a test SIGKILL a restore midway).
OP_DELAY_ENV = "WORKBENCH_CHECKPOINT_TEST_OP_DELAY"
TEMP_SUFFIX = ".wbrestore~"

_UMASK = os.umask(0o022)
os.umask(_UMASK)


@dataclass(frozen=True)
class Op:
    """One file operation of a restore.

    Attributes:
        kind: ``"write"`` or ``"delete"``.
        path: workspace-relative POSIX path.
        blob: the blob id to write (``""`` for a delete).
        mode: git mode of the blob: ``"100644"``, ``"100755"`` or ``"120000"`` (symlink).
    """

    kind: str
    path: str
    blob: str = ""
    mode: str = ""


def plan(git: Git, from_tree: str, to_tree: str) -> list[Op]:
    """Return the operations that turn the captured ``from_tree`` into ``to_tree``.

    Deletes come first, then writes, each sorted by path.

    Raises:
        CheckpointError: ``to_tree`` holds a gitlink (the engine never records one).
    """
    out = git.run("diff-tree", "-r", "-z", "--no-renames", "--raw", from_tree, to_tree)
    fields = split_z(out)
    deletes: list[Op] = []
    writes: list[Op] = []
    for i in range(0, len(fields) - 1, 2):
        _src_mode, dst_mode, _src, dst, status = fields[i].lstrip(":").split(" ")
        path = fields[i + 1]
        if has_git_component(path):
            raise CheckpointError(f"refusing to restore path inside a .git folder: {path!r}")
        if status == "D":
            deletes.append(Op("delete", path))
        else:
            if dst_mode not in ("100644", "100755", "120000"):
                raise CheckpointError(f"cannot restore {path!r}: unsupported git mode {dst_mode}")
            writes.append(Op("write", path, dst, dst_mode))
    return sorted(deletes, key=lambda o: o.path) + sorted(writes, key=lambda o: o.path)


def write_journal(git_dir: Path, data: dict[str, Any]) -> None:
    """Durably write the intent journal (temp file, fsync, rename, fsync of the folder)."""
    atomic_write(git_dir / JOURNAL_NAME, json.dumps(data).encode("utf-8"), new_mode=0o600)


def read_journal(git_dir: Path) -> dict[str, Any] | None:
    """Return the intent journal, or None when no restore is in progress.

    A leftover ``.tmp`` journal (crash before the rename: the workspace was not touched yet) is
    removed.

    Raises:
        CheckpointError: the journal exists but is not valid JSON (it is written atomically, so
            this means outside damage; the message names the file).
    """
    path = git_dir / JOURNAL_NAME
    path.with_suffix(".tmp").unlink(missing_ok=True)  # the temp name before core/fsutil.py
    for leftover in git_dir.glob(f".{JOURNAL_NAME}.*.tmp"):  # core/fsutil.py's temp files
        leftover.unlink(missing_ok=True)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    try:
        data: dict[str, Any] = json.loads(raw)
        return data
    except ValueError as exc:
        raise CheckpointError(f"restore journal {path} is corrupt ({exc}); inspect or delete it") from exc


def remove_journal(git_dir: Path) -> None:
    """Remove the intent journal (the restore is complete)."""
    (git_dir / JOURNAL_NAME).unlink(missing_ok=True)
    fsync_dir(git_dir)


class BlobReader:
    """Read blobs through one ``git cat-file --batch`` process (use as a context manager)."""

    def __init__(self, git: Git) -> None:
        self._proc: subprocess.Popen[bytes] = git.popen("cat-file", "--batch")

    def read(self, blob: str) -> bytes:
        """Return the exact bytes of ``blob``.

        Raises:
            CheckpointError: the object is missing from the shadow repository.
        """
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._proc.stdin.write(blob.encode("ascii") + b"\n")
        self._proc.stdin.flush()
        header = self._proc.stdout.readline().split()
        if len(header) != 3:
            raise CheckpointError(f"blob {blob} is missing from the shadow repository")
        size = int(header[2])
        data = self._proc.stdout.read(size + 1)
        return data[:size]

    def __enter__(self) -> BlobReader:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._proc.stdin:
            self._proc.stdin.close()
        self._proc.wait()
        if self._proc.stdout:
            self._proc.stdout.close()


def _ensure_parent(root: Path, path: str) -> Path:
    """Create the parent folders of ``path``; refuse symlinks or files in the way."""
    parts = path.split("/")
    current = root
    for part in parts[:-1]:
        current = current / part
        try:
            st = os.lstat(current)
        except FileNotFoundError:
            os.mkdir(current)
            continue
        if not stat.S_ISDIR(st.st_mode):
            raise RestoreConflictError(path, f"{current} is in the way and is not a tracked file")
    return current


def _prune_empty_parents(root: Path, path: str) -> None:
    parent = (root / path).parent
    while parent != root:
        try:
            parent.rmdir()
        except OSError:
            return
        parent = parent.parent


def _write(root: Path, op: Op, data: bytes, fsync: bool) -> None:
    parent = _ensure_parent(root, op.path)
    name = op.path.rsplit("/", 1)[-1]
    target = parent / name
    temp = parent / f".{name}{TEMP_SUFFIX}"
    try:
        st = os.lstat(target)
    except FileNotFoundError:
        st = None
    if st is not None and stat.S_ISDIR(st.st_mode):
        try:
            target.rmdir()
        except OSError as exc:
            raise RestoreConflictError(op.path, "a folder holding untracked files is in the way") from exc
        st = None
    if os.path.lexists(temp):
        os.unlink(temp)
    if op.mode == "120000":
        os.symlink(os.fsdecode(data), temp)
    else:
        if st is not None and stat.S_ISREG(st.st_mode):
            perm = stat.S_IMODE(st.st_mode) & 0o666
        else:
            perm = 0o666 & ~_UMASK
        if op.mode == "100755":
            perm |= (perm & 0o444) >> 2
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fchmod(fd, perm)
            if fsync:
                os.fsync(fd)
        finally:
            os.close(fd)
    os.replace(temp, target)


def apply(git: Git, root: Path, ops: list[Op], fsync: bool = False) -> None:
    """Apply ``ops`` to the workspace at ``root`` (idempotent: safe to run again after a crash).

    Raises:
        RestoreConflictError: an untracked file or folder is in the way of a write.
        CheckpointError: a blob is missing.
    """
    delay = float(os.environ.get(OP_DELAY_ENV, "0") or 0)
    for op in ops:
        if op.kind == "delete":
            target = root / op.path
            try:
                if not stat.S_ISDIR(os.lstat(target).st_mode):
                    os.unlink(target)
            except FileNotFoundError:
                pass
            _prune_empty_parents(root, op.path)
            if delay:
                time.sleep(delay)
    with BlobReader(git) as blobs:
        for op in ops:
            if op.kind != "write":
                continue
            _write(root, op, blobs.read(op.blob), fsync)
            if delay:
                time.sleep(delay)
