"""Checkpoints: snapshots of the whole workspace in a shadow git repository, diff, restore, gc.

The shadow repository lives in the user data dir (``workspace_data_dir(ws)/checkpoints.git``) with
its own index; ``GIT_WORK_TREE`` is the workspace. The user's ``.git`` (and every nested ``.git``)
is never written; nested repositories are captured as plain files, never renamed, never gitlinks.

Entry point: :class:`ShadowRepo`.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "CheckpointError": ".errors",
    "CheckpointNotFoundError": ".errors",
    "GitCommandError": ".errors",
    "GitNotFoundError": ".errors",
    "InvalidSessionIdError": ".errors",
    "RestoreConflictError": ".errors",
    "RestoreIncompleteError": ".errors",
    "Checkpoint": ".models",
    "GcResult": ".models",
    "RestoreResult": ".models",
    "DEFAULT_SESSION": ".repo",
    "ShadowRepo": ".repo",
    "default_git_dir": ".repo",
    "CheckpointSettings": ".settings",
}


def __getattr__(name: str) -> Any:
    """Export lazily, so importing the settings (for the config) does not load git plumbing."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module, __name__), name)


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
