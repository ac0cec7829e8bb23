"""Atomic file writes for spec documents (internal)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from workbench.core.fsutil import atomic_write

T = TypeVar("T")


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically and durably, keeping its mode (``core/fsutil.py``).

    Raises:
        OSError: when the folder is not writable or the disk is full (the original is untouched).
    """
    atomic_write(path, data)


def read_json_list(path: Path, key: str, parse: Callable[[Any], T], error: type[Exception], what: str) -> list[T]:
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


def write_json_list(path: Path, key: str, items: list[dict[str, Any]]) -> None:
    """Write ``{"version": 1, key: items}`` to ``path`` atomically (parents created)."""
    import json

    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, (json.dumps({"version": 1, key: items}, indent=1) + "\n").encode("utf-8"))
