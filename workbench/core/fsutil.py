"""Atomic file replacement: the one implementation every part of Workbench writes files through.

``atomic_write`` writes a temporary file in the target's own folder (so the rename never crosses
a file system), flushes and ``fsync``-s it, gives it the mode the target should have, renames it
over the target (``os.replace``: readers see the old or the new file, never a mix) and
``fsync``-s the folder so the rename itself survives a power loss (rename(2), fsync(2):
"fsync() on the file does not ensure that the entry in the directory ... has also reached disk").
If anything fails (a full disk, a read-only folder) the temporary file is removed and the old
file is left as it was.

Not for writes inside the agent's workspace through the path guard
(``core/tools/pathguard.py``): those open every component with ``O_NOFOLLOW`` by folder
descriptor, for reasons of their own.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

_UMASK = os.umask(0o022)
os.umask(_UMASK)


def fsync_dir(path: Path | str) -> None:
    """``fsync`` the folder ``path`` (makes a rename or unlink in it durable); best effort.

    Platforms or file systems that cannot open or sync a folder are ignored.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(
    path: Path | str,
    data: bytes | str,
    *,
    mode: int | None = None,
    new_mode: int | None = None,
    durable: bool = True,
    parents: bool = False,
) -> None:
    """Replace ``path`` with ``data`` atomically (see the module doc).

    Args:
        path: the target file.
        data: the whole new content (``str`` is written as UTF-8, newlines unchanged).
        mode: permission bits to give the file whatever it had (e.g. ``0o600`` for secrets).
        new_mode: without ``mode``, the bits of a file that does not exist yet (an existing
            file keeps its own); default: what ``open()`` would create (``0o666`` less the umask).
        durable: ``fsync`` the file and its folder (default). ``False`` only for files that are
            rebuilt when lost (projections): still atomic against a crash, not against power loss.
        parents: create missing parent folders first.

    Raises:
        OSError: the folder is not writable, the disk is full... (the old file is untouched).
    """
    path = Path(path)
    folder = path.parent
    if parents:
        folder.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    if mode is None:
        try:
            mode = path.stat().st_mode & 0o7777
        except FileNotFoundError:
            mode = new_mode if new_mode is not None else 0o666 & ~_UMASK
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fchmod(handle.fileno(), mode)
            if durable:
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    if durable:
        fsync_dir(folder)
