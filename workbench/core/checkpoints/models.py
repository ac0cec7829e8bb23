"""Result types of the checkpoint engine (pydantic models, so the CLI can print them as JSON)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class Checkpoint(BaseModel):
    """One snapshot of the workspace: a commit in the shadow repository.

    ``files_changed`` and ``diffstat`` compare with ``parent``, the workspace's previous checkpoint
    (of any session), or with the empty tree for the first one.
    """

    id: str
    """The commit id (40 hex digits)."""
    label: str
    """A one-line label, e.g. ``"turn 3 start"`` or ``"before restore to 1a2b3c4d"``."""
    created_at: datetime
    """When the snapshot was taken (timezone-aware, UTC)."""
    session_id: str
    """The session the checkpoint belongs to (its ref is ``refs/wbcp/<session_id>/<id>``)."""
    tree: str
    """The tree id of the captured workspace."""
    parent: str | None = None
    """The previous checkpoint of the workspace, or ``None`` for the first."""
    files_changed: list[tuple[str, str]] = Field(default_factory=list)
    """``(status, path)`` pairs since ``parent``; status is git's ``A`` (added), ``M`` (modified),
    ``D`` (deleted) or ``T`` (type/mode changed)."""
    diffstat: tuple[int, int, int] = (0, 0, 0)
    """``(files, insertions, deletions)``; binary files count as files with 0 lines."""
    skipped: list[tuple[str, str]] = Field(default_factory=list)
    """``(path, reason)`` of files not captured: over the size cap, excluded by a setting, not a
    regular file, or unreadable."""
    meta: dict[str, Any] = Field(default_factory=dict)
    """Caller data stored with the commit (e.g. ``{"event_seq": 42, "turn": 3}``)."""


class RestoreResult(BaseModel):
    """What :meth:`ShadowRepo.restore` did."""

    target: str
    """The checkpoint id the workspace now equals (for captured content)."""
    before_restore: Checkpoint
    """The checkpoint of the state just before the restore; restore it to undo."""
    written: list[str] = Field(default_factory=list)
    """Workspace-relative paths written (created, modified or mode changed)."""
    deleted: list[str] = Field(default_factory=list)
    """Workspace-relative paths removed (they did not exist at the checkpoint)."""


class GcResult(BaseModel):
    """What :meth:`ShadowRepo.gc` removed."""

    pruned: list[str] = Field(default_factory=list)
    """Checkpoint ids whose refs were deleted."""
    kept: int = 0
    """How many checkpoints remain."""
