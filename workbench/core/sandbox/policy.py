"""The sandbox policy: hardened container settings (``[sandbox]`` config) and the create kwargs.

Every default is the locked-down choice; each can be overridden in ``[sandbox]`` of
``.workbench/config.toml``. The kwargs follow docker SDK 7.x ``ContainerCollection.create``
(https://docker-py.readthedocs.io/en/stable/containers.html) which maps them to the Engine API
``POST /containers/create`` ``HostConfig`` (https://docs.docker.com/reference/api/engine/).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

LABEL_SESSION = "workbench.session"
"""Label holding the session id that owns the container."""
LABEL_WORKSPACE = "workbench.workspace"
"""Label holding the resolved absolute workspace path."""
LABEL_VERSION = "workbench.version"
"""Label holding the Workbench version that created the container."""

WORKSPACE_MOUNT = "/workspace"
"""Where the workspace is bind-mounted inside the container (the only host mount)."""

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

# Keeps the container alive without a busy process; exits at once on SIGTERM (docker stop).
KEEPALIVE_COMMAND = ["/bin/sh", "-c", "trap 'exit 0' TERM INT; while :; do sleep 3600 & wait $!; done"]


class SandboxSettings(BaseModel):
    """The ``[sandbox]`` section: how session containers are created and commands run."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    image: str = "python:3.12-slim"
    """Image of the session containers. No registry is needed when it exists locally (see
    ``workbench sandbox build``)."""

    network_mode: str = "none"
    """Docker network mode of the session container; ``"none"`` leaves only the loopback
    interface. Commands that need network use a separate short-lived container."""

    cap_drop: list[str] = Field(default_factory=lambda: ["ALL"])
    """Linux capabilities dropped (``CapEff`` is 0 with the default)."""

    cap_add: list[str] = Field(default_factory=list)
    """Capabilities added back (none by default)."""

    security_opt: list[str] = Field(default_factory=lambda: ["no-new-privileges:true"])
    """Security options; the engine's default seccomp profile stays on."""

    read_only: bool = True
    """Mount the container's root filesystem read-only (writable: ``/workspace``, tmpfs)."""

    tmpfs: dict[str, str] = Field(default_factory=lambda: {"/tmp": "rw,exec,nosuid,size=256m"})
    """tmpfs mounts (path -> mount options). ``/tmp`` is needed: ``HOME`` and the exec
    bookkeeping live there. Its content is lost when the container stops."""

    pids_limit: int = Field(default=256, ge=16)
    """Maximum number of processes/threads in the container (stops fork bombs)."""

    mem_limit: str = "1g"
    """Memory limit (docker size syntax: ``512m``, ``1g``). Swap is disabled: ``memswap_limit``
    is set to the same value."""

    nano_cpus: int = Field(default=1_000_000_000, ge=10_000_000)
    """CPU quota in units of 1e-9 CPUs (1_000_000_000 = one CPU)."""

    init: bool = True
    """Run an init process (``docker-init``) as PID 1 to reap zombies and forward signals."""

    user: str = "auto"
    """``uid:gid`` the container runs as. ``"auto"``: the workspace owner's uid:gid, so files
    created in ``/workspace`` belong to the host user, also when that is root (``0:0``): every
    capability stays dropped and ``no-new-privileges`` stays on, so root in the sandbox cannot
    bypass file permissions, change owners, or gain privileges. When the engine runs with
    ``userns-remap``, container root is an unprivileged host uid (then a root-owned workspace is
    not writable and the first command says so)."""

    env_allowlist: list[str] = Field(default_factory=list)
    """Names of host environment variables copied into the container (none by default; the
    host environment and API keys never enter the container unless named here)."""

    env: dict[str, str] = Field(default_factory=dict)
    """Fixed environment values for the container, added to ``HOME=/tmp``, ``PATH`` and
    ``LANG=C.UTF-8`` (which they can override)."""

    runtime: str | None = None
    """OCI runtime, e.g. ``"runsc"`` (gVisor). When set but missing on the engine, the sandbox
    fails closed (:class:`~workbench.core.sandbox.errors.RuntimeMissing`)."""

    command_timeout: float = Field(default=120.0, gt=0)
    """Default timeout of ``run_command`` in seconds; the process tree is killed after it."""

    output_limit_for_model: int = Field(default=16_000, ge=256)
    """Bytes of command output returned to the model: the head and the tail halves, with the
    number of dropped bytes stated in between."""

    setup: list[str] = Field(default_factory=list)
    """Shell commands run once in every new container (e.g. create a venv), in order."""

    setup_timeout: float = Field(default=600.0, gt=0)
    """Timeout of each setup command in seconds."""

    snapshot_on_checkpoint: bool = False
    """Also ``docker commit`` the container when a checkpoint is taken, so a files rewind brings
    back what was installed inside it. Only useful with ``read_only = false``: with the default
    read-only root, nothing outside /workspace (already checkpointed) and the /tmp tmpfs (never
    committed) can change."""

    keep_on_exit: bool = False
    """Keep the session's container running when Workbench exits (the TUI quits or a headless
    ``run`` ends; ``workbench run --keep-sandbox`` sets it for one run). By default containers
    are stopped with their session; ``workbench sandbox prune`` removes stopped ones."""

    spool_limit_bytes: int = Field(default=1 << 30, ge=1 << 20)
    """Bytes of a command's output kept in its spool file (``<data dir>/spool``); the model only
    sees the head and tail (``output_limit_for_model``)."""

    spool_keep: int = Field(default=20, ge=1)
    """Spool files kept per workspace (oldest removed first)."""

    network_for_commands: str = "bridge"
    """Network used by the short-lived container of a command that asked for network access
    (after approval); never the session container's."""


def resolve_user(settings: SandboxSettings, workspace: Path) -> str:
    """Return the ``uid:gid`` the container runs as.

    Args:
        settings: the sandbox settings; ``user="auto"`` means the workspace owner.
        workspace: the workspace root (must exist).

    Returns:
        ``"uid:gid"``; for ``auto``, the workspace owner's, ``"0:0"`` included.
    """
    if settings.user != "auto":
        return settings.user
    st = os.stat(workspace)
    return f"{st.st_uid}:{st.st_gid}"


def container_environment(settings: SandboxSettings, host_env: dict[str, str] | None = None) -> dict[str, str]:
    """Return the container environment: fixed values plus allowlisted host variables only.

    Args:
        settings: the sandbox settings.
        host_env: the host environment to copy allowlisted names from (default ``os.environ``).
    """
    host_env = dict(os.environ) if host_env is None else host_env
    env = {"HOME": "/tmp", "PATH": DEFAULT_PATH, "LANG": "C.UTF-8"}
    env.update(settings.env)
    for name in settings.env_allowlist:
        if name in host_env:
            env[name] = host_env[name]
    return env


def container_name(workspace: Path, session_id: str) -> str:
    """Return a readable, unique container name: ``wb-<workspace name>-<session id>``."""
    ws = re.sub(r"[^a-zA-Z0-9_.-]+", "_", Path(workspace).resolve().name or "root")[:24]
    sid = re.sub(r"[^a-zA-Z0-9_.-]+", "_", session_id)[:40]
    return f"wb-{ws}-{sid}"


def protected_mounts(workspace: Path) -> dict[str, dict[str, str]]:
    """Read-only binds of the workspace's existing protected paths (``.git``, ``.mcp.json``, ...)
    over the workspace mount; see :func:`workbench.core.guard.protected.sandbox_mounts`."""
    from workbench.core.guard.protected import sandbox_mounts

    return sandbox_mounts(workspace, WORKSPACE_MOUNT)


def container_config(settings: SandboxSettings, workspace: Path, session_id: str) -> dict[str, Any]:
    """Return the ``client.containers.create(**kwargs)`` arguments of a session container.

    The workspace is bind-mounted read-write at ``/workspace`` and is the only host path mounted
    (the docker socket is never mounted); its existing protected paths are bound again,
    read-only, over it (:func:`protected_mounts`). The container runs a keep-alive loop; commands run in it
    with ``exec``.

    Args:
        settings: the sandbox policy.
        workspace: the workspace root on the engine's host (for a remote engine, the same path
            must exist there).
        session_id: the owning session (stored in the ``workbench.session`` label).

    Returns:
        A dict of docker SDK ``containers.create`` keyword arguments (``image`` included).
    """
    from workbench import __version__

    ws = str(Path(workspace).resolve())
    kwargs: dict[str, Any] = {
        "image": settings.image,
        "command": KEEPALIVE_COMMAND,
        "name": container_name(Path(ws), session_id),
        "hostname": "sandbox",
        "labels": {LABEL_SESSION: session_id, LABEL_WORKSPACE: ws, LABEL_VERSION: __version__},
        "volumes": {ws: {"bind": WORKSPACE_MOUNT, "mode": "rw"}, **protected_mounts(Path(ws))},
        "working_dir": WORKSPACE_MOUNT,
        "network_mode": settings.network_mode,
        "cap_drop": list(settings.cap_drop),
        "security_opt": list(settings.security_opt),
        "read_only": settings.read_only,
        "tmpfs": dict(settings.tmpfs),
        "pids_limit": settings.pids_limit,
        "mem_limit": settings.mem_limit,
        "memswap_limit": settings.mem_limit,
        "nano_cpus": settings.nano_cpus,
        "init": settings.init,
        "user": resolve_user(settings, Path(ws)),
        "environment": container_environment(settings),
        "stdin_open": False,
        "tty": False,
        "detach": True,
    }
    if settings.cap_add:
        kwargs["cap_add"] = list(settings.cap_add)
    if settings.runtime:
        kwargs["runtime"] = settings.runtime
    return kwargs
