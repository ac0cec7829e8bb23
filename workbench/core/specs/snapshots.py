"""Text snapshots of reviewed documents, so a revision can be diffed against the reviewed one.

Every review record (``workflow.ApprovalRecord``) carries the sha256 of the document's bytes; the
bytes themselves are kept content-addressed in ``workspace_data_dir(ws)/spec_snapshots/<sha256>``
(written once, never changed). The diff of a document is then a unified diff (``difflib``) of the
snapshot named by the latest record against the current file.
"""

from __future__ import annotations

import difflib
import hashlib
from pathlib import Path

from ._io import atomic_write_bytes

SNAPSHOT_DIR = "spec_snapshots"


class SnapshotStore:
    """Content-addressed document snapshots (blocking; call from a thread).

    Args:
        folder: where the snapshots live (created on the first save).
    """

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    @classmethod
    def for_workspace(cls, workspace: Path) -> SnapshotStore:
        """Return the store of ``workspace`` (``workspace_data_dir(ws)/spec_snapshots``)."""
        from workbench.core.paths import workspace_data_dir

        return cls(workspace_data_dir(Path(workspace)) / SNAPSHOT_DIR)

    def save(self, data: bytes) -> str:
        """Store ``data`` (no-op when already stored) and return its hex sha256.

        Raises:
            OSError: the folder cannot be written.
        """
        digest = hashlib.sha256(data).hexdigest()
        path = self.folder / digest
        if not path.exists():
            self.folder.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(path, data)
        return digest

    def load(self, digest: str) -> bytes | None:
        """Return the bytes stored under ``digest``, or ``None`` when there is no such snapshot."""
        if not digest or "/" in digest or "\\" in digest or digest.startswith("."):
            return None
        try:
            return (self.folder / digest).read_bytes()
        except FileNotFoundError:
            return None


def unified_diff(old: str, new: str, old_label: str, new_label: str, context: int = 3) -> list[str]:
    """Return the lines (no trailing newlines) of a unified diff from ``old`` to ``new``.

    Args:
        old: the earlier text.
        new: the current text.
        old_label: the ``---`` file label (e.g. ``requirements.md @ approve 2025-01-01T10:00``).
        new_label: the ``+++`` file label.
        context: lines of context around each change.

    Returns:
        ``[]`` when the texts are equal.
    """
    return [
        line.rstrip("\n")
        for line in difflib.unified_diff(
            old.splitlines(), new.splitlines(), fromfile=old_label, tofile=new_label, n=context, lineterm=""
        )
    ]
