"""JSON side files (small state files next to the real data): load, save, update under a lock.

* :func:`load_json` returns the object in the file, ``{}`` when there is none. A file that is not
  a JSON object (damaged, truncated, edited by hand) is **set aside** as ``<name>.corrupt-<time>``,
  never overwritten, and a warning naming both files is reported; the caller starts from ``{}``.
* :func:`save_json` writes atomically (``core/fsutil.py``: temp file, fsync, rename, fsync of the
  folder; the mode is kept, a new file is private: ``0o600``).
* :func:`update_json` is a read-change-write under an exclusive ``flock`` on ``<path>.lock``, so
  concurrent Workbench processes never undo each other's update.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from workbench.core.fsutil import atomic_write

log = logging.getLogger("workbench.jsonfile")


def set_aside(path: Path) -> Path:
    """Rename the damaged ``path`` to ``<name>.corrupt-<unix time>`` (a free name); return it."""
    stamp = int(time.time())
    aside = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while aside.exists():
        aside = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
        n += 1
    os.replace(path, aside)
    return aside


def load_json(path: Path, *, what: str = "state file", warn: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Return the JSON object stored in ``path`` (``{}`` when the file does not exist).

    Args:
        path: the file.
        what: what the file holds, for the message (e.g. ``"plugin approvals"``).
        warn: called with the message when a damaged file was set aside (default: a logging
            warning on ``workbench.jsonfile``).

    Raises:
        OSError: the file exists but cannot be read (permissions), or cannot be set aside.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    try:
        data = json.loads(raw.decode("utf-8"))
        if not isinstance(data, dict):
            raise ValueError(f"expected a JSON object, found {type(data).__name__}")
    except (ValueError, UnicodeDecodeError) as exc:
        aside = set_aside(path)
        message = (
            f"{path}: the {what} is not valid JSON ({exc}); it was moved to {aside.name} "
            "and Workbench starts from an empty one (inspect or delete the moved file)"
        )
        (warn or log.warning)(message)
        return {}
    return data


def save_json(path: Path, data: dict[str, Any], *, new_mode: int = 0o600) -> None:
    """Write ``data`` to ``path`` atomically and durably (missing parents created 0700; 2-space
    indent, sorted keys).

    Raises:
        OSError: it cannot be written (the old file is untouched).
    """
    if not path.parent.is_dir():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)  # data dir folders are private
    atomic_write(path, json.dumps(data, indent=2, sort_keys=True) + "\n", new_mode=new_mode)


def update_json(path: Path, change: Callable[[dict[str, Any]], None], *, what: str = "state file") -> dict[str, Any]:
    """Read-change-write ``path`` under an exclusive lock; return the written data.

    ``change(data)`` edits the dict in place. A damaged file is set aside (see :func:`load_json`)
    and the update starts from ``{}``.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    lock_fd = os.open(str(path) + ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            import fcntl

            fcntl.flock(lock_fd, fcntl.LOCK_EX)
        except ImportError:  # pragma: no cover - Windows
            pass
        data = load_json(path, what=what)
        change(data)
        save_json(path, data)
        return data
    finally:
        os.close(lock_fd)  # closing releases the lock
