"""Where Workbench keeps its files.

Two places, never mixed:

* the **workspace** (the user's project): ``.workbench/config.toml``, ``.workbench/specs``,
  ``.workbench/journal``; meant to be committed;
* the **user data dir** (``platformdirs.user_data_dir("workbench")``, or ``$WORKBENCH_HOME`` when
  set): event logs, checkpoint repositories, container logs, trust decisions. The sandbox mounts
  the workspace, so session state must never live inside it.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

APP_NAME = "workbench"


def data_home() -> Path:
    """Return the user data directory (created if missing).

    ``$WORKBENCH_HOME`` overrides the platformdirs location (used by tests and portable installs).
    """
    override = os.environ.get("WORKBENCH_HOME")
    if override:
        path = Path(override).expanduser()
    else:
        import platformdirs

        path = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    return private_dir(path)


def private_dir(path: Path) -> Path:
    """Create ``path`` (and missing parents) as a folder only its owner can use (mode 0700).

    The data dir holds the event log, checkpoints, logs and trust decisions (SECURITY.md
    invariant 5: data files 0600, folders 0700). An existing folder we own that is open to the
    group or others is tightened to 0700. Returns ``path``.
    """
    path = Path(path)
    if not path.is_dir():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            path.mkdir(mode=0o700)
        except FileExistsError:
            pass
    try:
        st = path.stat()
        if st.st_mode & 0o077 and st.st_uid == os.geteuid():
            os.chmod(path, 0o700)
    except OSError:
        pass
    return path


def private_file(path: Path) -> Path:
    """Create ``path`` empty with mode 0600 when missing, or tighten it to 0600; return it.

    Used before a library creates a data file with its own default mode (SQLite: the ``-wal``
    and ``-shm`` files take the database file's mode).
    """
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        if os.fstat(fd).st_mode & 0o077:
            os.fchmod(fd, 0o600)
    finally:
        os.close(fd)
    return Path(path)


def config_home() -> Path:
    """Return the user config directory (not created).

    With ``$WORKBENCH_HOME`` set it is ``$WORKBENCH_HOME/config`` so tests never read the real
    user's config.
    """
    override = os.environ.get("WORKBENCH_HOME")
    if override:
        return Path(override).expanduser() / "config"
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def user_config_file() -> Path:
    """Return the path of the user-level ``config.toml`` (it may not exist)."""
    return config_home() / "config.toml"


def workspace_config_file(workspace: Path) -> Path:
    """Return ``<workspace>/.workbench/config.toml`` (it may not exist)."""
    return workspace / ".workbench" / "config.toml"


def workspace_key(workspace: Path) -> str:
    """Return a stable, filesystem-safe key for a workspace: ``<name>-<sha256(path)[:12]>``.

    Args:
        workspace: the workspace root; it is resolved to an absolute path first.
    """
    resolved = str(Path(workspace).resolve())
    digest = hashlib.sha256(resolved.encode("utf-8")).hexdigest()[:12]
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", Path(resolved).name or "root")[:40]
    return f"{name}-{digest}"


def workspace_data_dir(workspace: Path) -> Path:
    """Return (and create) the per-workspace folder inside the data dir.

    Layout: ``<data_home>/workspaces/<workspace_key>/`` holding ``events.db`` (the event log),
    ``checkpoints.git`` (shadow repository), ``logs/`` (container logs) and ``trust.json``.
    """
    return private_dir(private_dir(data_home() / "workspaces") / workspace_key(workspace))


def event_log_path(workspace: Path) -> Path:
    """Return the event log file of ``workspace`` (in the user data dir, never in the workspace)."""
    return workspace_data_dir(workspace) / "events.db"
