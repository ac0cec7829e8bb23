"""Atomic file writes for spec documents (internal)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, Callable, TypeVar

T = TypeVar("T")


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically: temp file in the same folder, fsync, ``os.replace``.

    The file's permission bits are kept when it exists. The folder is fsynced afterwards where the
    platform allows it, so the rename survives a power loss.

    Raises:
        OSError: when the folder is not writable or the disk is full (the original is untouched).
    """
    path = Path(path)
    folder = path.parent
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.chmod(tmp_name, path.stat().st_mode & 0o7777)
        except FileNotFoundError:
            pass
        os.replace(tmp_name, path)
    except BaseException:
        try:
            os.unlink(tmp_name)
        except FileNotFoundError:
            pass
        raise
    if hasattr(os, "O_DIRECTORY"):
        try:
            dir_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        except OSError:
            return
        try:
            os.fsync(dir_fd)
        except OSError:
            pass
        finally:
            os.close(dir_fd)


def read_json_list(path: Path, key: str, parse: "Callable[[Any], T]", error: type[Exception], what: str) -> "list[T]":
    """Read ``{"version": 1, key: [...]}`` from ``path`` and parse each item.

    Returns ``[]`` when the file does not exist.

    Raises:
        error: the file is not valid JSON or an item is malformed (the message names the file and
            says how to recover).
    """
    import json

    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    try:
        data = json.loads(raw)
        items = data[key] if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise ValueError(f"expected an object with a {key!r} list")
        return [parse(item) for item in items]
    except (ValueError, TypeError, KeyError) as exc:
        raise error(f"{path} is not a valid {what} file ({exc}); fix it or move it away to start over") from exc


def write_json_list(path: Path, key: str, items: "list[dict[str, Any]]") -> None:
    """Write ``{"version": 1, key: items}`` to ``path`` atomically (parents created)."""
    import json

    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, (json.dumps({"version": 1, key: items}, indent=1) + "\n").encode("utf-8"))
