"""Checkpoints: snapshots of the whole workspace in a shadow git repository, diff, restore, gc.

The shadow repository lives in the user data dir (``workspace_data_dir(ws)/checkpoints.git``) with
its own index; ``GIT_WORK_TREE`` is the workspace. The user's ``.git`` (and every nested ``.git``)
is never written; nested repositories are captured as plain files, never renamed, never gitlinks.

Entry point: :class:`ShadowRepo`.
"""

from __future__ import annotations

from .errors import (
    CheckpointError,
    CheckpointNotFoundError,
    GitCommandError,
    GitNotFoundError,
    InvalidSessionIdError,
    RestoreConflictError,
    RestoreIncompleteError,
)
from .models import Checkpoint, GcResult, RestoreResult
from .repo import DEFAULT_SESSION, ShadowRepo, default_git_dir
from .settings import CheckpointSettings

__all__ = [
    "DEFAULT_SESSION",
    "Checkpoint",
    "CheckpointError",
    "CheckpointNotFoundError",
    "CheckpointSettings",
    "GcResult",
    "GitCommandError",
    "GitNotFoundError",
    "InvalidSessionIdError",
    "RestoreConflictError",
    "RestoreIncompleteError",
    "RestoreResult",
    "ShadowRepo",
    "default_git_dir",
]
