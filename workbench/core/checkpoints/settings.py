"""Settings of the checkpoint engine (a section of the app config)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class CheckpointSettings(BaseModel):
    """How workspace snapshots are taken and kept.

    The workspace's own ignore files (``.gitignore`` at every level, including those of nested
    repositories) are always respected; these settings add to them.
    """

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    max_file_bytes: int = Field(default=10 * 1024 * 1024, ge=0)
    """Files larger than this many bytes are not captured; they are listed in ``Checkpoint.skipped``
    and a restore never touches them."""

    excludes: list[str] = Field(default_factory=lambda: [".workbench/journal/*"])
    """Extra glob patterns (``fnmatch`` syntax, ``*`` also matches ``/``) matched against the
    workspace-relative POSIX path, and against the file name when the pattern has no ``/``.
    Matching files are skipped and listed. For large folders prefer ``.gitignore``: excluded files
    are still walked (and listed) at every snapshot. The default leaves out the journal files,
    which Workbench regenerates from the event log."""

    keep_days: float | None = Field(default=30.0, ge=0)
    """``gc`` removes checkpoints older than this many days (``None``: keep regardless of age)."""

    fsync_files: bool = False
    """Also ``fsync`` every restored file (durable against power loss, slower). A restore is always
    atomic per file against a crash of the process; the restore journal is always fsynced."""

    git_binary: str = "git"
    """The git executable to run (a name on ``PATH`` or an absolute path)."""
