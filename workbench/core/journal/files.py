"""File helpers of the journal: atomic writes, appends, fingerprints and the state file.

The state file (``workspace_data_dir(ws)/journal_state.json``) remembers the last event rendered,
the Markdown cursor, the recovery tracker and a fingerprint of ``agentJournal.md`` as Workbench
left it: size, modification time and a SHA-256 of the last :data:`TAIL_BYTES` bytes. If the file
is missing or its fingerprint differs (someone edited, truncated or deleted it), the journal is
regenerated from the whole log; otherwise only the new events' lines are appended. Checking the
fingerprint costs one ``stat`` and one small read, whatever the file's length. Blocking: call
from a thread.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.core.fsutil import atomic_write
from workbench.core.journal.agent_md import MarkdownCursor
from workbench.core.journal.recovery import RecoveryTracker

STATE_VERSION = 1
"""Bumped when the rendering changes, so old journals are regenerated."""
TAIL_BYTES = 4096
"""Bytes at the end of the journal covered by the fingerprint's hash."""
STATE_FILE = "journal_state.json"


def write_projection(path: Path, data: str) -> None:
    """Replace the journal file ``path`` with ``data`` (UTF-8) atomically, without ``fsync``.

    The journal files are projections of the event log: one lost to a power cut fails its
    fingerprint and is rebuilt, so they skip the fsyncs (``core/fsutil.py``, ``durable=False``);
    the folder is created if missing and a new file is private (``0o600``).
    """
    atomic_write(path, data, durable=False, parents=True, new_mode=0o600)


def append_text(path: Path, data: str) -> None:
    """Append ``data`` to ``path`` in one write (a torn append is caught by the fingerprint)."""
    with open(path, "a", encoding="utf-8", newline="\n") as fh:
        fh.write(data)


def fingerprint(path: Path) -> dict[str, Any] | None:
    """Return ``{"size", "mtime_ns", "tail_sha256"}`` of ``path`` (None when it does not exist)."""
    try:
        with open(path, "rb") as fh:
            st = os.fstat(fh.fileno())
            fh.seek(max(0, st.st_size - TAIL_BYTES))
            tail = fh.read(TAIL_BYTES)
    except FileNotFoundError:
        return None
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "tail_sha256": hashlib.sha256(tail).hexdigest()}


def content_hash(path: Path) -> str | None:
    """SHA-256 of a (small) file's bytes, or None when it does not exist."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return None


@dataclass
class JournalState:
    """What the journal projection has rendered so far (persisted as JSON).

    Attributes:
        last_seq: the highest event seq rendered.
        cursor: where ``agentJournal.md`` is (session, turn numbers).
        tracker: the ``stateRecovery.md`` state.
        journal: the fingerprint of ``agentJournal.md`` after the last write.
        guide_sha256 / recovery_sha256: hashes of the other two files as last written.
    """

    last_seq: int = 0
    cursor: MarkdownCursor = field(default_factory=MarkdownCursor)
    tracker: RecoveryTracker = field(default_factory=RecoveryTracker)
    journal: dict[str, Any] | None = None
    guide_sha256: str | None = None
    recovery_sha256: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the state as JSON-ready data (with :data:`STATE_VERSION`)."""
        return {
            "version": STATE_VERSION,
            "last_seq": self.last_seq,
            "cursor": self.cursor.to_dict(),
            "tracker": self.tracker.to_dict(),
            "journal": self.journal,
            "guide_sha256": self.guide_sha256,
            "recovery_sha256": self.recovery_sha256,
        }

    @classmethod
    def load(cls, path: Path) -> JournalState:
        """Read the state file; a missing, unreadable or old-version file gives a fresh state."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("version") != STATE_VERSION:
                return cls()
            return cls(
                int(data.get("last_seq") or 0),
                MarkdownCursor.from_dict(data.get("cursor") or {}),
                RecoveryTracker.from_dict(data.get("tracker") or {}),
                data.get("journal"),
                data.get("guide_sha256"),
                data.get("recovery_sha256"),
            )
        except (OSError, ValueError, TypeError, AttributeError):
            return cls()

    def save(self, path: Path) -> None:
        """Write the state file atomically."""
        write_projection(path, json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":")))
