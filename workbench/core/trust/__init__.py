"""Workspace trust: a workspace's own files have no effect until the user trusts their content.

A cloned repository controls every file in it. The files below can change what Workbench does
with the user's key and machine, so they apply only after the user has seen what they would
change and trusted it (``workbench trust``, or the trust screen of the TUI) -- the same idea as
Codex's "trusted projects" and Claude Code's trust dialog:

======================================  ==================================================
file (:data:`TRUST_FILES`)              effect once trusted
======================================  ==================================================
``.workbench/config.toml``              workspace settings (endpoint, mode, rules, sandbox)
``.mcp.json``                           MCP servers offered for (per-server) approval
``AGENTS.md``, ``CLAUDE.md``            added to the model's system prompt
``.workbench/sandbox/Dockerfile``       used by ``workbench sandbox build``
======================================  ==================================================

Trust is given to *content*: the record (see :mod:`workbench.core.trust.store`) keeps the SHA-256
of each file as the user saw it, plus a copy of its bytes. When a trusted file changes (or a new
one appears), the change has no effect until it is trusted again; meanwhile the previously
trusted copy applies (or nothing, for a file that did not exist). Readers take the bytes from
:func:`effective_bytes` -- the exact bytes that were hashed -- never from a second read.
"""

from __future__ import annotations

import os
import stat
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from workbench.core.trust import store
from workbench.core.trust.store import TrustStoreError

CONFIG = ".workbench/config.toml"
MCP_JSON = ".mcp.json"
AGENTS_MD = "AGENTS.md"
CLAUDE_MD = "CLAUDE.md"
DOCKERFILE = ".workbench/sandbox/Dockerfile"
TRUST_FILES: tuple[str, ...] = (CONFIG, MCP_JSON, AGENTS_MD, CLAUDE_MD, DOCKERFILE)
"""Workspace-relative paths whose content needs trust, in display order."""

MAX_BYTES = 8 * 1024 * 1024
"""A trust file larger than this is not read (it is reported as unreadable and never applies)."""

Status = Literal["absent", "trusted", "new", "changed"]

__all__ = [
    "AGENTS_MD",
    "CLAUDE_MD",
    "CONFIG",
    "DOCKERFILE",
    "MCP_JSON",
    "TRUST_FILES",
    "FileTrust",
    "TrustReport",
    "TrustStoreError",
    "check",
    "effective_bytes",
    "inherit",
    "record_own_write",
    "revoke",
    "trust",
    "trust_command",
    "warning_line",
]


@dataclass(frozen=True)
class FileTrust:
    """The trust state of one file.

    Attributes:
        rel: workspace-relative path (one of :data:`TRUST_FILES`).
        data: the bytes on disk now (None: missing, not a regular file, or unreadable).
        sha256: hex SHA-256 of ``data`` (None when ``data`` is None).
        trusted_sha256: the hash recorded when the workspace was trusted (None: the file did not
            exist then, or the workspace has no record).
        status: ``absent`` (no file, nothing trusted), ``trusted`` (unchanged since trusted),
            ``new`` (present, the workspace was never trusted), ``changed`` (differs from the
            trusted content: edited, added or deleted since).
        note: why the file could not be read, or the target of a symlink.
    """

    rel: str
    data: bytes | None
    sha256: str | None
    trusted_sha256: str | None
    status: Status
    note: str | None = None

    @property
    def pending(self) -> bool:
        """True when this file's current content is ignored until the user trusts it."""
        return self.status in ("new", "changed")

    def effective(self) -> bytes | None:
        """The bytes that apply: the current ones if trusted, else the previously trusted copy, else None."""
        if self.status == "trusted":
            return self.data
        if self.status == "changed" and self.trusted_sha256:
            return store.load_content(self.trusted_sha256)
        return None

    def previous(self) -> bytes | None:
        """The previously trusted bytes (None: none trusted, or the file was absent then)."""
        return store.load_content(self.trusted_sha256) if self.trusted_sha256 else None


@dataclass(frozen=True)
class TrustReport:
    """The trust state of a workspace (from :func:`check`).

    Attributes:
        workspace: the resolved workspace root.
        files: one :class:`FileTrust` per entry of :data:`TRUST_FILES`.
        record: the stored decision, or None when the workspace was never trusted.
        problem: a message when the record file is unusable (then nothing counts as trusted).
    """

    workspace: Path
    files: tuple[FileTrust, ...]
    record: dict[str, Any] | None = None
    problem: str | None = None

    def file(self, rel: str) -> FileTrust:
        """Return the state of ``rel`` (one of :data:`TRUST_FILES`)."""
        for f in self.files:
            if f.rel == rel:
                return f
        raise KeyError(rel)

    @property
    def pending(self) -> list[FileTrust]:
        """Files whose current content is ignored until trusted (new or changed)."""
        return [f for f in self.files if f.pending]

    @property
    def trusted(self) -> bool:
        """True when the workspace has a record and nothing is pending."""
        return self.record is not None and not self.pending

    @property
    def present(self) -> list[FileTrust]:
        """Files that exist now."""
        return [f for f in self.files if f.data is not None]


def _read(path: Path) -> tuple[bytes | None, str | None]:
    """Read a regular file without blocking (a FIFO is refused); return ``(bytes, note)``."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None, None
    except OSError as exc:
        return None, f"cannot read: {exc.strerror}"
    note = None
    if path.is_symlink():
        try:
            note = f"a symlink to {os.readlink(path)}"
        except OSError:
            note = "a symlink"
    if not stat.S_ISREG(st.st_mode):
        return None, "not a regular file: ignored"
    if st.st_size > MAX_BYTES:
        return None, f"larger than {MAX_BYTES // (1024 * 1024)} MiB: ignored"
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        return None, f"cannot read: {exc.strerror}"
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # swapped between stat and open
            return None, "not a regular file: ignored"
        with os.fdopen(fd, "rb", closefd=False) as fh:
            data = fh.read(MAX_BYTES + 1)
    finally:
        os.close(fd)
    if len(data) > MAX_BYTES:
        return None, f"larger than {MAX_BYTES // (1024 * 1024)} MiB: ignored"
    return data, note


def _state(workspace: Path, rel: str, record: dict[str, Any] | None) -> FileTrust:
    data, note = _read(workspace / rel)
    digest = store.sha256(data) if data is not None else None
    files = record.get("files") if record is not None else None
    if not isinstance(files, dict) or rel not in files:  # never decided for this file
        status: Status = "absent" if data is None else "new"
        return FileTrust(rel, data, digest, None, status, note)
    trusted = files.get(rel)
    trusted = trusted if isinstance(trusted, str) else None
    if trusted == digest:
        status = "absent" if data is None else "trusted"
    else:
        status = "changed"
    return FileTrust(rel, data, digest, trusted, status, note)


def _key(workspace: Path | str) -> tuple[Path, str]:
    ws = Path(workspace).expanduser().resolve()
    return ws, str(ws)


def check(workspace: Path | str) -> TrustReport:
    """Return the trust state of every file of :data:`TRUST_FILES` in ``workspace``.

    Reads each file once (the bytes are kept in the report), and the record file.
    """
    ws, key = _key(workspace)
    records, problem = store.read_records()
    record = records.get(key)
    files = tuple(_state(ws, rel, record) for rel in TRUST_FILES)
    return TrustReport(ws, files, record, problem)


def effective_bytes(workspace: Path | str, rel: str) -> bytes | None:
    """Return the content of ``rel`` that applies (see :meth:`FileTrust.effective`).

    Args:
        workspace: the workspace root.
        rel: one of :data:`TRUST_FILES`.

    Returns:
        The trusted bytes (exactly the ones hashed), the previously trusted copy when the file
        changed since, or None (missing, or not trusted).
    """
    if rel not in TRUST_FILES:
        raise ValueError(f"{rel!r} is not a trust file ({', '.join(TRUST_FILES)})")
    ws, key = _key(workspace)
    records, _ = store.read_records()
    return _state(ws, rel, records.get(key)).effective()


def trust(workspace: Path | str, report: TrustReport | None = None, *, via: str = "cli") -> TrustReport:
    """Record that the user trusts the workspace's files as in ``report`` (what was shown).

    The hashes of the content the user saw are recorded (a file changed after it was shown stays
    untrusted), and a copy of each file is kept so it keeps applying after a later change.

    Args:
        workspace: the workspace root.
        report: from :func:`check`, as shown to the user; default: a fresh :func:`check`.
        via: who recorded it (``cli``, ``tui``, ``demo``, ``test``, ``inherited from PATH``).

    Returns:
        A fresh report after recording.

    Raises:
        TrustStoreError: the record cannot be written.
    """
    ws, key = _key(workspace)
    report = report if report is not None else check(ws)
    if report.workspace != ws:
        raise ValueError(f"report is for {report.workspace}, not {ws}")
    hashes: dict[str, str | None] = {}
    for f in report.files:
        hashes[f.rel] = store.save_content(f.data) if f.data is not None else None
    entry = {"files": hashes, "trusted_at": time.time(), "via": via}

    def change(records: dict[str, dict[str, Any]]) -> None:
        records[key] = entry

    store.update_records(change)
    return check(ws)


def revoke(workspace: Path | str) -> bool:
    """Forget the trust decision of ``workspace``; return True when there was one.

    Raises:
        TrustStoreError: the record cannot be written.
    """
    _, key = _key(workspace)
    found: list[bool] = []

    def change(records: dict[str, dict[str, Any]]) -> None:
        found.append(records.pop(key, None) is not None)

    store.update_records(change)
    return bool(found and found[0])


def record_own_write(workspace: Path | str, before: FileTrust, after: bytes) -> bool:
    """Keep a file trusted after Workbench itself rewrote it on the user's command (``mcp add``).

    Only when the content before the write applied as trusted (``trusted``), or there was no file
    and nothing pending for it (``absent``): then the new content is recorded for that one file.
    Untrusted or changed content stays untrusted (the user reviews it with ``workbench trust``).

    Args:
        workspace: the workspace root.
        before: the file's state read before the write (:meth:`TrustReport.file`).
        after: the bytes Workbench wrote.

    Returns:
        True when the new content was recorded as trusted.

    Raises:
        TrustStoreError: the record cannot be written.
    """
    if before.status not in ("trusted", "absent"):
        return False
    _, key = _key(workspace)
    digest = store.save_content(after)
    done: list[bool] = []

    def change(records: dict[str, dict[str, Any]]) -> None:
        entry = records.get(key)
        files = entry.get("files") if entry is not None else None
        recorded = files.get(before.rel) if isinstance(files, dict) else None
        if recorded != before.trusted_sha256:
            return  # decided differently in between (another process): leave it
        if entry is None:
            entry = records[key] = {"files": {}, "trusted_at": time.time(), "via": "workbench"}
        if not isinstance(entry.get("files"), dict):
            entry["files"] = {}
        entry["files"][before.rel] = digest
        done.append(True)

    store.update_records(change)
    return bool(done)


def inherit(origin: Path | str, copy: Path | str) -> bool:
    """Give ``copy`` (a worktree or copy Workbench made of ``origin``) the trust of ``origin``.

    The origin's record is copied as is: files of the copy identical to what was trusted in the
    origin apply; files that differ count as changed (the origin's trusted copy applies). Returns
    False (nothing recorded) when the origin was never trusted.

    Raises:
        TrustStoreError: the record cannot be written.
    """
    _, okey = _key(origin)
    _, ckey = _key(copy)
    records, _ = store.read_records()
    source = records.get(okey)
    if source is None:
        return False
    entry = {"files": dict(source.get("files") or {}), "trusted_at": time.time(), "via": f"inherited from {okey}"}

    def change(all_records: dict[str, dict[str, Any]]) -> None:
        all_records[ckey] = entry

    store.update_records(change)
    return True


def trust_command(workspace: Path | str) -> str:
    """Return the shell command that reviews and trusts ``workspace`` (``workbench trust PATH``)."""
    import shlex

    return f"workbench trust {shlex.quote(str(workspace))}"


def warning_line(report: TrustReport) -> str | None:
    """One line for stderr naming the ignored files and the command to trust, or None.

    Example: ``workbench: ignored untrusted .workbench/config.toml, AGENTS.md (review and trust
    with `workbench trust /ws`)``.
    """
    pending = report.pending
    if not pending:
        return None
    new = [f.rel for f in pending if f.status == "new"]
    changed = [f.rel for f in pending if f.status == "changed"]
    parts = []
    if new:
        parts.append("ignored untrusted " + ", ".join(new))
    if changed:
        parts.append("ignored changes since you trusted " + ", ".join(changed) + " (the trusted version applies)")
    problem = f" ({report.problem})" if report.problem else ""
    return f"workbench: {'; '.join(parts)}{problem}. Review and trust with `{trust_command(report.workspace)}`."
