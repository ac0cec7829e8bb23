"""Typed errors of the checkpoint engine."""

from __future__ import annotations


class CheckpointError(Exception):
    """Base class of every error raised by :mod:`workbench.core.checkpoints`."""


class GitCommandError(CheckpointError):
    """A ``git`` subprocess failed.

    Attributes:
        args_: the git arguments (without the ``-c`` options).
        returncode: the exit status.
        stderr: git's standard error, decoded.
    """

    def __init__(self, args: list[str], returncode: int, stderr: str) -> None:
        self.args_ = args
        self.returncode = returncode
        self.stderr = stderr
        super().__init__(f"git {' '.join(args)} failed with exit status {returncode}: {stderr.strip() or '(no output)'}")


class GitNotFoundError(CheckpointError):
    """The ``git`` executable could not be run (install git or fix ``CheckpointSettings.git_binary``)."""


class CheckpointNotFoundError(CheckpointError):
    """No checkpoint (commit) with the given id exists in the shadow repository."""


class RestoreIncompleteError(CheckpointError):
    """A previous restore was cut midway; call ``ShadowRepo.recover_incomplete_restore()`` first."""


class RestoreConflictError(CheckpointError):
    """A restore cannot place a file because something that is not tracked is in the way.

    Attributes:
        path: the workspace-relative path that could not be written.
    """

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        super().__init__(f"cannot restore {path!r}: {reason}")


class InvalidSessionIdError(CheckpointError, ValueError):
    """A session id cannot be used in a git ref name (allowed: letters, digits, ``._-``)."""
