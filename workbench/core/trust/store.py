"""Where workspace trust decisions live: one record file and content copies in the user data dir.

Layout (``<data_home>`` is :func:`workbench.core.paths.data_home`)::

    <data_home>/trust/                      0700
        workspaces.json                     0600, the records (below)
        workspaces.json.lock                0600, fcntl.flock'ed by every writer
        content/<sha256>                    0600, a copy of each trusted file's bytes

``workspaces.json``::

    {"version": 1,
     "workspaces": {"/abs/workspace": {"files": {".mcp.json": "<sha256>" | null, ...},
                                       "trusted_at": 1767000000.0, "via": "cli"}}}

A ``null`` file hash means "the file did not exist when trusted". The file is outside the
workspace, so nothing the agent does in the sandbox can write it.

Concurrency: every change takes an exclusive ``flock`` on the lock file, re-reads the records,
applies only its own change (one workspace's entry), writes a temporary file (fsync) and renames
it over the old one (then fsyncs the folder). A second process's later write therefore keeps
the first one's decision, and a reader sees the old or the new file, never a half-written one.
A record file that is not valid JSON is moved aside to ``workspaces.json.corrupt-<time>`` (never
overwritten) and every workspace counts as untrusted.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from workbench.core import fsutil, paths
from workbench.core.jsonfile import set_aside

VERSION = 1


class TrustStoreError(Exception):
    """The trust records cannot be read or written (message names the file and the fix)."""


def trust_dir() -> Path:
    """Return ``<data_home>/trust`` (created 0700)."""
    path = paths.data_home() / "trust"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def records_path() -> Path:
    """Return the record file ``<data_home>/trust/workspaces.json`` (it may not exist)."""
    return trust_dir() / "workspaces.json"


def _content_dir() -> Path:
    path = trust_dir() / "content"
    path.mkdir(mode=0o700, exist_ok=True)
    return path


def sha256(data: bytes) -> str:
    """Return the hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` with mode 0600, atomically and durably (``core/fsutil.py``)."""
    fsutil.atomic_write(path, data, mode=0o600)


@contextmanager
def _locked() -> Iterator[None]:
    lock = records_path().with_name("workspaces.json.lock")
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        try:
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)


def _parse(raw: bytes) -> dict[str, Any] | None:
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("workspaces", {}), dict):
        return None
    data.setdefault("workspaces", {})
    return data


def read_records() -> tuple[dict[str, dict[str, Any]], str | None]:
    """Return ``(workspace path -> record, problem)``; no lock needed (writes are atomic renames).

    ``problem`` is a message when the file exists but is unusable (then no workspace is trusted).
    """
    path = records_path()
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}, None
    except OSError as exc:
        return {}, f"{path}: cannot read the trust records ({exc.strerror}); no workspace counts as trusted"
    data = _parse(raw)
    if data is None:
        return {}, (
            f"{path}: the trust records are not valid JSON; no workspace counts as trusted. "
            "Trusting a workspace again moves the damaged file aside."
        )
    return {k: v for k, v in data["workspaces"].items() if isinstance(v, dict)}, None


def update_records(change: Callable[[dict[str, dict[str, Any]]], None]) -> None:
    """Apply ``change`` to the records under the lock (re-read, change, atomic write).

    Args:
        change: mutates the ``workspace path -> record`` mapping in place (only its own entries).

    Raises:
        TrustStoreError: the file cannot be written.
    """
    path = records_path()
    try:
        with _locked():
            data: dict[str, Any] = {"version": VERSION, "workspaces": {}}
            try:
                raw = path.read_bytes()
            except FileNotFoundError:
                raw = None
            if raw is not None:
                parsed = _parse(raw)
                if parsed is None:
                    set_aside(path)
                else:
                    data = parsed
            change(data["workspaces"])
            data["version"] = VERSION
            atomic_write(path, (json.dumps(data, indent=2, sort_keys=True) + "\n").encode("utf-8"))
    except OSError as exc:
        raise TrustStoreError(
            f"{path}: cannot record the trust decision: {exc}. Check that the Workbench data folder is writable."
        ) from exc


def save_content(data: bytes) -> str:
    """Keep a copy of trusted bytes (content-addressed, 0600); return their SHA-256."""
    digest = sha256(data)
    target = _content_dir() / digest
    if not target.exists():
        atomic_write(target, data)
    return digest


def load_content(digest: str) -> bytes | None:
    """Return the stored copy with this SHA-256, or None when missing or damaged."""
    if not digest or any(c not in "0123456789abcdef" for c in digest):
        return None
    try:
        data = (_content_dir() / digest).read_bytes()
    except OSError:
        return None
    return data if sha256(data) == digest else None
