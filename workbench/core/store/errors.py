"""Errors of the event log, and telling a failing disk from a damaged file.

A write that fails because the disk is full, the device reports an I/O error, or the file or its
folder is read-only is *not* corruption: the file is fine, the disk is not. Such failures become
one :class:`LogWriteError` whose message names the log, the file system to free space on and what
to do next. Only SQLite's ``SQLITE_CORRUPT``/``SQLITE_NOTADB`` results (or a failing
``PRAGMA quick_check``) count as damage (see :func:`is_corruption`).

SQLite result codes: https://www.sqlite.org/rescode.html (Python exposes the extended code as
``sqlite3.Error.sqlite_errorcode`` since 3.11; the primary code is its low byte).
"""

from __future__ import annotations

import errno
import functools
import os
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

SQLITE_PERM = 3
SQLITE_BUSY = 5
SQLITE_LOCKED = 6
SQLITE_READONLY = 8
SQLITE_IOERR = 10
SQLITE_CORRUPT = 11
SQLITE_FULL = 13
SQLITE_CANTOPEN = 14
SQLITE_NOTADB = 26

LOW_SPACE_BYTES = 1 << 20
"""Below this much free space an I/O error is reported as a full disk (SQLite returns
``SQLITE_IOERR`` rather than ``SQLITE_FULL`` when extending its ``-shm`` file fails)."""

F = TypeVar("F", bound=Callable[..., Any])


class CorruptLogError(RuntimeError):
    """The event log could not be opened even after moving a corrupt file aside."""


class LogWriteError(RuntimeError):
    """The event log cannot be written (or opened) because of the disk, not because of the file.

    Attributes:
        path: the event log file.
        reason: ``"full"`` (no space left), ``"io"`` (the device reported an I/O error),
            ``"readonly"`` (the file, its folder or the file system is read-only or not
            accessible) or ``"locked"`` (another process holds the log's write lock too long).
        mount: the mount point of the file system holding the log.
        detail: the underlying error's text (``"database or disk is full"``, ``"[Errno 28] ..."``).

    The message is one line: what failed, why, and the fix (``free space on <mount>, then retry``).
    Nothing is moved aside or lost: every event committed before the failure stays in the log and
    the session can be continued once the cause is fixed.
    """

    def __init__(self, path: Path, reason: str, detail: str) -> None:
        self.path = Path(path)
        self.reason = reason
        self.detail = detail
        self.mount = mount_point(self.path)
        super().__init__(self._message())

    def _message(self) -> str:
        what = {
            "full": "the disk is full",
            "io": "the disk reported an I/O error",
            "readonly": "it is read-only or not accessible",
            "locked": "another process holds its write lock",
        }.get(self.reason, "the disk failed")
        fix = {
            "full": f"free space on {self.mount}, then retry (the session continues where it stopped)",
            "io": f"check the device behind {self.mount} (and its free space), then retry",
            "readonly": f"make {self.path.parent} writable (or remount {self.mount} read-write), then retry",
            "locked": "close the other Workbench process using this workspace, then retry",
        }.get(self.reason, f"check the disk behind {self.mount}, then retry")
        return f"cannot write the event log {self.path}: {what} ({self.detail}); {fix}"


def mount_point(path: Path) -> Path:
    """Return the mount point of the file system holding ``path`` (its nearest existing parent)."""
    p = Path(os.path.abspath(path))
    while not p.exists() and p != p.parent:
        p = p.parent
    while not os.path.ismount(p) and p != p.parent:
        p = p.parent
    return p


def _primary(exc: sqlite3.Error) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)
    return None if code is None else int(code) & 0xFF


def is_corruption(exc: BaseException) -> bool:
    """True when ``exc`` says the database file itself is damaged (``SQLITE_CORRUPT``/``NOTADB``)."""
    if not isinstance(exc, sqlite3.DatabaseError):
        return False
    code = _primary(exc)
    if code is not None:
        return code in (SQLITE_CORRUPT, SQLITE_NOTADB)
    text = str(exc).lower()
    return "malformed" in text or "not a database" in text


def _low_on_space(path: Path) -> bool:
    try:
        return shutil.disk_usage(mount_point(path)).free < LOW_SPACE_BYTES
    except OSError:
        return False


def classify(exc: BaseException, path: Path) -> LogWriteError | None:
    """Return the :class:`LogWriteError` for a disk-level failure, or None for anything else.

    Args:
        exc: an ``sqlite3.Error`` or ``OSError`` raised while opening, reading or writing the log.
        path: the event log file (named in the message).
    """
    if isinstance(exc, LogWriteError):
        return exc
    reason: str | None = None
    if isinstance(exc, OSError):
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            reason = "full"
        elif exc.errno == errno.EIO:
            reason = "io"
        elif exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            reason = "readonly"
    elif isinstance(exc, sqlite3.Error):
        code = _primary(exc)
        text = str(exc).lower()
        if code == SQLITE_FULL or (code is None and "disk is full" in text):
            reason = "full"
        elif code == SQLITE_IOERR or (code is None and "i/o error" in text):
            reason = "io"
        elif code in (SQLITE_READONLY, SQLITE_CANTOPEN, SQLITE_PERM) or (
            code is None and ("readonly" in text or "unable to open" in text)
        ):
            reason = "readonly"
        elif code in (SQLITE_BUSY, SQLITE_LOCKED) or (code is None and "locked" in text):
            reason = "locked"
    if reason is None:
        return None
    if reason in ("io", "readonly") and _low_on_space(path):
        reason = "full"
    return LogWriteError(path, reason, str(exc) or type(exc).__name__)


def translate(method: F) -> F:
    """Decorate an :class:`~workbench.core.store.db.EventStore` method: disk-level failures
    (see :func:`classify`) are raised as :class:`LogWriteError`; other errors pass unchanged."""

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except (sqlite3.Error, OSError) as exc:
            err = classify(exc, self.path)
            if err is None:
                raise
            raise err from exc

    return wrapper  # type: ignore[return-value]
