"""Small JSON files written atomically (temp file + ``os.replace``)."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any


def read_json(path: Path) -> dict[str, Any]:
    """Return the JSON object in ``path``, ``{}`` if it is missing or not a JSON object."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError, UnicodeDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` to ``path`` atomically (readers see the old or the new file, never half)."""
    if not path.parent.is_dir():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=2, sort_keys=True)
            fh.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def update_json(path: Path, change: Any) -> dict[str, Any]:
    """Read-modify-write ``path`` under an exclusive lock; return the written data.

    ``change(data)`` edits the dict in place. Concurrent Workbench processes serialize on
    ``<path>.lock`` (``fcntl.flock``; no lock on platforms without it), so one's update never
    undoes another's. A file that is not a JSON object is set aside as ``<name>.corrupt-<ts>``
    (never overwritten) and the update starts from ``{}``.
    """
    import time

    path.parent.mkdir(parents=True, exist_ok=True)
    lock_fd = os.open(str(path) + ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            import fcntl

            fcntl.flock(lock_fd, fcntl.LOCK_EX)
        except ImportError:  # pragma: no cover - Windows
            pass
        data: dict[str, Any] = {}
        try:
            loaded = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(loaded, dict):
                raise ValueError("not an object")
            data = loaded
        except FileNotFoundError:
            pass
        except (ValueError, UnicodeDecodeError):
            os.replace(path, path.with_name(f"{path.name}.corrupt-{int(time.time())}"))
        change(data)
        write_json(path, data)
        return data
    finally:
        os.close(lock_fd)  # closing releases the lock
